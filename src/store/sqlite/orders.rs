//! SQLite storage for the Customer Order API.
//!
//! Every write goes through the single writer connection, so an executor batch, a cancel
//! and an order's creation never interleave: the executor's claim, the step's effect, its
//! completion and its events are one transaction.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::{SqliteStore, insert_event};
use crate::domain::CustomerNumber;
use crate::domain::card::{Arrangement, Card, Customer};
use crate::domain::execution::{self, Context, Transition};
use crate::domain::order::{Order, OrderNumber, OrderRequest, StepDurations};
use crate::domain::page::SortOrder;
use crate::store::orders::{
    CancelOutcome, CardColumns, CardFilter, OrderColumns, OrderFilter, OrderSort, OrderStore,
    customer_number,
};
use crate::store::{IdempotencyKey, NewEvent, Recorded, StoreError, from_micros, to_micros};

macro_rules! order_columns {
    () => {
        "order_id, kind, serial_key, duplicate_key, card_id, arrangement_number, owner_customer_number, \
         holder_customer_number, request_json, description, status, status_date, creation_date, deadline, \
         current_step, phase, next_run_at, steps_json, rejection_reason, result_card_id"
    };
}

macro_rules! card_columns {
    () => {
        "card_id, serial_number, masked_number, arrangement_number, holder_customer_number, owner_customer_number, \
         product_code, status, blockade_reason, expiry_date, replaces, replaced_by, status_date"
    };
}

/// Orders that may run now (or, without the time condition, at all): not final, and an
/// action only when no earlier order of the same card or arrangement is still active.
macro_rules! claimable {
    () => {
        "o.next_run_at IS NOT NULL AND (o.phase IS NOT 'action' OR NOT EXISTS (
             SELECT 1 FROM orders e
             WHERE e.serial_key = o.serial_key AND e.next_run_at IS NOT NULL AND e.order_id < o.order_id))"
    };
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    order_id: i64,
    kind: String,
    serial_key: String,
    duplicate_key: String,
    card_id: Option<String>,
    arrangement_number: String,
    owner_customer_number: String,
    holder_customer_number: String,
    request_json: String,
    description: Option<String>,
    status: String,
    status_date: i64,
    creation_date: i64,
    deadline: i64,
    current_step: i64,
    phase: Option<String>,
    next_run_at: Option<i64>,
    steps_json: String,
    rejection_reason: Option<String>,
    result_card_id: Option<String>,
}

impl OrderRow {
    fn into_order(self) -> Result<Order, StoreError> {
        OrderColumns {
            order_id: self.order_id,
            kind: self.kind,
            serial_key: self.serial_key,
            duplicate_key: self.duplicate_key,
            card_id: self.card_id,
            arrangement_number: self.arrangement_number,
            owner_customer_number: self.owner_customer_number,
            holder_customer_number: self.holder_customer_number,
            request_json: self.request_json,
            description: self.description,
            status: self.status,
            status_date: from_micros(self.status_date)?,
            creation_date: from_micros(self.creation_date)?,
            deadline: from_micros(self.deadline)?,
            current_step: self.current_step,
            phase: self.phase,
            next_run_at: self.next_run_at.map(from_micros).transpose()?,
            steps_json: self.steps_json,
            rejection_reason: self.rejection_reason,
            result_card_id: self.result_card_id,
        }
        .decode()
    }
}

#[derive(sqlx::FromRow)]
struct CardRow {
    card_id: String,
    serial_number: String,
    masked_number: String,
    arrangement_number: String,
    holder_customer_number: String,
    owner_customer_number: String,
    product_code: String,
    status: String,
    blockade_reason: Option<String>,
    expiry_date: String,
    replaces: Option<String>,
    replaced_by: Option<String>,
    status_date: i64,
}

impl CardRow {
    fn into_card(self) -> Result<Card, StoreError> {
        let expiry_date =
            NaiveDate::parse_from_str(&self.expiry_date, "%Y-%m-%d").map_err(|e| {
                StoreError::Other(anyhow::anyhow!("card {}: expiry date: {e}", self.card_id))
            })?;
        CardColumns {
            card_id: self.card_id,
            serial_number: self.serial_number,
            masked_number: self.masked_number,
            arrangement_number: self.arrangement_number,
            holder_customer_number: self.holder_customer_number,
            owner_customer_number: self.owner_customer_number,
            product_code: self.product_code,
            status: self.status,
            blockade_reason: self.blockade_reason,
            expiry_date,
            replaces: self.replaces,
            replaced_by: self.replaced_by,
            status_date: from_micros(self.status_date)?,
        }
        .decode()
    }
}

#[derive(sqlx::FromRow)]
struct ArrangementRow {
    arrangement_number: String,
    owner_customer_number: String,
    product_code: String,
    active: bool,
    allows_cards: bool,
    card_limit: i64,
}

impl ArrangementRow {
    fn into_arrangement(self) -> Result<Arrangement, StoreError> {
        Ok(Arrangement {
            owner: customer_number(&self.owner_customer_number)?,
            number: self.arrangement_number,
            product_code: self.product_code,
            active: self.active,
            allows_cards: self.allows_cards,
            card_limit: u32::try_from(self.card_limit).unwrap_or(0),
        })
    }
}

async fn load_card(conn: &mut SqliteConnection, id: &str) -> Result<Option<Card>, StoreError> {
    let row: Option<CardRow> = sqlx::query_as(concat!(
        "SELECT ",
        card_columns!(),
        " FROM cards WHERE card_id = ?"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(CardRow::into_card).transpose()
}

async fn load_arrangement(
    conn: &mut SqliteConnection,
    number: &str,
) -> Result<Option<Arrangement>, StoreError> {
    let row: Option<ArrangementRow> = sqlx::query_as(
        "SELECT arrangement_number, owner_customer_number, product_code, active, allows_cards, card_limit
         FROM arrangements WHERE arrangement_number = ?",
    )
    .bind(number)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(ArrangementRow::into_arrangement).transpose()
}

async fn load_arrangement_cards(
    conn: &mut SqliteConnection,
    number: &str,
) -> Result<Vec<Card>, StoreError> {
    let rows: Vec<CardRow> = sqlx::query_as(concat!(
        "SELECT ",
        card_columns!(),
        " FROM cards WHERE arrangement_number = ? ORDER BY card_id"
    ))
    .bind(number)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(CardRow::into_card).collect()
}

async fn load_customer(
    conn: &mut SqliteConnection,
    number: &str,
) -> Result<Option<Customer>, StoreError> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT customer_number, name FROM customers WHERE customer_number = ?")
            .bind(number)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|(number, name)| {
        Ok(Customer {
            number: customer_number(&number)?,
            name,
        })
    })
    .transpose()
}

async fn save_order(conn: &mut SqliteConnection, order: &Order) -> Result<(), StoreError> {
    let c = OrderColumns::encode(order)?;
    sqlx::query(
        "UPDATE orders SET status = ?, status_date = ?, current_step = ?, phase = ?, next_run_at = ?,
                steps_json = ?, rejection_reason = ?, result_card_id = ?
         WHERE order_id = ?",
    )
    .bind(&c.status)
    .bind(to_micros(c.status_date))
    .bind(c.current_step)
    .bind(&c.phase)
    .bind(c.next_run_at.map(to_micros))
    .bind(&c.steps_json)
    .bind(&c.rejection_reason)
    .bind(&c.result_card_id)
    .bind(c.order_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_card(
    conn: &mut SqliteConnection,
    card: &Card,
    or_ignore: bool,
) -> Result<(), StoreError> {
    let c = CardColumns::encode(card);
    let verb = if or_ignore {
        "INSERT OR IGNORE"
    } else {
        "INSERT"
    };
    let sql = format!(
        "{verb} INTO cards ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        card_columns!()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&c.card_id)
        .bind(&c.serial_number)
        .bind(&c.masked_number)
        .bind(&c.arrangement_number)
        .bind(&c.holder_customer_number)
        .bind(&c.owner_customer_number)
        .bind(&c.product_code)
        .bind(&c.status)
        .bind(&c.blockade_reason)
        .bind(c.expiry_date.format("%Y-%m-%d").to_string())
        .bind(&c.replaces)
        .bind(&c.replaced_by)
        .bind(to_micros(c.status_date))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn update_card(conn: &mut SqliteConnection, card: &Card) -> Result<(), StoreError> {
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
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes everything one executor pass decided.
async fn apply(
    conn: &mut SqliteConnection,
    transition: &Transition,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    save_order(conn, &transition.order).await?;
    for card in &transition.new_cards {
        insert_card(conn, card, false).await?;
    }
    for card in &transition.changed_cards {
        update_card(conn, card).await?;
    }
    for draft in &transition.events {
        let event = NewEvent {
            customer_number: draft.customer_number.clone(),
            kind: draft.kind,
            created_at: now,
            description: draft.description.clone(),
            xml: draft.xml.clone(),
        };
        insert_event(conn, None, &event).await?;
    }
    Ok(())
}

/// Loads what the rules need to judge `order`.
async fn advance_one(
    conn: &mut SqliteConnection,
    order: Order,
    now: DateTime<Utc>,
    durations: &StepDurations,
) -> Result<Transition, StoreError> {
    let card = match order.card_id() {
        Some(id) => load_card(conn, id).await?,
        None => None,
    };
    let arrangement_number = card.as_ref().map_or(order.arrangement_number.clone(), |c| {
        c.arrangement_number.clone()
    });
    let arrangement = load_arrangement(conn, &arrangement_number).await?;
    let arrangement_cards = load_arrangement_cards(conn, &arrangement_number).await?;
    let authorized = match &order.request {
        OrderRequest::AdditionalCardIssuance {
            authorized_customer,
            ..
        } => load_customer(conn, authorized_customer.as_str()).await?,
        _ => None,
    };
    let ctx = Context {
        card: card.as_ref(),
        arrangement: arrangement.as_ref(),
        arrangement_cards: &arrangement_cards,
        authorized_customer: authorized.as_ref(),
    };
    Ok(execution::advance(order, &ctx, now, durations))
}

fn push_order_filters(query: &mut QueryBuilder<Sqlite>, filter: &OrderFilter) {
    query.push(" WHERE 1 = 1");
    if let Some(kind) = filter.kind {
        query.push(" AND kind = ").push_bind(kind.as_str());
    }
    if let Some(customer) = &filter.customer {
        query
            .push(" AND (owner_customer_number = ")
            .push_bind(customer.as_str().to_owned())
            .push(" OR holder_customer_number = ")
            .push_bind(customer.as_str().to_owned())
            .push(")");
    }
    if let Some(status) = filter.status {
        query.push(" AND status = ").push_bind(status.as_str());
    }
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn recorded_order(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<Recorded<OrderNumber>>, StoreError> {
        super::recorded_key(&self.writer, key).await
    }

    async fn customer(&self, number: &CustomerNumber) -> Result<Option<Customer>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        load_customer(&mut conn, number.as_str()).await
    }

    async fn card(&self, id: &str) -> Result<Option<Card>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        load_card(&mut conn, id).await
    }

    async fn arrangement(&self, number: &str) -> Result<Option<Arrangement>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        load_arrangement(&mut conn, number).await
    }

    async fn arrangement_cards(&self, number: &str) -> Result<Vec<Card>, StoreError> {
        let mut conn = self.reader.acquire().await?;
        load_arrangement_cards(&mut conn, number).await
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

    #[tracing::instrument(skip_all, fields(kind = order.kind().as_str()))]
    async fn create_order(
        &self,
        order: &Order,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<Recorded<OrderNumber>, StoreError> {
        if let Some(key) = idempotency
            && let Some(seen) = super::recorded_key(&self.writer, key).await?
        {
            return Ok(seen);
        }
        let c = OrderColumns::encode(order)?;
        let mut tx = self.writer.begin().await?;
        let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
            "INSERT INTO orders (kind, serial_key, duplicate_key, card_id, arrangement_number, owner_customer_number,
                 holder_customer_number, request_json, description, status, status_date, creation_date, deadline,
                 current_step, phase, next_run_at, steps_json, rejection_reason, result_card_id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING order_id",
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
        .fetch_one(&mut *tx)
        .await;
        let (id,) = inserted?;
        let number = OrderNumber(id);
        if let Some(key) = idempotency
            && !super::claim_key(&mut tx, key, &number.to_string()).await?
        {
            tx.rollback().await?;
            return super::recorded_key(&self.writer, key)
                .await?
                .ok_or(StoreError::NotFound);
        }
        tx.commit().await?;
        self.work.notify_one();
        Ok(Recorded::Created(number))
    }

    async fn get_order(&self, number: OrderNumber) -> Result<Option<Order>, StoreError> {
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

    async fn list_orders(&self, filter: &OrderFilter) -> Result<(Vec<Order>, u64), StoreError> {
        let mut query =
            QueryBuilder::<Sqlite>::new(concat!("SELECT ", order_columns!(), " FROM orders"));
        push_order_filters(&mut query, filter);
        let column = match filter.sort {
            OrderSort::CreationDate => "creation_date",
            OrderSort::StatusDate => "status_date",
            OrderSort::OrderNumber => "order_id",
        };
        let direction = match filter.order {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        };
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
        let orders = rows
            .into_iter()
            .map(OrderRow::into_order)
            .collect::<Result<_, _>>()?;
        Ok((orders, u64::try_from(total).unwrap_or(0)))
    }

    async fn cancel_order(
        &self,
        number: OrderNumber,
        now: DateTime<Utc>,
    ) -> Result<CancelOutcome, StoreError> {
        let mut tx = self.writer.begin().await?;
        let row: Option<OrderRow> = sqlx::query_as(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE order_id = ?"
        ))
        .bind(number.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(order) = row.map(OrderRow::into_order).transpose()? else {
            return Ok(CancelOutcome::NotFound);
        };
        match execution::cancel(order, now) {
            Ok(canceled) => {
                save_order(&mut tx, &canceled).await?;
                tx.commit().await?;
                Ok(CancelOutcome::Canceled(Box::new(canceled)))
            }
            Err(refusal) => Ok(CancelOutcome::Refused(refusal)),
        }
    }

    #[tracing::instrument(skip_all)]
    async fn run_due_orders(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        durations: &StepDurations,
    ) -> Result<usize, StoreError> {
        let mut tx = self.writer.begin().await?;
        let rows: Vec<OrderRow> = sqlx::query_as(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders o WHERE ",
            claimable!(),
            " AND o.next_run_at <= ? ORDER BY o.next_run_at, o.order_id LIMIT ?"
        ))
        .bind(to_micros(now))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *tx)
        .await?;
        let advanced = rows.len();
        for row in rows {
            let order = row.into_order()?;
            let transition = advance_one(&mut tx, order, now, durations).await?;
            apply(&mut tx, &transition, now).await?;
        }
        tx.commit().await?;
        Ok(advanced)
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<i64> = sqlx::query_scalar(concat!(
            "SELECT MIN(o.next_run_at) FROM orders o WHERE ",
            claimable!()
        ))
        .fetch_one(&self.reader)
        .await?;
        at.map(from_micros).transpose()
    }

    async fn wait_for_work(&self, max_wait: Duration) {
        let _ = tokio::time::timeout(max_wait, self.work.notified()).await;
    }

    async fn import_reference_data(
        &self,
        customers: &[Customer],
        arrangements: &[Arrangement],
        cards: &[Card],
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        for customer in customers {
            sqlx::query("INSERT OR IGNORE INTO customers (customer_number, name) VALUES (?, ?)")
                .bind(customer.number.as_str())
                .bind(&customer.name)
                .execute(&mut *tx)
                .await?;
        }
        for a in arrangements {
            sqlx::query(
                "INSERT OR IGNORE INTO arrangements
                     (arrangement_number, owner_customer_number, product_code, active, allows_cards, card_limit)
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(&a.number)
            .bind(a.owner.as_str())
            .bind(&a.product_code)
            .bind(a.active)
            .bind(a.allows_cards)
            .bind(i64::from(a.card_limit))
            .execute(&mut *tx)
            .await?;
        }
        for card in cards {
            insert_card(&mut tx, card, true).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
