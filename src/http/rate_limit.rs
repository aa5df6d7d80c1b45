//! A request budget per client, so that one runaway app or scraper cannot take the
//! service from everybody else.
//!
//! The client is the verified token's OAuth client and subject: a limit by IP address
//! would put every customer behind the bank's gateway into one bucket, and a limit taken
//! before verification could be dodged by inventing subjects. Requests without a valid
//! token are refused with 401 before they cost anything but the signature check, so they
//! are not counted here. The algorithm is GCRA from the `governor` crate: a steady rate
//! with a burst allowance, and an exact wait to put in `Retry-After`.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::ApiError;
use crate::auth::Principal;

/// Forgets clients idle for this long, so the table does not grow without bound.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// The per-client budget; `None` inside when limiting is off.
#[derive(Clone)]
pub struct ClientRateLimiter {
    limiter: Option<Arc<DefaultKeyedRateLimiter<String>>>,
}

impl ClientRateLimiter {
    /// `per_second` requests on average with bursts of up to `burst`; 0 turns limiting off.
    pub fn new(per_second: u32, burst: u32) -> Self {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
            Arc::new(RateLimiter::keyed(
                Quota::per_second(rate).allow_burst(burst),
            ))
        });
        Self { limiter }
    }

    /// Counts one request of `principal`, or says how long it must wait.
    pub fn check(&self, principal: &Principal) -> Result<(), ApiError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        let key = format!(
            "{}\u{1f}{}",
            principal.client.as_deref().unwrap_or_default(),
            principal.subject
        );
        limiter.check_key(&key).map_err(|not_until| {
            metrics::counter!("bankapi_rate_limited_total").increment(1);
            tracing::info!(subject = %principal.subject, "rate limited");
            ApiError::TooManyRequests {
                retry_after: not_until.wait_time_from(DefaultClock::default().now()),
            }
        })
    }

    /// Drops the state of idle clients now and then, for as long as the service runs.
    pub fn spawn_sweeper(&self) -> Option<tokio::task::JoinHandle<()>> {
        let limiter = self.limiter.clone()?;
        Some(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(SWEEP_EVERY);
            loop {
                ticks.tick().await;
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(subject: &str) -> Principal {
        Principal {
            subject: subject.into(),
            client: Some("app".into()),
            customer_number: None,
            scopes: Vec::new(),
        }
    }

    #[test]
    fn a_client_gets_its_burst_then_a_wait() {
        let limiter = ClientRateLimiter::new(1, 3);
        let ana = principal("ana");
        for _ in 0..3 {
            assert!(limiter.check(&ana).is_ok());
        }
        match limiter.check(&ana) {
            Err(ApiError::TooManyRequests { retry_after }) => {
                assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(1));
            }
            other => panic!("expected a wait, got {other:?}"),
        }
    }

    #[test]
    fn clients_do_not_share_a_budget() {
        let limiter = ClientRateLimiter::new(1, 1);
        assert!(limiter.check(&principal("ana")).is_ok());
        assert!(limiter.check(&principal("ana")).is_err());
        assert!(limiter.check(&principal("marko")).is_ok());
    }

    #[test]
    fn zero_turns_limiting_off() {
        let limiter = ClientRateLimiter::new(0, 0);
        for _ in 0..1000 {
            assert!(limiter.check(&principal("ana")).is_ok());
        }
    }
}
