//! How the engine paces its work, as configured.

use std::time::Duration;

use crate::domain::operation::RetryPolicy;
use crate::domain::order::StepDurations;

/// How the engine paces its work.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// Step durations.
    pub durations: StepDurations,
    /// Orders one pass claims at most.
    pub batch: usize,
    /// How long a claim lasts.
    pub lease: Duration,
    /// Retries and polls.
    pub policy: RetryPolicy,
    /// Calls in flight at once.
    pub concurrency: usize,
    /// How long a pass that found only a few orders waits before the next one: a small
    /// part of an order's latency, which saves most of a pass's cost under a steady
    /// trickle.
    pub gather: Duration,
    /// How far ahead of the system clock the engine's clock runs: zero in production.
    /// Tests and demos set it to see what the engine does at a later time (an order
    /// awaiting confirmation expiring at its deadline) without waiting for it.
    pub clock_offset: chrono::Duration,
    /// How long a standing order's payment may wait to run before it expires.
    pub payment_deadline: chrono::Duration,
}

impl EngineSettings {
    /// What `settings` ask for.
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        Self {
            durations: settings.step_durations(),
            batch: settings.executor_batch.max(1),
            lease: Duration::from_secs_f64(settings.operations_lease_seconds.max(0.001)),
            policy: RetryPolicy {
                max_attempts: settings.operations_max_attempts.max(1),
                ..RetryPolicy::default()
            }
            .scaled(settings.operations_retry_scale),
            concurrency: settings.operations_concurrency.max(1),
            gather: Duration::from_millis(settings.executor_gather_ms),
            clock_offset: chrono::Duration::seconds(settings.engine_clock_offset_seconds),
            payment_deadline: chrono::Duration::seconds(
                i64::try_from(settings.order_deadline_seconds).unwrap_or(i64::MAX),
            ),
        }
    }
}
