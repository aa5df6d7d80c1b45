//! Replacing a card: a new card for the same holder. A card lost or stolen ends at once;
//! otherwise it stays usable until its replacement is activated.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::card::{new_card, status_not_eligible, the_arrangement, the_card, with_status};
use super::{KindDef, Rules, plan};
use crate::domain::card::CardStatus;
use crate::domain::classification::is_lost_or_stolen;
use crate::domain::execution::{Context, Refusal, Transition};
use crate::domain::identifier::CardId;
use crate::domain::operation::Produced;

/// Producing the plastic takes a few seconds.
pub(crate) const DEF: KindDef = KindDef {
    literal: "card-replacement",
    resource: "card-replacements",
    steps: &plan(("check-card", 1), ("issue-replacement-card", 3)),
    completed_activity: "card-replaced",
};

/// What the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardReplacement {
    /// The card.
    pub card_id: CardId,
    /// A `card-replacement-reason` literal.
    pub reason: String,
    /// The name to print on the new card.
    pub embossement_line: Option<String>,
}

impl Rules for CardReplacement {
    fn check(&self, ctx: &Context<'_>) -> Result<(), Refusal> {
        let card = the_card(ctx)?;
        if card.status == CardStatus::Terminated {
            return Err(status_not_eligible(card, "replaced"));
        }
        if card.replaced_by.is_some() {
            return Err(Refusal::conflict(
                "card-status-not-eligible",
                format!("card {} has already been replaced", card.id),
            ));
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
        let card = the_card(ctx)?;
        let arrangement = the_arrangement(ctx, &card.arrangement_number)?;
        let replacement = new_card(
            &t.order,
            &card.holder,
            arrangement,
            now,
            Some(card.id.clone()),
            produced,
        );
        let mut old = if is_lost_or_stolen(&self.reason) {
            with_status(card, CardStatus::Terminated, now)
        } else {
            card.clone()
        };
        old.replaced_by = Some(replacement.id.clone());
        t.order.result_card_id = Some(replacement.id.clone());
        t.changed_cards.push(old);
        t.new_cards.push(replacement);
        Ok(())
    }

    fn operation_fields(&self, fields: &mut Vec<(&'static str, serde_json::Value)>) {
        fields.push(("card-id", self.card_id.to_string().into()));
        fields.push(("replacement-reason", self.reason.clone().into()));
        if let Some(line) = &self.embossement_line {
            fields.push(("embossement-line-1", line.clone().into()));
        }
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

    fn produces_card(&self) -> bool {
        true
    }
}
