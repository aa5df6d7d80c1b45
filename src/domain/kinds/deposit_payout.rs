//! Paying out a deposit's interest (API.md section 9): the interest accrued since it last
//! earned from, less the tax on it, goes to the deposit's linked current account, and the
//! deposit earns afresh from that day. The principal stays.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::account::{Leg, book, no_terms, settling, the_account};
use super::{KindDef, Rules, plan};
use crate::domain::account::{Account, AccountChange, ArrangementKind, BalanceGuard};
use crate::domain::deposit;
use crate::domain::execution::{Context, Refusal, Transition};
use crate::domain::identifier::ArrangementNumber;
use crate::domain::operation::Produced;

/// Paying interest: core banking takes a few seconds.
pub(crate) const DEF: KindDef = KindDef {
    literal: "deposit-payout",
    resource: "deposit-payouts",
    steps: &plan(("check-account", 1), ("pay-interest", 2)),
    completed_activity: "interest-paid",
};

/// What the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositPayout {
    /// The deposit.
    pub account_number: ArrangementNumber,
    /// The currency to pay in: an ISO 4217 code.
    pub currency: String,
}

impl DepositPayout {
    /// The deposit and the current account its interest goes to.
    fn parties<'a>(&self, ctx: &Context<'a>) -> Result<(&'a Account, &'a Account), Refusal> {
        let account = the_account(ctx, &self.account_number, ArrangementKind::DepositAccount)?;
        let policy = |why: String| Refusal::policy("policy-violation", why);
        if account.deposit.is_none() {
            return Err(no_terms(account));
        }
        let currency = account.balance.currency.as_str();
        if self.currency != currency {
            return Err(policy(format!(
                "deposit {} pays its interest in {currency}: bankapi holds no exchange rates to pay it in {}",
                account.number, self.currency
            )));
        }
        let payee = settling(ctx, account).ok_or_else(|| {
            policy(format!(
                "deposit {} has no active current account in {currency} to pay to",
                account.number
            ))
        })?;
        Ok((account, payee))
    }
}

impl Rules for DepositPayout {
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
        let today = now.date_naive();
        let quote = deposit::interest_payout(account, today).ok_or_else(|| no_terms(account))?;
        let legs = [Leg {
            account: payee,
            minor: quote.net.minor,
            guard: BalanceGuard::Active,
            counterparty: account.number.to_string(),
        }];
        book(t, &legs, DEF.literal, now)?;
        t.account_changes.push(AccountChange {
            account: account.number.clone(),
            status: None,
            product: None,
            interest_from: Some(today),
        });
        Ok(())
    }

    fn operation_fields(&self, fields: &mut Vec<(&'static str, serde_json::Value)>) {
        fields.push(("account", self.account_number.as_str().into()));
        fields.push(("currency", self.currency.clone().into()));
    }

    fn duplicate_subject(&self) -> String {
        self.account_number.to_string()
    }

    fn account(&self) -> Option<&ArrangementNumber> {
        Some(&self.account_number)
    }
}
