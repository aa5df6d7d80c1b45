//! `GET /{resource}`: a page of one kind's orders, newest first, and the filter and
//! paging parameters it shares with `GET /customer-requests`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::LINK_ROOT;
use super::access::{ensure_may_list, list_customer};
use super::account_model::{
    AccountTerminationFields, AmendmentFields, DepositPayoutFields, DepositTerminationFields,
    MandateAssignmentFields, MandateRevocationFields, RedemptionFields,
};
use super::lookup::Lookup;
use super::model::{
    BlockadeFields, CardFields, IssuanceFields, KindFields, OrderView, ReplacementFields,
    TerminationFields,
};
use super::schema;
use super::standing_model::StandingOrderFields;
use crate::auth::{Principal, Scope};
use crate::domain::order::{Order, OrderKind, OrderStatus};
use crate::http::extract::ApiQuery;
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

/// Lists one kind's orders as a page of that kind's views.
async fn list_kind<F: KindFields>(
    state: &AppState,
    principal: &Principal,
    query: &ListOrdersQuery,
    sorting: &OrderSortQuery,
    paging: &PageQuery,
    kind: OrderKind,
) -> Result<Page<OrderView<F>>, ApiError> {
    principal.require(Scope::OrderRead)?;
    let mut errors = Errors::new();
    let params = query.params(sorting, paging);
    let listing = Listing::parse(principal, &params, Some(kind), &mut errors);
    errors.finish()?;
    listing.authorize(principal)?;
    let (orders, total) = listing.fetch(state).await?;
    let mut lookup = Lookup::new(state.stores.orders.as_ref());
    lookup.prefetch(&orders).await?;
    let mut items = Vec::with_capacity(orders.len());
    for order in &orders {
        items.push(lookup.view::<F>(order).await?);
    }
    let path = format!("/{}", kind.resource());
    Ok(listing.page(total, items, |n| listing.link(state, &path, &[], n)))
}

/// One list handler per kind, each answering with its kind's shape.
macro_rules! list_handler {
    ($handler:ident, $path:literal, $tag:literal, $kind:expr, $fields:ty, $what:literal) => {
        #[doc = concat!("Lists ", $what, ", newest first.")]
        #[utoipa::path(
            get,
            path = $path,
            tag = $tag,
            params(ListOrdersQuery, OrderSortQuery, PageQuery),
            responses(
                (status = 200, description = concat!("A page of ", $what), body = Page<OrderView<$fields>>),
                (status = 400, description = "A parameter is not valid"),
                (status = 403, description = "The token lacks customer-order:read"),
                (status = 404, description = "The customer is not the caller's"),
            )
        )]
        #[tracing::instrument(skip_all)]
        pub async fn $handler(
            State(state): State<AppState>,
            principal: Principal,
            ApiQuery(query): ApiQuery<ListOrdersQuery>,
            ApiQuery(sorting): ApiQuery<OrderSortQuery>,
            ApiQuery(paging): ApiQuery<PageQuery>,
        ) -> Result<Json<Page<OrderView<$fields>>>, ApiError> {
            list_kind::<$fields>(&state, &principal, &query, &sorting, &paging, $kind)
                .await
                .map(Json)
        }
    };
}

list_handler!(
    list_additional_card_issuances,
    "/additional-card-issuances",
    "additional-card-issuances",
    OrderKind::AdditionalCardIssuance,
    IssuanceFields,
    "requests for additional cards"
);
list_handler!(
    list_card_activations,
    "/card-activations",
    "card-activations",
    OrderKind::CardActivation,
    CardFields,
    "card activations"
);
list_handler!(
    list_card_blockades,
    "/card-blockades",
    "card-blockades",
    OrderKind::CardBlockade,
    BlockadeFields,
    "card blockades"
);
list_handler!(
    list_card_deblockades,
    "/card-deblockades",
    "card-deblockades",
    OrderKind::CardDeblockade,
    CardFields,
    "card deblockades"
);
list_handler!(
    list_card_terminations,
    "/card-terminations",
    "card-terminations",
    OrderKind::CardTermination,
    TerminationFields,
    "card terminations"
);
list_handler!(
    list_card_replacements,
    "/card-replacements",
    "card-replacements",
    OrderKind::CardReplacement,
    ReplacementFields,
    "card replacements"
);
list_handler!(
    list_current_account_terminations,
    "/current-account-terminations",
    "current-account-terminations",
    OrderKind::CurrentAccountTermination,
    AccountTerminationFields,
    "current account terminations"
);
list_handler!(
    list_bundled_account_terminations,
    "/bundled-account-terminations",
    "bundled-account-terminations",
    OrderKind::BundledAccountTermination,
    AccountTerminationFields,
    "bundled account terminations"
);
list_handler!(
    list_credit_facility_terminations,
    "/credit-facility-terminations",
    "credit-facility-terminations",
    OrderKind::CreditFacilityTermination,
    RedemptionFields,
    "credit facility terminations"
);
list_handler!(
    list_loan_terminations,
    "/loan-terminations",
    "loan-terminations",
    OrderKind::LoanTermination,
    RedemptionFields,
    "loan terminations"
);
list_handler!(
    list_mandate_assignments,
    "/mandate-assignments",
    "mandate-assignments",
    OrderKind::MandateAssignment,
    MandateAssignmentFields,
    "mandate assignments"
);
list_handler!(
    list_mandate_revocations,
    "/mandate-revocations",
    "mandate-revocations",
    OrderKind::MandateRevocation,
    MandateRevocationFields,
    "mandate revocations"
);
list_handler!(
    list_arrangement_amendments,
    "/arrangement-amendments",
    "arrangement-amendments",
    OrderKind::ArrangementAmendment,
    AmendmentFields,
    "arrangement amendments"
);
list_handler!(
    list_deposit_account_terminations,
    "/deposit-account-terminations",
    "deposit-account-terminations",
    OrderKind::DepositAccountTermination,
    DepositTerminationFields,
    "deposit account terminations"
);
list_handler!(
    list_deposit_payouts,
    "/deposit-payouts",
    "deposit-payouts",
    OrderKind::DepositPayout,
    DepositPayoutFields,
    "deposit interest payouts"
);
list_handler!(
    list_standing_orders,
    "/standing-orders",
    "standing-orders",
    OrderKind::StandingOrder,
    StandingOrderFields,
    "standing orders"
);
