//! The standing orders' schedule: on each look, every date that has fallen due (on the
//! engine's clock, so tests and demos can run dates quickly) becomes a payment order,
//! which the engine then carries like any other. Exactly once per date across restarts
//! and processes: the store creates a date's payment in the transaction that moves the
//! standing order past it (see `run_standing_orders`).

use super::Engine;
use crate::domain::kinds::payment_order;
use crate::domain::standing_order::{Due, StandingOrder};
use crate::store::StoreError;
use crate::store::orders::Scheduled;

/// Standing orders one transaction moves on at most: a bounded transaction, whatever
/// falls due at once (10,000 at the first of the month).
const SCHEDULE_BATCH: usize = 500;

impl Engine {
    /// Runs the schedule until nothing is due on the engine's today; answers what it
    /// did in total.
    pub async fn schedule(&self) -> Result<Scheduled, StoreError> {
        let inner = &self.inner;
        let mut total = Scheduled::default();
        loop {
            let now = self.now();
            let deadline = now + inner.settings.payment_deadline;
            let durations = &inner.settings.durations;
            let payment = |standing: &StandingOrder, due: Due| {
                payment_order(standing, due, now, deadline, durations)
            };
            let done = inner
                .store
                .run_standing_orders(now.date_naive(), SCHEDULE_BATCH, &payment)
                .await?;
            total.standing_orders += done.standing_orders;
            total.payments += done.payments;
            if done.payments > 0 {
                metrics::counter!("bankapi_standing_order_payments_scheduled_total")
                    .increment(done.payments as u64);
            }
            if done.standing_orders < SCHEDULE_BATCH {
                return Ok(total);
            }
        }
    }

    /// One look at the schedule from the engine's loop; a failure is logged and the
    /// next look tries again (nothing was written: the run is one transaction).
    pub(super) async fn run_schedule(&self) {
        match self.schedule().await {
            Ok(done) if done.payments > 0 => {
                tracing::info!(
                    standing_orders = done.standing_orders,
                    payments = done.payments,
                    "standing-order payments fell due"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "cannot run the standing orders' schedule"),
        }
    }
}
