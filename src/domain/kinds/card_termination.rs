//! Terminating a card: anything but `terminated` -> `terminated`, for good.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::card::{status_not_eligible, the_card, with_status};
use super::{KindDef, Rules, plan};
use crate::domain::card::CardStatus;
use crate::domain::execution::{Context, Refusal, Transition};
use crate::domain::identifier::CardId;
use crate::domain::operation::Produced;

/// Flipping a card's state takes a second.
pub(crate) const DEF: KindDef = KindDef {
    literal: "card-termination",
    resource: "card-terminations",
    steps: &plan(("check-card", 1), ("terminate-card", 1)),
    completed_activity: "card-terminated",
};

/// What the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardTermination {
    /// The card.
    pub card_id: CardId,
    /// A `card-termination-reason` literal.
    pub reason: Option<String>,
}

impl Rules for CardTermination {
    fn check(&self, ctx: &Context<'_>) -> Result<(), Refusal> {
        let card = the_card(ctx)?;
        if card.status == CardStatus::Terminated {
            return Err(status_not_eligible(card, "terminated"));
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
        let card = the_card(ctx)?;
        t.changed_cards
            .push(with_status(card, CardStatus::Terminated, now));
        Ok(())
    }

    fn operation_fields(&self, fields: &mut Vec<(&'static str, serde_json::Value)>) {
        fields.push(("card-id", self.card_id.to_string().into()));
        if let Some(reason) = &self.reason {
            fields.push(("termination-reason", reason.clone().into()));
        }
    }

    fn duplicate_subject(&self) -> String {
        self.card_id.to_string()
    }

    fn card_id(&self) -> Option<&CardId> {
        Some(&self.card_id)
    }

    fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}
