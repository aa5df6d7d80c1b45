//! A request budget per client, so that one runaway app or scraper cannot take the
//! service from everybody else.
//!
//! The client is the verified token's OAuth client and subject: a limit by IP address
//! would put every customer behind the bank's gateway into one bucket, and a limit taken
//! before verification could be dodged by inventing subjects. Requests without a valid
//! token are refused with 401 before they cost anything but the signature check, so they
//! are not counted here. The algorithm is GCRA from the `governor` crate: a steady rate
//! with a burst allowance, and an exact wait to put in `Retry-After`.
//!
//! Every counted answer tells the client where it stands, in the `RateLimit-Policy` and
//! `RateLimit` fields of the IETF draft "RateLimit header fields for HTTP" (API.md
//! section 11): the policy's quota `q` (the burst) over its window `w` (the seconds in
//! which a spent burst refills), and what remains `r` with the seconds `t` until the
//! whole quota is back.

use std::num::NonZeroU32;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::ApiError;
use crate::auth::Principal;

/// Forgets clients idle for this long, so the table does not grow without bound.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// The name of the policy in both header fields.
const POLICY: &str = "per-client";

type Limiter = DefaultKeyedRateLimiter<String, StateInformationMiddleware>;

/// The per-client budget; `None` inside when limiting is off.
#[derive(Clone)]
pub struct ClientRateLimiter {
    limiter: Option<Arc<Limiter>>,
    per_second: u32,
    burst: u32,
}

/// Where a request stands against its client's budget, for the response's header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// The budget's burst (`q`).
    pub quota: u32,
    /// Seconds in which a spent burst refills (`w`).
    pub window: u64,
    /// Requests the client may still make at once (`r`).
    pub remaining: u32,
    /// Seconds until the whole burst is back (`t`).
    pub reset: u64,
}

impl ClientRateLimiter {
    /// `per_second` requests on average with bursts of up to `burst`; 0 turns limiting off.
    pub fn new(per_second: u32, burst: u32) -> Self {
        let burst = burst.max(per_second);
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(rate);
            Arc::new(
                RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
                    .with_middleware::<StateInformationMiddleware>(),
            )
        });
        Self {
            limiter,
            per_second,
            burst,
        }
    }

    /// Counts one request of `principal`: where it stands now, or how long it must wait.
    /// `None` when limiting is off.
    pub fn check(&self, principal: &Principal) -> Result<Option<Standing>, ApiError> {
        let Some(limiter) = &self.limiter else {
            return Ok(None);
        };
        let key = format!(
            "{}\u{1f}{}",
            principal.client.as_deref().unwrap_or_default(),
            principal.subject
        );
        match limiter.check_key(&key) {
            Ok(snapshot) => Ok(Some(self.standing(snapshot.remaining_burst_capacity()))),
            Err(not_until) => {
                metrics::counter!("bankapi_rate_limited_total").increment(1);
                tracing::info!(subject = %principal.subject, "rate limited");
                Err(ApiError::TooManyRequests {
                    retry_after: not_until.wait_time_from(DefaultClock::default().now()),
                })
            }
        }
    }

    /// The standing of a client with `remaining` requests left of the burst.
    fn standing(&self, remaining: u32) -> Standing {
        let rate = u64::from(self.per_second.max(1));
        let spent = u64::from(self.burst.saturating_sub(remaining));
        Standing {
            quota: self.burst,
            window: u64::from(self.burst).div_ceil(rate),
            remaining,
            reset: spent.div_ceil(rate),
        }
    }

    /// The standing of a client that was just refused: nothing left until `retry_after`.
    fn exhausted(&self, retry_after: Duration) -> Option<Standing> {
        self.limiter.as_ref()?;
        Some(Standing {
            reset: super::problem::retry_after_seconds(retry_after),
            ..self.standing(0)
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

/// Carries the standing from the token extractor, which counts the request, to
/// [`add_headers`], which runs outside the handler and writes the answer's fields.
#[derive(Clone, Default)]
pub struct StandingSlot(Arc<OnceLock<Standing>>);

impl StandingSlot {
    /// Notes the request's standing; called once, by the extractor.
    pub fn fill(&self, standing: Standing) {
        let _ = self.0.set(standing);
    }
}

/// Writes `RateLimit-Policy` and `RateLimit` on every answer to a counted request,
/// including the 429 that refuses it (whose standing the error carries).
pub async fn add_headers(
    axum::extract::State(limiter): axum::extract::State<ClientRateLimiter>,
    mut request: Request,
    next: Next,
) -> Response {
    if limiter.limiter.is_none() {
        return next.run(request).await;
    }
    let slot = StandingSlot::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    let standing = slot.0.get().copied().or_else(|| {
        let retry_after = response.extensions().get::<RetryAfter>()?.0;
        limiter.exhausted(retry_after)
    });
    if let Some(standing) = standing {
        let headers = response.headers_mut();
        let policy = format!("\"{POLICY}\";q={};w={}", standing.quota, standing.window);
        let state = format!("\"{POLICY}\";r={};t={}", standing.remaining, standing.reset);
        for (name, value) in [("ratelimit-policy", policy), ("ratelimit", state)] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
    }
    response
}

/// Put on a 429 answer's extensions by the problem renderer, so that [`add_headers`] can
/// say the budget is spent without parsing `Retry-After` back.
#[derive(Debug, Clone, Copy)]
pub struct RetryAfter(pub Duration);

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
        let remaining: Vec<u32> = (0..3)
            .map(|_| limiter.check(&ana).unwrap().unwrap().remaining)
            .collect();
        assert_eq!(remaining, [2, 1, 0], "each request spends one of the burst");
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
    fn the_standing_counts_the_window_and_the_seconds_to_refill() {
        let limiter = ClientRateLimiter::new(50, 100);
        assert_eq!(
            limiter.standing(100),
            Standing {
                quota: 100,
                window: 2,
                remaining: 100,
                reset: 0
            }
        );
        assert_eq!(
            limiter.standing(49).reset,
            2,
            "51 spent at 50/s: 2 s to refill"
        );
        assert_eq!(
            limiter.exhausted(Duration::from_millis(20)).unwrap().reset,
            1
        );
    }

    #[test]
    fn zero_turns_limiting_off() {
        let limiter = ClientRateLimiter::new(0, 0);
        for _ in 0..1000 {
            assert_eq!(limiter.check(&principal("ana")).unwrap(), None);
        }
    }
}
