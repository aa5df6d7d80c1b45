//! The conventions of API.md section 11 that hold on every operation: the sort and
//! `page` echoed in pages, conditional GETs with `ETag` and `304`, shaping with `include`
//! and `trim`, and the audit trail's own document.

use serde_json::{Value, json};

use crate::helpers::{TestApp, first_error, problem};

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

#[tokio::test]
async fn typed_views_also_carry_the_reference_fields_their_xml_has() {
    let app = TestApp::spawn_demo().await;
    let staff = app.staff_token();
    let booked = app
        .register_event(
            "1400269",
            "AccountingTransactionEvent",
            "<booking><transaction-id>T1</transaction-id><transaction-type>card-payment</transaction-type>\
             <from>Card processor</from><title>Groceries</title><amount>12.50</amount></booking>",
        )
        .await;
    let view = app
        .get_ok(
            &format!("/customer-event/accounting-transaction-events/{booked}"),
            &staff,
        )
        .await;
    assert_eq!(view["transaction-type"], "card-payment");
    assert_eq!(view["from"], "Card processor");
    assert_eq!(view["title"], "Groceries");
    assert_eq!(view["transaction-id"], "T1");

    let activity = app
        .register_event(
            "1400269",
            "ArrangementActivityEvent",
            "<activity-event><activity>card-blocked</activity></activity-event>",
        )
        .await;
    let view = app
        .get_ok(
            &format!("/customer-event/arrangement-activity-events/{activity}"),
            &staff,
        )
        .await;
    assert_eq!(view["activity"], "card-blocked");
    assert_eq!(
        view["activity-type"], "card-blocked",
        "the reference's name for it"
    );
    assert!(
        view.get("from").is_none() && view.get("title").is_none(),
        "reference fields the XML lacks are left out, so the guide's answers stay as printed: {view}"
    );

    let fee = app
        .register_event(
            "1400269",
            "ChargableActivityEvent",
            "<fee><fee-code>F1</fee-code><activity-type>statement</activity-type></fee>",
        )
        .await;
    let view = app
        .get_ok(
            &format!("/customer-event/chargable-activity-events/{fee}"),
            &staff,
        )
        .await;
    assert_eq!(view["activity-type"], "statement");
}

#[tokio::test]
async fn the_references_spellings_are_taken_on_input() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let staff = app.staff_token();

    // `external-processing-succeded` filters as the correctly spelled status does.
    let spelled = app
        .get_ok(
            "/customer-order/customer-requests?status=external-processing-succeeded",
            &staff,
        )
        .await;
    let reference = app
        .get_ok(
            "/customer-order/customer-requests?status=external-processing-succeded",
            &staff,
        )
        .await;
    assert_eq!(reference["total-count"], spelled["total-count"]);
    assert_eq!(reference["items"], spelled["items"]);

    // `embossment-line-1` is read as `embossement-line-1`; both at once is refused.
    let replaced = app
        .post_json(
            "/customer-order/card-replacements",
            &token,
            &json!({"card-id": "C0000000201", "replacement-reason": "damaged-card",
                    "embossment-line-1": "MARKO J"}),
        )
        .await;
    assert_eq!(replaced.status(), 202);
    let id = replaced.json::<Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let order = app
        .get_ok(&format!("/customer-order/card-replacements/{id}"), &token)
        .await;
    assert_eq!(order["embossement-line-1"], "MARKO J");
    let both = app
        .post_json(
            "/customer-order/card-replacements",
            &token,
            &json!({"card-id": "C0000000202", "replacement-reason": "damaged-card",
                    "embossment-line-1": "A", "embossement-line-1": "B"}),
        )
        .await;
    assert_eq!(
        first_error(&problem(both, 400).await).0,
        "embossment-line-1"
    );
}

#[tokio::test]
async fn a_communications_own_id_is_its_idempotency_key_without_the_header() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let body =
        json!({"id": "crm-0042", "customer-number": "1400269", "medium": "Mail", "title": "once"});
    let first = app
        .post_json("/customer-event/communication-events", &token, &body)
        .await;
    assert!(first.status().is_success());
    let first: Value = first.json().await.expect("json");
    let again: Value = app
        .post_json("/customer-event/communication-events", &token, &body)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        again["id"], first["id"],
        "the retry answers the first event"
    );
    let page = app
        .get_ok(
            "/customer-event/events?customer-number=1400269&event-kind=CommunicationEvent&page-size=2",
            &token,
        )
        .await;
    assert_eq!(page["items"][0]["event-id"], first["id"]);
    assert_ne!(page["items"][1]["event-id"], first["id"], "registered once");

    let other =
        json!({"id": "crm-0042", "customer-number": "1400269", "medium": "sms", "title": "other"});
    let reused = app
        .post_json("/customer-event/communication-events", &token, &other)
        .await;
    assert_eq!(
        problem(reused, 422).await["problem"],
        "idempotency-key-reused"
    );

    let bad = json!({"id": "has space", "customer-number": "1400269", "medium": "sms"});
    let refused = app
        .post_json("/customer-event/communication-events", &token, &bad)
        .await;
    assert_eq!(
        first_error(&problem(refused, 400).await),
        ("id".to_owned(), "invalid-format".to_owned())
    );
}

#[tokio::test]
async fn the_event_api_serves_its_classifications() {
    let app = TestApp::spawn().await;
    let token = app.customer_token("1400269");
    let all = app.get_ok("/customer-event/classifications", &token).await;
    let ids: Vec<&str> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|list| list["schema-id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "event-kind",
            "medium",
            "communication-type",
            "resolution-status",
            "purpose"
        ]
    );
    let medium = app
        .get_ok("/customer-event/v2.0/classifications/medium", &token)
        .await;
    assert_eq!(medium["API"], "customer-event");
    assert_eq!(medium["values"][1]["literal"], "mail");
    assert_eq!(medium["values"][1]["code"], "00002");
    let missing = app
        .get("/customer-event/classifications/card-status", &token)
        .await;
    problem(missing, 404).await;
    let order_token = app.mint(&bankapi::auth::mint::TokenRequest {
        scopes: vec!["customer-order:read".into()],
        ..bankapi::auth::mint::TokenRequest::customer("1400269")
    });
    let refused = app
        .get("/customer-event/classifications", &order_token)
        .await;
    problem(refused, 403).await;
}

#[tokio::test]
async fn a_time_without_an_offset_is_read_in_the_banks_time_zone() {
    let app = TestApp::spawn_with(crate::helpers::Options {
        demo: true,
        configure: Box::new(|settings| settings.time_zone = "Europe/Belgrade".into()),
    })
    .await;
    let token = app.customer_token("1400269");
    // The guide's newest event is 2014-10-10T12:34:36.690Z: 14:34:36.690 in Belgrade.
    let count = |query: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            app.get_ok(
                &format!("/customer-event/events?customer-number=1400269&{query}"),
                &token,
            )
            .await["total-count"]
                .as_u64()
                .expect("count")
        }
    };
    assert_eq!(count("date-from=2014-10-10T14:34:36").await, 1);
    assert_eq!(count("date-from=2014-10-10T14:34:37").await, 0);
    assert_eq!(
        count("date-from=2014-10-10T12:34:36Z").await,
        1,
        "an offset given is kept"
    );
    let skipped = app
        .get(
            "/customer-event/events?customer-number=1400269&date-from=2024-03-31T02:30:00",
            &token,
        )
        .await;
    assert_eq!(
        first_error(&problem(skipped, 400).await),
        ("date-from".to_owned(), "out-of-range".to_owned())
    );
}

#[tokio::test]
async fn a_shaped_answer_has_the_tag_of_its_own_bytes() {
    // First pages are kept as sent, with their tag: shaping must not send that tag on
    // other bytes.
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let full = app.get(EVENTS, &token).await;
    let full_tag = full.headers()["etag"].to_str().expect("text").to_owned();
    let shaped_path = format!("{EVENTS}&include=total-count");
    for _ in 0..2 {
        let shaped = app.get(&shaped_path, &token).await;
        assert_eq!(shaped.status(), 200);
        let tag = shaped.headers()["etag"].to_str().expect("text").to_owned();
        assert_ne!(tag, full_tag);
        assert_eq!(
            get_if_none_match(&app, &shaped_path, &token, &tag)
                .await
                .status(),
            304
        );
        assert_eq!(
            get_if_none_match(&app, EVENTS, &token, &tag).await.status(),
            200
        );
    }
    assert_eq!(
        get_if_none_match(&app, EVENTS, &token, &full_tag)
            .await
            .status(),
        304
    );
}
