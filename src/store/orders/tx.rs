//! The statements of one write transaction, which the backends implement and the writes
//! of [`super::writes`] compose: kept apart from [`super::OrderStore`]'s reads so that each
//! trait reads as one contract.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Claimed, Guard, Lease, OrderColumns, Savepoint};
use crate::domain::account::{AccountChange, Mandate, Posting};
use crate::domain::card::Card;
use crate::domain::order::OrderNumber;
use crate::domain::standing_order::StandingOrder;
use crate::store::{IdempotencyKey, NewEvent, StoreError};

/// One write transaction's statements. Dropped without [`OrderTx::commit`], it rolls back.
#[async_trait]
pub trait OrderTx: Send {
    /// Inserts orders (their numbers are assigned here) and returns the numbers, in the
    /// order of `orders`. An active order with the same duplicate key, here or among
    /// `orders`, is a [`StoreError::Conflict`].
    async fn insert_orders(&mut self, orders: &[OrderColumns]) -> Result<Vec<i64>, StoreError>;
    /// Records `key` as having created `resource`; false when another request did first.
    async fn claim_key(&mut self, key: &IdempotencyKey, resource: &str)
    -> Result<bool, StoreError>;
    /// Claims up to `limit` orders due at `now` as [`super::OrderStore::claim_due`] does, but by
    /// locking their rows until this transaction ends instead of leasing them: for a
    /// pass that calls nothing outside and so can do all its work in one transaction.
    /// Their tokens are left as they are; the pass writes with them.
    async fn claim_due(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError>;
    /// Reads an order and locks it against other writers until the transaction ends.
    async fn lock_order(&mut self, number: OrderNumber)
    -> Result<Option<OrderColumns>, StoreError>;
    /// Writes orders' progress, each as its guard allows; answers which were written.
    async fn save_orders(
        &mut self,
        orders: &[(OrderColumns, Guard)],
    ) -> Result<Vec<bool>, StoreError>;
    /// Holds an order whose row cannot be read, if `lease` still holds.
    async fn hold_unreadable(
        &mut self,
        lease: Lease,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Inserts produced cards.
    async fn insert_cards(&mut self, cards: &[Card]) -> Result<(), StoreError>;
    /// Writes cards' changed state.
    async fn update_cards(&mut self, cards: &[Card]) -> Result<(), StoreError>;
    /// Books one posting of order `order_id`: its ledger row, and its amount on the
    /// account only if the posting's guard holds (`false` when it did not; the caller then
    /// drops the transaction, the ledger row with it). A leg booked before is a
    /// [`StoreError::Conflict`]. One posting per call, because two legs of one batch may
    /// move the same account and each guard must see the balance the leg before left.
    async fn book_posting(
        &mut self,
        order_id: i64,
        posting: &Posting,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Writes mandates as they now stand: new ones inserted, existing ones updated.
    async fn save_mandates(&mut self, mandates: &[Mandate]) -> Result<(), StoreError>;
    /// Records standing orders just set up; one already recorded is left as it is.
    async fn insert_standing_orders(&mut self, orders: &[StandingOrder]) -> Result<(), StoreError>;
    /// Inserts an order under the number it already has (the demo's, set up before the
    /// demo began, numbered below the guide's first); one already there is left alone.
    async fn import_order(&mut self, order: &OrderColumns) -> Result<(), StoreError>;
    /// Up to `limit` active standing orders with a date due on or before `today`, the
    /// earliest first, locked against other writers until the transaction ends (rows
    /// another transaction holds are skipped where the database can).
    async fn due_standing_orders(
        &mut self,
        today: chrono::NaiveDate,
        limit: usize,
    ) -> Result<Vec<StandingOrder>, StoreError>;
    /// Reads a standing order and locks it until the transaction ends.
    async fn lock_standing_order(
        &mut self,
        number: OrderNumber,
    ) -> Result<Option<StandingOrder>, StoreError>;
    /// Writes standing orders as they now stand, each only if its schedule is still at
    /// the sequence beside it (compare and set): false when another writer moved any of
    /// them first, and the transaction must then be dropped.
    async fn update_standing_orders(
        &mut self,
        orders: &[(StandingOrder, u32)],
    ) -> Result<bool, StoreError>;
    /// Writes accounts' changed state and product.
    async fn change_accounts(&mut self, changes: &[AccountChange]) -> Result<(), StoreError>;
    /// Registers events (and counts them for their customers' pages).
    async fn insert_events(&mut self, events: &[NewEvent]) -> Result<(), StoreError>;
    /// Tells other processes, at commit, that work was added.
    async fn announce_work(&mut self) -> Result<(), StoreError>;
    /// Sets, rolls back to or releases the transaction's savepoint, so that part of a
    /// write can be undone alone (a batch's order whose money guard failed) while the
    /// transaction goes on.
    async fn savepoint(&mut self, step: Savepoint) -> Result<(), StoreError>;
    /// Ends claim `lease` without changing the order, if it still holds: the order is
    /// claimable again at once.
    async fn end_claim(&mut self, lease: Lease) -> Result<(), StoreError>;
    /// Commits.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}
