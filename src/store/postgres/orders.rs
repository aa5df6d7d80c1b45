//! PostgreSQL's statements for the Customer Order API.
//!
//! Several `bankapi serve` processes may share one database, each with its own engine,
//! and every step must still run exactly once. The claim takes due orders with
//! `FOR UPDATE SKIP LOCKED` (other processes skip them instead of waiting) and gives each
//! a lease with a fencing token, committed at once; the engine then works without a
//! transaction open and writes back only while its token holds. Wake-ups cross processes
//! through `LISTEN`/`NOTIFY` ([`super::listener`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder};

use super::PgStore;
use super::listener::WORK_CHANNEL;
use super::order_rows::{
    ArrangementRow, CardRow, ClaimRow, OrderRow, card_columns, claimable, claimed,
    head_of_arrangement, order_columns, walk_due_index,
};
use super::order_tx::PgOrderTx;
use super::reference_data::import_reference_data;
use crate::domain::CustomerNumber;
use crate::domain::account::{Account, Mandate};
use crate::domain::card::{Arrangement, Card, Customer};
use crate::domain::identifier::{ArrangementNumber, CardId};
use crate::domain::order::{Order, OrderNumber};
use crate::domain::standing_order::StandingOrder;
use crate::store::orders::{
    CardFilter, CardSubject, Claimed, Gather, OrderFilter, OrderStore, OrderTx, QueueGauges,
    WorkSignal, customer, direction, readable,
};
use crate::store::{IdempotencyKey, Recorded, StoreError};

fn push_order_filters(query: &mut QueryBuilder<Postgres>, filter: &OrderFilter) {
    query.push(" WHERE 1 = 1");
    if !filter.kinds.is_empty() {
        query.push(" AND kind IN (");
        let mut list = query.separated(", ");
        for kind in &filter.kinds {
            list.push_bind(kind.as_str());
        }
        list.push_unseparated(")");
    }
    if let Some(customer) = &filter.customer {
        // The same rows as `owner = c OR holder = c`, in the terms of the holder index,
        // which keeps only the orders held by someone else (migration 0016).
        query
            .push(" AND (owner_customer_number = ")
            .push_bind(customer.as_str().to_owned())
            .push(" OR (holder_customer_number = ")
            .push_bind(customer.as_str().to_owned())
            .push(" AND holder_customer_number <> owner_customer_number))");
    }
    if !filter.statuses.is_empty() {
        query.push(" AND status IN (");
        let mut list = query.separated(", ");
        for status in &filter.statuses {
            list.push_bind(status.as_str());
        }
        list.push_unseparated(")");
    }
}

#[async_trait]
impl OrderStore for PgStore {
    async fn customer(&self, number: &CustomerNumber) -> Result<Option<Customer>, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT customer_number, name FROM customers WHERE customer_number = $1",
        )
        .bind(number.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(customer).transpose()
    }

    async fn card(&self, id: &CardId) -> Result<Option<Card>, StoreError> {
        let row: Option<CardRow> = sqlx::query_as(concat!(
            "SELECT ",
            card_columns!(),
            " FROM cards WHERE card_id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(CardRow::into_card).transpose()
    }

    async fn arrangement(
        &self,
        number: &ArrangementNumber,
    ) -> Result<Option<Arrangement>, StoreError> {
        let row: Option<ArrangementRow> = sqlx::query_as(
            "SELECT arrangement_number, owner_customer_number, product_code, (status = 'active') AS active, allows_cards, card_limit
             FROM arrangements WHERE arrangement_number = $1",
        )
        .bind(number.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(ArrangementRow::into_arrangement).transpose()
    }

    async fn arrangement_cards(&self, number: &ArrangementNumber) -> Result<Vec<Card>, StoreError> {
        let rows: Vec<CardRow> = sqlx::query_as(concat!(
            "SELECT ",
            card_columns!(),
            " FROM cards WHERE arrangement_number = $1 ORDER BY card_id"
        ))
        .bind(number.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(CardRow::into_card).collect()
    }

    async fn card_subjects(&self, card_ids: &[CardId]) -> Result<Vec<CardSubject>, StoreError> {
        self.acceptance.subjects(card_ids).await
    }

    async fn list_cards(&self, filter: &CardFilter) -> Result<(Vec<Card>, u64), StoreError> {
        let mut query = QueryBuilder::<Postgres>::new(concat!(
            "SELECT ",
            card_columns!(),
            " FROM cards WHERE 1 = 1"
        ));
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM cards WHERE 1 = 1");
        if let Some(customer) = &filter.customer {
            for q in [&mut query, &mut count] {
                q.push(" AND (holder_customer_number = ")
                    .push_bind(customer.as_str().to_owned())
                    .push(" OR owner_customer_number = ")
                    .push_bind(customer.as_str().to_owned())
                    .push(")");
            }
        }
        query
            .push(" ORDER BY card_id LIMIT ")
            .push_bind(i64::from(filter.page.size));
        query
            .push(" OFFSET ")
            .push_bind(i64::try_from(filter.page.offset()).unwrap_or(i64::MAX));
        let rows: Vec<CardRow> = query.build_query_as().fetch_all(&self.pool).await?;
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;
        let cards = rows
            .into_iter()
            .map(CardRow::into_card)
            .collect::<Result<_, _>>()?;
        Ok((cards, u64::try_from(total).unwrap_or(0)))
    }

    async fn recorded_order(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<Recorded<OrderNumber>>, StoreError> {
        super::recorded_key(&self.pool, key).await
    }

    async fn get_order(&self, number: OrderNumber) -> Result<Option<Order>, StoreError> {
        let row: Option<OrderRow> = sqlx::query_as(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE order_id = $1"
        ))
        .bind(number.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(OrderRow::into_order).transpose()
    }

    async fn list_orders(&self, filter: &OrderFilter) -> Result<(Vec<Order>, u64), StoreError> {
        let mut query =
            QueryBuilder::<Postgres>::new(concat!("SELECT ", order_columns!(), " FROM orders"));
        push_order_filters(&mut query, filter);
        let column = filter.sort.column();
        let direction = direction(filter.order);
        query.push(format!(
            " ORDER BY {column} {direction}, order_id {direction} LIMIT "
        ));
        query.push_bind(i64::from(filter.page.size));
        query
            .push(" OFFSET ")
            .push_bind(i64::try_from(filter.page.offset()).unwrap_or(i64::MAX));
        let rows: Vec<OrderRow> = query.build_query_as().fetch_all(&self.pool).await?;
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM orders");
        push_order_filters(&mut count, filter);
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;
        let orders = readable(
            rows.into_iter()
                .map(|row| (row.order_id(), row.into_order())),
        );
        Ok((orders, u64::try_from(total).unwrap_or(0)))
    }

    async fn begin(&self) -> Result<Box<dyn OrderTx>, StoreError> {
        Ok(Box::new(PgOrderTx::new(self.pool.begin().await?)))
    }

    async fn insert_orders_gathered(
        &self,
        gather: Gather<'_>,
        announce: bool,
    ) -> Result<Vec<i64>, StoreError> {
        self.acceptance.insert(gather, announce).await
    }

    async fn announce_work(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(WORK_CHANNEL)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<Claimed>, StoreError> {
        // The CTE is the claim: its rows are locked until this statement commits, and
        // other processes' claims skip them rather than wait. The lease then keeps them
        // for this process once the locks are gone.
        let mut tx = self.pool.begin().await?;
        walk_due_index(&mut tx).await?;
        let rows: Vec<ClaimRow> = sqlx::query_as(concat!(
            "WITH due AS (
                 SELECT o.order_id FROM orders o
                 WHERE ",
            claimable!(),
            " AND o.next_run_at <= $1 AND (o.leased_until IS NULL OR o.leased_until <= $1)
                 ORDER BY o.next_run_at, o.order_id LIMIT $2 FOR UPDATE SKIP LOCKED)
             UPDATE orders SET lease_token = orders.lease_token + 1, leased_until = $3
             FROM due WHERE orders.order_id = due.order_id
             RETURNING orders.order_id, kind, serial_key, duplicate_key, card_id, arrangement_number,
                 owner_customer_number, holder_customer_number, request_json, description, status,
                 status_date, creation_date, deadline, current_step, phase, next_run_at, steps_json,
                 rejection_reason, result_card_id, hold_reason, lease_token, ",
            head_of_arrangement!("orders"),
            " AS head"
        ))
        .bind(now)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .bind(lease_until)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(claimed(rows))
    }

    async fn arrangements_in(&self, numbers: &[String]) -> Result<Vec<Arrangement>, StoreError> {
        let rows: Vec<ArrangementRow> = sqlx::query_as(
            "SELECT arrangement_number, owner_customer_number, product_code, (status = 'active') AS active, allows_cards, card_limit
             FROM arrangements WHERE arrangement_number = ANY($1)",
        )
        .bind(numbers)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(ArrangementRow::into_arrangement)
            .collect()
    }

    async fn accounts_around(&self, numbers: &[String]) -> Result<Vec<Account>, StoreError> {
        Self::accounts_around(self, numbers).await
    }

    async fn mandates_on(&self, arrangements: &[String]) -> Result<Vec<Mandate>, StoreError> {
        Self::mandates_on(self, arrangements).await
    }

    async fn standing_orders_from(
        &self,
        accounts: &[String],
    ) -> Result<Vec<StandingOrder>, StoreError> {
        Self::standing_orders_from(self, accounts).await
    }

    async fn standing_orders_set_up_by(
        &self,
        numbers: &[OrderNumber],
    ) -> Result<Vec<StandingOrder>, StoreError> {
        Self::standing_orders_set_up_by(self, numbers).await
    }

    async fn cards_in(&self, arrangements: &[String]) -> Result<Vec<Card>, StoreError> {
        let rows: Vec<CardRow> = sqlx::query_as(concat!(
            "SELECT ",
            card_columns!(),
            " FROM cards WHERE arrangement_number = ANY($1) ORDER BY card_id"
        ))
        .bind(arrangements)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(CardRow::into_card).collect()
    }

    async fn customers_in(&self, numbers: &[String]) -> Result<Vec<Customer>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT customer_number, name FROM customers WHERE customer_number = ANY($1)",
        )
        .bind(numbers)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(customer).collect()
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<DateTime<Utc>> = sqlx::query_scalar(concat!(
            "SELECT MIN(GREATEST(o.next_run_at, o.leased_until)) FROM orders o WHERE ",
            claimable!()
        ))
        .fetch_one(&self.pool)
        .await?;
        Ok(at)
    }

    async fn queue_gauges(&self, now: DateTime<Utc>) -> Result<QueueGauges, StoreError> {
        // Two index probes (`orders_held`, `orders_due`) whatever the statistics say:
        // without them (a backlog that arrived since the last ANALYZE) the held count was
        // a sequential scan of the orders, 25 to 40 ms a look with 100,000 due.
        let mut tx = self.pool.begin().await?;
        walk_due_index(&mut tx).await?;
        let (held, oldest): (i64, Option<DateTime<Utc>>) = sqlx::query_as(concat!(
            "SELECT (SELECT COUNT(*) FROM orders WHERE hold_reason IS NOT NULL AND next_run_at IS NOT NULL),
                    (SELECT MIN(o.next_run_at) FROM orders o WHERE ",
            claimable!(),
            " AND o.next_run_at <= $1)"
        ))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(QueueGauges {
            held: u64::try_from(held).unwrap_or(0),
            oldest_due: oldest,
        })
    }

    fn work(&self) -> &WorkSignal {
        &self.work
    }

    fn concurrent_writes(&self) -> bool {
        true
    }

    async fn import_reference_data(
        &self,
        customers: &[Customer],
        accounts: &[Account],
        cards: &[Card],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        import_reference_data(&mut tx, customers, accounts, cards).await?;
        tx.commit().await?;
        Ok(())
    }
}
