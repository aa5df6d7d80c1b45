//! Bodies that are malformed, oversized, of the wrong type, or hostile XML: each gets a
//! precise problem and stores nothing.

use serde_json::json;

use crate::helpers::{Options, TestApp, first_error, problem};

async fn stored_events(app: &TestApp) -> u64 {
    let page = app
        .get_ok(
            "/customer-event/events?customer-number=1400269",
            &app.staff_token(),
        )
        .await;
    page["total-count"].as_u64().expect("count")
}

async fn post_xml(app: &TestApp, xml: &str) -> reqwest::Response {
    let body =
        json!({"customer-number": "1400269", "event-kind": "SecurityEvent", "event-data-xml": xml});
    app.post_json("/customer-event/events", &app.staff_token(), &body)
        .await
}

#[tokio::test]
async fn a_billion_laughs_document_is_refused_and_nothing_stored() {
    let app = TestApp::spawn().await;
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]><lolz>&lol2;</lolz>"#;
    let body = problem(post_xml(&app, bomb).await, 400).await;
    assert_eq!(
        first_error(&body),
        ("event-data-xml".into(), "invalid-format".into())
    );
    assert_eq!(stored_events(&app).await, 0);
}

#[tokio::test]
async fn an_external_entity_is_refused_and_nothing_stored() {
    let app = TestApp::spawn().await;
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE login [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><login><user-id>&xxe;</user-id></login>"#;
    let body = problem(post_xml(&app, xxe).await, 400).await;
    assert!(
        body["detail"].as_str().is_some_and(|d| d.contains("DTD")),
        "{body}"
    );
    let undeclared = problem(
        post_xml(&app, "<login><user-id>&xxe;</user-id></login>").await,
        400,
    )
    .await;
    assert_eq!(
        first_error(&undeclared),
        ("event-data-xml".into(), "invalid-format".into())
    );
    assert_eq!(stored_events(&app).await, 0);
}

#[tokio::test]
async fn deep_and_oversized_xml_is_refused() {
    let app = TestApp::spawn().await;
    let deep = format!("{}1{}", "<a>".repeat(50), "</a>".repeat(50));
    let body = problem(post_xml(&app, &deep).await, 400).await;
    assert_eq!(
        first_error(&body),
        ("event-data-xml".into(), "out-of-range".into())
    );
    let large = format!("<a><b>{}</b></a>", "x".repeat(40 * 1024));
    let body = problem(post_xml(&app, &large).await, 400).await;
    assert_eq!(
        first_error(&body),
        ("event-data-xml".into(), "max-length".into())
    );
    assert_eq!(stored_events(&app).await, 0);
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = TestApp::spawn().await;
    for raw in ["{\"customer-number\": ", "not json", "[]", "{} {}", ""] {
        let response = app
            .client
            .post(app.url("/customer-event/communication-events"))
            .bearer_auth(app.customer_token("1400269"))
            .header("content-type", "application/json")
            .body(raw.to_owned())
            .send()
            .await
            .expect("request");
        problem(response, 400).await;
    }
    assert_eq!(stored_events(&app).await, 0);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/customer-event/communication-events"))
        .bearer_auth(app.customer_token("1400269"))
        .header("content-type", "application/xml")
        .body("<communication/>")
        .send()
        .await
        .expect("request");
    problem(response, 415).await;
    let response = app
        .client
        .post(app.url("/customer-event/communication-events"))
        .bearer_auth(app.customer_token("1400269"))
        .body("{}")
        .send()
        .await
        .expect("request");
    problem(response, 415).await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = TestApp::spawn_with(Options {
        configure: Box::new(|s| s.body_limit_bytes = 4096),
        ..Options::default()
    })
    .await;
    let body =
        json!({"customer-number": "1400269", "medium": "sms", "description": "x".repeat(8000)});
    let response = app
        .post_json(
            "/customer-event/communication-events",
            &app.customer_token("1400269"),
            &body,
        )
        .await;
    let problem = problem(response, 413).await;
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("4096")),
        "{problem}"
    );
    assert_eq!(stored_events(&app).await, 0);
}

#[tokio::test]
async fn deeply_nested_json_is_refused_without_a_crash() {
    let app = TestApp::spawn().await;
    let nested = format!(
        "{{\"customer-number\": {}1{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let response = app
        .client
        .post(app.url("/customer-event/communication-events"))
        .bearer_auth(app.customer_token("1400269"))
        .header("content-type", "application/json")
        .body(nested)
        .send()
        .await
        .expect("request");
    problem(response, 400).await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_with_problems() {
    let app = TestApp::spawn().await;
    problem(
        app.get("/customer-event/nothing-here", &app.staff_token())
            .await,
        404,
    )
    .await;
    let response = app
        .client
        .delete(app.url("/customer-event/events/258242"))
        .bearer_auth(app.staff_token())
        .send()
        .await
        .expect("request");
    problem(response, 405).await;
}

#[tokio::test]
async fn injection_strings_in_parameters_are_just_bad_values() {
    let app = TestApp::spawn_demo().await;
    let token = app.staff_token();
    for evil in [
        "1400269'--",
        "1400269%20OR%201%3D1",
        "%00",
        "%27%3B%20DROP%20TABLE%20events%3B--",
    ] {
        let response = app
            .get(
                &format!("/customer-event/events?customer-number={evil}"),
                &token,
            )
            .await;
        problem(response, 400).await;
        let response = app
            .get(&format!("/customer-event/events/{evil}"), &token)
            .await;
        problem(response, 400).await;
    }
    assert_eq!(stored_events(&app).await, 2298);
}
