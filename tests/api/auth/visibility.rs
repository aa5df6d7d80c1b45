//! What a token may see: another customer's data is the same 404 as missing data; staff see
//! every customer's.

use super::*;

// ---------------------------------------------------------------------------------------
// 404: other customers' data
// ---------------------------------------------------------------------------------------

/// `type`, `title` and `status` of a 404 problem: what must not tell "someone else's" from
/// "not there".
async fn not_found_shape(response: reqwest::Response) -> (Value, Value, Value) {
    let body = problem(response, 404).await;
    (
        body["type"].clone(),
        body["title"].clone(),
        body["status"].clone(),
    )
}

/// GETs `path` for event `foreign` (someone else's) and for `missing` (no such id) with
/// `token`, and insists that the two 404s differ in nothing but the id they mention.
async fn assert_same_404(app: &TestApp, path: &str, foreign: i64, missing: i64, token: &str) {
    let foreign_path = path.replace("{id}", &foreign.to_string());
    let missing_path = path.replace("{id}", &missing.to_string());
    let foreign_body = problem(app.get(&foreign_path, token).await, 404).await;
    let missing_body = problem(app.get(&missing_path, token).await, 404).await;
    for member in ["type", "title", "status"] {
        assert_eq!(
            foreign_body[member], missing_body[member],
            "{member}: {foreign_body} vs {missing_body}"
        );
    }
    assert_eq!(
        foreign_body["type"],
        "https://bankapi.net/problems/not-found"
    );
    let foreign_detail = foreign_body["detail"].as_str().expect("detail");
    let missing_detail = missing_body["detail"].as_str().expect("detail");
    assert_eq!(
        foreign_detail.replace(&foreign.to_string(), &missing.to_string()),
        missing_detail,
        "the details differ in more than the id"
    );
}

#[tokio::test]
async fn a_customer_cannot_read_another_customers_event_and_gets_the_same_404_as_for_a_missing_one()
{
    let app = TestApp::spawn_demo().await;
    let owner = app.customer_token("1400269");
    let other = app.customer_token("1400054");
    app.get_ok("/customer-event/events/258242", &owner).await;

    assert_same_404(
        &app,
        "/customer-event/events/{id}",
        258242,
        999999999,
        &other,
    )
    .await;
}

#[tokio::test]
async fn a_customer_cannot_see_another_customers_event_in_its_typed_view() {
    let app = TestApp::spawn_demo().await;
    let owner = app.customer_token("1400269");
    let other = app.customer_token("1400054");
    let own = app
        .get_ok("/customer-event/security-events/258242", &owner)
        .await;
    assert_eq!(own["event-kind"], "SecurityEvent", "{own}");

    assert_same_404(
        &app,
        "/customer-event/security-events/{id}",
        258242,
        999999999,
        &other,
    )
    .await;
}

#[tokio::test]
async fn a_customer_cannot_list_another_customers_events() {
    let app = TestApp::spawn_demo().await;
    let other = app.customer_token("1400054");
    let own = app
        .get_ok("/customer-event/events?customer-number=1400054", &other)
        .await;
    assert!(own["total-count"].as_u64().expect("count") > 0, "{own}");
    // Without customer-number, a customer token lists its own events.
    let implicit = app.get_ok("/customer-event/events", &other).await;
    assert_eq!(implicit["total-count"], own["total-count"]);

    let foreign = not_found_shape(app.get(OWN_LIST, &other).await).await;
    assert_eq!(foreign.0, "https://bankapi.net/problems/not-found");
    // The same answer as for a customer number nobody has.
    let nobody = app
        .get("/customer-event/events?customer-number=1499999", &other)
        .await;
    assert_eq!(foreign, not_found_shape(nobody).await);
}

// ---------------------------------------------------------------------------------------
// Staff
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_staff_token_reads_any_customers_list_and_events() {
    let app = TestApp::spawn_demo().await;
    let staff = app.staff_token();
    let guide = app.get_ok(OWN_LIST, &staff).await;
    assert_eq!(guide["total-count"], 2298);
    assert_eq!(guide["items"][0]["event-id"], 258242);
    let event = app.get_ok("/customer-event/events/258242", &staff).await;
    assert_eq!(event["event-id"], 258242);
    app.get_ok("/customer-event/security-events/258242", &staff)
        .await;

    let other = app
        .get_ok("/customer-event/events?customer-number=1400054", &staff)
        .await;
    assert!(other["total-count"].as_u64().expect("count") > 0, "{other}");
    let id = other["items"][0]["event-id"]
        .as_i64()
        .expect("numeric event-id");
    let event = app
        .get_ok(&format!("/customer-event/events/{id}"), &staff)
        .await;
    assert_eq!(event["event-id"], id);
}
