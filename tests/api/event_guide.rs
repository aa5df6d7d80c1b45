//! The Customer Event API v2 getting-started guide, step by step, with its own payloads,
//! against the demo data.

use serde_json::{Value, json};

use crate::helpers::TestApp;

const GUIDE_XML: &str = "<customer-login><customer-id>1400269</customer-id><event-id>a65ebbb2-5f23-42de-b0b2-b2362a03b392</event-id><occured-on>2014-10-10T12:34:28.203063+02:00</occured-on><user-id>8001186336</user-id><login-type>authorization-code</login-type><channel>mobile</channel></customer-login>";

#[tokio::test]
async fn step_3_lists_the_customers_2298_events_newest_first_on_both_roots() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    for root in ["/customer-event", "/customer-event/v2.0"] {
        let page = app
            .get_ok(&format!("{root}/events?customer-number=1400269"), &token)
            .await;
        assert_eq!(page["total-count"], 2298);
        assert_eq!(page["page-size"], 20);
        assert_eq!(page["page-number"], 1);
        assert_eq!(page["total-pages"], 115);
        let items = page["items"].as_array().expect("items");
        assert_eq!(items.len(), 20);
        assert_eq!(items[0]["event-id"], 258242);
        assert_eq!(items[0]["creation-datetime"], "2014-10-10T12:34:36.690Z");
        assert_eq!(items[0]["description"], Value::Null);
        assert_eq!(items[0]["event-kind"], "SecurityEvent");
        assert_eq!(
            items[0]["uri"],
            app.url("/customer-event/v2.0/events/258242")
        );
        assert_eq!(items[1]["event-id"], 258220);
        assert_eq!(items[19]["event-id"], 256102);
        let next = page["navigations"]
            .as_array()
            .expect("navigations")
            .iter()
            .find(|n| n["rel"] == "next")
            .expect("a next link");
        assert_eq!(
            next["href"],
            app.url(
                "/customer-event/v2.0/events?page-size=20&page-number=2&customer-number=1400269"
            )
        );
    }
}

#[tokio::test]
async fn step_3_the_next_link_works_when_followed() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let first = app
        .get_ok("/customer-event/events?customer-number=1400269", &token)
        .await;
    let next = first["navigations"]
        .as_array()
        .and_then(|n| n.iter().find(|n| n["rel"] == "next"))
        .and_then(|n| n["href"].as_str())
        .expect("next href")
        .to_owned();
    let response = app
        .client
        .get(&next)
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let second: Value = response.json().await.expect("json");
    assert_eq!(second["page-number"], 2);
    let last_of_first = first["items"][19]["event-id"].as_i64().expect("id");
    let first_of_second = second["items"][0]["event-id"].as_i64().expect("id");
    assert!(first_of_second < last_of_first, "pages must not overlap");
}

#[tokio::test]
async fn step_4_event_258242_returns_the_guides_xml_and_six_key_values() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    for path in [
        "/customer-event/events/258242",
        "/customer-event/v2.0/events/258242",
    ] {
        let event = app.get_ok(path, &token).await;
        assert_eq!(event["event-id"], 258242);
        assert_eq!(event["creation-datetime"], "2014-10-10T12:34:36.690Z");
        assert_eq!(event["description"], Value::Null);
        assert_eq!(event["event-kind"], "SecurityEvent");
        assert_eq!(event["event-data-xml"], GUIDE_XML);
        let expected: Vec<Value> = [
            ("customer-id", "1400269"),
            ("event-id", "a65ebbb2-5f23-42de-b0b2-b2362a03b392"),
            ("occured-on", "2014-10-10T12:34:28.203063+02:00"),
            ("user-id", "8001186336"),
            ("login-type", "authorization-code"),
            ("channel", "mobile"),
        ]
        .into_iter()
        .map(|(key, value)| {
            json!({
                "event-data-xml-parent-key": "customer-login",
                "event-data-xml-key": key,
                "event-data-xml-value": value,
            })
        })
        .collect();
        assert_eq!(event["event-data-key-values"], Value::Array(expected));
    }
}

/// First event of `kind` in the customer's history, through the kind filter.
async fn first_of_kind(app: &TestApp, token: &str, kind: &str) -> i64 {
    let page = app
        .get_ok(
            &format!(
                "/customer-event/events?customer-number=1400269&event-kind={kind}&page-size=1"
            ),
            token,
        )
        .await;
    page["items"][0]["event-id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no {kind} event in the demo"))
}

#[tokio::test]
async fn steps_5_to_11_every_typed_view_shows_its_kinds_fields() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let cases = [
        ("communication-events", "CommunicationEvent", "medium"),
        ("social-events", "SocialEvent", "network"),
        (
            "accounting-transaction-events",
            "AccountingTransactionEvent",
            "amount",
        ),
        ("customer-case-events", "CustomerCaseEvent", "case-id"),
        (
            "arrangement-activity-events",
            "ArrangementActivityEvent",
            "activity",
        ),
        (
            "profile-maintenance-events",
            "ProfileMaintenanceEvent",
            "field",
        ),
        (
            "chargable-activity-events",
            "ChargableActivityEvent",
            "fee-code",
        ),
        ("security-events", "SecurityEvent", "login-type"),
    ];
    for (path, kind, field) in cases {
        let id = first_of_kind(&app, &token, kind).await;
        let event = app
            .get_ok(&format!("/customer-event/{path}/{id}"), &token)
            .await;
        assert_eq!(event["event-kind"], kind);
        assert!(
            event[field].is_string(),
            "{path}/{id} lacks {field}: {event}"
        );
        let other = if kind == "SecurityEvent" {
            "communication-events"
        } else {
            "security-events"
        };
        let response = app
            .get(&format!("/customer-event/{other}/{id}"), &token)
            .await;
        assert_eq!(
            response.status(),
            404,
            "{other}/{id} must not show a {kind}"
        );
    }
}

#[tokio::test]
async fn step_12_posts_the_guides_communication_event() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let body = json!({
      "customer-number": "1400269",
      "workitem-id": "WI0000492929",
      "description": "some description",
      "from": "Joe",
      "to": "Tom",
      "title": "SomeTitle",
      "medium": "Mail",
      "purpose": "TestPorpose",
      "return-address": "SomeAddress"
    });
    let response = app
        .post_json("/customer-event/communication-events", &token, &body)
        .await;
    assert_eq!(response.status(), 200);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let created: Value = response.json().await.expect("json");
    assert_eq!(created["CreatedRecordStatus"], "Created");
    let id = created["id"].as_i64().expect("the new event-id");
    assert!(id > 258242, "ids increase");
    assert_eq!(
        location,
        app.url(&format!("/customer-event/v2.0/communication-events/{id}"))
    );

    let event = app
        .get_ok(
            &format!("/customer-event/communication-events/{id}"),
            &token,
        )
        .await;
    assert_eq!(event["workitem-id"], "WI0000492929");
    assert_eq!(event["medium"], "mail");
    assert_eq!(event["from"], "Joe");
    assert_eq!(event["to"], "Tom");
    assert_eq!(event["title"], "SomeTitle");
    assert_eq!(event["purpose"], "TestPorpose");
    assert_eq!(event["return-address"], "SomeAddress");
    assert_eq!(event["description"], "some description");

    let page = app
        .get_ok("/customer-event/events?customer-number=1400269", &token)
        .await;
    assert_eq!(page["total-count"], 2299);
    assert_eq!(
        page["items"][0]["event-id"], id,
        "the new event is the newest"
    );
}
