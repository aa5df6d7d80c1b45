//! The engine's loops in a running server: passes back to back while orders keep coming,
//! a short gathering pause under a trickle, a sleep until the next due order (woken early
//! by new work) when the queue is empty, the standing orders' schedule once a second and
//! the queue's gauges every few seconds.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Engine, LOCAL_WORKERS, REMOTE_WORKERS};

/// Longest sleep between passes when nothing wakes the engine: the fallback for wake-ups
/// that were missed (a dropped listener, another process's lease running out).
const POLL: Duration = Duration::from_secs(1);
/// Pause after a failed pass (database away), so a broken database is not hammered.
const BACKOFF: Duration = Duration::from_secs(1);
/// Shortest sleep when work is due but could not be claimed.
const CONTENDED: Duration = Duration::from_millis(10);
/// How often the standing orders' schedule is looked at: a date falls due at midnight,
/// so a second's delay is nothing, and a look that finds nothing is one index probe.
const SCHEDULE_EVERY: Duration = Duration::from_secs(1);
/// How often the queue gauges are refreshed.
const GAUGES_EVERY: Duration = Duration::from_secs(5);

impl Engine {
    /// Starts the engine's loops in the background; they stop after their current pass
    /// once `stop` turns true.
    pub fn spawn(self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        let workers = if !self.inner.operations.is_local() {
            REMOTE_WORKERS
        } else if self.inner.store.concurrent_writes() {
            LOCAL_WORKERS
        } else {
            1
        };
        tokio::spawn(async move {
            tracing::info!(
                batch = self.inner.settings.batch,
                workers,
                remote = !self.inner.operations.is_local(),
                "order engine started"
            );
            let loops: Vec<_> = (0..workers)
                .map(|_| tokio::spawn(self.clone().run(stop.clone())))
                .collect();
            for handle in loops {
                let _ = handle.await;
            }
            tracing::info!("order engine stopped");
        })
    }

    async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut gauges_due = tokio::time::Instant::now();
        let mut schedule_due = tokio::time::Instant::now();
        while !*stop.borrow() {
            if tokio::time::Instant::now() >= schedule_due {
                self.run_schedule().await;
                schedule_due = tokio::time::Instant::now() + SCHEDULE_EVERY;
            }
            let pause = match self.pass().await {
                Ok(advanced) if advanced >= self.batch() / 4 => continue,
                // A trickle: let a few milliseconds' orders gather (a plain sleep: every
                // new order would cut a wait for work short), so that passes, each a
                // claim and a commit, stay few while orders keep arriving one by one.
                Ok(advanced) if advanced > 0 => {
                    tokio::select! {
                        () = tokio::time::sleep(self.inner.settings.gather) => {}
                        _ = stop.changed() => {}
                    }
                    continue;
                }
                Ok(_) => self.until_next_due().await,
                Err(error) => {
                    tracing::warn!(%error, "order engine pass failed; retrying");
                    BACKOFF
                }
            };
            if tokio::time::Instant::now() >= gauges_due {
                self.update_gauges().await;
                gauges_due = tokio::time::Instant::now() + GAUGES_EVERY;
            }
            tokio::select! {
                () = self.inner.store.wait_for_work(pause) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// How long to sleep: until the earliest order falls due, at most [`POLL`].
    async fn until_next_due(&self) -> Duration {
        match self.inner.store.next_due().await {
            Ok(Some(at)) => (at - self.now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .clamp(CONTENDED, POLL),
            Ok(None) => POLL,
            Err(error) => {
                tracing::warn!(%error, "cannot read the engine's schedule");
                BACKOFF
            }
        }
    }

    async fn update_gauges(&self) {
        let now = self.now();
        match self.inner.store.queue_gauges(now).await {
            Ok(gauges) => {
                metrics::gauge!("bankapi_orders_held").set(gauges.held as f64);
                let age = gauges
                    .oldest_due
                    .and_then(|at| (now - at).to_std().ok())
                    .unwrap_or_default();
                metrics::gauge!("bankapi_orders_oldest_due_seconds").set(age.as_secs_f64());
            }
            Err(error) => tracing::debug!(%error, "cannot read the queue's gauges"),
        }
    }
}
