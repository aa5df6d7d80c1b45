//! PostgreSQL storage for the Customer Order API.
//!
//! Several `bankapi serve` processes may share one database, each with its own executor,
//! and every step must still run exactly once. So, unlike SQLite's single writer, the
//! executor here claims its batch with `FOR UPDATE SKIP LOCKED` (other processes skip the
//! orders it holds instead of waiting or running them twice), locks the arrangements and
//! cards the batch may change before reading them (two processes never change one card,
//! nor judge one arrangement's card limit, at the same time), and a cancel locks the order
//! row it changes. Wake-ups cross processes through `LISTEN`/`NOTIFY`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgListener;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use super::{PgStore, insert_event};
use crate::domain::CustomerNumber;
use crate::domain::card::{Arrangement, Card, Customer};
use crate::domain::execution::{self, Context, Transition};
use crate::domain::order::{Order, OrderNumber, OrderRequest, StepDurations};
use crate::domain::page::SortOrder;
use crate::store::orders::{
    CancelOutcome, CardColumns, CardFilter, OrderColumns, OrderFilter, OrderSort, OrderStore,
    customer_number,
};
use crate::store::{IdempotencyKey, NewEvent, Recorded, StoreError};

/// The `NOTIFY` channel on which a created order wakes the executors of every process.
pub(super) const WORK_CHANNEL: &str = "bankapi_orders";

/// How long the work listener waits before subscribing again after an error, so that a
/// database that is away is not hammered.
const LISTEN_RETRY: Duration = Duration::from_secs(1);

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

macro_rules! insert_card {
    () => {
        concat!(
            "INSERT INTO cards (",
            card_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        )
    };
}

/// Orders that may run now (or, without the time condition, at all): not final, and an
/// action only when no earlier order of the same card or arrangement is still active.
macro_rules! claimable {
    () => {
        "o.next_run_at IS NOT NULL AND (o.phase IS DISTINCT FROM 'action' OR NOT EXISTS (
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
    status_date: DateTime<Utc>,
    creation_date: DateTime<Utc>,
    deadline: DateTime<Utc>,
    current_step: i32,
    phase: Option<String>,
    next_run_at: Option<DateTime<Utc>>,
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
            status_date: self.status_date,
            creation_date: self.creation_date,
            deadline: self.deadline,
            current_step: i64::from(self.current_step),
            phase: self.phase,
            next_run_at: self.next_run_at,
            steps_json: self.steps_json,
            rejection_reason: self.rejection_reason,
            result_card_id: self.result_card_id,
        }
        .decode()
    }
}

/// The `INTEGER` the schema stores an order's current step in.
fn current_step_column(columns: &OrderColumns) -> Result<i32, StoreError> {
    i32::try_from(columns.current_step).map_err(|_| {
        StoreError::Other(anyhow::anyhow!(
            "order {}: step {} does not fit the current_step column",
            columns.order_id,
            columns.current_step
        ))
    })
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
    expiry_date: NaiveDate,
    replaces: Option<String>,
    replaced_by: Option<String>,
    status_date: DateTime<Utc>,
}

impl CardRow {
    fn into_card(self) -> Result<Card, StoreError> {
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
            expiry_date: self.expiry_date,
            replaces: self.replaces,
            replaced_by: self.replaced_by,
            status_date: self.status_date,
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
    card_limit: i32,
}

impl ArrangementRow {
    fn into_arrangement(self) -> Result<Arrangement, StoreError> {
        Ok(Arrangement {
            owner: customer_number(&self.owner_customer_number)?,
            number: self.arrangement_number,
            product_code: self.product_code,
            active: self.active,
            allows_cards: self.allows_cards,
            // A negative limit allows no card, as on SQLite.
            card_limit: u32::try_from(self.card_limit).unwrap_or(0),
        })
    }
}

async fn load_card(conn: &mut PgConnection, id: &str) -> Result<Option<Card>, StoreError> {
    let row: Option<CardRow> = sqlx::query_as(concat!(
        "SELECT ",
        card_columns!(),
        " FROM cards WHERE card_id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(CardRow::into_card).transpose()
}

/// [`load_card`] for the executor: the row stays locked until the transaction ends, so
/// no other process changes the card between this read and this transaction's write.
async fn load_card_for_update(
    conn: &mut PgConnection,
    id: &str,
) -> Result<Option<Card>, StoreError> {
    let row: Option<CardRow> = sqlx::query_as(concat!(
        "SELECT ",
        card_columns!(),
        " FROM cards WHERE card_id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(CardRow::into_card).transpose()
}

async fn load_arrangement(
    conn: &mut PgConnection,
    number: &str,
) -> Result<Option<Arrangement>, StoreError> {
    let row: Option<ArrangementRow> = sqlx::query_as(
        "SELECT arrangement_number, owner_customer_number, product_code, active, allows_cards, card_limit
         FROM arrangements WHERE arrangement_number = $1",
    )
    .bind(number)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(ArrangementRow::into_arrangement).transpose()
}

async fn load_arrangement_cards(
    conn: &mut PgConnection,
    number: &str,
) -> Result<Vec<Card>, StoreError> {
    let rows: Vec<CardRow> = sqlx::query_as(concat!(
        "SELECT ",
        card_columns!(),
        " FROM cards WHERE arrangement_number = $1 ORDER BY card_id"
    ))
    .bind(number)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(CardRow::into_card).collect()
}

async fn load_customer(
    conn: &mut PgConnection,
    number: &str,
) -> Result<Option<Customer>, StoreError> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT customer_number, name FROM customers WHERE customer_number = $1")
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

async fn save_order(conn: &mut PgConnection, order: &Order) -> Result<(), StoreError> {
    let c = OrderColumns::encode(order)?;
    sqlx::query(
        "UPDATE orders SET status = $1, status_date = $2, current_step = $3, phase = $4, next_run_at = $5,
                steps_json = $6, rejection_reason = $7, result_card_id = $8
         WHERE order_id = $9",
    )
    .bind(&c.status)
    .bind(c.status_date)
    .bind(current_step_column(&c)?)
    .bind(&c.phase)
    .bind(c.next_run_at)
    .bind(&c.steps_json)
    .bind(&c.rejection_reason)
    .bind(&c.result_card_id)
    .bind(c.order_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts `card`; with `or_ignore`, an existing card (same id or serial number) is kept.
async fn insert_card(
    conn: &mut PgConnection,
    card: &Card,
    or_ignore: bool,
) -> Result<(), StoreError> {
    let c = CardColumns::encode(card);
    let sql = if or_ignore {
        concat!(insert_card!(), " ON CONFLICT DO NOTHING")
    } else {
        insert_card!()
    };
    sqlx::query(sql)
        .bind(&c.card_id)
        .bind(&c.serial_number)
        .bind(&c.masked_number)
        .bind(&c.arrangement_number)
        .bind(&c.holder_customer_number)
        .bind(&c.owner_customer_number)
        .bind(&c.product_code)
        .bind(&c.status)
        .bind(&c.blockade_reason)
        .bind(c.expiry_date)
        .bind(&c.replaces)
        .bind(&c.replaced_by)
        .bind(c.status_date)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn update_card(conn: &mut PgConnection, card: &Card) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE cards SET status = $1, blockade_reason = $2, replaces = $3, replaced_by = $4, status_date = $5
         WHERE card_id = $6",
    )
    .bind(card.status.as_str())
    .bind(&card.blockade_reason)
    .bind(&card.replaces)
    .bind(&card.replaced_by)
    .bind(card.status_date)
    .bind(&card.id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes everything one executor pass decided.
async fn apply(
    conn: &mut PgConnection,
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

/// Locks, before anything of the batch is read, every arrangement and card its orders
/// may change or judge: the orders' arrangements and cards' arrangements (an issuance's
/// card limit counts the cards a replacement adds, so both run one at a time per
/// arrangement), the orders' cards and the cards those replace (an activation terminates
/// the card it replaces). Each kind is locked in one statement in key order, so two
/// processes' batches wait for each other instead of deadlocking; `NO KEY UPDATE` on the
/// arrangement leaves the foreign-key checks of card inserts unblocked.
async fn lock_batch(conn: &mut PgConnection, orders: &[Order]) -> Result<(), StoreError> {
    let cards: Vec<String> = orders
        .iter()
        .filter_map(|o| o.card_id().map(str::to_owned))
        .collect();
    let arrangements: Vec<String> = orders
        .iter()
        .map(|o| o.arrangement_number.clone())
        .collect();
    sqlx::query(
        "SELECT 1 FROM arrangements
         WHERE arrangement_number = ANY($1)
            OR arrangement_number IN (SELECT arrangement_number FROM cards WHERE card_id = ANY($2))
         ORDER BY arrangement_number FOR NO KEY UPDATE",
    )
    .bind(&arrangements)
    .bind(&cards)
    .execute(&mut *conn)
    .await?;
    if !cards.is_empty() {
        sqlx::query(
            "SELECT 1 FROM cards
             WHERE card_id = ANY($1)
                OR card_id IN (SELECT replaces FROM cards WHERE card_id = ANY($1))
             ORDER BY card_id FOR UPDATE",
        )
        .bind(&cards)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Loads what the rules need to judge `order`, and judges it.
async fn advance_one(
    conn: &mut PgConnection,
    order: Order,
    now: DateTime<Utc>,
    durations: &StepDurations,
) -> Result<Transition, StoreError> {
    let card = match order.card_id() {
        Some(id) => load_card_for_update(conn, id).await?,
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

fn push_order_filters(query: &mut QueryBuilder<Postgres>, filter: &OrderFilter) {
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

/// Subscribes a dedicated connection to [`WORK_CHANNEL`].
async fn subscribe(url: &str) -> Result<PgListener, sqlx::Error> {
    // `connect` (not `connect_with` the store's pool) gives the listener a pool of its own:
    // the connection it holds for good does not shrink the pool queries run on.
    let mut listener = PgListener::connect(url).await?;
    listener.listen(WORK_CHANNEL).await?;
    Ok(listener)
}

/// Forwards every notification on [`WORK_CHANNEL`] to `work`, for ever. It never gives
/// up: `PgListener` reconnects by itself when its connection drops, and any other error
/// drops the listener and subscribes again after [`LISTEN_RETRY`]. Notifications sent
/// while no connection listened are lost, so every new subscription after a loss wakes
/// the executor once to look for itself (its polling is the last resort).
async fn forward_notifications(url: String, mut listener: Option<PgListener>, work: Arc<Notify>) {
    loop {
        let active = match listener.as_mut() {
            Some(active) => active,
            None => match subscribe(&url).await {
                Ok(fresh) => {
                    work.notify_one();
                    listener.insert(fresh)
                }
                Err(error) => {
                    tracing::warn!(%error, channel = WORK_CHANNEL, "cannot listen for new orders; retrying");
                    tokio::time::sleep(LISTEN_RETRY).await;
                    continue;
                }
            },
        };
        match active.try_recv().await {
            Ok(Some(_)) => work.notify_one(),
            // The connection was lost and has been re-established.
            Ok(None) => work.notify_one(),
            Err(error) => {
                tracing::warn!(%error, channel = WORK_CHANNEL, "listening for new orders failed; retrying");
                listener = None;
                tokio::time::sleep(LISTEN_RETRY).await;
            }
        }
    }
}

/// The background task that turns `NOTIFY` on [`WORK_CHANNEL`] (from this process or any
/// other sharing the database) into wake-ups of the store's [`Notify`]; it is stopped when
/// the store is dropped.
pub(super) struct WorkListener {
    task: AbortHandle,
}

impl WorkListener {
    /// Subscribes before returning, so an order created once the store is connected is
    /// never missed; if that first attempt fails, the task keeps trying in the background
    /// (meanwhile the executor's polling still finds the work).
    pub(super) async fn start(url: &str, work: Arc<Notify>) -> Self {
        let first = match subscribe(url).await {
            Ok(listener) => Some(listener),
            Err(error) => {
                tracing::warn!(%error, channel = WORK_CHANNEL, "cannot listen for new orders yet; retrying");
                None
            }
        };
        let task = tokio::spawn(forward_notifications(url.to_owned(), first, work));
        Self {
            task: task.abort_handle(),
        }
    }
}

impl Drop for WorkListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[async_trait]
impl OrderStore for PgStore {
    async fn recorded_order(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<Recorded<OrderNumber>>, StoreError> {
        super::recorded_key(&self.pool, key).await
    }

    async fn customer(&self, number: &CustomerNumber) -> Result<Option<Customer>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load_customer(&mut conn, number.as_str()).await
    }

    async fn card(&self, id: &str) -> Result<Option<Card>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load_card(&mut conn, id).await
    }

    async fn arrangement(&self, number: &str) -> Result<Option<Arrangement>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load_arrangement(&mut conn, number).await
    }

    async fn arrangement_cards(&self, number: &str) -> Result<Vec<Card>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load_arrangement_cards(&mut conn, number).await
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

    #[tracing::instrument(skip_all, fields(kind = order.kind().as_str()))]
    async fn create_order(
        &self,
        order: &Order,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<Recorded<OrderNumber>, StoreError> {
        if let Some(key) = idempotency
            && let Some(seen) = super::recorded_key(&self.pool, key).await?
        {
            return Ok(seen);
        }
        let c = OrderColumns::encode(order)?;
        let mut tx = self.pool.begin().await?;
        // A concurrent create of the same active order waits on the partial unique index
        // until this one commits, then fails as a unique violation: `Conflict`.
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO orders (kind, serial_key, duplicate_key, card_id, arrangement_number, owner_customer_number,
                 holder_customer_number, request_json, description, status, status_date, creation_date, deadline,
                 current_step, phase, next_run_at, steps_json, rejection_reason, result_card_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
             RETURNING order_id",
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
        .bind(c.status_date)
        .bind(c.creation_date)
        .bind(c.deadline)
        .bind(current_step_column(&c)?)
        .bind(&c.phase)
        .bind(c.next_run_at)
        .bind(&c.steps_json)
        .bind(&c.rejection_reason)
        .bind(&c.result_card_id)
        .fetch_one(&mut *tx)
        .await?;
        let number = OrderNumber(id);
        if let Some(key) = idempotency
            && !super::claim_key(&mut tx, key, &number.to_string()).await?
        {
            tx.rollback().await?;
            return super::recorded_key(&self.pool, key)
                .await?
                .ok_or(StoreError::NotFound);
        }
        // Delivered at commit (and not at all on rollback) to every process listening.
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(WORK_CHANNEL)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        // This process's executor need not wait for the notification's round trip.
        self.work.notify_one();
        Ok(Recorded::Created(number))
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
        let rows: Vec<OrderRow> = query.build_query_as().fetch_all(&self.pool).await?;
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM orders");
        push_order_filters(&mut count, filter);
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;
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
        let mut tx = self.pool.begin().await?;
        // Waits for an executor batch holding the order, then judges the order as that
        // batch left it; a batch starting meanwhile skips the order.
        let row: Option<OrderRow> = sqlx::query_as(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE order_id = $1 FOR UPDATE"
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
        let mut tx = self.pool.begin().await?;
        // The claim: the rows stay locked until commit, and other processes' claims skip
        // them rather than wait, so each due order is advanced by exactly one process.
        let rows: Vec<OrderRow> = sqlx::query_as(concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders o WHERE ",
            claimable!(),
            " AND o.next_run_at <= $1 ORDER BY o.next_run_at, o.order_id LIMIT $2 FOR UPDATE SKIP LOCKED"
        ))
        .bind(now)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let orders = rows
            .into_iter()
            .map(OrderRow::into_order)
            .collect::<Result<Vec<_>, _>>()?;
        lock_batch(&mut tx, &orders).await?;
        let advanced = orders.len();
        for order in orders {
            let transition = advance_one(&mut tx, order, now, durations).await?;
            apply(&mut tx, &transition, now).await?;
        }
        tx.commit().await?;
        Ok(advanced)
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<DateTime<Utc>> = sqlx::query_scalar(concat!(
            "SELECT MIN(o.next_run_at) FROM orders o WHERE ",
            claimable!()
        ))
        .fetch_one(&self.pool)
        .await?;
        Ok(at)
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
        let mut tx = self.pool.begin().await?;
        for customer in customers {
            sqlx::query(
                "INSERT INTO customers (customer_number, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(customer.number.as_str())
            .bind(&customer.name)
            .execute(&mut *tx)
            .await?;
        }
        for a in arrangements {
            sqlx::query(
                "INSERT INTO arrangements
                     (arrangement_number, owner_customer_number, product_code, active, allows_cards, card_limit)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(&a.number)
            .bind(a.owner.as_str())
            .bind(&a.product_code)
            .bind(a.active)
            .bind(a.allows_cards)
            // The column is an INTEGER; a limit beyond it is no limit in practice.
            .bind(i32::try_from(a.card_limit).unwrap_or(i32::MAX))
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
