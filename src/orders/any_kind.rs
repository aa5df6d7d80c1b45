//! The API family's newer generation of the Order API (API.md section 9), served beside
//! the per-kind resources over every kind: `GET /orders` (csv `statuses` and `kinds`),
//! `GET /me/orders`, `GET /orders/{order-number}`, and `POST /orders/{order-number}/cancel`
//! and `/confirm`. The per-kind handlers stay the guide's; these find an order by number
//! alone.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::access::may_see_order;
use super::any_view::AnyOrderView;
use super::cancel::decided;
use super::listing::{ListParams, Listing, OrderSortQuery, parse_status};
use super::lookup::Lookup;
use super::requests::CustomerRequest;
use super::schema::{self, OrderPath};
use crate::auth::{Principal, Scope};
#[cfg(test)]
use crate::domain::order::OrderStatus;
use crate::domain::order::{Order, OrderKind, OrderNumber};
use crate::http::extract::{ApiQuery, OptionalJson};
use crate::http::paging::{Page, PageQuery};
use crate::http::validation::text;
use crate::http::{ApiError, Errors, FieldError};
use crate::state::AppState;

/// Longest `cancelation-reason`.
const CANCELATION_REASON_MAX: usize = 500;

/// Query parameters of `GET /orders`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "kebab-case")]
#[into_params(parameter_in = Query, rename_all = "kebab-case")]
pub struct OrdersQuery {
    /// Orders where this customer is owner or holder. A customer token defaults to its
    /// own customer; staff may leave it out to list every customer's orders.
    #[param(example = "1400269", value_type = Option<schema::CustomerNumberText>, inline)]
    customer_number: Option<String>,
    /// Only these `workitem-processing-status` literals, comma-separated
    /// (`awaiting-confirmation,held`).
    #[param(value_type = Option<schema::StatusesFilter>, inline)]
    statuses: Option<String>,
    /// Only these kinds, comma-separated: `order-type` literals or resource names.
    #[param(value_type = Option<schema::KindsFilter>, inline)]
    kinds: Option<String>,
}

/// Query parameters of `GET /me/orders`: those of `GET /orders` but the customer, which
/// is the token's.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "kebab-case")]
#[into_params(parameter_in = Query, rename_all = "kebab-case")]
pub struct MyOrdersQuery {
    /// Only these `workitem-processing-status` literals, comma-separated.
    #[param(value_type = Option<schema::StatusesFilter>, inline)]
    statuses: Option<String>,
    /// Only these kinds, comma-separated: `order-type` literals or resource names.
    #[param(value_type = Option<schema::KindsFilter>, inline)]
    kinds: Option<String>,
}

/// The values of a csv parameter, each read by `parse`; an empty item is a fault.
fn csv<T>(
    errors: &mut Errors,
    raw: Option<&str>,
    parse: impl Fn(&str) -> Result<T, FieldError>,
) -> Vec<T> {
    raw.map(|raw| {
        raw.split(',')
            .filter_map(|item| errors.check(parse(item)))
            .collect()
    })
    .unwrap_or_default()
}

/// Lists orders of every kind as `/orders` and `/me/orders` (`mine`) do. The parameters
/// are checked first, so that a bad one is a 400 whoever asks.
async fn list_any(
    state: &AppState,
    principal: &Principal,
    path: &str,
    params: &ListParams<'_>,
    statuses: Option<&str>,
    kinds: Option<&str>,
    mine: bool,
) -> Result<Page<CustomerRequest>, ApiError> {
    principal.require(Scope::OrderRead)?;
    let mut errors = Errors::new();
    let statuses = csv(&mut errors, statuses, |raw| {
        parse_status(raw).map_err(|e| FieldError {
            tag: "statuses".into(),
            ..e
        })
    });
    let kinds = csv(&mut errors, kinds, |raw| OrderKind::parse("kinds", raw));
    let mut listing = Listing::parse(principal, params, None, &mut errors);
    errors.finish()?;
    if mine && params.customer_number.is_none() {
        return Err(ApiError::Forbidden(
            "the token names no customer (its customer-number claim)".into(),
        ));
    }
    listing.authorize(principal)?;
    listing.filter.statuses = statuses;
    listing.filter.kinds = kinds;
    let (orders, total) = listing.fetch(state).await?;
    let items = orders
        .iter()
        .map(|o| CustomerRequest::of(o, &state.links))
        .collect();
    let f = &listing.filter;
    let statuses = (!f.statuses.is_empty()).then(|| {
        f.statuses
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    });
    let kinds = (!f.kinds.is_empty()).then(|| {
        f.kinds
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(",")
    });
    let extra = [
        ("statuses", statuses.as_deref()),
        ("kinds", kinds.as_deref()),
    ];
    Ok(listing.page(total, items, |n| listing.link(state, path, &extra, n)))
}

/// Lists orders of every kind, filtered by sets of statuses and kinds.
#[utoipa::path(
    get,
    path = "/orders",
    tag = "orders",
    params(OrdersQuery, OrderSortQuery, PageQuery),
    responses(
        (status = 200, description = "A page of orders of every kind, newest first", body = Page<CustomerRequest>),
        (status = 400, description = "A parameter is not valid"),
        (status = 403, description = "The token lacks customer-order:read"),
        (status = 404, description = "The customer is not the caller's"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list_orders(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<OrdersQuery>,
    ApiQuery(sorting): ApiQuery<OrderSortQuery>,
    ApiQuery(paging): ApiQuery<PageQuery>,
) -> Result<Json<Page<CustomerRequest>>, ApiError> {
    let params = ListParams {
        customer_number: query.customer_number.as_deref(),
        status: None,
        sorting: &sorting,
        paging: &paging,
    };
    let (statuses, kinds) = (query.statuses.as_deref(), query.kinds.as_deref());
    list_any(
        &state, &principal, "/orders", &params, statuses, kinds, false,
    )
    .await
    .map(Json)
}

/// Lists the token's own customer's orders of every kind.
#[utoipa::path(
    get,
    path = "/me/orders",
    tag = "orders",
    params(MyOrdersQuery, OrderSortQuery, PageQuery),
    responses(
        (status = 200, description = "A page of the caller's orders, newest first", body = Page<CustomerRequest>),
        (status = 400, description = "A parameter is not valid"),
        (status = 403, description = "`forbidden`: the token lacks customer-order:read or names no customer"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list_my_orders(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<MyOrdersQuery>,
    ApiQuery(sorting): ApiQuery<OrderSortQuery>,
    ApiQuery(paging): ApiQuery<PageQuery>,
) -> Result<Json<Page<CustomerRequest>>, ApiError> {
    let params = ListParams {
        customer_number: principal.customer_number.as_ref().map(|c| c.as_str()),
        status: None,
        sorting: &sorting,
        paging: &paging,
    };
    let (statuses, kinds) = (query.statuses.as_deref(), query.kinds.as_deref());
    list_any(
        &state,
        &principal,
        "/me/orders",
        &params,
        statuses,
        kinds,
        true,
    )
    .await
    .map(Json)
}

/// Loads an order of any kind the caller may see; someone else's is a 404.
pub(super) async fn load_any(
    state: &AppState,
    principal: &Principal,
    raw: &str,
) -> Result<Order, ApiError> {
    let number = OrderNumber::parse("order-number", raw).map_err(ApiError::field)?;
    match state.stores.orders.get_order(number).await? {
        Some(order) if may_see_order(principal, &order) => Ok(order),
        _ => Err(ApiError::NotFound(format!("no order {number}"))),
    }
}

/// Returns an order of any kind in its kind's view.
#[utoipa::path(
    get,
    path = "/orders/{order-number}",
    tag = "orders",
    params(OrderPath),
    responses(
        (status = 200, description = "The order in its kind's view", body = AnyOrderView),
        (status = 400, description = "The number is not `WI` and ten digits"),
        (status = 403, description = "The token lacks customer-order:read"),
        (status = 404, description = "No such order, or not the caller's"),
    )
)]
#[tracing::instrument(skip_all, fields(order = %number))]
pub async fn get_order(
    State(state): State<AppState>,
    principal: Principal,
    Path(OrderPath { number }): Path<OrderPath>,
) -> Result<Json<AnyOrderView>, ApiError> {
    principal.require(Scope::OrderRead)?;
    let order = load_any(&state, &principal, &number).await?;
    let mut lookup = Lookup::new(state.stores.orders.as_ref());
    AnyOrderView::of(&mut lookup, &order).await.map(Json)
}

/// Why the customer cancels an order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CancelOrder {
    /// The customer's words, up to 500 characters; shown as the order's
    /// `cancelation-reason`.
    #[schema(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$", example = "changed my mind")]
    cancelation_reason: Option<String>,
}

/// Cancels an order of any kind that has not reached its irreversible step.
#[utoipa::path(
    post,
    path = "/orders/{order-number}/cancel",
    tag = "orders",
    params(OrderPath),
    request_body = Option<CancelOrder>,
    responses(
        (status = 204, description = "Canceled; nothing will be changed"),
        (status = 400, description = "The number or the reason is not valid"),
        (status = 403, description = "The token lacks customer-order:write"),
        (status = 404, description = "No such order, or not the caller's"),
        (status = 409, description = "`request-status-not-eligible-for-cancelation`: the order's irreversible step has started, or the order is completed, rejected, expired, canceled or held"),
    )
)]
#[tracing::instrument(skip_all, fields(order = %number))]
pub async fn cancel_order(
    State(state): State<AppState>,
    principal: Principal,
    Path(OrderPath { number }): Path<OrderPath>,
    OptionalJson(body): OptionalJson<CancelOrder>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::OrderWrite)?;
    let reason = body
        .and_then(|b| b.cancelation_reason)
        .filter(|r| !r.trim().is_empty())
        .map(|r| text("cancelation-reason", &r, CANCELATION_REASON_MAX))
        .transpose()
        .map_err(ApiError::field)?;
    let order = load_any(&state, &principal, &number).await?;
    if let Some(ended) = super::standing_orders::end_if_set_up(&state, &order).await {
        return ended;
    }
    let kind = order.kind();
    let decision = state
        .stores
        .orders
        .cancel_order(order.number, Utc::now(), reason)
        .await?;
    let order = decided(decision, kind, order.number)?;
    tracing::info!(order = %order.number, kind = kind.as_str(), "order canceled");
    metrics::counter!("bankapi_orders_canceled_total", "kind" => kind.as_str()).increment(1);
    Ok(StatusCode::NO_CONTENT)
}

/// Confirms an order of any kind that waits for the customer.
#[utoipa::path(
    post,
    path = "/orders/{order-number}/confirm",
    tag = "orders",
    params(OrderPath),
    responses(
        (status = 204, description = "Confirmed; the order will be executed"),
        (status = 400, description = "The number is not `WI` and ten digits"),
        (status = 403, description = "The token lacks customer-order:write"),
        (status = 404, description = "No such order, or not the caller's"),
        (status = 409, description = "`request-status-not-eligible-for-confirmation`: the order is not awaiting confirmation, or its deadline has passed"),
    )
)]
#[tracing::instrument(skip_all, fields(order = %number))]
pub async fn confirm_order(
    State(state): State<AppState>,
    principal: Principal,
    Path(OrderPath { number }): Path<OrderPath>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::OrderWrite)?;
    let order = load_any(&state, &principal, &number).await?;
    super::confirm::confirm_loaded(&state, &order).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_statuses_take_every_spelling_and_name_a_bad_one() {
        let mut errors = Errors::new();
        let parsed = csv(
            &mut errors,
            Some("proposed,external-processing-succeded"),
            parse_status,
        );
        assert!(errors.finish().is_ok());
        assert_eq!(
            parsed,
            [
                OrderStatus::Proposed,
                OrderStatus::ExternalProcessingSucceeded
            ]
        );
        for bad in ["proposed,,held", "nope"] {
            let mut errors = Errors::new();
            csv(&mut errors, Some(bad), parse_status);
            assert!(errors.finish().is_err(), "{bad}");
        }
    }
}
