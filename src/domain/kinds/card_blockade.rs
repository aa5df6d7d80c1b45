//! Blocking a card: `active`/`inactive` -> `suspended`, with the reason kept on the card
//! (a card blocked as lost or stolen can only be replaced afterwards).

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
    literal: "card-blockade",
    resource: "card-blockades",
    steps: &plan(("check-card", 1), ("block-card", 1)),
    completed_activity: "card-blocked",
};

/// What the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardBlockade {
    /// The card.
    pub card_id: CardId,
    /// A `card-blockade-reason` literal.
    pub reason: String,
}

impl Rules for CardBlockade {
    fn check(&self, ctx: &Context<'_>) -> Result<(), Refusal> {
        let card = the_card(ctx)?;
        if !matches!(card.status, CardStatus::Active | CardStatus::Inactive) {
            return Err(status_not_eligible(card, "blocked"));
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
        let mut blocked = with_status(card, CardStatus::Suspended, now);
        blocked.blockade_reason = Some(self.reason.clone());
        t.changed_cards.push(blocked);
        Ok(())
    }

    fn operation_fields(&self, fields: &mut Vec<(&'static str, serde_json::Value)>) {
        fields.push(("card-id", self.card_id.to_string().into()));
        fields.push(("blockade-reason", self.reason.clone().into()));
    }

    fn duplicate_subject(&self) -> String {
        self.card_id.to_string()
    }

    fn card_id(&self) -> Option<&CardId> {
        Some(&self.card_id)
    }

    fn reason(&self) -> Option<&str> {
        Some(&self.reason)
    }
}
