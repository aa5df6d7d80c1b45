//! SQLite's statements for the outbox (see [`crate::store::feed`]). One writer commits
//! at a time, so positions are in commit order and every committed row is settled.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::SqliteStore;
use crate::store::feed::{
    FeedCursor, FeedEntry, FeedSnapshot, FeedStore, SinkClaim, entry_from_columns,
};
use crate::store::{StoreError, from_micros, to_micros};

#[derive(sqlx::FromRow)]
struct FeedRow {
    xid: i64,
    position: i64,
    topic: String,
    subject_id: i64,
    customer_number: String,
    kind: String,
    status: Option<String>,
    recorded_at: i64,
    created_at: Option<i64>,
    description: Option<String>,
    event_data_xml: Option<String>,
}

#[async_trait]
impl FeedStore for SqliteStore {
    async fn feed_after(
        &self,
        after: FeedCursor,
        customer: Option<&str>,
        limit: usize,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let rows: Vec<FeedRow> = sqlx::query_as(
            "SELECT o.xid, o.position, o.topic, o.subject_id, o.customer_number, o.kind,
                    o.status, o.recorded_at, e.created_at, e.description, e.event_data_xml
             FROM outbox o LEFT JOIN events e ON o.topic = 'event' AND e.event_id = o.subject_id
             WHERE o.position > $1 AND ($2 IS NULL OR o.customer_number = $2)
             ORDER BY o.position LIMIT $3",
        )
        .bind(after.position)
        .bind(customer)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|r| {
                let event = match r.created_at {
                    Some(at) => Some((from_micros(at)?, r.description, r.event_data_xml)),
                    None => None,
                };
                entry_from_columns(
                    FeedCursor {
                        xid: r.xid,
                        position: r.position,
                    },
                    &r.topic,
                    r.subject_id,
                    r.customer_number,
                    r.kind,
                    r.status,
                    from_micros(r.recorded_at)?,
                    event,
                )
            })
            .collect()
    }

    async fn feed_head(&self) -> Result<FeedCursor, StoreError> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT xid, position FROM outbox ORDER BY position DESC LIMIT 1")
                .fetch_optional(&self.reader)
                .await?;
        Ok(
            row.map_or_else(FeedCursor::default, |(xid, position)| FeedCursor {
                xid,
                position,
            }),
        )
    }

    async fn feed_snapshot(&self) -> Result<FeedSnapshot, StoreError> {
        let head = self.feed_head().await?;
        Ok(FeedSnapshot {
            position: head.position,
            ..FeedSnapshot::default()
        })
    }

    async fn feed_cursor_of_event(&self, event_id: i64) -> Result<Option<FeedCursor>, StoreError> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT xid, position FROM outbox WHERE topic = 'event' AND subject_id = $1",
        )
        .bind(event_id)
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.map(|(xid, position)| FeedCursor { xid, position }))
    }

    async fn create_sink(&self, sink: &str, cursor: FeedCursor) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO feed_sinks (sink, xid, position) VALUES ($1, $2, $3) ON CONFLICT (sink) DO NOTHING",
        )
        .bind(sink)
        .bind(cursor.xid)
        .bind(cursor.position)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn claim_sink(
        &self,
        sink: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<SinkClaim>, StoreError> {
        let row: Option<(i64, i64, i64)> = sqlx::query_as(
            "UPDATE feed_sinks SET lease_token = lease_token + 1, leased_until = $2
             WHERE sink = $1 AND (leased_until IS NULL OR leased_until <= $3)
             RETURNING xid, position, lease_token",
        )
        .bind(sink)
        .bind(to_micros(until))
        .bind(to_micros(now))
        .fetch_optional(&self.writer)
        .await?;
        Ok(row.map(|(xid, position, token)| SinkClaim {
            cursor: FeedCursor { xid, position },
            token,
        }))
    }

    async fn advance_sink(
        &self,
        sink: &str,
        token: i64,
        cursor: FeedCursor,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE feed_sinks SET xid = $3, position = $4, leased_until = $5
             WHERE sink = $1 AND lease_token = $2",
        )
        .bind(sink)
        .bind(token)
        .bind(cursor.xid)
        .bind(cursor.position)
        .bind(to_micros(until))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn prune_feed(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM outbox WHERE recorded_at < $1
               AND NOT EXISTS (SELECT 1 FROM feed_sinks s WHERE s.position < outbox.position)",
        )
        .bind(to_micros(before))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }
}
