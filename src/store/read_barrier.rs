//! Customers' write generations read from a database that other processes write too,
//! with one statement shared by every request waiting at the same moment.
//!
//! A page kept in memory may only be answered once the caller knows that nothing was
//! written to the customer's events since the page was read (see [`super::page_cache`]).
//! Where other processes write, only the database knows, so each answer needs a read that
//! *started after the request arrived*: a read that started earlier might miss a write
//! whose client then reads here. Reading once per request would cost about what the page
//! itself costs, so requests that arrive while a read is under way wait for the next one,
//! and that one read answers all of them: under load, one statement per round instead of
//! one per request, and never a stale answer.
//!
//! Written by hand: this is a few lines over a mutex and oneshot channels, and the
//! batching crates found either batch by size and time (a timer would add latency to
//! every page) or give no "started after I arrived" guarantee.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures::future::BoxFuture;
use tokio::sync::oneshot;

use super::StoreError;
use crate::domain::CustomerNumber;

/// Reads the current generation of each customer asked for, in the order asked: the
/// backend's statement.
pub type ReadGenerations = Arc<
    dyn Fn(Vec<CustomerNumber>) -> BoxFuture<'static, Result<Vec<u64>, StoreError>> + Send + Sync,
>;

/// Coalesces generation reads: see the module's text.
pub struct ReadBarrier {
    read: ReadGenerations,
    round: Arc<Mutex<Round>>,
}

/// Requests waiting for the next read, and whether a reader task is running.
#[derive(Default)]
struct Round {
    running: bool,
    waiting: Vec<Waiter>,
}

struct Waiter {
    customer: CustomerNumber,
    answer: oneshot::Sender<Option<u64>>,
}

impl ReadBarrier {
    /// A barrier reading generations with `read`.
    pub fn new(read: ReadGenerations) -> Self {
        Self {
            read,
            round: Arc::new(Mutex::new(Round::default())),
        }
    }

    /// The customer's generation, read by a statement that started after this call: `None`
    /// when it could not be read (the caller then reads the page itself, which reports
    /// the database's error if there is one).
    pub async fn generation(&self, customer: &CustomerNumber) -> Option<u64> {
        let (answer, answered) = oneshot::channel();
        let lead = {
            let mut round = lock(&self.round);
            round.waiting.push(Waiter {
                customer: customer.clone(),
                answer,
            });
            !std::mem::replace(&mut round.running, true)
        };
        if lead {
            // A task of its own, not the caller's future: a caller that goes away (its
            // client hung up) must not strand the others waiting on its read.
            tokio::spawn(rounds(self.round.clone(), self.read.clone()));
        }
        answered.await.ok().flatten()
    }
}

fn lock(round: &Mutex<Round>) -> std::sync::MutexGuard<'_, Round> {
    // A panic while the lock was held left a list of waiters, still a valid one.
    round.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads for whoever is waiting, round after round, until nobody is.
async fn rounds(round: Arc<Mutex<Round>>, read: ReadGenerations) {
    let mut reader = Reader { round, done: false };
    loop {
        // Let the requests that are ready to run reach the barrier first: under load
        // this gathers more of them into each read, at the cost of one turn of the
        // scheduler, not of a timer.
        tokio::task::yield_now().await;
        let waiting = {
            let mut round = lock(&reader.round);
            if round.waiting.is_empty() {
                // Under the same lock as the check: a request that arrives after it
                // starts a reader of its own.
                round.running = false;
                reader.done = true;
                return;
            }
            std::mem::take(&mut round.waiting)
        };
        let mut customers: Vec<CustomerNumber> = Vec::with_capacity(waiting.len());
        for waiter in &waiting {
            if !customers.contains(&waiter.customer) {
                customers.push(waiter.customer.clone());
            }
        }
        metrics::counter!("bankapi_read_barrier_rounds_total").increment(1);
        metrics::counter!("bankapi_read_barrier_waiters_total").increment(waiting.len() as u64);
        let generations: HashMap<CustomerNumber, u64> = match read(customers.clone()).await {
            Ok(generations) => customers.into_iter().zip(generations).collect(),
            Err(error) => {
                tracing::warn!(%error, "could not read write generations; pages are read instead");
                HashMap::new()
            }
        };
        for waiter in waiting {
            // A waiter that went away no longer needs its answer.
            let _ = waiter
                .answer
                .send(generations.get(&waiter.customer).copied());
        }
    }
}

/// Marks the reader stopped if its task ends any other way than finding nobody waiting
/// (a panic in the statement): the waiters' channels close, so they read their pages
/// themselves, and the next request starts a new reader.
struct Reader {
    round: Arc<Mutex<Round>>,
    done: bool,
}

impl Drop for Reader {
    fn drop(&mut self) {
        if !self.done {
            let mut round = lock(&self.round);
            round.running = false;
            round.waiting.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    use super::*;

    fn customer(number: &str) -> CustomerNumber {
        CustomerNumber::parse("c", number).expect("number")
    }

    /// A database whose generation is `version`, read slowly, counting its reads.
    fn slow_database(version: Arc<AtomicU64>, reads: Arc<AtomicU64>) -> ReadGenerations {
        Arc::new(move |customers: Vec<CustomerNumber>| {
            let version = version.clone();
            let reads = reads.clone();
            Box::pin(async move {
                reads.fetch_add(1, Ordering::SeqCst);
                // The statement's snapshot is taken when it starts.
                let seen = version.load(Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                Ok(vec![seen; customers.len()])
            })
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_answer_comes_from_a_read_that_started_after_the_request() {
        let version = Arc::new(AtomicU64::new(0));
        let reads = Arc::new(AtomicU64::new(0));
        let barrier = Arc::new(ReadBarrier::new(slow_database(
            version.clone(),
            reads.clone(),
        )));
        let requests: Vec<_> = (0..200)
            .map(|n| {
                let (barrier, version) = (barrier.clone(), version.clone());
                tokio::spawn(async move {
                    // A write that committed before the request arrived.
                    let written = version.fetch_add(1, Ordering::SeqCst) + 1;
                    let seen = barrier
                        .generation(&customer(if n % 2 == 0 { "A1" } else { "B2" }))
                        .await
                        .expect("a generation");
                    assert!(seen >= written, "read {seen} misses write {written}");
                })
            })
            .collect();
        for request in requests {
            request.await.expect("request");
        }
        let reads = reads.load(Ordering::SeqCst);
        assert!(
            reads < 200,
            "requests waiting together share reads ({reads})"
        );
        // Nobody is waiting now, so the reader stopped: a new request starts another.
        let after = version.load(Ordering::SeqCst);
        assert_eq!(barrier.generation(&customer("A1")).await, Some(after));
    }

    #[tokio::test]
    async fn a_failed_read_answers_none_and_the_next_request_reads_again() {
        let reads = Arc::new(AtomicU64::new(0));
        let counted = reads.clone();
        let barrier = ReadBarrier::new(Arc::new(move |customers: Vec<CustomerNumber>| {
            let first = counted.fetch_add(1, Ordering::SeqCst) == 0;
            Box::pin(async move {
                if first {
                    Err(StoreError::Unavailable("down".into()))
                } else {
                    Ok(vec![7; customers.len()])
                }
            })
        }));
        assert_eq!(barrier.generation(&customer("A1")).await, None);
        assert_eq!(barrier.generation(&customer("A1")).await, Some(7));
    }

    #[tokio::test]
    async fn a_panicking_read_strands_nobody() {
        let reads = Arc::new(AtomicU64::new(0));
        let counted = reads.clone();
        let barrier = ReadBarrier::new(Arc::new(move |customers: Vec<CustomerNumber>| {
            let first = counted.fetch_add(1, Ordering::SeqCst) == 0;
            Box::pin(async move {
                assert!(!first, "the first read breaks");
                Ok(vec![3; customers.len()])
            })
        }));
        assert_eq!(barrier.generation(&customer("A1")).await, None);
        assert_eq!(barrier.generation(&customer("A1")).await, Some(3));
    }
}
