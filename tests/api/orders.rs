//! Each order resource's happy path and business refusals, and the executor's rules:
//! one order per card at a time, re-checking at execution, cancelation windows.

use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, first_error, newest_communication, problem};

mod announcements;
mod requests;

async fn order(app: &TestApp, resource: &str, token: &str, body: Value) -> String {
    let response = app
        .post_json(&format!("/customer-order/{resource}"), token, &body)
        .await;
    let status = response.status();
    let created: Value = response.json().await.expect("json");
    assert_eq!(status, 202, "{resource}: {created}");
    assert_eq!(created["CreatedRecordStatus"], "active");
    created["id"].as_str().expect("id").to_owned()
}

async fn card_status(app: &TestApp, card: &str) -> String {
    let card = app
        .get_ok(&format!("/customer-order/cards/{card}"), &app.staff_token())
        .await;
    card["status"].as_str().expect("status").to_owned()
}

async fn order_status(app: &TestApp, resource: &str, id: &str) -> Value {
    app.get_ok(
        &format!("/customer-order/{resource}/{id}"),
        &app.staff_token(),
    )
    .await
}

#[tokio::test]
async fn each_card_order_changes_its_card_as_the_contract_says() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let cases = [
        (
            "card-activations",
            json!({"card-id": "C0000000202"}),
            "C0000000202",
            "active",
        ),
        (
            "card-blockades",
            json!({"card-id": "C0000000201", "blockade-reason": "temporary-blockage"}),
            "C0000000201",
            "suspended",
        ),
        (
            "card-deblockades",
            json!({"card-id": "C0000000203", "description": "found it"}),
            "C0000000203",
            "active",
        ),
        (
            "card-terminations",
            json!({"card-id": "C0000000206", "termination-reason": "customer-request"}),
            "C0000000206",
            "terminated",
        ),
    ];
    for (resource, body, card, expected) in cases {
        let id = order(&app, resource, &token, body).await;
        app.run_orders().await;
        let done = order_status(&app, resource, &id).await;
        assert_eq!(
            done["status"], "external-processing-succeeded",
            "{resource}: {done}"
        );
        assert_eq!(done["card-id"], card);
        assert!(
            done["steps"]
                .as_array()
                .expect("steps")
                .iter()
                .all(|s| s["status"] == "done"),
            "{done}"
        );
        assert_eq!(card_status(&app, card).await, expected, "{resource}");
    }
    let blocked = app
        .get_ok("/customer-order/cards/C0000000201", &token)
        .await;
    assert_eq!(blocked["blockade-reason"], "temporary-blockage");
}

#[tokio::test]
async fn a_damaged_card_stays_usable_until_its_replacement_is_activated() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let id = order(&app, "card-replacements", &token, json!({"card-id": "C0000000201", "replacement-reason": "damaged-card", "embossement-line-1": "MARKO JOVANOVIC"})).await;
    app.run_orders().await;
    let done = order_status(&app, "card-replacements", &id).await;
    let new_card = done["result-card-id"]
        .as_str()
        .expect("new card")
        .to_owned();
    let old = app
        .get_ok("/customer-order/cards/C0000000201", &token)
        .await;
    assert_eq!(old["status"], "active");
    assert_eq!(old["replaced-by"], new_card.as_str());
    let new = app
        .get_ok(&format!("/customer-order/cards/{new_card}"), &token)
        .await;
    assert_eq!(new["status"], "inactive");
    assert_eq!(new["replaces"], "C0000000201");
    assert_eq!(new["holder-customer-number"], "1400269");

    order(
        &app,
        "card-activations",
        &token,
        json!({"card-id": new_card}),
    )
    .await;
    app.run_orders().await;
    assert_eq!(card_status(&app, &new_card).await, "active");
    assert_eq!(card_status(&app, "C0000000201").await, "terminated");
}

#[tokio::test]
async fn a_stolen_card_is_terminated_as_soon_as_it_is_replaced() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    order(
        &app,
        "card-replacements",
        &token,
        json!({"card-id": "C0000000204", "replacement-reason": "stolen-card"}),
    )
    .await;
    app.run_orders().await;
    assert_eq!(card_status(&app, "C0000000204").await, "terminated");
}

#[tokio::test]
async fn business_refusals_carry_their_problem_literal() {
    let app = TestApp::spawn_demo().await;
    let customer = app.customer_token("1400269");
    let staff = app.staff_token();
    // The demo's one order: the one that set up its standing order.
    let before = app
        .get_ok("/customer-order/customer-requests", &staff)
        .await["total-count"]
        .clone();
    assert_eq!(before, 1);
    let cases = [
        (
            "card-activations",
            &customer,
            json!({"card-id": "C0000000201"}),
            409,
            "card-status-not-eligible",
        ),
        (
            "card-blockades",
            &customer,
            json!({"card-id": "C0000000205", "blockade-reason": "card-losses"}),
            409,
            "card-status-not-eligible",
        ),
        (
            "card-deblockades",
            &customer,
            json!({"card-id": "C0000000201"}),
            409,
            "card-status-not-eligible",
        ),
        (
            "card-deblockades",
            &customer,
            json!({"card-id": "C0000000204"}),
            422,
            "policy-violation",
        ),
        (
            "card-terminations",
            &customer,
            json!({"card-id": "C0000000205"}),
            409,
            "card-status-not-eligible",
        ),
        (
            "card-replacements",
            &customer,
            json!({"card-id": "C0000000205", "replacement-reason": "damaged-card"}),
            409,
            "card-status-not-eligible",
        ),
        (
            "additional-card-issuances",
            &staff,
            json!({"authorized-customer-number": "BRVU00002", "arrangement-number": "0064200001930"}),
            422,
            "owner-can-not-have-additional-card",
        ),
        (
            "additional-card-issuances",
            &staff,
            json!({"authorized-customer-number": "MIGR00002", "arrangement-number": "0064200001930"}),
            409,
            "active-additional-card-already-exists",
        ),
        (
            "additional-card-issuances",
            &staff,
            json!({"authorized-customer-number": "1400054", "arrangement-number": "0064200001964"}),
            422,
            "policy-violation",
        ),
    ];
    for (resource, token, body, status, literal) in cases {
        let response = app
            .post_json(&format!("/customer-order/{resource}"), token, &body)
            .await;
        let body = problem(response, status).await;
        assert_eq!(body["problem"], literal, "{resource}: {body}");
    }
    let requests = app
        .get_ok("/customer-order/customer-requests", &staff)
        .await;
    assert_eq!(
        requests["total-count"], before,
        "refused orders are not stored"
    );
}

#[tokio::test]
async fn the_same_order_for_the_same_card_is_refused_while_the_first_is_active() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    order(
        &app,
        "card-blockades",
        &token,
        json!({"card-id": "C0000000201", "blockade-reason": "temporary-blockage"}),
    )
    .await;
    let response = app
        .post_json(
            "/customer-order/card-blockades",
            &token,
            &json!({"card-id": "C0000000201", "blockade-reason": "suspected-fraud"}),
        )
        .await;
    let body = problem(response, 409).await;
    assert_eq!(body["problem"], "request-already-exists");
}

#[tokio::test]
async fn orders_of_one_card_run_in_the_order_accepted_and_are_checked_again() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    // Both are valid for an inactive card when accepted; the termination runs first.
    let terminate = order(
        &app,
        "card-terminations",
        &token,
        json!({"card-id": "C0000000202"}),
    )
    .await;
    let activate = order(
        &app,
        "card-activations",
        &token,
        json!({"card-id": "C0000000202"}),
    )
    .await;
    app.run_orders().await;
    assert_eq!(
        order_status(&app, "card-terminations", &terminate).await["status"],
        "external-processing-succeeded"
    );
    let rejected = order_status(&app, "card-activations", &activate).await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["customer-friendly-status"], "rejected");
    assert!(
        rejected["rejection-reason"]
            .as_str()
            .is_some_and(|r| r.contains("terminated")),
        "{rejected}"
    );
    assert_eq!(card_status(&app, "C0000000202").await, "terminated");
    // The rejection was told to the customer too.
    let events = app
        .get_ok(
            "/customer-event/events?customer-number=1400269&event-kind=communication&page-size=5",
            &token,
        )
        .await;
    let mut work_items = Vec::new();
    for item in events["items"].as_array().expect("items") {
        let id = item["event-id"].as_i64().expect("id");
        let event = app
            .get_ok(
                &format!("/customer-event/communication-events/{id}"),
                &token,
            )
            .await;
        work_items.push(event["workitem-id"].as_str().unwrap_or_default().to_owned());
    }
    assert!(
        work_items.contains(&terminate) && work_items.contains(&activate),
        "{work_items:?}"
    );
}

#[tokio::test]
async fn an_order_cannot_be_canceled_once_its_card_is_being_changed() {
    let app = TestApp::spawn_with(Options {
        demo: true,
        configure: Box::new(|s| {
            s.order_step_seconds
                .insert("card-activation.activate-card".into(), 3600.0);
        }),
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
    app.run_orders().await;
    assert_eq!(
        order_status(&app, "card-activations", &id).await["status"],
        "external-processing-in-progress"
    );
    let response = app
        .client
        .put(app.url(&format!("/customer-order/card-activations/{id}/cancel")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    let body = problem(response, 409).await;
    assert_eq!(
        body["problem"],
        "request-status-not-eligible-for-cancelation"
    );
}

#[tokio::test]
async fn cancel_answers_204_then_409_and_404_for_unknown_orders() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let id = order(
        &app,
        "card-activations",
        &token,
        json!({"card-id": "C0000000202"}),
    )
    .await;
    let cancel = |id: String| {
        app.client
            .post(app.url(&format!("/customer-order/card-activations/{id}/cancel")))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(cancel(id.clone()).await.expect("request").status(), 204);
    app.run_orders().await;
    assert_eq!(
        card_status(&app, "C0000000202").await,
        "inactive",
        "a canceled order changes nothing"
    );
    let again = problem(cancel(id.clone()).await.expect("request"), 409).await;
    assert_eq!(
        again["problem"],
        "request-status-not-eligible-for-cancelation"
    );
    problem(cancel("WI0009999999".into()).await.expect("request"), 404).await;
    // An order of another kind under this resource is not found either.
    let blockade = order(
        &app,
        "card-blockades",
        &token,
        json!({"card-id": "C0000000201", "blockade-reason": "temporary-blockage"}),
    )
    .await;
    problem(cancel(blockade).await.expect("request"), 404).await;
}
