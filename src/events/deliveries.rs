//! `/webhook-subscriptions/{id}/deliveries`: what was sent to a subscription, every
//! attempt with its answer, and redelivery on request (staff only).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::LINK_ROOT;
use super::webhooks::{load, path_number};
use crate::auth::{Principal, Scope};
use crate::http::extract::ApiQuery;
use crate::http::paging::{Page, PageQuery};
use crate::http::{ApiError, Errors};
use crate::state::AppState;
use crate::store::webhooks::{Attempt, Delivery};

/// One attempt at a delivery.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AttemptView {
    /// When it was made.
    attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status; null when it did not answer.
    #[schema(minimum = 100, maximum = 599)]
    status_code: Option<u16>,
    /// How long it took.
    duration_ms: u64,
    /// Why it failed without an answer.
    #[schema(max_length = 500)]
    error: Option<String>,
}

impl From<Attempt> for AttemptView {
    fn from(a: Attempt) -> Self {
        Self {
            attempted_at: a.attempted_at,
            status_code: a.status_code,
            duration_ms: a.duration_ms,
            error: a.error,
        }
    }
}

/// A delivery and its attempts.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DeliveryView {
    /// Its number.
    delivery_id: i64,
    /// The `webhook-id` header: the same on every attempt.
    #[schema(max_length = 60)]
    webhook_id: String,
    /// `customer-event.created` or `order.status-changed`.
    #[schema(max_length = 40)]
    r#type: String,
    /// Whose change it carries.
    #[schema(max_length = 20)]
    customer_number: String,
    /// `pending`, `delivered` or `failed` (given up after three days).
    #[schema(max_length = 20)]
    status: &'static str,
    /// When the next attempt is due, while pending.
    next_attempt_at: Option<DateTime<Utc>>,
    /// When it was created.
    created_at: DateTime<Utc>,
    /// The attempts, oldest first (the latest 50 when there were more).
    attempts: Vec<AttemptView>,
}

impl DeliveryView {
    fn of(delivery: Delivery, attempts: Vec<Attempt>) -> Self {
        Self {
            delivery_id: delivery.id,
            webhook_id: delivery.message_id,
            r#type: delivery.event_type,
            customer_number: delivery.customer_number,
            status: delivery.status.as_str(),
            next_attempt_at: delivery.next_attempt_at,
            created_at: delivery.created_at,
            // The latest ones: redeliveries can add attempts without end.
            attempts: attempts
                .into_iter()
                .rev()
                .take(crate::http::limits::MAX_ATTEMPTS_SHOWN)
                .rev()
                .map(AttemptView::from)
                .collect(),
        }
    }
}

/// The subscription's and the delivery's numbers in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeliveryPath {
    /// The subscription's number.
    #[param(rename = "subscription-id", value_type = i64, minimum = 1)]
    #[serde(rename = "subscription-id")]
    subscription: String,
    /// The delivery's number.
    #[param(rename = "delivery-id", value_type = i64, minimum = 1)]
    #[serde(rename = "delivery-id")]
    delivery: String,
}

/// The subscription's number in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeliveriesPath {
    /// The subscription's number.
    #[param(rename = "subscription-id", value_type = i64, minimum = 1)]
    #[serde(rename = "subscription-id")]
    subscription: String,
}

/// A subscription's deliveries, newest first, with every attempt.
#[utoipa::path(
    get,
    path = "/webhook-subscriptions/{subscription-id}/deliveries",
    tag = "webhooks",
    params(DeliveriesPath, PageQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<DeliveryView>),
        (status = 400, description = "A parameter is not valid"),
        (status = 403, description = "The token is not a staff token (bank:staff)"),
        (status = 404, description = "No such subscription"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    principal: Principal,
    Path(path): Path<DeliveriesPath>,
    ApiQuery(paging): ApiQuery<PageQuery>,
) -> Result<Json<Page<DeliveryView>>, ApiError> {
    principal.require(Scope::Staff)?;
    let mut errors = Errors::new();
    let page = paging.read(&mut errors);
    errors.finish()?;
    let subscription = load(&state, &path.subscription).await?;
    let (deliveries, total) = state
        .stores
        .webhooks
        .deliveries(subscription.id, page)
        .await?;
    let items = deliveries
        .into_iter()
        .map(|(d, a)| DeliveryView::of(d, a))
        .collect();
    let link_path = format!(
        "{LINK_ROOT}/webhook-subscriptions/{}/deliveries",
        subscription.id
    );
    Ok(Json(Page::new(page, total, items, |n| {
        state.links.page(&link_path, page.size, n, &[])
    })))
}

/// Sends a delivery again now, under the same `webhook-id` (a failed one included); the
/// subscription stops being marked failing.
#[utoipa::path(
    post,
    path = "/webhook-subscriptions/{subscription-id}/deliveries/{delivery-id}/redeliver",
    tag = "webhooks",
    params(DeliveryPath),
    responses(
        (status = 202, description = "Scheduled for now"),
        (status = 400, description = "A number is not a positive number"),
        (status = 403, description = "The token is not a staff token (bank:staff)"),
        (status = 404, description = "No such subscription or delivery"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn redeliver(
    State(state): State<AppState>,
    principal: Principal,
    Path(path): Path<DeliveryPath>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Staff)?;
    let subscription = path_number("subscription-id", &path.subscription)?;
    let delivery = path_number("delivery-id", &path.delivery)?;
    if crate::store::webhooks::redeliver(
        state.stores.webhooks.as_ref(),
        subscription,
        delivery,
        Utc::now(),
    )
    .await?
    {
        tracing::info!(subscription, delivery, "webhook redelivery scheduled");
        state.webhook_due.notify_one();
        Ok(StatusCode::ACCEPTED)
    } else {
        Err(ApiError::NotFound(format!(
            "no delivery {delivery} of webhook subscription {subscription}"
        )))
    }
}
