//! `POST /{resource}/{order-number}/confirm` (API.md section 9): the customer confirms an
//! order that waits for it (`awaiting-confirmation`), and its action may run.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;

use super::cancel::decided;
use super::get::load_visible;
use super::schema::OrderPath;
use crate::auth::{Principal, Scope};
use crate::domain::order::{Order, OrderKind};
use crate::http::ApiError;
use crate::state::AppState;

/// Confirms an order of `kind` the caller may see; another kind's or another customer's
/// order is a 404 and is left alone.
pub(super) async fn confirm(
    state: &AppState,
    principal: &Principal,
    kind: OrderKind,
    raw_number: &str,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::OrderWrite)?;
    let order = load_visible(state, principal, kind, raw_number).await?;
    confirm_loaded(state, &order).await
}

/// Confirms `order`, already loaded and found to be the caller's.
pub(super) async fn confirm_loaded(
    state: &AppState,
    order: &Order,
) -> Result<StatusCode, ApiError> {
    let kind = order.kind();
    let decision = state
        .stores
        .orders
        .confirm_order(order.number, Utc::now())
        .await?;
    let order = decided(decision, kind, order.number)?;
    tracing::info!(order = %order.number, kind = kind.as_str(), "order confirmed");
    metrics::counter!("bankapi_orders_confirmed_total", "kind" => kind.as_str()).increment(1);
    Ok(StatusCode::NO_CONTENT)
}

/// A `confirm` handler per kind that waits for the customer.
macro_rules! confirm_handler {
    ($handler:ident, $path:literal, $tag:literal, $kind:expr, $what:literal) => {
        #[doc = concat!("Confirms ", $what, " that waits for the customer: its action runs next.")]
        #[utoipa::path(
            post,
            path = $path,
            tag = $tag,
            params(OrderPath),
            responses(
                (status = 204, description = "Confirmed; the order will be executed"),
                (status = 400, description = "The number is not `WI` and ten digits"),
                (status = 403, description = "The token lacks customer-order:write"),
                (status = 404, description = "No such order of this kind, or not the caller's"),
                (status = 409, description = "`request-status-not-eligible-for-confirmation`: the order is not awaiting confirmation, or its deadline has passed"),
            )
        )]
        #[tracing::instrument(skip_all, fields(order = %number))]
        pub async fn $handler(
            State(state): State<AppState>,
            principal: Principal,
            Path(OrderPath { number }): Path<OrderPath>,
        ) -> Result<StatusCode, ApiError> {
            confirm(&state, &principal, $kind, &number).await
        }
    };
}

confirm_handler!(
    confirm_current_account_termination,
    "/current-account-terminations/{order-number}/confirm",
    "current-account-terminations",
    OrderKind::CurrentAccountTermination,
    "a current account termination"
);
confirm_handler!(
    confirm_bundled_account_termination,
    "/bundled-account-terminations/{order-number}/confirm",
    "bundled-account-terminations",
    OrderKind::BundledAccountTermination,
    "a bundled account termination"
);
confirm_handler!(
    confirm_credit_facility_termination,
    "/credit-facility-terminations/{order-number}/confirm",
    "credit-facility-terminations",
    OrderKind::CreditFacilityTermination,
    "a credit facility termination"
);
confirm_handler!(
    confirm_loan_termination,
    "/loan-terminations/{order-number}/confirm",
    "loan-terminations",
    OrderKind::LoanTermination,
    "a loan termination"
);
confirm_handler!(
    confirm_deposit_account_termination,
    "/deposit-account-terminations/{order-number}/confirm",
    "deposit-account-terminations",
    OrderKind::DepositAccountTermination,
    "a deposit account termination"
);
