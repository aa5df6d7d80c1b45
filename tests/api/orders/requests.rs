//! What is asked of an order request and of its caller: field validation, whose cards and
//! orders a customer reaches, scopes, retries with a key, lists, classifications and
//! deadlines.

use super::*;

#[tokio::test]
async fn order_input_is_validated_field_by_field() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let cases = [
        ("card-activations", json!({}), "card-id", "required"),
        (
            "card-blockades",
            json!({"card-id": "C0000000201"}),
            "blockade-reason",
            "required",
        ),
        (
            "card-blockades",
            json!({"card-id": "C0000000201", "blockade-reason": "bored"}),
            "blockade-reason",
            "not-on-list",
        ),
        (
            "card-replacements",
            json!({"card-id": "C0000000201", "replacement-reason": "lost"}),
            "replacement-reason",
            "not-on-list",
        ),
        (
            "card-terminations",
            json!({"card-id": "C0000000201", "termination-reason": "why-not"}),
            "termination-reason",
            "not-on-list",
        ),
        (
            "card-activations",
            json!({"card-id": "C0000000202", "colour": "red"}),
            "colour",
            "not-on-list",
        ),
        (
            "card-activations",
            json!({"card-id": "C0000000202", "description": "x".repeat(501)}),
            "description",
            "max-length",
        ),
        (
            "additional-card-issuances",
            json!({"arrangement-number": "0064200001930"}),
            "authorized-customer-number",
            "required",
        ),
    ];
    for (resource, body, tag, literal) in cases {
        let response = app
            .post_json(&format!("/customer-order/{resource}"), &token, &body)
            .await;
        let problem = problem(response, 400).await;
        assert_eq!(
            first_error(&problem),
            (tag.to_owned(), literal.to_owned()),
            "{resource} {body}"
        );
    }
    let body = problem(
        app.get("/customer-order/card-activations/WI12", &token)
            .await,
        400,
    )
    .await;
    assert_eq!(first_error(&body).1, "invalid-format");
}

#[tokio::test]
async fn customers_order_only_for_their_own_cards_and_see_only_their_orders() {
    let app = TestApp::spawn_demo().await;
    let owner = app.customer_token("1400269");
    let stranger = app.customer_token("1400054");
    // Another customer's card answers 404, as if it did not exist.
    let response = app
        .post_json(
            "/customer-order/card-activations",
            &stranger,
            &json!({"card-id": "C0000000202"}),
        )
        .await;
    problem(response, 404).await;
    problem(
        app.post_json(
            "/customer-order/card-activations",
            &owner,
            &json!({"card-id": "C9999999999"}),
        )
        .await,
        404,
    )
    .await;
    let response = app
        .post_json(
            "/customer-order/additional-card-issuances",
            &stranger,
            &json!({"authorized-customer-number": "1400054", "arrangement-number": "0064200001948"}),
        )
        .await;
    problem(response, 404).await;

    let id = order(
        &app,
        "card-activations",
        &owner,
        json!({"card-id": "C0000000202"}),
    )
    .await;
    problem(
        app.get(&format!("/customer-order/card-activations/{id}"), &stranger)
            .await,
        404,
    )
    .await;
    problem(
        app.get("/customer-order/cards/C0000000202", &stranger)
            .await,
        404,
    )
    .await;
    problem(
        app.get(
            "/customer-order/card-activations?customer-number=1400269",
            &stranger,
        )
        .await,
        404,
    )
    .await;
    let theirs = app
        .get_ok("/customer-order/customer-requests", &stranger)
        .await;
    assert_eq!(theirs["total-count"], 0);
    let mine = app
        .get_ok(
            "/customer-order/customer-requests?kind=card-activation",
            &owner,
        )
        .await;
    assert_eq!(mine["total-count"], 1);
    assert_eq!(mine["items"][0]["order-number"], id.as_str());
    assert_eq!(mine["items"][0]["order-type"], "card-activation");
}

#[tokio::test]
async fn a_missing_scope_is_403() {
    let app = TestApp::spawn_demo().await;
    let mut request = bankapi::auth::mint::TokenRequest::customer("1400269");
    request.scopes = vec!["customer-order:read".into()];
    let read_only = app.mint(&request);
    let response = app
        .post_json(
            "/customer-order/card-activations",
            &read_only,
            &json!({"card-id": "C0000000202"}),
        )
        .await;
    problem(response, 403).await;
    request.scopes = vec!["customer-event:read".into()];
    let events_only = app.mint(&request);
    problem(
        app.get(
            "/customer-order/cards?customer-number=1400269",
            &events_only,
        )
        .await,
        403,
    )
    .await;
}

#[tokio::test]
async fn a_retried_order_with_the_same_key_is_accepted_once() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let send = || {
        app.client
            .post(app.url("/customer-order/card-activations"))
            .bearer_auth(&token)
            .header("Idempotency-Key", "activate-202")
            .json(&json!({"card-id": "C0000000202"}))
            .send()
    };
    let first: Value = send().await.expect("request").json().await.expect("json");
    let second = send().await.expect("request");
    assert_eq!(second.status(), 202);
    assert_eq!(second.json::<Value>().await.expect("json"), first);
    let list = app
        .get_ok(
            "/customer-order/card-activations?customer-number=1400269",
            &token,
        )
        .await;
    assert_eq!(list["total-count"], 1);
}

#[tokio::test]
async fn a_retry_after_the_order_ran_still_gets_its_first_answer() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let send = |card: &'static str| {
        app.client
            .post(app.url("/customer-order/card-activations"))
            .bearer_auth(&token)
            .header("Idempotency-Key", "activate-once")
            .json(&json!({"card-id": card}))
            .send()
    };
    let first: Value = send("C0000000202")
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    app.run_orders().await;
    // The card is active now: without the key this would be a conflict.
    let retry = send("C0000000202").await.expect("request");
    assert_eq!(retry.status(), 202);
    assert_eq!(retry.json::<Value>().await.expect("json"), first);
    // The same key for another request is refused and orders nothing.
    problem(send("C0000000206").await.expect("request"), 422).await;
    let list = app
        .get_ok(
            "/customer-order/card-activations?customer-number=1400269",
            &token,
        )
        .await;
    assert_eq!(list["total-count"], 1);
}

#[tokio::test]
async fn lists_filter_by_status_and_page() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    order(
        &app,
        "card-activations",
        &token,
        json!({"card-id": "C0000000202"}),
    )
    .await;
    order(
        &app,
        "card-blockades",
        &token,
        json!({"card-id": "C0000000201", "blockade-reason": "temporary-blockage"}),
    )
    .await;
    let proposed = app
        .get_ok("/customer-order/customer-requests?status=proposed", &token)
        .await;
    assert_eq!(proposed["total-count"], 2);
    app.run_orders().await;
    let done = app
        .get_ok(
            "/customer-order/customer-requests?status=external-processing-succeeded&page-size=1",
            &token,
        )
        .await;
    // The two, and the demo's order that set up its standing order.
    assert_eq!(done["total-count"], 3);
    assert_eq!(done["total-pages"], 3);
    let blockades = app.get_ok("/customer-order/card-blockades", &token).await;
    assert_eq!(blockades["total-count"], 1);
    let by_kind = app
        .get_ok(
            "/customer-order/customer-requests?kind=card-activation",
            &token,
        )
        .await;
    assert_eq!(by_kind["total-count"], 1);
    let body = problem(
        app.get("/customer-order/customer-requests?status=sleeping", &token)
            .await,
        400,
    )
    .await;
    assert_eq!(first_error(&body), ("status".into(), "unknown-enum".into()));
}

#[tokio::test]
async fn classifications_list_the_documented_codes() {
    let app = TestApp::spawn().await;
    let token = app.customer_token("1400269");
    let all = app.get_ok("/customer-order/classifications", &token).await;
    assert!(all["items"].as_array().is_some_and(|i| i.len() >= 8));
    let reasons = app
        .get_ok(
            "/customer-order/classifications/card-replacement-reason",
            &token,
        )
        .await;
    assert_eq!(reasons["schema-id"], "card-replacement-reason");
    assert_eq!(reasons["values"][0]["literal"], "card-losses");
    assert_eq!(reasons["values"][0]["code"], "00001");
    problem(
        app.get("/customer-order/classifications/colours", &token)
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn an_order_not_executed_before_its_deadline_expires_and_changes_nothing() {
    let app = TestApp::spawn_with(Options {
        demo: true,
        configure: Box::new(|settings| settings.order_deadline_seconds = 0),
    })
    .await;
    let token = app.customer_token("1400269");
    let id = order(
        &app,
        "card-activations",
        &token,
        json!({"card-id": "C0000000202"}),
    )
    .await;
    // The deadline is the moment of acceptance: any later execution is too late.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    app.run_orders().await;
    let expired = order_status(&app, "card-activations", &id).await;
    assert_eq!(expired["status"], "expired");
    assert!(
        expired["rejection-reason"]
            .as_str()
            .is_some_and(|r| r.contains("deadline")),
        "{expired}"
    );
    assert_eq!(card_status(&app, "C0000000202").await, "inactive");
    // The customer hears about it, with the work item named.
    let note = newest_communication(&app, "1400269", &token).await;
    assert_eq!(note["workitem-id"], id.as_str());
}
