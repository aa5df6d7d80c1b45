//! `GET /account-terminations` (API.md section 9): every kind of account termination of a
//! customer in one list, in the reference's flat shape, so that an app can show what is
//! being closed whatever the account's kind.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::listing::{ListOrdersQuery, Listing, OrderSortQuery};
use super::lookup::Lookup;
use crate::auth::{Principal, Scope};
use crate::domain::account::ArrangementKind;
use crate::domain::order::{Order, OrderKind, OrderRequest, OrderStatus};
use crate::http::ApiError;
use crate::http::Errors;
use crate::http::extract::ApiQuery;
use crate::http::limits::{MAX_NAME, clipped};
use crate::http::paging::{Page, PageQuery};
use crate::state::AppState;

/// The kinds this list shows.
const KINDS: [OrderKind; 5] = [
    OrderKind::CurrentAccountTermination,
    OrderKind::BundledAccountTermination,
    OrderKind::DepositAccountTermination,
    OrderKind::CreditFacilityTermination,
    OrderKind::LoanTermination,
];

/// One account termination, whatever the account's kind.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AccountTerminationItem {
    /// The work item's number.
    #[schema(example = "WI0000492475")]
    pub order_number: String,
    /// The kind of account closed (`arrangement-kind`).
    #[schema(example = "current-account")]
    pub kind: String,
    /// Where the order stands (`workitem-processing-status`).
    pub status: OrderStatus,
    /// The account's product (`product-code`), the reference's `product-number`.
    #[schema(example = "current-standard")]
    pub product_number: Option<String>,
    /// The product's name.
    pub product_name: Option<String>,
    /// When the order was accepted.
    #[serde(serialize_with = "crate::http::time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub creation_date: DateTime<Utc>,
    /// Until when it waits for confirmation and can be executed.
    #[serde(serialize_with = "crate::http::time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub expiration_date: DateTime<Utc>,
    /// When its status last changed.
    #[serde(serialize_with = "crate::http::time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub last_modification_date: DateTime<Utc>,
    /// The account owner's name.
    pub customer_name: Option<String>,
    /// The account owner.
    #[schema(example = "1400269")]
    pub customer_number: String,
    /// The account closed.
    #[schema(example = "0064200002022")]
    pub account_number: String,
    /// The account that takes a domestic balance; `null` when none.
    pub domestic_currency_settlement_account_number: Option<String>,
    /// The account that takes a foreign balance; `null` when none.
    pub foreign_currency_settlement_account_number: Option<String>,
    /// Whether a foreign balance was to be converted.
    pub convert_to_domestic_currency: bool,
    /// Whether the balance is paid out in cash.
    pub cash_payout: bool,
}

impl AccountTerminationItem {
    /// The item of `order`, an account termination; `None` for another kind.
    async fn of(lookup: &mut Lookup<'_>, order: &Order) -> Result<Option<Self>, ApiError> {
        let (account_number, kind, settlement) = match &order.request {
            OrderRequest::CurrentAccountTermination(t)
            | OrderRequest::BundledAccountTermination(t) => {
                (&t.account_number, t.account_kind, Some(&t.settlement))
            }
            OrderRequest::CreditFacilityTermination(r) | OrderRequest::LoanTermination(r) => {
                (&r.account_number, r.account_kind, None)
            }
            OrderRequest::DepositAccountTermination(d) => {
                (&d.account_number, ArrangementKind::DepositAccount, None)
            }
            _ => return Ok(None),
        };
        let facts = lookup.facts(order).await?;
        let account = |pick: fn(&crate::domain::kinds::Settlement) -> Option<String>| {
            settlement.and_then(pick)
        };
        Ok(Some(Self {
            order_number: order.number.to_string(),
            kind: kind.as_str().to_owned(),
            status: order.status,
            product_number: facts.product_code,
            product_name: facts.product_name.map(|n| clipped(n, MAX_NAME)),
            creation_date: order.creation_date,
            expiration_date: order.deadline,
            last_modification_date: order.status_date,
            customer_name: facts.owner_name.map(|n| clipped(n, MAX_NAME)),
            customer_number: order.owner.to_string(),
            account_number: account_number.to_string(),
            domestic_currency_settlement_account_number: account(|s| {
                s.domestic_account.as_ref().map(ToString::to_string)
            }),
            foreign_currency_settlement_account_number: account(|s| {
                s.foreign_account.as_ref().map(ToString::to_string)
            }),
            convert_to_domestic_currency: settlement
                .is_some_and(|s| s.convert_to_domestic_currency),
            cash_payout: settlement.is_some_and(|s| s.cash_payout),
        }))
    }
}

/// Lists a customer's account terminations of every kind, newest first.
#[utoipa::path(
    get,
    path = "/account-terminations",
    tag = "account-terminations",
    params(ListOrdersQuery, OrderSortQuery, PageQuery),
    responses(
        (status = 200, description = "A page of account terminations of every kind", body = Page<AccountTerminationItem>),
        (status = 400, description = "A parameter is not valid"),
        (status = 403, description = "The token lacks customer-order:read"),
        (status = 404, description = "The customer is not the caller's"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list_account_terminations(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<ListOrdersQuery>,
    ApiQuery(sorting): ApiQuery<OrderSortQuery>,
    ApiQuery(paging): ApiQuery<PageQuery>,
) -> Result<Json<Page<AccountTerminationItem>>, ApiError> {
    principal.require(Scope::OrderRead)?;
    let mut errors = Errors::new();
    let params = query.params(&sorting, &paging);
    let mut listing = Listing::parse(&principal, &params, None, &mut errors);
    errors.finish()?;
    listing.authorize(&principal)?;
    listing.filter.kinds = KINDS.to_vec();
    let (orders, total) = listing.fetch(&state).await?;
    let mut lookup = Lookup::new(state.stores.orders.as_ref());
    lookup.prefetch(&orders).await?;
    let mut items = Vec::with_capacity(orders.len());
    for order in &orders {
        items.extend(AccountTerminationItem::of(&mut lookup, order).await?);
    }
    Ok(Json(listing.page(total, items, |n| {
        listing.link(&state, "/account-terminations", &[], n)
    })))
}
