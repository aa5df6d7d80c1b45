//! Storage: one set of traits, two backends (SQLite embedded, PostgreSQL), chosen by the
//! database URL's scheme. No sqlx type leaves this module.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::page::{PageRequest, SortOrder};
use crate::domain::{CustomerNumber, EventKind};

pub mod accounts;
pub mod audit;
pub mod event_cache;
pub mod event_pages;
pub mod feed;
mod group_commit;
pub mod orders;
pub mod page_cache;
pub(crate) mod postgres;
pub mod read_barrier;
pub(crate) mod sqlite;
pub mod webhooks;

pub use audit::{AuditFilter, AuditRecord, AuditStore};
pub use event_pages::{EventMark, MarkedPage, PageStart};
pub use orders::{CardFilter, Decision, OrderFilter, OrderSort, OrderStore};

/// What can go wrong below the domain, in terms the HTTP layer can answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database cannot be reached; retrying later may work.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or a broken database.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => Self::Unavailable(error.to_string()),
            sqlx::Error::Database(ref db) if db.is_unique_violation() => {
                Self::Conflict(db.message().to_owned())
            }
            sqlx::Error::Database(ref db) if server_going_away(db.as_ref()) => {
                Self::Unavailable(db.message().to_owned())
            }
            other => Self::Other(other.into()),
        }
    }
}

/// Whether PostgreSQL refused because it is shutting down, restarting or out of
/// connections (SQLSTATE classes 57, operator intervention; 08, connection exception;
/// 53, insufficient resources): the request may work when retried, so a 503, not a 500.
fn server_going_away(error: &dyn sqlx::error::DatabaseError) -> bool {
    error
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some_and(|pg| {
            ["57", "08", "53"]
                .iter()
                .any(|class| pg.code().starts_with(class))
        })
}

/// A stored customer event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// 64-bit, increasing with every new event.
    pub id: i64,
    /// Whose history it belongs to.
    pub customer_number: CustomerNumber,
    /// What it is about.
    pub kind: EventKind,
    /// When it was registered (microsecond precision).
    pub created_at: DateTime<Utc>,
    /// Free text.
    pub description: Option<String>,
    /// The event's data; typed fields and key-values are read from it.
    pub xml: String,
}

/// An event about to be registered; the store assigns the id.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Whose history it belongs to.
    pub customer_number: CustomerNumber,
    /// What it is about.
    pub kind: EventKind,
    /// When it happened.
    pub created_at: DateTime<Utc>,
    /// Free text.
    pub description: Option<String>,
    /// Already checked by [`crate::domain::xml::key_values`].
    pub xml: String,
}

/// Which events a list asks for.
#[derive(Debug, Clone)]
pub struct EventFilter {
    /// Whose events.
    pub customer_number: CustomerNumber,
    /// Only this kind, if given.
    pub kind: Option<EventKind>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created at or before.
    pub to: Option<DateTime<Utc>>,
    /// By creation time (then id), newest first by default.
    pub order: SortOrder,
    /// Which slice.
    pub page: PageRequest,
    /// Only events after this one in the list's order (a cursor): the page's size still
    /// applies, its offset does not, so the cost does not grow with the depth.
    pub after: Option<EventKey>,
}

/// An event's place in a list sorted by creation time, then id: the order its derived
/// `Ord` follows (field order matters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventKey {
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// Its id, which breaks ties.
    pub id: i64,
}

/// A client's `Idempotency-Key`, scoped to the caller, with a fingerprint of the request.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    /// Token subject (and client) the key belongs to: keys of different callers never meet.
    pub principal: String,
    /// The header's value.
    pub key: String,
    /// Hash of method, path and body: the same key with another request is refused.
    pub fingerprint: String,
}

/// The result of a create that may be a retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded<T> {
    /// Created now.
    Created(T),
    /// The key was seen before with the same request: the resource created then.
    Replayed(String),
    /// The key was seen before with a different request.
    KeyReused,
}

/// The customer event history.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Registers an event, atomically with its idempotency key if one is given.
    async fn append_event(
        &self,
        event: NewEvent,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<Recorded<i64>, StoreError>;

    /// Loads events with given ids (the demo data set); existing ids are an error. An
    /// import may add events older than marks already stored: it drops those marks (see
    /// [`EventStore::extend_marks`]).
    async fn import_events(&self, events: &[EventRecord]) -> Result<(), StoreError>;

    /// One event by id.
    async fn get_event(&self, id: i64) -> Result<Option<EventRecord>, StoreError>;

    /// The ids of one page of a customer's events, in `order`, and the number of all
    /// events that match `filter` (its `page` and `after` are ignored: `start` and
    /// `limit` say which rows). One statement: a list page is the hottest read.
    async fn page_ids(
        &self,
        filter: &EventFilter,
        order: SortOrder,
        start: PageStart,
        limit: u64,
    ) -> Result<(Vec<i64>, u64), StoreError>;

    /// A deep page in one statement: the number of events that match `filter` (which
    /// has no date range), the highest mark at most a stride below `rank` (`None` when
    /// there is none that close), and from it up to `len` ids oldest first, starting at
    /// `rank`. The caller checks that the count is the one it computed `rank` from.
    async fn marked_page(
        &self,
        filter: &EventFilter,
        rank: u64,
        len: u64,
    ) -> Result<MarkedPage, StoreError>;

    /// The number of events that match `filter`.
    async fn count_events(&self, filter: &EventFilter) -> Result<u64, StoreError>;

    /// The events with these ids, in any order; ids that do not exist are left out.
    async fn events_by_id(&self, ids: &[i64]) -> Result<Vec<EventRecord>, StoreError>;

    /// The highest mark at or below `rank` in the customer's list (of one kind, or of
    /// all kinds when `kind` is `None`).
    async fn nearest_mark(
        &self,
        customer: &CustomerNumber,
        kind: Option<EventKind>,
        rank: u64,
    ) -> Result<Option<EventMark>, StoreError>;

    /// Adds marks over at most `rows` events after `anchor` (from the oldest event when
    /// `None`), only over events created before `settled_before`, and only while
    /// `anchor` is still stored: an import of older events may have dropped it meanwhile.
    /// Serialised with [`EventStore::import_events`] of the same customer, so marks never
    /// count a list that an import changed under them.
    async fn extend_marks(
        &self,
        customer: &CustomerNumber,
        kind: Option<EventKind>,
        anchor: Option<EventMark>,
        settled_before: DateTime<Utc>,
        rows: u64,
    ) -> Result<(), StoreError>;

    /// The customer's write generation (see [`page_cache`]): a number that changes with
    /// every commit that adds events of the customer, by any process, known to include
    /// every commit that finished before this call. `None` when it cannot be told (the
    /// page is then read from the database).
    async fn generation(&self, customer: &CustomerNumber) -> Option<u64>;

    /// Whether any event exists (the demo loads only into an empty database).
    async fn is_empty(&self) -> Result<bool, StoreError>;
}

/// Liveness of the database, for `/health/ready`.
#[async_trait]
pub trait HealthCheck: Send + Sync {
    /// Succeeds when a trivial query answers.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// The stores the application runs on, each behind its trait.
#[derive(Clone)]
pub struct Stores {
    /// Customer events.
    pub events: Arc<dyn EventStore>,
    /// Customer orders, cards and the executor's queue.
    pub orders: Arc<dyn OrderStore>,
    /// Accounts, as the read views show them.
    pub accounts: Arc<dyn accounts::AccountStore>,
    /// Database health.
    pub health: Arc<dyn HealthCheck>,
    /// The audit trail.
    pub audit: Arc<dyn AuditStore>,
    /// The outbox, in commit order.
    pub feed: Arc<dyn feed::FeedStore>,
    /// Webhook subscriptions and deliveries.
    pub webhooks: Arc<dyn webhooks::WebhookStore>,
    /// Which backend, for logs and the start-up banner.
    pub backend: Backend,
}

impl Stores {
    /// Puts an in-memory cache of up to `max_bytes` of events in front of the event store
    /// (see [`event_cache`]); 0 leaves it uncached.
    pub fn with_event_cache(mut self, max_bytes: u64) -> Self {
        if max_bytes > 0 {
            self.events = Arc::new(event_cache::CachedEvents::new(self.events, max_bytes));
        }
        self
    }
}

/// The two supported databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded, a file next to the service.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// Chooses by the URL's scheme.
    pub fn of_url(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            anyhow::bail!("BANKAPI_DATABASE_URL must start with sqlite: or postgres://")
        }
    }
}

/// Opens the database named by `url`, applying migrations first when `migrate` is set.
pub async fn connect(url: &str, max_connections: u32, migrate: bool) -> anyhow::Result<Stores> {
    match Backend::of_url(url)? {
        Backend::Sqlite => {
            let store = Arc::new(sqlite::SqliteStore::connect(url, max_connections).await?);
            if migrate {
                store.migrate().await?;
            }
            Ok(Stores {
                events: store.clone(),
                orders: store.clone(),
                accounts: store.clone(),
                audit: store.clone(),
                feed: store.clone(),
                webhooks: store.clone(),
                health: store,
                backend: Backend::Sqlite,
            })
        }
        Backend::Postgres => {
            let store = Arc::new(postgres::PgStore::connect(url, max_connections).await?);
            if migrate {
                store.migrate().await?;
            }
            Ok(Stores {
                events: store.clone(),
                orders: store.clone(),
                accounts: store.clone(),
                audit: store.clone(),
                feed: store.clone(),
                webhooks: store.clone(),
                health: store,
                backend: Backend::Postgres,
            })
        }
    }
}

/// Microseconds since the epoch: how SQLite stores instants, keeping their order in an
/// integer index.
pub(crate) fn to_micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// The inverse of [`to_micros`].
pub(crate) fn from_micros(micros: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| {
        StoreError::Other(anyhow::anyhow!("stored instant {micros} is out of range"))
    })
}

/// Rebuilds a record from stored columns, refusing rows that break the domain's rules
/// rather than letting them out.
pub(crate) fn event_from_columns(
    id: i64,
    customer_number: &str,
    kind: &str,
    created_at: DateTime<Utc>,
    description: Option<String>,
    xml: String,
) -> Result<EventRecord, StoreError> {
    let customer_number = CustomerNumber::parse("customer-number", customer_number)
        .map_err(|e| StoreError::Other(anyhow::anyhow!("event {id}: {}", e.message)))?;
    let kind = EventKind::from_stored(kind)
        .ok_or_else(|| StoreError::Other(anyhow::anyhow!("event {id}: unknown kind {kind}")))?;
    Ok(EventRecord {
        id,
        customer_number,
        kind,
        created_at,
        description,
        xml,
    })
}
