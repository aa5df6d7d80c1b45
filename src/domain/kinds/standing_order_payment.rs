//! One payment of a standing order: the engine creates it when a date of the schedule
//! falls due ([`crate::domain::standing_order::StandingOrder::fall_due`]), and carries it
//! like any order: checked on the day's balances, executed at core banking with its own
//! idempotency key, booked once. Refused (`insufficient-funds`, a closed account), it
//! ends `rejected` and the standing order goes on to its next date.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::account::{Leg, book, shown};
use super::standing_order::{creditor, debtor, transfer_details};
use super::{KindDef, Rules, plan};
use crate::domain::account::BalanceGuard;
use crate::domain::execution;
use crate::domain::execution::{Context, Refusal, Transition};
use crate::domain::identifier::ArrangementNumber;
use crate::domain::operation::Produced;
use crate::domain::order::{Order, OrderRequest, Parties, StepDurations};
use crate::domain::standing_order::{Due, StandingOrder, Terms};

/// Made by the engine, never posted by a client: its steps take no time of their own.
pub(crate) const DEF: KindDef = KindDef {
    literal: "standing-order-payment",
    resource: "standing-order-payments",
    steps: &plan(("check-funds", 0), ("make-payment", 0)),
    completed_activity: "standing-order-payment-made",
};

/// A payment that fell due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandingOrderPayment {
    /// Which standing order, and which date of its schedule.
    pub due: Due,
    /// What it pays, as the standing order was set up.
    pub terms: Terms,
}

impl Rules for StandingOrderPayment {
    fn check(&self, ctx: &Context<'_>) -> Result<(), Refusal> {
        let from = debtor(ctx, &self.terms)?;
        creditor(ctx, &self.terms)?;
        if from.balance.minor < self.terms.amount.minor {
            return Err(Refusal::policy(
                "insufficient-funds",
                format!(
                    "account {} holds {}, less than the {} due on {}",
                    from.number,
                    shown(from.balance),
                    shown(self.terms.amount),
                    self.due.date
                ),
            ));
        }
        Ok(())
    }

    fn apply(
        &self,
        t: &mut Transition,
        ctx: &Context<'_>,
        now: DateTime<Utc>,
        _: &Produced,
    ) -> Result<(), Refusal> {
        let (from, to) = (debtor(ctx, &self.terms)?, creditor(ctx, &self.terms)?);
        let minor = self.terms.amount.minor;
        let creditor_number = self.terms.creditor_account.to_string();
        let mut legs = vec![Leg {
            account: from,
            minor: -minor,
            guard: BalanceGuard::NotBelowZero,
            counterparty: creditor_number,
        }];
        if let Some(to) = to {
            legs.push(Leg {
                account: to,
                minor,
                guard: BalanceGuard::Active,
                counterparty: from.number.to_string(),
            });
        }
        book(t, &legs, DEF.literal, now)?;
        Ok(())
    }

    fn operation_fields(&self, fields: &mut Vec<(&'static str, serde_json::Value)>) {
        fields.push((
            "standing-order-number",
            self.due.standing_order.to_string().into(),
        ));
        fields.push(("payment-date", self.due.date.to_string().into()));
        fields.push(("transfer-details", transfer_details(&self.terms)));
    }

    fn duplicate_subject(&self) -> String {
        format!("{}:{}", self.due.standing_order, self.due.sequence)
    }

    fn account(&self) -> Option<&ArrangementNumber> {
        Some(&self.terms.debtor)
    }

    fn payee(&self) -> Option<&ArrangementNumber> {
        Some(&self.terms.creditor_account)
    }
}

/// The order that makes the payment `due` of `standing`, accepted at `now` and expiring
/// at `deadline` if it cannot run by then: started like any accepted order.
pub fn payment_order(
    standing: &StandingOrder,
    due: Due,
    now: DateTime<Utc>,
    deadline: DateTime<Utc>,
    durations: &StepDurations,
) -> Order {
    let request = OrderRequest::StandingOrderPayment(StandingOrderPayment {
        due,
        terms: standing.terms.clone(),
    });
    let parties = Parties {
        owner: standing.owner.clone(),
        holder: standing.owner.clone(),
        arrangement_number: standing.terms.debtor.clone(),
    };
    let description = Some(format!("{} ({})", standing.nickname, standing.number));
    let order = Order::proposed(request, description, parties, now, deadline);
    execution::start(order, now, durations)
}
