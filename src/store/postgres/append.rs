//! How PostgreSQL writes event appends, alone or as one group commit (see
//! [`super::group_commit`]).
//!
//! A group is one statement, so one round trip and one implicit transaction: its events,
//! the customers' counters and the idempotency keys are written together through
//! `UNNEST` over arrays, so the statement is the same whatever the group's size.
//!
//! The writer owns one connection instead of borrowing from the pool: sqlx's pool pings a
//! connection before lending it and again when it comes back, which tripled a group's
//! round trips, and every request in the group waits for them. The connection plans its
//! statements once (`plan_cache_mode = force_generic_plan`): they look rows up by primary
//! key and read arrays, so the generic plan is the right one, and without it PostgreSQL
//! planned the group's statement anew on every execution (a fifth of its time).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use super::own_connection::OwnConnection;
use super::{claim_key, insert_event, recorded_key};
use crate::store::group_commit::{Append, AppendWriter, RecordedKeys, answers_for_recorded};
use crate::store::{IdempotencyKey, NewEvent, Recorded, StoreError};

/// How long one write may take before the connection is given up (the database is
/// unreachable without the socket noticing) and the requests get a 503.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Writes event appends over a connection of its own, opened when first needed and
/// again after a failure.
pub(super) struct PgAppender {
    connection: OwnConnection,
}

impl PgAppender {
    /// A writer that connects with `options`.
    pub(super) fn new(options: PgConnectOptions) -> Self {
        Self {
            connection: OwnConnection::new(
                "event writer",
                options.options([("plan_cache_mode", "force_generic_plan")]),
            ),
        }
    }
}

#[async_trait]
impl AppendWriter for PgAppender {
    async fn append_one(&mut self, append: &Append) -> Result<Recorded<i64>, StoreError> {
        let connection = self.connection.connection().await?;
        let outcome = tokio::time::timeout(WRITE_TIMEOUT, append_alone(connection, append)).await;
        self.connection.settle(WRITE_TIMEOUT, outcome)
    }

    async fn append_many(&mut self, appends: &[Append]) -> Result<Vec<Recorded<i64>>, StoreError> {
        let connection = self.connection.connection().await?;
        let outcome = tokio::time::timeout(WRITE_TIMEOUT, append_group(connection, appends)).await;
        self.connection.settle(WRITE_TIMEOUT, outcome)
    }
}

/// One event in a transaction of its own.
async fn append_alone(
    connection: &mut PgConnection,
    append: &Append,
) -> Result<Recorded<i64>, StoreError> {
    if let Some(key) = &append.key
        && let Some(seen) = recorded_key(&mut *connection, key).await?
    {
        return Ok(seen);
    }
    let mut tx = connection.begin().await?;
    let id = insert_event(&mut tx, None, &append.event).await?;
    if let Some(key) = &append.key
        && !claim_key(&mut tx, key, &id.to_string()).await?
    {
        tx.rollback().await?;
        return recorded_key(&mut *connection, key)
            .await?
            .ok_or(StoreError::NotFound);
    }
    tx.commit().await?;
    Ok(Recorded::Created(id))
}

/// A group: keys recorded before are answered, the rest written in one statement.
async fn append_group(
    connection: &mut PgConnection,
    appends: &[Append],
) -> Result<Vec<Recorded<i64>>, StoreError> {
    let (principals, keys): (Vec<&str>, Vec<&str>) = appends
        .iter()
        .filter_map(|a| a.key.as_ref())
        .map(|k| (k.principal.as_str(), k.key.as_str()))
        .unzip();
    let mut seen = RecordedKeys::new();
    if !keys.is_empty() {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT principal, idempotency_key, fingerprint, resource_id FROM idempotency_keys
             WHERE (principal, idempotency_key) IN (SELECT * FROM UNNEST($1::text[], $2::text[]))",
        )
        .bind(&principals)
        .bind(&keys)
        .fetch_all(&mut *connection)
        .await?;
        seen.extend(rows.into_iter().map(|(p, k, f, r)| ((p, k), (f, r))));
    }

    let mut results = Vec::with_capacity(appends.len());
    let mut new = Vec::new();
    let answers = answers_for_recorded(appends, seen);
    for (index, (append, found)) in appends.iter().zip(answers).enumerate() {
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
        return Ok(results);
    }

    let rows: Vec<_> = new
        .iter()
        .map(|(_, a)| (&a.event, a.key.as_ref()))
        .collect();
    let ids = insert_group(connection, &rows).await?;
    if ids.len() != new.len() {
        return Err(StoreError::Other(anyhow::anyhow!(
            "wrote {} events, got {} ids",
            new.len(),
            ids.len()
        )));
    }
    for ((index, _), id) in new.iter().zip(ids) {
        results[*index] = Recorded::Created(id);
    }
    Ok(results)
}

/// Writes a group's events, their counters and their keys in one statement (the order
/// engine's events too, without keys). Returns the new ids in the order of `new`; they come from the identity's sequence (named by
/// migration 0001) and are sorted, so they increase with the group.
///
/// A key inserted meanwhile by another process makes the statement fail (after waiting
/// for that process to commit); the group is then retried event by event.
pub(super) async fn insert_group(
    connection: &mut PgConnection,
    new: &[(&NewEvent, Option<&IdempotencyKey>)],
) -> Result<Vec<i64>, StoreError> {
    let customers: Vec<&str> = new
        .iter()
        .map(|(e, _)| e.customer_number.as_str())
        .collect();
    let kinds: Vec<&str> = new.iter().map(|(e, _)| e.kind.as_str()).collect();
    let times: Vec<DateTime<Utc>> = new.iter().map(|(e, _)| e.created_at).collect();
    let descriptions: Vec<Option<&str>> =
        new.iter().map(|(e, _)| e.description.as_deref()).collect();
    let xmls: Vec<&str> = new.iter().map(|(e, _)| e.xml.as_str()).collect();
    let mut key_positions = Vec::new();
    let mut key_principals = Vec::new();
    let mut key_values = Vec::new();
    let mut fingerprints = Vec::new();
    for (position, (_, key)) in (1_i64..).zip(new) {
        if let Some(key) = key {
            key_positions.push(position);
            key_principals.push(key.principal.as_str());
            key_values.push(key.key.as_str());
            fingerprints.push(key.fingerprint.as_str());
        }
    }
    // `ids` is referenced twice and calls a volatile function, so PostgreSQL computes it
    // once. Counters are upserted in key order, so that two processes updating the same
    // counters cannot deadlock.
    let ids: Vec<i64> = sqlx::query_scalar(
        "WITH ids AS (
             SELECT row_number() OVER (ORDER BY id) AS n, id
             FROM (SELECT nextval('events_event_id_seq') AS id
                   FROM generate_series(1, cardinality($1::text[]))) AS allocated
         ),
         input AS (
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[])
                 WITH ORDINALITY AS t(customer_number, event_kind, created_at, description, event_data_xml, n)
         ),
         inserted AS (
             INSERT INTO events (event_id, customer_number, event_kind, created_at, description, event_data_xml)
             SELECT ids.id, input.customer_number, input.event_kind, input.created_at,
                    input.description, input.event_data_xml
             FROM input JOIN ids USING (n)
         ),
         counted AS (
             INSERT INTO customer_event_counts (customer_number, event_kind, event_count)
             SELECT customer_number, event_kind, count(*) FROM input
             GROUP BY customer_number, event_kind
             ORDER BY customer_number, event_kind
             ON CONFLICT (customer_number, event_kind)
             DO UPDATE SET event_count = customer_event_counts.event_count + EXCLUDED.event_count
         ),
         keyed AS (
             INSERT INTO idempotency_keys (principal, idempotency_key, fingerprint, resource_id)
             SELECT k.principal, k.idempotency_key, k.fingerprint, ids.id::text
             FROM UNNEST($6::bigint[], $7::text[], $8::text[], $9::text[])
                 AS k(n, principal, idempotency_key, fingerprint)
             JOIN ids USING (n)
         )
         SELECT id FROM ids ORDER BY n",
    )
    .bind(&customers)
    .bind(&kinds)
    .bind(&times)
    .bind(&descriptions)
    .bind(&xmls)
    .bind(&key_positions)
    .bind(&key_principals)
    .bind(&key_values)
    .bind(&fingerprints)
    .fetch_all(&mut *connection)
    .await?;
    Ok(ids)
}
