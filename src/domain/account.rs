//! Accounts (API.md section 9): every arrangement is an account of a kind, held in one
//! currency, with a balance. Money is exact: an integer count of the currency's minor
//! unit (cents for EUR, none for JPY), shown as a decimal with exactly that many places;
//! never a binary float.

use iso_currency::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::CustomerNumber;
use super::card::Arrangement;
use super::identifier::{ArrangementNumber, MandateNumber};
use super::invalid::{ErrorLiteral, FieldError};

/// What kind of account an arrangement is (`arrangement-kind` classification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ArrangementKind {
    /// A payment account.
    CurrentAccount,
    /// A current account sold in a package with other products.
    BundledAccount,
    /// A term or savings deposit.
    DepositAccount,
    /// An overdraft or revolving credit line.
    CreditFacility,
    /// A loan repaid in instalments.
    Loan,
    /// A card's credit-limit account (the order guide's `0064200001930`).
    CardAccount,
}

impl ArrangementKind {
    /// Every kind, in the classification's order.
    pub const ALL: [ArrangementKind; 6] = [
        Self::CurrentAccount,
        Self::BundledAccount,
        Self::DepositAccount,
        Self::CreditFacility,
        Self::Loan,
        Self::CardAccount,
    ];

    /// The literal, as stored and returned.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CurrentAccount => "current-account",
            Self::BundledAccount => "bundled-account",
            Self::DepositAccount => "deposit-account",
            Self::CreditFacility => "credit-facility",
            Self::Loan => "loan",
            Self::CardAccount => "card-account",
        }
    }

    /// Reads a stored literal.
    pub fn from_stored(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// An account's lifecycle (`arrangement-status` classification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ArrangementStatus {
    /// Open for business.
    Active,
    /// A termination was accepted and is being carried out.
    Terminating,
    /// Closed for good.
    Terminated,
}

impl ArrangementStatus {
    /// Every state, in lifecycle order.
    pub const ALL: [ArrangementStatus; 3] = [Self::Active, Self::Terminating, Self::Terminated];

    /// The literal, as stored and returned.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Terminating => "terminating",
            Self::Terminated => "terminated",
        }
    }

    /// Reads a stored literal.
    pub fn from_stored(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// An ISO 4217 currency that has a minor unit: the only kind an amount can be kept in
/// exactly (codes such as `XAU`, gold, have none and are refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CurrencyCode {
    currency: Currency,
    exponent: u32,
}

impl CurrencyCode {
    /// Parses a code (`EUR`; upper case, as ISO 4217 writes it) for the field `tag`.
    pub fn parse(tag: &str, raw: &str) -> Result<Self, FieldError> {
        let currency = Currency::from_code(raw).ok_or_else(|| {
            FieldError::new(
                tag,
                ErrorLiteral::NotOnList,
                format!("{tag} must be an ISO 4217 currency code such as EUR, got {raw:?}"),
            )
        })?;
        let exponent = currency.exponent().ok_or_else(|| {
            FieldError::new(
                tag,
                ErrorLiteral::NotOnList,
                format!("{tag} {raw} has no minor unit: amounts in it cannot be kept"),
            )
        })?;
        Ok(Self {
            currency,
            exponent: u32::from(exponent),
        })
    }

    /// The three-letter code.
    pub fn as_str(self) -> &'static str {
        self.currency.code()
    }

    /// Digits after the decimal point: 2 for EUR, 0 for JPY, 3 for KWD.
    pub fn minor_digits(self) -> u32 {
        self.exponent
    }
}

/// An exact amount: a count of the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    /// The currency.
    pub currency: CurrencyCode,
    /// Minor units (cents for EUR); negative for a debt.
    pub minor: i64,
}

impl Money {
    /// Reads the amount `raw` (`1250.5`, `"1250.50"`) of the field `tag` in `currency`,
    /// exactly: never more digits after the point than the currency's minor unit has, and
    /// never through binary floating point.
    pub fn parse(tag: &str, currency: CurrencyCode, raw: &str) -> Result<Self, FieldError> {
        let invalid = |why: String| FieldError::new(tag, ErrorLiteral::InvalidFormat, why);
        let value: Decimal = raw.trim().parse().map_err(|_| {
            invalid(format!(
                "{tag} must be a decimal amount such as 1250.50, got {raw:?}"
            ))
        })?;
        let digits = currency.minor_digits();
        if value.normalize().scale() > digits {
            return Err(invalid(format!(
                "{tag} {raw} has more than the {digits} digits after the point that {} has",
                currency.as_str()
            )));
        }
        let minor = value
            .checked_mul(Decimal::from(10_i64.pow(digits)))
            .and_then(|m| i64::try_from(m.trunc()).ok())
            .ok_or_else(|| {
                FieldError::new(
                    tag,
                    ErrorLiteral::OutOfRange,
                    format!("{tag} {raw} is too large"),
                )
            })?;
        Ok(Self { currency, minor })
    }

    /// The amount as a decimal with exactly the currency's minor digits (`1250.00`).
    pub fn amount(self) -> Decimal {
        Decimal::new(self.minor, self.currency.minor_digits())
    }
}

/// What an order changes of an account besides its balance (which moves by
/// [`Posting`]s only): its state, its product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountChange {
    /// The account.
    pub account: ArrangementNumber,
    /// Its new state, if it changes.
    pub status: Option<ArrangementStatus>,
    /// Its new product (code and name), if it changes.
    pub product: Option<(String, String)>,
    /// The day a deposit earns interest from again (its interest was paid out).
    pub interest_from: Option<chrono::NaiveDate>,
}

/// The condition a posting's account must meet when it is booked. Orders of one account
/// run one at a time, but money also arrives from and leaves for other accounts' orders
/// (a settlement, a redemption's debit), so the rule's snapshot may be stale by then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceGuard {
    /// A closing leg: the balance is still exactly what the rule saw, so the account is
    /// left at exactly zero.
    Exactly(i64),
    /// A debit: the balance does not go below zero.
    NotBelowZero,
    /// A credit to an account that is still active.
    Active,
}

/// One leg of the money an order moves, booked exactly once: the ledger keys it by the
/// order and `leg`, so a step that were written twice could not book twice, and the
/// balance changes by `amount` (signed) in the transaction that completes the step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    /// The leg's index within its order.
    pub leg: u32,
    /// The account booked.
    pub account: ArrangementNumber,
    /// Credit (positive) or debit (negative), in the account's currency.
    pub amount: Money,
    /// What the balance must be for the booking to stand; if it is not, nothing of its
    /// order's step is written and the step is judged again on fresh balances.
    pub guard: BalanceGuard,
    /// Who or what is on the other side (an account number, or `cash`).
    pub counterparty: String,
}

/// An account as the read views show it, and the terms that cards on it follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The arrangement number.
    pub number: ArrangementNumber,
    /// What kind of account it is.
    pub kind: ArrangementKind,
    /// The owning customer.
    pub owner: CustomerNumber,
    /// The product (`product-code` classification).
    pub product_code: String,
    /// The product's name as customers see it.
    pub product_name: String,
    /// The balance, in the account's currency.
    pub balance: Money,
    /// Lifecycle state.
    pub status: ArrangementStatus,
    /// The account it settles through (a deposit's or a loan's current account).
    pub linked: Option<ArrangementNumber>,
    /// Whether cards may be issued on it.
    pub allows_cards: bool,
    /// Most cards (not terminated) it may carry.
    pub card_limit: u32,
    /// A deposit's interest terms; `None` for the other kinds.
    pub deposit: Option<super::deposit::DepositTerms>,
}

impl Account {
    /// A card account with `terms`, empty, in `currency`: what a test or a benchmark that
    /// only issues and changes cards needs.
    pub fn card_account(terms: Arrangement, currency: CurrencyCode) -> Self {
        Self {
            kind: ArrangementKind::CardAccount,
            product_name: terms.product_code.clone(),
            balance: Money { currency, minor: 0 },
            status: if terms.active {
                ArrangementStatus::Active
            } else {
                ArrangementStatus::Terminated
            },
            linked: None,
            allows_cards: terms.allows_cards,
            card_limit: terms.card_limit,
            deposit: None,
            number: terms.number,
            owner: terms.owner,
            product_code: terms.product_code,
        }
    }
}

/// Whether a mandate is in force (`mandate-status` classification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MandateStatus {
    /// The holder may act on the arrangement.
    Active,
    /// Ended by the grantor (a mandate revocation).
    Revoked,
}

impl MandateStatus {
    /// Every state.
    pub const ALL: [MandateStatus; 2] = [Self::Active, Self::Revoked];

    /// The literal, as stored and returned.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
        }
    }

    /// Reads a stored literal.
    pub fn from_stored(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A mandate: the owner of an arrangement lets another customer act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mandate {
    /// The mandate's number.
    pub number: MandateNumber,
    /// The arrangement it covers.
    pub arrangement: ArrangementNumber,
    /// Who gave it: the arrangement's owner.
    pub grantor: CustomerNumber,
    /// Who received it.
    pub holder: CustomerNumber,
    /// The grantor's name for it, if any.
    pub nickname: Option<String>,
    /// In force or revoked.
    pub status: MandateStatus,
    /// The day it was given.
    pub granted_on: chrono::NaiveDate,
    /// The day it was revoked, once it is.
    pub revoked_on: Option<chrono::NaiveDate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_have_exactly_the_currencys_minor_digits() {
        let money = |code: &str, minor: i64| Money {
            currency: CurrencyCode::parse("currency-code", code).expect("currency"),
            minor,
        };
        assert_eq!(money("EUR", 125_000).amount().to_string(), "1250.00");
        assert_eq!(money("EUR", -5).amount().to_string(), "-0.05");
        assert_eq!(money("JPY", 1250).amount().to_string(), "1250");
        assert_eq!(money("KWD", 1).amount().to_string(), "0.001");
    }

    #[test]
    fn only_iso_codes_with_a_minor_unit_are_currencies() {
        assert!(CurrencyCode::parse("c", "RSD").is_ok());
        for bad in ["eur", "EURO", "", "XAU", "ABC"] {
            let error = CurrencyCode::parse("c", bad).expect_err(bad);
            assert_eq!(error.error, ErrorLiteral::NotOnList, "{bad}");
        }
    }

    #[test]
    fn kinds_and_states_are_the_literals_of_their_classifications() {
        use crate::domain::classification::literals;
        let kinds: Vec<_> = ArrangementKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(literals("arrangement-kind").collect::<Vec<_>>(), kinds);
        let states: Vec<_> = ArrangementStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(literals("arrangement-status").collect::<Vec<_>>(), states);
        let states: Vec<_> = MandateStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(literals("mandate-status").collect::<Vec<_>>(), states);
    }

    #[test]
    fn kinds_and_states_read_back_what_they_store() {
        for kind in ArrangementKind::ALL {
            assert_eq!(ArrangementKind::from_stored(kind.as_str()), Some(kind));
        }
        for status in ArrangementStatus::ALL {
            assert_eq!(
                ArrangementStatus::from_stored(status.as_str()),
                Some(status)
            );
        }
        assert_eq!(ArrangementKind::from_stored("savings"), None);
    }
}
