//! PostgreSQL's write transaction for orders. A batch's writes are set-based: each kind
//! of row is written with one statement over arrays (`UNNEST`), whatever the batch size,
//! so an engine pass costs a handful of round trips rather than a few per order.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};

use super::append::insert_group;
use super::claim_key;
use super::listener::WORK_CHANNEL;
use super::order_inserts::{insert_cards, insert_orders};
use super::order_rows::{
    ClaimRow, OrderRow, claimable, claimed, current_step_column, head_of_arrangement,
    order_columns, plan_freely, walk_due_index,
};
use crate::domain::account::{AccountChange, Mandate, Posting};
use crate::domain::card::Card;
use crate::domain::identifier::CardId;
use crate::domain::order::OrderNumber;
use crate::domain::standing_order::StandingOrder;
use crate::store::accounts::{MandateColumns, balance_guard};
use crate::store::orders::{Claimed, Guard, Lease, OrderColumns, OrderTx, Savepoint};
use crate::store::{IdempotencyKey, NewEvent, StoreError};

/// A transaction on a pooled connection; rolled back when dropped uncommitted.
pub(super) struct PgOrderTx {
    pub(super) tx: Transaction<'static, Postgres>,
}

impl PgOrderTx {
    pub(super) fn new(tx: Transaction<'static, Postgres>) -> Self {
        Self { tx }
    }
}

#[async_trait]
impl OrderTx for PgOrderTx {
    async fn insert_orders(&mut self, orders: &[OrderColumns]) -> Result<Vec<i64>, StoreError> {
        insert_orders(&mut self.tx, orders, false).await
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
        walk_due_index(&mut self.tx).await?;
        let rows: Vec<ClaimRow> = sqlx::query_as(concat!(
            "SELECT ",
            order_columns!(),
            ", lease_token, ",
            head_of_arrangement!("o"),
            " AS head FROM orders o WHERE ",
            claimable!(),
            " AND o.next_run_at <= $1 AND (o.leased_until IS NULL OR o.leased_until <= $1)
                 ORDER BY o.next_run_at, o.order_id LIMIT $2
                 FOR UPDATE OF o SKIP LOCKED"
        ))
        .bind(now)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *self.tx)
        .await?;
        plan_freely(&mut self.tx).await?;
        Ok(claimed(rows))
    }

    async fn lock_order(
        &mut self,
        number: OrderNumber,
    ) -> Result<Option<OrderColumns>, StoreError> {
        // Waits for a write holding the order (an engine's completion), then reads the
        // order as that write left it.
        let row: Option<OrderRow> = sqlx::query_as(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE order_id = $1 FOR UPDATE"
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
        let mut ids = Vec::with_capacity(orders.len());
        let mut tokens = Vec::with_capacity(orders.len());
        let mut releases = Vec::with_capacity(orders.len());
        let mut steps = Vec::with_capacity(orders.len());
        for (c, guard) in orders {
            let (token, release) = match guard {
                Guard::Fenced { lease, release } => (Some(lease.token), *release),
                Guard::Override => (None, true),
            };
            ids.push(c.order_id);
            tokens.push(token);
            releases.push(release);
            steps.push(current_step_column(c)?);
        }
        let text =
            |f: fn(&OrderColumns) -> &str| orders.iter().map(|(c, _)| f(c)).collect::<Vec<&str>>();
        let optional = |f: fn(&OrderColumns) -> Option<&str>| {
            orders
                .iter()
                .map(|(c, _)| f(c))
                .collect::<Vec<Option<&str>>>()
        };
        let status_dates: Vec<DateTime<Utc>> = orders.iter().map(|(c, _)| c.status_date).collect();
        let next_runs: Vec<Option<DateTime<Utc>>> =
            orders.iter().map(|(c, _)| c.next_run_at).collect();
        // A row whose fence fails is not updated and not returned. An override raises
        // the token, fencing out whichever pass still holds the old one.
        let written: Vec<i64> = sqlx::query_scalar(
            "UPDATE orders o SET status = u.status, status_date = u.status_date, current_step = u.current_step,
                    phase = u.phase, next_run_at = u.next_run_at, steps_json = u.steps_json,
                    rejection_reason = u.rejection_reason, result_card_id = u.result_card_id,
                    hold_reason = u.hold_reason,
                    leased_until = CASE WHEN u.release THEN NULL ELSE o.leased_until END,
                    lease_token = CASE WHEN u.token IS NULL THEN o.lease_token + 1 ELSE o.lease_token END
             FROM UNNEST($1::bigint[], $2::bigint[], $3::bool[], $4::text[], $5::timestamptz[], $6::int[],
                         $7::text[], $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[])
                  AS u(order_id, token, release, status, status_date, current_step, phase, next_run_at,
                       steps_json, rejection_reason, result_card_id, hold_reason)
             WHERE o.order_id = u.order_id AND (u.token IS NULL OR o.lease_token = u.token)
             RETURNING o.order_id",
        )
        .bind(&ids)
        .bind(&tokens)
        .bind(&releases)
        .bind(text(|c| &c.status))
        .bind(&status_dates)
        .bind(&steps)
        .bind(optional(|c| c.phase.as_deref()))
        .bind(&next_runs)
        .bind(text(|c| &c.steps_json))
        .bind(optional(|c| c.rejection_reason.as_deref()))
        .bind(optional(|c| c.result_card_id.as_deref()))
        .bind(optional(|c| c.hold_reason.as_deref()))
        .fetch_all(&mut *self.tx)
        .await?;
        let written: std::collections::HashSet<i64> = written.into_iter().collect();
        Ok(ids.iter().map(|id| written.contains(id)).collect())
    }

    async fn hold_unreadable(
        &mut self,
        lease: Lease,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE orders SET status = 'held', status_date = $1, hold_reason = $2, leased_until = NULL
             WHERE order_id = $3 AND lease_token = $4",
        )
        .bind(now)
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
        sqlx::query(
            "UPDATE orders SET leased_until = NULL WHERE order_id = $1 AND lease_token = $2",
        )
        .bind(lease.order_id)
        .bind(lease.token)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    async fn insert_cards(&mut self, cards: &[Card]) -> Result<(), StoreError> {
        insert_cards(&mut self.tx, cards, false).await
    }

    async fn update_cards(&mut self, cards: &[Card]) -> Result<(), StoreError> {
        let ids: Vec<&str> = cards.iter().map(|c| c.id.as_str()).collect();
        let statuses: Vec<&str> = cards.iter().map(|c| c.status.as_str()).collect();
        let reasons: Vec<Option<&str>> =
            cards.iter().map(|c| c.blockade_reason.as_deref()).collect();
        let replaces: Vec<Option<&str>> = cards
            .iter()
            .map(|c| c.replaces.as_ref().map(CardId::as_str))
            .collect();
        let replaced_by: Vec<Option<&str>> = cards
            .iter()
            .map(|c| c.replaced_by.as_ref().map(CardId::as_str))
            .collect();
        let dates: Vec<DateTime<Utc>> = cards.iter().map(|c| c.status_date).collect();
        sqlx::query(
            "UPDATE cards c SET status = u.status, blockade_reason = u.blockade_reason, replaces = u.replaces,
                    replaced_by = u.replaced_by, status_date = u.status_date
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
                  AS u(card_id, status, blockade_reason, replaces, replaced_by, status_date)
             WHERE c.card_id = u.card_id",
        )
        .bind(&ids)
        .bind(&statuses)
        .bind(&reasons)
        .bind(&replaces)
        .bind(&replaced_by)
        .bind(&dates)
        .execute(&mut *self.tx)
        .await?;
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
        .bind(now)
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
        let rows: Vec<_> = events.iter().map(|e| (e, None)).collect();
        insert_group(&mut self.tx, &rows).await?;
        Ok(())
    }

    async fn announce_work(&mut self) -> Result<(), StoreError> {
        // Delivered at commit (and not at all on rollback) to every process listening.
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(WORK_CHANNEL)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}
