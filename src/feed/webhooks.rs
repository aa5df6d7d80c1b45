//! Webhooks (API.md section 10): the outbox fanned out into signed deliveries, and the
//! dispatcher that carries them with retries.
//!
//! - [`WebhookFanOut`] is a relay sink: for each feed entry and each subscription that
//!   wants it, one delivery row with its body fixed and its `webhook-id` taken from the
//!   entry's place in the feed, so a batch relayed twice creates nothing twice.
//! - [`Dispatcher`] claims due deliveries with a lease (only the oldest pending one per
//!   subscription and customer, so each customer's changes arrive in order), POSTs them
//!   signed, and records every attempt. A failure is retried with backoff for up to
//!   three days; then the delivery is given up and its subscription marked failing.
//!   Calls run concurrently, bounded for the process and per subscription, each within
//!   5 s, so a slow or dead receiver holds back only its own deliveries.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use serde_json::json;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use super::relay::Sink;
use crate::domain::order::{OrderNumber, OrderStatus};
use crate::domain::webhook::{retry_delay, signature_header};
use crate::events::model::EventItem;
use crate::http::links::Links;
use crate::store::OrderStore;
use crate::store::feed::{FeedEntry, FeedSubject};
use crate::store::webhooks::{
    Attempt, AttemptOutcome, DueDelivery, NewDelivery, Subscription, WebhookStore,
};

/// The type of a delivery for a registered event.
pub const EVENT_CREATED: &str = "customer-event.created";
/// The type of a delivery for an order's new status.
pub const ORDER_STATUS_CHANGED: &str = "order.status-changed";
/// How long a receiver has to answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);
/// Deliveries claimed per pass.
const CLAIM_BATCH: usize = 256;
/// Calls in flight for the process.
const IN_FLIGHT: usize = 64;
/// Calls in flight for one subscription, so that one slow receiver cannot take them all.
const IN_FLIGHT_PER_SUBSCRIPTION: usize = 8;

/// Turns feed entries into deliveries.
pub struct WebhookFanOut {
    webhooks: Arc<dyn WebhookStore>,
    orders: Arc<dyn OrderStore>,
    links: Links,
    /// Wakes this process's dispatcher when deliveries were created.
    created: Arc<Notify>,
}

impl WebhookFanOut {
    /// A fan-out into `webhooks`, reading orders from `orders` for their views; `created`
    /// is notified whenever deliveries were created.
    pub fn new(
        webhooks: Arc<dyn WebhookStore>,
        orders: Arc<dyn OrderStore>,
        links: Links,
        created: Arc<Notify>,
    ) -> Self {
        Self {
            webhooks,
            orders,
            links,
            created,
        }
    }

    /// The delivery type and `data` of `entry`, for the subscriptions that want it.
    async fn data(
        &self,
        entry: &FeedEntry,
    ) -> anyhow::Result<Option<(&'static str, serde_json::Value)>> {
        match &entry.subject {
            FeedSubject::Event(event) => Ok(Some((
                EVENT_CREATED,
                serde_json::to_value(EventItem::from_record(event, &self.links))?,
            ))),
            FeedSubject::OrderStatus {
                order_id, status, ..
            } => {
                let view =
                    crate::orders::get::view_json(self.orders.as_ref(), OrderNumber(*order_id))
                        .await
                        .map_err(|e| anyhow::anyhow!("order {order_id}: {e:?}"))?;
                // The view is read now, and the order may have moved on since this change:
                // the delivery says which status it announces.
                Ok(view.map(|mut view| {
                    if let (Some(fields), Some(changed)) =
                        (view.as_object_mut(), OrderStatus::from_stored(status))
                    {
                        fields.insert("status".into(), json!(changed.as_str()));
                        fields.insert("customer-friendly-status".into(), json!(changed.friendly()));
                    }
                    (ORDER_STATUS_CHANGED, view)
                }))
            }
        }
    }
}

/// Whether `subscription` wants `entry`.
fn wants(subscription: &Subscription, entry: &FeedEntry) -> bool {
    if subscription
        .customer_number
        .as_ref()
        .is_some_and(|c| *c != entry.customer_number)
    {
        return false;
    }
    match &entry.subject {
        FeedSubject::Event(event) => subscription
            .event_kinds
            .as_ref()
            .is_none_or(|kinds| kinds.iter().any(|k| k == event.kind.as_str())),
        FeedSubject::OrderStatus { .. } => subscription.order_updates,
    }
}

#[async_trait]
impl Sink for WebhookFanOut {
    fn name(&self) -> &str {
        "webhooks"
    }

    async fn ready(&self) -> anyhow::Result<()> {
        Ok(())
    }

    async fn interested(&self) -> bool {
        // One indexed read per pass; on error, read the entries and let `deliver` decide.
        self.webhooks.has_subscriptions().await.unwrap_or(true)
    }

    async fn deliver(&self, entries: &[FeedEntry]) -> anyhow::Result<()> {
        let subscriptions = self.webhooks.all_subscriptions().await?;
        if subscriptions.is_empty() {
            return Ok(());
        }
        let mut deliveries = Vec::new();
        for entry in entries {
            let wanted: Vec<&Subscription> =
                subscriptions.iter().filter(|s| wants(s, entry)).collect();
            if wanted.is_empty() {
                continue;
            }
            let Some((event_type, data)) = self.data(entry).await? else {
                continue;
            };
            let payload = json!({
                "type": event_type,
                "timestamp": crate::http::time::format(&entry.recorded_at),
                "data": data,
            })
            .to_string();
            let message_id = format!("msg_{}_{}", entry.cursor.xid, entry.cursor.position);
            for subscription in wanted {
                deliveries.push(NewDelivery {
                    subscription_id: subscription.id,
                    message_id: message_id.clone(),
                    customer_number: entry.customer_number.clone(),
                    event_type: event_type.to_owned(),
                    payload: payload.clone(),
                    created_at: Utc::now(),
                });
            }
        }
        if !deliveries.is_empty() {
            self.webhooks.insert_deliveries(&deliveries).await?;
            self.created.notify_one();
        }
        Ok(())
    }
}

/// Carries due deliveries to their receivers.
pub struct Dispatcher {
    store: Arc<dyn WebhookStore>,
    retry_scale: f64,
    client: reqwest::Client,
    poll: Duration,
    lease: chrono::Duration,
    in_flight: Arc<Semaphore>,
    created: Arc<Notify>,
}

impl Dispatcher {
    /// A dispatcher over `store` that looks for due deliveries when `created` is notified
    /// and every `poll` (retries falling due, deliveries created by other processes).
    /// `retry_scale` multiplies the waits between attempts. A claim on a delivery lasts
    /// `lease` (well past the answer's limit): how long a process that died mid-call
    /// holds up its customer's deliveries.
    pub fn new(
        store: Arc<dyn WebhookStore>,
        poll: Duration,
        lease: Duration,
        retry_scale: f64,
        created: Arc<Notify>,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(
            lease > ANSWER_WITHIN * 2,
            "a webhook delivery's claim must outlast two answer limits ({ANSWER_WITHIN:?})"
        );
        let client = reqwest::Client::builder()
            .timeout(ANSWER_WITHIN)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("bankapi-webhooks")
            .build()?;
        Ok(Self {
            store,
            retry_scale,
            client,
            poll,
            lease: chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX),
            in_flight: Arc::new(Semaphore::new(IN_FLIGHT)),
            created,
        })
    }

    /// Runs until `stop` turns true; calls in flight then finish.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let mut calls = JoinSet::new();
        let mut per_subscription: HashMap<i64, Arc<Semaphore>> = HashMap::new();
        while !*stop.borrow() {
            while calls.try_join_next().is_some() {}
            let now = Utc::now();
            let until = now + this.lease;
            let room = this.in_flight.available_permits().min(CLAIM_BATCH);
            let claimed = if room == 0 {
                Ok(Vec::new())
            } else {
                this.store.claim_deliveries(now, until, room).await
            };
            let count = match claimed {
                Ok(due) => {
                    let count = due.len();
                    for delivery in due {
                        let subscription = per_subscription
                            .entry(delivery.delivery.subscription_id)
                            .or_insert_with(|| Arc::new(Semaphore::new(IN_FLIGHT_PER_SUBSCRIPTION)))
                            .clone();
                        let this = this.clone();
                        let Ok(permit) = this.in_flight.clone().acquire_owned().await else {
                            break;
                        };
                        calls.spawn(async move {
                            let _own = subscription.acquire_owned().await;
                            this.attempt(delivery).await;
                            drop(permit);
                        });
                    }
                    count
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot claim webhook deliveries; retrying");
                    0
                }
            };
            if count < room.max(1) {
                tokio::select! {
                    () = tokio::time::sleep(this.poll) => {}
                    () = this.created.notified() => {}
                    _ = stop.changed() => {}
                }
            }
        }
        while calls.join_next().await.is_some() {}
    }

    /// One attempt: POST the body signed, then record what came of it.
    async fn attempt(&self, due: DueDelivery) {
        let delivery = &due.delivery;
        let started = Instant::now();
        let attempted_at = Utc::now();
        let timestamp = attempted_at.timestamp();
        let body = delivery.payload.as_bytes();
        let signature = signature_header(
            due.secrets.iter().map(String::as_str),
            &delivery.message_id,
            timestamp,
            body,
        );
        let answer = self
            .client
            .post(&due.url)
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(delivery.payload.clone())
            .send()
            .await;
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (status_code, error) = match &answer {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(error) if error.is_timeout() => (
                None,
                Some(format!("no answer within {} s", ANSWER_WITHIN.as_secs())),
            ),
            Err(error) => (
                None,
                Some(crate::http::limits::clipped(error.to_string(), 500)),
            ),
        };
        let delivered = status_code.is_some_and(|s| (200..300).contains(&s));
        let attempts = delivery.attempts.saturating_add(1);
        let outcome = if delivered {
            AttemptOutcome::Delivered
        } else {
            let since_first = (attempted_at - delivery.created_at)
                .to_std()
                .unwrap_or_default();
            match retry_delay(attempts, since_first, rand::random()) {
                Some(wait) => AttemptOutcome::RetryAt(
                    attempted_at
                        + chrono::Duration::from_std(wait.mul_f64(self.retry_scale))
                            .unwrap_or(chrono::Duration::MAX),
                ),
                None => AttemptOutcome::GiveUp,
            }
        };
        metrics::counter!("bankapi_webhook_attempts_total", "outcome" => if delivered { "delivered" } else { "failed" })
            .increment(1);
        match outcome {
            AttemptOutcome::GiveUp => tracing::warn!(
                subscription = delivery.subscription_id,
                delivery = delivery.id,
                "webhook delivery given up after three days; the subscription is marked failing"
            ),
            AttemptOutcome::RetryAt(at) => tracing::info!(
                subscription = delivery.subscription_id,
                delivery = delivery.id,
                status = ?status_code,
                error = error.as_deref().unwrap_or_default(),
                retry_at = %at,
                "webhook delivery failed; retrying"
            ),
            AttemptOutcome::Delivered => {}
        }
        let attempt = Attempt {
            attempted_at,
            status_code,
            duration_ms,
            error,
        };
        let recorded = crate::store::webhooks::record_attempt(
            self.store.as_ref(),
            delivery.id,
            due.token,
            &attempt,
            outcome,
        )
        .await;
        // The customer's next delivery may go now: claim again without waiting for the poll.
        self.created.notify_one();
        match recorded {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                delivery = delivery.id,
                "a webhook delivery's claim was lost before its attempt was recorded"
            ),
            Err(error) => {
                tracing::warn!(delivery = delivery.id, %error, "cannot record a webhook attempt; it will be made again")
            }
        }
    }
}
