//! Group commit for order acceptance: orders accepted while a transaction is being
//! written wait for the next one and share it, as event appends do
//! ([`crate::store::group_commit`]). Under load each `POST` otherwise paid a transaction of
//! its own (a commit flush on PostgreSQL, three round trips to the single writer on
//! SQLite). No answer leaves before its transaction committed. A group that fails (two
//! orders of it for the same card, say) is written again order by order, so each gets
//! its own answer.
//!
//! Orders sent with an `Idempotency-Key` take the single path ([`OrderStore`]'s
//! `create_order`), which records the key in the order's own transaction: their retries
//! are rare, and a key repeated inside a group would otherwise need the care the event
//! group commit takes.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use super::{OrderColumns, OrderStore};
use crate::domain::order::{Order, OrderNumber};
use crate::store::{IdempotencyKey, Recorded, StoreError};

/// Most orders written in one transaction.
const MAX_GROUP: usize = 256;

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
    while receiver.recv_many(&mut group, MAX_GROUP).await > 0 {
        let started = Instant::now();
        // The group grows until the store can write it: what arrived while the writer was
        // busy joins it, where it used to wait for the next group.
        let mut gather = || {
            while group.len() < MAX_GROUP {
                match receiver.try_recv() {
                    Ok(order) => group.push(order),
                    Err(_) => break,
                }
            }
            group
                .iter()
                .map(|(order, _)| OrderColumns::encode(order))
                .collect::<Result<Vec<_>, _>>()
        };
        let written = store.insert_orders_gathered(&mut gather).await;
        let group = std::mem::take(&mut group);
        metrics::histogram!("bankapi_order_accept_batch_size").record(group.len() as f64);
        answer(store.as_ref(), group, written).await;
        metrics::histogram!("bankapi_order_accept_batch_seconds")
            .record(started.elapsed().as_secs_f64());
    }
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
