//! Held orders staff decide, an arrangement's queue behind a held order, produced cards,
//! core banking's account closures, the published contract, and standing order payments at
//! the processor.

use super::*;

#[tokio::test]
async fn a_key_the_processor_refuses_holds_the_order_and_staff_can_reject_it() {
    let sor = SystemOfRecord::start().await;
    sor.seed_card("C0000000202", "inactive");
    let app = app_with(&sor).await;
    let id = activate(&app, "C0000000202").await;
    let key = format!("{id}:activate-card");
    sor.script(&key, vec![Fault::Conflict]);
    let held = settle(&app, "card-activations", &id, &["held"]).await;
    assert!(
        held["hold-reason"]
            .as_str()
            .unwrap_or_default()
            .contains("409"),
        "{held}"
    );
    let reject = format!("/customer-order/card-activations/{id}/reject");
    let missing = app.post_json(&reject, &app.staff_token(), &json!({})).await;
    assert_eq!(problem(missing, 400).await["errors"][0]["tag"], "reason");
    let blank = app
        .post_json(&reject, &app.staff_token(), &json!({"reason": "\u{a0} "}))
        .await;
    assert_eq!(problem(blank, 400).await["errors"][0]["error"], "required");
    let unknown = app
        .post_json(
            &reject,
            &app.staff_token(),
            &json!({"reason": "x", "why": "y"}),
        )
        .await;
    problem(unknown, 400).await;
    let decided = app
        .post_json(
            &reject,
            &app.staff_token(),
            &json!({"reason": "the processor has no record of the card"}),
        )
        .await;
    assert_eq!(decided.status(), 204);
    let order = app
        .get_ok(
            &format!("/customer-order/card-activations/{id}"),
            &app.staff_token(),
        )
        .await;
    assert_eq!(order["status"], "rejected");
    assert!(
        order["rejection-reason"]
            .as_str()
            .unwrap_or_default()
            .contains("the processor has no record of the card")
    );
    assert_eq!(card_status(&app, "C0000000202").await, "inactive");
    let note = newest_communication(&app, "1400269", &app.staff_token()).await;
    assert_eq!(note["workitem-id"], id.as_str());
    let twice = app
        .post_json(&reject, &app.staff_token(), &json!({"reason": "again"}))
        .await;
    assert_eq!(
        problem(twice, 409).await["problem"],
        "request-status-not-eligible-for-rejection"
    );
}

#[tokio::test]
async fn a_later_order_of_the_same_arrangement_waits_behind_a_held_one() {
    let sor = SystemOfRecord::start().await;
    sor.seed_card("C0000000202", "inactive");
    sor.seed_card("C0000000201", "active");
    let app = app_with(&sor).await;
    let first = activate(&app, "C0000000202").await;
    sor.script(&format!("{first}:activate-card"), vec![Fault::Conflict]);
    settle(&app, "card-activations", &first, &["held"]).await;
    let response = app
        .post_json(
            "/customer-order/card-blockades",
            &app.customer_token("1400269"),
            &json!({"card-id": "C0000000201", "blockade-reason": "temporary-blockage"}),
        )
        .await;
    let second: Value = response.json().await.expect("json");
    let second = second["id"].as_str().expect("id").to_owned();
    for _ in 0..5 {
        app.run_orders().await;
    }
    let waiting = app
        .get_ok(
            &format!("/customer-order/card-blockades/{second}"),
            &app.staff_token(),
        )
        .await;
    assert_eq!(waiting["status"], "approved", "{waiting}");
    assert!(sor.calls(&format!("{second}:block-card")) == 0);
    let reject = format!("/customer-order/card-activations/{first}/reject");
    app.post_json(
        &reject,
        &app.staff_token(),
        &json!({"reason": "duplicate at the processor"}),
    )
    .await;
    settle(
        &app,
        "card-blockades",
        &second,
        &["external-processing-succeeded"],
    )
    .await;
    assert_eq!(sor.card_status("C0000000201").as_deref(), Some("suspended"));
}

#[tokio::test]
async fn a_produced_card_is_recorded_as_the_processor_answered() {
    let sor = SystemOfRecord::start().await;
    let app = app_with(&sor).await;
    let response = app
        .post_json(
            "/customer-order/additional-card-issuances",
            &app.staff_token(),
            &json!({"authorized-customer-number": "1400054", "arrangement-number": "0064200001930"}),
        )
        .await;
    let created: Value = response.json().await.expect("json");
    let id = created["id"].as_str().expect("id").to_owned();
    let order = settle(
        &app,
        "additional-card-issuances",
        &id,
        &["external-processing-succeeded"],
    )
    .await;
    assert_eq!(order["result-card-id"], "S0000000001", "{order}");
    let card = app
        .get_ok("/customer-order/cards/S0000000001", &app.staff_token())
        .await;
    assert_eq!(card["holder-customer-number"], "1400054");
    assert_eq!(card["status"], "inactive");
    let body = &sor.bodies(&format!("{id}:produce-card"))[0];
    assert_eq!(body["authorized-customer-number"], "1400054");
}

#[tokio::test]
async fn an_account_closure_reaches_core_banking_with_its_fields_after_confirmation() {
    let sor = SystemOfRecord::start().await;
    let app = app_with(&sor).await;
    let token = app.customer_token("1400269");
    let response = app
        .post_json(
            "/customer-order/current-account-terminations",
            &token,
            &json!({"account-number": "0064200002022", "cash-payout": true, "termination-reason": "other"}),
        )
        .await;
    let created: Value = response.json().await.expect("json");
    let id = created["id"].as_str().expect("id").to_owned();
    settle(
        &app,
        "current-account-terminations",
        &id,
        &["awaiting-confirmation"],
    )
    .await;
    assert!(
        sor.bodies(&format!("{id}:close-account")).is_empty(),
        "nothing reaches core banking before the customer confirms"
    );
    let confirmed = app
        .post_json(
            &format!("/customer-order/current-account-terminations/{id}/confirm"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(confirmed.status(), 204);
    settle(
        &app,
        "current-account-terminations",
        &id,
        &["external-processing-succeeded"],
    )
    .await;
    let body = &sor.bodies(&format!("{id}:close-account"))[0];
    assert_eq!(body["operation"], "close-account");
    assert_eq!(body["account-number"], "0064200002022");
    assert_eq!(body["cash-payout"], true, "a boolean, not a string: {body}");
    assert_eq!(body["termination-reason"], "other");
    let account = app
        .get_ok("/customer-order/arrangements/0064200002022", &token)
        .await;
    assert_eq!(
        account["status"], "terminated",
        "mirrored once core banking answered"
    );
    assert_eq!(account["balance"], "0.00");
}

#[tokio::test]
async fn the_contract_a_system_of_record_implements_is_published_as_openapi() {
    let app = TestApp::spawn().await;
    let doc = app.document("/system-of-record/openapi.json").await;
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    let post = &doc["paths"]["/operations"]["post"];
    assert!(post["responses"]["202"].is_object(), "{post}");
    assert!(post["responses"]["422"].is_object(), "{post}");
    let header = post["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "Idempotency-Key"));
    assert!(header.is_some(), "{post}");
    assert!(doc["paths"]["/operations/{reference}"]["get"].is_object());
    let request = &doc["components"]["schemas"]["OperationRequest"]["properties"];
    for field in [
        "operation",
        "order-number",
        "card-id",
        "embossement-line-1",
        "account-number",
        "cash-payout",
        "items",
        "mandate-number",
        "new-product-code",
        "campaign-code",
        "account",
        "currency",
        "nickname",
        "product-code",
        "transfer-details",
        "start-date",
        "end-date",
        "frequency",
        "first-payment-date",
        "standing-order-number",
        "payment-date",
    ] {
        assert!(request[field].is_object(), "{field} missing: {request}");
    }
}

#[tokio::test]
async fn a_held_standing_order_payment_is_decided_by_its_number_alone() {
    let sor = SystemOfRecord::start().await;
    let app = app_with(&sor).await;
    let today = chrono::Utc::now().date_naive().to_string();
    let response = app
        .post_json(
            "/customer-order/standing-orders",
            &app.customer_token("1400269"),
            &json!({
                "nickname": "Held",
                "product-code": "standing-order-internal",
                "transfer-details": {
                    "debtor-account-number": "0064200002030",
                    "creditor-name": "Ana Petrovic",
                    "creditor-account-number": "0064200002071",
                    "amount": {"currency-code": "RSD", "amount": "10.00"}
                },
                "start-date": today,
                "end-date": today,
            }),
        )
        .await;
    assert_eq!(response.status(), 202);
    // A fresh demo's first order sets it up; today's payment is the next one, and it has
    // no resource of its own: staff decide about it at /orders/{order-number}.
    let payment = "WI0000492476";
    let key = format!("{payment}:make-payment");
    sor.script(&key, vec![Fault::ServerError; 3]);
    let held = settle(&app, "orders", payment, &["held"]).await;
    assert_eq!(held["standing-order-number"], "WI0000492475", "{held}");
    let retry = format!("/customer-order/orders/{payment}/retry");
    let own = app
        .post_json(&retry, &app.customer_token("1400269"), &json!({}))
        .await;
    assert_eq!(problem(own, 403).await["problem"], "forbidden");
    let decided = app.post_json(&retry, &app.staff_token(), &json!({})).await;
    assert_eq!(decided.status(), 204);
    settle(&app, "orders", payment, &["external-processing-succeeded"]).await;
    assert_eq!(sor.effects(&key), 1);
    let reject = app
        .post_json(
            &format!("/customer-order/orders/{payment}/reject"),
            &app.staff_token(),
            &json!({"reason": "too late"}),
        )
        .await;
    assert_eq!(
        problem(reject, 409).await["problem"],
        "request-status-not-eligible-for-rejection"
    );
}
