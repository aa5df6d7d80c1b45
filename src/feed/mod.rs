//! The event feed (API.md section 10): what leaves bankapi as it happens.
//!
//! Every change worth telling is written to the outbox by the database itself, in the
//! change's own transaction (migration 0005). From there:
//! - [`Feed`], one per process, tails the outbox and fans each entry out in memory to the
//!   live streams of this process (`GET /customer-event/events/stream`): one query per
//!   wake-up for all streams, however many are open.
//! - [`relay`] carries the outbox to a durable sink (NATS JetStream, [`nats`]), one
//!   process at a time per sink, with a claimed cursor: at least once, in order.

pub mod nats;
pub mod relay;
pub mod webhooks;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinHandle;

use crate::store::StoreError;
use crate::store::feed::{FeedCursor, FeedEntry, FeedStore};

/// How many entries wait for a slow stream before it must catch up from the database.
const FAN_OUT_BUFFER: usize = 4096;
/// Entries read from the outbox per query.
pub const READ_BATCH: usize = 500;
/// How often old outbox entries are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Pause after a failed read, so that a database that is away is not hammered.
const BACKOFF: Duration = Duration::from_secs(1);

/// The process's tail of the outbox, shared by every live stream. Cheap to clone.
#[derive(Clone)]
pub struct Feed {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn FeedStore>,
    sender: broadcast::Sender<Arc<FeedEntry>>,
    wake: Notify,
    poll: Duration,
    /// The last entry fanned out (or passed while no stream listened).
    published: Mutex<FeedCursor>,
    /// Wakes each relay of this process (see [`Feed::relay_wake`]).
    relays: Mutex<Vec<Arc<Notify>>>,
    /// Turns true when the process shuts down: open streams end, so that the graceful
    /// shutdown does not wait for clients that would never hang up.
    closing: watch::Sender<bool>,
}

impl Feed {
    /// A feed over `store` that looks for new entries when woken, and every `poll` in
    /// any case (changes committed by other processes wake no one here).
    pub fn new(store: Arc<dyn FeedStore>, poll: Duration) -> Self {
        let (sender, _) = broadcast::channel(FAN_OUT_BUFFER);
        Self {
            inner: Arc::new(Inner {
                store,
                sender,
                wake: Notify::new(),
                poll,
                published: Mutex::new(FeedCursor::default()),
                relays: Mutex::new(Vec::new()),
                closing: watch::Sender::new(false),
            }),
        }
    }

    /// The outbox, for streams that catch up from it.
    pub fn store(&self) -> &Arc<dyn FeedStore> {
        &self.inner.store
    }

    /// A receiver of every entry fanned out from now on, and the cursor from which the
    /// entries it will not see must be read from the store instead. While no stream is
    /// open the tail only follows the head every poll, so the first stream may also get
    /// what was committed during the poll before it subscribed.
    pub fn subscribe(&self) -> (broadcast::Receiver<Arc<FeedEntry>>, FeedCursor) {
        // Under the lock the tail holds while it sends and records what it sent: a
        // receiver either gets an entry or starts after it, never neither.
        let published = self.published();
        (self.inner.sender.subscribe(), *published)
    }

    /// Reads the feed's head: the tail starts there, so a stream opened once the
    /// process serves sees every event registered after it connected.
    pub async fn start_at_head(&self) -> Result<(), StoreError> {
        let head = self.inner.store.feed_head().await?;
        let mut published = self.published();
        *published = (*published).max(head);
        Ok(())
    }

    fn published(&self) -> std::sync::MutexGuard<'_, FeedCursor> {
        self.inner
            .published
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Ends every open stream (the process is shutting down).
    pub fn close(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Turns true once [`Feed::close`] was called.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.inner.closing.subscribe()
    }

    /// Deletes, every hour, the entries older than `retention` that every relay has
    /// passed, until `stop` turns true.
    pub fn spawn_pruner(
        &self,
        retention: Duration,
        mut stop: watch::Receiver<bool>,
    ) -> JoinHandle<()> {
        let store = self.inner.store.clone();
        tokio::spawn(async move {
            while !*stop.borrow() {
                let before = chrono::Utc::now()
                    - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
                match store.prune_feed(before).await {
                    Ok(0) => {}
                    Ok(pruned) => tracing::info!(pruned, "pruned the feed's outbox"),
                    Err(error) => tracing::warn!(%error, "cannot prune the feed's outbox"),
                }
                tokio::select! {
                    () = tokio::time::sleep(PRUNE_EVERY) => {}
                    _ = stop.changed() => {}
                }
            }
        })
    }

    /// Tells the tail and the relays that this process just committed a change, so
    /// streams and sinks see it without waiting for the next poll.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
        let relays = self
            .inner
            .relays
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for relay in relays.iter() {
            relay.notify_one();
        }
    }

    /// A wake-up for one relay, notified by [`Feed::wake`]: an idle relay then reads at
    /// once instead of at its next poll.
    pub fn relay_wake(&self) -> Arc<Notify> {
        let wake = Arc::new(Notify::new());
        self.inner
            .relays
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(wake.clone());
        wake
    }

    /// Starts the tail in the background; it stops once `stop` turns true.
    pub fn spawn(&self, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
        let feed = self.clone();
        tokio::spawn(async move {
            let mut cursor = *feed.published();
            while !*stop.borrow() {
                match feed.tail_once(cursor).await {
                    Ok(next) => cursor = next,
                    Err(error) => {
                        tracing::warn!(%error, "reading the feed failed; retrying");
                        tokio::time::sleep(BACKOFF).await;
                    }
                }
                // With no stream open, wake-ups are ignored and only the poll moves the
                // head: under load every POST wakes the tail, and reading the head that
                // often cost the event POST a fifth of its rate.
                let streaming = feed.inner.sender.receiver_count() > 0;
                tokio::select! {
                    () = feed.inner.wake.notified(), if streaming => {}
                    () = tokio::time::sleep(feed.inner.poll) => {}
                    _ = stop.changed() => {}
                }
            }
        })
    }

    /// Fans out everything after `cursor`; returns the new cursor. With no stream open it
    /// only moves to the head, which costs one indexed row.
    async fn tail_once(&self, mut cursor: FeedCursor) -> Result<FeedCursor, StoreError> {
        if self.inner.sender.receiver_count() == 0 {
            let head = self.inner.store.feed_head().await?.max(cursor);
            let mut published = self.published();
            // A stream that subscribed meanwhile must get what lies before the head.
            if self.inner.sender.receiver_count() == 0 {
                *published = head;
                return Ok(head);
            }
        }
        loop {
            let entries = self
                .inner
                .store
                .feed_after(cursor, None, READ_BATCH)
                .await?;
            let full = entries.len() == READ_BATCH;
            {
                let mut published = self.published();
                for entry in entries {
                    cursor = entry.cursor;
                    // No receiver left is not an error: the next pass skips to the head.
                    let _ = self.inner.sender.send(Arc::new(entry));
                }
                *published = (*published).max(cursor);
            }
            if !full {
                return Ok(cursor);
            }
        }
    }
}
