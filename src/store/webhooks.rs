//! Webhook subscriptions, deliveries and attempts (API.md section 10). The backends hold
//! the statements; fan-out, signing and retries live in [`crate::feed::webhooks`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::page::PageRequest;

/// A subscription as stored, secrets included (never shown after creation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Its number.
    pub id: i64,
    /// Where deliveries are POSTed.
    pub url: String,
    /// Free text.
    pub description: Option<String>,
    /// Only these event kinds (canonical names); `None`: every kind.
    pub event_kinds: Option<Vec<String>>,
    /// Only this customer's changes; `None`: every customer's.
    pub customer_number: Option<String>,
    /// Whether order status changes are delivered too.
    pub order_updates: bool,
    /// The signing secret.
    pub secret: String,
    /// The secret before the last rotation, still signing until `previous_secret_until`.
    pub previous_secret: Option<String>,
    /// When the previous secret stops signing.
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// Since when a delivery has been given up on (the subscription is failing).
    pub failing_since: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A subscription about to be created.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    /// Where deliveries go.
    pub url: String,
    /// Free text.
    pub description: Option<String>,
    /// Only these kinds, if given.
    pub event_kinds: Option<Vec<String>>,
    /// Only this customer, if given.
    pub customer_number: Option<String>,
    /// Order status changes too.
    pub order_updates: bool,
    /// The signing secret.
    pub secret: String,
    /// Now.
    pub created_at: DateTime<Utc>,
}

/// A delivery to create: one feed entry for one subscription, its body fixed.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    /// For whom.
    pub subscription_id: i64,
    /// `webhook-id`: the same on every attempt.
    pub message_id: String,
    /// Whose change it is, for the order per customer.
    pub customer_number: String,
    /// `customer-event.created` or `order.status-changed`.
    pub event_type: String,
    /// The body, as every attempt sends it.
    pub payload: String,
    /// When it was created; the first attempt is due then.
    pub created_at: DateTime<Utc>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// A 2xx answered it.
    Delivered,
    /// Given up on after three days of failures.
    Failed,
}

impl DeliveryStatus {
    /// As stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// From the stored text.
    pub fn from_stored(text: &str) -> Result<Self, StoreError> {
        match text {
            "pending" => Ok(Self::Pending),
            "delivered" => Ok(Self::Delivered),
            "failed" => Ok(Self::Failed),
            other => Err(StoreError::Other(anyhow::anyhow!(
                "unknown delivery status {other}"
            ))),
        }
    }
}

/// A delivery as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its number.
    pub id: i64,
    /// Whose.
    pub subscription_id: i64,
    /// `webhook-id`.
    pub message_id: String,
    /// Whose change.
    pub customer_number: String,
    /// What kind of change.
    pub event_type: String,
    /// The body.
    pub payload: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// One attempt at a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// When it was made.
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<u16>,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// Why it failed without an answer (timeout, refused...).
    pub error: Option<String>,
}

/// A delivery claimed for an attempt, with what sending it needs.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// The delivery.
    pub delivery: Delivery,
    /// The claim's fencing token.
    pub token: i64,
    /// The subscription's URL.
    pub url: String,
    /// The secrets signing now (the current, and the previous during an overlap).
    pub secrets: Vec<String>,
}

/// What an attempt leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Delivered: no more attempts.
    Delivered,
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// Given up: the subscription is marked failing.
    GiveUp,
}

/// The webhook tables.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Creates a subscription; its number.
    async fn create_subscription(&self, new: &NewSubscription) -> Result<i64, StoreError>;

    /// One subscription.
    async fn subscription(&self, id: i64) -> Result<Option<Subscription>, StoreError>;

    /// A page of subscriptions, oldest first, and how many there are.
    async fn subscriptions(
        &self,
        page: PageRequest,
    ) -> Result<(Vec<Subscription>, u64), StoreError>;

    /// Whether any subscription exists (the fan-out skips the feed while none does).
    async fn has_subscriptions(&self) -> Result<bool, StoreError>;

    /// Every subscription, for the fan-out.
    async fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;

    /// Deletes a subscription and its deliveries; whether it existed.
    async fn delete_subscription(&self, id: i64) -> Result<bool, StoreError>;

    /// Replaces the secret; the old one keeps signing until `overlap_until`. Whether the
    /// subscription exists.
    async fn rotate_secret(
        &self,
        id: i64,
        secret: &str,
        overlap_until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Creates deliveries, skipping those that exist (a repeated batch).
    async fn insert_deliveries(&self, deliveries: &[NewDelivery]) -> Result<(), StoreError>;

    /// Claims up to `limit` due deliveries until `until`: for each subscription and
    /// customer only the oldest pending one, so that a customer's changes arrive in order.
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueDelivery>, StoreError>;

    /// A transaction for the writes that go together (an attempt and its outcome, a
    /// redelivery); rolled back when dropped uncommitted.
    async fn begin_webhooks(&self) -> Result<Box<dyn WebhookTx>, StoreError>;

    /// A page of a subscription's deliveries, newest first, with their attempts, and how
    /// many there are.
    async fn deliveries(
        &self,
        subscription_id: i64,
        page: PageRequest,
    ) -> Result<(Vec<(Delivery, Vec<Attempt>)>, u64), StoreError>;
}

/// The statements of one webhook transaction.
#[async_trait]
pub trait WebhookTx: Send {
    /// Sets a delivery's status and next attempt and counts the attempt, if `token` still
    /// holds it; the delivery's subscription, or `None` when the claim was lost.
    async fn finish_attempt(
        &mut self,
        delivery_id: i64,
        token: i64,
        status: DeliveryStatus,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> Result<Option<i64>, StoreError>;

    /// Adds an attempt to a delivery's log.
    async fn insert_attempt(
        &mut self,
        delivery_id: i64,
        attempt: &Attempt,
    ) -> Result<(), StoreError>;

    /// Marks a subscription failing since `since` (unless it already is), or clears the
    /// mark with `None`.
    async fn set_failing(
        &mut self,
        subscription_id: i64,
        since: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;

    /// Makes a delivery of `subscription_id` pending and due at `now`; whether it exists.
    async fn reschedule(
        &mut self,
        subscription_id: i64,
        delivery_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Makes the writes durable.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// Records an attempt and its outcome, if `token` still holds the delivery; giving up
/// also marks the subscription failing. Whether it was recorded.
pub async fn record_attempt(
    store: &dyn WebhookStore,
    delivery_id: i64,
    token: i64,
    attempt: &Attempt,
    outcome: AttemptOutcome,
) -> Result<bool, StoreError> {
    let (status, next) = match outcome {
        AttemptOutcome::Delivered => (DeliveryStatus::Delivered, None),
        AttemptOutcome::RetryAt(at) => (DeliveryStatus::Pending, Some(at)),
        AttemptOutcome::GiveUp => (DeliveryStatus::Failed, None),
    };
    let mut tx = store.begin_webhooks().await?;
    let Some(subscription) = tx.finish_attempt(delivery_id, token, status, next).await? else {
        return Ok(false);
    };
    tx.insert_attempt(delivery_id, attempt).await?;
    if outcome == AttemptOutcome::GiveUp {
        tx.set_failing(subscription, Some(attempt.attempted_at))
            .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Makes a delivery due again at `now` (pending, its attempts kept) and clears the
/// subscription's failing mark. Whether the delivery exists for that subscription.
pub async fn redeliver(
    store: &dyn WebhookStore,
    subscription_id: i64,
    delivery_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut tx = store.begin_webhooks().await?;
    if !tx.reschedule(subscription_id, delivery_id, now).await? {
        return Ok(false);
    }
    tx.set_failing(subscription_id, None).await?;
    tx.commit().await?;
    Ok(true)
}

/// A page's `LIMIT` and `OFFSET`, as both backends bind them.
pub(crate) fn page_bounds(page: PageRequest) -> (i64, i64) {
    (
        i64::from(page.size),
        i64::try_from(page.offset()).unwrap_or(i64::MAX),
    )
}

/// The kinds list as stored: comma-separated.
pub(crate) fn kinds_column(kinds: &Option<Vec<String>>) -> Option<String> {
    kinds.as_ref().map(|k| k.join(","))
}

/// The inverse of [`kinds_column`].
pub(crate) fn kinds_from_column(column: Option<String>) -> Option<Vec<String>> {
    column.map(|c| {
        c.split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

/// The secrets signing at `now`: the current one, and the previous one until its
/// overlap ends.
pub(crate) fn secrets_at(
    secret: String,
    previous: Option<String>,
    previous_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<String> {
    let mut secrets = vec![secret];
    if let (Some(previous), Some(until)) = (previous, previous_until)
        && now < until
    {
        secrets.push(previous);
    }
    secrets
}

/// Puts each delivery's attempts (given as `(delivery id, attempt)`, oldest first) beside
/// it.
pub(crate) fn with_attempts(
    deliveries: Vec<Delivery>,
    attempts: Vec<(i64, Attempt)>,
) -> Vec<(Delivery, Vec<Attempt>)> {
    let mut by_delivery: std::collections::HashMap<i64, Vec<Attempt>> =
        std::collections::HashMap::new();
    for (id, attempt) in attempts {
        by_delivery.entry(id).or_default().push(attempt);
    }
    deliveries
        .into_iter()
        .map(|d| {
            let attempts = by_delivery.remove(&d.id).unwrap_or_default();
            (d, attempts)
        })
        .collect()
}
