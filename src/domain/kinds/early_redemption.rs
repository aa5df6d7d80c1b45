//! Early redemption of a credit facility or a loan (API.md section 9): what is owed is
//! debited from the linked current account, after the customer confirms; refused while
//! that account cannot cover it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::account::{Leg, book, close, settling, shown, the_account};
use super::{KindDef, Rules, confirmed_plan};
use crate::domain::account::{Account, ArrangementKind, BalanceGuard, Money};
use crate::domain::execution::{Context, Refusal, Transition};
use crate::domain::identifier::ArrangementNumber;
use crate::domain::operation::Produced;

/// Redeeming a credit facility.
pub(crate) const CREDIT_FACILITY: KindDef = KindDef {
    literal: "credit-facility-termination",
    resource: "credit-facility-terminations",
    steps: &confirmed_plan(("check-account", 1), ("redeem-credit", 2)),
    completed_activity: "credit-redeemed",
};

/// Redeeming a loan.
pub(crate) const LOAN: KindDef = KindDef {
    literal: "loan-termination",
    resource: "loan-terminations",
    steps: &confirmed_plan(("check-account", 1), ("redeem-credit", 2)),
    completed_activity: "credit-redeemed",
};

/// What the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlyRedemption {
    /// The credit facility or loan.
    pub account_number: ArrangementNumber,
    /// Which of the two the resource redeems.
    pub account_kind: ArrangementKind,
    /// A `redemption-reason` literal, if given.
    pub reason: Option<String>,
    /// The customer's words for the bank.
    pub additional_info: Option<String>,
}

impl EarlyRedemption {
    /// The credit, what is owed on it (in its minor unit), and the current account that
    /// pays it.
    fn terms<'a>(&self, ctx: &Context<'a>) -> Result<(&'a Account, i64, &'a Account), Refusal> {
        let credit = the_account(ctx, &self.account_number, self.account_kind)?;
        let owed = credit.balance.minor.min(0).saturating_neg();
        let payer = settling(ctx, credit).ok_or_else(|| {
            Refusal::policy(
                "policy-violation",
                format!(
                    "{} {} has no active current account in {} to be redeemed from",
                    credit.kind.as_str(),
                    credit.number,
                    credit.balance.currency.as_str()
                ),
            )
        })?;
        if payer.balance.minor < owed {
            return Err(Refusal::policy(
                "insufficient-funds",
                format!(
                    "{} is owed on {}; current account {} holds {}",
                    shown(Money {
                        minor: owed,
                        ..credit.balance
                    }),
                    credit.number,
                    payer.number,
                    shown(payer.balance)
                ),
            ));
        }
        Ok((credit, owed, payer))
    }
}

impl Rules for EarlyRedemption {
    fn check(&self, ctx: &Context<'_>) -> Result<(), Refusal> {
        self.terms(ctx).map(|_| ())
    }

    fn apply(
        &self,
        t: &mut Transition,
        ctx: &Context<'_>,
        now: DateTime<Utc>,
        _: &Produced,
    ) -> Result<(), Refusal> {
        let (credit, owed, payer) = self.terms(ctx)?;
        let legs = [
            Leg {
                account: credit,
                minor: owed,
                guard: BalanceGuard::Exactly(credit.balance.minor),
                counterparty: payer.number.to_string(),
            },
            Leg {
                account: payer,
                minor: -owed,
                guard: BalanceGuard::NotBelowZero,
                counterparty: credit.number.to_string(),
            },
        ];
        let literal = match self.account_kind {
            ArrangementKind::Loan => LOAN.literal,
            _ => CREDIT_FACILITY.literal,
        };
        book(t, &legs, literal, now)?;
        close(t, credit);
        Ok(())
    }

    fn operation_fields(&self, fields: &mut Vec<(&'static str, serde_json::Value)>) {
        fields.push(("account-number", self.account_number.to_string().into()));
        if let Some(reason) = &self.reason {
            fields.push(("redemption-reason", reason.clone().into()));
        }
        if let Some(info) = &self.additional_info {
            fields.push(("additional-info", info.clone().into()));
        }
    }

    fn duplicate_subject(&self) -> String {
        self.account_number.to_string()
    }

    fn account(&self) -> Option<&ArrangementNumber> {
        Some(&self.account_number)
    }

    fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}
