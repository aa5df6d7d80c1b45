//! The audit trail: who did what, when, to which order or event; staff only.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, problem};

/// The trail filtered by `query`, once the writer has caught up with `expected` records.
async fn records(app: &TestApp, query: &str, expected: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = app
            .get_ok(&format!("/audit/records?{query}"), &app.staff_token())
            .await;
        // Items, not the count: the count is a second statement and may see more.
        if page["items"].as_array().map(|items| items.len() as u64) >= Some(expected) {
            return page;
        }
        assert!(Instant::now() < deadline, "audit records missing: {page}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn changes_are_recorded_with_who_what_and_which_order_accepted_or_refused() {
    let app = TestApp::spawn_demo().await;
    let marko = app.customer_token("1400269");
    let created: Value = app
        .post_json(
            "/customer-order/card-activations",
            &marko,
            &json!({"card-id": "C0000000202"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let order = created["id"].as_str().expect("id").to_owned();
    let cancel = app
        .client
        .put(app.url(&format!("/customer-order/card-activations/{order}/cancel")))
        .bearer_auth(&marko)
        .send()
        .await
        .expect("cancel");
    assert_eq!(cancel.status(), 204);
    // Refused: Ana may not act on Marko's card; still recorded, as an attempt.
    let refused = app
        .post_json(
            "/customer-order/card-blockades",
            &app.customer_token("1400054"),
            &json!({"card-id": "C0000000201", "blockade-reason": "temporary-blockage"}),
        )
        .await;
    assert_eq!(refused.status(), 404);
    // Reads are not recorded.
    app.get_ok(&format!("/customer-order/card-activations/{order}"), &marko)
        .await;

    let about_order = records(&app, &format!("target={order}"), 2).await;
    let items = about_order["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{about_order}");
    // Newest first: the cancel, then the order.
    assert_eq!(items[0]["method"], "PUT");
    assert_eq!(items[0]["status"], 204);
    assert_eq!(items[1]["method"], "POST");
    assert_eq!(items[1]["path"], "/customer-order/card-activations");
    assert_eq!(items[1]["status"], 202);
    for item in items {
        assert_eq!(item["subject"], "customer-1400269");
        assert_eq!(item["acting-for"], "1400269");
        assert!(item["recorded-at"].is_string());
    }
    let all = records(&app, "", 3).await;
    assert_eq!(all["total-count"], 3, "reads are not audited: {all}");
    let attempt = &all["items"][0];
    assert_eq!(attempt["acting-for"], "1400054");
    assert_eq!(attempt["status"], 404);
    assert!(attempt["target"].is_null());
}

#[tokio::test]
async fn registered_events_are_recorded_and_the_trail_filters_by_subject() {
    let app = TestApp::spawn().await;
    let response = app
        .post_json(
            "/customer-event/communication-events",
            &app.staff_token(),
            &json!({"customer-number": "1400269", "medium": "sms"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let id = response.json::<Value>().await.expect("json")["id"].clone();
    let by_staff = records(&app, "subject=staff", 1).await;
    let item = &by_staff["items"][0];
    assert_eq!(
        item["target"].as_str(),
        id.as_i64()
            .map(|i| i.to_string())
            .as_deref()
            .or(id.as_str())
    );
    assert!(item["acting-for"].is_null());
    let nobody = app
        .get_ok("/audit/records?subject=someone-else", &app.staff_token())
        .await;
    assert_eq!(nobody["total-count"], 0);
}

#[tokio::test]
async fn only_staff_read_the_trail() {
    let app = TestApp::spawn().await;
    problem(
        app.get("/audit/records", &app.customer_token("1400269"))
            .await,
        403,
    )
    .await;
    let anonymous = app
        .client
        .get(app.url("/audit/records"))
        .send()
        .await
        .expect("request");
    problem(anonymous, 401).await;
    problem(
        app.get("/audit/records?page-size=0", &app.staff_token())
            .await,
        400,
    )
    .await;
}
