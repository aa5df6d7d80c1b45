//! The account orders of API.md section 9 that wait for the customer's confirmation:
//! current and bundled account terminations and the early redemption of a credit facility
//! or a loan. Each one's effect on balances (exact, booked once), its events, its
//! refusals with their `problem` literals, and confirm, cancel and expiry of a waiting
//! order, on the demo's accounts.

use bankapi::engine::{Engine, EngineSettings};
use serde_json::{Value, json};

use crate::helpers::{TestApp, first_error, newest_communication, problem};

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

#[tokio::test]
async fn account_orders_are_refused_with_their_problem_literals() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token(CUSTOMER);
    let post = |resource: &'static str, body: Value| {
        let app = &app;
        let token = token.clone();
        async move {
            app.post_json(&format!("/customer-order/{resource}"), &token, &body)
                .await
        }
    };
    let cases = [
        // The deposit, the loan and the facility draw on this current account.
        (
            "current-account-terminations",
            json!({"account-number": CURRENT_RSD, "cash-payout": true, "termination-reason": "other"}),
            409,
            "linked-product-exists",
        ),
        // 843.12 EUR must go somewhere.
        (
            "current-account-terminations",
            json!({"account-number": CURRENT_EUR, "cash-payout": false, "termination-reason": "other"}),
            422,
            "settlement-account-not-eligible",
        ),
        // An RSD account takes no EUR balance, and bankapi converts nothing.
        (
            "current-account-terminations",
            json!({"account-number": CURRENT_EUR, "cash-payout": false, "termination-reason": "other",
            "domestic-currency-settlement-account-number": CURRENT_RSD, "convert-to-domestic-currency": true}),
            422,
            "settlement-account-not-eligible",
        ),
        // A bundled account through the current accounts' resource.
        (
            "current-account-terminations",
            json!({"account-number": BUNDLED, "cash-payout": true, "termination-reason": "other"}),
            422,
            "account-kind-not-eligible",
        ),
        // 450,000.00 RSD owed, 184,520.50 RSD on the current account.
        (
            "loan-terminations",
            json!({"account-number": LOAN}),
            422,
            "insufficient-funds",
        ),
    ];
    for (resource, body, status, literal) in cases {
        let refused = problem(post(resource, body.clone()).await, status).await;
        assert_eq!(refused["problem"], literal, "{resource} {body}: {refused}");
    }
    // Someone else's account, or someone else's settlement account: as if none existed.
    for body in [
        json!({"account-number": "0064200002071", "cash-payout": true, "termination-reason": "other"}),
        json!({"account-number": CURRENT_EUR, "cash-payout": false, "termination-reason": "other",
               "domestic-currency-settlement-account-number": "0064200002097"}),
    ] {
        problem(post("current-account-terminations", body).await, 404).await;
    }
    // A current account's termination names its payout and its reason.
    let invalid = problem(
        post(
            "current-account-terminations",
            json!({"account-number": CURRENT_EUR}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(
        first_error(&invalid),
        ("cash-payout".into(), "required".into())
    );
    // The same account twice while the first is active.
    place(
        &app,
        "credit-facility-terminations",
        json!({"account-number": FACILITY}),
    )
    .await;
    let twice = problem(
        post(
            "credit-facility-terminations",
            json!({"account-number": FACILITY}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(twice["problem"], "request-already-exists");
    // Nothing changed on any account.
    assert_eq!(account(&app, CURRENT_EUR).await["balance"], "843.12");
    assert_eq!(account(&app, LOAN).await["status"], "active");
}

#[tokio::test]
async fn account_terminations_of_every_kind_are_listed_together() {
    let app = TestApp::spawn_demo().await;
    let closing = place(
        &app,
        "bundled-account-terminations",
        json!({"account-number": BUNDLED, "domestic-currency-settlement-account-number": CURRENT_RSD}),
    )
    .await;
    let redeeming = place(
        &app,
        "credit-facility-terminations",
        json!({"account-number": FACILITY}),
    )
    .await;
    place(
        &app,
        "card-blockades",
        json!({"card-id": "C0000000201", "blockade-reason": "temporary-blockage"}),
    )
    .await;
    let page = app
        .get_ok(
            "/customer-order/account-terminations?sort-order=asc",
            &app.customer_token(CUSTOMER),
        )
        .await;
    assert_eq!(page["total-count"], 2, "card orders are not listed: {page}");
    let first = &page["items"][0];
    assert_eq!(first["order-number"], closing.as_str());
    assert_eq!(first["kind"], "bundled-account");
    assert_eq!(first["product-number"], "bundle-gold");
    assert_eq!(first["customer-name"], "Marko Jovanovic");
    assert_eq!(
        first["domestic-currency-settlement-account-number"],
        CURRENT_RSD
    );
    assert_eq!(first["cash-payout"], false);
    let second = &page["items"][1];
    assert_eq!(second["order-number"], redeeming.as_str());
    assert_eq!(second["kind"], "credit-facility");
    assert_eq!(
        second["domestic-currency-settlement-account-number"],
        Value::Null
    );
    let other = app.customer_token("1400054");
    let theirs = app
        .get_ok("/customer-order/account-terminations", &other)
        .await;
    assert_eq!(theirs["total-count"], 0);
}

/// An active account of the test's customer `1400269`.
fn test_account(
    number: &str,
    kind: bankapi::domain::account::ArrangementKind,
    minor: i64,
) -> bankapi::domain::account::Account {
    use bankapi::domain::account::{Account, ArrangementStatus, CurrencyCode, Money};
    Account {
        number: bankapi::domain::identifier::ArrangementNumber::parse("a", number)
            .expect("a number"),
        kind,
        owner: bankapi::domain::CustomerNumber::parse("c", CUSTOMER).expect("a customer"),
        product_code: "bundle-gold".into(),
        product_name: "Gold package account".into(),
        balance: Money {
            currency: CurrencyCode::parse("c", "RSD").expect("RSD"),
            minor,
        },
        status: ArrangementStatus::Active,
        linked: None,
        allows_cards: false,
        card_limit: 0,
        deposit: None,
    }
}

#[tokio::test]
async fn two_engines_settling_many_accounts_into_one_leave_it_exact() {
    use bankapi::domain::account::ArrangementKind;
    let app = TestApp::spawn_demo().await;
    let count = 24_i64;
    let accounts: Vec<_> = (1..=count)
        .map(|i| {
            test_account(
                &format!("T{i:012}"),
                ArrangementKind::BundledAccount,
                i * 10_001,
            )
        })
        .collect();
    app.stores
        .orders
        .import_reference_data(&[], &accounts, &[])
        .await
        .expect("import the accounts");
    let mut ids = Vec::new();
    for account in &accounts {
        ids.push(
            place(
                &app,
                "bundled-account-terminations",
                json!({"account-number": account.number.as_str(),
                       "domestic-currency-settlement-account-number": CURRENT_RSD}),
            )
            .await,
        );
    }
    // And one order taking money out of the same account meanwhile.
    ids.push(
        place(
            &app,
            "credit-facility-terminations",
            json!({"account-number": FACILITY}),
        )
        .await,
    );
    app.run_orders().await;
    for (index, id) in ids.iter().enumerate() {
        let resource = if index + 1 == ids.len() {
            "credit-facility-terminations"
        } else {
            "bundled-account-terminations"
        };
        assert_eq!(confirm(&app, resource, id).await.status(), 204);
    }
    // Two engines, as two instances would run, small batches so that they interleave.
    let engine = || {
        Engine::new(
            app.stores.orders.clone(),
            bankapi::operations::from_settings(&app.settings).expect("operations"),
            EngineSettings {
                batch: 3,
                ..EngineSettings::from_settings(&app.settings)
            },
        )
    };
    let (a, b) = (engine(), engine());
    let (first, second) = tokio::join!(a.run_until_idle(), b.run_until_idle());
    first.expect("engine a");
    second.expect("engine b");
    app.run_orders().await;
    for id in &ids[..ids.len() - 1] {
        let view = order(&app, "bundled-account-terminations", id).await;
        assert_eq!(view["status"], "external-processing-succeeded", "{view}");
    }
    // 184,520.50 + the sum of i * 100.01 for i in 1..=24 (300 * 100.01 = 30,003.00) - 20,000.00
    assert_eq!(account(&app, CURRENT_RSD).await["balance"], "194523.50");
    for number in accounts.iter().map(|a| a.number.to_string()) {
        let closed = account(&app, &number).await;
        assert_eq!(
            (closed["balance"].as_str(), closed["status"].as_str()),
            (Some("0.00"), Some("terminated")),
            "{number}"
        );
    }
    assert_eq!(
        bookings(&app, CURRENT_RSD).await.len(),
        25,
        "one credit per closure, one debit"
    );
}
