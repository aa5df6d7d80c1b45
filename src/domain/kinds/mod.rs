//! The order kinds. Each kind declares, in its own file, what the engine needs to know of
//! it: its steps ([`KindDef`]), the rules it checks at acceptance and again at execution,
//! the effect its action has on bankapi's tables, and the fields its operation carries to
//! the system of record ([`Rules`]). The engine and the step machine only ever see these
//! two, so a new kind is a new file here and a variant of [`OrderRequest`]; nothing in
//! `execution`, `engine` or `store` changes.
//!
//! [`OrderRequest`]: super::order::OrderRequest

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::CustomerNumber;
use super::execution::{Context, Refusal, Transition};
use super::identifier::{ArrangementNumber, CardId, MandateNumber};
use super::operation::Produced;
use super::order::{Phase, StepDef};

mod account;
pub(super) mod account_termination;
pub(super) mod additional_card_issuance;
pub(super) mod arrangement_amendment;
mod card;
pub(super) mod card_activation;
pub(super) mod card_blockade;
pub(super) mod card_deblockade;
pub(super) mod card_replacement;
pub(super) mod card_termination;
pub(super) mod deposit_payout;
pub(super) mod deposit_termination;
pub(super) mod early_redemption;
pub(super) mod mandate_assignment;
pub(super) mod mandate_revocation;
pub(super) mod standing_order;
pub(super) mod standing_order_payment;

pub use account_termination::{AccountTermination, Settlement};
pub use additional_card_issuance::AdditionalCardIssuance;
pub use arrangement_amendment::ArrangementAmendment;
pub use card_activation::CardActivation;
pub use card_blockade::CardBlockade;
pub use card_deblockade::CardDeblockade;
pub use card_replacement::CardReplacement;
pub use card_termination::CardTermination;
pub use deposit_payout::DepositPayout;
pub use deposit_termination::DepositTermination;
pub use early_redemption::EarlyRedemption;
pub use mandate_assignment::{MAX_GRANTS, MandateAssignment, MandateGrant};
pub use mandate_revocation::MandateRevocation;
pub use standing_order::{StandingOrderSetup, set_up_before};
pub use standing_order_payment::{StandingOrderPayment, payment_order};

/// What a kind is, independent of any one request: its names and its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindDef {
    /// The `order-type` literal.
    pub literal: &'static str,
    /// The collection resource (`/customer-order/{resource}`).
    pub resource: &'static str,
    /// The steps, in order: check, action, notify.
    pub steps: &'static [StepDef],
    /// The arrangement-activity literal of a completed order (`card-blocked`).
    pub completed_activity: &'static str,
}

impl StepDef {
    /// A step of `phase` that takes `seconds` by default.
    pub const fn new(name: &'static str, phase: Phase, seconds: u64) -> Self {
        Self {
            name,
            phase,
            default: Duration::from_secs(seconds),
        }
    }
}

/// The three steps every kind has so far: its check, its action, and the notification.
pub(crate) const fn plan(check: (&'static str, u64), action: (&'static str, u64)) -> [StepDef; 3] {
    [
        StepDef::new(check.0, Phase::Check, check.1),
        StepDef::new(action.0, Phase::Action, action.1),
        StepDef::new("notify-customer", Phase::Notify, 0),
    ]
}

/// The four steps of a kind that waits for the customer's `confirm` after its check
/// (API.md section 9): check, confirmation, action, notification.
pub(crate) const fn confirmed_plan(
    check: (&'static str, u64),
    action: (&'static str, u64),
) -> [StepDef; 4] {
    [
        StepDef::new(check.0, Phase::Check, check.1),
        StepDef::new("await-confirmation", Phase::Confirm, 0),
        StepDef::new(action.0, Phase::Action, action.1),
        StepDef::new("notify-customer", Phase::Notify, 0),
    ]
}

/// The rules of one kind, implemented by that kind's request.
pub trait Rules {
    /// Judges the request against the current state: at acceptance and again before the
    /// action's first call. A refusal ends the order `rejected`, changing nothing.
    fn check(&self, ctx: &Context<'_>) -> Result<(), Refusal>;

    /// Mirrors the action's effect in bankapi's tables, once the system of record has
    /// applied it; `produced` is what the system answered about anything it created.
    ///
    /// It judges the state at the answer, which a remote system can make differ from the
    /// state the check saw: a call repeated after a crash or after a write that found a
    /// balance moved runs on fresh state, where the creditor may have closed meanwhile.
    /// An `Err` says the mirror cannot follow what the system did; the order is then held
    /// for staff rather than completed with the mirror silently wrong. It must come before
    /// anything is added to `t`.
    fn apply(
        &self,
        t: &mut Transition,
        ctx: &Context<'_>,
        now: DateTime<Utc>,
        produced: &Produced,
    ) -> Result<(), Refusal>;

    /// The operation's body members besides those every operation carries, named as in
    /// the order's GET view.
    fn operation_fields(&self, fields: &mut Vec<(&'static str, serde_json::Value)>);

    /// The key under which at most one active order of the kind may exist, without the
    /// kind's literal: the same order twice for one subject is `request-already-exists`.
    fn duplicate_subject(&self) -> String;

    /// The card the order is about, if it is about one.
    fn card_id(&self) -> Option<&CardId> {
        None
    }

    /// The reason the customer gave, if the kind takes one.
    fn reason(&self) -> Option<&str> {
        None
    }

    /// The one customer the rules judge as the order's authorized customer (the holder
    /// of an additional card): given to them by name in their context, where
    /// [`Self::named_customers`] only has every named customer loaded.
    fn authorized_customer(&self) -> Option<&CustomerNumber> {
        None
    }

    /// The account an account order acts on (its arrangement), whose balances and links
    /// its rules judge: the accounts around it are loaded for them.
    fn account(&self) -> Option<&ArrangementNumber> {
        None
    }

    /// Accounts the order names besides its own (settlement accounts), which the rules
    /// must see; the store also loads the accounts linked to and from the order's own.
    fn named_accounts(&self) -> Vec<&ArrangementNumber> {
        Vec::new()
    }

    /// An account the order pays into that may be anyone's (a standing order's creditor):
    /// loaded for the rules when it is this bank's, but never required to be the caller's.
    fn payee(&self) -> Option<&ArrangementNumber> {
        None
    }

    /// Every customer the order names besides the owner, whom the rules must see: the
    /// holder of an additional card, the holders of the mandates an assignment grants.
    fn named_customers(&self) -> Vec<&CustomerNumber> {
        self.authorized_customer().into_iter().collect()
    }

    /// Whether the rules judge the mandates on the order's accounts (loaded for them).
    fn judges_mandates(&self) -> bool {
        false
    }

    /// Whether the rules judge the active standing orders paying from the order's
    /// account (a current account is not closed while one is).
    fn judges_standing_orders(&self) -> bool {
        false
    }

    /// The mandate the order is about, if it is about one.
    fn mandate(&self) -> Option<&MandateNumber> {
        None
    }

    /// Whether the action creates a card, whose id the system of record must answer.
    fn produces_card(&self) -> bool {
        false
    }
}
