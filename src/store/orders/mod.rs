//! The storage contract of the Customer Order API. The backends hold statements only:
//! reads, one claim, and the writes of a transaction ([`OrderTx`]); what a create, a
//! cancel or an engine pass does with them is written once, in [`writes`], above both.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{IdempotencyKey, Recorded, StoreError};
use crate::domain::CustomerNumber;
use crate::domain::account::{Account, Mandate};
use crate::domain::card::{Arrangement, Card, Customer};
use crate::domain::execution::Refusal;
use crate::domain::identifier::{ArrangementNumber, CardId};
use crate::domain::order::{Order, OrderKind, OrderNumber, OrderStatus};
use crate::domain::page::{PageRequest, SortOrder};
use crate::domain::standing_order::StandingOrder;

mod accept;
mod claims;
mod columns;
mod context;
mod standing;
mod subjects;
mod tx;
mod work;
mod writes;

pub(crate) use writes::write_batch;

pub use accept::Acceptor;
pub use claims::{Claimed, Guard, Lease, Savepoint, Written};
pub use standing::Scheduled;
pub(crate) use standing::{StandingOrderColumns, standing_order_columns};
pub use subjects::SubjectReader;
pub use tx::OrderTx;
pub use work::WorkSignal;

pub use columns::OrderColumns;
pub(crate) use columns::{
    ArrangementColumns, CardColumns, JoinedArrangement, arrangement_number, customer,
    customer_number, readable,
};
pub use context::{BatchContext, CardSubject, ContextKeys};

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

impl OrderSort {
    /// The column a list is sorted by.
    pub(crate) fn column(self) -> &'static str {
        match self {
            Self::CreationDate => "creation_date",
            Self::StatusDate => "status_date",
            Self::OrderNumber => "order_id",
        }
    }
}

/// The SQL of a direction.
pub(crate) fn direction(order: SortOrder) -> &'static str {
    match order {
        SortOrder::Asc => "ASC",
        SortOrder::Desc => "DESC",
    }
}

/// Which orders a list asks for.
#[derive(Debug, Clone)]
pub struct OrderFilter {
    /// Only these kinds; empty for every kind.
    pub kinds: Vec<OrderKind>,
    /// Orders where this customer is owner or holder; `None` (staff only) for all.
    pub customer: Option<CustomerNumber>,
    /// Only these statuses; empty for every status.
    pub statuses: Vec<OrderStatus>,
    /// Sort key.
    pub sort: OrderSort,
    /// Direction.
    pub order: SortOrder,
    /// Which slice.
    pub page: PageRequest,
}

/// The answer to a decision about one order: a customer's cancel, staff's retry or
/// reject of a held order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision<T = Box<Order>> {
    /// Done; the order (or what was decided about) as it now stands.
    Done(T),
    /// The order exists but its state forbids the decision.
    Refused(Refusal),
    /// No such order.
    NotFound,
}

/// What operators watch of the queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueGauges {
    /// Orders held for a person.
    pub held: u64,
    /// When the longest-waiting due order fell due.
    pub oldest_due: Option<DateTime<Utc>>,
}

/// The numbers a multi-row insert gave `orders`, in their order, from what it returned
/// by duplicate key (unique among active orders, which new ones are).
pub(crate) fn numbered(
    orders: &[OrderColumns],
    numbers: &HashMap<String, i64>,
) -> Result<Vec<i64>, StoreError> {
    orders
        .iter()
        .map(|c| {
            numbers.get(&c.duplicate_key).copied().ok_or_else(|| {
                StoreError::Other(anyhow::anyhow!(
                    "no number came back for the order with key {}",
                    c.duplicate_key
                ))
            })
        })
        .collect()
}

/// Moves what is already queued on `receiver` into `group`, up to `max` in all: a group
/// formed now takes everything that has arrived, without waiting for more. The
/// acceptance's writer and its subject reader form their groups this way.
fn take_queued<T>(receiver: &mut tokio::sync::mpsc::Receiver<T>, group: &mut Vec<T>, max: usize) {
    while group.len() < max {
        match receiver.try_recv() {
            Ok(item) => group.push(item),
            Err(_) => break,
        }
    }
}

/// What an acceptance group hands its store once the store can write: the group's rows,
/// taken at that moment (see [`OrderStore::insert_orders_gathered`]).
pub type Gather<'a> = &'a mut (dyn FnMut() -> Result<Vec<OrderColumns>, StoreError> + Send);

/// The Customer Order API's storage: reads and the statements the shared code runs.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// One customer.
    async fn customer(&self, number: &CustomerNumber) -> Result<Option<Customer>, StoreError>;
    /// One card.
    async fn card(&self, id: &CardId) -> Result<Option<Card>, StoreError>;
    /// One arrangement.
    async fn arrangement(
        &self,
        number: &ArrangementNumber,
    ) -> Result<Option<Arrangement>, StoreError>;
    /// Every card on an arrangement, by id.
    async fn arrangement_cards(&self, number: &ArrangementNumber) -> Result<Vec<Card>, StoreError>;
    /// Each card of `card_ids` with its arrangement and every card on that arrangement,
    /// all in one query: what the rules judge card orders against when they are accepted
    /// ([`SubjectReader`] gathers the acceptances of one moment into one call). Cards that
    /// do not exist are left out.
    async fn card_subjects(&self, card_ids: &[CardId]) -> Result<Vec<CardSubject>, StoreError>;
    /// A page of cards and the number of all that match.
    async fn list_cards(&self, filter: &CardFilter) -> Result<(Vec<Card>, u64), StoreError>;
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

    /// Opens a write transaction.
    async fn begin(&self) -> Result<Box<dyn OrderTx>, StoreError>;
    /// Inserts the orders `gather` hands over and commits them at once, with `announce`
    /// telling the engines of every process: a whole group of acceptances. `gather` is
    /// called only once the backend can write (on SQLite, once the single writer is free
    /// of the engine's pass), so that the orders that arrived while it waited join this
    /// group instead of queueing behind it. Both backends write an acceptor's group in one
    /// statement, outside an explicit transaction.
    async fn insert_orders_gathered(
        &self,
        gather: Gather<'_>,
        announce: bool,
    ) -> Result<Vec<i64>, StoreError>;
    /// Tells the engines of every process, on its own, that work was added: the
    /// acceptor's announcement of groups it wrote without one
    /// ([`Acceptor`]'s throttle).
    async fn announce_work(&self) -> Result<(), StoreError>;
    /// Claims up to `limit` orders due at `now` (in order of when they fell due) with a
    /// lease until `lease_until`, in one statement committed at once: held orders, orders
    /// another lease still holds, and actions that are not their arrangement's turn are
    /// left alone.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<Claimed>, StoreError>;
    /// Arrangements by number, in one query.
    async fn arrangements_in(&self, numbers: &[String]) -> Result<Vec<Arrangement>, StoreError>;
    /// Every card of these arrangements, by id, in one query.
    async fn cards_in(&self, arrangements: &[String]) -> Result<Vec<Card>, StoreError>;
    /// Customers by number, in one query.
    async fn customers_in(&self, numbers: &[String]) -> Result<Vec<Customer>, StoreError>;
    /// Accounts by number, with the accounts they are linked to and those linked to
    /// them, in one query.
    async fn accounts_around(&self, numbers: &[String]) -> Result<Vec<Account>, StoreError>;
    /// Every mandate on these accounts, in one query.
    async fn mandates_on(&self, arrangements: &[String]) -> Result<Vec<Mandate>, StoreError>;
    /// The active standing orders paying from these accounts, in one query.
    async fn standing_orders_from(
        &self,
        accounts: &[String],
    ) -> Result<Vec<StandingOrder>, StoreError>;
    /// Standing orders by the numbers of the orders that set them up, in one query
    /// (those not set up yet are missing).
    async fn standing_orders_set_up_by(
        &self,
        numbers: &[OrderNumber],
    ) -> Result<Vec<StandingOrder>, StoreError>;
    /// The reference data `keys` name: three queries (one more each for account orders
    /// and mandate orders), whatever the batch, run at once. An engine pass on a single
    /// writer holds the writer while they run, and every acceptance waits for it: one
    /// after the other they were a fifth of a pass.
    async fn load_context(&self, keys: &ContextKeys) -> Result<BatchContext, StoreError> {
        /// `query`'s rows, or none without asking when there is nothing to look up.
        async fn unless_empty<T, F>(keys: &[impl Sized], query: F) -> Result<Vec<T>, StoreError>
        where
            F: std::future::Future<Output = Result<Vec<T>, StoreError>>,
        {
            if keys.is_empty() {
                Ok(Vec::new())
            } else {
                query.await
            }
        }
        let (arrangements, cards, accounts, mandates, standing_orders, customers) = futures::try_join!(
            unless_empty(&keys.arrangements, self.arrangements_in(&keys.arrangements)),
            unless_empty(&keys.arrangements, self.cards_in(&keys.arrangements)),
            unless_empty(&keys.accounts, self.accounts_around(&keys.accounts)),
            unless_empty(&keys.mandates, self.mandates_on(&keys.mandates)),
            unless_empty(
                &keys.standing_orders,
                self.standing_orders_from(&keys.standing_orders)
            ),
            unless_empty(&keys.customers, self.customers_in(&keys.customers)),
        )?;
        let mut context = BatchContext {
            mandates,
            standing_orders,
            ..BatchContext::default()
        };
        for arrangement in arrangements {
            context
                .arrangements
                .insert(arrangement.number.clone(), arrangement);
        }
        for card in cards {
            context
                .cards
                .entry(card.arrangement_number.clone())
                .or_default()
                .push(card);
        }
        for account in accounts {
            context.accounts.insert(account.number.clone(), account);
        }
        for customer in customers {
            context
                .customers
                .insert(customer.number.as_str().to_owned(), customer);
        }
        Ok(context)
    }
    /// When the earliest claimable order is next due (or its lease ends), if any.
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// The held orders and the oldest due one, for the metrics.
    async fn queue_gauges(&self, now: DateTime<Utc>) -> Result<QueueGauges, StoreError>;
    /// Waits until an order is created, confirmed or retried (here or, on PostgreSQL, by
    /// another process) or `max_wait` passes.
    async fn wait_for_work(&self, max_wait: Duration) {
        self.work().wait(max_wait).await;
    }
    /// Wakes this process's engine after a commit that added work.
    fn work_added(&self) {
        self.work().added();
    }
    /// Whether this process added work within `window` (orders are being accepted):
    /// on a single writer they wait for every pass the engine runs.
    fn work_added_within(&self, window: Duration) -> bool {
        self.work().added_within(window)
    }
    /// The backend's signal behind the three above (on PostgreSQL also fed by other
    /// processes' `NOTIFY`), kept by each backend, used the same way by both.
    fn work(&self) -> &WorkSignal;
    /// Whether two write transactions can make progress at once (PostgreSQL), so that an
    /// engine gains by writing one batch while it prepares the next; SQLite has one
    /// writer, and a second pass would only queue behind the first.
    fn concurrent_writes(&self) -> bool;

    /// Loads customers, accounts and cards (the demo data set); existing rows are kept.
    async fn import_reference_data(
        &self,
        customers: &[Customer],
        accounts: &[Account],
        cards: &[Card],
    ) -> Result<(), StoreError>;
}
