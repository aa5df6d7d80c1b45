//! Moves SQLite's WAL checkpoints off the write path.
//!
//! By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages:
//! the committing connection copies those pages into the database file and flushes it,
//! and everything queued behind that connection waits. bankapi has one write connection,
//! so every event append, order and audit record waited too: under the event POST load
//! (about 90 MB of WAL a second) that was a checkpoint every ~45 ms, and a group
//! commit's p99 was 5.4 ms beside a median of 0.27 ms (1.2 ms with this task).
//!
//! So this task, on a connection of its own (its own worker thread), runs a `PASSIVE`
//! checkpoint every [`INTERVAL`]: it copies the WAL into the database file and flushes
//! it without ever blocking the writer or the readers. The write connection keeps a
//! checkpoint of its own, at [`WRITER_CHECKPOINT_PAGES`]: by then nearly everything is
//! copied, so its checkpoint costs little, and only a checkpoint by the writer itself lets
//! SQLite start the WAL again from its beginning under continuous writes (the next
//! transaction restarts the log only if the WAL was entirely copied when it began, which
//! a checkpoint on another connection, racing the writer's commits, almost never sees).
//! Without it the WAL grew by the whole write load (hundreds of megabytes in seconds).

use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};
use tokio::sync::oneshot;

/// Time between two checkpoints: long enough that an idle server barely notices it,
/// short enough that the WAL stays a few megabytes under full write load.
const INTERVAL: Duration = Duration::from_millis(100);

/// WAL pages after which the write connection checkpoints (SQLite's default: 1,000).
const WRITER_CHECKPOINT_PAGES: u32 = 4_000;

/// Keeps the checkpointer running; it stops when this is dropped (with the store).
pub(super) struct Checkpointer {
    _stop: oneshot::Sender<()>,
}

/// The write connection's setting that leaves most of the checkpointing to
/// [`Checkpointer`].
pub(super) fn writer_options(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options.pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES.to_string())
}

impl Checkpointer {
    /// Opens the checkpointer's connection with `options` (those of the write
    /// connection, before [`writer_options`]) and starts checkpointing.
    pub(super) async fn start(options: &SqliteConnectOptions) -> anyhow::Result<Self> {
        let connection = options.clone().connect().await?;
        let (stop, stopped) = oneshot::channel();
        tokio::spawn(run(connection, stopped));
        Ok(Self { _stop: stop })
    }
}

async fn run(mut connection: SqliteConnection, mut stopped: oneshot::Receiver<()>) {
    let mut ticks = tokio::time::interval(INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            _ = ticks.tick() => {}
        }
        // (busy, frames in the WAL, frames copied into the database file). Read to the
        // end: a statement left unfinished keeps its read transaction, and a reader
        // there stops SQLite from starting the WAL again from its beginning.
        let outcome: Result<Vec<(i64, i64, i64)>, _> =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_all(&mut connection)
                .await;
        match outcome {
            Ok(rows) => {
                let (_, in_wal, copied) = rows.first().copied().unwrap_or_default();
                metrics::gauge!("bankapi_sqlite_wal_frames").set(in_wal as f64);
                metrics::gauge!("bankapi_sqlite_wal_frames_checkpointed").set(copied as f64);
            }
            Err(error) => tracing::warn!(%error, "SQLite checkpoint failed; trying again"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::Utc;

    use crate::domain::{CustomerNumber, EventKind};
    use crate::store::{EventStore, NewEvent};

    /// Under writes that never pause, the WAL file stays well below everything written.
    /// (With checkpoints only on the other connection, it grew by everything written:
    /// SQLite restarts the WAL only after a checkpoint by the writer itself.) How far past
    /// the writer's checkpoint size (16 MB) it gets is luck: a restart needs a moment when
    /// the log is fully copied and no reader is in it, and peaks from 25 to 105 MB were
    /// seen in this test. So it writes enough that an unbounded WAL (all of it, about
    /// 300 MB) cannot pass, and bounds the WAL by the database file (about 130 MB).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_stays_bounded_under_continuous_writes() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("wal.db");
        let url = format!("sqlite://{}", path.display());
        let stores = crate::store::connect(&url, 2, true).await.expect("store");
        let events: Arc<dyn EventStore> = stores.events.clone();
        let title = "x".repeat(4000);
        let writers: Vec<_> = (0..16)
            .map(|_| {
                let events = events.clone();
                let xml =
                    format!("<communication-event><title>{title}</title></communication-event>");
                tokio::spawn(async move {
                    for _ in 0..1800 {
                        let event = NewEvent {
                            customer_number: CustomerNumber::parse("c", "1400269").expect("number"),
                            kind: EventKind::CommunicationEvent,
                            created_at: Utc::now(),
                            description: None,
                            xml: xml.clone(),
                        };
                        events.append_event(event, None).await.expect("append");
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.expect("writer");
        }
        let database = std::fs::metadata(&path).expect("database file").len();
        let wal = std::fs::metadata(dir.path().join("wal.db-wal"))
            .expect("WAL file")
            .len();
        // 28,800 events of 4 KB, each page of them written to the WAL at least once.
        let bound = database;
        assert!(
            bound > u64::from(super::WRITER_CHECKPOINT_PAGES) * 4096 * 4,
            "only {database} bytes were written"
        );
        assert!(wal <= bound, "the WAL grew to {wal} bytes (bound {bound})");
    }
}
