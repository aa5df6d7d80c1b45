//! Standing orders (API.md section 9): a payment the customer set up once, which the
//! bank makes on every date of its schedule until its end date. Pure: the schedule's
//! dates, what falls due on a day, and the customer's changes (nickname, skip, cancel).
//! The engine makes each payment as an order of its own (`standing-order-payment`),
//! created in the same transaction that moves the standing order past the date, so a
//! date is paid at most once whoever runs the schedule, and a payment once created is
//! carried to the end by the order engine like any other order.

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::CustomerNumber;
use super::account::Money;
use super::execution::Refusal;
use super::identifier::ArrangementNumber;
use super::invalid::{ErrorLiteral, FieldError};
use super::order::OrderNumber;

/// The products a standing order is sold as (in the `product-code` classification, after
/// the account products): to an account at this bank, or at any bank in the country.
pub const PRODUCTS: [(&str, &str); 2] = [
    ("standing-order-internal", "Standing order within the bank"),
    (
        "standing-order-domestic",
        "Standing order to any domestic bank",
    ),
];

/// The most dates one look at a standing order pays: a process that was down for a long
/// time catches up in steps, each a transaction of bounded size.
pub const MAX_CATCH_UP: usize = 31;

/// The unit of a standing order's period (the `unit-of-time` classification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnitOfTime {
    /// Every `period` days.
    Days,
    /// Every `period` months, on the anchor's day (or the month's last, if shorter).
    Months,
    /// Every `period` years.
    Years,
}

impl UnitOfTime {
    /// Every unit, in the classification's order.
    pub const ALL: [UnitOfTime; 3] = [Self::Days, Self::Months, Self::Years];

    /// The literal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Days => "days",
            Self::Months => "months",
            Self::Years => "years",
        }
    }

    /// Reads the field `tag`.
    pub fn parse(tag: &str, raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|u| u.as_str() == raw.trim())
            .ok_or_else(|| {
                FieldError::new(
                    tag,
                    ErrorLiteral::NotOnList,
                    format!("{tag} must be one of days, months, years, got {raw:?}"),
                )
            })
    }
}

/// How often a standing order pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frequency {
    /// How many units between two payments: 1 to [`Frequency::MAX_PERIOD`].
    pub period: u32,
    /// The unit.
    pub unit: UnitOfTime,
}

impl Frequency {
    /// The longest period a customer may ask for, in any unit.
    pub const MAX_PERIOD: u32 = 366;

    /// Monthly: what a standing order does unless told otherwise.
    pub const MONTHLY: Frequency = Frequency {
        period: 1,
        unit: UnitOfTime::Months,
    };

    /// The `n`-th date after `anchor`. Counted from the anchor every time, never from the
    /// previous date, so that a monthly order on the 31st pays on the 30th in April and
    /// on the 31st again in May.
    pub fn nth(self, anchor: NaiveDate, n: u32) -> Option<NaiveDate> {
        let steps = self.period.checked_mul(n)?;
        match self.unit {
            UnitOfTime::Days => anchor.checked_add_days(Days::new(u64::from(steps))),
            UnitOfTime::Months => anchor.checked_add_months(Months::new(steps)),
            UnitOfTime::Years => anchor.checked_add_months(Months::new(steps.checked_mul(12)?)),
        }
    }
}

/// Where a standing order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StandingOrderStatus {
    /// Paying on its dates.
    Active,
    /// Past its end date, or its debtor account closed: nothing more is paid.
    Ended,
    /// Ended by the customer.
    Canceled,
}

impl StandingOrderStatus {
    /// Every status.
    pub const ALL: [StandingOrderStatus; 3] = [Self::Active, Self::Ended, Self::Canceled];

    /// The literal.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Ended => "ended",
            Self::Canceled => "canceled",
        }
    }

    /// Reads a stored literal.
    pub fn from_stored(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// What a standing order pays, to whom, and when: fixed when it is set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// The `product-code` (one of [`PRODUCTS`]).
    pub product_code: String,
    /// The customer's account the money leaves.
    pub debtor: ArrangementNumber,
    /// Who receives it.
    pub creditor_name: String,
    /// The account it goes to: at this bank (credited too) or elsewhere.
    pub creditor_account: ArrangementNumber,
    /// Each payment, in the debtor account's currency.
    #[serde(with = "money_serde")]
    pub amount: Money,
    /// Shown to the creditor.
    pub reference: Option<String>,
    /// The first day it is in force.
    pub start_date: NaiveDate,
    /// The last day it may pay on.
    pub end_date: NaiveDate,
    /// How often.
    pub frequency: Frequency,
    /// The first date it pays on (the schedule's anchor): `start-date` unless given.
    pub first_payment_date: NaiveDate,
}

impl Terms {
    /// The schedule's `n`-th date, if it is on or before the end date.
    pub fn date(&self, n: u32) -> Option<NaiveDate> {
        self.frequency
            .nth(self.first_payment_date, n)
            .filter(|d| *d <= self.end_date)
    }

    /// Judges terms as given, naming the field at fault: dates in order and not in the
    /// past, an amount above zero, a creditor that is not the debtor. The accounts
    /// themselves are judged by the order's rules.
    pub fn validate(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut refuse = |tag: &str, why: String| {
            errors.push(FieldError::new(tag, ErrorLiteral::OutOfRange, why));
        };
        if self.start_date < today {
            refuse(
                "start-date",
                format!(
                    "start-date {} is in the past (today is {today})",
                    self.start_date
                ),
            );
        }
        if self.end_date < self.start_date {
            refuse(
                "end-date",
                format!(
                    "end-date {} is before start-date {}",
                    self.end_date, self.start_date
                ),
            );
        }
        if self.first_payment_date < self.start_date || self.first_payment_date > self.end_date {
            refuse(
                "first-payment-date",
                format!(
                    "first-payment-date {} is not between start-date {} and end-date {}",
                    self.first_payment_date, self.start_date, self.end_date
                ),
            );
        }
        if self.amount.minor <= 0 {
            refuse(
                "transfer-details.amount.amount",
                "the amount must be above zero".to_owned(),
            );
        }
        if self.creditor_account == self.debtor {
            refuse(
                "transfer-details.creditor-account-number",
                format!(
                    "account {} cannot pay a standing order to itself",
                    self.debtor
                ),
            );
        }
        errors
    }
}

/// A standing order as it stands: its terms and what has happened since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandingOrder {
    /// The number of the order that set it up: the standing order's own number.
    pub number: OrderNumber,
    /// Whose it is.
    pub owner: CustomerNumber,
    /// What the customer calls it.
    pub nickname: String,
    /// What it pays.
    pub terms: Terms,
    /// How many of the schedule's dates are behind it, paid or skipped: the next one is
    /// `terms.date(sequence)`.
    pub sequence: u32,
    /// Whether the next date is skipped.
    pub skip_next: bool,
    /// Where it stands.
    pub status: StandingOrderStatus,
}

/// One payment that fell due: the `sequence`-th date of a standing order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    /// The standing order.
    pub standing_order: OrderNumber,
    /// Which date of its schedule.
    pub sequence: u32,
    /// The date.
    pub date: NaiveDate,
}

/// What one look at a standing order on a day decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Falling {
    /// The payments to make, oldest first.
    pub payments: Vec<Due>,
    /// The standing order moved past them (and past a skipped date).
    pub after: StandingOrder,
}

impl StandingOrder {
    /// The next date it pays on, if it is active and one is left.
    pub fn next_date(&self) -> Option<NaiveDate> {
        if self.status != StandingOrderStatus::Active {
            return None;
        }
        self.terms.date(self.sequence)
    }

    /// What falls due on `today`: every date up to it not yet behind the order (at most
    /// [`MAX_CATCH_UP`]), less a skipped one; the order ends once no date is left. `None`
    /// when nothing is due.
    pub fn fall_due(&self, today: NaiveDate) -> Option<Falling> {
        let mut after = self.clone();
        let mut payments = Vec::new();
        let mut looked = 0;
        while looked < MAX_CATCH_UP {
            let Some(date) = after.next_date().filter(|d| *d <= today) else {
                break;
            };
            if after.skip_next {
                after.skip_next = false;
            } else {
                payments.push(Due {
                    standing_order: self.number,
                    sequence: after.sequence,
                    date,
                });
            }
            after.sequence += 1;
            looked += 1;
        }
        if after.status == StandingOrderStatus::Active && after.terms.date(after.sequence).is_none()
        {
            after.status = StandingOrderStatus::Ended;
        }
        (after != *self).then_some(Falling { payments, after })
    }

    /// The customer renames it.
    pub fn rename(&self, nickname: String) -> StandingOrder {
        StandingOrder {
            nickname,
            ..self.clone()
        }
    }

    /// The customer skips the next payment.
    pub fn skip(&self) -> Result<StandingOrder, Refusal> {
        self.require_active()?;
        let Some(next) = self.next_date() else {
            return Err(Refusal::conflict(
                "standing-order-status-not-eligible",
                format!("standing order {} has no payment left to skip", self.number),
            ));
        };
        if self.skip_next {
            return Err(Refusal::conflict(
                "standing-order-status-not-eligible",
                format!(
                    "the next payment of standing order {} (on {next}) is already skipped",
                    self.number
                ),
            ));
        }
        Ok(StandingOrder {
            skip_next: true,
            ..self.clone()
        })
    }

    /// The customer ends it: nothing more is paid (a payment already under way goes on).
    pub fn cancel(&self) -> Result<StandingOrder, Refusal> {
        self.require_active()?;
        Ok(StandingOrder {
            status: StandingOrderStatus::Canceled,
            skip_next: false,
            ..self.clone()
        })
    }

    fn require_active(&self) -> Result<(), Refusal> {
        if self.status == StandingOrderStatus::Active {
            Ok(())
        } else {
            Err(Refusal::conflict(
                "standing-order-status-not-eligible",
                format!("standing order {} is {}", self.number, self.status.as_str()),
            ))
        }
    }
}

/// Money in the stored terms as `{"currency": "EUR", "minor": 1250}`: exact, and read
/// back through the currency's own checks.
mod money_serde {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::domain::account::{CurrencyCode, Money};

    #[derive(Serialize, Deserialize)]
    struct Stored {
        currency: String,
        minor: i64,
    }

    pub(super) fn serialize<S: Serializer>(money: &Money, s: S) -> Result<S::Ok, S::Error> {
        Stored {
            currency: money.currency.as_str().to_owned(),
            minor: money.minor,
        }
        .serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        let stored = Stored::deserialize(d)?;
        let currency = CurrencyCode::parse("currency", &stored.currency)
            .map_err(|e| serde::de::Error::custom(e.message))?;
        Ok(Money {
            currency,
            minor: stored.minor,
        })
    }
}

#[cfg(test)]
mod tests;
