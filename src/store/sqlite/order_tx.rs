//! SQLite's write transaction for orders, on the single writer connection.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Sqlite, Transaction};

use super::order_rows::{OrderRow, insert_card, order_columns};
use super::{claim_key, insert_event};
use crate::domain::card::Card;
use crate::domain::order::OrderNumber;
use crate::store::orders::{Guard, Lease, OrderColumns, OrderTx};
use crate::store::{IdempotencyKey, NewEvent, StoreError, to_micros};

/// A transaction on the writer; rolled back when dropped uncommitted.
pub(super) struct SqliteOrderTx {
    tx: Transaction<'static, Sqlite>,
}

impl SqliteOrderTx {
    pub(super) fn new(tx: Transaction<'static, Sqlite>) -> Self {
        Self { tx }
    }
}

#[async_trait]
impl OrderTx for SqliteOrderTx {
    async fn insert_order(&mut self, c: &OrderColumns) -> Result<i64, StoreError> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO orders (kind, serial_key, duplicate_key, card_id, arrangement_number, owner_customer_number,
                 holder_customer_number, request_json, description, status, status_date, creation_date, deadline,
                 current_step, phase, next_run_at, steps_json, rejection_reason, result_card_id, hold_reason)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING order_id",
        )
        .bind(&c.kind)
        .bind(&c.serial_key)
        .bind(&c.duplicate_key)
        .bind(&c.card_id)
        .bind(&c.arrangement_number)
        .bind(&c.owner_customer_number)
        .bind(&c.holder_customer_number)
        .bind(&c.request_json)
        .bind(&c.description)
        .bind(&c.status)
        .bind(to_micros(c.status_date))
        .bind(to_micros(c.creation_date))
        .bind(to_micros(c.deadline))
        .bind(c.current_step)
        .bind(&c.phase)
        .bind(c.next_run_at.map(to_micros))
        .bind(&c.steps_json)
        .bind(&c.rejection_reason)
        .bind(&c.result_card_id)
        .bind(&c.hold_reason)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(id)
    }

    async fn claim_key(
        &mut self,
        key: &IdempotencyKey,
        resource: &str,
    ) -> Result<bool, StoreError> {
        claim_key(&mut self.tx, key, resource).await
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
        let mut written = Vec::with_capacity(orders.len());
        for (c, guard) in orders {
            let (token, release) = match guard {
                Guard::Fenced { lease, release } => (Some(lease.token), *release),
                Guard::Override => (None, true),
            };
            let result = sqlx::query(
                "UPDATE orders SET status = ?, status_date = ?, current_step = ?, phase = ?, next_run_at = ?,
                        steps_json = ?, rejection_reason = ?, result_card_id = ?, hold_reason = ?,
                        leased_until = CASE WHEN ? THEN NULL ELSE leased_until END,
                        lease_token = CASE WHEN ? IS NULL THEN lease_token + 1 ELSE lease_token END
                 WHERE order_id = ? AND (? IS NULL OR lease_token = ?)",
            )
            .bind(&c.status)
            .bind(to_micros(c.status_date))
            .bind(c.current_step)
            .bind(&c.phase)
            .bind(c.next_run_at.map(to_micros))
            .bind(&c.steps_json)
            .bind(&c.rejection_reason)
            .bind(&c.result_card_id)
            .bind(&c.hold_reason)
            .bind(release)
            .bind(token)
            .bind(c.order_id)
            .bind(token)
            .bind(token)
            .execute(&mut *self.tx)
            .await?;
            written.push(result.rows_affected() == 1);
        }
        Ok(written)
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

    async fn insert_cards(&mut self, cards: &[Card]) -> Result<(), StoreError> {
        for card in cards {
            insert_card(&mut self.tx, card, false).await?;
        }
        Ok(())
    }

    async fn update_cards(&mut self, cards: &[Card]) -> Result<(), StoreError> {
        for card in cards {
            sqlx::query(
                "UPDATE cards SET status = ?, blockade_reason = ?, replaces = ?, replaced_by = ?, status_date = ?
                 WHERE card_id = ?",
            )
            .bind(card.status.as_str())
            .bind(&card.blockade_reason)
            .bind(&card.replaces)
            .bind(&card.replaced_by)
            .bind(to_micros(card.status_date))
            .bind(&card.id)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    async fn insert_events(&mut self, events: &[NewEvent]) -> Result<(), StoreError> {
        for event in events {
            insert_event(&mut self.tx, None, event).await?;
        }
        Ok(())
    }

    async fn announce_work(&mut self) -> Result<(), StoreError> {
        // One process per file: the store's in-process notify after commit is enough.
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}
