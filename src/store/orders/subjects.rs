//! Group reads for order acceptance: the card subjects asked for while a read is under
//! way wait for the next one and share it, as accepted orders share their write
//! ([`super::Acceptor`]). Under load each `POST` of a card order otherwise paid a query of
//! its own before its write; on PostgreSQL that query was as much of the database's work
//! as the write. Nobody waits when nothing else is asked: a lone request is read at once.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::{CardSubject, OrderStore, take_queued};
use crate::domain::identifier::CardId;
use crate::store::StoreError;

/// Most cards read in one query.
const MAX_GROUP: usize = 256;

type Reply = oneshot::Sender<Result<Option<CardSubject>, StoreError>>;

/// The queue in front of the order store's subject reads. Cheap to clone.
#[derive(Clone)]
pub struct SubjectReader {
    sender: mpsc::Sender<(CardId, Reply)>,
}

impl SubjectReader {
    /// Starts the reading task; it ends when the last reader is dropped.
    pub fn start(store: Arc<dyn OrderStore>) -> Self {
        let (sender, receiver) = mpsc::channel(MAX_GROUP * 4);
        tokio::spawn(run(store, receiver));
        Self { sender }
    }

    /// The card `card_id` with its arrangement and that arrangement's cards, as
    /// [`OrderStore::card_subjects`] reads them; `None` for a card that does not exist.
    pub async fn subject(&self, card_id: CardId) -> Result<Option<CardSubject>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send((card_id, reply))
            .await
            .map_err(|_| StoreError::Unavailable("the subject reader has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Other(anyhow::anyhow!("the subject reader dropped a read")))?
    }
}

async fn run(store: Arc<dyn OrderStore>, mut receiver: mpsc::Receiver<(CardId, Reply)>) {
    let mut waiting = Vec::with_capacity(MAX_GROUP);
    while receiver.recv_many(&mut waiting, MAX_GROUP).await > 0 {
        // The requests already under way on this runtime ask too before the group is
        // read: one round of the scheduler, no timer, a few more cards per query. On
        // PostgreSQL each query is a round trip whose wake-ups cost more than its rows
        // (e2e bench, 6 interleaved pairs: acceptance 37.1 % of the event POST on
        // average against 35.7 % without, every pair better; SQLite unchanged).
        tokio::task::yield_now().await;
        take_queued(&mut receiver, &mut waiting, MAX_GROUP);
        let group = std::mem::take(&mut waiting);
        metrics::histogram!("bankapi_order_subject_batch_size").record(group.len() as f64);
        let ids: Vec<CardId> = group.iter().map(|(id, _)| id.clone()).collect();
        match store.card_subjects(&ids).await {
            Ok(subjects) => {
                let by_card: HashMap<CardId, CardSubject> = subjects
                    .into_iter()
                    .map(|subject| (subject.card.id.clone(), subject))
                    .collect();
                for (id, reply) in group {
                    // The same card asked twice in one group gets the same subject.
                    let _ = reply.send(Ok(by_card.get(&id).cloned()));
                }
            }
            Err(error) => {
                for (_, reply) in group {
                    let _ = reply.send(Err(copy(&error)));
                }
            }
        }
    }
}

/// The same failure for every waiter of a failed group: the kind is kept (an outage stays
/// a 503), the cause as text.
fn copy(error: &StoreError) -> StoreError {
    match error {
        StoreError::NotFound => StoreError::NotFound,
        StoreError::Conflict(detail) => StoreError::Conflict(detail.clone()),
        StoreError::Unavailable(detail) => StoreError::Unavailable(detail.clone()),
        StoreError::Other(cause) => StoreError::Other(anyhow::anyhow!("{cause:#}")),
    }
}
