//! A standing order's nickname and terms as judged, the account it pays from kept open, and
//! how it is shown (the demo's, a page of them).

use super::*;

#[tokio::test]
async fn a_nickname_can_be_changed_and_must_not_be_blank() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let path = set_up(&app, &daily("1.00", 3)).await;
    let renamed = app
        .post_json(
            &format!("{path}/nickname"),
            &token,
            &json!({"nickname": "Gym"}),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    let view: Value = renamed.json().await.expect("json");
    assert_eq!(view["nickname"], "Gym");
    assert_eq!(app.get_ok(&path, &token).await["nickname"], "Gym");
    let blank = app
        .post_json(
            &format!("{path}/nickname"),
            &token,
            &json!({"nickname": "  "}),
        )
        .await;
    assert_eq!(first_error(&problem(blank, 400).await).0, "nickname");
}

#[tokio::test]
async fn bad_terms_are_named_and_the_accounts_judged() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let post = |body: Value| {
        let app = &app;
        let token = token.clone();
        async move {
            app.post_json("/customer-order/standing-orders", &token, &body)
                .await
        }
    };
    let mut past = daily("1.00", 3);
    past["start-date"] = json!((today() - Duration::days(1)).to_string());
    assert_eq!(
        first_error(&problem(post(past).await, 400).await).0,
        "start-date"
    );
    let too_precise = daily("1.005", 3);
    assert_eq!(
        first_error(&problem(post(too_precise).await, 400).await),
        (
            "transfer-details.amount.amount".into(),
            "invalid-format".into()
        )
    );
    let mut unit = daily("1.00", 3);
    unit["frequency"]["unit-of-time"] = json!("weeks");
    assert_eq!(
        first_error(&problem(post(unit).await, 400).await),
        ("frequency.unit-of-time".into(), "not-on-list".into())
    );
    let mut missing = daily("1.00", 3);
    missing["transfer-details"]
        .as_object_mut()
        .expect("object")
        .remove("creditor-name");
    assert_eq!(
        first_error(&problem(post(missing).await, 400).await).0,
        "transfer-details.creditor-name"
    );

    let mut foreign = daily("1.00", 3);
    foreign["transfer-details"]["creditor-account-number"] = json!("RS35105008123123123173");
    assert_eq!(
        problem(post(foreign.clone()).await, 422).await["problem"],
        "policy-violation"
    );
    foreign["product-code"] = json!("standing-order-domestic");
    assert_eq!(
        post(foreign).await.status(),
        202,
        "another bank is fine for a domestic one"
    );
    let mut euros = daily("1.00", 3);
    euros["transfer-details"]["amount"]["currency-code"] = json!("EUR");
    assert_eq!(
        problem(post(euros).await, 422).await["problem"],
        "policy-violation"
    );
    let mut deposit = daily("1.00", 3);
    deposit["transfer-details"]["debtor-account-number"] = json!("0064200002048");
    assert_eq!(
        problem(post(deposit).await, 422).await["problem"],
        "account-kind-not-eligible"
    );
    let mut not_mine = daily("1.00", 3);
    not_mine["transfer-details"]["debtor-account-number"] = json!(CREDITOR);
    not_mine["transfer-details"]["creditor-account-number"] = json!(DEBTOR);
    assert_eq!(post(not_mine).await.status(), 404);
}

#[tokio::test]
async fn a_current_account_does_not_close_while_a_standing_order_pays_from_it() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let mut body = daily("1.00", 3);
    body["transfer-details"]["debtor-account-number"] = json!("0064200002022");
    body["transfer-details"]["creditor-account-number"] = json!("0064200001948");
    body["transfer-details"]["amount"]["currency-code"] = json!("EUR");
    body["product-code"] = json!("standing-order-domestic");
    let path = set_up(&app, &body).await;
    let close = json!({
        "account-number": "0064200002022",
        "cash-payout": true,
        "termination-reason": "no-longer-needed"
    });
    let refused = app
        .post_json(
            "/customer-order/current-account-terminations",
            &token,
            &close,
        )
        .await;
    assert_eq!(
        problem(refused, 409).await["problem"],
        "standing-order-exists"
    );
    let canceled = app
        .post_json(&format!("{path}/cancel"), &token, &json!({}))
        .await;
    assert_eq!(canceled.status(), 204);
    let accepted = app
        .post_json(
            "/customer-order/current-account-terminations",
            &token,
            &close,
        )
        .await;
    assert_eq!(accepted.status(), 202);
}

#[tokio::test]
async fn the_demo_has_a_standing_order_to_try() {
    let app = TestApp::spawn_demo().await;
    app.run_orders().await;
    let token = app.customer_token("1400269");
    let listed = app.get_ok("/customer-order/standing-orders", &token).await;
    assert_eq!(listed["total-count"], 1, "{listed}");
    let demo = &listed["items"][0];
    assert_eq!(demo["nickname"], "Rent");
    assert_eq!(demo["standing-order-status"], "active", "{demo}");
    assert_eq!(
        demo["transfer-details"]["creditor-account-number"],
        CREDITOR
    );
}

#[tokio::test]
async fn a_page_of_standing_orders_shows_each_as_it_stands() {
    // The page's standing orders are read in one query: each item must still get its own.
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let skipped = set_up(&app, &daily("10.00", 5)).await;
    let renamed = set_up(&app, &daily("20.00", 5)).await;
    let skip = app
        .post_json(&format!("{skipped}/skip"), &token, &json!({}))
        .await;
    assert_eq!(skip.status(), 200);
    let rename = app
        .post_json(
            &format!("{renamed}/nickname"),
            &token,
            &json!({"nickname": "Renamed"}),
        )
        .await;
    assert_eq!(rename.status(), 200);
    // Placed, not yet set up: it has no standing order to show.
    let pending = app
        .post_json(
            "/customer-order/standing-orders",
            &token,
            &daily("30.00", 5),
        )
        .await;
    assert_eq!(pending.status(), 202);
    let pending: Value = pending.json().await.expect("json");

    let listed = app.get_ok("/customer-order/standing-orders", &token).await;
    let items = listed["items"].as_array().expect("items");
    let by_id = |id: &str| {
        items
            .iter()
            .find(|item| item["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {listed}"))
    };
    let id_of = |path: &str| path.rsplit('/').next().expect("an id").to_owned();
    let skipped = by_id(&id_of(&skipped));
    assert_eq!(skipped["next-payment-skipped"], true, "{skipped}");
    assert_eq!(skipped["nickname"], "Pocket money");
    let renamed = by_id(&id_of(&renamed));
    assert_eq!(renamed["nickname"], "Renamed", "{renamed}");
    assert_eq!(renamed["next-payment-skipped"], false, "{renamed}");
    let pending = by_id(pending["id"].as_str().expect("an id"));
    assert!(
        pending
            .get("standing-order-status")
            .is_none_or(Value::is_null),
        "{pending}"
    );
    assert_eq!(by_id("WI0000492474")["nickname"], "Rent");
}
