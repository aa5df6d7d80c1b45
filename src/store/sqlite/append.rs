//! How SQLite writes event appends, alone or as one group commit (see
//! [`super::group_commit`]).

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
        let keys: Vec<&IdempotencyKey> = appends.iter().filter_map(|a| a.key.as_ref()).collect();
        if keys.is_empty() && appends.len() <= EVENTS_PER_STATEMENT {
            // Nothing to look up or record: one statement in its own implicit transaction,
            // so one round trip to the connection's thread (which the group's every
            // request waits for), and a failure leaves nothing behind.
            let events: Vec<&NewEvent> = appends.iter().map(|a| &a.event).collect();
            let mut connection = self.writer.acquire().await?;
            let ids = insert_events(&mut connection, &events).await?;
            return Ok(ids.into_iter().map(Recorded::Created).collect());
        }
        let mut tx = self.writer.begin().await?;

        // Keys recorded before: those requests are answered, not written.
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

/// Registers `events` with one multi-row statement per chunk (an event takes seven bound
/// values, so a chunk stays far below SQLite's 32766) and returns their ids, in order. The
/// customers' counts follow by trigger (migration 0015).
///
/// The ids continue the AUTOINCREMENT sequence: the statement reads the last one itself
/// (SQLite materialises a SELECT that reads the table it inserts into, so the base is
/// read once, before the first row) and adds each row's position, so a chunk without an
/// explicit transaction is one round trip. The caller holds the only writer, so nothing
/// takes an id meanwhile; sorting the returned ids restores the rows' order whatever
/// order `RETURNING` uses.
pub(super) async fn insert_events(
    tx: &mut SqliteConnection,
    events: &[&NewEvent],
) -> Result<Vec<i64>, StoreError> {
    let mut ids = Vec::with_capacity(events.len());
    for chunk in events.chunks(EVENTS_PER_STATEMENT) {
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO events (event_id, customer_number, event_kind, created_at, description, event_data_xml)
             SELECT last.id + v.column1, v.column2, v.column3, v.column4, v.column5, v.column6
             FROM (SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),
                              COALESCE((SELECT MAX(event_id) FROM events), 0)) AS id) AS last,
                  (",
        );
        insert.push_values((1_i64..).zip(chunk), |mut row, (position, event)| {
            row.push_bind(position)
                .push_bind(event.customer_number.as_str())
                .push_bind(event.kind.as_str())
                .push_bind(to_micros(event.created_at))
                .push_bind(event.description.as_deref())
                .push_bind(&event.xml);
        });
        insert.push(") AS v RETURNING event_id");
        let mut written: Vec<i64> = insert.build_query_scalar().fetch_all(&mut *tx).await?;
        written.sort_unstable();
        if written.len() != chunk.len() {
            return Err(StoreError::Other(anyhow::anyhow!(
                "wrote {} events, got {} ids",
                chunk.len(),
                written.len()
            )));
        }
        ids.extend(written);
    }
    Ok(ids)
}

/// Rows per multi-row statement: 7 values each, well below SQLite's bound-value limit.
const EVENTS_PER_STATEMENT: usize = 2_000;
