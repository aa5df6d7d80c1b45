//! Operations at the bank's systems of record (API.md section 7): what an order's action
//! step asks of the card processor or core banking, what can come back, and how failures
//! are paced. Pure data and arithmetic; the adapters that carry an operation live in
//! `crate::operations`, the engine that decides when in `crate::engine`.

use std::time::Duration;

use chrono::NaiveDate;

use super::identifier::CardId;
use super::order::Order;

/// One call an order's action step makes: a first request, or a poll of a pending one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The step's name, also the operation's name (`activate-card`).
    pub name: &'static str,
    /// `{order-number}:{step-name}`: the same for every attempt, forever.
    pub idempotency_key: String,
    /// The system's reference of a pending operation: the call is then a poll.
    pub poll: Option<String>,
    /// The body's members besides `operation`, in the names the order's GET view uses.
    pub fields: Vec<(&'static str, serde_json::Value)>,
    /// The key under which operations run one at a time (see [`Order::serial_key`]).
    pub serial_key: String,
    /// Whether the operation produces a card, whose id the system must then answer.
    pub produces_card: bool,
}

impl Operation {
    /// The call `order`'s step `name` makes now.
    pub fn of(order: &Order, name: &'static str, poll: Option<String>) -> Self {
        let mut fields = vec![
            ("order-number", order.number.to_string().into()),
            ("order-type", order.kind().as_str().into()),
            ("customer-number", order.owner.as_str().into()),
            (
                "arrangement-number",
                order.arrangement_number.to_string().into(),
            ),
        ];
        let rules = order.request.rules();
        rules.operation_fields(&mut fields);
        Self {
            name,
            idempotency_key: order.operation_key(name),
            poll,
            fields,
            serial_key: order.serial_key(),
            produces_card: rules.produces_card(),
        }
    }
}

/// What the system answered about a card it produced; bankapi records that card.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Produced {
    /// The new card's id.
    pub card_id: Option<CardId>,
    /// Its plastic's serial number.
    pub serial_number: Option<String>,
    /// Its masked number.
    pub masked_number: Option<String>,
    /// Its last valid day.
    pub expiry_date: Option<NaiveDate>,
}

/// How one call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done; bankapi mirrors the effect.
    Succeeded {
        /// The system's reference, if it gave one.
        reference: Option<String>,
        /// What it produced.
        produced: Produced,
    },
    /// Accepted, not finished: poll `reference`.
    Pending {
        /// What to poll.
        reference: String,
    },
    /// Refused for good: the order ends rejected with this reason.
    Declined {
        /// The system's words.
        reason: String,
    },
    /// Worth another try later: a 5xx, a 429, a timeout, a refused connection, an
    /// unreadable body.
    Transient {
        /// What went wrong, for the step's `last-error`.
        error: String,
        /// The system's own `Retry-After`, honoured over the backoff when longer.
        retry_after: Option<Duration>,
    },
    /// Retrying cannot help (the key was refused as reused, or the answer breaks the
    /// contract): the order is held for a person.
    Hold {
        /// Why, for the order's `hold-reason`.
        reason: String,
    },
}

impl Outcome {
    /// The built-in adapter's answer: bankapi is its own system of record, so the
    /// operation is done as soon as its step is due.
    pub fn applied_here() -> Self {
        Self::Succeeded {
            reference: None,
            produced: Produced::default(),
        }
    }

    /// The label metrics and logs use.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Succeeded { .. } => "succeeded",
            Self::Pending { .. } => "pending",
            Self::Declined { .. } => "declined",
            Self::Transient { .. } => "transient",
            Self::Hold { .. } => "hold",
        }
    }
}

/// How failed calls are retried and pending ones polled (API.md section 7).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts before the order is held.
    pub max_attempts: u32,
    /// The first retry's delay; each next one doubles it.
    pub base: Duration,
    /// The longest delay between retries.
    pub cap: Duration,
    /// The first poll's delay; each next one doubles it.
    pub poll_base: Duration,
    /// The longest delay between polls.
    pub poll_cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(300),
            poll_base: Duration::from_secs(1),
            poll_cap: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The policy with every delay multiplied by `scale` (tests run it fast).
    pub fn scaled(mut self, scale: f64) -> Self {
        let scale = scale.max(0.0);
        for delay in [
            &mut self.base,
            &mut self.cap,
            &mut self.poll_base,
            &mut self.poll_cap,
        ] {
            *delay = delay.mul_f64(scale);
        }
        self
    }

    /// The wait before attempt `attempts + 1`, after `attempts` failed ones: exponential,
    /// capped, spread by `jitter` (0 to 1, drawn by the caller) over 50 % to 150 % so that
    /// orders failing together do not retry together.
    pub fn retry_delay(&self, attempts: u32, jitter: f64) -> Duration {
        let exponent = attempts.saturating_sub(1).min(30);
        let raw = self.base.saturating_mul(1 << exponent).min(self.cap);
        raw.mul_f64(0.5 + jitter.clamp(0.0, 1.0))
    }

    /// The wait before poll `polls + 1`.
    pub fn poll_delay(&self, polls: u32) -> Duration {
        self.poll_base
            .saturating_mul(1 << polls.min(30))
            .min(self.poll_cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.retry_delay(1, 0.5), Duration::from_secs(1));
        assert_eq!(policy.retry_delay(2, 0.5), Duration::from_secs(2));
        assert_eq!(policy.retry_delay(3, 0.5), Duration::from_secs(4));
        assert_eq!(policy.retry_delay(20, 0.5), Duration::from_secs(300));
        assert_eq!(policy.retry_delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(policy.retry_delay(1, 1.0), Duration::from_millis(1500));
    }

    #[test]
    fn polls_back_off_from_one_second_to_a_minute() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.poll_delay(0), Duration::from_secs(1));
        assert_eq!(policy.poll_delay(3), Duration::from_secs(8));
        assert_eq!(policy.poll_delay(10), Duration::from_secs(60));
    }
}
