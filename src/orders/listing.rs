//! The parameters every order list shares (customer, status, sort, paging): checked once
//! into a [`Listing`], which also builds the list's links and its page body.

use serde::Deserialize;
use utoipa::IntoParams;

use super::LINK_ROOT;
use super::access::{ensure_may_list, list_customer};
use super::schema;
use crate::auth::Principal;
use crate::domain::order::{Order, OrderKind, OrderStatus};
use crate::http::paging::{Page, PageQuery, SortOrder};
use crate::http::{ApiError, ErrorLiteral, Errors, FieldError};
use crate::state::AppState;
use crate::store::{OrderFilter, OrderSort};

/// Query parameters of a kind's list. All are text so that validation, not the
/// framework, names a bad value; their schemas say what that validation accepts.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "kebab-case")]
#[into_params(parameter_in = Query, rename_all = "kebab-case")]
pub struct ListOrdersQuery {
    /// Orders where this customer is owner or holder. A customer token defaults to its
    /// own customer; staff may leave it out to list every customer's orders.
    #[param(example = "1400269", value_type = Option<schema::CustomerNumberText>, inline)]
    customer_number: Option<String>,
    /// Only this `workitem-processing-status` (`proposed`, `approved`,
    /// `awaiting-confirmation`, `external-processing-in-progress`,
    /// `external-processing-succeeded`, `canceled`, `rejected`, `expired`, `held`).
    #[param(value_type = Option<schema::StatusFilter>, inline)]
    status: Option<String>,
}

/// How every order list is sorted, as sent. A handler reads it with an extractor of its
/// own beside its filters and its [`PageQuery`], so that no list's query type repeats it.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "kebab-case")]
#[into_params(parameter_in = Query, rename_all = "kebab-case")]
pub struct OrderSortQuery {
    /// `creation-date` (default), `status-date` or `order-number`.
    #[param(value_type = Option<schema::SortBy>, inline)]
    sort_by: Option<String>,
    /// `desc` (default, newest first) or `asc`.
    #[param(value_type = Option<schema::SortDirection>, inline)]
    sort_order: Option<String>,
}

/// The parameters every order list shares, as sent.
pub(super) struct ListParams<'a> {
    pub customer_number: Option<&'a str>,
    pub status: Option<&'a str>,
    pub sorting: &'a OrderSortQuery,
    pub paging: &'a PageQuery,
}

impl ListOrdersQuery {
    /// The shared parameters of a list of one kind (or of a family of kinds).
    pub(super) fn params<'a>(
        &'a self,
        sorting: &'a OrderSortQuery,
        paging: &'a PageQuery,
    ) -> ListParams<'a> {
        ListParams {
            customer_number: self.customer_number.as_deref(),
            status: self.status.as_deref(),
            sorting,
            paging,
        }
    }
}

/// Every order a list can be sorted in.
pub(super) const SORTS: [OrderSort; 3] = [
    OrderSort::CreationDate,
    OrderSort::StatusDate,
    OrderSort::OrderNumber,
];

/// The `sort-by` literal of `sort`.
pub(super) fn sort_literal(sort: OrderSort) -> &'static str {
    match sort {
        OrderSort::CreationDate => "creation-date",
        OrderSort::StatusDate => "status-date",
        OrderSort::OrderNumber => "order-number",
    }
}

fn parse_sort(raw: &str) -> Result<OrderSort, FieldError> {
    let wanted = raw.trim().to_ascii_lowercase();
    SORTS
        .into_iter()
        .find(|s| sort_literal(*s) == wanted)
    .ok_or_else(|| {
        FieldError::new(
            "sort-by",
            ErrorLiteral::NotOnList,
            format!(
                "orders can be sorted by creation-date, status-date or order-number, got {raw:?}"
            ),
        )
    })
}

pub(super) fn parse_status(raw: &str) -> Result<OrderStatus, FieldError> {
    OrderStatus::from_input(&raw.trim().to_ascii_lowercase()).ok_or_else(|| {
        FieldError::new(
            "status",
            ErrorLiteral::UnknownEnum,
            format!(
                "status must be one of {}, got {raw:?}",
                OrderStatus::ALL.map(OrderStatus::as_str).join(", ")
            ),
        )
    })
}

/// A checked order list request: the store's filter and what its links repeat.
pub(super) struct Listing {
    /// What to ask the store for.
    pub filter: OrderFilter,
    /// The `status` filter as sent, canonical, for the links.
    status_sent: Option<&'static str>,
    sort_by_sent: bool,
    sort_order_sent: bool,
}

impl Listing {
    /// Checks the shared parameters (recording faults in `errors`); the caller adds its
    /// own, finishes `errors`, then calls [`Listing::authorize`].
    pub(super) fn parse(
        principal: &Principal,
        params: &ListParams<'_>,
        kind: Option<OrderKind>,
        errors: &mut Errors,
    ) -> Self {
        let customer = list_customer(principal, params.customer_number, errors);
        let status = params
            .status
            .and_then(|raw| errors.check(parse_status(raw)));
        let sorting = params.sorting;
        let sort = sorting
            .sort_by
            .as_deref()
            .and_then(|raw| errors.check(parse_sort(raw)))
            .unwrap_or_default();
        let order = SortOrder::parse(sorting.sort_order.as_deref(), errors);
        let page = params.paging.read(errors);
        Self {
            filter: OrderFilter {
                kinds: kind.into_iter().collect(),
                customer,
                statuses: status.into_iter().collect(),
                sort,
                order,
                page,
            },
            status_sent: status.map(OrderStatus::as_str),
            sort_by_sent: sorting.sort_by.is_some(),
            sort_order_sent: sorting.sort_order.is_some(),
        }
    }

    /// Refuses (404) a list of another customer's orders.
    pub(super) fn authorize(&self, principal: &Principal) -> Result<(), ApiError> {
        ensure_may_list(principal, self.filter.customer.as_ref())
    }

    /// The absolute link to page `number` of this list at `path`, paging first, then the
    /// filters as given; `extra` are the list's own filters (`kind` of
    /// `/customer-requests`, `statuses` and `kinds` of `/orders`), after `status`.
    pub(super) fn link(
        &self,
        state: &AppState,
        path: &str,
        extra: &[(&str, Option<&str>)],
        number: u64,
    ) -> String {
        let f = &self.filter;
        let mut filters = vec![
            ("customer-number", f.customer.as_ref().map(|c| c.as_str())),
            ("status", self.status_sent),
        ];
        filters.extend_from_slice(extra);
        filters.push(("sort-by", self.sort_by_sent.then(|| sort_literal(f.sort))));
        filters.push(("sort-order", self.sort_order_sent.then(|| f.order.as_str())));
        state
            .links
            .page(&format!("{LINK_ROOT}{path}"), f.page.size, number, &filters)
    }

    /// The page body of `items`, echoing the sort they are in.
    pub(super) fn page<T>(
        &self,
        total: u64,
        items: Vec<T>,
        link: impl Fn(u64) -> String,
    ) -> Page<T> {
        let f = &self.filter;
        Page::new(f.page, total, items, link).sorted(sort_literal(f.sort), f.order)
    }

    /// Runs the query: the page's orders and the number of all that match.
    pub(super) async fn fetch(&self, state: &AppState) -> Result<(Vec<Order>, u64), ApiError> {
        Ok(state.stores.orders.list_orders(&self.filter).await?)
    }
}
