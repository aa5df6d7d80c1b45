//! What the card kinds share: the refusal for a card in the wrong state, a card with a
//! new status, and the card an order produces.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::domain::CustomerNumber;
use crate::domain::card::{Arrangement, Card, CardStatus, mask};
use crate::domain::execution::{Context, Refusal};
use crate::domain::identifier::{ArrangementNumber, CardId};
use crate::domain::operation::Produced;
use crate::domain::order::Order;

/// The card the order is about, or the refusal when it has gone meanwhile.
pub(super) fn the_card<'a>(ctx: &Context<'a>) -> Result<&'a Card, Refusal> {
    ctx.card
        .ok_or_else(|| Refusal::conflict("card-status-not-eligible", "the card no longer exists"))
}

/// The card's arrangement, or the refusal when it has gone meanwhile.
pub(super) fn the_arrangement<'a>(
    ctx: &Context<'a>,
    number: &ArrangementNumber,
) -> Result<&'a Arrangement, Refusal> {
    ctx.arrangement.ok_or_else(|| {
        Refusal::policy(
            "policy-violation",
            format!("arrangement {number} does not exist"),
        )
    })
}

/// The refusal for a card whose status does not allow the order.
pub(super) fn status_not_eligible(card: &Card, wanted: &str) -> Refusal {
    Refusal::conflict(
        "card-status-not-eligible",
        format!(
            "card {} is {}, so it cannot be {wanted}",
            card.id,
            card.status.as_str()
        ),
    )
}

/// `card` with `status` from `now`.
pub(super) fn with_status(card: &Card, status: CardStatus, now: DateTime<Utc>) -> Card {
    Card {
        status,
        status_date: now,
        ..card.clone()
    }
}

/// The card an order produces: identified by the order's number, so that one order can
/// never produce two.
/// What the system of record answered about the card takes precedence over the ids
/// bankapi would give it itself (the built-in adapter answers nothing).
pub(super) fn new_card(
    order: &Order,
    holder: &CustomerNumber,
    arrangement: &Arrangement,
    now: DateTime<Utc>,
    replaces: Option<CardId>,
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
            .unwrap_or_else(|| CardId::issued_by_order(digits)),
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
