//! Wake-ups across processes: every `NOTIFY` on [`WORK_CHANNEL`] (an order created,
//! confirmed or retried, here or in another process sharing the database) wakes this
//! process's engine.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

/// The `NOTIFY` channel on which an order with work to do (created, confirmed, retried)
/// wakes the executors of every process.
pub(super) const WORK_CHANNEL: &str = "bankapi_orders";

/// How long the work listener waits before subscribing again after an error, so that a
/// database that is away is not hammered.
const LISTEN_RETRY: Duration = Duration::from_secs(1);

/// Subscribes a dedicated connection to [`WORK_CHANNEL`].
async fn subscribe(url: &str) -> Result<PgListener, sqlx::Error> {
    // `connect` (not `connect_with` the store's pool) gives the listener a pool of its own:
    // the connection it holds for good does not shrink the pool queries run on.
    let mut listener = PgListener::connect(url).await?;
    listener.listen(WORK_CHANNEL).await?;
    Ok(listener)
}

/// Forwards every notification on [`WORK_CHANNEL`] to `work`, for ever. It never gives
/// up: `PgListener` reconnects by itself when its connection drops, and any other error
/// drops the listener and subscribes again after [`LISTEN_RETRY`]. Notifications sent
/// while no connection listened are lost, so every new subscription after a loss wakes
/// the executor once to look for itself (its polling is the last resort).
async fn forward_notifications(url: String, mut listener: Option<PgListener>, work: Arc<Notify>) {
    loop {
        let active = match listener.as_mut() {
            Some(active) => active,
            None => match subscribe(&url).await {
                Ok(fresh) => {
                    work.notify_one();
                    listener.insert(fresh)
                }
                Err(error) => {
                    tracing::warn!(%error, channel = WORK_CHANNEL, "cannot listen for new orders; retrying");
                    tokio::time::sleep(LISTEN_RETRY).await;
                    continue;
                }
            },
        };
        match active.try_recv().await {
            Ok(Some(_)) => work.notify_one(),
            // The connection was lost and has been re-established.
            Ok(None) => work.notify_one(),
            Err(error) => {
                tracing::warn!(%error, channel = WORK_CHANNEL, "listening for new orders failed; retrying");
                listener = None;
                tokio::time::sleep(LISTEN_RETRY).await;
            }
        }
    }
}

/// The background task that turns `NOTIFY` on [`WORK_CHANNEL`] (from this process or any
/// other sharing the database) into wake-ups of the store's [`Notify`]; it is stopped when
/// the store is dropped.
pub(super) struct WorkListener {
    task: AbortHandle,
}

impl WorkListener {
    /// Subscribes before returning, so an order created once the store is connected is
    /// never missed; if that first attempt fails, the task keeps trying in the background
    /// (meanwhile the executor's polling still finds the work).
    pub(super) async fn start(url: &str, work: Arc<Notify>) -> Self {
        let first = match subscribe(url).await {
            Ok(listener) => Some(listener),
            Err(error) => {
                tracing::warn!(%error, channel = WORK_CHANNEL, "cannot listen for new orders yet; retrying");
                None
            }
        };
        let task = tokio::spawn(forward_notifications(url.to_owned(), first, work));
        Self {
            task: task.abort_handle(),
        }
    }
}

impl Drop for WorkListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}
