//! Unblocking a card: `suspended` -> `active`, unless it was blocked as lost or stolen.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::card::{status_not_eligible, the_card, with_status};
use super::{KindDef, Rules, plan};
use crate::domain::card::CardStatus;
use crate::domain::classification::is_lost_or_stolen;
use crate::domain::execution::{Context, Refusal, Transition};
use crate::domain::identifier::CardId;
use crate::domain::operation::Produced;

/// Flipping a card's state takes a second.
pub(crate) const DEF: KindDef = KindDef {
    literal: "card-deblockade",
    resource: "card-deblockades",
    steps: &plan(("check-card", 1), ("unblock-card", 1)),
    completed_activity: "card-unblocked",
};

/// What the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardDeblockade {
    /// The card.
    pub card_id: CardId,
}

impl Rules for CardDeblockade {
    fn check(&self, ctx: &Context<'_>) -> Result<(), Refusal> {
        let card = the_card(ctx)?;
        if card.status != CardStatus::Suspended {
            return Err(status_not_eligible(card, "unblocked"));
        }
        if card
            .blockade_reason
            .as_deref()
            .is_some_and(is_lost_or_stolen)
        {
            return Err(Refusal::policy(
                "policy-violation",
                format!(
                    "card {} was blocked as lost or stolen; it must be replaced, not unblocked",
                    card.id
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
        let card = the_card(ctx)?;
        let mut active = with_status(card, CardStatus::Active, now);
        active.blockade_reason = None;
        t.changed_cards.push(active);
        Ok(())
    }

    fn operation_fields(&self, fields: &mut Vec<(&'static str, serde_json::Value)>) {
        fields.push(("card-id", self.card_id.to_string().into()));
    }

    fn duplicate_subject(&self) -> String {
        self.card_id.to_string()
    }

    fn card_id(&self) -> Option<&CardId> {
        Some(&self.card_id)
    }
}
