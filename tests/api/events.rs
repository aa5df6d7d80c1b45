//! Filters, typed fields from posted XML, and field validation of the Event API.

use serde_json::{Value, json};

use crate::helpers::{TestApp, first_error, problem};

#[tokio::test]
async fn the_kind_filter_accepts_every_alias() {
    let app = TestApp::spawn().await;
    let login = "<customer-login><user-id>1</user-id><channel>web</channel></customer-login>";
    app.register_event("1400269", "SecurityEvent", login).await;
    app.register_event(
        "1400269",
        "social",
        "<social-event><network>x</network></social-event>",
    )
    .await;
    let token = app.customer_token("1400269");
    for alias in ["SecurityEvent", "SecurtyEvent", "security", "SECURITY"] {
        let page = app
            .get_ok(
                &format!("/customer-event/events?customer-number=1400269&event-kind={alias}"),
                &token,
            )
            .await;
        assert_eq!(page["total-count"], 1, "{alias}");
        assert_eq!(page["items"][0]["event-kind"], "SecurityEvent");
    }
    for alias in [
        "chargable-activity",
        "chargeable-activity",
        "ChargableActivityEvent",
    ] {
        let page = app
            .get_ok(
                &format!("/customer-event/events?customer-number=1400269&event-kind={alias}"),
                &token,
            )
            .await;
        assert_eq!(page["total-count"], 0, "{alias}");
    }
    let response = app
        .get(
            "/customer-event/events?customer-number=1400269&event-kind=LoginEvent",
            &token,
        )
        .await;
    let body = problem(response, 400).await;
    assert_eq!(
        first_error(&body),
        ("event-kind".into(), "unknown-enum".into())
    );
}

#[tokio::test]
async fn the_date_filters_bound_the_list_inclusively() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let day = app
        .get_ok("/customer-event/events?customer-number=1400269&date-from=2014-10-10&date-to=2014-10-10&page-size=100", &token)
        .await;
    let items = day["items"].as_array().expect("items");
    assert!(!items.is_empty());
    assert_eq!(day["total-count"].as_u64(), Some(items.len() as u64));
    assert!(items.iter().all(|i| {
        i["creation-datetime"]
            .as_str()
            .is_some_and(|t| t.starts_with("2014-10-10"))
    }));
    let exact = app
        .get_ok(
            "/customer-event/events?customer-number=1400269&date-from=2014-10-10T12:34:36.690Z&date-to=2014-10-10T12:34:36.690Z",
            &token,
        )
        .await;
    assert_eq!(exact["total-count"], 1);
    assert_eq!(exact["items"][0]["event-id"], 258242);
    let later = app
        .get_ok(
            "/customer-event/events?customer-number=1400269&date-from=2014-10-11",
            &token,
        )
        .await;
    assert_eq!(later["total-count"], 0);
}

#[tokio::test]
async fn bad_filters_are_named_with_their_literal() {
    let app = TestApp::spawn().await;
    let token = app.staff_token();
    let cases = [
        (
            "customer-number=1400269&date-from=yesterday",
            "date-from",
            "invalid-format",
        ),
        (
            "customer-number=1400269&date-from=2014-10-11&date-to=2014-10-10",
            "date-to",
            "out-of-range",
        ),
        (
            "customer-number=1400269&sort-order=up",
            "sort-order",
            "unknown-enum",
        ),
        (
            "customer-number=1400269&sort-by=amount",
            "sort-by",
            "not-on-list",
        ),
        (
            "customer-number=14%2700269",
            "customer-number",
            "invalid-format",
        ),
        (
            "customer-number=123456789012345678901",
            "customer-number",
            "max-length",
        ),
        ("customer-number=", "customer-number", "required"),
        ("", "customer-number", "required"),
    ];
    for (query, tag, literal) in cases {
        let response = app
            .get(&format!("/customer-event/events?{query}"), &token)
            .await;
        let body = problem(response, 400).await;
        assert_eq!(
            first_error(&body),
            (tag.to_owned(), literal.to_owned()),
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn a_list_sorted_ascending_starts_with_the_oldest() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let asc = app.get_ok("/customer-event/events?customer-number=1400269&sort-order=asc&sort-by=creation-datetime", &token).await;
    let desc = app
        .get_ok(
            "/customer-event/events?customer-number=1400269&page=115",
            &token,
        )
        .await;
    let last_desc = desc["items"]
        .as_array()
        .and_then(|i| i.last())
        .expect("items")["event-id"]
        .clone();
    assert_eq!(asc["items"][0]["event-id"], last_desc);
}

#[tokio::test]
async fn a_customer_token_lists_its_own_events_without_naming_the_customer() {
    let app = TestApp::spawn_demo().await;
    let page = app
        .get_ok("/customer-event/events", &app.customer_token("1400054"))
        .await;
    assert_eq!(page["total-count"], 40);
}

#[tokio::test]
async fn posted_xml_gives_typed_fields_and_key_values_in_document_order() {
    let app = TestApp::spawn().await;
    let xml = "<accounting-transaction><arrangement-number>0064200001930</arrangement-number><transaction-id>TX1</transaction-id><amount>12.50</amount><currency-code>RSD</currency-code><direction>debit</direction><booking-date>2014-10-10</booking-date></accounting-transaction>";
    let id = app
        .register_event("1400269", "accounting-transaction", xml)
        .await;
    let event = app
        .get_ok(
            &format!("/customer-event/accounting-transaction-events/{id}"),
            &app.staff_token(),
        )
        .await;
    assert_eq!(event["amount"], "12.50");
    assert_eq!(event["currency-code"], "RSD");
    assert_eq!(event["direction"], "debit");
    assert_eq!(event["booking-date"], "2014-10-10");
    assert_eq!(
        event["event-data-key-values"].as_array().map(Vec::len),
        Some(6)
    );
    assert_eq!(
        event["event-data-key-values"][0]["event-data-xml-key"],
        "arrangement-number"
    );
}

#[tokio::test]
async fn posting_a_communication_validates_every_field() {
    let app = TestApp::spawn().await;
    let token = app.customer_token("1400269");
    let cases: [(Value, &str, &str); 8] = [
        (json!({"medium": "mail"}), "customer-number", "required"),
        (json!({"customer-number": "1400269"}), "medium", "required"),
        (
            json!({"customer-number": "1400269", "medium": "pigeon"}),
            "medium",
            "unknown-enum",
        ),
        (
            json!({"customer-number": "1400269", "medium": "sms", "workitem-id": "X1"}),
            "workitem-id",
            "invalid-format",
        ),
        (
            json!({"customer-number": "1400269", "medium": "sms", "title": "x".repeat(201)}),
            "title",
            "max-length",
        ),
        (
            json!({"customer-number": "1400269", "medium": "sms", "communication-type": "rant"}),
            "communication-type",
            "unknown-enum",
        ),
        (
            json!({"customer-number": "1400269", "medium": "sms", "colour": "red"}),
            "colour",
            "not-on-list",
        ),
        (
            json!({"customer-number": 1400269, "medium": "sms"}),
            "customer-number",
            "invalid-format",
        ),
    ];
    for (body, tag, literal) in cases {
        let response = app
            .post_json("/customer-event/communication-events", &token, &body)
            .await;
        let problem = problem(response, 400).await;
        assert_eq!(
            first_error(&problem),
            (tag.to_owned(), literal.to_owned()),
            "{body}"
        );
    }
    let page = app.get_ok("/customer-event/events", &token).await;
    assert_eq!(page["total-count"], 0, "nothing was stored");
}

#[tokio::test]
async fn related_workitem_number_is_an_alias_of_workitem_id() {
    let app = TestApp::spawn().await;
    let token = app.customer_token("1400269");
    let body = json!({"customer-number": "1400269", "medium": "EMAIL", "related-workitem-number": "WI0000000001"});
    let response = app
        .post_json("/customer-event/communication-events", &token, &body)
        .await;
    assert_eq!(response.status(), 200);
    let id = response.json::<Value>().await.expect("json")["id"]
        .as_i64()
        .expect("id");
    let event = app
        .get_ok(
            &format!("/customer-event/communication-events/{id}"),
            &token,
        )
        .await;
    assert_eq!(event["workitem-id"], "WI0000000001");
    assert_eq!(event["medium"], "email");
}

#[tokio::test]
async fn a_customer_cannot_post_into_another_customers_history() {
    let app = TestApp::spawn().await;
    let body = json!({"customer-number": "1400054", "medium": "sms"});
    let response = app
        .post_json(
            "/customer-event/communication-events",
            &app.customer_token("1400269"),
            &body,
        )
        .await;
    problem(response, 404).await;
}

#[tokio::test]
async fn the_staff_endpoint_validates_kind_and_xml() {
    let app = TestApp::spawn().await;
    let token = app.staff_token();
    let cases = [
        (
            json!({"event-kind": "social", "event-data-xml": "<a/>"}),
            "customer-number",
            "required",
        ),
        (
            json!({"customer-number": "1", "event-data-xml": "<a/>"}),
            "event-kind",
            "required",
        ),
        (
            json!({"customer-number": "1", "event-kind": "nope", "event-data-xml": "<a/>"}),
            "event-kind",
            "unknown-enum",
        ),
        (
            json!({"customer-number": "1", "event-kind": "social"}),
            "event-data-xml",
            "required",
        ),
        (
            json!({"customer-number": "1", "event-kind": "social", "event-data-xml": "<a>"}),
            "event-data-xml",
            "invalid-format",
        ),
    ];
    for (body, tag, literal) in cases {
        let response = app.post_json("/customer-event/events", &token, &body).await;
        let problem = problem(response, 400).await;
        assert_eq!(
            first_error(&problem),
            (tag.to_owned(), literal.to_owned()),
            "{body}"
        );
    }
}

#[tokio::test]
async fn ids_that_are_not_numbers_are_400_and_unknown_ids_404() {
    let app = TestApp::spawn().await;
    let token = app.staff_token();
    let body = problem(app.get("/customer-event/events/abc", &token).await, 400).await;
    assert_eq!(
        first_error(&body),
        ("event-id".into(), "invalid-format".into())
    );
    problem(
        app.get("/customer-event/events/99999999", &token).await,
        404,
    )
    .await;
    problem(
        app.get("/customer-event/social-events/99999999", &token)
            .await,
        404,
    )
    .await;
}
