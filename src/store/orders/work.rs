//! The engines' wake-up, kept the same way by both backends: a commit that added work
//! wakes this process's engine, and the time of the last such commit tells the engine
//! whether new orders are arriving (see [`WorkSignal::added_within`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// This process's signal that orders have work to do.
pub struct WorkSignal {
    wake: Arc<Notify>,
    /// When the signal was made: `added_at` counts microseconds from here, so that one
    /// atomic word holds the time of the last addition.
    origin: Instant,
    /// Microseconds from `origin` to the last [`WorkSignal::added`], plus one (0: never).
    added_at: AtomicU64,
}

impl Default for WorkSignal {
    fn default() -> Self {
        Self {
            wake: Arc::new(Notify::new()),
            origin: Instant::now(),
            added_at: AtomicU64::new(0),
        }
    }
}

impl WorkSignal {
    /// The wake-up alone, for what relays other processes' work (PostgreSQL's
    /// `LISTEN`): their orders never wait for this process's writer.
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Marks work added by this process now and wakes its engine.
    pub fn added(&self) {
        let micros = u64::try_from(self.origin.elapsed().as_micros()).unwrap_or(u64::MAX - 1);
        self.added_at.store(micros + 1, Ordering::Relaxed);
        self.wake.notify_one();
    }

    /// Whether this process added work within the last `window`: new orders are being
    /// accepted now.
    pub fn added_within(&self, window: Duration) -> bool {
        match self.added_at.load(Ordering::Relaxed) {
            0 => false,
            at => {
                let since = Duration::from_micros(at - 1);
                self.origin.elapsed().saturating_sub(since) <= window
            }
        }
    }

    /// Waits until work is added or `max_wait` passes.
    pub async fn wait(&self, max_wait: Duration) {
        let _ = tokio::time::timeout(max_wait, self.wake.notified()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_recent_additions_from_none_and_old_ones() {
        let signal = WorkSignal::default();
        assert!(
            !signal.added_within(Duration::from_secs(3600)),
            "never added"
        );
        signal.added();
        assert!(signal.added_within(Duration::from_secs(1)));
        std::thread::sleep(Duration::from_millis(20));
        assert!(!signal.added_within(Duration::from_millis(5)));
        assert!(signal.added_within(Duration::from_secs(1)));
    }

    #[tokio::test]
    async fn an_addition_wakes_a_waiter() {
        let signal = Arc::new(WorkSignal::default());
        let waiter = tokio::spawn({
            let signal = signal.clone();
            async move { signal.wait(Duration::from_secs(30)).await }
        });
        signal.added();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken before the timeout")
            .expect("the waiter ran");
    }
}
