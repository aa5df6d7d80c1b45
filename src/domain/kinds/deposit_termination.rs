//! Ending a deposit before its term (API.md section 9): after the customer confirms, the
//! deposit is paid out to its linked current account, principal plus accrued interest
//! less the tax on it and the early-termination fee ([`crate::domain::deposit`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::account::{Leg, book, close, no_terms, settling, the_account};
use super::{KindDef, Rules, confirmed_plan};
use crate::domain::account::{Account, ArrangementKind, BalanceGuard};
use crate::domain::deposit;
use crate::domain::execution::{Context, Refusal, Transition};
use crate::domain::identifier::ArrangementNumber;
use crate::domain::operation::Produced;

/// Paying out a deposit: core banking takes a few seconds.
pub(crate) const DEF: KindDef = KindDef {
    literal: "deposit-account-termination",
    resource: "deposit-account-terminations",
    steps: &confirmed_plan(("check-account", 1), ("close-account", 2)),
    completed_activity: "account-terminated",
};

/// What the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositTermination {
    /// The deposit.
    pub account_number: ArrangementNumber,
}

impl DepositTermination {
    /// The deposit and the current account it is paid out to.
    fn parties<'a>(&self, ctx: &Context<'a>) -> Result<(&'a Account, &'a Account), Refusal> {
        let deposit = the_account(ctx, &self.account_number, ArrangementKind::DepositAccount)?;
        if deposit.deposit.is_none() {
            return Err(no_terms(deposit));
        }
        let payee = settling(ctx, deposit).ok_or_else(|| {
            Refusal::policy(
                "policy-violation",
                format!(
                    "deposit {} has no active current account in {} to be paid out to",
                    deposit.number,
                    deposit.balance.currency.as_str()
                ),
            )
        })?;
        Ok((deposit, payee))
    }
}

impl Rules for DepositTermination {
    fn check(&self, ctx: &Context<'_>) -> Result<(), Refusal> {
        self.parties(ctx).map(|_| ())
    }

    fn apply(
        &self,
        t: &mut Transition,
        ctx: &Context<'_>,
        now: DateTime<Utc>,
        _: &Produced,
    ) -> Result<(), Refusal> {
        let (account, payee) = self.parties(ctx)?;
        let quote = deposit::early_termination(account, now.date_naive())
            .ok_or_else(|| no_terms(account))?;
        let legs = [
            Leg {
                account,
                minor: -account.balance.minor,
                guard: BalanceGuard::Exactly(account.balance.minor),
                counterparty: payee.number.to_string(),
            },
            Leg {
                account: payee,
                minor: quote.net.minor,
                guard: BalanceGuard::Active,
                counterparty: account.number.to_string(),
            },
        ];
        book(t, &legs, DEF.literal, now)?;
        close(t, account);
        Ok(())
    }

    fn operation_fields(&self, fields: &mut Vec<(&'static str, serde_json::Value)>) {
        fields.push(("account-number", self.account_number.as_str().into()));
    }

    fn duplicate_subject(&self) -> String {
        self.account_number.to_string()
    }

    fn account(&self) -> Option<&ArrangementNumber> {
        Some(&self.account_number)
    }
}
