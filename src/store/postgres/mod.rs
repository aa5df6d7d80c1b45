//! The PostgreSQL backend: a server database that several `bankapi` processes can share.

mod acceptance;
mod accounts;
mod append;
mod audit;
mod feed;
mod listener;
mod order_inserts;
mod order_rows;
mod order_tx;
mod orders;
mod own_connection;
mod reference_data;
mod standing;
mod webhook_rows;
mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgExecutor, PgPool, PgPoolOptions};

use super::event_pages::{EventMark, MarkedPage, PageStart, earliest_per_customer};
use super::group_commit::{Append, GroupCommit};
use super::read_barrier::ReadBarrier;
use super::{
    EventFilter, EventRecord, EventStore, HealthCheck, IdempotencyKey, NewEvent, Recorded,
    StoreError, event_from_columns,
};
use crate::domain::page::SortOrder;
use crate::domain::{CustomerNumber, EventKind};
use append::PgAppender;

/// PostgreSQL store over one connection pool.
pub struct PgStore {
    pub(super) pool: PgPool,
    /// Wakes this process's executor when an order is created, here or (through
    /// `LISTEN`/`NOTIFY`) by another process sharing the database.
    pub(super) work: crate::store::orders::WorkSignal,
    /// Event appends, committed in groups by a writer with a thread and a connection of
    /// its own.
    appends: GroupCommit,
    /// Feeds `work` from `NOTIFY`; held so that the listener stops with the store.
    _listener: listener::WorkListener,
    /// Customers' write generations, read once for all the requests waiting together.
    generations: ReadBarrier,
    /// The order acceptance's subject reads and inserts, over connections of their own.
    acceptance: acceptance::AcceptanceConnections,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    event_id: i64,
    customer_number: String,
    event_kind: String,
    created_at: DateTime<Utc>,
    description: Option<String>,
    event_data_xml: String,
}

impl EventRow {
    fn into_record(self) -> Result<EventRecord, StoreError> {
        event_from_columns(
            self.event_id,
            &self.customer_number,
            &self.event_kind,
            self.created_at,
            self.description,
            self.event_data_xml,
        )
    }
}

macro_rules! event_columns {
    () => {
        "event_id, customer_number, event_kind, created_at, description, event_data_xml"
    };
}

mod event_pages;

/// How long a pooled connection may sit idle before it is pinged when lent again.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

impl PgStore {
    /// Connects a pool to `url`.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        let options: PgConnectOptions = url.parse()?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            // sqlx pings every connection it lends (and again when it comes back): a round
            // trip per query that costs about a tenth of the order POST's rate. A
            // connection in steady use proves itself with every query, and one that an
            // outage broke fails its next query and is closed on release; only one that
            // sat idle long enough to have been cut off unnoticed is pinged first.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > IDLE_BEFORE_PING {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(options.clone())
            .await?;
        let work = crate::store::orders::WorkSignal::default();
        let listener = listener::WorkListener::start(url, work.wake()).await;
        let appends = GroupCommit::start_on_own_thread(PgAppender::new(options.clone()))?;
        let acceptance = acceptance::AcceptanceConnections::new(&options);
        let reader = Arc::new(event_pages::GenerationReader::new(options));
        let generations = ReadBarrier::new(Arc::new(move |customers: Vec<CustomerNumber>| {
            let reader = reader.clone();
            Box::pin(async move { reader.read(&customers).await })
        }));
        Ok(Self {
            appends,
            pool,
            work,
            _listener: listener,
            generations,
            acceptance,
        })
    }

    /// Applies the PostgreSQL migrations (sqlx takes an advisory lock, so concurrent
    /// starts are safe).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await?;
        Ok(())
    }
}

/// What an idempotency key recorded, for events and orders alike.
pub(super) async fn recorded_key<'e, T>(
    executor: impl PgExecutor<'e>,
    key: &IdempotencyKey,
) -> Result<Option<Recorded<T>>, StoreError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT fingerprint, resource_id FROM idempotency_keys WHERE principal = $1 AND idempotency_key = $2",
    )
    .bind(&key.principal)
    .bind(&key.key)
    .fetch_optional(executor)
    .await?;
    Ok(row
        .map(|(fingerprint, resource)| super::group_commit::recorded(key, &fingerprint, resource)))
}

/// Records `key` as having created `resource`, in the request's transaction. False when
/// another request recorded it first: a concurrent one with the same key waits here on
/// the primary key until the first commits, then inserts nothing; the caller rolls back
/// and replays what the key recorded.
pub(super) async fn claim_key(
    tx: &mut sqlx::PgConnection,
    key: &IdempotencyKey,
    resource: &str,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (principal, idempotency_key, fingerprint, resource_id)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(&key.principal)
    .bind(&key.key)
    .bind(&key.fingerprint)
    .bind(resource)
    .execute(&mut *tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

pub(super) async fn insert_event(
    tx: &mut sqlx::PgConnection,
    id: Option<i64>,
    event: &NewEvent,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO events (event_id, customer_number, event_kind, created_at, description, event_data_xml)
         VALUES (COALESCE($1, nextval(pg_get_serial_sequence('events', 'event_id'))), $2, $3, $4, $5, $6)
         RETURNING event_id",
    )
    .bind(id)
    .bind(event.customer_number.as_str())
    .bind(event.kind.as_str())
    .bind(event.created_at)
    .bind(&event.description)
    .bind(&event.xml)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO customer_event_counts (customer_number, event_kind, event_count) VALUES ($1, $2, 1)
         ON CONFLICT (customer_number, event_kind)
         DO UPDATE SET event_count = customer_event_counts.event_count + 1",
    )
    .bind(event.customer_number.as_str())
    .bind(event.kind.as_str())
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

#[async_trait]
impl EventStore for PgStore {
    #[tracing::instrument(skip_all, fields(customer = %event.customer_number, kind = event.kind.as_str()))]
    async fn append_event(
        &self,
        event: NewEvent,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<Recorded<i64>, StoreError> {
        self.appends
            .append(Append {
                event,
                key: idempotency.cloned(),
            })
            .await
    }

    async fn import_events(&self, events: &[EventRecord]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        // Locked before the rows go in, in one order (the map's), so that marking waits
        // for the import, or the import for the marking, never half of each.
        let earliest = earliest_per_customer(events);
        for customer in earliest.keys() {
            event_pages::lock_marks(&mut tx, customer).await?;
        }
        for record in events {
            let event = NewEvent {
                customer_number: record.customer_number.clone(),
                kind: record.kind,
                created_at: record.created_at,
                description: record.description.clone(),
                xml: record.xml.clone(),
            };
            insert_event(&mut tx, Some(record.id), &event).await?;
        }
        for (customer, from) in &earliest {
            event_pages::forget_marks(&mut tx, customer, *from).await?;
        }
        // Identity columns do not see explicit ids: move the sequence past them so new
        // events keep increasing.
        sqlx::query(
            "SELECT setval(pg_get_serial_sequence('events', 'event_id'),
                           GREATEST((SELECT MAX(event_id) FROM events), 1))",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_event(&self, id: i64) -> Result<Option<EventRecord>, StoreError> {
        let row: Option<EventRow> = sqlx::query_as(concat!(
            "SELECT ",
            event_columns!(),
            " FROM events WHERE event_id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(EventRow::into_record).transpose()
    }

    #[tracing::instrument(skip_all, fields(customer = %filter.customer_number))]
    async fn page_ids(
        &self,
        filter: &EventFilter,
        order: SortOrder,
        start: PageStart,
        limit: u64,
    ) -> Result<(Vec<i64>, u64), StoreError> {
        event_pages::page_ids(&self.pool, filter, order, start, limit).await
    }

    async fn marked_page(
        &self,
        filter: &EventFilter,
        rank: u64,
        len: u64,
    ) -> Result<MarkedPage, StoreError> {
        event_pages::marked_page(&self.pool, filter, rank, len).await
    }

    async fn count_events(&self, filter: &EventFilter) -> Result<u64, StoreError> {
        event_pages::count_events(&self.pool, filter).await
    }

    async fn events_by_id(&self, ids: &[i64]) -> Result<Vec<EventRecord>, StoreError> {
        event_pages::events_by_id(&self.pool, ids).await
    }

    async fn nearest_mark(
        &self,
        customer: &CustomerNumber,
        kind: Option<EventKind>,
        rank: u64,
    ) -> Result<Option<EventMark>, StoreError> {
        event_pages::nearest_mark(&self.pool, customer, kind, rank).await
    }

    async fn extend_marks(
        &self,
        customer: &CustomerNumber,
        kind: Option<EventKind>,
        anchor: Option<EventMark>,
        settled_before: DateTime<Utc>,
        rows: u64,
    ) -> Result<(), StoreError> {
        event_pages::extend_marks(&self.pool, customer, kind, anchor, settled_before, rows).await
    }

    /// Other processes write to the same database: the generation is read from it, by a
    /// read that started after this call (see [`super::read_barrier`]).
    async fn generation(&self, customer: &CustomerNumber) -> Option<u64> {
        self.generations.generation(customer).await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        let any: Option<i64> = sqlx::query_scalar("SELECT event_id FROM events LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(any.is_none())
    }
}

#[async_trait]
impl HealthCheck for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
