//! `GET /customer-requests`: every kind of order together, for a customer's overview of
//! what they asked for and where it stands.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::LINK_ROOT;
use super::listing::{ListOrdersQuery, Listing, OrderSortQuery};
use super::schema;
use crate::auth::{Principal, Scope};
use crate::domain::order::{Order, OrderKind, OrderStatus};
use crate::http::extract::ApiQuery;
use crate::http::links::Links;
use crate::http::paging::{Page, PageQuery};
use crate::http::{ApiError, Errors};
use crate::state::AppState;

/// The overview's own query parameter; it takes those of a kind's list besides
/// ([`ListOrdersQuery`], [`OrderSortQuery`], [`PageQuery`]). Text, so that validation,
/// not the framework, names a bad value; the schema says what it accepts.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "kebab-case")]
#[into_params(parameter_in = Query, rename_all = "kebab-case")]
pub struct CustomerRequestsQuery {
    /// Only this kind: an `order-type` literal (`card-blockade`) or its resource name
    /// (`card-blockades`).
    #[param(value_type = Option<schema::KindFilter>, inline)]
    kind: Option<String>,
}

/// One order in the overview.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CustomerRequest {
    /// The work item's number.
    #[schema(example = "WI0000492475")]
    pub order_number: String,
    /// The kind (`order-type` classification).
    #[schema(example = "card-blockade")]
    pub order_type: String,
    /// The customer who owns the card or arrangement.
    #[schema(example = "1400269")]
    pub customer_number: String,
    /// When the order was accepted.
    #[serde(serialize_with = "crate::http::time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub creation_date: DateTime<Utc>,
    /// Where the order stands (`workitem-processing-status`).
    pub status: OrderStatus,
    /// The status as the customer sees it (`customer-friendly-status`).
    #[schema(example = "active")]
    pub customer_friendly_status: String,
    /// When the status last changed.
    #[serde(serialize_with = "crate::http::time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub status_date: DateTime<Utc>,
    /// The customer's free text; `null` when none was given.
    pub description: Option<String>,
    /// Absolute link to the order under its own resource.
    pub uri: String,
}

impl CustomerRequest {
    /// The summary of `order`.
    pub(super) fn of(order: &Order, links: &Links) -> Self {
        let number = order.number.to_string();
        Self {
            uri: links.absolute(&format!(
                "{LINK_ROOT}/{}/{number}",
                order.kind().link_resource()
            )),
            order_number: number,
            order_type: order.kind().as_str().to_owned(),
            customer_number: order.owner.to_string(),
            creation_date: order.creation_date,
            status: order.status,
            customer_friendly_status: order.status.friendly().to_owned(),
            status_date: order.status_date,
            description: order.description.clone(),
        }
    }
}

/// Lists a customer's orders of every kind, newest first.
#[utoipa::path(
    get,
    path = "/customer-requests",
    tag = "customer-requests",
    params(ListOrdersQuery, CustomerRequestsQuery, OrderSortQuery, PageQuery),
    responses(
        (status = 200, description = "A page of orders of every kind", body = Page<CustomerRequest>),
        (status = 400, description = "A parameter is not valid"),
        (status = 403, description = "The token lacks customer-order:read"),
        (status = 404, description = "The customer is not the caller's"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list_customer_requests(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<ListOrdersQuery>,
    ApiQuery(only): ApiQuery<CustomerRequestsQuery>,
    ApiQuery(sorting): ApiQuery<OrderSortQuery>,
    ApiQuery(paging): ApiQuery<PageQuery>,
) -> Result<Json<Page<CustomerRequest>>, ApiError> {
    principal.require(Scope::OrderRead)?;
    let mut errors = Errors::new();
    let kind = only
        .kind
        .as_deref()
        .and_then(|raw| errors.check(OrderKind::parse("kind", raw)));
    let params = query.params(&sorting, &paging);
    let listing = Listing::parse(&principal, &params, kind, &mut errors);
    errors.finish()?;
    listing.authorize(&principal)?;
    let (orders, total) = listing.fetch(&state).await?;
    let items = orders
        .iter()
        .map(|o| CustomerRequest::of(o, &state.links))
        .collect();
    Ok(Json(listing.page(total, items, |n| {
        listing.link(
            &state,
            "/customer-requests",
            &[("kind", kind.map(OrderKind::as_str))],
            n,
        )
    })))
}
