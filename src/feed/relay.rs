//! Carries the outbox to a durable sink, at least once and in order.
//!
//! One process at a time relays a sink: it claims the sink's cursor with a lease and a
//! fencing token (`feed_sinks`), hands the sink a batch of entries, and moves the cursor
//! past them only once the sink has accepted all of them, and only while its token still
//! holds. A process that dies loses its lease, and whoever claims the sink next starts
//! again from the cursor: the entries of a batch in flight are sent twice, which the
//! sink's own de-duplication absorbs (NATS drops a repeated `Nats-Msg-Id`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use tokio::sync::{Notify, watch};

use super::READ_BATCH;
use crate::store::feed::{FeedCursor, FeedEntry, FeedStore, SinkClaim};

/// How long a relay that found only a few entries waits before reading again.
const GATHER: Duration = Duration::from_millis(20);
/// How often, at most, a process that does not hold a sink tries to claim it (a quarter
/// of the lease when that is shorter).
const CLAIM_EVERY: Duration = Duration::from_secs(5);
/// First pause after a sink refused a batch; doubled on every failure in a row.
const RETRY_FIRST: Duration = Duration::from_millis(200);
/// Longest pause between attempts while a sink is down.
const RETRY_MAX: Duration = Duration::from_secs(30);

/// Somewhere the feed goes.
#[async_trait]
pub trait Sink: Send + Sync {
    /// The sink's name in `feed_sinks`, stable across releases.
    fn name(&self) -> &str;

    /// Connects and sets up what the sink needs (a stream, a topic), once per claim
    /// before the first delivery; retried with backoff while it fails.
    async fn ready(&self) -> anyhow::Result<()>;

    /// Whether the sink wants entries at all now (a fan-out with no subscriber does not):
    /// when it does not, the relay moves to the feed's head without reading the entries.
    async fn interested(&self) -> bool {
        true
    }

    /// Takes `entries` (oldest first); `Ok` only once every one is safely accepted.
    async fn deliver(&self, entries: &[FeedEntry]) -> anyhow::Result<()>;
}

/// Relays the outbox to `sink` until `stop` turns true, looking for new entries every
/// `poll`, and at once when `wake` is notified while idle. The claim on the sink lasts
/// `lease` unless renewed: how long a process that died holding it delays the sink.
pub async fn run(
    store: Arc<dyn FeedStore>,
    sink: Arc<dyn Sink>,
    poll: Duration,
    lease: Duration,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let name = sink.name().to_owned();
    let claim_every = CLAIM_EVERY.min(lease / 4);
    while !*stop.borrow() {
        let pause = match claim(store.as_ref(), &name, lease).await {
            Ok(Some(claim)) => {
                tracing::info!(sink = %name, "relaying the feed");
                let timing = (poll, lease);
                relay_while_held(
                    store.as_ref(),
                    sink.as_ref(),
                    claim,
                    timing,
                    &wake,
                    &mut stop,
                )
                .await;
                Duration::ZERO
            }
            Ok(None) => claim_every,
            Err(error) => {
                tracing::warn!(sink = %name, %error, "cannot claim the feed's relay; retrying");
                claim_every
            }
        };
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stop.changed() => {}
        }
    }
}

/// Creates the sink at the feed's head the first time, then claims it.
async fn claim(
    store: &dyn FeedStore,
    name: &str,
    lease: Duration,
) -> Result<Option<SinkClaim>, crate::store::StoreError> {
    let head = store.feed_head().await?;
    store.create_sink(name, head).await?;
    let now = Utc::now();
    store.claim_sink(name, now, now + chrono_lease(lease)).await
}

fn chrono_lease(lease: Duration) -> chrono::Duration {
    chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX)
}

/// Relays until the claim is lost or `stop` turns true. `timing`: the poll, and the
/// lease (renewed every quarter of it).
async fn relay_while_held(
    store: &dyn FeedStore,
    sink: &dyn Sink,
    claim: SinkClaim,
    (poll, lease): (Duration, Duration),
    wake: &Notify,
    stop: &mut watch::Receiver<bool>,
) {
    let name = sink.name();
    let mut cursor = claim.cursor;
    let mut recorded = cursor;
    let mut renewed = tokio::time::Instant::now();
    let mut failures = 0_u32;
    let mut ready = false;
    while !*stop.borrow() {
        if ready && !sink.interested().await {
            match store.feed_head().await {
                Ok(head) => cursor = cursor.max(head),
                Err(error) => tracing::warn!(sink = %name, %error, "cannot read the feed's head"),
            }
            if renewed.elapsed() >= lease / 4 {
                match record(store, name, claim.token, cursor, lease).await {
                    Held::Yes => {
                        recorded = cursor;
                        renewed = tokio::time::Instant::now();
                    }
                    Held::Lost => return,
                    Held::Unknown => {}
                }
            }
            tokio::select! {
                () = tokio::time::sleep(poll) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        let entries = match store.feed_after(cursor, None, READ_BATCH).await {
            Ok(entries) => entries,
            Err(error) => {
                tracing::warn!(sink = %name, %error, "cannot read the feed; retrying");
                Vec::new()
            }
        };
        let last = entries.last().map(|e| e.cursor);
        let outcome = match (ready, last) {
            (false, _) => sink.ready().await.map(|()| {
                ready = true;
                None
            }),
            (true, Some(last)) => sink.deliver(&entries).await.map(|()| Some(last)),
            (true, None) => Ok(None),
        };
        match outcome {
            Ok(None) => failures = 0,
            Ok(Some(last)) => {
                failures = 0;
                metrics::counter!("bankapi_feed_relayed_total", "sink" => name.to_owned())
                    .increment(entries.len() as u64);
                cursor = last;
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                let pause = backoff(failures);
                tracing::warn!(sink = %name, %error, retry_in = ?pause, "the sink refused the feed");
                metrics::counter!("bankapi_feed_relay_failures_total", "sink" => name.to_owned())
                    .increment(1);
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    _ = stop.changed() => {}
                }
            }
        }
        // Records progress and renews the lease (when there is progress, and a few times
        // per lease while idle); a stale token means another process took the sink over:
        // it goes on from the recorded cursor, this one stops.
        if cursor != recorded || renewed.elapsed() >= lease / 4 {
            match record(store, name, claim.token, cursor, lease).await {
                Held::Yes => {
                    recorded = cursor;
                    renewed = tokio::time::Instant::now();
                }
                Held::Lost => return,
                Held::Unknown => {}
            }
        }
        // Idle: wait for the poll. Busy with a trickle: let a few milliseconds' entries
        // gather, so that a steady stream of single events does not cost a read each.
        let pause = match last {
            _ if !ready => Duration::ZERO,
            None => poll,
            Some(_) if failures > 0 => poll,
            Some(_) if entries.len() < READ_BATCH => GATHER.min(poll),
            Some(_) => Duration::ZERO,
        };
        // Only an idle relay is woken early: a busy one gathers, a failing one backs off.
        let idle = ready && last.is_none();
        if !pause.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = wake.notified(), if idle => {}
                _ = stop.changed() => {}
            }
        }
    }
    // Stopping: the lease ends now, so the next process takes over at once rather than
    // when it would have run out.
    if let Err(error) = store
        .advance_sink(name, claim.token, cursor, Utc::now())
        .await
    {
        tracing::warn!(sink = %name, %error, "cannot release the feed's relay");
    }
}

/// Whether the relay still holds its sink after recording its progress.
enum Held {
    /// Recorded; the lease is renewed.
    Yes,
    /// Another process took the sink over: it goes on from the recorded cursor.
    Lost,
    /// The database did not answer; try again on the next pass.
    Unknown,
}

/// Records `cursor` for `sink` and renews the lease, if `token` still holds it.
async fn record(
    store: &dyn FeedStore,
    sink: &str,
    token: i64,
    cursor: FeedCursor,
    lease: Duration,
) -> Held {
    match store
        .advance_sink(sink, token, cursor, Utc::now() + chrono_lease(lease))
        .await
    {
        Ok(true) => Held::Yes,
        Ok(false) => {
            tracing::warn!(sink, "lost the feed's relay to another process");
            Held::Lost
        }
        Err(error) => {
            tracing::warn!(sink, %error, "cannot record the relay's progress");
            Held::Unknown
        }
    }
}

/// The pause after `failures` failures in a row: doubling from [`RETRY_FIRST`] up to
/// [`RETRY_MAX`], with up to a quarter of jitter so that restarted processes spread out.
fn backoff(failures: u32) -> Duration {
    let doubled = RETRY_FIRST.saturating_mul(1_u32 << failures.saturating_sub(1).min(16));
    let base = doubled.min(RETRY_MAX);
    base.mul_f64(1.0 - rand::random::<f64>() * 0.25)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_stays_under_the_ceiling() {
        assert!(backoff(1) <= RETRY_FIRST);
        assert!(backoff(3) > RETRY_FIRST);
        assert!(backoff(40) <= RETRY_MAX);
        assert!(backoff(40) >= RETRY_MAX.mul_f64(0.75));
    }
}
