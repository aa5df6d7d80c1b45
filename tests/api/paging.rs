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

/// Every event id of the list at `query`, page after page by `page-number`.
async fn walk_by_number(app: &TestApp, token: &str, query: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for number in 1.. {
        let page = app
            .get_ok(
                &format!("/customer-event/events?{query}&page-size=100&page-number={number}"),
                token,
            )
            .await;
        let items = page["items"].as_array().expect("items");
        ids.extend(items.iter().filter_map(|i| i["event-id"].as_i64()));
        if items.len() < 100 {
            return ids;
        }
    }
    ids
}

/// The same list walked by `cursor`, following each answer's `next` link.
async fn walk_by_cursor(app: &TestApp, token: &str, query: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut url = format!("/customer-event/events?{query}&page-size=100&cursor=first");
    loop {
        let page = app.get_ok(&url, token).await;
        let items = page["items"].as_array().expect("items");
        ids.extend(items.iter().filter_map(|i| i["event-id"].as_i64()));
        assert_eq!(rels(&page).first().map(String::as_str), Some("first"));
        let Some(next) = page["next-cursor"].as_str() else {
            assert!(!rels(&page).contains(&"next".to_owned()));
            return ids;
        };
        let link = page["navigations"]
            .as_array()
            .and_then(|n| n.iter().find(|l| l["rel"] == "next"))
            .and_then(|l| l["href"].as_str())
            .expect("a next link");
        assert!(link.contains(&format!("cursor={next}")), "{link}");
        url = link
            .split_once("/customer-event")
            .map(|(_, rest)| format!("/customer-event{rest}"))
            .expect("a link into the API");
    }
}

#[tokio::test]
async fn a_cursor_walk_gives_the_same_items_as_page_numbers() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    for query in [
        "customer-number=1400269",
        "customer-number=1400269&sort-order=asc",
        "customer-number=1400269&event-kind=communication",
        "customer-number=1400269&event-kind=security&sort-order=asc",
    ] {
        let by_number = walk_by_number(&app, &token, query).await;
        let by_cursor = walk_by_cursor(&app, &token, query).await;
        assert!(!by_number.is_empty(), "{query}");
        assert_eq!(by_cursor, by_number, "{query}");
    }
}

#[tokio::test]
async fn a_cursor_is_checked_like_any_input() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let first = app
        .get_ok("/customer-event/events?page-size=5&cursor=first", &token)
        .await;
    let next = first["next-cursor"].as_str().expect("a next cursor");
    for (query, literal) in [
        ("cursor=not-a-cursor", "invalid-format"),
        (
            &format!("cursor={next}&sort-order=asc") as &str,
            "out-of-range",
        ),
        (&format!("cursor={next}&page-number=2"), "not-on-list"),
    ] {
        let response = app
            .get(&format!("/customer-event/events?{query}"), &token)
            .await;
        let body = problem(response, 400).await;
        assert_eq!(body["errors"][0]["tag"], "cursor", "{query}: {body}");
        assert_eq!(body["errors"][0]["error"], literal, "{query}: {body}");
    }
}

#[tokio::test]
async fn the_first_page_shows_each_event_the_moment_it_is_registered() {
    // First pages may be answered from memory (SQLite): never one a write has changed.
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let url = "/customer-event/events?customer-number=1400269&page-size=5";
    let mut total = app.get_ok(url, &token).await["total-count"]
        .as_u64()
        .expect("total");
    for n in 0..20 {
        let id = crate::helpers::note(&app, "1400269", &format!("fresh {n}")).await;
        // Read twice: the second read is the one a cache would answer.
        for _ in 0..2 {
            let page = app.get_ok(url, &token).await;
            assert_eq!(page["items"][0]["event-id"], id, "note {n}");
            assert_eq!(page["total-count"], total + 1);
        }
        total += 1;
    }
}

#[tokio::test]
async fn a_first_page_in_memory_is_answered_only_until_any_process_adds_an_event() {
    use bankapi::domain::{CustomerNumber, EventKind};
    use bankapi::store::NewEvent;

    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let url = "/customer-event/events?customer-number=1400269&page-size=5";
    let before = app.get_ok(url, &token).await;
    let total = before["total-count"].as_u64().expect("total");

    // A row slipped in beside every write path (no count, no generation) shows that the
    // page is answered from memory while the customer's generation stands still.
    let year_2999 = if crate::helpers::on_postgres() {
        "'2999-01-01T00:00:00Z'"
    } else {
        "32503680000000000" // microseconds, as the SQLite store keeps times
    };
    crate::store_conformance::execute(
        &app,
        &format!(
            "INSERT INTO events (event_id, customer_number, event_kind, created_at, description, event_data_xml) \
             VALUES (990000001, '1400269', 'CommunicationEvent', {year_2999}, NULL, '<a>slipped in</a>')"
        ),
    )
    .await;
    let cached = app.get_ok(url, &token).await;
    assert_eq!(cached["items"], before["items"], "answered from memory");
    assert_eq!(cached["total-count"], total);

    // A real write moves the generation. On PostgreSQL it comes from a second store on
    // the database, as another process's would; SQLite allows one process per file.
    let recorded = app
        .another_process()
        .await
        .events
        .append_event(
            NewEvent {
                customer_number: CustomerNumber::parse("c", "1400269").expect("customer"),
                kind: EventKind::CommunicationEvent,
                created_at: chrono::Utc::now(),
                description: Some("from elsewhere".into()),
                xml: "<communication><title>elsewhere</title></communication>".into(),
            },
            None,
        )
        .await
        .expect("append");
    let bankapi::store::Recorded::Created(written) = recorded else {
        panic!("a new event");
    };
    let fresh = app.get_ok(url, &token).await;
    // Read again: the slipped-in row (dated later) is first, then the new event.
    assert_eq!(fresh["items"][0]["event-id"], 990_000_001, "{fresh}");
    assert_eq!(fresh["items"][1]["event-id"], written, "{fresh}");
    // The kept count says one more, or two on SQLite: there a trigger counts every row
    // inserted (migration 0015), the slipped-in one too, where PostgreSQL counts in its
    // write paths' statements.
    let slipped_in_counted = u64::from(!crate::helpers::on_postgres());
    assert_eq!(fresh["total-count"], total + 1 + slipped_in_counted);
}
