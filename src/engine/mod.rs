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
use tokio::sync::Semaphore;

use crate::domain::execution::{self, Advanced, Transition};
use crate::domain::operation::{Operation, Outcome};
use crate::domain::order::{Order, OrderStatus};
use crate::operations::Operations;
use crate::store::orders::{
    BatchContext, Claimed, ContextKeys, Lease, OrderColumns, Written, write_batch,
};
use crate::store::{OrderStore, StoreError};

mod run_loop;
mod schedule;
mod settings;

pub use settings::EngineSettings;

/// Passes run at once with a remote adapter, so that one slow call does not hold back
/// the orders of other arrangements.
const REMOTE_WORKERS: usize = 4;
/// Passes run at once with the built-in adapter where the database takes concurrent
/// writes: one claims and computes while the other's batch is being written, which keeps
/// both the process and the database busy.
const LOCAL_WORKERS: usize = 2;
/// Most orders a pass takes on a single writer (SQLite) while new orders are being
/// accepted. Every acceptance waits for the writer until the pass commits, so one pass of
/// 500 orders held the clients back for several milliseconds each time, and acceptance
/// ran at a third of the event POST's rate; passes of this size let the acceptances in
/// between them (bench: 32-35 % with 512, 38-41 % with 64, the engine still keeping up).
/// A backlog with nobody waiting is drained in full batches.
const YIELDING_BATCH: usize = 64;
/// How recent an acceptance must be for the engine to count orders as arriving.
const ARRIVING: Duration = Duration::from_millis(50);

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

    /// How many orders the next pass may take: [`YIELDING_BATCH`] on a single writer
    /// while orders are arriving, the configured batch otherwise.
    fn batch(&self) -> usize {
        let inner = &self.inner;
        if !inner.store.concurrent_writes() && inner.store.work_added_within(ARRIVING) {
            inner.settings.batch.min(YIELDING_BATCH)
        } else {
            inner.settings.batch
        }
    }

    /// The engine's time: the system's, ahead by the configured offset.
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.inner.settings.clock_offset
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
        let claimed = tx.claim_due(now, self.batch()).await?;
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
        // Orders whose balance moved are judged again by a later pass (write_batch
        // counts them); the locks are the claims here, so none is lost.
        let written = write_batch(tx.as_mut(), &done, true, self.now()).await?;
        tx.commit().await?;
        held("unreadable", unreadable.len());
        count_holds(&done, &written);
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
            .claim_due(now, self.batch(), lease_until)
            .await?;
        let count = claimed.len();
        if count == 0 {
            return Ok(0);
        }
        let (work, unreadable) = read(claimed);
        for (lease, reason) in &unreadable {
            inner.store.hold_unreadable(*lease, reason, now).await?;
            // Committed on its own: counted now, whatever becomes of the rest of the pass.
            held("unreadable", 1);
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
        let lost = written.iter().filter(|w| **w == Written::LeaseLost).count();
        if lost > 0 {
            tracing::warn!(
                lost,
                "lost the claim on orders before completing them; nothing of theirs was written"
            );
            metrics::counter!("bankapi_order_claims_lost_total").increment(lost as u64);
        }
        count_holds(&done, &written);
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
            .filter_map(|(call, written)| written.yes().then_some(call))
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
}

/// Counts the orders a pass set aside, by cause, once their holds are written: a hold
/// that was not written (the lease was lost, the balance moved) is decided again later.
fn count_holds(done: &[(Lease, Transition)], written: &[Written]) {
    for ((_, transition), written) in done.iter().zip(written) {
        if written.yes()
            && let Some(cause) = transition.held
        {
            held(cause.as_str(), 1);
        }
    }
}

/// Counts `n` orders held for `cause` (see [`count_holds`]).
fn held(cause: &'static str, n: usize) {
    if n > 0 {
        metrics::counter!("bankapi_orders_held_total", "cause" => cause).increment(n as u64);
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
