//! Revoking a mandate (API.md section 9, the guide's "revoke"): the grantor ends it, or
//! the holder gives it up; from that day the holder may no longer act on the account.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{KindDef, Rules, plan};
use crate::domain::account::{Mandate, MandateStatus};
use crate::domain::execution::{Context, Refusal, Transition};
use crate::domain::identifier::MandateNumber;
use crate::domain::operation::Produced;

/// Core banking ends a mandate in a second.
pub(crate) const DEF: KindDef = KindDef {
    literal: "mandate-revocation",
    resource: "mandate-revocations",
    steps: &plan(("check-mandate", 1), ("revoke-mandate", 1)),
    completed_activity: "mandate-revoked",
};

/// What the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MandateRevocation {
    /// The mandate to end.
    pub mandate_number: MandateNumber,
}

impl MandateRevocation {
    /// The mandate, in force.
    fn the_mandate<'a>(&self, ctx: &Context<'a>) -> Result<&'a Mandate, Refusal> {
        let number = &self.mandate_number;
        let mandate = ctx
            .mandates
            .iter()
            .find(|m| &m.number == number)
            .ok_or_else(|| {
                Refusal::conflict(
                    "mandate-status-not-eligible",
                    format!("mandate {number} no longer exists"),
                )
            })?;
        if mandate.status != MandateStatus::Active {
            return Err(Refusal::conflict(
                "mandate-status-not-eligible",
                format!("mandate {number} is {}", mandate.status.as_str()),
            ));
        }
        Ok(mandate)
    }
}

impl Rules for MandateRevocation {
    fn check(&self, ctx: &Context<'_>) -> Result<(), Refusal> {
        self.the_mandate(ctx).map(|_| ())
    }

    fn apply(
        &self,
        t: &mut Transition,
        ctx: &Context<'_>,
        now: DateTime<Utc>,
        _: &Produced,
    ) -> Result<(), Refusal> {
        let mandate = self.the_mandate(ctx)?;
        t.mandates.push(Mandate {
            status: MandateStatus::Revoked,
            revoked_on: Some(now.date_naive()),
            ..mandate.clone()
        });
        Ok(())
    }

    fn operation_fields(&self, fields: &mut Vec<(&'static str, serde_json::Value)>) {
        fields.push(("mandate-number", self.mandate_number.as_str().into()));
    }

    fn duplicate_subject(&self) -> String {
        self.mandate_number.to_string()
    }

    fn judges_mandates(&self) -> bool {
        true
    }

    fn mandate(&self) -> Option<&MandateNumber> {
        Some(&self.mandate_number)
    }
}
