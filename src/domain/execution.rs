//! The bank's rules for orders: what each kind checks, what its effect is, and the events
//! it registers. Pure functions over a snapshot: the engine loads the snapshot and writes
//! the [`Transition`] back in one transaction, so a step's effect, its completion and its
//! events commit together. How an order moves through its steps is [`machine`].

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::card::{Arrangement, Card, CardStatus, Customer, mask};
use super::classification::is_lost_or_stolen;
use super::operation::Produced;
use super::order::{Order, OrderKind, OrderRequest};
use super::xml::element;
use super::{CustomerNumber, EventKind};

mod machine;

pub use machine::{Advanced, advance, cancel, complete_operation, reject_held, retry, start};

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

fn status_not_eligible(card: &Card, wanted: &str) -> Refusal {
    Refusal::conflict(
        "card-status-not-eligible",
        format!(
            "card {} is {}, so it cannot be {wanted}",
            card.id,
            card.status.as_str()
        ),
    )
}

/// Judges `request` against the current state: at acceptance and again at execution.
pub fn check(request: &OrderRequest, ctx: &Context<'_>) -> Result<(), Refusal> {
    if let OrderRequest::AdditionalCardIssuance {
        authorized_customer,
        arrangement_number,
    } = request
    {
        let arrangement = ctx.arrangement.ok_or_else(|| {
            Refusal::policy(
                "policy-violation",
                format!("arrangement {arrangement_number} does not exist"),
            )
        })?;
        if ctx.authorized_customer.is_none() {
            return Err(Refusal::policy(
                "policy-violation",
                format!("customer {authorized_customer} does not exist"),
            ));
        }
        if !arrangement.active {
            return Err(Refusal::policy(
                "policy-violation",
                format!("arrangement {arrangement_number} is not active"),
            ));
        }
        if !arrangement.allows_cards {
            return Err(Refusal::policy(
                "policy-violation",
                format!("arrangement {arrangement_number} does not allow cards"),
            ));
        }
        if &arrangement.owner == authorized_customer {
            return Err(Refusal::policy(
                "owner-can-not-have-additional-card",
                format!("customer {authorized_customer} owns arrangement {arrangement_number}"),
            ));
        }
        let live: Vec<&Card> = ctx
            .arrangement_cards
            .iter()
            .filter(|c| c.status != CardStatus::Terminated)
            .collect();
        if live
            .iter()
            .any(|c| &c.holder == authorized_customer && c.is_additional())
        {
            return Err(Refusal::conflict(
                "active-additional-card-already-exists",
                format!(
                    "customer {authorized_customer} already holds an additional card on {arrangement_number}"
                ),
            ));
        }
        if live.len() >= arrangement.card_limit as usize {
            return Err(Refusal::policy(
                "policy-violation",
                format!(
                    "arrangement {arrangement_number} already carries its limit of {} cards",
                    arrangement.card_limit
                ),
            ));
        }
        return Ok(());
    }
    let card = ctx.card.ok_or_else(|| {
        Refusal::conflict("card-status-not-eligible", "the card no longer exists")
    })?;
    match request {
        OrderRequest::CardActivation { .. } if card.status != CardStatus::Inactive => {
            Err(status_not_eligible(card, "activated"))
        }
        OrderRequest::CardBlockade { .. }
            if !matches!(card.status, CardStatus::Active | CardStatus::Inactive) =>
        {
            Err(status_not_eligible(card, "blocked"))
        }
        OrderRequest::CardDeblockade { .. } if card.status != CardStatus::Suspended => {
            Err(status_not_eligible(card, "unblocked"))
        }
        OrderRequest::CardDeblockade { .. }
            if card
                .blockade_reason
                .as_deref()
                .is_some_and(is_lost_or_stolen) =>
        {
            Err(Refusal::policy(
                "policy-violation",
                format!(
                    "card {} was blocked as lost or stolen; it must be replaced, not unblocked",
                    card.id
                ),
            ))
        }
        OrderRequest::CardTermination { .. } if card.status == CardStatus::Terminated => {
            Err(status_not_eligible(card, "terminated"))
        }
        OrderRequest::CardReplacement { .. } if card.status == CardStatus::Terminated => {
            Err(status_not_eligible(card, "replaced"))
        }
        OrderRequest::CardReplacement { .. } if card.replaced_by.is_some() => {
            Err(Refusal::conflict(
                "card-status-not-eligible",
                format!("card {} has already been replaced", card.id),
            ))
        }
        _ => Ok(()),
    }
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
}

impl Transition {
    /// Nothing changed yet.
    pub fn of(order: Order) -> Self {
        Self {
            order,
            changed_cards: Vec::new(),
            new_cards: Vec::new(),
            events: Vec::new(),
        }
    }
}

/// The card an order produces: identified by the order's number, so that one order can
/// never produce two.
/// What the system of record answered about the card takes precedence over the ids
/// bankapi would give it itself (the built-in adapter answers nothing).
fn new_card(
    order: &Order,
    holder: &CustomerNumber,
    arrangement: &Arrangement,
    now: DateTime<Utc>,
    replaces: Option<String>,
    produced: &Produced,
) -> Card {
    let digits = order.number.0;
    let bin = match arrangement.product_code.as_str() {
        "Visa" => "4571",
        "Maestro" => "6759",
        _ => "5356",
    };
    let expiry_year = now.year() + 4;
    let expiry = NaiveDate::from_ymd_opt(expiry_year, now.month(), 1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .and_then(|d| d.pred_opt())
        .unwrap_or_default();
    Card {
        id: produced
            .card_id
            .clone()
            .unwrap_or_else(|| format!("C{digits:010}")),
        serial_number: produced
            .serial_number
            .clone()
            .unwrap_or_else(|| format!("SN{digits:010}")),
        masked_number: produced
            .masked_number
            .clone()
            .unwrap_or_else(|| mask(bin, &format!("{:04}", digits % 10_000))),
        arrangement_number: arrangement.number.clone(),
        holder: holder.clone(),
        owner: arrangement.owner.clone(),
        product_code: arrangement.product_code.clone(),
        status: CardStatus::Inactive,
        blockade_reason: None,
        expiry_date: produced.expiry_date.unwrap_or(expiry),
        replaces,
        replaced_by: None,
        status_date: now,
    }
}

fn with_status(card: &Card, status: CardStatus, now: DateTime<Utc>) -> Card {
    Card {
        status,
        status_date: now,
        ..card.clone()
    }
}

/// Applies the action's effect to bankapi's tables, as the system of record answered it.
pub(crate) fn apply_effect(
    t: &mut Transition,
    ctx: &Context<'_>,
    now: DateTime<Utc>,
    produced: &Produced,
) {
    let request = t.order.request.clone();
    match (&request, ctx.card, ctx.arrangement) {
        (
            OrderRequest::AdditionalCardIssuance {
                authorized_customer,
                ..
            },
            _,
            Some(arrangement),
        ) => {
            let card = new_card(
                &t.order,
                authorized_customer,
                arrangement,
                now,
                None,
                produced,
            );
            t.order.result_card_id = Some(card.id.clone());
            t.new_cards.push(card);
        }
        (OrderRequest::CardActivation { .. }, Some(card), _) => {
            t.changed_cards
                .push(with_status(card, CardStatus::Active, now));
            // A replacement for a reason other than loss or theft keeps the old card
            // usable until the new one is activated.
            if let Some(old_id) = &card.replaces
                && let Some(old) = ctx.arrangement_cards.iter().find(|c| &c.id == old_id)
                && old.status != CardStatus::Terminated
            {
                t.changed_cards
                    .push(with_status(old, CardStatus::Terminated, now));
            }
        }
        (OrderRequest::CardBlockade { reason, .. }, Some(card), _) => {
            let mut blocked = with_status(card, CardStatus::Suspended, now);
            blocked.blockade_reason = Some(reason.clone());
            t.changed_cards.push(blocked);
        }
        (OrderRequest::CardDeblockade { .. }, Some(card), _) => {
            let mut active = with_status(card, CardStatus::Active, now);
            active.blockade_reason = None;
            t.changed_cards.push(active);
        }
        (OrderRequest::CardTermination { .. }, Some(card), _) => {
            t.changed_cards
                .push(with_status(card, CardStatus::Terminated, now));
        }
        (OrderRequest::CardReplacement { reason, .. }, Some(card), Some(arrangement)) => {
            let replacement = new_card(
                &t.order,
                &card.holder,
                arrangement,
                now,
                Some(card.id.clone()),
                produced,
            );
            let mut old = if is_lost_or_stolen(reason) {
                with_status(card, CardStatus::Terminated, now)
            } else {
                card.clone()
            };
            old.replaced_by = Some(replacement.id.clone());
            t.order.result_card_id = Some(replacement.id.clone());
            t.changed_cards.push(old);
            t.new_cards.push(replacement);
        }
        _ => {}
    }
}

/// What happened to the card, in the words of an arrangement-activity event.
fn activity(kind: OrderKind, outcome: &str) -> String {
    let done = match kind {
        OrderKind::AdditionalCardIssuance => "additional-card-issued",
        OrderKind::CardActivation => "card-activated",
        OrderKind::CardBlockade => "card-blocked",
        OrderKind::CardDeblockade => "card-unblocked",
        OrderKind::CardTermination => "card-terminated",
        OrderKind::CardReplacement => "card-replaced",
    };
    if outcome == "completed" {
        done.to_owned()
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
    let card = order.result_card_id.as_deref().or(order.card_id());
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
                ("arrangement-number", Some(&order.arrangement_number)),
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
mod tests;
