//! The Customer Order API v2 getting-started guide, step by step, with its own payloads.

use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, newest_communication};

const ISSUANCE: &str = "/customer-order/additional-card-issuances";

fn guide_body() -> Value {
    json!({"authorized-customer-number": "1400054", "arrangement-number": "0064200001930"})
}

/// The demo with its default (slow) durations and the executor running, as `serve --demo`.
async fn demo_as_served() -> TestApp {
    TestApp::spawn_with(Options {
        demo: true,
        configure: Box::new(|s| {
            s.executor_enabled = true;
            s.order_duration_scale = 1.0;
        }),
    })
    .await
}

#[tokio::test]
async fn steps_3_to_5_create_preview_and_cancel_an_additional_card_request() {
    let app = demo_as_served().await;
    let token = app.staff_token();

    // Step 3: 202 with the work item number.
    let response = app.post_json(ISSUANCE, &token, &guide_body()).await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let created: Value = response.json().await.expect("json");
    assert_eq!(
        created,
        json!({"id": "WI0000492475", "CreatedRecordStatus": "active"})
    );
    assert_eq!(
        location,
        app.url("/customer-order/v2.0/additional-card-issuances/WI0000492475")
    );

    // Step 4: proposed while it waits, with the guide's fields.
    for root in ["/customer-order", "/customer-order/v2.0"] {
        let order = app
            .get_ok(
                &format!("{root}/additional-card-issuances/WI0000492475"),
                &token,
            )
            .await;
        assert_eq!(order["id"], "WI0000492475");
        assert_eq!(order["order-number"], "WI0000492475");
        assert_eq!(order["authorized-customer-number"], "1400054");
        assert_eq!(order["authorized-customer-name"], "Ana Petrovic");
        assert_eq!(order["owner-customer-number"], "BRVU00002");
        assert_eq!(order["owner-customer-name"], "Branislav Vukovic");
        assert_eq!(order["arrangement-number"], "0064200001930");
        assert_eq!(order["product-code"], "MasterCard");
        assert_eq!(order["description"], Value::Null);
        assert_eq!(order["status"], "proposed");
        assert_eq!(order["customer-friendly-status"], "active");
        assert!(
            order["creation-date"]
                .as_str()
                .is_some_and(|d| d.ends_with('Z')),
            "{order}"
        );
        assert_eq!(order["steps"][0]["status"], "running");
    }

    // Step 5: 204, then canceled / abandoned, and no card is ever produced.
    let response = app
        .client
        .put(app.url("/customer-order/additional-card-issuances/WI0000492475/cancel"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 204);
    let order = app
        .get_ok(
            "/customer-order/additional-card-issuances/WI0000492475",
            &token,
        )
        .await;
    assert_eq!(order["status"], "canceled");
    assert_eq!(order["customer-friendly-status"], "abandoned");
    assert_eq!(order["result-card-id"], Value::Null);
    let cards = app
        .get_ok("/customer-order/cards?customer-number=1400054", &token)
        .await;
    assert!(
        cards["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|c| c["arrangement-number"] != "0064200001930"),
        "a canceled issuance produced a card: {cards}"
    );
}

#[tokio::test]
async fn the_guides_issuance_completes_with_a_new_inactive_card_when_steps_are_immediate() {
    let app = TestApp::spawn_demo().await;
    let token = app.staff_token();
    let created: Value = app
        .post_json(ISSUANCE, &token, &guide_body())
        .await
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("id").to_owned();
    app.run_orders().await;
    let order = app.get_ok(&format!("{ISSUANCE}/{id}"), &token).await;
    assert_eq!(order["status"], "external-processing-succeeded");
    assert_eq!(order["customer-friendly-status"], "complete");
    let card_id = order["result-card-id"]
        .as_str()
        .expect("the new card")
        .to_owned();
    let card = app
        .get_ok(&format!("/customer-order/cards/{card_id}"), &token)
        .await;
    assert_eq!(card["status"], "inactive");
    assert_eq!(card["holder-customer-number"], "1400054");
    assert_eq!(card["owner-customer-number"], "BRVU00002");
    assert_eq!(card["arrangement-number"], "0064200001930");
    assert!(
        card["masked-number"]
            .as_str()
            .is_some_and(|m| m.contains("****"))
    );

    // The order registered its events, visible through the Event API.
    let events = app
        .get_ok(
            "/customer-event/events?customer-number=BRVU00002&event-kind=arrangement-activity",
            &token,
        )
        .await;
    let newest = events["items"][0]["event-id"].as_i64().expect("event");
    let event = app
        .get_ok(
            &format!("/customer-event/arrangement-activity-events/{newest}"),
            &token,
        )
        .await;
    assert_eq!(event["workitem-id"], id.as_str());
    assert_eq!(event["card-id"], card_id.as_str());
    let note = newest_communication(&app, "1400054", &token).await;
    assert_eq!(note["workitem-id"], id.as_str());
}
