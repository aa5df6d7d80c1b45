//! Paging edges: sizes, the last page, pages past the end, and navigation links.

use serde_json::Value;

use crate::helpers::{TestApp, first_error, problem};

fn rels(page: &Value) -> Vec<String> {
    page["navigations"]
        .as_array()
        .map(|n| {
            n.iter()
                .filter_map(|l| l["rel"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_last_page_holds_the_remainder_and_has_no_next() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let page = app
        .get_ok(
            "/customer-event/events?customer-number=1400269&page-number=115",
            &token,
        )
        .await;
    assert_eq!(
        page["items"].as_array().map(Vec::len),
        Some(2298 - 114 * 20)
    );
    assert_eq!(rels(&page), ["first", "prev", "last"]);
}

#[tokio::test]
async fn a_page_past_the_end_is_empty_but_still_links_back() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let page = app
        .get_ok(
            "/customer-event/events?customer-number=1400269&page-number=500",
            &token,
        )
        .await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0));
    assert_eq!(page["total-count"], 2298);
    assert_eq!(rels(&page), ["first", "prev", "last"]);
    let prev = page["navigations"][1]["href"].as_str().expect("href");
    assert!(
        prev.contains("page-number=115"),
        "prev points at the last real page: {prev}"
    );
}

#[tokio::test]
async fn page_sizes_outside_one_to_a_hundred_are_refused() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    for (query, tag, literal) in [
        ("page-size=0", "page-size", "out-of-range"),
        ("page-size=101", "page-size", "out-of-range"),
        ("page-size=ten", "page-size", "invalid-format"),
        ("page-number=0", "page-number", "out-of-range"),
        ("page=-3", "page", "out-of-range"),
    ] {
        let response = app
            .get(
                &format!("/customer-event/events?customer-number=1400269&{query}"),
                &token,
            )
            .await;
        let body = problem(response, 400).await;
        assert_eq!(
            first_error(&body),
            (tag.to_owned(), literal.to_owned()),
            "{query}"
        );
    }
    let full = app
        .get_ok(
            "/customer-event/events?customer-number=1400269&page-size=100",
            &token,
        )
        .await;
    assert_eq!(full["items"].as_array().map(Vec::len), Some(100));
    assert_eq!(full["total-pages"], 23);
}

#[tokio::test]
async fn links_keep_the_filters_and_the_page_size() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let page = app
        .get_ok("/customer-event/events?customer-number=1400269&event-kind=SecurtyEvent&page-size=5&page=2", &token)
        .await;
    let next = page["navigations"]
        .as_array()
        .and_then(|n| n.iter().find(|l| l["rel"] == "next"))
        .and_then(|l| l["href"].as_str())
        .expect("next");
    assert_eq!(
        next,
        app.url("/customer-event/v2.0/events?page-size=5&page-number=3&customer-number=1400269&event-kind=SecurityEvent")
    );
}

#[tokio::test]
async fn an_empty_history_has_no_pages() {
    let app = TestApp::spawn().await;
    let page = app
        .get_ok(
            "/customer-event/events?customer-number=1400269",
            &app.staff_token(),
        )
        .await;
    assert_eq!(page["total-count"], 0);
    assert_eq!(page["total-pages"], 0);
    assert!(rels(&page).is_empty());
}
