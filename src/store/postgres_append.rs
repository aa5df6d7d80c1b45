//! How PostgreSQL writes event appends, alone or as one group commit (see
//! [`super::group_commit`]). The shared transaction uses `UNNEST` over arrays, so its
//! statements are the same whatever the batch size (prepared once per connection).

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgPool;

use super::group_commit::{Append, AppendWriter, recorded};
use super::postgres::{insert_event, recorded_key};
use super::{Recorded, StoreError};

/// Writes through the store's pool.
pub(super) struct PgAppender {
    pub(super) pool: PgPool,
}

#[async_trait]
impl AppendWriter for PgAppender {
    async fn append_one(&self, append: &Append) -> Result<Recorded<i64>, StoreError> {
        if let Some(key) = &append.key
            && let Some(seen) = recorded_key(&self.pool, key).await?
        {
            return Ok(seen);
        }
        let mut tx = self.pool.begin().await?;
        let id = insert_event(&mut tx, None, &append.event).await?;
        if let Some(key) = &append.key {
            // A concurrent request with the same key waits here on the primary key until
            // the first commits, then inserts nothing and replays.
            let inserted = sqlx::query(
                "INSERT INTO idempotency_keys (principal, idempotency_key, fingerprint, resource_id)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(&key.principal)
            .bind(&key.key)
            .bind(&key.fingerprint)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() == 0 {
                tx.rollback().await?;
                return recorded_key(&self.pool, key)
                    .await?
                    .ok_or(StoreError::NotFound);
            }
        }
        tx.commit().await?;
        Ok(Recorded::Created(id))
    }

    async fn append_many(&self, appends: &[Append]) -> Result<Vec<Recorded<i64>>, StoreError> {
        let mut tx = self.pool.begin().await?;

        // Keys recorded before: those requests are answered, not written.
        let (principals, keys): (Vec<&str>, Vec<&str>) = appends
            .iter()
            .filter_map(|a| a.key.as_ref())
            .map(|k| (k.principal.as_str(), k.key.as_str()))
            .unzip();
        let mut seen: HashMap<(String, String), (String, String)> = HashMap::new();
        if !keys.is_empty() {
            let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                "SELECT principal, idempotency_key, fingerprint, resource_id FROM idempotency_keys
                 WHERE (principal, idempotency_key) IN (SELECT * FROM UNNEST($1::text[], $2::text[]))",
            )
            .bind(&principals)
            .bind(&keys)
            .fetch_all(&mut *tx)
            .await?;
            seen.extend(rows.into_iter().map(|(p, k, f, r)| ((p, k), (f, r))));
        }

        let mut results = Vec::with_capacity(appends.len());
        let mut new = Vec::new();
        for (index, append) in appends.iter().enumerate() {
            let found = append.key.as_ref().and_then(|key| {
                seen.remove(&(key.principal.clone(), key.key.clone()))
                    .map(|(fingerprint, resource)| recorded(key, &fingerprint, resource))
            });
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

        // Ids from the identity's sequence, in order, so they increase with the batch.
        let mut ids: Vec<i64> = sqlx::query_scalar(
            "SELECT nextval(pg_get_serial_sequence('events', 'event_id')) FROM generate_series(1, $1)",
        )
        .bind(i64::try_from(new.len()).unwrap_or(i64::MAX))
        .fetch_all(&mut *tx)
        .await?;
        ids.sort_unstable();
        if ids.len() != new.len() {
            return Err(StoreError::Other(anyhow::anyhow!(
                "asked for {} event ids, got {}",
                new.len(),
                ids.len()
            )));
        }
        for ((index, _), id) in new.iter().zip(&ids) {
            results[*index] = Recorded::Created(*id);
        }

        let customers: Vec<&str> = new
            .iter()
            .map(|(_, a)| a.event.customer_number.as_str())
            .collect();
        let kinds: Vec<&str> = new.iter().map(|(_, a)| a.event.kind.as_str()).collect();
        let times: Vec<DateTime<Utc>> = new.iter().map(|(_, a)| a.event.created_at).collect();
        let descriptions: Vec<Option<&str>> = new
            .iter()
            .map(|(_, a)| a.event.description.as_deref())
            .collect();
        let xmls: Vec<&str> = new.iter().map(|(_, a)| a.event.xml.as_str()).collect();
        sqlx::query(
            "INSERT INTO events (event_id, customer_number, event_kind, created_at, description, event_data_xml)
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[])",
        )
        .bind(&ids)
        .bind(&customers)
        .bind(&kinds)
        .bind(&times)
        .bind(&descriptions)
        .bind(&xmls)
        .execute(&mut *tx)
        .await?;

        // In key order, so that two processes updating the same counters cannot deadlock.
        let mut counts: BTreeMap<(&str, &str), i64> = BTreeMap::new();
        for (customer, kind) in customers.iter().zip(&kinds) {
            *counts.entry((customer, kind)).or_default() += 1;
        }
        let (count_keys, count_values): (Vec<(&str, &str)>, Vec<i64>) = counts.into_iter().unzip();
        let (count_customers, count_kinds): (Vec<&str>, Vec<&str>) = count_keys.into_iter().unzip();
        sqlx::query(
            "INSERT INTO customer_event_counts (customer_number, event_kind, event_count)
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[])
             ON CONFLICT (customer_number, event_kind)
             DO UPDATE SET event_count = customer_event_counts.event_count + EXCLUDED.event_count",
        )
        .bind(&count_customers)
        .bind(&count_kinds)
        .bind(&count_values)
        .execute(&mut *tx)
        .await?;

        // A key inserted meanwhile by another process makes this fail (after waiting for
        // that process to commit); the group is then retried event by event.
        let mut key_principals = Vec::new();
        let mut key_values = Vec::new();
        let mut fingerprints = Vec::new();
        let mut resources = Vec::new();
        for ((_, append), id) in new.iter().zip(&ids) {
            if let Some(key) = &append.key {
                key_principals.push(key.principal.as_str());
                key_values.push(key.key.as_str());
                fingerprints.push(key.fingerprint.as_str());
                resources.push(id.to_string());
            }
        }
        if !key_values.is_empty() {
            sqlx::query(
                "INSERT INTO idempotency_keys (principal, idempotency_key, fingerprint, resource_id)
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[])",
            )
            .bind(&key_principals)
            .bind(&key_values)
            .bind(&fingerprints)
            .bind(&resources)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(results)
    }
}
