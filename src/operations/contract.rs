//! The HTTP contract of API.md section 7 as an OpenAPI document: what a bank's system
//! of record implements for bankapi's HTTP adapter to call it. Served at
//! `/system-of-record/openapi.json`, so that the card processor's or core banking's team
//! can generate a server stub from it and check their answers against it. The paths here
//! are not routes of bankapi; they document the other side.

use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

/// The body bankapi POSTs: the operation and the order's own fields, named as the
/// order's GET view names them. Members a kind does not have are absent.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
pub struct OperationRequest {
    /// The step's name: `produce-card`, `activate-card`, `block-card`, `unblock-card`,
    /// `terminate-card`, `issue-replacement-card` at the card processor; `close-account`,
    /// `redeem-credit`, `grant-mandates`, `revoke-mandate`, `set-up-standing-order`,
    /// `make-payment` (and the other account steps) at core banking.
    #[schema(example = "activate-card", max_length = 64)]
    operation: String,
    /// The work item.
    #[schema(example = "WI0000492476", pattern = "^WI[0-9]{10}$")]
    order_number: String,
    /// The order's kind (`order-type` classification).
    #[schema(example = "card-activation", max_length = 64)]
    order_type: String,
    /// The owner of the card or arrangement.
    #[schema(example = "1400269", max_length = 20)]
    customer_number: String,
    /// The arrangement concerned.
    #[schema(example = "0064200001948", max_length = 34)]
    arrangement_number: String,
    /// The card, for card orders.
    #[schema(example = "C0000000202", max_length = 34)]
    card_id: Option<String>,
    /// An issuance's authorized customer.
    #[schema(max_length = 20)]
    authorized_customer_number: Option<String>,
    /// A blockade's reason (`card-blockade-reason`).
    #[schema(max_length = 64)]
    blockade_reason: Option<String>,
    /// A replacement's reason (`card-replacement-reason`).
    #[schema(max_length = 64)]
    replacement_reason: Option<String>,
    /// A termination's reason (`card-termination-reason`).
    #[schema(max_length = 64)]
    termination_reason: Option<String>,
    /// The name to print on a replacement card.
    #[schema(max_length = 26)]
    embossement_line_1: Option<String>,
    /// The account an account order closes or redeems.
    #[schema(example = "0064200002022", max_length = 34)]
    account_number: Option<String>,
    /// A closure's choice to pay the balance out in cash.
    cash_payout: Option<bool>,
    /// The account that takes a balance in the domestic currency.
    #[schema(max_length = 34)]
    domestic_currency_settlement_account_number: Option<String>,
    /// The account that takes a balance in a foreign currency.
    #[schema(max_length = 34)]
    foreign_currency_settlement_account_number: Option<String>,
    /// Whether a foreign balance should be converted.
    convert_to_domestic_currency: Option<bool>,
    /// The settlement bank's BIC.
    #[schema(max_length = 11)]
    swift_code: Option<String>,
    /// A redemption's reason (`redemption-reason`).
    #[schema(max_length = 64)]
    redemption_reason: Option<String>,
    /// The customer's words on a redemption.
    #[schema(max_length = 500)]
    additional_info: Option<String>,
    /// Who grants the mandates of an assignment.
    #[schema(max_length = 20)]
    initiator_customer_number: Option<String>,
    /// The mandates an assignment grants.
    #[schema(max_items = 20)]
    items: Option<Vec<OperationMandate>>,
    /// The mandate a revocation ends.
    #[schema(max_length = 34)]
    mandate_number: Option<String>,
    /// The product an amendment moves the account to (`product-code`).
    #[schema(max_length = 64)]
    new_product_code: Option<String>,
    /// The campaign an amendment was sold under.
    #[schema(max_length = 64)]
    campaign_code: Option<String>,
    /// The deposit whose interest a payout pays.
    #[schema(max_length = 34)]
    account: Option<String>,
    /// The currency a payout pays in (ISO 4217).
    #[schema(pattern = "^[A-Z]{3}$")]
    currency: Option<String>,
    /// What the customer calls a standing order.
    #[schema(max_length = 50)]
    nickname: Option<String>,
    /// A standing order's product (`product-code`).
    #[schema(max_length = 64)]
    product_code: Option<String>,
    /// Who a standing order or its payment pays, from which account, and how much.
    transfer_details: Option<OperationTransfer>,
    /// The first day a standing order is in force (`YYYY-MM-DD`).
    #[schema(format = Date)]
    start_date: Option<String>,
    /// The last day a standing order may pay on.
    #[schema(format = Date)]
    end_date: Option<String>,
    /// How often a standing order pays.
    frequency: Option<OperationFrequency>,
    /// The first date a standing order pays on.
    #[schema(format = Date)]
    first_payment_date: Option<String>,
    /// The standing order a payment belongs to (the order that set it up); the key
    /// `{order-number}:make-payment` is one per payment, so a date is paid once.
    #[schema(pattern = "^WI[0-9]{10}$")]
    standing_order_number: Option<String>,
    /// The date of the standing order's schedule a payment is for.
    #[schema(format = Date)]
    payment_date: Option<String>,
}

/// A standing order's transfer in an operation.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
pub struct OperationTransfer {
    /// The customer's account the money leaves.
    #[schema(max_length = 34)]
    debtor_account_number: String,
    /// Who receives it.
    #[schema(max_length = 70)]
    creditor_name: String,
    /// The account it goes to: at the bank, or an IBAN elsewhere.
    #[schema(max_length = 34)]
    creditor_account_number: String,
    /// Each payment.
    amount: OperationAmount,
    /// Shown to the creditor.
    #[schema(max_length = 140)]
    reference: Option<String>,
}

/// An exact amount: a decimal string with the currency's minor digits.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
pub struct OperationAmount {
    /// ISO 4217.
    #[schema(pattern = "^[A-Z]{3}$")]
    currency_code: String,
    /// `1250.50`.
    #[schema(example = "1250.50", max_length = 24)]
    amount: String,
}

/// A standing order's frequency in an operation.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
pub struct OperationFrequency {
    /// Units between two payments.
    #[schema(minimum = 1, maximum = 366)]
    period: u32,
    /// `days`, `months` or `years` (`unit-of-time`).
    #[schema(max_length = 16)]
    unit_of_time: String,
}

/// One mandate of an assignment's operation.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
pub struct OperationMandate {
    /// The initiator's account.
    #[schema(max_length = 34)]
    arrangement_number: String,
    /// What the holder calls it.
    #[schema(max_length = 100)]
    nickname: Option<String>,
    /// Who may act on it.
    #[schema(max_length = 20)]
    customer_number: String,
}

/// `status` of an answer.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
pub enum OperationStatus {
    /// Done.
    Succeeded,
    /// Accepted, not finished: bankapi polls `GET /operations/{reference}`.
    Pending,
    /// Refused for good: the order ends rejected with `reason`.
    Declined,
}

/// What an operation produced: a card, for `produce-card` and `issue-replacement-card`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
pub struct OperationResult {
    /// The new card's id (letters, digits, `-`, `_`, `.`; at most 64).
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    card_id: Option<String>,
    /// Its serial number.
    #[schema(max_length = 64)]
    serial_number: Option<String>,
    /// Its masked number (never the full one).
    #[schema(max_length = 64)]
    masked_number: Option<String>,
    /// Its last valid day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    expiry_date: Option<String>,
}

/// Every answer's body.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct OperationAnswer {
    /// Where the operation stands.
    status: OperationStatus,
    /// The system's reference; required with `pending` (letters, digits, `-`, `_`, `.`).
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    reference: Option<String>,
    /// Why it was declined.
    #[schema(max_length = 500)]
    reason: Option<String>,
    /// What it produced.
    result: Option<OperationResult>,
}

/// Carries out an operation, once per `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/operations",
    request_body = OperationRequest,
    params(
        ("Idempotency-Key" = String, Header, description = "`{order-number}:{step-name}`: the same on every retry, forever. A repeat must apply nothing again and answer as the first time; the same key with another body is a 409."),
    ),
    responses(
        (status = 200, description = "`succeeded`; an operation producing a card answers `result.card-id`", body = OperationAnswer),
        (status = 202, description = "`pending` with a `reference` to poll", body = OperationAnswer),
        (status = 409, description = "The key was used for another operation: bankapi holds the order for a person"),
        (status = 422, description = "`declined` with a `reason`: the order ends rejected", body = OperationAnswer),
        (status = 429, description = "Slow down; bankapi honours `Retry-After` (seconds)"),
        (status = 503, description = "Any 5xx, a timeout or a refused connection is retried with backoff and jitter, up to BANKAPI_OPERATIONS_MAX_ATTEMPTS"),
    ),
    security(("bearer" = []))
)]
#[allow(dead_code)]
fn post_operation() {}

/// The state of a pending operation.
#[utoipa::path(
    get,
    path = "/operations/{reference}",
    params(("reference" = String, Path, description = "From a `pending` answer")),
    responses(
        (status = 200, description = "`succeeded`, or `pending` again (bankapi asks again after 1 s, doubling up to 60 s)", body = OperationAnswer),
        (status = 422, description = "`declined`", body = OperationAnswer),
    ),
    security(("bearer" = []))
)]
#[allow(dead_code)]
fn poll_operation() {}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "System of record operations (implemented by the bank's systems, called by bankapi)",
        version = "1.0",
        description = "What bankapi's HTTP adapter (BANKAPI_OPERATIONS_URL) calls: the card processor's or core banking's side of API.md section 7. `Authorization: Bearer {BANKAPI_OPERATIONS_TOKEN}` is sent when that is set."
    ),
    paths(post_operation, poll_operation),
    components(schemas(OperationRequest, OperationAnswer, OperationStatus, OperationResult)),
    modifiers(&BearerToken),
)]
struct Contract;

/// The token bankapi sends: whatever the system issued for it.
struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("BANKAPI_OPERATIONS_TOKEN, when it is set"))
                    .build(),
            ),
        );
    }
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    Contract::openapi()
}
