//! Customer orders: kinds, statuses, numbers, and the steps each kind goes through.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::CustomerNumber;
use super::identifier::{ArrangementNumber, CardId};
use super::invalid::{ErrorLiteral, FieldError};

mod kind;
mod status;

pub use kind::{OrderKind, OrderRequest};
pub use status::OrderStatus;

/// What a step does, which decides the order's status while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// The bank's rules are checked; the order can still be canceled.
    Check,
    /// The order waits for the customer's `confirm`; unconfirmed, it expires at its
    /// deadline. It can still be canceled.
    Confirm,
    /// The card is changed: the irreversible step. Runs one order per card at a time.
    Action,
    /// The customer is told; events are registered.
    Notify,
}

/// One step of a kind's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepDef {
    /// Name shown in the order's `steps`.
    pub name: &'static str,
    /// What it does.
    pub phase: Phase,
    /// How long it takes unless configured otherwise (see [`StepDurations`]).
    pub default: Duration,
}

/// How long each step takes, configurable so demos can be slow and tests instant.
#[derive(Debug, Clone, Default)]
pub struct StepDurations {
    /// Multiplies every default (0 makes every step immediate).
    pub scale: f64,
    /// Overrides in seconds, keyed `kind.step` (`additional-card-issuance.produce-card`).
    pub overrides: BTreeMap<String, f64>,
    /// Whether actions run at a system of record, which takes its own time: their
    /// default durations are then zero (an override still applies).
    pub external_actions: bool,
}

impl StepDurations {
    /// Every step immediate: for tests and throughput benchmarks.
    pub fn zero() -> Self {
        Self {
            scale: 0.0,
            overrides: BTreeMap::new(),
            external_actions: false,
        }
    }

    /// The duration of one step.
    pub fn of(&self, kind: OrderKind, step: StepDef) -> Duration {
        let key = format!("{}.{}", kind.as_str(), step.name);
        let seconds = self.overrides.get(&key).copied().unwrap_or_else(|| {
            if self.external_actions && step.phase == Phase::Action {
                0.0
            } else {
                step.default.as_secs_f64() * self.scale
            }
        });
        Duration::from_secs_f64(seconds.max(0.0))
    }
}

/// An order's number: `WI` and ten digits, from a database sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderNumber(pub i64);

impl OrderNumber {
    /// Characters of an order number as written: `WI` and ten digits.
    pub const TEXT_LEN: usize = 12;

    /// Reads `WI0000492475`.
    pub fn parse(tag: &str, raw: &str) -> Result<Self, FieldError> {
        let digits = raw
            .strip_prefix("WI")
            .filter(|d| d.len() == 10 && d.bytes().all(|b| b.is_ascii_digit()));
        digits
            .and_then(|d| d.parse().ok())
            .map(Self)
            .ok_or_else(|| {
                FieldError::new(
                    tag,
                    ErrorLiteral::InvalidFormat,
                    format!("{tag} must be WI followed by ten digits, got {raw:?}"),
                )
            })
    }
}

impl fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WI{:010}", self.0)
    }
}

/// A step's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    /// Not started.
    Pending,
    /// Started; finishes at the order's next run.
    Running,
    /// Finished.
    Done,
    /// Never run (the order ended before).
    Skipped,
    /// Ended the order (its check refused it).
    Failed,
    /// Stopped with the order held: the system of record's answer awaits a person.
    Held,
}

/// One step of one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The step's name.
    pub name: String,
    /// Its progress.
    pub status: StepStatus,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Failed calls in a row to the system of record for this step, since it started,
    /// last made progress or was retried by staff: what the backoff and the hold
    /// threshold count.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempts: u32,
    /// Every call made for this step (first requests and polls): once there is one, the
    /// system may have applied the operation, so only its answer can end the step.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub calls: u32,
    /// Polls of a pending operation, which back off on their own scale.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub polls: u32,
    /// Why the last call failed, for staff deciding about a held order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The system of record's reference of a pending operation, polled until final.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// An order and everything known about its progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// `WI...`.
    pub number: OrderNumber,
    /// What was asked.
    pub request: OrderRequest,
    /// Free text from the customer.
    pub description: Option<String>,
    /// Who owns the card or arrangement.
    pub owner: CustomerNumber,
    /// Who holds the card (for an issuance: the authorized customer).
    pub holder: CustomerNumber,
    /// The arrangement concerned.
    pub arrangement_number: ArrangementNumber,
    /// Where it stands.
    pub status: OrderStatus,
    /// When the status last changed.
    pub status_date: DateTime<Utc>,
    /// When it was accepted.
    pub creation_date: DateTime<Utc>,
    /// Not executed by then: expired.
    pub deadline: DateTime<Utc>,
    /// The kind's steps with their progress.
    pub steps: Vec<Step>,
    /// Index of the step under way (== steps.len() once final).
    pub current_step: usize,
    /// When the executor should look at it next; `None` once final.
    pub next_run_at: Option<DateTime<Utc>>,
    /// Why it was rejected or expired, or why the customer canceled it (if they said).
    pub rejection_reason: Option<String>,
    /// The card the order produced.
    pub result_card_id: Option<CardId>,
    /// Why the order is held, while it is.
    pub hold_reason: Option<String>,
}

/// Who an order is for and what it is about, as known when it is accepted.
#[derive(Debug, Clone)]
pub struct Parties {
    /// Who owns the card or arrangement.
    pub owner: CustomerNumber,
    /// Who holds the card (for an issuance: the authorized customer).
    pub holder: CustomerNumber,
    /// The arrangement concerned.
    pub arrangement_number: ArrangementNumber,
}

impl Order {
    /// A new order for `request`, accepted at `now`, not yet started (see
    /// `execution::start`) nor numbered (the store numbers it): the one way a client's
    /// POST, the engine's schedule and the demo make an order.
    pub fn proposed(
        request: OrderRequest,
        description: Option<String>,
        parties: Parties,
        now: DateTime<Utc>,
        deadline: DateTime<Utc>,
    ) -> Self {
        Self {
            number: OrderNumber(0),
            request,
            description,
            owner: parties.owner,
            holder: parties.holder,
            arrangement_number: parties.arrangement_number,
            status: OrderStatus::Proposed,
            status_date: now,
            creation_date: now,
            deadline,
            steps: Vec::new(),
            current_step: 0,
            next_run_at: None,
            rejection_reason: None,
            result_card_id: None,
            hold_reason: None,
        }
    }

    /// The kind.
    pub fn kind(&self) -> OrderKind {
        self.request.kind()
    }

    /// The card the order concerns, if any.
    pub fn card_id(&self) -> Option<&CardId> {
        self.request.card_id()
    }

    /// The phase of the step under way, if any.
    pub fn phase(&self) -> Option<Phase> {
        self.kind().steps().get(self.current_step).map(|s| s.phase)
    }

    /// The key under which orders run their actions one at a time, in the order they were
    /// accepted: the arrangement, for card orders too. A card's orders could not run
    /// apart from its arrangement's anyway: a replacement adds a card that an issuance's
    /// card limit counts, and activating a replacement terminates the card it replaces.
    /// One key per arrangement means no two operations on one arrangement's cards are
    /// ever in flight at once, so a step can be judged and completed without locks.
    pub fn serial_key(&self) -> String {
        format!("arrangement:{}", self.arrangement_number)
    }

    /// The `Idempotency-Key` of this order's call for `step` at the system of record:
    /// one per (order, step), the same on every retry, forever (API.md section 7).
    pub fn operation_key(&self, step: &str) -> String {
        format!("{}:{step}", self.number)
    }

    /// The key under which at most one active order of a kind may exist: the same order
    /// twice for the same card (or holder and arrangement) is `request-already-exists`.
    pub fn duplicate_key(&self) -> String {
        format!(
            "{}:{}",
            self.kind().as_str(),
            self.request.rules().duplicate_subject()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_round_trip() {
        let number = OrderNumber::parse("id", "WI0000492475").unwrap();
        assert_eq!(number.0, 492_475);
        assert_eq!(number.to_string(), "WI0000492475");
        for bad in [
            "WI123",
            "XX0000492475",
            "WI00004924a5",
            "wi0000492475",
            "WI00004924750",
        ] {
            assert!(OrderNumber::parse("id", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn friendly_statuses_follow_the_contract() {
        use OrderStatus::*;
        let pairs = [
            (Proposed, "active"),
            (Approved, "active"),
            (AwaitingConfirmation, "active"),
            (ExternalProcessingInProgress, "active"),
            (ExternalProcessingSucceeded, "complete"),
            (Canceled, "abandoned"),
            (Rejected, "rejected"),
            (Expired, "expired"),
            (Held, "suspended"),
        ];
        for (status, friendly) in pairs {
            assert_eq!(status.friendly(), friendly);
        }
    }

    #[test]
    fn durations_scale_and_override() {
        let kind = OrderKind::AdditionalCardIssuance;
        let [check, action, notify] = kind.steps() else {
            panic!("an issuance has three steps");
        };
        let (check, action, notify) = (*check, *action, *notify);
        let normal = StepDurations {
            scale: 1.0,
            ..StepDurations::default()
        };
        assert_eq!(normal.of(kind, check), Duration::from_secs(60));
        assert_eq!(normal.of(kind, notify), Duration::ZERO);
        let mut fast = StepDurations::zero();
        fast.overrides
            .insert("additional-card-issuance.produce-card".into(), 2.0);
        assert_eq!(fast.of(kind, check), Duration::ZERO);
        assert_eq!(fast.of(kind, action), Duration::from_secs(2));
    }
}
