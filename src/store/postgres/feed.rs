//! PostgreSQL's statements for the outbox (see [`crate::store::feed`]). Transaction ids
//! are `xid8`; they travel as their decimal text, which fits an `i64`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::PgStore;
use crate::store::StoreError;
use crate::store::feed::{
    FeedCursor, FeedEntry, FeedSnapshot, FeedStore, SinkClaim, entry_from_columns,
};

#[derive(sqlx::FromRow)]
struct FeedRow {
    xid: i64,
    position: i64,
    topic: String,
    subject_id: i64,
    customer_number: String,
    kind: String,
    status: Option<String>,
    recorded_at: DateTime<Utc>,
    created_at: Option<DateTime<Utc>>,
    description: Option<String>,
    event_data_xml: Option<String>,
}

/// Rows of finished transactions only: any transaction still running has an id at or
/// above the snapshot's xmin, and every later one above that.
macro_rules! settled {
    () => {
        "o.xid < pg_snapshot_xmin(pg_current_snapshot())"
    };
}

#[async_trait]
impl FeedStore for PgStore {
    async fn feed_after(
        &self,
        after: FeedCursor,
        customer: Option<&str>,
        limit: usize,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let rows: Vec<FeedRow> = sqlx::query_as(concat!(
            "SELECT o.xid::text::bigint AS xid, o.position, o.topic, o.subject_id, o.customer_number, o.kind,
                    o.status, o.recorded_at, e.created_at, e.description, e.event_data_xml
             FROM outbox o LEFT JOIN events e ON o.topic = 'event' AND e.event_id = o.subject_id
             WHERE (o.xid, o.position) > ($1::text::xid8, $2) AND ",
            settled!(),
            " AND ($3::text IS NULL OR o.customer_number = $3)
             ORDER BY o.xid, o.position LIMIT $4"
        ))
        .bind(after.xid.to_string())
        .bind(after.position)
        .bind(customer)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
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
                    r.recorded_at,
                    r.created_at.map(|at| (at, r.description, r.event_data_xml)),
                )
            })
            .collect()
    }

    async fn feed_head(&self) -> Result<FeedCursor, StoreError> {
        let row: Option<(i64, i64)> = sqlx::query_as(concat!(
            "SELECT o.xid::text::bigint, o.position FROM outbox o WHERE ",
            settled!(),
            " ORDER BY o.xid DESC, o.position DESC LIMIT 1"
        ))
        .fetch_optional(&self.pool)
        .await?;
        Ok(
            row.map_or_else(FeedCursor::default, |(xid, position)| FeedCursor {
                xid,
                position,
            }),
        )
    }

    async fn feed_snapshot(&self) -> Result<FeedSnapshot, StoreError> {
        // `xmin:xmax:xip,...` as PostgreSQL prints a pg_snapshot.
        let text: String = sqlx::query_scalar("SELECT pg_current_snapshot()::text")
            .fetch_one(&self.pool)
            .await?;
        parse_snapshot(&text)
            .ok_or_else(|| StoreError::Other(anyhow::anyhow!("unreadable snapshot {text:?}")))
    }

    async fn feed_cursor_of_event(&self, event_id: i64) -> Result<Option<FeedCursor>, StoreError> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT xid::text::bigint, position FROM outbox WHERE topic = 'event' AND subject_id = $1",
        )
        .bind(event_id)
        .fetch_optional(&self.pool)
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
        .execute(&self.pool)
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
        .bind(until)
        .bind(now)
        .fetch_optional(&self.pool)
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
        .bind(until)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn prune_feed(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM outbox o WHERE o.recorded_at < $1
               AND NOT EXISTS (SELECT 1 FROM feed_sinks s
                               WHERE (s.xid, s.position) < (o.xid::text::bigint, o.position))",
        )
        .bind(before)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}

/// A `pg_snapshot`'s text: `xmin:xmax:` and the running ids, comma-separated.
fn parse_snapshot(text: &str) -> Option<FeedSnapshot> {
    let mut parts = text.splitn(3, ':');
    let xmin = parts.next()?.parse().ok()?;
    let xmax = parts.next()?.parse().ok()?;
    let running = parts
        .next()?
        .split(',')
        .filter(|id| !id.is_empty())
        .map(str::parse)
        .collect::<Result<Vec<i64>, _>>()
        .ok()?;
    Some(FeedSnapshot {
        xmin,
        xmax,
        running,
        position: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_are_read_as_postgresql_prints_them() {
        let snapshot = parse_snapshot("100:110:103,104").expect("snapshot");
        assert_eq!((snapshot.xmin, snapshot.xmax), (100, 110));
        assert_eq!(snapshot.running, vec![103, 104]);
        assert_eq!(parse_snapshot("5:5:").map(|s| s.running.len()), Some(0));
        assert!(parse_snapshot("x:1:").is_none());
    }
}
