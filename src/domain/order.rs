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
use super::kinds::{self, KindDef, Rules};

/// The kinds of order: six card orders and the account orders of API.md section 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OrderKind {
    /// A card for an authorized customer on someone else's arrangement.
    AdditionalCardIssuance,
    /// `inactive` -> `active`.
    CardActivation,
    /// `active`/`inactive` -> `suspended`.
    CardBlockade,
    /// `suspended` -> `active`, unless lost or stolen.
    CardDeblockade,
    /// Anything -> `terminated`.
    CardTermination,
    /// A new card for the same holder.
    CardReplacement,
    /// Closing a current account, its balance settled; waits for confirmation.
    CurrentAccountTermination,
    /// Closing a bundled (package) account, as a current account.
    BundledAccountTermination,
    /// Early redemption of a credit facility from its linked current account.
    CreditFacilityTermination,
    /// Early redemption of a loan from its linked current account.
    LoanTermination,
    /// Mandates granted on the initiator's accounts.
    MandateAssignment,
    /// A mandate ended.
    MandateRevocation,
    /// An account moved to another product of its kind.
    ArrangementAmendment,
    /// A deposit ended early and paid out to its current account; waits for confirmation.
    DepositAccountTermination,
    /// A deposit's interest paid out to its current account.
    DepositPayout,
    /// A standing order set up: from then on it pays on its dates.
    StandingOrder,
    /// One payment of a standing order, made by the engine on its date.
    StandingOrderPayment,
}

impl OrderKind {
    /// Every kind.
    pub const ALL: [OrderKind; 17] = [
        Self::AdditionalCardIssuance,
        Self::CardActivation,
        Self::CardBlockade,
        Self::CardDeblockade,
        Self::CardTermination,
        Self::CardReplacement,
        Self::CurrentAccountTermination,
        Self::BundledAccountTermination,
        Self::CreditFacilityTermination,
        Self::LoanTermination,
        Self::MandateAssignment,
        Self::MandateRevocation,
        Self::ArrangementAmendment,
        Self::DepositAccountTermination,
        Self::DepositPayout,
        Self::StandingOrder,
        Self::StandingOrderPayment,
    ];

    /// What the kind declares of itself, in its own file under `domain::kinds`.
    pub fn def(self) -> &'static KindDef {
        match self {
            Self::AdditionalCardIssuance => &kinds::additional_card_issuance::DEF,
            Self::CardActivation => &kinds::card_activation::DEF,
            Self::CardBlockade => &kinds::card_blockade::DEF,
            Self::CardDeblockade => &kinds::card_deblockade::DEF,
            Self::CardTermination => &kinds::card_termination::DEF,
            Self::CardReplacement => &kinds::card_replacement::DEF,
            Self::CurrentAccountTermination => &kinds::account_termination::CURRENT,
            Self::BundledAccountTermination => &kinds::account_termination::BUNDLED,
            Self::CreditFacilityTermination => &kinds::early_redemption::CREDIT_FACILITY,
            Self::LoanTermination => &kinds::early_redemption::LOAN,
            Self::MandateAssignment => &kinds::mandate_assignment::DEF,
            Self::MandateRevocation => &kinds::mandate_revocation::DEF,
            Self::ArrangementAmendment => &kinds::arrangement_amendment::DEF,
            Self::DepositAccountTermination => &kinds::deposit_termination::DEF,
            Self::DepositPayout => &kinds::deposit_payout::DEF,
            Self::StandingOrder => &kinds::standing_order::DEF,
            Self::StandingOrderPayment => &kinds::standing_order_payment::DEF,
        }
    }

    /// The `order-type` literal.
    pub fn as_str(self) -> &'static str {
        self.def().literal
    }

    /// The collection resource (`/customer-order/{resource}`).
    pub fn resource(self) -> &'static str {
        self.def().resource
    }

    /// Where an order of the kind is read by its number: its own collection, or the
    /// newer generation's `/orders` for a kind that has none (a standing order's
    /// payments, which the engine makes and no client posts).
    pub fn link_resource(self) -> &'static str {
        match self {
            Self::StandingOrderPayment => "orders",
            _ => self.resource(),
        }
    }

    /// Reads a stored literal.
    pub fn from_stored(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// Reads a kind given as a filter: the literal or the resource name.
    pub fn parse(tag: &str, raw: &str) -> Result<Self, FieldError> {
        let wanted = raw.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == wanted || k.resource() == wanted)
            .ok_or_else(|| {
                FieldError::new(
                    tag,
                    ErrorLiteral::UnknownEnum,
                    format!(
                        "{tag} must be one of {}, got {raw:?}",
                        Self::ALL.map(Self::as_str).join(", ")
                    ),
                )
            })
    }

    /// The kind's steps, in order.
    pub fn steps(self) -> &'static [StepDef] {
        self.def().steps
    }
}

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

/// Where an order stands (the `workitem-processing-status` classification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OrderStatus {
    /// Accepted, waiting to be checked.
    Proposed,
    /// Checked, queued for execution.
    Approved,
    /// Checked, waiting for the customer's `confirm` until its deadline.
    AwaitingConfirmation,
    /// Being executed.
    ExternalProcessingInProgress,
    /// Executed.
    ExternalProcessingSucceeded,
    /// Canceled before execution.
    Canceled,
    /// Refused by a business rule, changing nothing.
    Rejected,
    /// Not executed before its deadline.
    Expired,
    /// Set aside for a person to decide: the system of record kept failing or answered
    /// something bankapi cannot use (API.md section 8).
    Held,
}

impl OrderStatus {
    /// Every status.
    pub const ALL: [OrderStatus; 9] = [
        Self::Proposed,
        Self::Approved,
        Self::AwaitingConfirmation,
        Self::ExternalProcessingInProgress,
        Self::ExternalProcessingSucceeded,
        Self::Canceled,
        Self::Rejected,
        Self::Expired,
        Self::Held,
    ];

    /// The literal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Approved => "approved",
            Self::AwaitingConfirmation => "awaiting-confirmation",
            Self::ExternalProcessingInProgress => "external-processing-in-progress",
            Self::ExternalProcessingSucceeded => "external-processing-succeeded",
            Self::Canceled => "canceled",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
            Self::Held => "held",
        }
    }

    /// Reads a stored literal.
    pub fn from_stored(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Spellings a filter takes beside the literals: the API family's reference writes
    /// `external-processing-succeded`.
    pub const ALIASES: [(&'static str, OrderStatus); 1] = [(
        "external-processing-succeded",
        Self::ExternalProcessingSucceeded,
    )];

    /// Reads a filter value: a literal or one of [`OrderStatus::ALIASES`].
    pub fn from_input(raw: &str) -> Option<Self> {
        Self::from_stored(raw).or_else(|| {
            Self::ALIASES
                .into_iter()
                .find(|(alias, _)| *alias == raw)
                .map(|(_, status)| status)
        })
    }

    /// Every spelling [`OrderStatus::from_input`] takes, for the documents.
    pub fn spellings() -> impl Iterator<Item = &'static str> {
        Self::ALL
            .map(Self::as_str)
            .into_iter()
            .chain(Self::ALIASES.map(|(alias, _)| alias))
    }

    /// The status as the customer sees it.
    pub fn friendly(self) -> &'static str {
        match self {
            Self::Proposed
            | Self::Approved
            | Self::AwaitingConfirmation
            | Self::ExternalProcessingInProgress => "active",
            Self::ExternalProcessingSucceeded => "complete",
            Self::Canceled => "abandoned",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
            Self::Held => "suspended",
        }
    }

    /// Whether nothing more will happen to the order.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::ExternalProcessingSucceeded | Self::Canceled | Self::Rejected | Self::Expired
        )
    }

    /// Whether the order may still be canceled: its irreversible step has not started.
    pub fn is_cancelable(self) -> bool {
        matches!(
            self,
            Self::Proposed | Self::Approved | Self::AwaitingConfirmation
        )
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

/// What the customer asked for, per kind; reasons are checked literals. Each variant's
/// request lives in its kind's file under `domain::kinds`, with its rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum OrderRequest {
    /// An additional card.
    AdditionalCardIssuance(kinds::AdditionalCardIssuance),
    /// Activate a card.
    CardActivation(kinds::CardActivation),
    /// Block a card.
    CardBlockade(kinds::CardBlockade),
    /// Unblock a card.
    CardDeblockade(kinds::CardDeblockade),
    /// Terminate a card.
    CardTermination(kinds::CardTermination),
    /// Replace a card.
    CardReplacement(kinds::CardReplacement),
    /// Close a current account.
    CurrentAccountTermination(kinds::AccountTermination),
    /// Close a bundled account.
    BundledAccountTermination(kinds::AccountTermination),
    /// Redeem a credit facility early.
    CreditFacilityTermination(kinds::EarlyRedemption),
    /// Redeem a loan early.
    LoanTermination(kinds::EarlyRedemption),
    /// Grant mandates.
    MandateAssignment(kinds::MandateAssignment),
    /// Revoke a mandate.
    MandateRevocation(kinds::MandateRevocation),
    /// Change an account's product.
    ArrangementAmendment(kinds::ArrangementAmendment),
    /// End a deposit early.
    DepositAccountTermination(kinds::DepositTermination),
    /// Pay out a deposit's interest.
    DepositPayout(kinds::DepositPayout),
    /// Set up a standing order.
    StandingOrder(kinds::StandingOrderSetup),
    /// Make one payment of a standing order.
    StandingOrderPayment(kinds::StandingOrderPayment),
}

impl OrderRequest {
    /// The kind this request is of.
    pub fn kind(&self) -> OrderKind {
        match self {
            Self::AdditionalCardIssuance(_) => OrderKind::AdditionalCardIssuance,
            Self::CardActivation(_) => OrderKind::CardActivation,
            Self::CardBlockade(_) => OrderKind::CardBlockade,
            Self::CardDeblockade(_) => OrderKind::CardDeblockade,
            Self::CardTermination(_) => OrderKind::CardTermination,
            Self::CardReplacement(_) => OrderKind::CardReplacement,
            Self::CurrentAccountTermination(_) => OrderKind::CurrentAccountTermination,
            Self::BundledAccountTermination(_) => OrderKind::BundledAccountTermination,
            Self::CreditFacilityTermination(_) => OrderKind::CreditFacilityTermination,
            Self::LoanTermination(_) => OrderKind::LoanTermination,
            Self::MandateAssignment(_) => OrderKind::MandateAssignment,
            Self::MandateRevocation(_) => OrderKind::MandateRevocation,
            Self::ArrangementAmendment(_) => OrderKind::ArrangementAmendment,
            Self::DepositAccountTermination(_) => OrderKind::DepositAccountTermination,
            Self::DepositPayout(_) => OrderKind::DepositPayout,
            Self::StandingOrder(_) => OrderKind::StandingOrder,
            Self::StandingOrderPayment(_) => OrderKind::StandingOrderPayment,
        }
    }

    /// The kind's rules, which the engine applies without knowing the kind.
    pub fn rules(&self) -> &dyn Rules {
        match self {
            Self::AdditionalCardIssuance(r) => r,
            Self::CardActivation(r) => r,
            Self::CardBlockade(r) => r,
            Self::CardDeblockade(r) => r,
            Self::CardTermination(r) => r,
            Self::CardReplacement(r) => r,
            Self::CurrentAccountTermination(r) | Self::BundledAccountTermination(r) => r,
            Self::CreditFacilityTermination(r) | Self::LoanTermination(r) => r,
            Self::MandateAssignment(r) => r,
            Self::MandateRevocation(r) => r,
            Self::ArrangementAmendment(r) => r,
            Self::DepositAccountTermination(r) => r,
            Self::DepositPayout(r) => r,
            Self::StandingOrder(r) => r,
            Self::StandingOrderPayment(r) => r,
        }
    }

    /// The card the order is about, if it is about one.
    pub fn card_id(&self) -> Option<&CardId> {
        self.rules().card_id()
    }

    /// The reason given, if any.
    pub fn reason(&self) -> Option<&str> {
        self.rules().reason()
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
