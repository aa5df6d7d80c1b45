//! The outbox's read side (API.md section 10): the feed of events registered and order
//! statuses changed, in commit order, and where each relay has got to in it.
//!
//! The rows are written by triggers (migration 0005) in the same transaction as the
//! change itself, so nothing here writes them. The backends hold the statements; the
//! walking, the fan-out and the relays live in [`crate::feed`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{EventRecord, StoreError};

/// A place in the feed. Ordered as the feed is: by the writing transaction (PostgreSQL's
/// `xid8`; always 0 on SQLite, whose single writer commits in position order), then by
/// position within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FeedCursor {
    /// The transaction that wrote the row (0 on SQLite).
    pub xid: i64,
    /// The row's position, increasing within a transaction.
    pub position: i64,
}

/// What had committed at one moment: an entry it saw was committed before that moment.
/// A stream takes one when it connects and skips what it saw, however far behind the
/// feed's settled head then was (a long transaction anywhere holds the head back).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeedSnapshot {
    /// Transactions below this had all finished (PostgreSQL; 0 on SQLite).
    pub xmin: i64,
    /// Transactions from this on had not started (PostgreSQL; 0 on SQLite).
    pub xmax: i64,
    /// Transactions between the two that were still running.
    pub running: Vec<i64>,
    /// The last position committed (SQLite, whose single writer commits in position
    /// order; 0 on PostgreSQL).
    pub position: i64,
}

impl FeedSnapshot {
    /// Whether the entry at `cursor` had committed when the snapshot was taken.
    pub fn saw(&self, cursor: FeedCursor) -> bool {
        if cursor.xid == 0 {
            return cursor.position <= self.position;
        }
        cursor.xid < self.xmin || (cursor.xid < self.xmax && !self.running.contains(&cursor.xid))
    }
}

/// What one feed row is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedSubject {
    /// An event was registered (by a client or by an order); the event as stored.
    Event(EventRecord),
    /// An order was created or its status changed.
    OrderStatus {
        /// The order's number.
        order_id: i64,
        /// The order's kind (`card-activation`...).
        kind: String,
        /// The status it changed to.
        status: String,
    },
}

/// One row of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// Where it stands in the feed.
    pub cursor: FeedCursor,
    /// Whose it is: the event's customer, the order's owner.
    pub customer_number: String,
    /// When the change was committed (as the database's clock saw it).
    pub recorded_at: DateTime<Utc>,
    /// What changed.
    pub subject: FeedSubject,
}

/// A relay's hold on a sink: where it got to and the token that fences its writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SinkClaim {
    /// The last entry the sink has been given.
    pub cursor: FeedCursor,
    /// Raised by every claim: a relay whose token is stale can no longer move the sink.
    pub token: i64,
}

/// The outbox, read in commit order.
#[async_trait]
pub trait FeedStore: Send + Sync {
    /// Up to `limit` entries after `after`, oldest first, only from transactions that can
    /// no longer be followed by an earlier one (see migration 0005). With `customer`, only
    /// that customer's.
    async fn feed_after(
        &self,
        after: FeedCursor,
        customer: Option<&str>,
        limit: usize,
    ) -> Result<Vec<FeedEntry>, StoreError>;

    /// The last entry a reader may take now: a tail started there sees every later change
    /// and none before.
    async fn feed_head(&self) -> Result<FeedCursor, StoreError>;

    /// What has committed now (see [`FeedSnapshot`]).
    async fn feed_snapshot(&self) -> Result<FeedSnapshot, StoreError>;

    /// Where event `event_id` stands in the feed, if its row is still kept.
    async fn feed_cursor_of_event(&self, event_id: i64) -> Result<Option<FeedCursor>, StoreError>;

    /// Records `sink` at `cursor` unless it is known already.
    async fn create_sink(&self, sink: &str, cursor: FeedCursor) -> Result<(), StoreError>;

    /// Claims `sink` until `until` if no one holds it (or its lease ran out at `now`).
    /// `None`: another process holds it, or it was never created.
    async fn claim_sink(
        &self,
        sink: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<SinkClaim>, StoreError>;

    /// Moves `sink` to `cursor` and extends the lease to `until`, if `token` still holds
    /// it. Returns whether it did.
    async fn advance_sink(
        &self,
        sink: &str,
        token: i64,
        cursor: FeedCursor,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Deletes entries recorded before `before` that every sink has passed. Returns how
    /// many.
    async fn prune_feed(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// Builds an entry from an outbox row and its event's columns (when it is an event).
#[allow(clippy::too_many_arguments)]
pub(crate) fn entry_from_columns(
    cursor: FeedCursor,
    topic: &str,
    subject_id: i64,
    customer_number: String,
    kind: String,
    status: Option<String>,
    recorded_at: DateTime<Utc>,
    event: Option<(DateTime<Utc>, Option<String>, Option<String>)>,
) -> Result<FeedEntry, StoreError> {
    let subject = match (topic, event) {
        ("event", Some((created_at, description, Some(xml)))) => {
            FeedSubject::Event(super::event_from_columns(
                subject_id,
                &customer_number,
                &kind,
                created_at,
                description,
                xml,
            )?)
        }
        ("order", _) => FeedSubject::OrderStatus {
            order_id: subject_id,
            kind,
            status: status.unwrap_or_default(),
        },
        (topic, _) => {
            return Err(StoreError::Other(anyhow::anyhow!(
                "outbox row {} ({topic} {subject_id}) has no subject",
                cursor.position
            )));
        }
    };
    Ok(FeedEntry {
        cursor,
        customer_number,
        recorded_at,
        subject,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_saw_what_had_committed() {
        let pg = FeedSnapshot {
            xmin: 100,
            xmax: 110,
            running: vec![103],
            position: 0,
        };
        let at = |xid| FeedCursor { xid, position: 1 };
        assert!(pg.saw(at(99)));
        assert!(pg.saw(at(105)), "finished between xmin and xmax");
        assert!(!pg.saw(at(103)), "still running then");
        assert!(!pg.saw(at(110)), "not started then");
        let sqlite = FeedSnapshot {
            position: 7,
            ..FeedSnapshot::default()
        };
        assert!(sqlite.saw(FeedCursor {
            xid: 0,
            position: 7
        }));
        assert!(!sqlite.saw(FeedCursor {
            xid: 0,
            position: 8
        }));
    }
}
