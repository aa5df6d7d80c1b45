//! The storage contract of the Customer Order API, and the row encoding both backends
//! share (an order's request and steps are stored as JSON beside indexed columns).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::{IdempotencyKey, Recorded, StoreError};
use crate::domain::CustomerNumber;
use crate::domain::card::{Arrangement, Card, CardStatus, Customer};
use crate::domain::execution::Refusal;
use crate::domain::order::{
    Order, OrderKind, OrderNumber, OrderRequest, OrderStatus, Phase, Step, StepDurations,
};
use crate::domain::page::{PageRequest, SortOrder};

/// Which cards a list asks for.
#[derive(Debug, Clone)]
pub struct CardFilter {
    /// Cards this customer holds or owns; `None` (staff only) for every card.
    pub customer: Option<CustomerNumber>,
    /// Which slice, ordered by card id.
    pub page: PageRequest,
}

/// What an order list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderSort {
    /// When accepted (the default, newest first); ties by number.
    #[default]
    CreationDate,
    /// When the status last changed.
    StatusDate,
    /// The work item number.
    OrderNumber,
}

/// Which orders a list asks for.
#[derive(Debug, Clone)]
pub struct OrderFilter {
    /// Only this kind.
    pub kind: Option<OrderKind>,
    /// Orders where this customer is owner or holder; `None` (staff only) for all.
    pub customer: Option<CustomerNumber>,
    /// Only this status.
    pub status: Option<OrderStatus>,
    /// Sort key.
    pub sort: OrderSort,
    /// Direction.
    pub order: SortOrder,
    /// Which slice.
    pub page: PageRequest,
}

/// The answer to a cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    /// Canceled now.
    Canceled(Box<Order>),
    /// The order exists but its state forbids canceling.
    Refused(Refusal),
    /// No such order.
    NotFound,
}

/// The Customer Order API's storage.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// One customer.
    async fn customer(&self, number: &CustomerNumber) -> Result<Option<Customer>, StoreError>;
    /// One card.
    async fn card(&self, id: &str) -> Result<Option<Card>, StoreError>;
    /// One arrangement.
    async fn arrangement(&self, number: &str) -> Result<Option<Arrangement>, StoreError>;
    /// Every card on an arrangement, by id.
    async fn arrangement_cards(&self, number: &str) -> Result<Vec<Card>, StoreError>;
    /// A page of cards and the number of all that match.
    async fn list_cards(&self, filter: &CardFilter) -> Result<(Vec<Card>, u64), StoreError>;

    /// Stores a new order (its `number` is ignored: the database assigns it), atomically
    /// with its idempotency key, and wakes the executor. An active order with the same
    /// [`Order::duplicate_key`] makes this a [`StoreError::Conflict`].
    async fn create_order(
        &self,
        order: &Order,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<Recorded<OrderNumber>, StoreError>;
    /// What an idempotency key already recorded, if anything. Checked before the business
    /// rules so that a retry of an accepted order gets its first answer, not a conflict
    /// with the order it created itself.
    async fn recorded_order(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<Recorded<OrderNumber>>, StoreError>;
    /// One order.
    async fn get_order(&self, number: OrderNumber) -> Result<Option<Order>, StoreError>;
    /// A page of orders and the number of all that match.
    async fn list_orders(&self, filter: &OrderFilter) -> Result<(Vec<Order>, u64), StoreError>;
    /// Cancels an order if its state allows, atomically with respect to the executor.
    async fn cancel_order(
        &self,
        number: OrderNumber,
        now: DateTime<Utc>,
    ) -> Result<CancelOutcome, StoreError>;

    /// Advances up to `limit` due orders in one transaction: each order's step effect,
    /// step completion and events commit together or not at all. An order whose next step
    /// is its action waits while an earlier order of the same card (or, for an issuance,
    /// the same arrangement) is still active. Returns how many orders it advanced.
    async fn run_due_orders(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        durations: &StepDurations,
    ) -> Result<usize, StoreError>;
    /// When the earliest active order is next due, if any is active.
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// Waits until an order is created (here or, on PostgreSQL, by another process) or
    /// `max_wait` passes.
    async fn wait_for_work(&self, max_wait: Duration);

    /// Loads customers, arrangements and cards (the demo data set); existing rows are kept.
    async fn import_reference_data(
        &self,
        customers: &[Customer],
        arrangements: &[Arrangement],
        cards: &[Card],
    ) -> Result<(), StoreError>;
}

/// An order's stored columns, independent of the backend's time type.
#[derive(Debug, Clone)]
pub(crate) struct OrderColumns {
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
}

fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Other(anyhow::anyhow!("stored {what} is not readable: {detail}"))
}

/// The stored literal of a phase.
pub(crate) fn phase_literal(phase: Phase) -> &'static str {
    match phase {
        Phase::Check => "check",
        Phase::Action => "action",
        Phase::Notify => "notify",
    }
}

impl OrderColumns {
    /// The columns of `order`.
    pub(crate) fn encode(order: &Order) -> Result<Self, StoreError> {
        Ok(Self {
            order_id: order.number.0,
            kind: order.kind().as_str().to_owned(),
            serial_key: order.serial_key(),
            duplicate_key: order.duplicate_key(),
            card_id: order.card_id().map(str::to_owned),
            arrangement_number: order.arrangement_number.clone(),
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
            result_card_id: order.result_card_id.clone(),
        })
    }

    /// The order these columns describe.
    pub(crate) fn decode(self) -> Result<Order, StoreError> {
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
            arrangement_number: self.arrangement_number,
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
            result_card_id: self.result_card_id,
        })
    }
}

/// A stored customer number, checked again on the way out.
pub(crate) fn customer_number(raw: &str) -> Result<CustomerNumber, StoreError> {
    CustomerNumber::parse("customer-number", raw).map_err(|e| corrupt("customer number", e.message))
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
            card_id: card.id.clone(),
            serial_number: card.serial_number.clone(),
            masked_number: card.masked_number.clone(),
            arrangement_number: card.arrangement_number.clone(),
            holder_customer_number: card.holder.as_str().to_owned(),
            owner_customer_number: card.owner.as_str().to_owned(),
            product_code: card.product_code.clone(),
            status: card.status.as_str().to_owned(),
            blockade_reason: card.blockade_reason.clone(),
            expiry_date: card.expiry_date,
            replaces: card.replaces.clone(),
            replaced_by: card.replaced_by.clone(),
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
            id: self.card_id,
            serial_number: self.serial_number,
            masked_number: self.masked_number,
            arrangement_number: self.arrangement_number,
            product_code: self.product_code,
            blockade_reason: self.blockade_reason,
            expiry_date: self.expiry_date,
            replaces: self.replaces,
            replaced_by: self.replaced_by,
            status_date: self.status_date,
        })
    }
}
