//! The row encoding both backends share: an order's request and steps are stored as JSON
//! beside indexed columns, and every column is checked again on the way out, so a row
//! that breaks the domain's rules is refused (and its order held) rather than let out.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::CustomerNumber;
use crate::domain::card::{Arrangement, Card, CardStatus, Customer};
use crate::domain::identifier::{ArrangementNumber, CardId};
use crate::domain::order::{Order, OrderNumber, OrderRequest, OrderStatus, Phase, Step};
use crate::store::StoreError;

/// An order's stored columns, independent of the backend's time type: each field is the
/// column of the same name in `migrations/*/0002_orders.sql` and `0004_order_engine.sql`.
/// Public because the store's statements ([`super::OrderTx`]) take and give rows; only
/// [`OrderColumns::encode`] and [`OrderColumns::decode`] turn them into orders.
#[derive(Debug, Clone)]
pub struct OrderColumns {
    pub order_id: i64,
    pub kind: String,
    pub serial_key: String,
    pub duplicate_key: String,
    pub card_id: Option<String>,
    pub arrangement_number: String,
    pub owner_customer_number: String,
    pub holder_customer_number: String,
    pub request_json: String,
    pub description: Option<String>,
    pub status: String,
    pub status_date: DateTime<Utc>,
    pub creation_date: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub current_step: i64,
    pub phase: Option<String>,
    pub next_run_at: Option<DateTime<Utc>>,
    pub steps_json: String,
    pub rejection_reason: Option<String>,
    pub result_card_id: Option<String>,
    pub hold_reason: Option<String>,
}

fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Other(anyhow::anyhow!("stored {what} is not readable: {detail}"))
}

/// The stored literal of a phase.
pub(crate) fn phase_literal(phase: Phase) -> &'static str {
    match phase {
        Phase::Check => "check",
        Phase::Confirm => "confirm",
        Phase::Action => "action",
        Phase::Notify => "notify",
    }
}

impl OrderColumns {
    /// The columns of `order`.
    pub fn encode(order: &Order) -> Result<Self, StoreError> {
        Ok(Self {
            order_id: order.number.0,
            kind: order.kind().as_str().to_owned(),
            serial_key: order.serial_key(),
            duplicate_key: order.duplicate_key(),
            card_id: order.card_id().map(|id| id.to_string()),
            arrangement_number: order.arrangement_number.to_string(),
            owner_customer_number: order.owner.as_str().to_owned(),
            holder_customer_number: order.holder.as_str().to_owned(),
            request_json: serde_json::to_string(&order.request)
                .map_err(|e| StoreError::Other(e.into()))?,
            description: order.description.clone(),
            status: order.status.as_str().to_owned(),
            status_date: order.status_date,
            creation_date: order.creation_date,
            deadline: order.deadline,
            current_step: order.current_step as i64,
            phase: order
                .next_run_at
                .and(order.phase())
                .map(|p| phase_literal(p).to_owned()),
            next_run_at: order.next_run_at,
            steps_json: serde_json::to_string(&order.steps)
                .map_err(|e| StoreError::Other(e.into()))?,
            rejection_reason: order.rejection_reason.clone(),
            result_card_id: order.result_card_id.clone().map(String::from),
            hold_reason: order.hold_reason.clone(),
        })
    }

    /// The order these columns describe, or why the row breaks the domain's rules.
    pub fn decode(self) -> Result<Order, StoreError> {
        let request: OrderRequest =
            serde_json::from_str(&self.request_json).map_err(|e| corrupt("order request", e))?;
        let steps: Vec<Step> =
            serde_json::from_str(&self.steps_json).map_err(|e| corrupt("order steps", e))?;
        Ok(Order {
            number: OrderNumber(self.order_id),
            request,
            description: self.description,
            owner: customer_number(&self.owner_customer_number)?,
            holder: customer_number(&self.holder_customer_number)?,
            arrangement_number: arrangement_number(&self.arrangement_number)?,
            status: OrderStatus::from_stored(&self.status)
                .ok_or_else(|| corrupt("order status", &self.status))?,
            status_date: self.status_date,
            creation_date: self.creation_date,
            deadline: self.deadline,
            steps,
            current_step: usize::try_from(self.current_step)
                .map_err(|e| corrupt("current step", e))?,
            next_run_at: self.next_run_at,
            rejection_reason: self.rejection_reason,
            result_card_id: self.result_card_id.as_deref().map(card_id).transpose()?,
            hold_reason: self.hold_reason,
        })
    }
}

/// The orders of a page whose rows could be read, each given with its number. A row that
/// breaks the domain's rules is left out and logged rather than failing the whole page:
/// one corrupt order would otherwise make every page it falls on answer 500. The engine
/// holds such an order with its reason when it next claims it; a GET of it still fails.
pub(crate) fn readable(
    rows: impl IntoIterator<Item = (i64, Result<Order, StoreError>)>,
) -> Vec<Order> {
    rows.into_iter()
        .filter_map(|(order_id, decoded)| match decoded {
            Ok(order) => Some(order),
            Err(error) => {
                tracing::warn!(order = %OrderNumber(order_id), %error, "order left out of a list: its row cannot be read");
                metrics::counter!("bankapi_orders_unlisted_total").increment(1);
                None
            }
        })
        .collect()
}

/// A stored customer number, checked again on the way out.
pub(crate) fn customer_number(raw: &str) -> Result<CustomerNumber, StoreError> {
    CustomerNumber::parse("customer-number", raw).map_err(|e| corrupt("customer number", e.message))
}

/// A stored card id, checked again on the way out.
pub(crate) fn card_id(raw: &str) -> Result<CardId, StoreError> {
    CardId::parse(CardId::TAG, raw).map_err(|e| corrupt("card id", e.message))
}

/// A stored arrangement number, checked again on the way out.
pub(crate) fn arrangement_number(raw: &str) -> Result<ArrangementNumber, StoreError> {
    ArrangementNumber::parse(ArrangementNumber::TAG, raw)
        .map_err(|e| corrupt("arrangement number", e.message))
}

/// A card's stored columns, independent of the backend's time type.
#[derive(Debug, Clone)]
pub(crate) struct CardColumns {
    pub card_id: String,
    pub serial_number: String,
    pub masked_number: String,
    pub arrangement_number: String,
    pub holder_customer_number: String,
    pub owner_customer_number: String,
    pub product_code: String,
    pub status: String,
    pub blockade_reason: Option<String>,
    pub expiry_date: NaiveDate,
    pub replaces: Option<String>,
    pub replaced_by: Option<String>,
    pub status_date: DateTime<Utc>,
}

impl CardColumns {
    /// The columns of `card`.
    pub(crate) fn encode(card: &Card) -> Self {
        Self {
            card_id: card.id.to_string(),
            serial_number: card.serial_number.clone(),
            masked_number: card.masked_number.clone(),
            arrangement_number: card.arrangement_number.to_string(),
            holder_customer_number: card.holder.as_str().to_owned(),
            owner_customer_number: card.owner.as_str().to_owned(),
            product_code: card.product_code.clone(),
            status: card.status.as_str().to_owned(),
            blockade_reason: card.blockade_reason.clone(),
            expiry_date: card.expiry_date,
            replaces: card.replaces.clone().map(String::from),
            replaced_by: card.replaced_by.clone().map(String::from),
            status_date: card.status_date,
        }
    }

    /// The card these columns describe.
    pub(crate) fn decode(self) -> Result<Card, StoreError> {
        Ok(Card {
            status: CardStatus::from_stored(&self.status)
                .ok_or_else(|| corrupt("card status", &self.status))?,
            holder: customer_number(&self.holder_customer_number)?,
            owner: customer_number(&self.owner_customer_number)?,
            id: card_id(&self.card_id)?,
            serial_number: self.serial_number,
            masked_number: self.masked_number,
            arrangement_number: arrangement_number(&self.arrangement_number)?,
            product_code: self.product_code,
            blockade_reason: self.blockade_reason,
            expiry_date: self.expiry_date,
            replaces: self.replaces.as_deref().map(card_id).transpose()?,
            replaced_by: self.replaced_by.as_deref().map(card_id).transpose()?,
            status_date: self.status_date,
        })
    }
}

/// An arrangement's stored columns; `card_limit` as wide as either backend's column.
#[derive(Debug, Clone)]
pub(crate) struct ArrangementColumns {
    pub arrangement_number: String,
    pub owner_customer_number: String,
    pub product_code: String,
    pub active: bool,
    pub allows_cards: bool,
    pub card_limit: i64,
}

impl ArrangementColumns {
    /// The arrangement these columns describe. A negative limit allows no card.
    pub(crate) fn decode(self) -> Result<Arrangement, StoreError> {
        Ok(Arrangement {
            owner: customer_number(&self.owner_customer_number)?,
            number: arrangement_number(&self.arrangement_number)?,
            product_code: self.product_code,
            active: self.active,
            allows_cards: self.allows_cards,
            card_limit: u32::try_from(self.card_limit).unwrap_or(0),
        })
    }
}

/// The arrangement columns an outer join put beside a card's row: all present when the
/// arrangement's row exists, none when it does not.
#[derive(Debug, Clone, Default)]
pub(crate) struct JoinedArrangement {
    pub owner: Option<String>,
    pub product_code: Option<String>,
    pub active: Option<bool>,
    pub allows_cards: Option<bool>,
    pub card_limit: Option<i64>,
}

impl JoinedArrangement {
    /// The card's arrangement, if its row was there.
    pub(crate) fn decode(self, card: &Card) -> Result<Option<Arrangement>, StoreError> {
        match (
            self.owner,
            self.product_code,
            self.active,
            self.allows_cards,
            self.card_limit,
        ) {
            (Some(owner), Some(product_code), Some(active), Some(allows_cards), Some(limit)) => {
                ArrangementColumns {
                    arrangement_number: card.arrangement_number.to_string(),
                    owner_customer_number: owner,
                    product_code,
                    active,
                    allows_cards,
                    card_limit: limit,
                }
                .decode()
                .map(Some)
            }
            _ => Ok(None),
        }
    }
}

/// A customer's stored columns (number, name), checked again on the way out.
pub(crate) fn customer((number, name): (String, String)) -> Result<Customer, StoreError> {
    Ok(Customer {
        number: customer_number(&number)?,
        name,
    })
}
