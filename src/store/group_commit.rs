//! Group commit for event appends: requests that arrive while a transaction is being
//! written wait for the next one and share it.
//!
//! Every `POST /communication-events` otherwise pays a transaction of its own (six round
//! trips to the database's worker thread on SQLite, a commit flush and a row lock on the
//! customer's counter on PostgreSQL), and they all queue on the same writer anyway. One
//! task per store drains whatever is waiting (up to [`MAX_BATCH`]) and writes it with
//! multi-row statements in one transaction, so the cost per event falls as load rises. No
//! answer leaves before its transaction committed. If a shared transaction fails, each of
//! its events is retried alone, so one bad event cannot fail its neighbours.
//!
//! The writer runs on a thread of its own ([`GroupCommit::start_on_own_thread`]). Every
//! request waits for the group in front of it, so the group's latency is the throughput:
//! on the shared runtime, each wake-up of the writer (the database answered) queued behind
//! HTTP work, and groups took half as long again as the database needed.
//!
//! Written here rather than taken from a crate: what is batched is a store-specific
//! transaction, and the queue itself is a tokio channel.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

use super::{IdempotencyKey, NewEvent, Recorded, StoreError};

/// Most events written in one transaction: bounds the statement size (SQLite allows
/// 32766 bound values; an event takes 6) and the latency of the batch's first request.
pub(super) const MAX_BATCH: usize = 256;

/// One event to register, with the idempotency key of its request.
#[derive(Debug, Clone)]
pub(super) struct Append {
    /// The event.
    pub event: NewEvent,
    /// The request's key, if it sent one.
    pub key: Option<IdempotencyKey>,
}

/// How a backend writes appends. One task owns the writer, so it may keep state (such
/// as its own connection) without locks.
#[async_trait]
pub(super) trait AppendWriter: Send + 'static {
    /// One event in its own transaction: the fallback when a shared transaction failed,
    /// and for a key repeated inside one batch.
    async fn append_one(&mut self, append: &Append) -> Result<Recorded<i64>, StoreError>;

    /// All of `appends` (one or more) in one transaction, all or nothing. Their keys are
    /// distinct. A key that was already recorded answers with what it recorded and
    /// writes nothing; a key that appears concurrently (another process) must fail the
    /// whole transaction, so that the events are retried one by one.
    async fn append_many(&mut self, appends: &[Append]) -> Result<Vec<Recorded<i64>>, StoreError>;
}

type Outcome = Result<Recorded<i64>, StoreError>;
type Request = (Append, oneshot::Sender<Outcome>);

/// The queue in front of a store's writer.
pub(super) struct GroupCommit {
    sender: mpsc::Sender<Request>,
}

impl GroupCommit {
    /// Starts the writing task on the current runtime; it ends when the last sender is
    /// dropped. Only the tests' writers, which do no I/O, run there: see
    /// [`Self::start_on_own_thread`].
    #[cfg(test)]
    pub(super) fn start(writer: impl AppendWriter) -> Self {
        let (sender, receiver) = mpsc::channel(MAX_BATCH * 4);
        tokio::spawn(run(Box::new(writer), receiver));
        Self { sender }
    }

    /// Starts the writer on a thread with a runtime of its own, so that its round trips
    /// to the database (a server, or SQLite's connection worker thread) are not queued
    /// behind request handling: each statement of a group wakes the writer, and on the
    /// shared runtime every wake-up waited for HTTP work (SQLite's POST, measured in
    /// interleaved runs: 16,100-16,600 a second there, 17,700-18,400 here). Whatever I/O the
    /// writer opens (its connection) belongs to that runtime. The thread ends when the
    /// store is dropped.
    pub(super) fn start_on_own_thread(writer: impl AppendWriter) -> std::io::Result<Self> {
        let (sender, receiver) = mpsc::channel(MAX_BATCH * 4);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("event-writer".into())
            .spawn(move || runtime.block_on(run(Box::new(writer), receiver)))?;
        Ok(Self { sender })
    }

    /// Registers an event once its transaction committed.
    pub(super) async fn append(&self, append: Append) -> Result<Recorded<i64>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send((append, reply))
            .await
            .map_err(|_| StoreError::Unavailable("the event writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Other(anyhow::anyhow!("the event writer dropped a request")))?
    }
}

async fn run(mut writer: Box<dyn AppendWriter>, mut receiver: mpsc::Receiver<Request>) {
    let mut waiting = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut waiting, MAX_BATCH).await > 0 {
        let batch = std::mem::take(&mut waiting);
        metrics::histogram!("bankapi_event_append_batch_size").record(batch.len() as f64);
        let started = Instant::now();
        write(writer.as_mut(), batch).await;
        metrics::histogram!("bankapi_event_append_batch_seconds")
            .record(started.elapsed().as_secs_f64());
    }
}

/// Writes one drained batch and answers every request in it.
async fn write(writer: &mut dyn AppendWriter, batch: Vec<Request>) {
    // A key sent twice in one batch is written once here; its repeats run afterwards and
    // find it recorded, exactly as they would have if they had come a moment later.
    let mut keys = HashSet::new();
    let (shared, repeats): (Vec<Request>, Vec<Request>) = batch.into_iter().partition(|(a, _)| {
        a.key
            .as_ref()
            .is_none_or(|k| keys.insert((k.principal.clone(), k.key.clone())))
    });
    let appends: Vec<Append> = shared.iter().map(|(a, _)| a.clone()).collect();
    match writer.append_many(&appends).await {
        Ok(results) if results.len() == shared.len() => {
            for ((_, reply), result) in shared.into_iter().zip(results) {
                let _ = reply.send(Ok(result));
            }
        }
        outcome => {
            if let Err(error) = outcome {
                tracing::warn!(%error, events = shared.len(), "group commit failed; writing the events one by one");
            }
            for (append, reply) in shared {
                let _ = reply.send(writer.append_one(&append).await);
            }
        }
    }
    for (append, reply) in repeats {
        let _ = reply.send(writer.append_one(&append).await);
    }
}

/// Idempotency keys of a group found recorded: (principal, key) to (fingerprint,
/// resource), as a backend's lookup returns them.
pub(super) type RecordedKeys = HashMap<(String, String), (String, String)>;

/// The answer of each append whose key was found recorded (replayed or refused), and
/// `None` for those still to write, in the order of `appends`.
pub(super) fn answers_for_recorded(
    appends: &[Append],
    mut seen: RecordedKeys,
) -> Vec<Option<Recorded<i64>>> {
    appends
        .iter()
        .map(|append| {
            let key = append.key.as_ref()?;
            seen.remove(&(key.principal.clone(), key.key.clone()))
                .map(|(fingerprint, resource)| recorded(key, &fingerprint, resource))
        })
        .collect()
}

/// The answer for a key found recorded: the first resource, or a refusal if the key came
/// with another request.
pub(super) fn recorded<T>(
    key: &IdempotencyKey,
    fingerprint: &str,
    resource: String,
) -> Recorded<T> {
    if fingerprint == key.fingerprint {
        Recorded::Replayed(resource)
    } else {
        Recorded::KeyReused
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use chrono::Utc;

    use super::*;
    use crate::domain::{CustomerNumber, EventKind};

    /// Records what it was asked to write; fails `append_many` when told to.
    #[derive(Default)]
    struct Recorder {
        batches: Mutex<Vec<usize>>,
        singles: Mutex<usize>,
        fail_many: bool,
    }

    #[async_trait]
    impl AppendWriter for Arc<Recorder> {
        async fn append_one(&mut self, _: &Append) -> Result<Recorded<i64>, StoreError> {
            let mut singles = self.singles.lock().map_err(|_| StoreError::NotFound)?;
            *singles += 1;
            Ok(Recorded::Created(1000 + *singles as i64))
        }

        async fn append_many(
            &mut self,
            appends: &[Append],
        ) -> Result<Vec<Recorded<i64>>, StoreError> {
            if self.fail_many {
                return Err(StoreError::Conflict("key appeared".into()));
            }
            self.batches
                .lock()
                .map_err(|_| StoreError::NotFound)?
                .push(appends.len());
            Ok((0..appends.len() as i64).map(Recorded::Created).collect())
        }
    }

    fn append(key: Option<&str>) -> Append {
        Append {
            event: NewEvent {
                customer_number: CustomerNumber::parse("c", "1400269").expect("number"),
                kind: EventKind::CommunicationEvent,
                created_at: Utc::now(),
                description: None,
                xml: "<data/>".into(),
            },
            key: key.map(|k| IdempotencyKey {
                principal: "p".into(),
                key: k.into(),
                fingerprint: "f".into(),
            }),
        }
    }

    fn requests(keys: &[Option<&str>]) -> (Vec<Request>, Vec<oneshot::Receiver<Outcome>>) {
        keys.iter()
            .map(|k| {
                let (tx, rx) = oneshot::channel();
                ((append(*k), tx), rx)
            })
            .unzip()
    }

    #[tokio::test]
    async fn a_batch_is_one_transaction_and_repeated_keys_wait_for_it() {
        let recorder = Arc::new(Recorder::default());
        let (batch, answers) = requests(&[Some("a"), None, Some("a"), Some("b")]);
        write(&mut recorder.clone(), batch).await;
        assert_eq!(*recorder.batches.lock().expect("lock"), vec![3]);
        assert_eq!(
            *recorder.singles.lock().expect("lock"),
            1,
            "the repeated key"
        );
        let mut results = Vec::new();
        for answer in answers {
            results.push(answer.await.expect("answered").expect("ok"));
        }
        assert_eq!(
            results,
            vec![
                Recorded::Created(0),
                Recorded::Created(1),
                Recorded::Created(1001),
                Recorded::Created(2)
            ]
        );
    }

    #[tokio::test]
    async fn a_failed_batch_is_retried_event_by_event() {
        let recorder = Arc::new(Recorder {
            fail_many: true,
            ..Recorder::default()
        });
        let (batch, answers) = requests(&[Some("a"), None, Some("b")]);
        write(&mut recorder.clone(), batch).await;
        assert_eq!(*recorder.singles.lock().expect("lock"), 3);
        for answer in answers {
            assert!(matches!(
                answer.await.expect("answered"),
                Ok(Recorded::Created(_))
            ));
        }
    }

    #[tokio::test]
    async fn a_lone_request_takes_the_shared_path_and_is_answered_after_writing() {
        let recorder = Arc::new(Recorder::default());
        let queue = GroupCommit::start(recorder.clone());
        let first = queue.append(append(Some("x"))).await.expect("ok");
        assert_eq!(first, Recorded::Created(0));
        assert_eq!(*recorder.batches.lock().expect("lock"), vec![1]);
        assert_eq!(*recorder.singles.lock().expect("lock"), 0);
    }

    #[tokio::test]
    async fn a_writer_on_its_own_thread_answers_and_stops_with_its_queue() {
        let recorder = Arc::new(Recorder::default());
        let queue = GroupCommit::start_on_own_thread(recorder.clone()).expect("thread");
        for _ in 0..3 {
            let answer = queue.append(append(None)).await.expect("ok");
            assert!(matches!(answer, Recorded::Created(_)));
        }
        assert_eq!(
            recorder.batches.lock().expect("lock").iter().sum::<usize>(),
            3
        );
        drop(queue);
        // The thread held the only other reference to the recorder; it lets go once the
        // queue is gone.
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        while Arc::strong_count(&recorder) > 1 {
            assert!(Instant::now() < deadline, "the writer thread did not stop");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}
