//! The embedded backend. One write connection (SQLite has one writer; queueing in the
//! pool beats spinning on `SQLITE_BUSY`) and a few read connections over WAL.

mod accounts;
mod append;
mod audit;
mod checkpoint;
mod feed;
mod order_rows;
mod order_tx;
mod orders;
mod reference_data;
mod standing;
mod subjects;
mod webhook_rows;
mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::event_pages::{EventMark, MarkedPage, PageStart, earliest_per_customer};
use super::group_commit::{Append, GroupCommit};
use super::page_cache::WriteGenerations;
use super::{
    EventFilter, EventRecord, EventStore, HealthCheck, IdempotencyKey, NewEvent, Recorded,
    StoreError, event_from_columns, from_micros, to_micros,
};
use crate::domain::page::SortOrder;
use crate::domain::{CustomerNumber, EventKind};
use append::SqliteAppender;
use chrono::{DateTime, Utc};

/// SQLite store: a writer pool of one and a reader pool.
pub struct SqliteStore {
    pub(super) writer: SqlitePool,
    pub(super) reader: SqlitePool,
    /// Wakes this process's executor when an order is created.
    pub(super) work: crate::store::orders::WorkSignal,
    /// Event appends, committed in groups through `writer`.
    appends: GroupCommit,
    /// Bumped after every commit that adds events: this process is the only writer.
    pub(super) generations: std::sync::Arc<WriteGenerations>,
    /// The order acceptance's subject reads, over a read connection of their own.
    subject_reads: subjects::SubjectReads,
    /// Held open for the store's lifetime: the exclusive lock that keeps a second server
    /// off the same database file.
    _lock: Option<std::fs::File>,
    /// Checkpoints the WAL beside the writer (none for an in-memory database).
    _checkpointer: Option<checkpoint::Checkpointer>,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    event_id: i64,
    customer_number: String,
    event_kind: String,
    created_at: i64,
    description: Option<String>,
    event_data_xml: String,
}

impl EventRow {
    fn into_record(self) -> Result<EventRecord, StoreError> {
        event_from_columns(
            self.event_id,
            &self.customer_number,
            &self.event_kind,
            from_micros(self.created_at)?,
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

/// How much of the database file each connection reads through a memory map instead of
/// `pread`. In WAL mode a connection drops its page cache whenever another connection has
/// committed since its last read, so under writes every read transaction fetched its
/// pages again, each a system call and a copy (perf: `pread64`, `filemap_read`,
/// `_copy_to_iter` in the connection threads); mapped, a page is a memory access.
const MMAP_BYTES: u64 = 1 << 30;

impl SqliteStore {
    /// Opens (creating if needed) the database file of `url`.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        let lock = lock_database_file(url)?;
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode survives a process crash (SIGKILL); only an OS crash or
            // power loss can lose the last commits.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
            .pragma("mmap_size", MMAP_BYTES.to_string());
        // No ping before lending a connection: it is a file in this process, not a
        // socket that can break, and the ping is a round trip to the connection's
        // worker thread that every write (and the group commit's every group) waited for.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .connect_with(checkpoint::writer_options(options.clone()))
            .await?;
        // A file's WAL is checkpointed beside the writer; an in-memory database has none.
        let checkpointer = match &lock {
            Some(_) => Some(checkpoint::Checkpointer::start(&options).await?),
            None => None,
        };
        let reader = SqlitePoolOptions::new()
            .max_connections(max_connections.max(2))
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .connect_with(options.clone().read_only(true))
            .await?;
        let subject_reads = subjects::SubjectReads::new(options.read_only(true));
        let generations = std::sync::Arc::new(WriteGenerations::default());
        let appends = GroupCommit::start_on_own_thread(SqliteAppender {
            writer: writer.clone(),
            generations: generations.clone(),
        })?;
        Ok(Self {
            appends,
            generations,
            writer,
            reader,
            work: crate::store::orders::WorkSignal::default(),
            subject_reads,
            _lock: lock,
            _checkpointer: checkpointer,
        })
    }

    /// Applies the SQLite migrations, then releases the leases a killed process left.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.writer)
            .await?;
        self.release_leases().await?;
        Ok(())
    }
}

/// Records `key` as having created `resource`, in the request's transaction. False when
/// another request recorded it first; the caller rolls back and replays what it recorded.
pub(super) async fn claim_key(
    tx: &mut sqlx::SqliteConnection,
    key: &IdempotencyKey,
    resource: &str,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (principal, idempotency_key, fingerprint, resource_id, created_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(&key.principal)
    .bind(&key.key)
    .bind(&key.fingerprint)
    .bind(resource)
    .bind(to_micros(chrono::Utc::now()))
    .execute(&mut *tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// What an idempotency key recorded, for events and orders alike: one query on the
/// writer (so a key committed a moment ago is seen).
pub(super) async fn recorded_key<T>(
    writer: &SqlitePool,
    key: &IdempotencyKey,
) -> Result<Option<Recorded<T>>, StoreError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT fingerprint, resource_id FROM idempotency_keys WHERE principal = ? AND idempotency_key = ?",
    )
    .bind(&key.principal)
    .bind(&key.key)
    .fetch_optional(writer)
    .await?;
    Ok(row
        .map(|(fingerprint, resource)| super::group_commit::recorded(key, &fingerprint, resource)))
}

/// Inserts one event (with its own id when `id` is given, as an import does); the
/// customer's count follows by trigger (migration 0015).
pub(super) async fn insert_event(
    tx: &mut sqlx::SqliteConnection,
    id: Option<i64>,
    event: &NewEvent,
) -> Result<i64, StoreError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO events (event_id, customer_number, event_kind, created_at, description, event_data_xml)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING event_id",
    )
    .bind(id)
    .bind(event.customer_number.as_str())
    .bind(event.kind.as_str())
    .bind(to_micros(event.created_at))
    .bind(&event.description)
    .bind(&event.xml)
    .fetch_one(&mut *tx)
    .await?;
    Ok(id)
}

#[async_trait]
impl EventStore for SqliteStore {
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
        let mut tx = self.writer.begin().await?;
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
        let earliest = earliest_per_customer(events);
        for (customer, from) in &earliest {
            event_pages::forget_marks(&mut tx, customer, *from).await?;
        }
        let committed = tx.commit().await;
        self.generations.bump(earliest.keys());
        committed?;
        Ok(())
    }

    async fn get_event(&self, id: i64) -> Result<Option<EventRecord>, StoreError> {
        let row: Option<EventRow> = sqlx::query_as(concat!(
            "SELECT ",
            event_columns!(),
            " FROM events WHERE event_id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.reader)
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
        event_pages::page_ids(&self.reader, filter, order, start, limit).await
    }

    async fn marked_page(
        &self,
        filter: &EventFilter,
        rank: u64,
        len: u64,
    ) -> Result<MarkedPage, StoreError> {
        event_pages::marked_page(&self.reader, filter, rank, len).await
    }

    async fn count_events(&self, filter: &EventFilter) -> Result<u64, StoreError> {
        event_pages::count_events(&self.reader, filter).await
    }

    async fn events_by_id(&self, ids: &[i64]) -> Result<Vec<EventRecord>, StoreError> {
        event_pages::events_by_id(&self.reader, ids).await
    }

    async fn nearest_mark(
        &self,
        customer: &CustomerNumber,
        kind: Option<EventKind>,
        rank: u64,
    ) -> Result<Option<EventMark>, StoreError> {
        event_pages::nearest_mark(&self.reader, customer, kind, rank).await
    }

    async fn extend_marks(
        &self,
        customer: &CustomerNumber,
        kind: Option<EventKind>,
        anchor: Option<EventMark>,
        settled_before: DateTime<Utc>,
        rows: u64,
    ) -> Result<(), StoreError> {
        event_pages::extend_marks(&self.writer, customer, kind, anchor, settled_before, rows).await
    }

    async fn generation(&self, customer: &CustomerNumber) -> Option<u64> {
        Some(self.generations.of(customer))
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        let any: Option<i64> = sqlx::query_scalar("SELECT event_id FROM events LIMIT 1")
            .fetch_optional(&self.reader)
            .await?;
        Ok(any.is_none())
    }
}

/// Takes an exclusive lock on `<database>.lock` so that a second `bankapi serve` on the
/// same file refuses to start instead of running a second executor beside the first.
fn lock_database_file(url: &str) -> anyhow::Result<Option<std::fs::File>> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") {
        return Ok(None);
    }
    let lock_path = format!("{path}.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| anyhow::anyhow!("cannot open the lock file {lock_path}: {e}"))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another bankapi process is already using the SQLite database {path}; SQLite allows one server \
             per database file (run several instances on PostgreSQL instead)"
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(anyhow::anyhow!("cannot lock {lock_path}: {e}"))
        }
    }
}

#[async_trait]
impl HealthCheck for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }
}
