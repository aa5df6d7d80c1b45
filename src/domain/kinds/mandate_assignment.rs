//! Granting mandates (API.md section 9): the initiator lets each listed customer act on
//! one of the initiator's accounts. One order grants all its mandates or none.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::account::the_active_account;
use super::{KindDef, Rules, plan};
use crate::domain::CustomerNumber;
use crate::domain::account::{Mandate, MandateStatus};
use crate::domain::execution::{Context, Refusal, Transition};
use crate::domain::identifier::{ArrangementNumber, MandateNumber};
use crate::domain::operation::Produced;

/// Core banking records a mandate in a second.
pub(crate) const DEF: KindDef = KindDef {
    literal: "mandate-assignment",
    resource: "mandate-assignments",
    steps: &plan(("check-mandates", 1), ("grant-mandates", 1)),
    completed_activity: "mandate-granted",
};

/// Most mandates one order grants.
pub const MAX_GRANTS: usize = 20;

/// One mandate asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MandateGrant {
    /// The initiator's account.
    pub arrangement_number: ArrangementNumber,
    /// What the holder calls it.
    pub nickname: Option<String>,
    /// Who may act on it.
    pub customer_number: CustomerNumber,
}

/// What the customer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MandateAssignment {
    /// Who grants: the owner of every account listed.
    pub initiator: CustomerNumber,
    /// The mandates, 1 to [`MAX_GRANTS`], no two for the same account and customer.
    pub grants: Vec<MandateGrant>,
}

impl MandateAssignment {
    /// The number of the `index`th mandate this order grants: the order's own digits, so
    /// that one order can never grant a mandate twice.
    fn number(order: i64, index: usize) -> MandateNumber {
        let raw = format!("M{order:010}-{:02}", index + 1);
        MandateNumber::parse("mandate-number", &raw)
            .unwrap_or_else(|_| unreachable!("letters, digits and a dash: {raw}"))
    }
}

impl Rules for MandateAssignment {
    fn check(&self, ctx: &Context<'_>) -> Result<(), Refusal> {
        for grant in &self.grants {
            let account = the_active_account(ctx, &grant.arrangement_number)?;
            if account.owner != self.initiator {
                return Err(Refusal::policy(
                    "policy-violation",
                    format!(
                        "account {} is not {}'s to give a mandate on",
                        account.number, self.initiator
                    ),
                ));
            }
            let holder = &grant.customer_number;
            if ctx.customer(holder).is_none() {
                return Err(Refusal::policy(
                    "policy-violation",
                    format!("customer {holder} does not exist"),
                ));
            }
            if holder == &self.initiator {
                return Err(Refusal::policy(
                    "policy-violation",
                    format!("customer {holder} owns account {}", account.number),
                ));
            }
            if ctx.mandates.iter().any(|m| {
                m.status == MandateStatus::Active
                    && m.arrangement == grant.arrangement_number
                    && &m.holder == holder
            }) {
                return Err(Refusal::conflict(
                    "mandate-already-exists",
                    format!(
                        "customer {holder} already holds a mandate on account {}",
                        account.number
                    ),
                ));
            }
        }
        Ok(())
    }

    fn apply(
        &self,
        t: &mut Transition,
        _: &Context<'_>,
        now: DateTime<Utc>,
        _: &Produced,
    ) -> Result<(), Refusal> {
        let order = t.order.number.0;
        for (index, grant) in self.grants.iter().enumerate() {
            t.mandates.push(Mandate {
                number: Self::number(order, index),
                arrangement: grant.arrangement_number.clone(),
                grantor: self.initiator.clone(),
                holder: grant.customer_number.clone(),
                nickname: grant.nickname.clone(),
                status: MandateStatus::Active,
                granted_on: now.date_naive(),
                revoked_on: None,
            });
        }
        Ok(())
    }

    fn operation_fields(&self, fields: &mut Vec<(&'static str, serde_json::Value)>) {
        fields.push(("initiator-customer-number", self.initiator.as_str().into()));
        let items: Vec<serde_json::Value> = self
            .grants
            .iter()
            .map(|g| {
                serde_json::json!({
                    "arrangement-number": g.arrangement_number.as_str(),
                    "nickname": g.nickname,
                    "customer-number": g.customer_number.as_str(),
                })
            })
            .collect();
        fields.push(("items", items.into()));
    }

    fn duplicate_subject(&self) -> String {
        let mut subjects: Vec<String> = self
            .grants
            .iter()
            .map(|g| format!("{}>{}", g.arrangement_number, g.customer_number))
            .collect();
        subjects.sort_unstable();
        subjects.join(",")
    }

    fn account(&self) -> Option<&ArrangementNumber> {
        self.grants.first().map(|g| &g.arrangement_number)
    }

    fn named_accounts(&self) -> Vec<&ArrangementNumber> {
        self.grants
            .iter()
            .skip(1)
            .map(|g| &g.arrangement_number)
            .collect()
    }

    fn named_customers(&self) -> Vec<&CustomerNumber> {
        self.grants.iter().map(|g| &g.customer_number).collect()
    }

    fn judges_mandates(&self) -> bool {
        true
    }
}
