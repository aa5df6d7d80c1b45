//! An operation the system of record carried out after bankapi's state moved on (API.md
//! sections 7 and 8): the mirror cannot follow it, so the order is held for staff with the
//! reason, nothing is booked halfway, and the system applied the operation once.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::sor::{Fault, SystemOfRecord};
use crate::systems_of_record::{app_with, settle};

/// 1400269's RSD current account: the payment's debtor.
const CURRENT_RSD: &str = "0064200002014";
/// 1400269's package account (RSD): the payment's creditor, closed while it is pending.
const PACKAGE: &str = "0064200002030";

async fn account(app: &TestApp, number: &str) -> Value {
    app.get_ok(
        &format!("/customer-order/arrangements/{number}"),
        &app.staff_token(),
    )
    .await
}

/// The holds the server counted as mirror drift.
const HELD_FOR_DRIFT: &str = "bankapi_orders_held_total{cause=\"mirror-drift\"}";

#[tokio::test]
async fn a_payment_the_system_completes_after_its_creditor_closed_is_held_and_books_nothing() {
    let sor = SystemOfRecord::start().await;
    let app = app_with(&sor).await;
    let token = app.customer_token("1400269");
    let today = chrono::Utc::now().date_naive().to_string();
    // A fresh demo's first order sets the standing order up; today's payment is the next.
    let payment = "WI0000492476";
    let key = format!("{payment}:make-payment");
    // Core banking keeps the payment pending until the test lets it finish.
    sor.script(&key, vec![Fault::Pending(usize::MAX)]);
    let response = app
        .post_json(
            "/customer-order/standing-orders",
            &token,
            &json!({
                "nickname": "Into the package",
                "product-code": "standing-order-internal",
                "transfer-details": {
                    "debtor-account-number": CURRENT_RSD,
                    "creditor-name": "Myself",
                    "creditor-account-number": PACKAGE,
                    "amount": {"currency-code": "RSD", "amount": "10.00"}
                },
                "start-date": today,
                "end-date": today,
            }),
        )
        .await;
    assert_eq!(response.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(20);
    while sor.polls(&key) == 0 {
        assert!(
            Instant::now() < deadline,
            "the payment never reached core banking"
        );
        app.run_orders().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The creditor closes while core banking still works on the payment.
    let placed = app
        .post_json(
            "/customer-order/bundled-account-terminations",
            &token,
            &json!({"account-number": PACKAGE,
                    "domestic-currency-settlement-account-number": CURRENT_RSD,
                    "termination-reason": "fees-too-high"}),
        )
        .await;
    assert_eq!(placed.status(), 202);
    let placed: Value = placed.json().await.expect("json");
    let closure = placed["id"].as_str().expect("an id").to_owned();
    let resource = "bundled-account-terminations";
    settle(&app, resource, &closure, &["awaiting-confirmation"]).await;
    let confirmed = app
        .post_json(
            &format!("/customer-order/{resource}/{closure}/confirm"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status(), 204);
    settle(&app, resource, &closure, &["external-processing-succeeded"]).await;
    assert_eq!(account(&app, PACKAGE).await["status"], "terminated");
    let before = account(&app, CURRENT_RSD).await["balance"].clone();

    // Now core banking finishes the payment: it moved the money, the mirror cannot.
    let holds = app.metric(HELD_FOR_DRIFT).await;
    sor.complete_at_next_poll(&key);
    let held = settle(&app, "orders", payment, &["held"]).await;
    // Counted by cause for operators (the recorder is the process's: other tests may
    // count too, but none of them holds for this cause).
    assert!(
        app.metric(HELD_FOR_DRIFT).await > holds,
        "bankapi_orders_held_total counts the hold as mirror drift"
    );
    let reason = held["hold-reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("cannot mirror") && reason.contains(PACKAGE),
        "the reason says what staff must reconcile: {held}"
    );
    assert_eq!(sor.effects(&key), 1, "core banking applied it once");
    assert_eq!(
        account(&app, CURRENT_RSD).await["balance"],
        before,
        "no half of the payment is booked"
    );
    assert_eq!(account(&app, PACKAGE).await["balance"], "0.00");

    // A retry asks again with the same key and gets the same answer: held again.
    let retry = format!("/customer-order/orders/{payment}/retry");
    let retried = app.post_json(&retry, &app.staff_token(), &json!({})).await;
    assert_eq!(retried.status(), 204);
    settle(&app, "orders", payment, &["held"]).await;
    assert_eq!(sor.effects(&key), 1);
    // Staff reconcile at core banking, then end the order.
    let rejected = app
        .post_json(
            &format!("/customer-order/orders/{payment}/reject"),
            &app.staff_token(),
            &json!({"reason": "reversed at core banking"}),
        )
        .await;
    assert_eq!(rejected.status(), 204);
    let done = settle(&app, "orders", payment, &["rejected"]).await;
    assert_eq!(
        account(&app, CURRENT_RSD).await["balance"],
        before,
        "{done}"
    );
}
