//! What staff see of a webhook subscription: the view every answer shows, and the one
//! answer (creation, rotation) that also shows the signing secret.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::LINK_ROOT;
use crate::domain::EventKind;
use crate::state::AppState;
use crate::store::webhooks::Subscription;

/// A subscription as staff see it. The secret is shown once, at creation and rotation.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SubscriptionView {
    /// Its number.
    #[schema(minimum = 1)]
    subscription_id: i64,
    /// Where deliveries go.
    #[schema(max_length = 2048)]
    url: String,
    /// Free text.
    #[schema(max_length = 500)]
    description: Option<String>,
    /// The event kinds delivered (canonical names); null: every kind.
    event_kinds: Option<Vec<EventKind>>,
    /// The customer whose changes are delivered; null: every customer.
    #[schema(max_length = 20)]
    customer_number: Option<String>,
    /// Whether order status changes are delivered.
    order_updates: bool,
    /// `active`, or `failing` once a delivery was given up after three days of failures
    /// (until a redelivery succeeds in being scheduled).
    #[schema(value_type = String, example = "active")]
    status: &'static str,
    /// Since when it is failing.
    failing_since: Option<DateTime<Utc>>,
    /// Until when the secret before the last rotation still signs.
    previous_secret_valid_until: Option<DateTime<Utc>>,
    /// When it was created.
    created_at: DateTime<Utc>,
    /// Absolute link to the subscription.
    #[schema(max_length = 2048)]
    pub(super) uri: String,
}

impl SubscriptionView {
    /// The view of `s`, with its absolute link; a previous secret past its overlap is
    /// not mentioned.
    pub(super) fn of(s: Subscription, state: &AppState) -> Self {
        let now = Utc::now();
        Self {
            uri: state
                .links
                .absolute(&format!("{LINK_ROOT}/webhook-subscriptions/{}", s.id)),
            subscription_id: s.id,
            url: s.url,
            description: s.description,
            event_kinds: s.event_kinds.map(|kinds| {
                kinds
                    .iter()
                    .filter_map(|k| EventKind::from_stored(k))
                    .collect()
            }),
            customer_number: s.customer_number,
            order_updates: s.order_updates,
            status: if s.failing_since.is_some() {
                "failing"
            } else {
                "active"
            },
            failing_since: s.failing_since,
            previous_secret_valid_until: s.previous_secret_until.filter(|until| *until > now),
            created_at: s.created_at,
        }
    }
}

/// A subscription with its signing secret: the only answers that show it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SubscriptionWithSecret {
    /// The subscription.
    #[serde(flatten)]
    pub(super) subscription: SubscriptionView,
    /// The signing secret (`whsec_` and base64), for a Standard Webhooks library to verify
    /// deliveries with. Keep it: it is never shown again.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", max_length = 60)]
    pub(super) secret: String,
}
