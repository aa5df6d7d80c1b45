//! What the account kinds share: finding the order's account in the state it must be in,
//! and booking the money an order moves (a ledger leg and an accounting-transaction event
//! per account touched).

use chrono::{DateTime, Utc};

use crate::domain::EventKind;
use crate::domain::account::{
    Account, AccountChange, ArrangementKind, ArrangementStatus, BalanceGuard, Money, Posting,
};
use crate::domain::execution::{Context, EventDraft, Refusal, Transition};
use crate::domain::identifier::ArrangementNumber;
use crate::domain::xml::element;

/// The order's account, active and of the kind the resource is for.
pub(super) fn the_account<'a>(
    ctx: &Context<'a>,
    number: &ArrangementNumber,
    kind: ArrangementKind,
) -> Result<&'a Account, Refusal> {
    let account = ctx.account(number).ok_or_else(|| {
        Refusal::conflict(
            "account-status-not-eligible",
            format!("account {number} no longer exists"),
        )
    })?;
    if account.kind != kind {
        return Err(Refusal::policy(
            "account-kind-not-eligible",
            format!(
                "account {number} is a {}, not a {}",
                account.kind.as_str(),
                kind.as_str()
            ),
        ));
    }
    if account.status != ArrangementStatus::Active {
        return Err(Refusal::conflict(
            "account-status-not-eligible",
            format!("account {number} is {}", account.status.as_str()),
        ));
    }
    Ok(account)
}

/// An account the order names, active, whatever its kind.
pub(super) fn the_active_account<'a>(
    ctx: &Context<'a>,
    number: &ArrangementNumber,
) -> Result<&'a Account, Refusal> {
    match ctx.account(number) {
        Some(account) if account.status == ArrangementStatus::Active => Ok(account),
        Some(account) => Err(Refusal::conflict(
            "account-status-not-eligible",
            format!("account {number} is {}", account.status.as_str()),
        )),
        None => Err(Refusal::conflict(
            "account-status-not-eligible",
            format!("account {number} no longer exists"),
        )),
    }
}

/// The account `account` settles through (a deposit's or a loan's current account), if
/// it is loaded, active and in the same currency: the only one money may move to or from,
/// since bankapi holds no exchange rates.
pub(super) fn settling<'a>(ctx: &Context<'a>, account: &Account) -> Option<&'a Account> {
    account
        .linked
        .as_ref()
        .and_then(|number| ctx.account(number))
        .filter(|a| a.status == ArrangementStatus::Active)
        .filter(|a| a.balance.currency == account.balance.currency)
}

/// The refusal for a deposit without interest terms: nothing can be paid or quoted.
pub(super) fn no_terms(account: &Account) -> Refusal {
    Refusal::policy(
        "policy-violation",
        format!("deposit {} has no interest terms on record", account.number),
    )
}

/// An amount as a sentence shows it: `1250.00 EUR`.
pub(super) fn shown(money: Money) -> String {
    format!("{} {}", money.amount(), money.currency.as_str())
}

/// One leg to book: the account, the signed amount in its minor unit, the balance a
/// closing leg expects to find, and the other side.
pub(super) struct Leg<'a> {
    pub account: &'a Account,
    pub minor: i64,
    pub guard: BalanceGuard,
    pub counterparty: String,
}

/// Books `legs` for the order: a posting each, and an accounting-transaction event in
/// the history of each account's owner. Legs of zero are left out.
///
/// Each leg's guard is judged first against the balances the rules see, and nothing is
/// booked if one fails. With the built-in adapter the check has judged the same
/// balances, so they pass; after a remote system's answer on fresh balances (a debit
/// that another account's order left uncovered, say) the failure is the mirror's, and
/// the order is held instead of being judged again pass after pass against a store
/// guard that can never hold.
pub(super) fn book(
    t: &mut Transition,
    legs: &[Leg<'_>],
    kind: &str,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    admitted(legs)?;
    let number = t.order.number.to_string();
    let day = now.date_naive().to_string();
    for leg in legs.iter().filter(|leg| leg.minor != 0) {
        let index = u32::try_from(t.postings.len()).unwrap_or(u32::MAX);
        let amount = Money {
            currency: leg.account.balance.currency,
            minor: leg.minor,
        };
        let direction = if leg.minor < 0 { "debit" } else { "credit" };
        let magnitude = Money {
            minor: leg.minor.saturating_abs(),
            ..amount
        };
        t.postings.push(Posting {
            leg: index,
            account: leg.account.number.clone(),
            amount,
            guard: leg.guard,
            counterparty: leg.counterparty.clone(),
        });
        t.events.push(EventDraft {
            customer_number: leg.account.owner.clone(),
            kind: EventKind::AccountingTransactionEvent,
            description: Some(format!(
                "{kind} {number}: {direction} {} on {}",
                shown(magnitude),
                leg.account.number
            )),
            xml: element(
                "accounting-transaction",
                &[
                    ("arrangement-number", Some(leg.account.number.as_str())),
                    ("transaction-id", Some(&format!("{number}-{index}"))),
                    ("amount", Some(&magnitude.amount().to_string())),
                    ("currency-code", Some(amount.currency.as_str())),
                    ("direction", Some(direction)),
                    ("booking-date", Some(&day)),
                    ("transaction-type", Some(kind)),
                    ("counterparty", Some(&leg.counterparty)),
                ],
            ),
        });
    }
    Ok(())
}

/// Whether every leg's guard holds on the balances the legs were judged on, legs on the
/// same account taken one after the other as the store books them.
fn admitted(legs: &[Leg<'_>]) -> Result<(), Refusal> {
    let mut booked: Vec<(&ArrangementNumber, i64)> = Vec::new();
    for leg in legs.iter().filter(|leg| leg.minor != 0) {
        let account = leg.account;
        let before = booked
            .iter()
            .rev()
            .find(|(number, _)| *number == &account.number)
            .map_or(account.balance.minor, |(_, balance)| *balance);
        let after = before.saturating_add(leg.minor);
        // An amount in the account's currency, as the refusals show it.
        let money = |minor| {
            shown(Money {
                minor,
                ..account.balance
            })
        };
        let refusal = match leg.guard {
            BalanceGuard::NotBelowZero if after < 0 => Some(Refusal::policy(
                "insufficient-funds",
                format!(
                    "account {} holds {}, less than the {} to debit",
                    account.number,
                    money(before),
                    money(leg.minor.saturating_neg())
                ),
            )),
            BalanceGuard::Exactly(expected) if before != expected => Some(Refusal::conflict(
                "account-status-not-eligible",
                format!(
                    "account {} holds {}, not the {} it was closed with",
                    account.number,
                    money(before),
                    money(expected)
                ),
            )),
            BalanceGuard::Active if account.status != ArrangementStatus::Active => {
                Some(Refusal::conflict(
                    "account-status-not-eligible",
                    format!("account {} is {}", account.number, account.status.as_str()),
                ))
            }
            _ => None,
        };
        if let Some(refusal) = refusal {
            return Err(refusal);
        }
        booked.push((&account.number, after));
    }
    Ok(())
}

/// Closes `account`: its status becomes `terminated`.
pub(super) fn close(t: &mut Transition, account: &Account) {
    t.account_changes.push(AccountChange {
        account: account.number.clone(),
        status: Some(ArrangementStatus::Terminated),
        product: None,
        interest_from: None,
    });
}
