use chrono::NaiveDate;

use super::*;
use crate::domain::account::CurrencyCode;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn order(first: &str, end: &str, frequency: Frequency) -> StandingOrder {
    StandingOrder {
        number: OrderNumber(7),
        owner: CustomerNumber::parse("owner", "1400269").unwrap(),
        nickname: "Rent".into(),
        terms: Terms {
            product_code: PRODUCTS[0].0.into(),
            debtor: ArrangementNumber::parse("debtor", "0064200002022").unwrap(),
            creditor_name: "Landlord".into(),
            creditor_account: ArrangementNumber::parse("creditor", "0064200002030").unwrap(),
            amount: Money {
                currency: CurrencyCode::parse("c", "EUR").unwrap(),
                minor: 50_000,
            },
            reference: None,
            start_date: day(first),
            end_date: day(end),
            frequency,
            first_payment_date: day(first),
        },
        sequence: 0,
        skip_next: false,
        status: StandingOrderStatus::Active,
    }
}

fn dates(falling: &Falling) -> Vec<String> {
    falling
        .payments
        .iter()
        .map(|d| d.date.to_string())
        .collect()
}

#[test]
fn monthly_dates_are_counted_from_the_anchor_not_the_previous_date() {
    let so = order("2027-01-31", "2027-12-31", Frequency::MONTHLY);
    let got: Vec<String> = (0..4)
        .map(|n| so.terms.date(n).unwrap().to_string())
        .collect();
    assert_eq!(
        got,
        ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]
    );
}

#[test]
fn days_and_years_step_by_their_period() {
    let every_ten_days = Frequency {
        period: 10,
        unit: UnitOfTime::Days,
    };
    let so = order("2027-01-01", "2027-01-25", every_ten_days);
    assert_eq!(so.terms.date(2).unwrap(), day("2027-01-21"));
    assert_eq!(so.terms.date(3), None, "past the end date");
    let yearly = Frequency {
        period: 1,
        unit: UnitOfTime::Years,
    };
    let so = order("2028-02-29", "2032-12-31", yearly);
    assert_eq!(so.terms.date(1).unwrap(), day("2029-02-28"));
    assert_eq!(
        so.terms.date(4).unwrap(),
        day("2032-02-29"),
        "a leap day again"
    );
}

#[test]
fn nothing_falls_due_before_the_first_date() {
    let so = order("2027-01-10", "2027-12-31", Frequency::MONTHLY);
    assert_eq!(so.fall_due(day("2027-01-09")), None);
}

#[test]
fn each_date_falls_due_once_and_missed_dates_are_caught_up() {
    let daily = Frequency {
        period: 1,
        unit: UnitOfTime::Days,
    };
    let so = order("2027-01-01", "2027-12-31", daily);
    let falling = so.fall_due(day("2027-01-03")).unwrap();
    assert_eq!(dates(&falling), ["2027-01-01", "2027-01-02", "2027-01-03"]);
    assert_eq!(falling.after.sequence, 3);
    assert_eq!(
        falling.after.fall_due(day("2027-01-03")),
        None,
        "paid already"
    );
    let sequences: Vec<u32> = falling.payments.iter().map(|d| d.sequence).collect();
    assert_eq!(sequences, [0, 1, 2]);
}

#[test]
fn catching_up_is_bounded_per_look() {
    let daily = Frequency {
        period: 1,
        unit: UnitOfTime::Days,
    };
    let so = order("2027-01-01", "2027-12-31", daily);
    let first = so.fall_due(day("2027-06-01")).unwrap();
    assert_eq!(first.payments.len(), MAX_CATCH_UP);
    let second = first.after.fall_due(day("2027-06-01")).unwrap();
    assert_eq!(second.payments[0].sequence, MAX_CATCH_UP as u32);
}

#[test]
fn a_skip_skips_the_next_date_only() {
    let so = order("2027-01-01", "2027-12-31", Frequency::MONTHLY)
        .skip()
        .unwrap();
    assert!(so.skip().is_err(), "the next one is already skipped");
    let falling = so.fall_due(day("2027-02-01")).unwrap();
    assert_eq!(dates(&falling), ["2027-02-01"]);
    assert!(!falling.after.skip_next);
    assert_eq!(falling.after.sequence, 2);
}

#[test]
fn the_order_ends_after_its_last_date() {
    let so = order("2027-01-01", "2027-03-15", Frequency::MONTHLY);
    let falling = so.fall_due(day("2027-03-01")).unwrap();
    assert_eq!(dates(&falling), ["2027-01-01", "2027-02-01", "2027-03-01"]);
    assert_eq!(falling.after.status, StandingOrderStatus::Ended);
    assert_eq!(falling.after.next_date(), None);
}

#[test]
fn a_canceled_order_pays_nothing_and_cannot_be_skipped_or_canceled_again() {
    let so = order("2027-01-01", "2027-12-31", Frequency::MONTHLY)
        .cancel()
        .unwrap();
    assert_eq!(so.fall_due(day("2027-06-01")), None);
    assert_eq!(
        so.skip().unwrap_err().problem,
        "standing-order-status-not-eligible"
    );
    assert!(so.cancel().is_err());
}

#[test]
fn terms_are_judged_as_given_naming_the_field() {
    let so = order("2027-01-01", "2027-12-31", Frequency::MONTHLY);
    assert!(so.terms.validate(day("2027-01-01")).is_empty());
    let tags = |terms: &Terms, today: &str| -> Vec<String> {
        terms
            .validate(day(today))
            .into_iter()
            .map(|e| e.tag)
            .collect()
    };
    assert_eq!(tags(&so.terms, "2027-01-02"), ["start-date"]);
    let mut terms = so.terms.clone();
    terms.end_date = day("2026-12-31");
    assert_eq!(
        tags(&terms, "2026-01-01"),
        ["end-date", "first-payment-date"]
    );
    let mut terms = so.terms.clone();
    terms.amount.minor = 0;
    assert_eq!(
        tags(&terms, "2027-01-01"),
        ["transfer-details.amount.amount"]
    );
    let mut terms = so.terms.clone();
    terms.creditor_account = terms.debtor.clone();
    assert_eq!(
        tags(&terms, "2027-01-01"),
        ["transfer-details.creditor-account-number"]
    );
    let mut terms = so.terms;
    terms.first_payment_date = day("2028-01-01");
    assert_eq!(tags(&terms, "2027-01-01"), ["first-payment-date"]);
}

#[test]
fn stored_terms_round_trip_exactly() {
    let terms = order("2027-01-01", "2027-12-31", Frequency::MONTHLY).terms;
    let json = serde_json::to_string(&terms).unwrap();
    assert!(json.contains(r#""minor":50000"#), "{json}");
    let back: Terms = serde_json::from_str(&json).unwrap();
    assert_eq!(back, terms);
}
