//! SQLite's write transaction for orders, on the single writer connection.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, Transaction};

use super::append::insert_events;
use super::claim_key;
use super::order_rows::{
    ClaimRow, OrderRow, claimable, claimed, head_of_arrangement, insert_card, order_columns,
};
use crate::domain::account::{AccountChange, Mandate, Posting};
use crate::domain::card::Card;
use crate::domain::order::OrderNumber;
use crate::domain::standing_order::StandingOrder;
use crate::store::accounts::{MandateColumns, balance_guard};
use crate::store::orders::{Claimed, Guard, Lease, OrderColumns, OrderTx, Savepoint, numbered};
use crate::store::{IdempotencyKey, NewEvent, StoreError, to_micros};

/// Rows per multi-row statement: at most 12 values a row, far below SQLite's 32766.
const ROWS_PER_STATEMENT: usize = 1_000;
/// Orders per insert statement: 20 values a row.
pub(super) const ORDERS_PER_STATEMENT: usize = ROWS_PER_STATEMENT / 2;

/// Inserts orders, [`ORDERS_PER_STATEMENT`] to a statement, and returns their numbers in
/// the order of `orders`. Atomic by itself only when they fit in one statement; the
/// caller's transaction makes more atomic.
pub(super) async fn insert_order_rows(
    connection: &mut SqliteConnection,
    orders: &[OrderColumns],
) -> Result<Vec<i64>, StoreError> {
    let mut numbers: HashMap<String, i64> = HashMap::with_capacity(orders.len());
    for chunk in orders.chunks(ORDERS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "INSERT INTO orders (kind, serial_key, duplicate_key, card_id, arrangement_number, owner_customer_number,
                 holder_customer_number, request_json, description, status, status_date, creation_date, deadline,
                 current_step, phase, next_run_at, steps_json, rejection_reason, result_card_id, hold_reason) ",
        );
        query.push_values(chunk, |mut row, c| {
            row.push_bind(c.kind.clone())
                .push_bind(c.serial_key.clone())
                .push_bind(c.duplicate_key.clone())
                .push_bind(c.card_id.clone())
                .push_bind(c.arrangement_number.clone())
                .push_bind(c.owner_customer_number.clone())
                .push_bind(c.holder_customer_number.clone())
                .push_bind(c.request_json.clone())
                .push_bind(c.description.clone())
                .push_bind(c.status.clone())
                .push_bind(to_micros(c.status_date))
                .push_bind(to_micros(c.creation_date))
                .push_bind(to_micros(c.deadline))
                .push_bind(c.current_step)
                .push_bind(c.phase.clone())
                .push_bind(c.next_run_at.map(to_micros))
                .push_bind(c.steps_json.clone())
                .push_bind(c.rejection_reason.clone())
                .push_bind(c.result_card_id.clone())
                .push_bind(c.hold_reason.clone());
        });
        // RETURNING names no order; the duplicate key (unique among active orders,
        // which new ones are) tells which number is whose.
        query.push(" RETURNING order_id, duplicate_key");
        let rows: Vec<(i64, String)> = query.build_query_as().fetch_all(&mut *connection).await?;
        numbers.extend(rows.into_iter().map(|(id, key)| (key, id)));
    }
    numbered(orders, &numbers)
}

/// A transaction on the writer; rolled back when dropped uncommitted.
pub(super) struct SqliteOrderTx {
    pub(super) tx: Transaction<'static, Sqlite>,
    /// Bumped, after the commit, for the customers of the events written.
    generations: std::sync::Arc<crate::store::page_cache::WriteGenerations>,
    wrote_for: Vec<crate::domain::CustomerNumber>,
}

impl SqliteOrderTx {
    pub(super) fn new(
        tx: Transaction<'static, Sqlite>,
        generations: std::sync::Arc<crate::store::page_cache::WriteGenerations>,
    ) -> Self {
        Self {
            tx,
            generations,
            wrote_for: Vec::new(),
        }
    }
}

#[async_trait]
impl OrderTx for SqliteOrderTx {
    async fn insert_orders(&mut self, orders: &[OrderColumns]) -> Result<Vec<i64>, StoreError> {
        insert_order_rows(&mut self.tx, orders).await
    }

    async fn claim_key(
        &mut self,
        key: &IdempotencyKey,
        resource: &str,
    ) -> Result<bool, StoreError> {
        claim_key(&mut self.tx, key, resource).await
    }

    async fn claim_due(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Claimed>, StoreError> {
        let rows: Vec<ClaimRow> = sqlx::query_as(concat!(
            "SELECT ",
            order_columns!(),
            ", lease_token, ",
            head_of_arrangement!("o"),
            " AS head FROM orders o WHERE ",
            claimable!(),
            " AND o.next_run_at <= ?1 AND (o.leased_until IS NULL OR o.leased_until <= ?1)
                 ORDER BY o.next_run_at, o.order_id LIMIT ?2"
        ))
        .bind(to_micros(now))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *self.tx)
        .await?;
        Ok(claimed(rows))
    }

    async fn lock_order(
        &mut self,
        number: OrderNumber,
    ) -> Result<Option<OrderColumns>, StoreError> {
        // The writer connection is the lock: no other write runs until this one ends.
        let row: Option<OrderRow> = sqlx::query_as(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE order_id = ?"
        ))
        .bind(number.0)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(OrderRow::into_columns).transpose()
    }

    async fn save_orders(
        &mut self,
        orders: &[(OrderColumns, Guard)],
    ) -> Result<Vec<bool>, StoreError> {
        let mut written = HashSet::with_capacity(orders.len());
        for chunk in orders.chunks(ROWS_PER_STATEMENT) {
            // One statement per chunk: each statement is a round trip to the connection's
            // worker thread, which per row was most of a batch's time.
            let mut query = QueryBuilder::<Sqlite>::new(
                "WITH v (order_id, token, release, status, status_date, current_step, phase, next_run_at,
                         steps_json, rejection_reason, result_card_id, hold_reason) AS (",
            );
            query.push_values(chunk, |mut row, (c, guard)| {
                let (token, release) = match guard {
                    Guard::Fenced { lease, release } => (Some(lease.token), *release),
                    Guard::Override => (None, true),
                };
                row.push_bind(c.order_id)
                    .push_bind(token)
                    .push_bind(release)
                    .push_bind(c.status.clone())
                    .push_bind(to_micros(c.status_date))
                    .push_bind(c.current_step)
                    .push_bind(c.phase.clone())
                    .push_bind(c.next_run_at.map(to_micros))
                    .push_bind(c.steps_json.clone())
                    .push_bind(c.rejection_reason.clone())
                    .push_bind(c.result_card_id.clone())
                    .push_bind(c.hold_reason.clone());
            });
            // An override raises the token, fencing out whichever pass holds the old one.
            query.push(
                ") UPDATE orders SET status = v.status, status_date = v.status_date,
                        current_step = v.current_step, phase = v.phase, next_run_at = v.next_run_at,
                        steps_json = v.steps_json, rejection_reason = v.rejection_reason,
                        result_card_id = v.result_card_id, hold_reason = v.hold_reason,
                        leased_until = CASE WHEN v.release THEN NULL ELSE orders.leased_until END,
                        lease_token = CASE WHEN v.token IS NULL THEN orders.lease_token + 1
                                           ELSE orders.lease_token END
                 FROM v
                 WHERE orders.order_id = v.order_id AND (v.token IS NULL OR orders.lease_token = v.token)
                 RETURNING orders.order_id",
            );
            let ids: Vec<i64> = query.build_query_scalar().fetch_all(&mut *self.tx).await?;
            written.extend(ids);
        }
        Ok(orders
            .iter()
            .map(|(c, _)| written.contains(&c.order_id))
            .collect())
    }

    async fn hold_unreadable(
        &mut self,
        lease: Lease,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE orders SET status = 'held', status_date = ?, hold_reason = ?, leased_until = NULL
             WHERE order_id = ? AND lease_token = ?",
        )
        .bind(to_micros(now))
        .bind(reason)
        .bind(lease.order_id)
        .bind(lease.token)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn savepoint(&mut self, step: Savepoint) -> Result<(), StoreError> {
        sqlx::raw_sql(step.sql()).execute(&mut *self.tx).await?;
        Ok(())
    }

    async fn end_claim(&mut self, lease: Lease) -> Result<(), StoreError> {
        sqlx::query("UPDATE orders SET leased_until = NULL WHERE order_id = ? AND lease_token = ?")
            .bind(lease.order_id)
            .bind(lease.token)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn insert_cards(&mut self, cards: &[Card]) -> Result<(), StoreError> {
        for card in cards {
            insert_card(&mut self.tx, card, false).await?;
        }
        Ok(())
    }

    async fn update_cards(&mut self, cards: &[Card]) -> Result<(), StoreError> {
        for chunk in cards.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "WITH v (card_id, status, blockade_reason, replaces, replaced_by, status_date) AS (",
            );
            query.push_values(chunk, |mut row, card| {
                row.push_bind(card.id.to_string())
                    .push_bind(card.status.as_str())
                    .push_bind(card.blockade_reason.clone())
                    .push_bind(card.replaces.clone().map(String::from))
                    .push_bind(card.replaced_by.clone().map(String::from))
                    .push_bind(to_micros(card.status_date));
            });
            query.push(
                ") UPDATE cards SET status = v.status, blockade_reason = v.blockade_reason,
                        replaces = v.replaces, replaced_by = v.replaced_by, status_date = v.status_date
                 FROM v WHERE cards.card_id = v.card_id",
            );
            query.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    async fn book_posting(
        &mut self,
        order_id: i64,
        posting: &Posting,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        sqlx::query(
            "INSERT INTO account_postings (order_id, leg, arrangement_number, amount_minor,
                 currency_code, counterparty, booked_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(order_id)
        .bind(i64::from(posting.leg))
        .bind(posting.account.as_str())
        .bind(posting.amount.minor)
        .bind(posting.amount.currency.as_str())
        .bind(&posting.counterparty)
        .bind(to_micros(now))
        .execute(&mut *self.tx)
        .await?;
        let (condition, expected) = balance_guard(posting.guard);
        // Only the guard's condition varies, and it is one of three constants.
        let moved = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE arrangements SET balance_minor = balance_minor + $1
              WHERE arrangement_number = $2 AND currency_code = $3 AND {condition}"
        )))
        .bind(posting.amount.minor)
        .bind(posting.account.as_str())
        .bind(posting.amount.currency.as_str())
        .bind(expected)
        .execute(&mut *self.tx)
        .await?;
        Ok(moved.rows_affected() == 1)
    }

    async fn save_mandates(&mut self, mandates: &[Mandate]) -> Result<(), StoreError> {
        for mandate in mandates {
            let m = MandateColumns::of(mandate);
            sqlx::query(
                "INSERT INTO mandates (mandate_number, arrangement_number, grantor_customer_number,
                     holder_customer_number, nickname, status, granted_on, revoked_on)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (mandate_number) DO UPDATE
                     SET nickname = excluded.nickname, status = excluded.status,
                         revoked_on = excluded.revoked_on",
            )
            .bind(m.mandate_number)
            .bind(m.arrangement_number)
            .bind(m.grantor_customer_number)
            .bind(m.holder_customer_number)
            .bind(m.nickname)
            .bind(m.status)
            .bind(m.granted_on)
            .bind(m.revoked_on)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    async fn insert_standing_orders(&mut self, orders: &[StandingOrder]) -> Result<(), StoreError> {
        self.insert_standing(orders).await
    }

    async fn import_order(&mut self, order: &OrderColumns) -> Result<(), StoreError> {
        Self::import_order(self, order).await
    }

    async fn due_standing_orders(
        &mut self,
        today: chrono::NaiveDate,
        limit: usize,
    ) -> Result<Vec<StandingOrder>, StoreError> {
        self.due_standing(today, limit).await
    }

    async fn lock_standing_order(
        &mut self,
        number: OrderNumber,
    ) -> Result<Option<StandingOrder>, StoreError> {
        self.lock_standing(number).await
    }

    async fn update_standing_orders(
        &mut self,
        orders: &[(StandingOrder, u32)],
    ) -> Result<bool, StoreError> {
        self.update_standing(orders).await
    }

    async fn change_accounts(&mut self, changes: &[AccountChange]) -> Result<(), StoreError> {
        for change in changes {
            let (code, name) = change.product.clone().unzip();
            sqlx::query(
                "UPDATE arrangements SET status = COALESCE($1, status),
                        product_code = COALESCE($2, product_code),
                        product_name = COALESCE($3, product_name),
                        interest_from = COALESCE($4, interest_from)
                  WHERE arrangement_number = $5",
            )
            .bind(change.status.map(|s| s.as_str()))
            .bind(code)
            .bind(name)
            .bind(change.interest_from)
            .bind(change.account.as_str())
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    async fn insert_events(&mut self, events: &[NewEvent]) -> Result<(), StoreError> {
        self.wrote_for
            .extend(events.iter().map(|e| e.customer_number.clone()));
        let events: Vec<&NewEvent> = events.iter().collect();
        insert_events(&mut self.tx, &events).await?;
        Ok(())
    }

    async fn announce_work(&mut self) -> Result<(), StoreError> {
        // One process per file: the store's in-process notify after commit is enough.
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let committed = self.tx.commit().await;
        self.generations.bump(&self.wrote_for);
        committed?;
        Ok(())
    }
}
