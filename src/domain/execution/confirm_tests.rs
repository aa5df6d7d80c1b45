//! Orders that wait for the customer (API.md section 9): the machine's confirmation,
//! cancelation and expiry, and the account rules' bookings, on a snapshot of accounts.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::machine::advance;
use super::*;
use crate::domain::account::{
    Account, AccountChange, ArrangementKind, ArrangementStatus, BalanceGuard, CurrencyCode, Money,
};
use crate::domain::kinds::{AccountTermination, EarlyRedemption, Settlement};
use crate::domain::operation::{Outcome, RetryPolicy};
use crate::domain::order::{OrderNumber, OrderStatus, Phase, StepDurations, StepStatus};

fn an(raw: &str) -> ArrangementNumber {
    ArrangementNumber::parse("arrangement-number", raw).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
}

fn account(number: &str, kind: ArrangementKind, minor: i64, linked: Option<&str>) -> Account {
    Account {
        number: an(number),
        kind,
        owner: CustomerNumber::parse("c", "1400269").unwrap(),
        product_code: "p".into(),
        product_name: "P".into(),
        balance: Money {
            currency: CurrencyCode::parse("c", "RSD").unwrap(),
            minor,
        },
        status: ArrangementStatus::Active,
        linked: linked.map(an),
        allows_cards: false,
        card_limit: 0,
        deposit: None,
    }
}

fn accounts(list: Vec<Account>) -> HashMap<ArrangementNumber, Account> {
    list.into_iter().map(|a| (a.number.clone(), a)).collect()
}

fn order(request: OrderRequest) -> Order {
    let account = request.rules().account().cloned().unwrap();
    let owner = CustomerNumber::parse("c", "1400269").unwrap();
    start(
        Order {
            number: OrderNumber(7),
            request,
            description: None,
            holder: owner.clone(),
            owner,
            arrangement_number: account,
            status: OrderStatus::Proposed,
            status_date: now(),
            creation_date: now(),
            deadline: now() + Duration::hours(24),
            steps: Vec::new(),
            current_step: 0,
            next_run_at: None,
            rejection_reason: None,
            result_card_id: None,
            hold_reason: None,
        },
        now(),
        &StepDurations::zero(),
    )
}

fn closing(number: &str, settle_to: Option<&str>) -> OrderRequest {
    OrderRequest::BundledAccountTermination(AccountTermination {
        account_number: an(number),
        account_kind: ArrangementKind::BundledAccount,
        reason: None,
        settlement: Settlement {
            cash_payout: settle_to.is_none(),
            domestic_account: settle_to.map(an),
            foreign_account: None,
            convert_to_domestic_currency: false,
            swift_code: None,
        },
    })
}

/// One pass, the action answered at once as the built-in adapter does.
fn pass(order: Order, ctx: &Context<'_>, at: DateTime<Utc>) -> Transition {
    let head = order.phase() == Some(Phase::Action);
    let durations = StepDurations::zero();
    let Advanced { transition, call } = advance(order, ctx, at, &durations, head);
    match call {
        Some(_) => complete_operation(
            transition,
            ctx,
            Outcome::applied_here(),
            at,
            &durations,
            &RetryPolicy::default(),
            0.5,
        ),
        None => transition,
    }
}

#[test]
fn an_order_waits_for_confirmation_until_its_deadline_then_expires() {
    let snapshot = accounts(vec![account(
        "B1",
        ArrangementKind::BundledAccount,
        0,
        None,
    )]);
    let ctx = Context {
        accounts: Some(&snapshot),
        ..Context::default()
    };
    let t = pass(order(closing("B1", None)), &ctx, now());
    assert_eq!(t.order.status, OrderStatus::AwaitingConfirmation);
    assert_eq!(
        t.order.next_run_at,
        Some(t.order.deadline),
        "due only at the deadline"
    );
    assert!(t.events.is_empty() && t.postings.is_empty());
    assert!(t.order.status.is_cancelable());
    // Woken early (a lease ran out): it goes on waiting.
    let t = pass(t.order, &ctx, now() + Duration::hours(1));
    assert_eq!(t.order.status, OrderStatus::AwaitingConfirmation);
    assert_eq!(t.order.next_run_at, Some(t.order.deadline));
    let deadline = t.order.deadline;
    let t = pass(t.order, &ctx, deadline);
    assert_eq!(t.order.status, OrderStatus::Expired);
    assert!(t.account_changes.is_empty() && t.postings.is_empty());
    let refusal = confirm(t.order, deadline).unwrap_err();
    assert_eq!(
        refusal.problem,
        "request-status-not-eligible-for-confirmation"
    );
}

#[test]
fn a_confirmed_closure_books_its_balance_to_the_settlement_account_exactly() {
    let snapshot = accounts(vec![
        account("B1", ArrangementKind::BundledAccount, 2_310_000, None),
        account("C1", ArrangementKind::CurrentAccount, 100, None),
    ]);
    let ctx = Context {
        accounts: Some(&snapshot),
        ..Context::default()
    };
    let waiting = pass(order(closing("B1", Some("C1"))), &ctx, now()).order;
    assert!(
        confirm(waiting.clone(), now() + Duration::days(2)).is_err(),
        "too late"
    );
    let confirmed = confirm(waiting, now()).unwrap();
    assert_eq!(confirmed.status, OrderStatus::Approved);
    assert_eq!(confirmed.steps[1].status, StepStatus::Done);
    let t = pass(confirmed, &ctx, now());
    assert_eq!(t.order.status, OrderStatus::ExternalProcessingSucceeded);
    let legs: Vec<(&str, i64, BalanceGuard)> = t
        .postings
        .iter()
        .map(|p| (p.account.as_str(), p.amount.minor, p.guard))
        .collect();
    assert_eq!(
        legs,
        [
            ("B1", -2_310_000, BalanceGuard::Exactly(2_310_000)),
            ("C1", 2_310_000, BalanceGuard::Active),
        ]
    );
    assert_eq!(
        t.account_changes,
        [AccountChange {
            account: an("B1"),
            status: Some(ArrangementStatus::Terminated),
            product: None,
            interest_from: None,
        }]
    );
    let bookings = t
        .events
        .iter()
        .filter(|e| e.kind == crate::domain::EventKind::AccountingTransactionEvent)
        .count();
    assert_eq!(bookings, 2, "one accounting transaction per leg");
}

#[test]
fn a_redemption_is_refused_while_the_current_account_cannot_cover_it() {
    let redeem = |owed: i64, held: i64| {
        let snapshot = accounts(vec![
            account("L1", ArrangementKind::Loan, -owed, Some("C1")),
            account("C1", ArrangementKind::CurrentAccount, held, None),
        ]);
        let request = OrderRequest::LoanTermination(EarlyRedemption {
            account_number: an("L1"),
            account_kind: ArrangementKind::Loan,
            reason: None,
            additional_info: None,
        });
        check(
            &request,
            &Context {
                accounts: Some(&snapshot),
                ..Context::default()
            },
        )
    };
    assert!(redeem(100, 100).is_ok());
    let refusal = redeem(101, 100).unwrap_err();
    assert_eq!(refusal.problem, "insufficient-funds");
    assert!(refusal.reason.contains("1.01 RSD"), "{}", refusal.reason);
}

#[test]
fn a_closure_is_refused_while_something_draws_on_the_account() {
    let snapshot = accounts(vec![
        account("C1", ArrangementKind::CurrentAccount, 0, None),
        account("D1", ArrangementKind::DepositAccount, 5, Some("C1")),
    ]);
    let request = OrderRequest::CurrentAccountTermination(AccountTermination {
        account_number: an("C1"),
        account_kind: ArrangementKind::CurrentAccount,
        reason: Some("other".into()),
        settlement: Settlement {
            cash_payout: true,
            domestic_account: None,
            foreign_account: None,
            convert_to_domestic_currency: false,
            swift_code: None,
        },
    });
    let ctx = Context {
        accounts: Some(&snapshot),
        ..Context::default()
    };
    assert_eq!(
        check(&request, &ctx).unwrap_err().problem,
        "linked-product-exists"
    );
}

#[test]
fn a_debit_the_mirror_cannot_cover_at_the_answer_holds_instead_of_failing_its_guard_forever() {
    use crate::domain::kinds::StandingOrderPayment;
    use crate::domain::standing_order::{Due, Frequency, PRODUCTS, Terms, UnitOfTime};

    let (debtor, creditor) = ("0064200002022", "0064200002030");
    let today = now().date_naive();
    let request = OrderRequest::StandingOrderPayment(StandingOrderPayment {
        due: Due {
            standing_order: OrderNumber(6),
            sequence: 1,
            date: today,
        },
        terms: Terms {
            product_code: PRODUCTS[0].0.into(),
            debtor: an(debtor),
            creditor_name: "Landlord".into(),
            creditor_account: an(creditor),
            amount: Money {
                currency: CurrencyCode::parse("c", "RSD").unwrap(),
                minor: 50_000,
            },
            reference: None,
            start_date: today,
            end_date: today,
            frequency: Frequency {
                period: 1,
                unit: UnitOfTime::Months,
            },
            first_payment_date: today,
        },
    });
    let current = |minor| account(debtor, ArrangementKind::CurrentAccount, minor, None);
    let payee = account(creditor, ArrangementKind::CurrentAccount, 0, None);
    let covered = accounts(vec![current(80_000), payee.clone()]);
    let judged = Context {
        accounts: Some(&covered),
        ..Context::default()
    };
    let durations = StepDurations::zero();
    let Advanced { transition, call } = advance(order(request), &judged, now(), &durations, true);
    assert!(
        call.is_some(),
        "checked on covered balances, the payment calls the system"
    );
    let answer = |t: Transition, ctx: &Context<'_>| {
        let policy = RetryPolicy::default();
        complete_operation(
            t,
            ctx,
            Outcome::applied_here(),
            now(),
            &durations,
            &policy,
            0.5,
        )
    };

    // On the balances the check saw, the answer books both legs.
    let booked = answer(transition.clone(), &judged);
    assert_eq!(booked.postings.len(), 2);
    assert_ne!(booked.order.status, OrderStatus::Held);
    assert_eq!(booked.held, None);

    // The answer comes again on fresh balances, another order having spent the money: the
    // store's guard would refuse the debit on every pass, so the order is held instead.
    let drained = accounts(vec![current(20_000), payee]);
    let fresh = Context {
        accounts: Some(&drained),
        ..Context::default()
    };
    let held = answer(transition, &fresh);
    assert_eq!(held.order.status, OrderStatus::Held);
    assert_eq!(held.held, Some(HoldCause::MirrorDrift));
    let reason = held.order.hold_reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains("cannot mirror") && reason.contains("less than the 500.00 RSD"),
        "{reason}"
    );
    assert!(held.postings.is_empty() && held.events.is_empty());
}
