//! `POST /{resource}`: accepts an order as a work item (`202 Accepted`) after checking
//! its input, that the caller may act on the card or arrangement, and the bank's rules as
//! they stand now; the executor checks the rules again when it runs the order.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::LINK_ROOT;
use super::account_input::{
    NewBundledAccountTermination, NewCreditFacilityTermination, NewCurrentAccountTermination,
    NewLoanTermination,
};
use super::arrangement_input::{NewArrangementAmendment, NewDepositPayout, NewDepositTermination};
use super::input::{
    NewAdditionalCardIssuance, NewCardActivation, NewCardBlockade, NewCardDeblockade,
    NewCardReplacement, NewCardTermination, OrderBody, Validated,
};
use super::mandate_input::{NewMandateAssignment, NewMandateRevocation};
use super::model::CreatedOrder;
use super::schema::IdempotencyHeader;
use super::standing_input::NewStandingOrder;
use super::subject::load_subject;
use crate::auth::{Principal, Scope};
use crate::domain::execution::{self, Refusal};
use crate::domain::order::{Order, OrderKind, OrderNumber, OrderRequest, Parties};
use crate::http::extract::ApiJson;
use crate::http::{ApiError, idempotency};
use crate::state::AppState;
use crate::store::Recorded;

/// The answer to a business rule's refusal: 409 for a state conflict, 422 for a policy.
fn refused(refusal: Refusal) -> ApiError {
    if refusal.conflict {
        ApiError::Conflict {
            problem: refusal.problem,
            detail: refusal.reason,
        }
    } else {
        ApiError::Unprocessable {
            problem: refusal.problem,
            detail: refusal.reason,
        }
    }
}

/// Checks, stores and answers an order whose body is valid.
async fn accept(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
    raw_body: &[u8],
    validated: Validated,
) -> Result<Response, ApiError> {
    let Validated {
        mut request,
        description,
    } = validated;
    let kind = request.kind();
    let key = idempotency::from_request(
        headers,
        principal,
        &format!("POST {}", kind.resource()),
        raw_body,
    )?;
    // A retry must find its first answer even though the order it created now makes the
    // same request a duplicate (or has already changed the card).
    if let Some(key) = key.as_ref()
        && let Some(seen) = state.stores.orders.recorded_order(key).await?
    {
        return answer(state, kind, seen);
    }
    let subject = load_subject(state, principal, &request).await?;
    execution::check(&request, &subject.context()).map_err(refused)?;
    if let OrderRequest::ArrangementAmendment(amendment) = &mut request {
        // What the account was on, for the order's view once it has moved.
        amendment.previous_product_code = subject
            .accounts
            .get(&amendment.arrangement_number)
            .map(|a| a.product_code.clone());
    }

    let now = Utc::now();
    let deadline = now
        .checked_add_signed(state.orders.deadline)
        .unwrap_or(chrono::DateTime::<Utc>::MAX_UTC);
    let parties = Parties {
        owner: subject.owner,
        holder: subject.holder,
        arrangement_number: subject.arrangement_number,
    };
    let order = Order::proposed(request, description, parties, now, deadline);
    let order = execution::start(order, now, &state.orders.durations);
    let recorded = state.orders.acceptor.accept(order, key.as_ref()).await?;
    if let Recorded::Created(number) = &recorded {
        tracing::info!(order = %number, kind = kind.as_str(), "order accepted");
        metrics::counter!("bankapi_orders_accepted_total", "kind" => kind.as_str()).increment(1);
    }
    answer(state, kind, recorded)
}

/// The `202` for an order just created or replayed for a retry (the same body for the
/// same order either way), or the `422` for a key used with another request.
fn answer(
    state: &AppState,
    kind: OrderKind,
    recorded: Recorded<OrderNumber>,
) -> Result<Response, ApiError> {
    let number = match recorded {
        Recorded::Created(number) => number,
        Recorded::Replayed(resource) => OrderNumber::parse("id", &resource).map_err(|_| {
            ApiError::Internal(anyhow::anyhow!(
                "stored resource id {resource:?} is not an order number"
            ))
        })?,
        Recorded::KeyReused => return Err(idempotency::key_reused()),
    };
    let location = state
        .links
        .absolute(&format!("{LINK_ROOT}/{}/{number}", kind.resource()));
    let mut response = (
        StatusCode::ACCEPTED,
        Json(CreatedOrder::active(number.to_string())),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// One create handler per kind, so that each resource documents its own body.
macro_rules! create_handler {
    (
        $handler:ident, $path:literal, $tag:literal, $body:ty, $what:literal,
        $not_found:literal, $conflicts:literal, $policies:literal
    ) => {
        #[doc = concat!("Accepts ", $what, " as a work item.")]
        #[utoipa::path(
            post,
            path = $path,
            tag = $tag,
            request_body = $body,
            params(IdempotencyHeader),
            responses(
                (status = 202, description = "Accepted; `id` is the work item's number", body = CreatedOrder,
                    headers(("Location" = String, description = "The new order"))),
                (status = 400, description = "The body is not valid; every bad field is named"),
                (status = 403, description = "The token lacks customer-order:write"),
                (status = 404, description = $not_found),
                (status = 409, description = $conflicts),
                (status = 422, description = $policies),
            )
        )]
        #[tracing::instrument(skip_all)]
        pub async fn $handler(
            State(state): State<AppState>,
            principal: Principal,
            headers: HeaderMap,
            body: ApiJson<$body>,
        ) -> Result<Response, ApiError> {
            principal.require(Scope::OrderWrite)?;
            let validated = body.value.validate()?;
            accept(&state, &principal, &headers, &body.raw, validated).await
        }
    };
}

create_handler!(
    create_additional_card_issuance,
    "/additional-card-issuances",
    "additional-card-issuances",
    NewAdditionalCardIssuance,
    "a request for an additional card",
    "No such arrangement or customer, or the arrangement is not the caller's",
    "Refused by the current state: `active-additional-card-already-exists`, `request-already-exists` (the same request is still active)",
    "Refused by a policy: `owner-can-not-have-additional-card`, `policy-violation` (the arrangement is closed, allows no cards or is at its card limit); or `idempotency-key-reused`"
);
create_handler!(
    create_card_activation,
    "/card-activations",
    "card-activations",
    NewCardActivation,
    "a card activation",
    "No such card, or not the caller's",
    "Refused by the current state: `card-status-not-eligible` (the card's state forbids it), `request-already-exists` (the same order for this card is still active)",
    "`idempotency-key-reused`: the Idempotency-Key was used for another request"
);
create_handler!(
    create_card_blockade,
    "/card-blockades",
    "card-blockades",
    NewCardBlockade,
    "a card blockade",
    "No such card, or not the caller's",
    "Refused by the current state: `card-status-not-eligible` (the card's state forbids it), `request-already-exists` (the same order for this card is still active)",
    "`idempotency-key-reused`: the Idempotency-Key was used for another request"
);
create_handler!(
    create_card_deblockade,
    "/card-deblockades",
    "card-deblockades",
    NewCardDeblockade,
    "a card deblockade",
    "No such card, or not the caller's",
    "Refused by the current state: `card-status-not-eligible` (the card's state forbids it), `request-already-exists` (the same order for this card is still active)",
    "`policy-violation`: the card was blocked as lost or stolen and must be replaced; or `idempotency-key-reused`"
);
create_handler!(
    create_card_termination,
    "/card-terminations",
    "card-terminations",
    NewCardTermination,
    "a card termination",
    "No such card, or not the caller's",
    "Refused by the current state: `card-status-not-eligible` (the card's state forbids it), `request-already-exists` (the same order for this card is still active)",
    "`idempotency-key-reused`: the Idempotency-Key was used for another request"
);
create_handler!(
    create_card_replacement,
    "/card-replacements",
    "card-replacements",
    NewCardReplacement,
    "a card replacement",
    "No such card, or not the caller's",
    "Refused by the current state: `card-status-not-eligible` (the card's state forbids it), `request-already-exists` (the same order for this card is still active)",
    "`idempotency-key-reused`: the Idempotency-Key was used for another request"
);
create_handler!(
    create_current_account_termination,
    "/current-account-terminations",
    "current-account-terminations",
    NewCurrentAccountTermination,
    "a current account termination (it waits for the customer's confirmation)",
    "No such account, or it or a settlement account named is not the caller's",
    "Refused by the current state: `account-status-not-eligible` (the account is not active), `active-card-exists`, `linked-product-exists` (a deposit, loan or facility draws on it), `request-already-exists`",
    "Refused by a policy: `account-kind-not-eligible`, `settlement-account-not-eligible`, `policy-violation` (the account is overdrawn); or `idempotency-key-reused`"
);
create_handler!(
    create_bundled_account_termination,
    "/bundled-account-terminations",
    "bundled-account-terminations",
    NewBundledAccountTermination,
    "a bundled account termination (it waits for the customer's confirmation)",
    "No such account, or it or a settlement account named is not the caller's",
    "Refused by the current state: `account-status-not-eligible` (the account is not active), `active-card-exists`, `linked-product-exists` (a deposit, loan or facility draws on it), `request-already-exists`",
    "Refused by a policy: `account-kind-not-eligible`, `settlement-account-not-eligible`, `policy-violation` (the account is overdrawn); or `idempotency-key-reused`"
);
create_handler!(
    create_credit_facility_termination,
    "/credit-facility-terminations",
    "credit-facility-terminations",
    NewCreditFacilityTermination,
    "a credit facility termination (it waits for the customer's confirmation)",
    "No such account, or it or a settlement account named is not the caller's",
    "Refused by the current state: `account-status-not-eligible` (the account is not active), `request-already-exists`",
    "Refused by a policy: `account-kind-not-eligible`, `insufficient-funds` (the linked current account cannot cover what is owed), `policy-violation` (no linked current account in the credit's currency); or `idempotency-key-reused`"
);
create_handler!(
    create_loan_termination,
    "/loan-terminations",
    "loan-terminations",
    NewLoanTermination,
    "a loan termination (it waits for the customer's confirmation)",
    "No such account, or it or a settlement account named is not the caller's",
    "Refused by the current state: `account-status-not-eligible` (the account is not active), `request-already-exists`",
    "Refused by a policy: `account-kind-not-eligible`, `insufficient-funds` (the linked current account cannot cover what is owed), `policy-violation` (no linked current account in the credit's currency); or `idempotency-key-reused`"
);
create_handler!(
    create_mandate_assignment,
    "/mandate-assignments",
    "mandate-assignments",
    NewMandateAssignment,
    "a mandate assignment",
    "No such account or customer, or an account or the initiator is not the caller's",
    "Refused by the current state: `account-status-not-eligible`, `mandate-already-exists` (the customer already holds a mandate on the account), `request-already-exists`",
    "Refused by a policy: `policy-violation` (a holder is the initiator or does not exist); or `idempotency-key-reused`"
);
create_handler!(
    create_mandate_revocation,
    "/mandate-revocations",
    "mandate-revocations",
    NewMandateRevocation,
    "a mandate revocation",
    "No such mandate, or the caller neither gave nor holds it",
    "Refused by the current state: `mandate-status-not-eligible` (the mandate is already revoked), `request-already-exists`",
    "`idempotency-key-reused`: the Idempotency-Key was used for another request"
);
create_handler!(
    create_arrangement_amendment,
    "/arrangement-amendments",
    "arrangement-amendments",
    NewArrangementAmendment,
    "an arrangement amendment",
    "No such account, or not the caller's",
    "Refused by the current state: `account-status-not-eligible`, `product-already-active`, `request-already-exists`",
    "Refused by a policy: `product-not-eligible` (a product of another kind, or a card account); or `idempotency-key-reused`"
);
create_handler!(
    create_deposit_account_termination,
    "/deposit-account-terminations",
    "deposit-account-terminations",
    NewDepositTermination,
    "a deposit account termination (it waits for the customer's confirmation)",
    "No such deposit, or not the caller's",
    "Refused by the current state: `account-status-not-eligible` (the deposit is not active), `request-already-exists`",
    "Refused by a policy: `account-kind-not-eligible`, `policy-violation` (no interest terms, or no active current account in the deposit's currency); or `idempotency-key-reused`"
);
create_handler!(
    create_deposit_payout,
    "/deposit-payouts",
    "deposit-payouts",
    NewDepositPayout,
    "a deposit interest payout",
    "No such deposit, or not the caller's",
    "Refused by the current state: `account-status-not-eligible` (the deposit is not active), `request-already-exists`",
    "Refused by a policy: `account-kind-not-eligible`, `policy-violation` (another currency than the deposit's, no interest terms, or no active current account in its currency); or `idempotency-key-reused`"
);
create_handler!(
    create_standing_order,
    "/standing-orders",
    "standing-orders",
    NewStandingOrder,
    "a standing order (once set up, the engine makes each payment on its date)",
    "No such debtor account, or not the caller's",
    "Refused by the current state: `account-status-not-eligible` (the debtor or the creditor account is not active), `request-already-exists`",
    "Refused by a policy: `account-kind-not-eligible` (the debtor is not a current or bundled account), `policy-violation` (another currency than the debtor's or the creditor's, or a creditor outside the bank for `standing-order-internal`); or `idempotency-key-reused`"
);
