//! The conventions the reference clients expect of events: typed views with their XML's
//! reference fields, the reference spellings on input, a communication's own id as its key,
//! classifications, times without an offset, and a shaped answer's tag.

use super::*;

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
