//! An additional card: a card for an authorized customer on someone else's arrangement.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::card::{new_card, the_arrangement};
use super::{KindDef, Rules, plan};
use crate::domain::CustomerNumber;
use crate::domain::card::CardStatus;
use crate::domain::execution::{Context, Refusal, Transition};
use crate::domain::identifier::ArrangementNumber;
use crate::domain::operation::Produced;

/// Producing a card takes minutes: a person reviews the request first.
pub(crate) const DEF: KindDef = KindDef {
    literal: "additional-card-issuance",
    resource: "additional-card-issuances",
    steps: &plan(("review-request", 60), ("produce-card", 30)),
    completed_activity: "additional-card-issued",
};

/// What the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdditionalCardIssuance {
    /// Who will carry the card.
    pub authorized_customer: CustomerNumber,
    /// The arrangement it draws on.
    pub arrangement_number: ArrangementNumber,
}

impl Rules for AdditionalCardIssuance {
    fn check(&self, ctx: &Context<'_>) -> Result<(), Refusal> {
        let (customer, number) = (&self.authorized_customer, &self.arrangement_number);
        let policy = |why: String| Refusal::policy("policy-violation", why);
        let arrangement = ctx
            .arrangement
            .ok_or_else(|| policy(format!("arrangement {number} does not exist")))?;
        if ctx.authorized_customer.is_none() {
            return Err(policy(format!("customer {customer} does not exist")));
        }
        if !arrangement.active {
            return Err(policy(format!("arrangement {number} is not active")));
        }
        if !arrangement.allows_cards {
            return Err(policy(format!("arrangement {number} does not allow cards")));
        }
        if &arrangement.owner == customer {
            return Err(Refusal::policy(
                "owner-can-not-have-additional-card",
                format!("customer {customer} owns arrangement {number}"),
            ));
        }
        let live: Vec<_> = ctx
            .arrangement_cards
            .iter()
            .filter(|c| c.status != CardStatus::Terminated)
            .collect();
        if live
            .iter()
            .any(|c| &c.holder == customer && c.is_additional())
        {
            return Err(Refusal::conflict(
                "active-additional-card-already-exists",
                format!("customer {customer} already holds an additional card on {number}"),
            ));
        }
        if live.len() >= arrangement.card_limit as usize {
            return Err(policy(format!(
                "arrangement {number} already carries its limit of {} cards",
                arrangement.card_limit
            )));
        }
        Ok(())
    }

    fn apply(
        &self,
        t: &mut Transition,
        ctx: &Context<'_>,
        now: DateTime<Utc>,
        produced: &Produced,
    ) -> Result<(), Refusal> {
        let arrangement = the_arrangement(ctx, &self.arrangement_number)?;
        let card = new_card(
            &t.order,
            &self.authorized_customer,
            arrangement,
            now,
            None,
            produced,
        );
        t.order.result_card_id = Some(card.id.clone());
        t.new_cards.push(card);
        Ok(())
    }

    fn operation_fields(&self, fields: &mut Vec<(&'static str, serde_json::Value)>) {
        fields.push((
            "authorized-customer-number",
            self.authorized_customer.to_string().into(),
        ));
    }

    fn duplicate_subject(&self) -> String {
        format!("{}:{}", self.arrangement_number, self.authorized_customer)
    }

    fn authorized_customer(&self) -> Option<&CustomerNumber> {
        Some(&self.authorized_customer)
    }

    fn produces_card(&self) -> bool {
        true
    }
}
