//! The JSON shapes of orders: the create answer, and an order as GET returns it, with
//! the fields every kind shares around the fields of its own kind.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use crate::domain::kinds::{
    AdditionalCardIssuance, CardActivation, CardBlockade, CardDeblockade, CardReplacement,
    CardTermination,
};
use crate::domain::order::{Order, OrderRequest, OrderStatus, Step, StepStatus};
use crate::http::ApiError;
use crate::http::limits::{MAX_NAME, MAX_REASON, clipped};
use crate::http::openapi::{one_of, schema_type};

schema_type!(
    /// The one `CreatedRecordStatus` of an accepted order.
    ActiveStatus => one_of(["active"])
);

/// The answer to a create, as the guide shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedOrder {
    /// The work item's number (`WI` and ten digits).
    #[schema(example = "WI0000492475")]
    pub id: String,
    /// Always `active`: the order is accepted and will be executed.
    #[serde(rename = "CreatedRecordStatus")]
    #[schema(value_type = ActiveStatus, inline, example = "active")]
    pub created_record_status: String,
}

impl CreatedOrder {
    /// The body for a newly accepted (or replayed) order.
    pub fn active(id: String) -> Self {
        Self {
            id,
            created_record_status: "active".into(),
        }
    }
}

/// Serializes an optional instant as RFC 3339 UTC, or `null`.
fn optional_time<S: Serializer>(
    at: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => crate::http::time::serialize(at, serializer),
        None => serializer.serialize_none(),
    }
}

/// One step of an order's execution.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct StepView {
    /// What the step does (`check-card`, `block-card`, `notify-customer`...).
    #[schema(example = "check-card")]
    pub name: String,
    /// Its progress.
    pub status: StepStatus,
    /// When it started; `null` until then.
    #[serde(serialize_with = "optional_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished; `null` until then.
    #[serde(serialize_with = "optional_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<DateTime<Utc>>,
    /// Failed calls in a row to the bank's system of record for this step.
    pub attempts: u32,
    /// Why the last call failed; `null` when none did.
    pub last_error: Option<String>,
}

impl From<&Step> for StepView {
    /// Step times are cut to microseconds, the precision of the order's own dates, so
    /// that the first step's `started-at` reads exactly like the order's `creation-date`.
    fn from(step: &Step) -> Self {
        Self {
            name: step.name.clone(),
            status: step.status,
            started_at: step.started_at.map(|at| at.trunc_subsecs(6)),
            finished_at: step.finished_at.map(|at| at.trunc_subsecs(6)),
            attempts: step.attempts,
            last_error: step
                .last_error
                .as_deref()
                .map(|e| clipped(e.to_owned(), MAX_REASON)),
        }
    }
}

/// What an order's view shows beyond the order itself, read from the store: names,
/// the product and the card's serial number. Missing records leave `null`s rather than
/// failing the read.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The owner's full name.
    pub owner_name: Option<String>,
    /// The holder's (for an issuance: the authorized customer's) full name.
    pub holder_name: Option<String>,
    /// The arrangement's card product.
    pub product_code: Option<String>,
    /// The order's card's serial number.
    pub serial_number: Option<String>,
    /// The account's product name (account orders).
    pub product_name: Option<String>,
    /// The standing order a set-up order created, as it now stands.
    pub standing_order: Option<crate::domain::standing_order::StandingOrder>,
}

/// The fields of one kind of order, shown between the number and the common fields.
pub trait KindFields: Serialize + ToSchema + Sized {
    /// The kind's fields of `order`, or `None` when the order is of another kind.
    fn of(order: &Order, facts: &Facts) -> Option<Self>;
}

/// An order as `GET /{resource}/{order-number}` and the lists return it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct OrderView<F: ToSchema> {
    /// The work item's number, as the guide prints it.
    #[schema(example = "WI0000492475")]
    pub id: String,
    /// The same number, under the reference schema's name.
    #[schema(example = "WI0000492475")]
    pub order_number: String,
    /// The kind's own fields.
    #[serde(flatten)]
    pub fields: F,
    /// The customer's free text; `null` when none was given.
    pub description: Option<String>,
    /// Where the order stands (`workitem-processing-status`).
    pub status: OrderStatus,
    /// The status as the customer sees it (`customer-friendly-status`).
    #[schema(example = "active")]
    pub customer_friendly_status: String,
    /// When the status last changed.
    #[serde(serialize_with = "crate::http::time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub status_date: DateTime<Utc>,
    /// When the order was accepted.
    #[serde(serialize_with = "crate::http::time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub creation_date: DateTime<Utc>,
    /// The kind's steps with their progress, in order.
    pub steps: Vec<StepView>,
    /// Why the order was rejected or expired; `null` otherwise.
    pub rejection_reason: Option<String>,
    /// Why the customer canceled the order, if they said (`POST /orders/{n}/cancel`);
    /// `null` otherwise.
    pub cancelation_reason: Option<String>,
    /// The card the order produced (issuances and replacements); `null` until then.
    pub result_card_id: Option<String>,
    /// Why the order is held for a person (status `held`); `null` otherwise.
    pub hold_reason: Option<String>,
}

impl<F: KindFields> OrderView<F> {
    /// The view of `order`; an order of another kind is a bug of the caller.
    pub fn build(order: &Order, facts: &Facts) -> Result<Self, ApiError> {
        let fields = F::of(order, facts).ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "order {} is a {}, not of the view's kind",
                order.number,
                order.kind().as_str()
            ))
        })?;
        let number = order.number.to_string();
        let canceled = order.status == OrderStatus::Canceled;
        Ok(Self {
            id: number.clone(),
            order_number: number,
            fields,
            description: order.description.clone(),
            status: order.status,
            customer_friendly_status: order.status.friendly().to_owned(),
            status_date: order.status_date,
            creation_date: order.creation_date,
            steps: order.steps.iter().map(StepView::from).collect(),
            rejection_reason: order
                .rejection_reason
                .as_deref()
                .filter(|_| !canceled)
                .map(|r| clipped(r.to_owned(), MAX_REASON)),
            cancelation_reason: order
                .rejection_reason
                .as_deref()
                .filter(|_| canceled)
                .map(|r| clipped(r.to_owned(), MAX_REASON)),
            result_card_id: order.result_card_id.clone().map(String::from),
            hold_reason: order
                .hold_reason
                .as_deref()
                .map(|r| clipped(r.to_owned(), MAX_REASON)),
        })
    }
}

/// The fields of an additional card issuance, as the guide shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct IssuanceFields {
    /// Who will carry the card.
    #[schema(example = "1400054")]
    pub authorized_customer_number: String,
    /// Their full name.
    #[schema(example = "Ana Petrovic")]
    pub authorized_customer_name: Option<String>,
    /// Who owns the arrangement.
    #[schema(example = "BRVU00002")]
    pub owner_customer_number: String,
    /// Their full name.
    #[schema(example = "Branislav Vukovic")]
    pub owner_customer_name: Option<String>,
    /// The arrangement the card draws on.
    #[schema(example = "0064200001930")]
    pub arrangement_number: String,
    /// The arrangement's card product.
    #[schema(example = "MasterCard")]
    pub product_code: Option<String>,
}

impl KindFields for IssuanceFields {
    fn of(order: &Order, facts: &Facts) -> Option<Self> {
        let OrderRequest::AdditionalCardIssuance(AdditionalCardIssuance {
            authorized_customer,
            arrangement_number,
        }) = &order.request
        else {
            return None;
        };
        Some(Self {
            authorized_customer_number: authorized_customer.to_string(),
            authorized_customer_name: facts.holder_name.clone().map(|n| clipped(n, MAX_NAME)),
            owner_customer_number: order.owner.to_string(),
            owner_customer_name: facts.owner_name.clone().map(|n| clipped(n, MAX_NAME)),
            arrangement_number: arrangement_number.to_string(),
            product_code: facts.product_code.clone(),
        })
    }
}

/// The fields of an activation or a deblockade: the card.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CardFields {
    /// The card.
    #[schema(example = "C0000000202")]
    pub card_id: String,
    /// The plastic's serial number.
    #[schema(example = "SN0000000202")]
    pub serial_number: Option<String>,
}

impl KindFields for CardFields {
    fn of(order: &Order, facts: &Facts) -> Option<Self> {
        match &order.request {
            OrderRequest::CardActivation(CardActivation { card_id })
            | OrderRequest::CardDeblockade(CardDeblockade { card_id }) => Some(Self {
                card_id: card_id.to_string(),
                serial_number: facts.serial_number.clone(),
            }),
            _ => None,
        }
    }
}

/// The fields of a blockade.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct BlockadeFields {
    /// The card.
    #[schema(example = "C0000000201")]
    pub card_id: String,
    /// The plastic's serial number.
    #[schema(example = "SN0000000201")]
    pub serial_number: Option<String>,
    /// A `card-blockade-reason` literal.
    #[schema(example = "temporary-blockage")]
    pub blockade_reason: String,
}

impl KindFields for BlockadeFields {
    fn of(order: &Order, facts: &Facts) -> Option<Self> {
        let OrderRequest::CardBlockade(CardBlockade { card_id, reason }) = &order.request else {
            return None;
        };
        Some(Self {
            card_id: card_id.to_string(),
            serial_number: facts.serial_number.clone(),
            blockade_reason: reason.clone(),
        })
    }
}

/// The fields of a termination.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct TerminationFields {
    /// The card.
    #[schema(example = "C0000000206")]
    pub card_id: String,
    /// The plastic's serial number.
    #[schema(example = "SN0000000206")]
    pub serial_number: Option<String>,
    /// A `card-termination-reason` literal; `null` when none was given.
    #[schema(example = "customer-request")]
    pub termination_reason: Option<String>,
}

impl KindFields for TerminationFields {
    fn of(order: &Order, facts: &Facts) -> Option<Self> {
        let OrderRequest::CardTermination(CardTermination { card_id, reason }) = &order.request
        else {
            return None;
        };
        Some(Self {
            card_id: card_id.to_string(),
            serial_number: facts.serial_number.clone(),
            termination_reason: reason.clone(),
        })
    }
}

/// The fields of a replacement.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ReplacementFields {
    /// The card being replaced.
    #[schema(example = "C0000000201")]
    pub card_id: String,
    /// The plastic's serial number.
    #[schema(example = "SN0000000201")]
    pub serial_number: Option<String>,
    /// A `card-replacement-reason` literal.
    #[schema(example = "damaged-card")]
    pub replacement_reason: String,
    /// The name printed on the new card; `null` when none was given.
    #[serde(rename = "embossement-line-1")]
    #[schema(example = "MARKO JOVANOVIC")]
    pub embossement_line_1: Option<String>,
}

impl KindFields for ReplacementFields {
    fn of(order: &Order, facts: &Facts) -> Option<Self> {
        let OrderRequest::CardReplacement(CardReplacement {
            card_id,
            reason,
            embossement_line,
        }) = &order.request
        else {
            return None;
        };
        Some(Self {
            card_id: card_id.to_string(),
            serial_number: facts.serial_number.clone(),
            replacement_reason: reason.clone(),
            embossement_line_1: embossement_line.clone(),
        })
    }
}
