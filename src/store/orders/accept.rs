//! Group commit for order acceptance: orders accepted while a transaction is being
//! written wait for the next one and share it, as event appends do
//! ([`crate::store::group_commit`]). Under load each `POST` otherwise paid a transaction of
//! its own (a commit flush on PostgreSQL, three round trips to the single writer on
//! SQLite). No answer leaves before its transaction committed. A group that fails (two
//! orders of it for the same card, say) is written again order by order, so each gets
//! its own answer.
//!
//! Other processes' engines are told of new orders (on PostgreSQL a `NOTIFY`, which wakes
//! every listening connection and its process) at most once per [`ANNOUNCE_EVERY`]: the
//! first group after a quiet moment carries the announcement in its own statement, the
//! groups after it within the window are announced together once it has passed. This
//! process's engine is told of every group at once, in memory. Under load a group
//! commits every few milliseconds, and announcing each woke every listening process as
//! often (each a backend signalled and a connection read), for engines that were busy
//! anyway; the cost grows with the number of processes. In the single-process e2e bench
//! on PostgreSQL the gain is small: acceptance 36.1 % of the event POST against 35.3 %,
//! averages of 5 interleaved pairs, within the machine's noise.
//!
//! Orders sent with an `Idempotency-Key` take the single path ([`OrderStore`]'s
//! `create_order`), which records the key in the order's own transaction: their retries
//! are rare, and a key repeated inside a group would otherwise need the care the event
//! group commit takes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::{OrderColumns, OrderStore, take_queued};
use crate::domain::order::{Order, OrderNumber};
use crate::store::{IdempotencyKey, Recorded, StoreError};

/// Most orders written in one transaction.
const MAX_GROUP: usize = 256;
/// Longest an accepted order waits before other processes' engines are told of it: they
/// share the work a moment later at worst, and this process's engine, told at once,
/// has started on it meanwhile.
const ANNOUNCE_EVERY: Duration = Duration::from_millis(10);

type Reply = oneshot::Sender<Result<Recorded<OrderNumber>, StoreError>>;

/// The queue in front of the order store's writes. Cheap to clone.
#[derive(Clone)]
pub struct Acceptor {
    store: Arc<dyn OrderStore>,
    sender: mpsc::Sender<(Order, Reply)>,
}

impl Acceptor {
    /// Starts the writing task; it ends when the last acceptor is dropped.
    pub fn start(store: Arc<dyn OrderStore>) -> Self {
        let (sender, receiver) = mpsc::channel(MAX_GROUP * 4);
        tokio::spawn(run(store.clone(), receiver));
        Self { store, sender }
    }

    /// Stores a new order, as [`OrderStore`]'s `create_order` does, sharing the
    /// transaction with other orders accepted at the same moment.
    pub async fn accept(
        &self,
        order: Order,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<Recorded<OrderNumber>, StoreError> {
        if idempotency.is_some() {
            return self.store.create_order(&order, idempotency).await;
        }
        let (reply, answer) = oneshot::channel();
        self.sender
            .send((order, reply))
            .await
            .map_err(|_| StoreError::Unavailable("the order writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Other(anyhow::anyhow!("the order writer dropped an order")))?
    }
}

async fn run(store: Arc<dyn OrderStore>, mut receiver: mpsc::Receiver<(Order, Reply)>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    let mut announcements = Announcements::default();
    loop {
        let received = match announcements.owed_at() {
            None => receiver.recv_many(&mut group, MAX_GROUP).await,
            Some(at) => tokio::select! {
                received = receiver.recv_many(&mut group, MAX_GROUP) => received,
                () = tokio::time::sleep_until(at.into()) => {
                    announce(store.as_ref(), &mut announcements).await;
                    continue;
                }
            },
        };
        if received == 0 {
            break;
        }
        // Requests already under way on this runtime (parsed, their subject read) join
        // the group before it is formed: one round of the scheduler, no timer. On
        // PostgreSQL, e2e bench, 8 interleaved pairs: acceptance 38.6 % of the event
        // POST on average against 37.7 % without (6 pairs of 8 better).
        tokio::task::yield_now().await;
        let started = Instant::now();
        let announced = announcements.with_group(started);
        // The group grows until the store can write it: what arrived while the writer was
        // busy joins it, where it used to wait for the next group.
        let mut gather = || {
            take_queued(&mut receiver, &mut group, MAX_GROUP);
            group
                .iter()
                .map(|(order, _)| OrderColumns::encode(order))
                .collect::<Result<Vec<_>, _>>()
        };
        let written = store.insert_orders_gathered(&mut gather, announced).await;
        if !announced && written.is_ok() {
            announcements.owe();
        }
        let group = std::mem::take(&mut group);
        metrics::histogram!("bankapi_order_accept_batch_size").record(group.len() as f64);
        answer(store.as_ref(), group, written).await;
        metrics::histogram!("bankapi_order_accept_batch_seconds")
            .record(started.elapsed().as_secs_f64());
    }
    if announcements.owed_at().is_some() {
        announce(store.as_ref(), &mut announcements).await;
    }
}

/// When the acceptor tells other processes of new orders (see the module's docs).
#[derive(Debug, Default)]
struct Announcements {
    /// The last announcement.
    last: Option<Instant>,
    /// Orders were committed since `last` without one.
    owed: bool,
}

impl Announcements {
    /// Whether the group written at `now` carries the announcement itself: the first
    /// after [`ANNOUNCE_EVERY`] without one does.
    fn with_group(&mut self, now: Instant) -> bool {
        let due = self
            .last
            .is_none_or(|last| now.duration_since(last) >= ANNOUNCE_EVERY);
        if due {
            self.last = Some(now);
            self.owed = false;
        }
        due
    }

    /// A group was committed without the announcement.
    fn owe(&mut self) {
        self.owed = true;
    }

    /// When the announcement owed for such groups goes out, if one is owed.
    fn owed_at(&self) -> Option<Instant> {
        match (self.owed, self.last) {
            (true, Some(last)) => Some(last + ANNOUNCE_EVERY),
            (true, None) => Some(Instant::now()),
            (false, _) => None,
        }
    }

    /// The owed announcement went out at `now` (or was given up).
    fn announced(&mut self, now: Instant) {
        self.last = Some(now);
        self.owed = false;
    }
}

/// Sends the announcement owed. A failure is only logged: the other engines look at the
/// queue every second anyway, and this process's engine already has the orders.
async fn announce(store: &dyn OrderStore, announcements: &mut Announcements) {
    if let Err(error) = store.announce_work().await {
        tracing::warn!(%error, "could not tell other processes of new orders; they find them at their next look");
    }
    announcements.announced(Instant::now());
}

/// Answers every order of a group with what became of it.
///
/// A group of one takes the group's path too: on PostgreSQL that is one statement that
/// commits and wakes the engines in one round trip, where the single path's transaction
/// takes four (BEGIN, INSERT, NOTIFY, COMMIT), and under a light load most groups are
/// of one. Only a group that failed is written again order by order, each getting its
/// own answer (a conflict, say); that costs a failed group of one a second try.
async fn answer(
    store: &dyn OrderStore,
    group: Vec<(Order, Reply)>,
    written: Result<Vec<i64>, StoreError>,
) {
    let group_len = group.len();
    match written {
        Ok(ids) if ids.len() == group.len() => {
            for ((_, reply), id) in group.into_iter().zip(ids) {
                let _ = reply.send(Ok(Recorded::Created(OrderNumber(id))));
            }
            store.work_added();
            return;
        }
        Ok(ids) => {
            // Committed, but not answerable: writing the orders again would store them
            // twice. Never seen; the backends number rows by their duplicate keys.
            for (_, reply) in group {
                let _ = reply.send(Err(StoreError::Other(anyhow::anyhow!(
                    "an order group of {} was given {} numbers",
                    group_len,
                    ids.len()
                ))));
            }
            store.work_added();
            return;
        }
        Err(error) => {
            tracing::debug!(%error, orders = group.len(), "order group failed; writing the orders one by one");
        }
    }
    for (order, reply) in group {
        let _ = reply.send(store.create_order(&order, None).await);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_group_after_a_quiet_moment_announces_itself() {
        let mut a = Announcements::default();
        let start = Instant::now();
        assert!(a.with_group(start));
        assert_eq!(a.owed_at(), None);
        assert!(a.with_group(start + ANNOUNCE_EVERY));
        assert!(a.with_group(start + ANNOUNCE_EVERY * 3));
        assert_eq!(a.owed_at(), None);
    }

    #[test]
    fn groups_within_the_window_are_announced_once_it_has_passed() {
        let mut a = Announcements::default();
        let start = Instant::now();
        assert!(a.with_group(start));
        let soon = start + ANNOUNCE_EVERY / 4;
        assert!(!a.with_group(soon));
        a.owe();
        assert!(!a.with_group(start + ANNOUNCE_EVERY / 2));
        a.owe();
        assert_eq!(a.owed_at(), Some(start + ANNOUNCE_EVERY));
        a.announced(start + ANNOUNCE_EVERY);
        assert_eq!(a.owed_at(), None);
        // The next window starts at that announcement.
        assert!(!a.with_group(start + ANNOUNCE_EVERY * 3 / 2));
        assert!(a.with_group(start + ANNOUNCE_EVERY * 2));
    }

    #[test]
    fn a_group_that_announces_itself_settles_what_was_owed() {
        let mut a = Announcements::default();
        let start = Instant::now();
        assert!(a.with_group(start));
        assert!(!a.with_group(start + ANNOUNCE_EVERY / 2));
        a.owe();
        // The owed announcement was late (the acceptor was writing): the next group,
        // past the window, carries it.
        assert!(a.with_group(start + ANNOUNCE_EVERY * 2));
        assert_eq!(a.owed_at(), None);
    }
}
