//! The rows of the webhook tables as SQLite returns them, and what they decode to (the
//! statements are in [`super::webhooks`]).

use crate::store::webhooks::{Delivery, DeliveryStatus, Subscription, kinds_from_column};
use crate::store::{StoreError, from_micros};

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
    pub(super) previous_secret_until: Option<i64>,
    pub(super) failing_since: Option<i64>,
    pub(super) created_at: i64,
}

impl SubscriptionRow {
    pub(super) fn into_subscription(self) -> Result<Subscription, StoreError> {
        Ok(Subscription {
            id: self.subscription_id,
            url: self.url,
            description: self.description,
            event_kinds: kinds_from_column(self.event_kinds),
            customer_number: self.customer_number,
            order_updates: self.order_updates,
            secret: self.secret,
            previous_secret: self.previous_secret,
            previous_secret_until: self.previous_secret_until.map(from_micros).transpose()?,
            failing_since: self.failing_since.map(from_micros).transpose()?,
            created_at: from_micros(self.created_at)?,
        })
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
    pub(super) created_at: i64,
    pub(super) status: String,
    pub(super) attempts: i64,
    pub(super) next_attempt_at: Option<i64>,
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
            created_at: from_micros(self.created_at)?,
            status: DeliveryStatus::from_stored(&self.status)?,
            attempts: u32::try_from(self.attempts).unwrap_or_default(),
            next_attempt_at: self.next_attempt_at.map(from_micros).transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct ClaimedRow {
    #[sqlx(flatten)]
    pub(super) delivery: DeliveryRow,
    pub(super) lease_token: i64,
}

#[derive(sqlx::FromRow)]
pub(super) struct AttemptRow {
    pub(super) delivery_id: i64,
    pub(super) attempted_at: i64,
    pub(super) status_code: Option<i64>,
    pub(super) duration_ms: i64,
    pub(super) error: Option<String>,
}
