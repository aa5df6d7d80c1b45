//! `POST /{resource}/{order-number}/retry` and `/reject` (API.md section 8): staff decide
//! about an order held for a person. Both are in the audit trail like every POST.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use utoipa::ToSchema;

use super::cancel::decided;
use super::get::load_visible;
use super::schema::OrderPath;
use crate::auth::{Principal, Scope};
use crate::domain::order::OrderKind;
use crate::http::extract::ApiJson;
use crate::http::validation::required_text;
use crate::http::{ApiError, ErrorLiteral, FieldError};
use crate::state::AppState;

/// The longest reason staff may give.
const REASON_MAX: usize = 500;

/// Why staff reject a held order; the customer's notification carries it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectHeld {
    /// Why the order ends here: at least one character that is not white space, and no
    /// control characters but tab, line feed and carriage return.
    #[schema(value_type = String, min_length = 1, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$", example = "the card processor confirmed it never blocked the card")]
    reason: Option<String>,
}

impl RejectHeld {
    fn validate(&self) -> Result<String, ApiError> {
        let raw = self.reason.as_deref().ok_or_else(|| {
            ApiError::field(FieldError::new(
                "reason",
                ErrorLiteral::Required,
                "reason is required",
            ))
        })?;
        required_text("reason", raw, REASON_MAX).map_err(ApiError::field)
    }
}

/// What staff decide.
enum Choice {
    Retry,
    Reject(String),
}

/// Checks who may decide, then decides. A customer's token is refused for its own order
/// (403) and cannot see anyone else's (404), so the lookup comes first.
/// `kind` is the resource's; `None` for `/orders/{order-number}/...`, which takes an
/// order of any kind (a standing order's payment has no resource of its own).
async fn decide(
    state: &AppState,
    principal: &Principal,
    kind: Option<OrderKind>,
    raw_number: &str,
    choice: Choice,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::OrderWrite)?;
    let order = match kind {
        Some(kind) => load_visible(state, principal, kind, raw_number).await?,
        None => super::any_kind::load_any(state, principal, raw_number).await?,
    };
    let kind = order.kind();
    if !principal.is_staff() {
        return Err(ApiError::Forbidden(
            "only bank staff (bank:staff) decide about held orders".into(),
        ));
    }
    let store = &state.stores.orders;
    let (decision, verb) = match &choice {
        Choice::Retry => (
            store.retry_order(order.number, Utc::now()).await?,
            "retried",
        ),
        Choice::Reject(reason) => (
            store.reject_order(order.number, reason, Utc::now()).await?,
            "rejected",
        ),
    };
    let order = decided(decision, kind, order.number)?;
    tracing::info!(order = %order.number, kind = kind.as_str(), decision = verb,
        "held order decided by staff");
    metrics::counter!("bankapi_held_orders_decided_total", "decision" => verb).increment(1);
    Ok(StatusCode::NO_CONTENT)
}

/// A `retry` and a `reject` handler per kind.
macro_rules! decide_handlers {
    ($retry:ident, $reject:ident, $retry_path:literal, $reject_path:literal, $tag:literal, $kind:expr) => {
        #[doc = "Runs a held order's step again, with the same idempotency key and its attempts counted afresh."]
        #[utoipa::path(
            post,
            path = $retry_path,
            tag = $tag,
            params(OrderPath),
            responses(
                (status = 204, description = "The step will run again"),
                (status = 400, description = "The number is not `WI` and ten digits"),
                (status = 403, description = "`forbidden`: the token lacks customer-order:write or bank:staff"),
                (status = 404, description = "No such order of this kind, or not the caller's"),
                (status = 409, description = "`request-status-not-eligible-for-retry`: the order is not held"),
            )
        )]
        #[tracing::instrument(skip_all, fields(order = %number))]
        pub async fn $retry(
            State(state): State<AppState>,
            principal: Principal,
            Path(OrderPath { number }): Path<OrderPath>,
        ) -> Result<StatusCode, ApiError> {
            decide(&state, &principal, $kind.into(), &number, Choice::Retry).await
        }

        #[doc = "Ends a held order rejected with the given reason, changing nothing; the customer is notified."]
        #[utoipa::path(
            post,
            path = $reject_path,
            tag = $tag,
            params(OrderPath),
            request_body = RejectHeld,
            responses(
                (status = 204, description = "Rejected; the customer is notified"),
                (status = 400, description = "The number or the reason is not valid"),
                (status = 403, description = "`forbidden`: the token lacks customer-order:write or bank:staff"),
                (status = 404, description = "No such order of this kind, or not the caller's"),
                (status = 409, description = "`request-status-not-eligible-for-rejection`: the order is not held"),
            )
        )]
        #[tracing::instrument(skip_all, fields(order = %number))]
        pub async fn $reject(
            State(state): State<AppState>,
            principal: Principal,
            Path(OrderPath { number }): Path<OrderPath>,
            body: ApiJson<RejectHeld>,
        ) -> Result<StatusCode, ApiError> {
            let reason = body.value.validate()?;
            decide(&state, &principal, $kind.into(), &number, Choice::Reject(reason)).await
        }
    };
}

decide_handlers!(
    retry_additional_card_issuance,
    reject_additional_card_issuance,
    "/additional-card-issuances/{order-number}/retry",
    "/additional-card-issuances/{order-number}/reject",
    "additional-card-issuances",
    OrderKind::AdditionalCardIssuance
);
decide_handlers!(
    retry_card_activation,
    reject_card_activation,
    "/card-activations/{order-number}/retry",
    "/card-activations/{order-number}/reject",
    "card-activations",
    OrderKind::CardActivation
);
decide_handlers!(
    retry_card_blockade,
    reject_card_blockade,
    "/card-blockades/{order-number}/retry",
    "/card-blockades/{order-number}/reject",
    "card-blockades",
    OrderKind::CardBlockade
);
decide_handlers!(
    retry_card_deblockade,
    reject_card_deblockade,
    "/card-deblockades/{order-number}/retry",
    "/card-deblockades/{order-number}/reject",
    "card-deblockades",
    OrderKind::CardDeblockade
);
decide_handlers!(
    retry_card_termination,
    reject_card_termination,
    "/card-terminations/{order-number}/retry",
    "/card-terminations/{order-number}/reject",
    "card-terminations",
    OrderKind::CardTermination
);
decide_handlers!(
    retry_card_replacement,
    reject_card_replacement,
    "/card-replacements/{order-number}/retry",
    "/card-replacements/{order-number}/reject",
    "card-replacements",
    OrderKind::CardReplacement
);
decide_handlers!(
    retry_current_account_termination,
    reject_current_account_termination,
    "/current-account-terminations/{order-number}/retry",
    "/current-account-terminations/{order-number}/reject",
    "current-account-terminations",
    OrderKind::CurrentAccountTermination
);
decide_handlers!(
    retry_bundled_account_termination,
    reject_bundled_account_termination,
    "/bundled-account-terminations/{order-number}/retry",
    "/bundled-account-terminations/{order-number}/reject",
    "bundled-account-terminations",
    OrderKind::BundledAccountTermination
);
decide_handlers!(
    retry_credit_facility_termination,
    reject_credit_facility_termination,
    "/credit-facility-terminations/{order-number}/retry",
    "/credit-facility-terminations/{order-number}/reject",
    "credit-facility-terminations",
    OrderKind::CreditFacilityTermination
);
decide_handlers!(
    retry_loan_termination,
    reject_loan_termination,
    "/loan-terminations/{order-number}/retry",
    "/loan-terminations/{order-number}/reject",
    "loan-terminations",
    OrderKind::LoanTermination
);
decide_handlers!(
    retry_mandate_assignment,
    reject_mandate_assignment,
    "/mandate-assignments/{order-number}/retry",
    "/mandate-assignments/{order-number}/reject",
    "mandate-assignments",
    OrderKind::MandateAssignment
);
decide_handlers!(
    retry_mandate_revocation,
    reject_mandate_revocation,
    "/mandate-revocations/{order-number}/retry",
    "/mandate-revocations/{order-number}/reject",
    "mandate-revocations",
    OrderKind::MandateRevocation
);
decide_handlers!(
    retry_arrangement_amendment,
    reject_arrangement_amendment,
    "/arrangement-amendments/{order-number}/retry",
    "/arrangement-amendments/{order-number}/reject",
    "arrangement-amendments",
    OrderKind::ArrangementAmendment
);
decide_handlers!(
    retry_deposit_account_termination,
    reject_deposit_account_termination,
    "/deposit-account-terminations/{order-number}/retry",
    "/deposit-account-terminations/{order-number}/reject",
    "deposit-account-terminations",
    OrderKind::DepositAccountTermination
);
decide_handlers!(
    retry_deposit_payout,
    reject_deposit_payout,
    "/deposit-payouts/{order-number}/retry",
    "/deposit-payouts/{order-number}/reject",
    "deposit-payouts",
    OrderKind::DepositPayout
);
decide_handlers!(
    retry_standing_order,
    reject_standing_order,
    "/standing-orders/{order-number}/retry",
    "/standing-orders/{order-number}/reject",
    "standing-orders",
    OrderKind::StandingOrder
);
decide_handlers!(
    retry_order,
    reject_order,
    "/orders/{order-number}/retry",
    "/orders/{order-number}/reject",
    "orders",
    Option::<OrderKind>::None
);
