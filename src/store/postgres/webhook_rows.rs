//! The rows of the webhook tables as PostgreSQL returns them, and what they decode to (the
//! statements are in [`super::webhooks`]).

use chrono::{DateTime, Utc};

use crate::store::StoreError;
use crate::store::webhooks::{Attempt, Delivery, DeliveryStatus, Subscription, kinds_from_column};

#[derive(sqlx::FromRow)]
pub(super) struct SubscriptionRow {
    pub(super) subscription_id: i64,
    pub(super) url: String,
    pub(super) description: Option<String>,
    pub(super) event_kinds: Option<String>,
    pub(super) customer_number: Option<String>,
    pub(super) order_updates: bool,
    pub(super) secret: String,
    pub(super) previous_secret: Option<String>,
    pub(super) previous_secret_until: Option<DateTime<Utc>>,
    pub(super) failing_since: Option<DateTime<Utc>>,
    pub(super) created_at: DateTime<Utc>,
}

impl From<SubscriptionRow> for Subscription {
    fn from(r: SubscriptionRow) -> Self {
        Self {
            id: r.subscription_id,
            url: r.url,
            description: r.description,
            event_kinds: kinds_from_column(r.event_kinds),
            customer_number: r.customer_number,
            order_updates: r.order_updates,
            secret: r.secret,
            previous_secret: r.previous_secret,
            previous_secret_until: r.previous_secret_until,
            failing_since: r.failing_since,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct DeliveryRow {
    pub(super) delivery_id: i64,
    pub(super) subscription_id: i64,
    pub(super) message_id: String,
    pub(super) customer_number: String,
    pub(super) event_type: String,
    pub(super) payload: String,
    pub(super) created_at: DateTime<Utc>,
    pub(super) status: String,
    pub(super) attempts: i32,
    pub(super) next_attempt_at: Option<DateTime<Utc>>,
}

impl DeliveryRow {
    pub(super) fn into_delivery(self) -> Result<Delivery, StoreError> {
        Ok(Delivery {
            id: self.delivery_id,
            subscription_id: self.subscription_id,
            message_id: self.message_id,
            customer_number: self.customer_number,
            event_type: self.event_type,
            payload: self.payload,
            created_at: self.created_at,
            status: DeliveryStatus::from_stored(&self.status)?,
            attempts: u32::try_from(self.attempts).unwrap_or_default(),
            next_attempt_at: self.next_attempt_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct DueRow {
    #[sqlx(flatten)]
    pub(super) delivery: DeliveryRow,
    pub(super) lease_token: i64,
    pub(super) url: String,
    pub(super) secret: String,
    pub(super) previous_secret: Option<String>,
    pub(super) previous_secret_until: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
pub(super) struct AttemptRow {
    pub(super) delivery_id: i64,
    pub(super) attempted_at: DateTime<Utc>,
    pub(super) status_code: Option<i32>,
    pub(super) duration_ms: i64,
    pub(super) error: Option<String>,
}

impl AttemptRow {
    pub(super) fn into_attempt(self) -> Attempt {
        Attempt {
            attempted_at: self.attempted_at,
            status_code: self.status_code.and_then(|c| u16::try_from(c).ok()),
            duration_ms: u64::try_from(self.duration_ms).unwrap_or_default(),
            error: self.error,
        }
    }
}
