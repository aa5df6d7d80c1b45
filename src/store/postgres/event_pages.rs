//! PostgreSQL statements of the event list: page ids, counts, events by id and marks. What
//! they are for is in `store::event_pages`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};

use super::EventRow;
use super::own_connection::OwnConnection;
use crate::domain::page::{MARK_STRIDE, SortOrder};
use crate::domain::{CustomerNumber, EventKind};
use crate::store::event_pages::{EventMark, MarkedPage, PageStart, as_i64, mark_kind};
use crate::store::{EventFilter, EventKey, EventRecord, StoreError};

/// `SELECT` of the number of events matching `filter`: the kept counts when no date
/// range is given, else a count of the rows.
fn push_count(query: &mut QueryBuilder<Postgres>, filter: &EventFilter) {
    if filter.from.is_none() && filter.to.is_none() {
        query.push(
            "SELECT COALESCE(SUM(event_count), 0)::BIGINT FROM customer_event_counts WHERE customer_number = ",
        );
        query.push_bind(filter.customer_number.as_str().to_owned());
        if let Some(kind) = filter.kind {
            query.push(" AND event_kind = ").push_bind(kind.as_str());
        }
    } else {
        query.push("SELECT COUNT(*) FROM events WHERE customer_number = ");
        push_filters(query, filter);
    }
}

/// The customer (already after `customer_number = `), kind and date range of `filter`.
fn push_filters(query: &mut QueryBuilder<Postgres>, filter: &EventFilter) {
    query.push_bind(filter.customer_number.as_str().to_owned());
    if let Some(kind) = filter.kind {
        query.push(" AND event_kind = ").push_bind(kind.as_str());
    }
    if let Some(from) = filter.from {
        query.push(" AND created_at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        query.push(" AND created_at <= ").push_bind(to);
    }
}

fn push_key(query: &mut QueryBuilder<Postgres>, comparison: &str, key: EventKey) {
    query
        .push(format!(" AND (created_at, event_id) {comparison} ("))
        .push_bind(key.created_at)
        .push(", ")
        .push_bind(key.id)
        .push(")");
}

/// The customers' write generations, in the order asked: how many events each has, all
/// kinds together. Events are never deleted and every insert counts itself in the same
/// transaction, so the number grows with every commit that adds one of the customer's
/// events, in whichever process.
pub(super) async fn generations(
    conn: &mut PgConnection,
    customers: &[CustomerNumber],
) -> Result<Vec<u64>, StoreError> {
    let counts: Vec<i64> = if let [customer] = customers {
        // The usual round (one customer's app polling): the plain lookup.
        sqlx::query_scalar(
            "SELECT COALESCE(SUM(event_count), 0)::BIGINT FROM customer_event_counts
             WHERE customer_number = $1",
        )
        .bind(customer.as_str())
        .fetch_all(conn)
        .await?
    } else {
        let numbers: Vec<&str> = customers.iter().map(CustomerNumber::as_str).collect();
        sqlx::query_scalar(
            "SELECT (SELECT COALESCE(SUM(c.event_count), 0)::BIGINT
                     FROM customer_event_counts c WHERE c.customer_number = asked.number)
             FROM UNNEST($1::text[]) WITH ORDINALITY AS asked(number, n)
             ORDER BY asked.n",
        )
        .bind(&numbers)
        .fetch_all(conn)
        .await?
    };
    Ok(counts.into_iter().map(i64::unsigned_abs).collect())
}

/// How long a generation read may take before the connection is given up: the
/// requests waiting on it then read their pages from the pool, which reports the
/// database's state.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads write generations over a connection of its own: the barrier runs one read at a
/// time, and a pooled connection would add an acquire and a hand-back task to every
/// round.
pub(super) struct GenerationReader {
    connection: tokio::sync::Mutex<OwnConnection>,
}

impl GenerationReader {
    pub(super) fn new(options: sqlx::postgres::PgConnectOptions) -> Self {
        Self {
            connection: tokio::sync::Mutex::new(OwnConnection::new("read barrier", options)),
        }
    }

    pub(super) async fn read(&self, customers: &[CustomerNumber]) -> Result<Vec<u64>, StoreError> {
        let mut own = self.connection.lock().await;
        let conn = own.connection().await?;
        let outcome = tokio::time::timeout(READ_TIMEOUT, generations(conn, customers)).await;
        own.settle(READ_TIMEOUT, outcome)
    }
}

/// The page's ids (one row, an array) and the count, in one statement.
pub(super) async fn page_ids(
    pool: &PgPool,
    filter: &EventFilter,
    order: SortOrder,
    start: PageStart,
    limit: u64,
) -> Result<(Vec<i64>, u64), StoreError> {
    let (direction, beyond, at_or_beyond) = match order {
        SortOrder::Asc => ("ASC", ">", ">="),
        SortOrder::Desc => ("DESC", "<", "<="),
    };
    let mut query = QueryBuilder::<Postgres>::new("SELECT (");
    push_count(&mut query, filter);
    query.push("), ARRAY(SELECT event_id FROM events WHERE customer_number = ");
    push_filters(&mut query, filter);
    let skip = match start {
        PageStart::Offset(offset) => offset,
        PageStart::After(key) => {
            push_key(&mut query, beyond, key);
            0
        }
        PageStart::From { key, skip } => {
            push_key(&mut query, at_or_beyond, key);
            skip
        }
    };
    query.push(format!(
        " ORDER BY created_at {direction}, event_id {direction} LIMIT "
    ));
    query.push_bind(as_i64(limit)).push(" OFFSET ");
    query.push_bind(as_i64(skip)).push(")");
    let (total, ids): (i64, Vec<i64>) = query.build_query_as().fetch_one(pool).await?;
    Ok((ids, u64::try_from(total).unwrap_or(0)))
}

/// A deep page in one statement: the count, the closest mark within a stride below
/// `rank`, and up to `len` ids from it, oldest first (see `store::event_pages`).
pub(super) async fn marked_page(
    pool: &PgPool,
    filter: &EventFilter,
    rank: u64,
    len: u64,
) -> Result<MarkedPage, StoreError> {
    let mut query = QueryBuilder::<Postgres>::new(
        "WITH mark AS (SELECT rank, created_at, event_id FROM event_marks WHERE customer_number = ",
    );
    query
        .push_bind(filter.customer_number.as_str().to_owned())
        .push(" AND event_kind = ")
        .push_bind(mark_kind(filter.kind))
        .push(" AND rank <= ")
        .push_bind(as_i64(rank))
        .push(" AND rank > ")
        .push_bind(as_i64(rank) - as_i64(MARK_STRIDE))
        .push(" ORDER BY rank DESC LIMIT 1) SELECT (");
    push_count(&mut query, filter);
    query.push(
        "), (SELECT rank FROM mark), ARRAY(SELECT event_id FROM events WHERE customer_number = ",
    );
    push_filters(&mut query, filter);
    query
        .push(
            " AND (created_at, event_id) >= (SELECT created_at, event_id FROM mark) \
             ORDER BY created_at, event_id LIMIT ",
        )
        .push_bind(as_i64(len))
        .push(" OFFSET COALESCE(")
        .push_bind(as_i64(rank))
        .push(" - (SELECT rank FROM mark), 0))");
    let (total, mark, ids): (i64, Option<i64>, Vec<i64>) =
        query.build_query_as().fetch_one(pool).await?;
    Ok(MarkedPage {
        total: u64::try_from(total).unwrap_or(0),
        mark: mark.and_then(|rank| u64::try_from(rank).ok()),
        ids,
    })
}

pub(super) async fn count_events(pool: &PgPool, filter: &EventFilter) -> Result<u64, StoreError> {
    let mut query = QueryBuilder::<Postgres>::new("");
    push_count(&mut query, filter);
    let total: i64 = query.build_query_scalar().fetch_one(pool).await?;
    Ok(u64::try_from(total).unwrap_or(0))
}

pub(super) async fn events_by_id(
    pool: &PgPool,
    ids: &[i64],
) -> Result<Vec<EventRecord>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<EventRow> = sqlx::query_as(concat!(
        "SELECT ",
        event_columns!(),
        " FROM events WHERE event_id = ANY($1)"
    ))
    .bind(ids)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(EventRow::into_record).collect()
}

pub(super) async fn nearest_mark(
    pool: &PgPool,
    customer: &CustomerNumber,
    kind: Option<EventKind>,
    rank: u64,
) -> Result<Option<EventMark>, StoreError> {
    let row: Option<(i64, DateTime<Utc>, i64)> = sqlx::query_as(
        "SELECT rank, created_at, event_id FROM event_marks
         WHERE customer_number = $1 AND event_kind = $2 AND rank <= $3
         ORDER BY rank DESC LIMIT 1",
    )
    .bind(customer.as_str())
    .bind(mark_kind(kind))
    .bind(as_i64(rank))
    .fetch_optional(pool)
    .await?;
    row.map(|(rank, created_at, id)| {
        Ok(EventMark {
            rank: u64::try_from(rank).unwrap_or(0),
            key: EventKey { created_at, id },
        })
    })
    .transpose()
}

/// Under the customer's advisory lock, which an import of the customer's events takes too:
/// taken before the statement starts, so the statement's snapshot holds every import that
/// committed before it, and no import commits while it counts.
pub(super) async fn extend_marks(
    pool: &PgPool,
    customer: &CustomerNumber,
    kind: Option<EventKind>,
    anchor: Option<EventMark>,
    settled_before: DateTime<Utc>,
    rows: u64,
) -> Result<(), StoreError> {
    let first_rank = anchor.map_or(0, |mark| mark.rank + 1);
    let mut query = QueryBuilder::<Postgres>::new(
        "INSERT INTO event_marks (customer_number, event_kind, rank, created_at, event_id) SELECT ",
    );
    query
        .push_bind(customer.as_str())
        .push(", ")
        .push_bind(mark_kind(kind))
        .push(", rank, created_at, event_id FROM (SELECT created_at, event_id, ")
        .push_bind(as_i64(first_rank))
        .push(
            " + ROW_NUMBER() OVER (ORDER BY created_at, event_id) - 1 AS rank \
             FROM events WHERE customer_number = ",
        )
        .push_bind(customer.as_str());
    if let Some(kind) = kind {
        query.push(" AND event_kind = ").push_bind(kind.as_str());
    }
    if let Some(anchor) = anchor {
        push_key(&mut query, ">", anchor.key);
    }
    query
        .push(" AND created_at < ")
        .push_bind(settled_before)
        .push(" ORDER BY created_at, event_id LIMIT ")
        .push_bind(as_i64(rows))
        .push(format!(") AS walk WHERE rank % {MARK_STRIDE} = 0"));
    if let Some(anchor) = anchor {
        query
            .push(" AND EXISTS (SELECT 1 FROM event_marks WHERE customer_number = ")
            .push_bind(customer.as_str())
            .push(" AND event_kind = ")
            .push_bind(mark_kind(kind))
            .push(" AND rank = ")
            .push_bind(as_i64(anchor.rank))
            .push(" AND event_id = ")
            .push_bind(anchor.key.id)
            .push(")");
    }
    query.push(" ON CONFLICT DO NOTHING");
    let mut tx = pool.begin().await?;
    lock_marks(&mut tx, customer).await?;
    query.build().execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Drops the marks an import of events from `from` on may have shifted.
pub(super) async fn forget_marks(
    tx: &mut PgConnection,
    customer: &CustomerNumber,
    from: EventKey,
) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM event_marks WHERE customer_number = $1 AND (created_at, event_id) >= ($2, $3)",
    )
    .bind(customer.as_str())
    .bind(from.created_at)
    .bind(from.id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The transaction-scoped lock that serialises marking a customer's list with importing
/// into it.
pub(super) async fn lock_marks(
    tx: &mut PgConnection,
    customer: &CustomerNumber,
) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('event_marks ' || $1, 0))")
        .bind(customer.as_str())
        .execute(&mut *tx)
        .await?;
    Ok(())
}
