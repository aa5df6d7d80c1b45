//! Ending a deposit early (API.md section 9): the calculation a customer sees first, the
//! order that waits for confirmation and pays principal plus interest less tax and fee to
//! the linked current account, and the refusals.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem};

const DEPOSIT: &str = "0064200002048";
const CURRENT_RSD: &str = "0064200002014";

fn amount(value: &Value) -> Decimal {
    Decimal::from_str(value.as_str().expect("a decimal string")).expect("a decimal")
}

async fn calculation(app: &TestApp, token: &str) -> Value {
    app.get_ok(
        &format!("/customer-order/calculations/deposit-termination?arrangement-number={DEPOSIT}"),
        token,
    )
    .await
}

#[tokio::test]
async fn a_deposit_ended_early_pays_what_its_calculation_said() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let before = calculation(&app, &token).await;
    assert_eq!(before["principal"], "500000.00", "{before}");
    assert_eq!(
        amount(&before["net-amount"]),
        amount(&before["principal"]) + amount(&before["interest"])
            - amount(&before["tax"])
            - amount(&before["fees"]),
        "{before}"
    );
    assert!(amount(&before["interest"]) > Decimal::ZERO, "{before}");

    let response = app
        .post_json(
            "/customer-order/deposit-account-terminations",
            &token,
            &json!({"account-number": DEPOSIT}),
        )
        .await;
    let created: Value = response.json().await.expect("json");
    let id = created["id"].as_str().expect("an id").to_owned();
    app.run_orders().await;
    let path = format!("/customer-order/deposit-account-terminations/{id}");
    assert_eq!(
        app.get_ok(&path, &token).await["status"],
        "awaiting-confirmation"
    );
    let confirmed = app
        .post_json(&format!("{path}/confirm"), &token, &json!({}))
        .await;
    assert_eq!(confirmed.status(), 204);
    app.run_orders().await;
    let done = app.get_ok(&path, &token).await;
    assert_eq!(done["status"], "external-processing-succeeded", "{done}");
    assert_eq!(done["product-name"], "Term deposit, 12 months");

    let deposit = app
        .get_ok(&format!("/customer-order/arrangements/{DEPOSIT}"), &token)
        .await;
    assert_eq!(
        (deposit["balance"].as_str(), deposit["status"].as_str()),
        (Some("0.00"), Some("terminated"))
    );
    let current = app
        .get_ok(
            &format!("/customer-order/arrangements/{CURRENT_RSD}"),
            &token,
        )
        .await;
    let received = amount(&current["balance"]) - Decimal::from_str("184520.50").expect("decimal");
    // The order computes on the day it runs: the day of the calculation, unless midnight
    // passed in between.
    let after = calculation(&app, &token).await;
    let nets = [amount(&before["net-amount"]), amount(&after["net-amount"])];
    assert!(
        nets.contains(&received),
        "received {received}, calculated {nets:?}"
    );

    let listed = app
        .get_ok("/customer-order/account-terminations", &token)
        .await;
    assert_eq!(listed["items"][0]["kind"], "deposit-account", "{listed}");
}

#[tokio::test]
async fn only_the_callers_deposits_can_be_ended_or_calculated() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let wrong_kind = app
        .post_json(
            "/customer-order/deposit-account-terminations",
            &token,
            &json!({"account-number": CURRENT_RSD}),
        )
        .await;
    assert_eq!(
        problem(wrong_kind, 422).await["problem"],
        "account-kind-not-eligible"
    );
    let not_a_deposit = app
        .get(
            &format!(
                "/customer-order/calculations/deposit-termination?arrangement-number={CURRENT_RSD}"
            ),
            &token,
        )
        .await;
    assert_eq!(
        problem(not_a_deposit, 422).await["problem"],
        "account-kind-not-eligible"
    );
    // 1400054's euro deposit.
    let theirs = app
        .post_json(
            "/customer-order/deposit-account-terminations",
            &token,
            &json!({"account-number": "0064200002089"}),
        )
        .await;
    problem(theirs, 404).await;
    let theirs = app
        .get(
            "/customer-order/calculations/deposit-termination?arrangement-number=0064200002089",
            &token,
        )
        .await;
    problem(theirs, 404).await;
    let missing = app
        .get("/customer-order/calculations/deposit-termination", &token)
        .await;
    assert_eq!(
        problem(missing, 400).await["errors"][0]["error"],
        "required"
    );
}

#[tokio::test]
async fn a_payout_pays_the_interest_and_the_deposit_earns_afresh() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let quote_path =
        format!("/customer-order/calculations/deposit-payout?account={DEPOSIT}&currency-id=RSD");
    let before = app.get_ok(&quote_path, &token).await;
    assert_eq!(
        amount(&before["net-amount"]),
        amount(&before["interest"]) - amount(&before["tax"]),
        "{before}"
    );
    let response = app
        .post_json(
            "/customer-order/deposit-payouts",
            &token,
            &json!({"account": DEPOSIT, "currency": "RSD"}),
        )
        .await;
    assert_eq!(response.status(), 202);
    app.run_orders().await;
    let deposit = app
        .get_ok(&format!("/customer-order/arrangements/{DEPOSIT}"), &token)
        .await;
    assert_eq!(deposit["balance"], "500000.00", "the principal stays");
    let current = app
        .get_ok(
            &format!("/customer-order/arrangements/{CURRENT_RSD}"),
            &token,
        )
        .await;
    let received = amount(&current["balance"]) - Decimal::from_str("184520.50").expect("decimal");
    let after = app.get_ok(&quote_path, &token).await;
    assert_eq!(after["interest-days"], 0, "it earns from today: {after}");
    // Paid what was shown, unless midnight (UTC) passed between the two: then a day more.
    if after["calculation-date"] == before["calculation-date"] {
        assert_eq!(
            received,
            amount(&before["net-amount"]),
            "paid what was shown"
        );
    } else {
        assert!(received >= amount(&before["net-amount"]), "{received}");
    }

    // In another currency: refused, as bankapi converts nothing.
    let euro = app
        .post_json(
            "/customer-order/deposit-payouts",
            &token,
            &json!({"account": DEPOSIT, "currency": "EUR"}),
        )
        .await;
    assert_eq!(problem(euro, 422).await["problem"], "policy-violation");
    let euro = app
        .get(
            &format!(
                "/customer-order/calculations/deposit-payout?account={DEPOSIT}&currency-id=EUR"
            ),
            &token,
        )
        .await;
    assert_eq!(problem(euro, 422).await["problem"], "policy-violation");
    let not_a_currency = app
        .post_json(
            "/customer-order/deposit-payouts",
            &token,
            &json!({"account": DEPOSIT, "currency": "DINAR"}),
        )
        .await;
    assert_eq!(
        problem(not_a_currency, 400).await["errors"][0]["tag"],
        "currency"
    );
}
