//! The order engine: claims due orders, loads what their rules need, runs the pure
//! transitions, carries the operations to the system of record, and writes the results.
//! Written once over the store's statements; kind-agnostic (the kinds live in
//! `domain`).
//!
//! One pass:
//! 1. **Claim** up to a batch of due orders with a lease (a fencing token and an expiry),
//!    committed at once: no transaction stays open while the engine works.
//! 2. **Load** the batch's arrangements, cards and customers in a few set-based queries.
//! 3. **Advance** each order as far as it can go now ([`execution::advance`]); steps of
//!    zero duration that follow each other run in the same pass.
//! 4. **Call** the system of record for the actions that are due. With a remote adapter
//!    the started step is written first (fenced), so that a cancel cannot slip in after a
//!    call went out; then the calls run concurrently, at most `concurrency` in flight
//!    for the process and never two for one arrangement (the claim only gives an
//!    arrangement's oldest active order its action, and the lease keeps it to one
//!    process).
//! 5. **Complete**: every order's new state, the cards it changed and the events it
//!    registered, in one transaction, each order only while its lease still holds. A
//!    process that stalled past its lease writes nothing; whoever claimed the order
//!    after it calls again with the same idempotency key.
//!
//! With the built-in adapter nothing is called outside, so a pass does all of this in
//! one transaction instead: the claim is the rows' locks (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, the single writer on SQLite), which saves the lease's own write and commit.
//!
//! An order whose row cannot be read is held with the reason and the pass goes on.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

use crate::domain::execution::{self, Advanced, Transition};
use crate::domain::operation::{Operation, Outcome, RetryPolicy};
use crate::domain::order::{Order, OrderStatus, StepDurations};
use crate::operations::Operations;
use crate::store::orders::{BatchContext, Claimed, ContextKeys, Lease, OrderColumns, write_batch};
use crate::store::{OrderStore, StoreError};

mod schedule;

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
/// Passes run at once with a remote adapter, so that one slow call does not hold back
/// the orders of other arrangements.
const REMOTE_WORKERS: usize = 4;
/// Passes run at once with the built-in adapter where the database takes concurrent
/// writes: one claims and computes while the other's batch is being written, which keeps
/// both the process and the database busy.
const LOCAL_WORKERS: usize = 2;

/// How the engine paces its work.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Step durations.
    pub durations: StepDurations,
    /// Orders one pass claims at most.
    pub batch: usize,
    /// How long a claim lasts.
    pub lease: Duration,
    /// Retries and polls.
    pub policy: RetryPolicy,
    /// Calls in flight at once.
    pub concurrency: usize,
    /// How long a pass that found only a few orders waits before the next one: a small
    /// part of an order's latency, which saves most of a pass's cost under a steady
    /// trickle.
    pub gather: Duration,
    /// How far ahead of the system clock the engine's clock runs: zero in production.
    /// Tests and demos set it to see what the engine does at a later time (an order
    /// awaiting confirmation expiring at its deadline) without waiting for it.
    pub clock_offset: chrono::Duration,
    /// How long a standing order's payment may wait to run before it expires.
    pub payment_deadline: chrono::Duration,
}

impl EngineSettings {
    /// What `settings` ask for.
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        Self {
            durations: settings.step_durations(),
            batch: settings.executor_batch.max(1),
            lease: Duration::from_secs_f64(settings.operations_lease_seconds.max(0.001)),
            policy: RetryPolicy {
                max_attempts: settings.operations_max_attempts.max(1),
                ..RetryPolicy::default()
            }
            .scaled(settings.operations_retry_scale),
            concurrency: settings.operations_concurrency.max(1),
            gather: Duration::from_millis(settings.executor_gather_ms),
            clock_offset: chrono::Duration::seconds(settings.engine_clock_offset_seconds),
            payment_deadline: chrono::Duration::seconds(
                i64::try_from(settings.order_deadline_seconds).unwrap_or(i64::MAX),
            ),
        }
    }
}

/// Runs orders for one process. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn OrderStore>,
    operations: Arc<dyn Operations>,
    settings: EngineSettings,
    calls: Semaphore,
}

/// A claimed order, read.
struct Work {
    lease: Lease,
    head: bool,
    order: Order,
}

impl Engine {
    /// An engine over `store` that carries operations with `operations`.
    pub fn new(
        store: Arc<dyn OrderStore>,
        operations: Arc<dyn Operations>,
        settings: EngineSettings,
    ) -> Self {
        let calls = Semaphore::new(settings.concurrency);
        Self {
            inner: Arc::new(Inner {
                store,
                operations,
                settings,
                calls,
            }),
        }
    }

    /// The engine's time: the system's, ahead by the configured offset.
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.inner.settings.clock_offset
    }

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

    /// Runs the standing orders' schedule and then passes, until nothing is due now:
    /// what tests call to make execution deterministic.
    pub async fn run_until_idle(&self) -> Result<usize, StoreError> {
        let mut total = 0;
        loop {
            let scheduled = self.schedule().await?;
            let advanced = self.pass().await?;
            if advanced == 0 && scheduled.standing_orders == 0 {
                return Ok(total);
            }
            total += advanced;
        }
    }

    /// One pass: claims, advances and completes the orders due now. Returns how many
    /// orders it claimed.
    #[tracing::instrument(skip_all)]
    pub async fn pass(&self) -> Result<usize, StoreError> {
        let count = if self.inner.operations.is_local() {
            self.pass_here().await?
        } else {
            self.pass_with_leases().await?
        };
        if count > 0 {
            metrics::counter!("bankapi_order_steps_advanced_total").increment(count as u64);
        }
        Ok(count)
    }

    /// A pass that calls nothing outside (the built-in adapter): claim, work and write in
    /// one transaction, the claim being the rows' locks. It saves the lease's own write
    /// and commit, a third of a batch's cost.
    async fn pass_here(&self) -> Result<usize, StoreError> {
        let inner = &self.inner;
        let now = self.now();
        let mut tx = inner.store.begin().await?;
        let claimed = tx.claim_due(now, inner.settings.batch).await?;
        let count = claimed.len();
        if count == 0 {
            return Ok(0);
        }
        let (work, unreadable) = read(claimed);
        for (lease, reason) in &unreadable {
            tx.hold_unreadable(*lease, reason, now).await?;
        }
        let context = inner
            .store
            .load_context(&ContextKeys::of(work.iter().map(|w| &w.order)))
            .await?;
        let (mut done, calls) = self.advance_all(work, &context, now);
        let mut answered = Vec::with_capacity(calls.len());
        for (lease, transition, operation) in calls {
            let outcome = inner.operations.call(&operation).await;
            answered.push((lease, transition, outcome));
        }
        done.extend(self.complete_all(answered, &context, now));
        write_batch(tx.as_mut(), &done, true, self.now()).await?;
        tx.commit().await?;
        Ok(count)
    }

    /// A pass that calls a system of record: claim with leases (committed at once), call
    /// with no transaction open, write back only while the leases hold.
    async fn pass_with_leases(&self) -> Result<usize, StoreError> {
        let inner = &self.inner;
        let now = self.now();
        let lease_until = now + to_chrono(inner.settings.lease);
        let claimed = inner
            .store
            .claim_due(now, inner.settings.batch, lease_until)
            .await?;
        let count = claimed.len();
        if count == 0 {
            return Ok(0);
        }
        let (work, unreadable) = read(claimed);
        for (lease, reason) in &unreadable {
            inner.store.hold_unreadable(*lease, reason, now).await?;
        }
        let context = inner
            .store
            .load_context(&ContextKeys::of(work.iter().map(|w| &w.order)))
            .await?;
        let (mut done, calls) = self.advance_all(work, &context, now);
        if !calls.is_empty() {
            let answered = self.call_out(calls, now).await?;
            done.extend(self.complete_all(answered, &context, self.now()));
        }
        let written = inner
            .store
            .write_transitions(&done, true, self.now())
            .await?;
        let lost = written.iter().filter(|w| !**w).count();
        if lost > 0 {
            tracing::warn!(
                lost,
                "lost the claim on orders before completing them; nothing of theirs was written"
            );
            metrics::counter!("bankapi_order_claims_lost_total").increment(lost as u64);
        }
        Ok(count)
    }

    /// Each order as far as it goes without a call; the calls the rest need.
    #[allow(clippy::type_complexity)]
    fn advance_all(
        &self,
        work: Vec<Work>,
        context: &BatchContext,
        now: DateTime<Utc>,
    ) -> (
        Vec<(Lease, Transition)>,
        Vec<(Lease, Transition, Operation)>,
    ) {
        let durations = &self.inner.settings.durations;
        let mut done = Vec::with_capacity(work.len());
        let mut calls = Vec::new();
        for Work { lease, head, order } in work {
            let ctx = context.for_order(&order);
            let Advanced { transition, call } =
                execution::advance(order, &ctx, now, durations, head);
            match call {
                None => done.push((lease, transition)),
                Some(operation) => calls.push((lease, transition, operation)),
            }
        }
        (done, calls)
    }

    /// Goes on from each call's answer.
    fn complete_all(
        &self,
        answered: Vec<(Lease, Transition, Outcome)>,
        context: &BatchContext,
        now: DateTime<Utc>,
    ) -> Vec<(Lease, Transition)> {
        let settings = &self.inner.settings;
        answered
            .into_iter()
            .map(|(lease, transition, outcome)| {
                let ctx = context.for_order(&transition.order);
                let completed = execution::complete_operation(
                    transition,
                    &ctx,
                    outcome,
                    now,
                    &settings.durations,
                    &settings.policy,
                    rand::random(),
                );
                if completed.order.status == OrderStatus::Held {
                    tracing::warn!(order = %completed.order.number,
                        reason = completed.order.hold_reason.as_deref().unwrap_or_default(),
                        "order held for a person to decide");
                }
                (lease, completed)
            })
            .collect()
    }

    /// Carries the batch's operations to the system of record and answers each.
    async fn call_out(
        &self,
        calls: Vec<(Lease, Transition, Operation)>,
        now: DateTime<Utc>,
    ) -> Result<Vec<(Lease, Transition, Outcome)>, StoreError> {
        let inner = &self.inner;
        // The started step is on record before any call leaves: from here on the order
        // can no longer be canceled, and a crash leaves it running, to be called again
        // with the same key.
        let started: Vec<(Lease, Transition)> = calls
            .iter()
            .map(|(lease, t, _)| (*lease, Transition::of(t.order.clone())))
            .collect();
        let written = inner.store.write_transitions(&started, false, now).await?;
        let calls: Vec<_> = calls
            .into_iter()
            .zip(written)
            .filter_map(|(call, ok)| ok.then_some(call))
            .collect();
        let outcomes = futures::future::join_all(calls.iter().map(|(_, _, operation)| async {
            match inner.calls.acquire().await {
                Ok(_permit) => inner.operations.call(operation).await,
                Err(_) => Outcome::Transient {
                    error: "the engine is stopping".into(),
                    retry_after: None,
                },
            }
        }))
        .await;
        Ok(calls
            .into_iter()
            .zip(outcomes)
            .map(|((lease, transition, _), outcome)| (lease, transition, outcome))
            .collect())
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
                Ok(advanced) if advanced >= self.inner.settings.batch / 4 => continue,
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

/// The claimed orders that can be read, and the reasons of those that cannot.
fn read(claimed: Vec<Claimed>) -> (Vec<Work>, Vec<(Lease, String)>) {
    let mut work = Vec::with_capacity(claimed.len());
    let mut unreadable = Vec::new();
    for claim in claimed {
        match claim.columns.and_then(OrderColumns::decode) {
            Ok(order) => work.push(Work {
                lease: claim.lease,
                head: claim.head,
                order,
            }),
            Err(error) => {
                tracing::error!(order_id = claim.lease.order_id, %error,
                    "a stored order cannot be read; holding it");
                metrics::counter!("bankapi_orders_unreadable_total").increment(1);
                unreadable.push((
                    claim.lease,
                    format!("the stored order cannot be read: {error}"),
                ));
            }
        }
    }
    (work, unreadable)
}

fn to_chrono(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}
