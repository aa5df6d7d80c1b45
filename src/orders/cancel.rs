//! `PUT /{resource}/{order-number}/cancel` (the guide's step 5), also answered to `POST`
//! for clients that cannot send `PUT`: cancels an order whose irreversible step has not
//! started.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;

use super::get::load_visible;
use super::schema::OrderPath;
use crate::auth::{Principal, Scope};
use crate::domain::order::{Order, OrderKind, OrderNumber};
use crate::http::ApiError;
use crate::state::AppState;
use crate::store::Decision;

/// Cancels an order of `kind` the caller may see. Kind and visibility are checked first,
/// so that another kind's or another customer's order is a 404 and is left alone.
async fn cancel(
    state: &AppState,
    principal: &Principal,
    kind: OrderKind,
    raw_number: &str,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::OrderWrite)?;
    let order = load_visible(state, principal, kind, raw_number).await?;
    if let Some(ended) = super::standing_orders::end_if_set_up(state, &order).await {
        return ended;
    }
    let decision = state
        .stores
        .orders
        .cancel_order(order.number, Utc::now(), None)
        .await?;
    let order = decided(decision, kind, order.number)?;
    tracing::info!(order = %order.number, kind = kind.as_str(), "order canceled");
    metrics::counter!("bankapi_orders_canceled_total", "kind" => kind.as_str()).increment(1);
    Ok(StatusCode::NO_CONTENT)
}

/// The order a decision (cancel, retry, reject) left, or its answer: a refusal is a 409
/// with the rule's literal; an order gone meanwhile is a 404.
pub(super) fn decided(
    decision: Decision,
    kind: OrderKind,
    number: OrderNumber,
) -> Result<Box<Order>, ApiError> {
    match decision {
        Decision::Done(order) => Ok(order),
        Decision::Refused(refusal) => Err(ApiError::Conflict {
            problem: refusal.problem,
            detail: refusal.reason,
        }),
        Decision::NotFound => Err(ApiError::NotFound(format!("no {} {number}", kind.as_str()))),
    }
}

/// What a cancel answers, for the documents of both its methods.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its documentation is used: the handlers answer through `cancel`.
enum CancelAnswers {
    /// Canceled; nothing will be changed
    #[response(status = 204)]
    Canceled,
    /// The number is not `WI` and ten digits
    #[response(status = 400)]
    BadNumber,
    /// The token lacks customer-order:write
    #[response(status = 403)]
    Forbidden,
    /// No such order of this kind, or not the caller's
    #[response(status = 404)]
    NotFound,
    /// `request-status-not-eligible-for-cancelation`: the order's irreversible step has started, or the order is completed, rejected, expired, canceled or held
    #[response(status = 409)]
    NotEligible,
}

/// A `PUT` and a `POST` handler per kind.
macro_rules! cancel_handlers {
    ($put:ident, $post:ident, $path:literal, $tag:literal, $kind:expr, $what:literal) => {
        #[doc = concat!("Cancels ", $what, " that has not reached its irreversible step.")]
        #[utoipa::path(put, path = $path, tag = $tag, params(OrderPath), responses(CancelAnswers))]
        #[tracing::instrument(skip_all, fields(order = %number))]
        pub async fn $put(
            State(state): State<AppState>,
            principal: Principal,
            Path(OrderPath { number }): Path<OrderPath>,
        ) -> Result<StatusCode, ApiError> {
            cancel(&state, &principal, $kind, &number).await
        }

        #[doc = concat!("Cancels ", $what, ", as `PUT` does, for clients that cannot send `PUT`.")]
        #[utoipa::path(post, path = $path, tag = $tag, params(OrderPath), responses(CancelAnswers))]
        #[tracing::instrument(skip_all, fields(order = %number))]
        pub async fn $post(
            State(state): State<AppState>,
            principal: Principal,
            Path(OrderPath { number }): Path<OrderPath>,
        ) -> Result<StatusCode, ApiError> {
            cancel(&state, &principal, $kind, &number).await
        }
    };
}

cancel_handlers!(
    cancel_additional_card_issuance,
    cancel_additional_card_issuance_post,
    "/additional-card-issuances/{order-number}/cancel",
    "additional-card-issuances",
    OrderKind::AdditionalCardIssuance,
    "a request for an additional card"
);
cancel_handlers!(
    cancel_card_activation,
    cancel_card_activation_post,
    "/card-activations/{order-number}/cancel",
    "card-activations",
    OrderKind::CardActivation,
    "a card activation"
);
cancel_handlers!(
    cancel_card_blockade,
    cancel_card_blockade_post,
    "/card-blockades/{order-number}/cancel",
    "card-blockades",
    OrderKind::CardBlockade,
    "a card blockade"
);
cancel_handlers!(
    cancel_card_deblockade,
    cancel_card_deblockade_post,
    "/card-deblockades/{order-number}/cancel",
    "card-deblockades",
    OrderKind::CardDeblockade,
    "a card deblockade"
);
cancel_handlers!(
    cancel_card_termination,
    cancel_card_termination_post,
    "/card-terminations/{order-number}/cancel",
    "card-terminations",
    OrderKind::CardTermination,
    "a card termination"
);
cancel_handlers!(
    cancel_card_replacement,
    cancel_card_replacement_post,
    "/card-replacements/{order-number}/cancel",
    "card-replacements",
    OrderKind::CardReplacement,
    "a card replacement"
);
cancel_handlers!(
    cancel_current_account_termination,
    cancel_current_account_termination_post,
    "/current-account-terminations/{order-number}/cancel",
    "current-account-terminations",
    OrderKind::CurrentAccountTermination,
    "a current account termination"
);
cancel_handlers!(
    cancel_bundled_account_termination,
    cancel_bundled_account_termination_post,
    "/bundled-account-terminations/{order-number}/cancel",
    "bundled-account-terminations",
    OrderKind::BundledAccountTermination,
    "a bundled account termination"
);
cancel_handlers!(
    cancel_credit_facility_termination,
    cancel_credit_facility_termination_post,
    "/credit-facility-terminations/{order-number}/cancel",
    "credit-facility-terminations",
    OrderKind::CreditFacilityTermination,
    "a credit facility termination"
);
cancel_handlers!(
    cancel_loan_termination,
    cancel_loan_termination_post,
    "/loan-terminations/{order-number}/cancel",
    "loan-terminations",
    OrderKind::LoanTermination,
    "a loan termination"
);
cancel_handlers!(
    cancel_mandate_assignment,
    cancel_mandate_assignment_post,
    "/mandate-assignments/{order-number}/cancel",
    "mandate-assignments",
    OrderKind::MandateAssignment,
    "a mandate assignment"
);
cancel_handlers!(
    cancel_mandate_revocation,
    cancel_mandate_revocation_post,
    "/mandate-revocations/{order-number}/cancel",
    "mandate-revocations",
    OrderKind::MandateRevocation,
    "a mandate revocation"
);
cancel_handlers!(
    cancel_arrangement_amendment,
    cancel_arrangement_amendment_post,
    "/arrangement-amendments/{order-number}/cancel",
    "arrangement-amendments",
    OrderKind::ArrangementAmendment,
    "an arrangement amendment"
);
cancel_handlers!(
    cancel_deposit_account_termination,
    cancel_deposit_account_termination_post,
    "/deposit-account-terminations/{order-number}/cancel",
    "deposit-account-terminations",
    OrderKind::DepositAccountTermination,
    "a deposit account termination"
);
cancel_handlers!(
    cancel_deposit_payout,
    cancel_deposit_payout_post,
    "/deposit-payouts/{order-number}/cancel",
    "deposit-payouts",
    OrderKind::DepositPayout,
    "a deposit interest payout"
);
cancel_handlers!(
    cancel_standing_order,
    cancel_standing_order_post,
    "/standing-orders/{order-number}/cancel",
    "standing-orders",
    OrderKind::StandingOrder,
    "a standing order: before it is set up its order is canceled; once set up the standing order itself ends, and no further payment is made (one already under way goes on). A standing order"
);
