//! How SQLite writes event appends, alone or as one group commit (see
//! [`super::group_commit`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::SqliteConnection;
use sqlx::sqlite::SqlitePool;
use sqlx::{QueryBuilder, Sqlite};

use super::{claim_key, insert_event, recorded_key};
use crate::store::group_commit::{Append, AppendWriter, RecordedKeys, answers_for_recorded};
use crate::store::page_cache::WriteGenerations;
use crate::store::{IdempotencyKey, NewEvent, Recorded, StoreError, to_micros};

/// Writes through the store's single writer connection.
pub(super) struct SqliteAppender {
    pub(super) writer: SqlitePool,
    /// Bumped for the appends' customers once their commit is over.
    pub(super) generations: Arc<WriteGenerations>,
}

#[async_trait]
impl AppendWriter for SqliteAppender {
    async fn append_one(&mut self, append: &Append) -> Result<Recorded<i64>, StoreError> {
        let written = self.write_one(append).await;
        self.generations.bump([&append.event.customer_number]);
        written
    }

    async fn append_many(&mut self, appends: &[Append]) -> Result<Vec<Recorded<i64>>, StoreError> {
        let written = self.write_many(appends).await;
        self.generations
            .bump(appends.iter().map(|a| &a.event.customer_number));
        written
    }
}

impl SqliteAppender {
    async fn write_one(&mut self, append: &Append) -> Result<Recorded<i64>, StoreError> {
        if let Some(key) = &append.key
            && let Some(seen) = recorded_key(&self.writer, key).await?
        {
            return Ok(seen);
        }
        let mut tx = self.writer.begin().await?;
        let id = insert_event(&mut tx, None, &append.event).await?;
        if let Some(key) = &append.key
            && !claim_key(&mut tx, key, &id.to_string()).await?
        {
            tx.rollback().await?;
            return recorded_key(&self.writer, key)
                .await?
                .ok_or(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(Recorded::Created(id))
    }

    async fn write_many(&mut self, appends: &[Append]) -> Result<Vec<Recorded<i64>>, StoreError> {
        let mut tx = self.writer.begin().await?;

        // Keys recorded before: those requests are answered, not written.
        let keys: Vec<&IdempotencyKey> = appends.iter().filter_map(|a| a.key.as_ref()).collect();
        let mut seen = RecordedKeys::new();
        if !keys.is_empty() {
            let mut query = QueryBuilder::<Sqlite>::new(
                "SELECT principal, idempotency_key, fingerprint, resource_id FROM idempotency_keys
                 WHERE (principal, idempotency_key) IN (",
            );
            query.push_values(&keys, |mut row, key| {
                row.push_bind(&key.principal).push_bind(&key.key);
            });
            query.push(")");
            let rows: Vec<(String, String, String, String)> =
                query.build_query_as().fetch_all(&mut *tx).await?;
            seen.extend(rows.into_iter().map(|(p, k, f, r)| ((p, k), (f, r))));
        }

        let mut results = Vec::with_capacity(appends.len());
        let mut new = Vec::new();
        for (index, (append, found)) in appends
            .iter()
            .zip(answers_for_recorded(appends, seen))
            .enumerate()
        {
            match found {
                Some(answer) => results.push(answer),
                None => {
                    new.push((index, append));
                    // Replaced by the id below.
                    results.push(Recorded::Created(0));
                }
            }
        }
        if new.is_empty() {
            tx.commit().await?;
            return Ok(results);
        }
        let events: Vec<&NewEvent> = new.iter().map(|(_, a)| &a.event).collect();
        let ids = insert_events(&mut tx, &events).await?;
        let new: Vec<(i64, &Append)> = new
            .into_iter()
            .zip(ids)
            .map(|((index, append), id)| {
                results[index] = Recorded::Created(id);
                (id, append)
            })
            .collect();

        let now = to_micros(chrono::Utc::now());
        let keyed: Vec<(i64, &IdempotencyKey)> = new
            .iter()
            .filter_map(|(id, append)| append.key.as_ref().map(|key| (*id, key)))
            .collect();
        if !keyed.is_empty() {
            let mut insert = QueryBuilder::<Sqlite>::new(
                "INSERT INTO idempotency_keys (principal, idempotency_key, fingerprint, resource_id, created_at) ",
            );
            insert.push_values(&keyed, |mut row, (id, key)| {
                row.push_bind(&key.principal)
                    .push_bind(&key.key)
                    .push_bind(&key.fingerprint)
                    .push_bind(id.to_string())
                    .push_bind(now);
            });
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(results)
    }
}

/// Registers `events` with multi-row statements (an event takes six bound values, so a
/// call stays far below SQLite's 32766) and counts them for their customers' pages.
/// Returns their ids, in order. The caller holds the writer, so ids continue the
/// AUTOINCREMENT sequence without anything else taking one meanwhile.
pub(super) async fn insert_events(
    tx: &mut SqliteConnection,
    events: &[&NewEvent],
) -> Result<Vec<i64>, StoreError> {
    let (last,): (i64,) = sqlx::query_as(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),
                    COALESCE((SELECT MAX(event_id) FROM events), 0))",
    )
    .fetch_one(&mut *tx)
    .await?;
    let ids: Vec<i64> = (last + 1..).take(events.len()).collect();
    let rows: Vec<(i64, &NewEvent)> = ids.iter().copied().zip(events.iter().copied()).collect();
    for chunk in rows.chunks(EVENTS_PER_STATEMENT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO events (event_id, customer_number, event_kind, created_at, description, event_data_xml) ",
        );
        insert.push_values(chunk, |mut row, (id, event)| {
            row.push_bind(*id)
                .push_bind(event.customer_number.as_str())
                .push_bind(event.kind.as_str())
                .push_bind(to_micros(event.created_at))
                .push_bind(event.description.as_deref())
                .push_bind(&event.xml);
        });
        insert.build().execute(&mut *tx).await?;
    }
    let mut counts: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for event in events {
        *counts
            .entry((event.customer_number.as_str(), event.kind.as_str()))
            .or_default() += 1;
    }
    let counts: Vec<_> = counts.into_iter().collect();
    for chunk in counts.chunks(EVENTS_PER_STATEMENT) {
        let mut upsert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO customer_event_counts (customer_number, event_kind, event_count) ",
        );
        upsert.push_values(chunk, |mut row, ((customer, kind), count)| {
            row.push_bind(*customer).push_bind(*kind).push_bind(*count);
        });
        upsert.push(
            " ON CONFLICT (customer_number, event_kind)
              DO UPDATE SET event_count = event_count + excluded.event_count",
        );
        upsert.build().execute(&mut *tx).await?;
    }
    Ok(ids)
}

/// Rows per multi-row statement: 6 values each, well below SQLite's bound-value limit.
const EVENTS_PER_STATEMENT: usize = 2_000;
