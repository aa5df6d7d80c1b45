//! What a deposit pays (API.md section 9): interest accrued at its annual rate from the
//! day it earns from, the tax withheld on that interest, and the fee for ending it before
//! its term. Exact: integer minor units, every share rounded half away from zero once.

use chrono::NaiveDate;

use super::account::{Account, Money};

/// The fee for ending a deposit before its term, in basis points of the principal.
pub const EARLY_TERMINATION_FEE_BP: i64 = 100;
/// The tax withheld on interest, in basis points of the interest.
pub const INTEREST_TAX_BP: i64 = 1_500;
/// Interest counts actual days over a 365-day year (ACT/365).
const DAYS_IN_YEAR: i64 = 365;

/// A deposit's interest terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepositTerms {
    /// The annual rate, in basis points (350 = 3.5 %).
    pub rate_bp: u32,
    /// The day interest is counted from.
    pub interest_from: NaiveDate,
}

/// What ending a deposit early on a day pays, in the deposit's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepositQuote {
    /// The balance.
    pub principal: Money,
    /// The interest accrued until the day.
    pub interest: Money,
    /// The tax withheld on it.
    pub tax: Money,
    /// The early-termination fee.
    pub fee: Money,
    /// What the customer receives: principal + interest - tax - fee.
    pub net: Money,
    /// The days of interest counted.
    pub days: i64,
}

/// What paying out a deposit's interest on a day pays, in the deposit's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayoutQuote {
    /// The interest accrued until the day.
    pub interest: Money,
    /// The tax withheld on it.
    pub tax: Money,
    /// What the linked current account receives.
    pub net: Money,
    /// The days of interest counted.
    pub days: i64,
}

/// The days counted, the interest accrued and the tax on it, in minor units, for
/// `account` on `day`; `None` for an account without deposit terms.
fn accrued(account: &Account, day: NaiveDate) -> Option<(i64, i64, i64)> {
    let terms = account.deposit?;
    let principal = account.balance.minor.max(0);
    let days = (day - terms.interest_from).num_days().max(0);
    let interest = share(
        principal,
        i64::from(terms.rate_bp) * days,
        10_000 * DAYS_IN_YEAR,
    );
    Some((days, interest, share(interest, INTEREST_TAX_BP, 10_000)))
}

/// What paying out `account`'s interest on `day` pays, if it is a deposit with terms.
pub fn interest_payout(account: &Account, day: NaiveDate) -> Option<PayoutQuote> {
    let (days, interest, tax) = accrued(account, day)?;
    let money = |minor| Money {
        currency: account.balance.currency,
        minor,
    };
    Some(PayoutQuote {
        interest: money(interest),
        tax: money(tax),
        net: money(interest - tax),
        days,
    })
}

/// `amount * numerator / denominator`, rounded half away from zero.
fn share(amount: i64, numerator: i64, denominator: i64) -> i64 {
    let exact = i128::from(amount) * i128::from(numerator);
    let denominator = i128::from(denominator);
    let rounded = (exact.abs() * 2 + denominator) / (denominator * 2);
    let signed = if exact < 0 { -rounded } else { rounded };
    i64::try_from(signed).unwrap_or(if signed < 0 { i64::MIN } else { i64::MAX })
}

/// What ending `account` early on `day` pays, if it is a deposit with terms.
pub fn early_termination(account: &Account, day: NaiveDate) -> Option<DepositQuote> {
    let (days, interest, tax) = accrued(account, day)?;
    let principal = account.balance.minor.max(0);
    let fee = share(principal, EARLY_TERMINATION_FEE_BP, 10_000);
    let money = |minor| Money {
        currency: account.balance.currency,
        minor,
    };
    Some(DepositQuote {
        principal: money(principal),
        interest: money(interest),
        tax: money(tax),
        fee: money(fee),
        net: money(principal + interest - tax - fee),
        days,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::{ArrangementKind, ArrangementStatus, CurrencyCode};

    fn deposit(minor: i64, rate_bp: u32, from: NaiveDate) -> Account {
        Account {
            number: crate::domain::identifier::ArrangementNumber::parse("a", "D1").unwrap(),
            kind: ArrangementKind::DepositAccount,
            owner: crate::domain::CustomerNumber::parse("c", "1400269").unwrap(),
            product_code: "deposit-12-months".into(),
            product_name: "Term deposit, 12 months".into(),
            balance: Money {
                currency: CurrencyCode::parse("c", "RSD").unwrap(),
                minor,
            },
            status: ArrangementStatus::Active,
            linked: None,
            allows_cards: false,
            card_limit: 0,
            deposit: Some(DepositTerms {
                rate_bp,
                interest_from: from,
            }),
        }
    }

    #[test]
    fn an_early_termination_pays_principal_and_interest_less_tax_and_fee() {
        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let day = from + chrono::Days::new(73);
        // 500,000.00 RSD at 3.5 % for 73 days: 3,500.00 interest, 525.00 tax, 5,000.00 fee.
        let quote = early_termination(&deposit(50_000_000, 350, from), day).unwrap();
        assert_eq!(quote.days, 73);
        assert_eq!(quote.interest.minor, 350_000);
        assert_eq!(quote.tax.minor, 52_500);
        assert_eq!(quote.fee.minor, 500_000);
        assert_eq!(quote.net.minor, 50_000_000 + 350_000 - 52_500 - 500_000);
    }

    #[test]
    fn a_payout_pays_the_interest_less_tax_and_keeps_the_principal() {
        let from = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let day = from + chrono::Days::new(73);
        let quote = interest_payout(&deposit(50_000_000, 350, from), day).unwrap();
        assert_eq!((quote.interest.minor, quote.tax.minor), (350_000, 52_500));
        assert_eq!(quote.net.minor, 297_500);
    }

    #[test]
    fn shares_round_half_away_from_zero_once() {
        assert_eq!(share(1, 1, 2), 1);
        assert_eq!(share(1, 1, 3), 0);
        assert_eq!(share(-1, 1, 2), -1);
        assert_eq!(share(i64::MAX, 2, 1), i64::MAX, "clamped, never wrapped");
    }

    #[test]
    fn a_deposit_without_terms_or_before_its_start_earns_nothing() {
        let from = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let mut account = deposit(1_000, 350, from);
        let quote = early_termination(&account, from - chrono::Days::new(5)).unwrap();
        assert_eq!((quote.days, quote.interest.minor), (0, 0));
        account.deposit = None;
        assert!(early_termination(&account, from).is_none());
    }
}
