//! The conventions of API.md section 11 that hold on every operation: the sort and
//! `page` echoed in pages, conditional GETs with `ETag` and `304`, shaping with `include`
//! and `trim`, and the audit trail's own document.

use serde_json::{Value, json};

use crate::helpers::{TestApp, first_error, problem};

mod references;

const EVENTS: &str = "/customer-event/events?customer-number=1400269&page-size=3";

#[tokio::test]
async fn pages_echo_their_number_as_page_and_the_sort_they_are_in() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let page = app.get_ok(&format!("{EVENTS}&page-number=2"), &token).await;
    assert_eq!(page["page"], 2);
    assert_eq!(page["page-number"], 2);
    assert_eq!(
        page["sort-by"], "creation-datetime",
        "the default is said too"
    );
    assert_eq!(page["sort-order"], "desc");
    let asc = app
        .get_ok(&format!("{EVENTS}&sort-order=asc"), &token)
        .await;
    assert_eq!(asc["sort-order"], "asc");
    let orders = app
        .get_ok(
            "/customer-order/card-blockades?sort-by=order-number&sort-order=asc",
            &token,
        )
        .await;
    assert_eq!(orders["sort-by"], "order-number");
    assert_eq!(orders["sort-order"], "asc");
    let cards = app.get_ok("/customer-order/cards", &token).await;
    assert_eq!(cards["page"], 1);
    assert!(
        cards.get("sort-by").is_none(),
        "cards cannot be sorted: {cards}"
    );
}

/// GET `path` with `If-None-Match: tag`.
async fn get_if_none_match(app: &TestApp, path: &str, token: &str, tag: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .header("if-none-match", tag)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn an_unchanged_answer_is_304_and_a_changed_one_has_a_new_tag() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    for path in [
        EVENTS,
        "/customer-event/events/258242",
        "/customer-order/cards/C0000000201",
    ] {
        let first = app.get(path, &token).await;
        assert_eq!(first.status(), 200, "{path}");
        let tag = first.headers()["etag"].to_str().expect("text").to_owned();
        assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");
        let again = get_if_none_match(&app, path, &token, &tag).await;
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"], tag.as_str());
        assert!(again.bytes().await.expect("body").is_empty());
        let weak = get_if_none_match(&app, path, &token, &format!("\"x\", W/{tag}")).await;
        assert_eq!(weak.status(), 304, "weak comparison, in a list: {path}");
        let other = get_if_none_match(&app, path, &token, "\"not-it\"").await;
        assert_eq!(other.status(), 200, "{path}");
    }

    // The page changes when an event is added: the old tag no longer matches.
    let tag = app.get(EVENTS, &token).await.headers()["etag"]
        .to_str()
        .expect("text")
        .to_owned();
    let posted = app
        .post_json(
            "/customer-event/communication-events",
            &token,
            &json!({"customer-number": "1400269", "medium": "sms", "title": "new"}),
        )
        .await;
    assert!(posted.status().is_success(), "{}", posted.status());
    let changed = get_if_none_match(&app, EVENTS, &token, &tag).await;
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"], tag.as_str());
}

#[tokio::test]
async fn a_refusal_carries_no_tag_and_if_none_match_does_not_hide_it() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let missing = get_if_none_match(&app, "/customer-order/cards/C9999999999", &token, "*").await;
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().get("etag").is_none());
}

#[tokio::test]
async fn include_keeps_and_trim_removes_fields_through_arrays() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let full = app.get_ok(EVENTS, &token).await;
    let kept = app
        .get_ok(
            &format!("{EVENTS}&include=total-count,items.event-id"),
            &token,
        )
        .await;
    let ids: Vec<Value> = full["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| json!({"event-id": item["event-id"]}))
        .collect();
    assert_eq!(
        kept,
        json!({"total-count": full["total-count"], "items": ids})
    );

    let trimmed = app
        .get_ok(&format!("{EVENTS}&trim=navigations,items.uri"), &token)
        .await;
    assert!(trimmed.get("navigations").is_none());
    assert!(trimmed["items"][0].get("uri").is_none());
    assert_eq!(
        trimmed["items"][0]["event-id"],
        full["items"][0]["event-id"]
    );
    assert_eq!(trimmed["total-count"], full["total-count"]);

    let everything = app.get_ok(&format!("{EVENTS}&include=*"), &token).await;
    assert_eq!(everything, full);
    let nothing_named = app
        .get_ok(&format!("{EVENTS}&include=&trim="), &token)
        .await;
    assert_eq!(
        nothing_named, full,
        "an empty list is as if it were not sent"
    );

    let card = app
        .get_ok(
            "/customer-order/cards/C0000000201?include=card-id,status",
            &token,
        )
        .await;
    assert_eq!(card, json!({"card-id": "C0000000201", "status": "active"}));
}

#[tokio::test]
async fn a_field_the_answer_cannot_have_is_not_on_list_and_names_the_parameter() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    for (query, tag) in [
        ("include=statuses", "include"),
        ("include=items.nope", "include"),
        ("trim=items.event-id,bogus", "trim"),
        ("include=,", "include"),
    ] {
        let response = app.get(&format!("{EVENTS}&{query}"), &token).await;
        let body = problem(response, 400).await;
        assert_eq!(
            first_error(&body),
            (tag.to_owned(), "not-on-list".to_owned()),
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn the_audit_trail_has_a_document_and_refuses_what_it_does_not_take() {
    let app = TestApp::spawn_demo().await;
    let staff = app.staff_token();
    let doc = app.document("/audit/openapi.json").await;
    assert!(doc["paths"]["/records"]["get"].is_object(), "{doc}");
    let page = app
        .get_ok("/audit/records?include=total-count", &staff)
        .await;
    assert!(page["total-count"].is_u64(), "{page}");
    let unknown = app.get("/audit/records?statuses=x", &staff).await;
    assert_eq!(first_error(&problem(unknown, 400).await).0, "statuses");
    let long = app
        .get(
            &format!("/audit/records?subject={}", "s".repeat(201)),
            &staff,
        )
        .await;
    assert_eq!(
        first_error(&problem(long, 400).await),
        ("subject".to_owned(), "max-length".to_owned())
    );
}
