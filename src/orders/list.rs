//! `GET /{resource}`: a page of one kind's orders, newest first; the parameters it
//! shares with the other order lists are read in [`super::listing`].

use axum::Json;
use axum::extract::State;

use super::account_model::{
    AccountTerminationFields, AmendmentFields, DepositPayoutFields, DepositTerminationFields,
    MandateAssignmentFields, MandateRevocationFields, RedemptionFields,
};
use super::listing::{ListOrdersQuery, Listing, OrderSortQuery};
use super::lookup::Lookup;
use super::model::{
    BlockadeFields, CardFields, IssuanceFields, KindFields, OrderView, ReplacementFields,
    TerminationFields,
};
use super::standing_model::StandingOrderFields;
use crate::auth::{Principal, Scope};
use crate::domain::order::OrderKind;
use crate::http::extract::ApiQuery;
use crate::http::paging::{Page, PageQuery};
use crate::http::{ApiError, Errors};
use crate::state::AppState;

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
