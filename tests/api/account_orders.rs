//! The account orders of API.md section 9 that wait for the customer's confirmation:
//! current and bundled account terminations and the early redemption of a credit facility
//! or a loan. Each one's effect on balances (exact, booked once), its events, its
//! refusals with their `problem` literals, and confirm, cancel and expiry of a waiting
//! order, on the demo's accounts.

use bankapi::engine::{Engine, EngineSettings};
use serde_json::{Value, json};

use crate::helpers::{TestApp, first_error, newest_communication, problem};

mod refusals_and_lists;

const CUSTOMER: &str = "1400269";
/// 1400269's RSD current account: the deposit, the loan and the facility draw on it.
const CURRENT_RSD: &str = "0064200002014";
/// 1400269's EUR current account: nothing on it, 843.12 EUR.
const CURRENT_EUR: &str = "0064200002022";
/// 1400269's bundled account, 23,100.00 RSD.
const BUNDLED: &str = "0064200002030";
/// 1400269's loan: 450,000.00 RSD owed.
const LOAN: &str = "0064200002055";
/// 1400269's overdraft facility: 20,000.00 RSD owed.
const FACILITY: &str = "0064200002063";

/// Places an order and answers its number.
async fn place(app: &TestApp, resource: &str, body: Value) -> String {
    let token = app.customer_token(CUSTOMER);
    let response = app
        .post_json(&format!("/customer-order/{resource}"), &token, &body)
        .await;
    let status = response.status();
    let answer: Value = response.json().await.expect("JSON");
    assert_eq!(status, 202, "POST {resource}: {answer}");
    answer["id"].as_str().expect("an id").to_owned()
}

async fn order(app: &TestApp, resource: &str, id: &str) -> Value {
    app.get_ok(
        &format!("/customer-order/{resource}/{id}"),
        &app.customer_token(CUSTOMER),
    )
    .await
}

async fn confirm(app: &TestApp, resource: &str, id: &str) -> reqwest::Response {
    app.post_json(
        &format!("/customer-order/{resource}/{id}/confirm"),
        &app.customer_token(CUSTOMER),
        &json!({}),
    )
    .await
}

async fn account(app: &TestApp, number: &str) -> Value {
    app.get_ok(
        &format!("/customer-order/arrangements/{number}"),
        &app.customer_token(CUSTOMER),
    )
    .await
}

/// The accounting-transaction events of `arrangement`, in their typed view.
async fn bookings(app: &TestApp, arrangement: &str) -> Vec<Value> {
    let token = app.customer_token(CUSTOMER);
    let page = app
        .get_ok(
            &format!(
                "/customer-event/events?customer-number={CUSTOMER}&event-kind=accounting-transaction&page-size=100"
            ),
            &token,
        )
        .await;
    let mut found = Vec::new();
    for item in page["items"].as_array().expect("items") {
        let id = item["event-id"].as_i64().expect("an event id");
        let typed = app
            .get_ok(
                &format!("/customer-event/accounting-transaction-events/{id}"),
                &token,
            )
            .await;
        if typed["arrangement-number"] == arrangement
            && typed["transaction-id"]
                .as_str()
                .is_some_and(|t| t.starts_with("WI"))
        {
            found.push(typed);
        }
    }
    found
}

#[tokio::test]
async fn a_bundled_account_closes_after_confirmation_and_its_balance_moves_exactly_once() {
    let app = TestApp::spawn_demo().await;
    let resource = "bundled-account-terminations";
    let id = place(
        &app,
        resource,
        json!({"account-number": BUNDLED, "domestic-currency-settlement-account-number": CURRENT_RSD,
               "termination-reason": "fees-too-high"}),
    )
    .await;
    app.run_orders().await;
    let waiting = order(&app, resource, &id).await;
    assert_eq!(waiting["status"], "awaiting-confirmation", "{waiting}");
    assert_eq!(waiting["customer-friendly-status"], "active");
    assert_eq!(waiting["kind"], "bundled-account");
    assert_eq!(waiting["product-name"], "Gold package account");
    let steps: Vec<(&str, &str)> = waiting["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap_or(""),
                s["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("check-account", "done"),
            ("await-confirmation", "running"),
            ("close-account", "pending"),
            ("notify-customer", "pending"),
        ]
    );
    // Nothing moves while it waits, however often the engine looks.
    app.run_orders().await;
    assert_eq!(account(&app, BUNDLED).await["balance"], "23100.00");

    assert_eq!(confirm(&app, resource, &id).await.status(), 204);
    app.run_orders().await;
    let done = order(&app, resource, &id).await;
    assert_eq!(done["status"], "external-processing-succeeded", "{done}");
    let closed = account(&app, BUNDLED).await;
    assert_eq!(closed["status"], "terminated");
    assert_eq!(closed["balance"], "0.00");
    assert_eq!(account(&app, CURRENT_RSD).await["balance"], "207620.50");

    let out = bookings(&app, BUNDLED).await;
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0]["direction"], "debit");
    assert_eq!(out[0]["amount"], "23100.00");
    assert_eq!(out[0]["currency-code"], "RSD");
    let into = bookings(&app, CURRENT_RSD).await;
    assert_eq!(into.len(), 1, "{into:?}");
    assert_eq!(into[0]["direction"], "credit");
    let note = newest_communication(&app, CUSTOMER, &app.customer_token(CUSTOMER)).await;
    assert_eq!(note["workitem-id"], id.as_str(), "{note}");

    // Confirmed once is confirmed: a second confirm is refused and moves nothing.
    let again = problem(confirm(&app, resource, &id).await, 409).await;
    assert_eq!(
        again["problem"],
        "request-status-not-eligible-for-confirmation"
    );
    app.run_orders().await;
    assert_eq!(account(&app, CURRENT_RSD).await["balance"], "207620.50");
}

#[tokio::test]
async fn a_current_account_paid_out_in_cash_is_left_at_zero() {
    let app = TestApp::spawn_demo().await;
    let resource = "current-account-terminations";
    let id = place(
        &app,
        resource,
        json!({"account-number": CURRENT_EUR, "cash-payout": true,
               "termination-reason": "moving-to-another-bank"}),
    )
    .await;
    app.run_orders().await;
    assert_eq!(confirm(&app, resource, &id).await.status(), 204);
    app.run_orders().await;
    let closed = account(&app, CURRENT_EUR).await;
    assert_eq!(
        (closed["status"].as_str(), closed["balance"].as_str()),
        (Some("terminated"), Some("0.00"))
    );
    let out = bookings(&app, CURRENT_EUR).await;
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0]["amount"], "843.12");
    assert_eq!(out[0]["currency-code"], "EUR");
    let view = order(&app, resource, &id).await;
    assert_eq!(view["cash-payout"], true);
    assert_eq!(view["termination-reason"], "moving-to-another-bank");
    // A closed account can not be closed again.
    let token = app.customer_token(CUSTOMER);
    let refused = app
        .post_json(
            "/customer-order/current-account-terminations",
            &token,
            &json!({"account-number": CURRENT_EUR, "cash-payout": true, "termination-reason": "other"}),
        )
        .await;
    assert_eq!(
        problem(refused, 409).await["problem"],
        "account-status-not-eligible"
    );
}

/// A confirmation wakes the engine of every process sharing the database, as a new order
/// does: on PostgreSQL another process listens (here a second store on the database, whose
/// engine would otherwise find the order only at its next look at the queue); SQLite has
/// one process per file, whose own engine is woken.
#[tokio::test]
async fn a_confirmation_wakes_the_engines_of_every_process() {
    let app = TestApp::spawn_demo().await;
    let resource = "credit-facility-terminations";
    let id = place(&app, resource, json!({"account-number": FACILITY})).await;
    app.run_orders().await;
    assert_eq!(
        order(&app, resource, &id).await["status"],
        "awaiting-confirmation"
    );
    let elsewhere = app.another_process().await;
    let engines = &elsewhere.orders;
    // A wake-up left over from the order's acceptance is used up first.
    engines
        .wait_for_work(std::time::Duration::from_millis(50))
        .await;

    assert_eq!(confirm(&app, resource, &id).await.status(), 204);
    // Without a wake-up, the wait would last its whole minute.
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        engines.wait_for_work(std::time::Duration::from_secs(60)),
    )
    .await
    .expect("the confirmation woke the engine");
}

#[tokio::test]
async fn a_waiting_order_can_be_canceled_and_then_not_confirmed() {
    let app = TestApp::spawn_demo().await;
    let resource = "credit-facility-terminations";
    let id = place(&app, resource, json!({"account-number": FACILITY})).await;
    app.run_orders().await;
    let token = app.customer_token(CUSTOMER);
    let canceled = app
        .post_json(
            &format!("/customer-order/{resource}/{id}/cancel"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(canceled.status(), 204);
    let refused = problem(confirm(&app, resource, &id).await, 409).await;
    assert_eq!(
        refused["problem"],
        "request-status-not-eligible-for-confirmation"
    );
    app.run_orders().await;
    assert_eq!(order(&app, resource, &id).await["status"], "canceled");
    assert_eq!(account(&app, FACILITY).await["balance"], "-20000.00");
}

#[tokio::test]
async fn an_unconfirmed_order_expires_at_its_deadline_and_changes_nothing() {
    let app = TestApp::spawn_demo().await;
    let resource = "credit-facility-terminations";
    let id = place(
        &app,
        resource,
        json!({"account-number": FACILITY, "redemption-reason": "own-funds"}),
    )
    .await;
    app.run_orders().await;
    assert_eq!(
        order(&app, resource, &id).await["status"],
        "awaiting-confirmation"
    );
    // The engine as it will be two days on (the default deadline is one day).
    let later = Engine::new(
        app.stores.orders.clone(),
        bankapi::operations::from_settings(&app.settings).expect("operations"),
        EngineSettings {
            clock_offset: chrono::Duration::days(2),
            ..EngineSettings::from_settings(&app.settings)
        },
    );
    later.run_until_idle().await.expect("engine pass");
    let expired = order(&app, resource, &id).await;
    assert_eq!(expired["status"], "expired", "{expired}");
    assert_eq!(expired["customer-friendly-status"], "expired");
    assert_eq!(account(&app, FACILITY).await["balance"], "-20000.00");
    assert_eq!(account(&app, FACILITY).await["status"], "active");
    let refused = problem(confirm(&app, resource, &id).await, 409).await;
    assert_eq!(
        refused["problem"],
        "request-status-not-eligible-for-confirmation"
    );
}

#[tokio::test]
async fn money_moving_into_and_out_of_one_account_at_once_leaves_it_exact() {
    let app = TestApp::spawn_demo().await;
    let facility = place(
        &app,
        "credit-facility-terminations",
        json!({"account-number": FACILITY}),
    )
    .await;
    let bundled = place(
        &app,
        "bundled-account-terminations",
        json!({"account-number": BUNDLED, "domestic-currency-settlement-account-number": CURRENT_RSD}),
    )
    .await;
    app.run_orders().await;
    assert_eq!(
        confirm(&app, "credit-facility-terminations", &facility)
            .await
            .status(),
        204
    );
    assert_eq!(
        confirm(&app, "bundled-account-terminations", &bundled)
            .await
            .status(),
        204
    );
    // Both run in one engine pass: one debits the current account, the other credits it.
    app.run_orders().await;
    for (resource, id) in [
        ("credit-facility-terminations", &facility),
        ("bundled-account-terminations", &bundled),
    ] {
        assert_eq!(
            order(&app, resource, id).await["status"],
            "external-processing-succeeded"
        );
    }
    // 184,520.50 - 20,000.00 + 23,100.00
    assert_eq!(account(&app, CURRENT_RSD).await["balance"], "187620.50");
    let facility_account = account(&app, FACILITY).await;
    assert_eq!(facility_account["balance"], "0.00");
    assert_eq!(facility_account["status"], "terminated");
}
