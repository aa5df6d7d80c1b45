//! `GET /{resource}/{order-number}`: one order with its steps, as the guide's step 4
//! shows it.

use axum::Json;
use axum::extract::{Path, State};

use super::access::may_see_order;
use super::account_model::{
    AccountTerminationFields, AmendmentFields, DepositPayoutFields, DepositTerminationFields,
    MandateAssignmentFields, MandateRevocationFields, RedemptionFields,
};
use super::any_view::AnyOrderView;
use super::lookup::Lookup;
use super::model::{
    BlockadeFields, CardFields, IssuanceFields, OrderView, ReplacementFields, TerminationFields,
};
use super::schema::OrderPath;
use super::standing_model::StandingOrderFields;
use crate::auth::{Principal, Scope};
use crate::domain::order::{Order, OrderKind, OrderNumber};
use crate::http::ApiError;
use crate::state::AppState;

/// Loads an order of `kind` the caller may see. A malformed number is a 400; an order of
/// another kind, someone else's, or none at all are the same 404.
pub(super) async fn load_visible(
    state: &AppState,
    principal: &Principal,
    kind: OrderKind,
    raw_number: &str,
) -> Result<Order, ApiError> {
    let number = OrderNumber::parse("order-number", raw_number).map_err(ApiError::field)?;
    match state.stores.orders.get_order(number).await? {
        Some(order) if order.kind() == kind && may_see_order(principal, &order) => Ok(order),
        _ => Err(ApiError::NotFound(format!("no {} {number}", kind.as_str()))),
    }
}

/// One get handler per kind, each answering with its kind's shape.
macro_rules! get_handler {
    ($handler:ident, $path:literal, $tag:literal, $kind:expr, $fields:ty, $what:literal) => {
        #[doc = concat!("Returns ", $what, " with its progress.")]
        #[utoipa::path(
            get,
            path = $path,
            tag = $tag,
            params(OrderPath),
            responses(
                (status = 200, description = $what, body = OrderView<$fields>),
                (status = 400, description = "The number is not `WI` and ten digits"),
                (status = 403, description = "The token lacks customer-order:read"),
                (status = 404, description = "No such order of this kind, or not the caller's"),
            )
        )]
        #[tracing::instrument(skip_all, fields(order = %number))]
        pub async fn $handler(
            State(state): State<AppState>,
            principal: Principal,
            Path(OrderPath { number }): Path<OrderPath>,
        ) -> Result<Json<OrderView<$fields>>, ApiError> {
            principal.require(Scope::OrderRead)?;
            let order = load_visible(&state, &principal, $kind, &number).await?;
            let view = Lookup::new(state.stores.orders.as_ref())
                .view(&order)
                .await?;
            Ok(Json(view))
        }
    };
}

get_handler!(
    get_additional_card_issuance,
    "/additional-card-issuances/{order-number}",
    "additional-card-issuances",
    OrderKind::AdditionalCardIssuance,
    IssuanceFields,
    "a request for an additional card"
);
get_handler!(
    get_card_activation,
    "/card-activations/{order-number}",
    "card-activations",
    OrderKind::CardActivation,
    CardFields,
    "a card activation"
);
get_handler!(
    get_card_blockade,
    "/card-blockades/{order-number}",
    "card-blockades",
    OrderKind::CardBlockade,
    BlockadeFields,
    "a card blockade"
);
get_handler!(
    get_card_deblockade,
    "/card-deblockades/{order-number}",
    "card-deblockades",
    OrderKind::CardDeblockade,
    CardFields,
    "a card deblockade"
);
get_handler!(
    get_card_termination,
    "/card-terminations/{order-number}",
    "card-terminations",
    OrderKind::CardTermination,
    TerminationFields,
    "a card termination"
);
get_handler!(
    get_card_replacement,
    "/card-replacements/{order-number}",
    "card-replacements",
    OrderKind::CardReplacement,
    ReplacementFields,
    "a card replacement"
);

get_handler!(
    get_current_account_termination,
    "/current-account-terminations/{order-number}",
    "current-account-terminations",
    OrderKind::CurrentAccountTermination,
    AccountTerminationFields,
    "a current account termination"
);
get_handler!(
    get_bundled_account_termination,
    "/bundled-account-terminations/{order-number}",
    "bundled-account-terminations",
    OrderKind::BundledAccountTermination,
    AccountTerminationFields,
    "a bundled account termination"
);
get_handler!(
    get_credit_facility_termination,
    "/credit-facility-terminations/{order-number}",
    "credit-facility-terminations",
    OrderKind::CreditFacilityTermination,
    RedemptionFields,
    "a credit facility termination"
);
get_handler!(
    get_loan_termination,
    "/loan-terminations/{order-number}",
    "loan-terminations",
    OrderKind::LoanTermination,
    RedemptionFields,
    "a loan termination"
);

get_handler!(
    get_mandate_assignment,
    "/mandate-assignments/{order-number}",
    "mandate-assignments",
    OrderKind::MandateAssignment,
    MandateAssignmentFields,
    "a mandate assignment"
);

get_handler!(
    get_mandate_revocation,
    "/mandate-revocations/{order-number}",
    "mandate-revocations",
    OrderKind::MandateRevocation,
    MandateRevocationFields,
    "a mandate revocation"
);

get_handler!(
    get_arrangement_amendment,
    "/arrangement-amendments/{order-number}",
    "arrangement-amendments",
    OrderKind::ArrangementAmendment,
    AmendmentFields,
    "an arrangement amendment"
);

get_handler!(
    get_deposit_account_termination,
    "/deposit-account-terminations/{order-number}",
    "deposit-account-terminations",
    OrderKind::DepositAccountTermination,
    DepositTerminationFields,
    "a deposit account termination"
);

get_handler!(
    get_deposit_payout,
    "/deposit-payouts/{order-number}",
    "deposit-payouts",
    OrderKind::DepositPayout,
    DepositPayoutFields,
    "a deposit interest payout"
);

get_handler!(
    get_standing_order,
    "/standing-orders/{order-number}",
    "standing-orders",
    OrderKind::StandingOrder,
    StandingOrderFields,
    "a standing order: the order that sets it up and, once set up, the standing order as it stands (status, next payment date, a skipped payment)"
);

/// Order `number` as its kind's GET answers it, as JSON: what an `order.status-changed`
/// webhook carries. `None` if there is no such order.
pub async fn view_json(
    store: &dyn crate::store::OrderStore,
    number: OrderNumber,
) -> Result<Option<serde_json::Value>, ApiError> {
    let Some(order) = store.get_order(number).await? else {
        return Ok(None);
    };
    let mut lookup = Lookup::new(store);
    let view = AnyOrderView::of(&mut lookup, &order).await?;
    let value = serde_json::to_value(view).map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Some(value))
}
