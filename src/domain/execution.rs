//! What the bank's rules see and produce: the snapshot an order is judged on, a refusal,
//! and the events every order registers. What each kind checks and changes is declared in
//! `domain::kinds`. Pure functions over a snapshot: the engine loads the snapshot and writes
//! the [`Transition`] back in one transaction, so a step's effect, its completion and its
//! events commit together. How an order moves through its steps is [`machine`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::account::{Account, AccountChange, Mandate, Posting};
use super::card::{Arrangement, Card, Customer};
use super::identifier::{ArrangementNumber, CardId};
use super::operation::Produced;
use super::order::{Order, OrderKind, OrderRequest};
use super::standing_order::StandingOrder;
use super::xml::element;
use super::{CustomerNumber, EventKind};

mod machine;

pub use machine::{
    Advanced, advance, cancel, complete_operation, confirm, reject_held, retry, start,
};

/// What the rules see when they judge an order.
#[derive(Debug, Default, Clone, Copy)]
pub struct Context<'a> {
    /// The order's card, if it is about one and it exists.
    pub card: Option<&'a Card>,
    /// The arrangement: the card's, or the one an issuance names.
    pub arrangement: Option<&'a Arrangement>,
    /// Every card on that arrangement (for the card limit and the additional-card rule).
    pub arrangement_cards: &'a [Card],
    /// The customer who would hold an additional card.
    pub authorized_customer: Option<&'a Customer>,
    /// The accounts an account order judges: its own, the settlement accounts it names,
    /// the account its account is linked to and the accounts linked to it.
    pub accounts: Option<&'a HashMap<ArrangementNumber, Account>>,
    /// The customers the order names (the holders of mandates it grants), by number.
    pub customers: Option<&'a HashMap<String, Customer>>,
    /// The mandates on the accounts a mandate order judges.
    pub mandates: &'a [Mandate],
    /// The active standing orders paying from the accounts an order judges them on.
    pub standing_orders: &'a [StandingOrder],
}

impl<'a> Context<'a> {
    /// One of the loaded accounts.
    pub fn account(&self, number: &ArrangementNumber) -> Option<&'a Account> {
        self.accounts.and_then(|accounts| accounts.get(number))
    }

    /// One of the customers the order names, if it exists.
    pub fn customer(&self, number: &CustomerNumber) -> Option<&'a Customer> {
        self.customers
            .and_then(|customers| customers.get(number.as_str()))
    }

    /// The loaded accounts linked to `number` (a deposit or loan drawing on it).
    pub fn linked_to(&self, number: &'a ArrangementNumber) -> impl Iterator<Item = &'a Account> {
        self.accounts
            .into_iter()
            .flat_map(HashMap::values)
            .filter(move |a| a.linked.as_ref() == Some(number))
    }
}

/// A business rule's refusal, with the stable literal of API.md section 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The `problem` literal.
    pub problem: &'static str,
    /// 409 (the current state conflicts) rather than 422 (a policy forbids it).
    pub conflict: bool,
    /// A sentence, kept as the order's rejection reason.
    pub reason: String,
}

impl Refusal {
    pub(crate) fn conflict(problem: &'static str, reason: impl Into<String>) -> Self {
        Self {
            problem,
            conflict: true,
            reason: reason.into(),
        }
    }

    pub(crate) fn policy(problem: &'static str, reason: impl Into<String>) -> Self {
        Self {
            problem,
            conflict: false,
            reason: reason.into(),
        }
    }
}

/// Judges `request` against the current state: at acceptance and again at execution.
pub fn check(request: &OrderRequest, ctx: &Context<'_>) -> Result<(), Refusal> {
    request.rules().check(ctx)
}

/// An event an order registers, written in the same transaction as the step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDraft {
    /// Whose history.
    pub customer_number: CustomerNumber,
    /// Arrangement activity or communication.
    pub kind: EventKind,
    /// A sentence.
    pub description: Option<String>,
    /// The event's data.
    pub xml: String,
}

/// Everything one executor pass changes, to be committed atomically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The order as it now stands.
    pub order: Order,
    /// Existing cards whose state changed.
    pub changed_cards: Vec<Card>,
    /// Cards produced.
    pub new_cards: Vec<Card>,
    /// Events to register.
    pub events: Vec<EventDraft>,
    /// Money moved, booked once per (order, leg).
    pub postings: Vec<Posting>,
    /// Accounts whose state or product changed.
    pub account_changes: Vec<AccountChange>,
    /// Mandates granted or changed (a revocation), written as they now stand.
    pub mandates: Vec<Mandate>,
    /// Standing orders set up.
    pub standing_orders: Vec<StandingOrder>,
    /// Why this transition set the order aside for a person, if it did: what operators
    /// count (a rise of one cause points at one kind of trouble), while `hold-reason`
    /// says it to staff in words.
    pub held: Option<HoldCause>,
}

/// Why the engine held an order (API.md section 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldCause {
    /// The system of record failed transiently as many times as allowed.
    RetriesExhausted,
    /// The system of record's answer asked for a person (a reused key, an answer the
    /// adapter cannot read).
    SystemOfRecord,
    /// The system carried out the operation but bankapi's tables cannot follow it.
    MirrorDrift,
}

impl HoldCause {
    /// The label operators see on the metric.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RetriesExhausted => "retries-exhausted",
            Self::SystemOfRecord => "system-of-record",
            Self::MirrorDrift => "mirror-drift",
        }
    }
}

impl Transition {
    /// Nothing changed yet.
    pub fn of(order: Order) -> Self {
        Self {
            order,
            changed_cards: Vec::new(),
            new_cards: Vec::new(),
            events: Vec::new(),
            postings: Vec::new(),
            account_changes: Vec::new(),
            mandates: Vec::new(),
            standing_orders: Vec::new(),
            held: None,
        }
    }
}

/// Applies the action's effect to bankapi's tables, as the system of record answered it.
pub(crate) fn apply_effect(
    t: &mut Transition,
    ctx: &Context<'_>,
    now: DateTime<Utc>,
    produced: &Produced,
) -> Result<(), Refusal> {
    let request = t.order.request.clone();
    request.rules().apply(t, ctx, now, produced)
}

/// What happened, in the words of an arrangement-activity event.
fn activity(kind: OrderKind, outcome: &str) -> String {
    if outcome == "completed" {
        kind.def().completed_activity.to_owned()
    } else {
        format!("{}-{outcome}", kind.as_str())
    }
}

/// Registers the order's arrangement-activity event and its notification to the owner
/// (and to the holder, when someone else holds the card).
pub(crate) fn notify(t: &mut Transition, outcome: &str, reason: Option<&str>) {
    let order = &t.order;
    let number = order.number.to_string();
    let kind = order.kind();
    let card = order
        .result_card_id
        .as_ref()
        .or(order.card_id())
        .map(CardId::as_str);
    let activity = activity(kind, outcome);
    let description = match reason {
        Some(reason) => format!("Order {number} ({}) {outcome}: {reason}", kind.as_str()),
        None => format!("Order {number} ({}) {outcome}", kind.as_str()),
    };
    t.events.push(EventDraft {
        customer_number: order.owner.clone(),
        kind: EventKind::ArrangementActivityEvent,
        description: Some(description.clone()),
        xml: element(
            "arrangement-activity",
            &[
                (
                    "arrangement-number",
                    Some(order.arrangement_number.as_str()),
                ),
                ("activity", Some(&activity)),
                ("card-id", card),
                ("workitem-id", Some(&number)),
            ],
        ),
    });
    let mut recipients = vec![order.owner.clone()];
    if order.holder != order.owner {
        recipients.push(order.holder.clone());
    }
    for recipient in recipients {
        t.events.push(EventDraft {
            customer_number: recipient.clone(),
            kind: EventKind::CommunicationEvent,
            description: Some(description.clone()),
            xml: element(
                "communication-event",
                &[
                    ("customer-number", Some(recipient.as_str())),
                    ("workitem-id", Some(&number)),
                    ("from", Some("Bank")),
                    ("to", Some(recipient.as_str())),
                    ("title", Some(&format!("Your order {number} is {outcome}"))),
                    ("medium", Some("sms")),
                    ("purpose", Some("order-notification")),
                    ("communication-type", Some("general-communication")),
                ],
            ),
        });
    }
}

#[cfg(test)]
mod card_rule_tests;
#[cfg(test)]
mod confirm_tests;
#[cfg(test)]
mod hold_tests;
#[cfg(test)]
mod tests;
