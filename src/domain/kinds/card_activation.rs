//! Activating a card: `inactive` -> `active`. Activating a replacement ends the card it
//! replaces.

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
    literal: "card-activation",
    resource: "card-activations",
    steps: &plan(("check-card", 1), ("activate-card", 1)),
    completed_activity: "card-activated",
};

/// What the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardActivation {
    /// The card.
    pub card_id: CardId,
}

impl Rules for CardActivation {
    fn check(&self, ctx: &Context<'_>) -> Result<(), Refusal> {
        let card = the_card(ctx)?;
        if card.status != CardStatus::Inactive {
            return Err(status_not_eligible(card, "activated"));
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
            .push(with_status(card, CardStatus::Active, now));
        // A replacement for a reason other than loss or theft keeps the old card usable
        // until the new one is activated.
        if let Some(old_id) = &card.replaces
            && let Some(old) = ctx.arrangement_cards.iter().find(|c| &c.id == old_id)
            && old.status != CardStatus::Terminated
        {
            t.changed_cards
                .push(with_status(old, CardStatus::Terminated, now));
        }
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
