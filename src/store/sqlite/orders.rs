//! SQLite's statements for the Customer Order API: reads on the reader pool, the claim
//! and every write on the single writer connection. With one writer nothing interleaves
//! with a claim; leases still fence writes, so that a cancel decided while an engine pass
//! runs always wins over what that pass computed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Connection, QueryBuilder, Sqlite};

use super::SqliteStore;
use super::order_rows::{
    ArrangementRow, CardRow, ClaimRow, OrderRow, card_columns, claimable, claimed,
    head_of_arrangement, order_columns,
};
use super::order_tx::{ORDERS_PER_STATEMENT, SqliteOrderTx, insert_order_rows};
use super::reference_data::import_reference_data;
use crate::domain::CustomerNumber;
use crate::domain::account::{Account, Mandate};
use crate::domain::card::{Arrangement, Card, Customer};
use crate::domain::identifier::{ArrangementNumber, CardId};
use crate::domain::order::OrderNumber;
use crate::domain::standing_order::StandingOrder;
use crate::store::orders::{
    CardFilter, CardSubject, Claimed, Gather, OrderFilter, OrderStore, OrderTx, QueueGauges,
    WorkSignal, customer, direction, readable,
};
use crate::store::{IdempotencyKey, Recorded, StoreError, from_micros, to_micros};

pub(super) fn push_in(query: &mut QueryBuilder<Sqlite>, values: &[String]) {
    query.push(" IN (");
    let mut list = query.separated(", ");
    for value in values {
        list.push_bind(value.clone());
    }
    list.push_unseparated(")");
}

fn push_order_filters(query: &mut QueryBuilder<Sqlite>, filter: &OrderFilter) {
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

impl SqliteStore {
    /// Ends every lease: called at start-up, when the file's exclusive lock proves that
    /// no other process can hold one, so what a killed process had claimed (orders, the
    /// feed's relays, webhook deliveries) is claimable at once instead of after its lease
    /// runs out.
    pub(super) async fn release_leases(&self) -> Result<(), StoreError> {
        // Orders, relays' cursors and webhook deliveries alike: a killed process's
        // in-flight delivery goes again now (same webhook-id), not after its lease.
        for statement in [
            "UPDATE orders SET leased_until = NULL WHERE leased_until IS NOT NULL",
            "UPDATE feed_sinks SET leased_until = NULL WHERE leased_until IS NOT NULL",
            "UPDATE webhook_deliveries SET leased_until = NULL WHERE leased_until IS NOT NULL",
        ] {
            sqlx::query(statement).execute(&self.writer).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn customer(&self, number: &CustomerNumber) -> Result<Option<Customer>, StoreError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT customer_number, name FROM customers WHERE customer_number = ?")
                .bind(number.as_str())
                .fetch_optional(&self.reader)
                .await?;
        row.map(customer).transpose()
    }

    async fn card(&self, id: &CardId) -> Result<Option<Card>, StoreError> {
        let row: Option<CardRow> = sqlx::query_as(concat!(
            "SELECT ",
            card_columns!(),
            " FROM cards WHERE card_id = ?"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.reader)
        .await?;
        row.map(CardRow::into_card).transpose()
    }

    async fn arrangement(
        &self,
        number: &ArrangementNumber,
    ) -> Result<Option<Arrangement>, StoreError> {
        let row: Option<ArrangementRow> = sqlx::query_as(
            "SELECT arrangement_number, owner_customer_number, product_code, (status = 'active') AS active, allows_cards, card_limit
             FROM arrangements WHERE arrangement_number = ?",
        )
        .bind(number.as_str())
        .fetch_optional(&self.reader)
        .await?;
        row.map(ArrangementRow::into_arrangement).transpose()
    }

    async fn arrangement_cards(&self, number: &ArrangementNumber) -> Result<Vec<Card>, StoreError> {
        let rows: Vec<CardRow> = sqlx::query_as(concat!(
            "SELECT ",
            card_columns!(),
            " FROM cards WHERE arrangement_number = ? ORDER BY card_id"
        ))
        .bind(number.as_str())
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter().map(CardRow::into_card).collect()
    }

    async fn card_subjects(&self, card_ids: &[CardId]) -> Result<Vec<CardSubject>, StoreError> {
        self.subject_reads.read(card_ids).await
    }

    async fn list_cards(&self, filter: &CardFilter) -> Result<(Vec<Card>, u64), StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new(concat!(
            "SELECT ",
            card_columns!(),
            " FROM cards WHERE 1 = 1"
        ));
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM cards WHERE 1 = 1");
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
        let rows: Vec<CardRow> = query.build_query_as().fetch_all(&self.reader).await?;
        let total: i64 = count.build_query_scalar().fetch_one(&self.reader).await?;
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
        super::recorded_key(&self.writer, key).await
    }

    async fn get_order(
        &self,
        number: OrderNumber,
    ) -> Result<Option<crate::domain::order::Order>, StoreError> {
        let row: Option<OrderRow> = sqlx::query_as(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE order_id = ?"
        ))
        .bind(number.0)
        .fetch_optional(&self.reader)
        .await?;
        row.map(OrderRow::into_order).transpose()
    }

    async fn list_orders(
        &self,
        filter: &OrderFilter,
    ) -> Result<(Vec<crate::domain::order::Order>, u64), StoreError> {
        let mut query =
            QueryBuilder::<Sqlite>::new(concat!("SELECT ", order_columns!(), " FROM orders"));
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
        let rows: Vec<OrderRow> = query.build_query_as().fetch_all(&self.reader).await?;
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM orders");
        push_order_filters(&mut count, filter);
        let total: i64 = count.build_query_scalar().fetch_one(&self.reader).await?;
        let orders = readable(
            rows.into_iter()
                .map(|row| (row.order_id(), row.into_order())),
        );
        Ok((orders, u64::try_from(total).unwrap_or(0)))
    }

    async fn begin(&self) -> Result<Box<dyn OrderTx>, StoreError> {
        Ok(Box::new(SqliteOrderTx::new(
            self.writer.begin().await?,
            self.generations.clone(),
        )))
    }

    async fn insert_orders_gathered(
        &self,
        gather: Gather<'_>,
        _announce: bool,
    ) -> Result<Vec<i64>, StoreError> {
        // One process per file: `work_added`, after the commit, tells its engine.
        let mut connection = self.writer.acquire().await?;
        let orders = gather()?;
        if orders.len() <= ORDERS_PER_STATEMENT {
            // One statement in its own implicit transaction: one round trip to the
            // writer's thread, where BEGIN, INSERT and COMMIT took three, each of them
            // holding the single writer that the engine and the event POSTs wait for.
            return insert_order_rows(&mut connection, &orders).await;
        }
        let mut tx = connection.begin().await?;
        let numbers = insert_order_rows(&mut tx, &orders).await?;
        tx.commit().await?;
        Ok(numbers)
    }

    async fn announce_work(&self) -> Result<(), StoreError> {
        // One process per file: `work_added`, after every commit, has told its engine.
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<Claimed>, StoreError> {
        let rows: Vec<ClaimRow> = sqlx::query_as(concat!(
            "UPDATE orders SET lease_token = lease_token + 1, leased_until = ?3
             WHERE order_id IN (
                 SELECT o.order_id FROM orders o
                 WHERE ",
            claimable!(),
            " AND o.next_run_at <= ?1 AND (o.leased_until IS NULL OR o.leased_until <= ?1)
                 ORDER BY o.next_run_at, o.order_id LIMIT ?2)
             RETURNING ",
            order_columns!(),
            ", lease_token, ",
            head_of_arrangement!("orders"),
            " AS head"
        ))
        .bind(to_micros(now))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .bind(to_micros(lease_until))
        .fetch_all(&self.writer)
        .await?;
        Ok(claimed(rows))
    }

    async fn arrangements_in(&self, numbers: &[String]) -> Result<Vec<Arrangement>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT arrangement_number, owner_customer_number, product_code, (status = 'active') AS active, allows_cards, card_limit
             FROM arrangements WHERE arrangement_number",
        );
        push_in(&mut query, numbers);
        let rows: Vec<ArrangementRow> = query.build_query_as().fetch_all(&self.reader).await?;
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
        let mut query = QueryBuilder::<Sqlite>::new(concat!(
            "SELECT ",
            card_columns!(),
            " FROM cards WHERE arrangement_number"
        ));
        push_in(&mut query, arrangements);
        query.push(" ORDER BY card_id");
        let rows: Vec<CardRow> = query.build_query_as().fetch_all(&self.reader).await?;
        rows.into_iter().map(CardRow::into_card).collect()
    }

    async fn customers_in(&self, numbers: &[String]) -> Result<Vec<Customer>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT customer_number, name FROM customers WHERE customer_number",
        );
        push_in(&mut query, numbers);
        let rows: Vec<(String, String)> = query.build_query_as().fetch_all(&self.reader).await?;
        rows.into_iter().map(customer).collect()
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<i64> = sqlx::query_scalar(concat!(
            "SELECT MIN(MAX(o.next_run_at, COALESCE(o.leased_until, o.next_run_at))) FROM orders o WHERE ",
            claimable!()
        ))
        .fetch_one(&self.reader)
        .await?;
        at.map(from_micros).transpose()
    }

    async fn queue_gauges(&self, now: DateTime<Utc>) -> Result<QueueGauges, StoreError> {
        let (held, oldest): (i64, Option<i64>) = sqlx::query_as(concat!(
            "SELECT (SELECT COUNT(*) FROM orders WHERE hold_reason IS NOT NULL AND next_run_at IS NOT NULL),
                    (SELECT MIN(o.next_run_at) FROM orders o WHERE ",
            claimable!(),
            " AND o.next_run_at <= ?)"
        ))
        .bind(to_micros(now))
        .fetch_one(&self.reader)
        .await?;
        Ok(QueueGauges {
            held: u64::try_from(held).unwrap_or(0),
            oldest_due: oldest.map(from_micros).transpose()?,
        })
    }

    fn work(&self) -> &WorkSignal {
        &self.work
    }

    fn concurrent_writes(&self) -> bool {
        false
    }

    async fn import_reference_data(
        &self,
        customers: &[Customer],
        accounts: &[Account],
        cards: &[Card],
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        import_reference_data(&mut tx, customers, accounts, cards).await?;
        tx.commit().await?;
        Ok(())
    }
}
