//! `/webhook-subscriptions` (API.md section 10): the bank's systems subscribe to the
//! feed; staff only. Deliveries are made by [`crate::feed::webhooks`].

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::LINK_ROOT;
use super::webhook_views::{SubscriptionView, SubscriptionWithSecret};
use crate::auth::{Principal, Scope};
use crate::domain::webhook::{is_private, new_secret};
use crate::domain::{CustomerNumber, EventKind};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::paging::{Page, PageQuery};
use crate::http::validation::text;
use crate::http::{ApiError, ErrorLiteral, Errors, FieldError};
use crate::state::AppState;
use crate::store::webhooks::{NewSubscription, Subscription};

/// Longest target URL.
const URL_MAX: usize = 2048;
/// How long resolving a target's host may take before the subscription is refused.
const RESOLVE_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);
/// Longest description.
const DESCRIPTION_MAX: usize = 500;
/// Most event kinds one subscription names.
const KINDS_MAX: usize = 20;
/// How long the previous secret keeps signing after a rotation, so that receivers can
/// switch without missing a delivery.
const ROTATION_OVERLAP: chrono::Duration = chrono::Duration::hours(24);

/// A new subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewWebhookSubscription {
    /// Where deliveries are POSTed: `https://` (or `http://`), a public address unless
    /// `BANKAPI_WEBHOOK_ALLOW_PRIVATE` is set.
    #[schema(value_type = String, required = true, max_length = 2048, example = "https://crm.bank.example/hooks/bankapi")]
    url: Option<String>,
    /// Free text.
    #[schema(max_length = 500)]
    description: Option<String>,
    /// Only events of these kinds (the list's spellings); every kind when absent.
    #[schema(value_type = Option<Vec<super::schema::EventKindInput>>, max_items = 20)]
    event_kinds: Option<Vec<String>>,
    /// Only this customer's changes; every customer's when absent.
    #[schema(example = "1400269", pattern = "^[A-Z0-9]{1,20}$")]
    customer_number: Option<String>,
    /// Order status changes too (`order.status-changed`); default false.
    order_updates: Option<bool>,
}

/// The subscription's number in the path.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SubscriptionPath {
    /// The subscription's number.
    #[param(rename = "subscription-id", value_type = i64, minimum = 1)]
    #[serde(rename = "subscription-id")]
    id: String,
}

/// A number in a path: positive, else a 400 naming `tag`.
pub(super) fn path_number(tag: &str, raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
        ApiError::field(FieldError::new(
            tag,
            ErrorLiteral::InvalidFormat,
            format!("{tag} must be a positive number"),
        ))
    })
}

/// The subscription `raw` names, or a 404.
pub(super) async fn load(state: &AppState, raw: &str) -> Result<Subscription, ApiError> {
    let id = path_number("subscription-id", raw)?;
    state
        .stores
        .webhooks
        .subscription(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no webhook subscription {id}")))
}

/// Checks a target URL: its form, and that it does not point inside the bank.
async fn check_target(raw: &str, allow_private: bool) -> Result<String, FieldError> {
    let url = text("url", raw, URL_MAX)?;
    let invalid = |message: String| FieldError::new("url", ErrorLiteral::InvalidFormat, message);
    let parsed = url::Url::parse(&url).map_err(|e| invalid(format!("url is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("url must be http or https".into()));
    }
    let Some(host) = parsed.host_str() else {
        return Err(invalid("url must name a host".into()));
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid("url must not carry credentials".into()));
    }
    if allow_private {
        return Ok(url);
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<_> =
        tokio::time::timeout(RESOLVE_WITHIN, tokio::net::lookup_host((host, port)))
            .await
            .map_err(|_| invalid("the url's host could not be resolved in time".into()))?
            .map_err(|e| invalid(format!("the url's host cannot be resolved: {e}")))?
            .collect();
    if addresses.is_empty() || addresses.iter().any(|a| is_private(a.ip())) {
        return Err(FieldError::new(
            "url",
            ErrorLiteral::NotOnList,
            "the url points to a private, loopback or link-local address; only public targets are allowed",
        ));
    }
    Ok(url)
}

/// Subscribes a target to the feed.
#[utoipa::path(
    post,
    path = "/webhook-subscriptions",
    tag = "webhooks",
    request_body = NewWebhookSubscription,
    responses(
        (status = 201, description = "Subscribed; the secret is shown this once", body = SubscriptionWithSecret,
            headers(("Location" = String, description = "The new subscription"))),
        (status = 400, description = "A field is not valid, or the target is private"),
        (status = 403, description = "The token is not a staff token (bank:staff)"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn create_subscription(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson { value: body, .. }: ApiJson<NewWebhookSubscription>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Staff)?;
    let mut errors = Errors::new();
    let url = match body.url.as_deref() {
        Some(raw) => errors.check(check_target(raw, state.webhook_allow_private).await),
        None => {
            errors.required("url");
            None
        }
    };
    let description = body
        .description
        .as_deref()
        .and_then(|raw| errors.check(text("description", raw, DESCRIPTION_MAX)));
    let event_kinds = body.event_kinds.as_ref().map(|raw| {
        if raw.len() > KINDS_MAX {
            errors.push(FieldError::new(
                "event-kinds",
                ErrorLiteral::OutOfRange,
                format!("at most {KINDS_MAX} event kinds"),
            ));
        }
        let mut kinds: Vec<String> = raw
            .iter()
            .filter_map(|k| errors.check(EventKind::parse("event-kinds", k)))
            .map(|k| k.as_str().to_owned())
            .collect();
        kinds.sort();
        kinds.dedup();
        kinds
    });
    let customer_number = body
        .customer_number
        .as_deref()
        .and_then(|raw| errors.check(CustomerNumber::parse("customer-number", raw)))
        .map(|c| c.as_str().to_owned());
    errors.finish()?;
    let Some(url) = url else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "url missing after validation"
        )));
    };
    let secret = new_secret(rand::random());
    let id = state
        .stores
        .webhooks
        .create_subscription(&NewSubscription {
            url,
            description,
            event_kinds,
            customer_number,
            order_updates: body.order_updates.unwrap_or(false),
            secret: secret.clone(),
            created_at: Utc::now(),
        })
        .await?;
    tracing::info!(subscription = id, "webhook subscription created");
    let subscription = load(&state, &id.to_string()).await?;
    let view = SubscriptionView::of(subscription, &state);
    let location = HeaderValue::from_str(&view.uri)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("location: {e}")))?;
    let mut response = (
        StatusCode::CREATED,
        Json(SubscriptionWithSecret {
            subscription: view,
            secret,
        }),
    )
        .into_response();
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

/// Lists the subscriptions, oldest first.
#[utoipa::path(
    get,
    path = "/webhook-subscriptions",
    tag = "webhooks",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of subscriptions, without their secrets", body = Page<SubscriptionView>),
        (status = 403, description = "The token is not a staff token (bank:staff)"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list_subscriptions(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(paging): ApiQuery<PageQuery>,
) -> Result<Json<Page<SubscriptionView>>, ApiError> {
    principal.require(Scope::Staff)?;
    let mut errors = Errors::new();
    let page = paging.read(&mut errors);
    errors.finish()?;
    let (subscriptions, total) = state.stores.webhooks.subscriptions(page).await?;
    let items = subscriptions
        .into_iter()
        .map(|s| SubscriptionView::of(s, &state))
        .collect();
    let path = format!("{LINK_ROOT}/webhook-subscriptions");
    Ok(Json(Page::new(page, total, items, |n| {
        state.links.page(&path, page.size, n, &[])
    })))
}

/// One subscription, without its secret.
#[utoipa::path(
    get,
    path = "/webhook-subscriptions/{subscription-id}",
    tag = "webhooks",
    params(SubscriptionPath),
    responses(
        (status = 200, description = "The subscription", body = SubscriptionView),
        (status = 400, description = "The number is not a positive number"),
        (status = 403, description = "The token is not a staff token (bank:staff)"),
        (status = 404, description = "No such subscription"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn get_subscription(
    State(state): State<AppState>,
    principal: Principal,
    Path(path): Path<SubscriptionPath>,
) -> Result<Json<SubscriptionView>, ApiError> {
    principal.require(Scope::Staff)?;
    let subscription = load(&state, &path.id).await?;
    Ok(Json(SubscriptionView::of(subscription, &state)))
}

/// Ends a subscription; its pending deliveries are dropped.
#[utoipa::path(
    delete,
    path = "/webhook-subscriptions/{subscription-id}",
    tag = "webhooks",
    params(SubscriptionPath),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The number is not a positive number"),
        (status = 403, description = "The token is not a staff token (bank:staff)"),
        (status = 404, description = "No such subscription"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_subscription(
    State(state): State<AppState>,
    principal: Principal,
    Path(path): Path<SubscriptionPath>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Staff)?;
    let id = path_number("subscription-id", &path.id)?;
    if state.stores.webhooks.delete_subscription(id).await? {
        tracing::info!(subscription = id, "webhook subscription deleted");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no webhook subscription {id}")))
    }
}

/// Replaces the signing secret. For 24 hours deliveries carry a signature under each
/// secret, so receivers can switch without missing one.
#[utoipa::path(
    post,
    path = "/webhook-subscriptions/{subscription-id}/rotate-secret",
    tag = "webhooks",
    params(SubscriptionPath),
    responses(
        (status = 200, description = "The new secret, shown this once", body = SubscriptionWithSecret),
        (status = 400, description = "The number is not a positive number"),
        (status = 403, description = "The token is not a staff token (bank:staff)"),
        (status = 404, description = "No such subscription"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    principal: Principal,
    Path(path): Path<SubscriptionPath>,
) -> Result<Json<SubscriptionWithSecret>, ApiError> {
    principal.require(Scope::Staff)?;
    let id = path_number("subscription-id", &path.id)?;
    let secret = new_secret(rand::random());
    if !state
        .stores
        .webhooks
        .rotate_secret(id, &secret, Utc::now() + ROTATION_OVERLAP)
        .await?
    {
        return Err(ApiError::NotFound(format!("no webhook subscription {id}")));
    }
    tracing::info!(subscription = id, "webhook secret rotated");
    let subscription = load(&state, &path.id).await?;
    Ok(Json(SubscriptionWithSecret {
        subscription: SubscriptionView::of(subscription, &state),
        secret,
    }))
}
