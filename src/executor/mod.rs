//! The durable work-item runner: advances due orders step by step.
//!
//! All state lives in the database; the executor holds none. Each pass is one store
//! transaction ([`OrderStore::run_due_orders`]) that claims due orders and writes each
//! step's effect, its completion and its events together, so a crash at any moment either
//! loses an uncommitted pass (which is then redone) or nothing. Steps here are database
//! work only (their durations are schedules, not waits), which is why no lease outlives a
//! transaction: the claim is the transaction's own lock. A step that calls out to another
//! system would need a lease and fencing instead.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::domain::order::StepDurations;
use crate::store::{OrderStore, StoreError};

/// Longest sleep between passes when nothing wakes the executor: the fallback for wake-ups
/// that were missed (another process on SQLite cannot notify us, a dropped listener).
const POLL: Duration = Duration::from_secs(1);
/// Pause after a failed pass (database away), so a broken database is not hammered.
const BACKOFF: Duration = Duration::from_secs(1);
/// Pause when work is due but could not be claimed (another process holds it).
const CONTENDED: Duration = Duration::from_millis(10);

/// Runs orders for one process.
#[derive(Clone)]
pub struct Executor {
    store: Arc<dyn OrderStore>,
    durations: StepDurations,
    batch: usize,
}

impl Executor {
    /// An executor over `store`, advancing at most `batch` orders per transaction.
    pub fn new(store: Arc<dyn OrderStore>, durations: StepDurations, batch: usize) -> Self {
        Self {
            store,
            durations,
            batch: batch.max(1),
        }
    }

    /// Starts the loop in the background; it stops after its current pass once `stop`
    /// turns true.
    pub fn spawn(self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }

    /// One pass: advances the orders due now. Returns how many it advanced.
    pub async fn pass(&self) -> Result<usize, StoreError> {
        let advanced = self
            .store
            .run_due_orders(Utc::now(), self.batch, &self.durations)
            .await?;
        if advanced > 0 {
            metrics::counter!("bankapi_order_steps_advanced_total").increment(advanced as u64);
        }
        Ok(advanced)
    }

    /// Passes until nothing is due now: what tests call to make execution deterministic.
    pub async fn run_until_idle(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let advanced = self.pass().await?;
            if advanced == 0 {
                return Ok(total);
            }
            total += advanced;
        }
    }

    async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(batch = self.batch, "order executor started");
        while !*stop.borrow() {
            let pause = match self.pass().await {
                Ok(advanced) if advanced > 0 => continue,
                Ok(_) => self.until_next_due().await,
                Err(error) => {
                    tracing::warn!(%error, "order executor pass failed; retrying");
                    BACKOFF
                }
            };
            tokio::select! {
                () = self.store.wait_for_work(pause) => {}
                _ = stop.changed() => {}
            }
        }
        tracing::info!("order executor stopped");
    }

    /// How long to sleep: until the earliest order falls due, at most [`POLL`].
    async fn until_next_due(&self) -> Duration {
        match self.store.next_due().await {
            Ok(Some(at)) => (at - Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .clamp(CONTENDED, POLL),
            Ok(None) => POLL,
            Err(error) => {
                tracing::warn!(%error, "cannot read the executor's schedule");
                BACKOFF
            }
        }
    }
}
