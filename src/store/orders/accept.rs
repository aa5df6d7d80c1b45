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
    let mut waiting = Vec::with_capacity(MAX_GROUP);
    while receiver.recv_many(&mut waiting, MAX_GROUP).await > 0 {
        let group = std::mem::take(&mut waiting);
        metrics::histogram!("bankapi_order_accept_batch_size").record(group.len() as f64);
        let started = Instant::now();
        write(store.as_ref(), group).await;
        metrics::histogram!("bankapi_order_accept_batch_seconds")
            .record(started.elapsed().as_secs_f64());
    }
}

/// Writes one group and answers every order in it.
///
/// A group of one takes the group's path too: on PostgreSQL that is one statement that
/// commits and wakes the engines in one round trip, where the single path's transaction
/// takes four (BEGIN, INSERT, NOTIFY, COMMIT), and under a light load most groups are
/// of one. Only a group that failed is written order by order, each getting its own
/// answer (a conflict, say); that costs a failed group of one a second try.
async fn write(store: &dyn OrderStore, group: Vec<(Order, Reply)>) {
    match write_group(store, &group).await {
        Ok(numbers) => {
            for ((_, reply), number) in group.into_iter().zip(numbers) {
                let _ = reply.send(Ok(Recorded::Created(number)));
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

async fn write_group(
    store: &dyn OrderStore,
    group: &[(Order, Reply)],
) -> Result<Vec<OrderNumber>, StoreError> {
    let rows = group
        .iter()
        .map(|(order, _)| OrderColumns::encode(order))
        .collect::<Result<Vec<_>, _>>()?;
    let ids = store.insert_orders_now(&rows).await?;
    Ok(ids.into_iter().map(OrderNumber).collect())
}
