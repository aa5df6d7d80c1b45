//! Abuse from outside: injection strings in every documented parameter, invalid UTF-8,
//! header floods, slow clients, and customers probing other customers' ids.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Options, TestApp, problem};

/// Values an attacker tries; each is a bad value for every parameter we have.
const EVIL: &[&str] = &[
    "' OR '1'='1",
    "1; DROP TABLE events;--",
    "1400269' UNION SELECT principal, fingerprint FROM idempotency_keys--",
    "\" OR 1=1 --",
    "../../../../etc/passwd",
    "\u{0}",
    "<script>alert(1)</script>",
    "9999999999999999999999999999",
    "-1",
];

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Every operation of a served OpenAPI document with its path and query parameters.
async fn operations(app: &TestApp, document: &str) -> Vec<(String, String, Vec<(String, String)>)> {
    let doc: Value = app
        .client
        .get(app.url(document))
        .send()
        .await
        .expect("document")
        .json()
        .await
        .expect("json");
    let root = doc["servers"][0]["url"].as_str().expect("server url");
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let params = operation["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path" || p["in"] == "query")
                        .map(|p| {
                            (
                                p["name"].as_str().unwrap_or_default().to_owned(),
                                p["in"].as_str().unwrap_or_default().to_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            all.push((method.to_uppercase(), format!("{root}{path}"), params));
        }
    }
    all
}

/// What an attack must not change: the guide customer's events, every order, every card.
async fn snapshot(app: &TestApp) -> (Value, Value, Value) {
    let staff = app.staff_token();
    (
        app.get_ok("/customer-event/events?customer-number=1400269", &staff)
            .await["total-count"]
            .clone(),
        app.get_ok("/customer-order/customer-requests?page-size=100", &staff)
            .await,
        app.get_ok("/customer-order/cards?page-size=100", &staff)
            .await,
    )
}

#[tokio::test]
async fn injection_strings_in_every_documented_parameter_are_refused_and_change_nothing() {
    let app = TestApp::spawn_demo().await;
    let staff = app.staff_token();
    let before = snapshot(&app).await;
    let mut tried = 0;
    for document in [
        "/customer-event/openapi.json",
        "/customer-order/openapi.json",
    ] {
        for (method, template, params) in operations(&app, document).await {
            for (name, place) in &params {
                for evil in EVIL {
                    // The other path parameters get a harmless value, the query stays empty.
                    let mut path = template.clone();
                    for (other, other_place) in &params {
                        if other_place == "path" {
                            let value = if other == name {
                                encode(evil)
                            } else {
                                "1".into()
                            };
                            path = path.replace(&format!("{{{other}}}"), &value);
                        }
                    }
                    if place == "query" {
                        path = format!("{path}?{name}={}", encode(evil));
                    }
                    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
                    let response = app
                        .client
                        .request(method.clone(), app.url(&path))
                        .bearer_auth(&staff)
                        .header("content-type", "application/json")
                        .body("{}")
                        .send()
                        .await
                        .expect("request");
                    let status = response.status().as_u16();
                    assert!(
                        matches!(status, 400 | 404 | 422),
                        "{method} {path} answered {status}"
                    );
                    let content_type = response.headers()["content-type"].clone();
                    assert_eq!(content_type, "application/problem+json", "{method} {path}");
                    tried += 1;
                }
            }
        }
    }
    assert!(
        tried > 300,
        "only {tried} attempts: the documents lost their parameters?"
    );
    assert_eq!(snapshot(&app).await, before, "an attack changed something");
}

#[tokio::test]
async fn invalid_utf8_in_body_path_or_query_is_a_400_problem() {
    let app = TestApp::spawn_demo().await;
    let staff = app.staff_token();
    let before = snapshot(&app).await;
    let body = b"{\"customer-number\": \"1400269\", \"medium\": \"sms\", \"title\": \"\xff\xfe\"}"
        .to_vec();
    let response = app
        .client
        .post(app.url("/customer-event/communication-events"))
        .bearer_auth(&staff)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request");
    problem(response, 400).await;
    for path in [
        "/customer-event/events?customer-number=%FF%FE",
        "/customer-event/events/%FF%FE",
        "/customer-order/cards/%C0%AF",
        "/customer-order/card-activations?status=%ED%A0%80",
    ] {
        let response = app.get(path, &staff).await;
        let status = response.status().as_u16();
        assert!(matches!(status, 400 | 404), "{path}: {status}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
    assert_eq!(snapshot(&app).await, before);
}

/// Sends raw bytes and reads what comes back until the server closes or `wait` passes.
async fn raw_exchange(app: &TestApp, request: &[u8], wait: Duration) -> String {
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    // The server may answer and close before reading everything: that is fine.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_header_flood_is_refused_and_the_server_keeps_serving() {
    let app = TestApp::spawn().await;
    let mut many = String::from("GET /customer-event/events HTTP/1.1\r\nHost: x\r\n");
    for n in 0..500 {
        many.push_str(&format!("x-flood-{n}: {}\r\n", "a".repeat(50)));
    }
    many.push_str("\r\n");
    let answer = raw_exchange(&app, many.as_bytes(), Duration::from_secs(5)).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "too many headers: {answer}"
    );
    let huge = format!(
        "GET /customer-event/events HTTP/1.1\r\nHost: x\r\nx-huge: {}\r\n\r\n",
        "a".repeat(2 * 1024 * 1024)
    );
    let answer = raw_exchange(&app, huge.as_bytes(), Duration::from_secs(5)).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "a huge header: {}",
        answer.lines().next().unwrap_or_default()
    );
    let live = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .expect("still serving");
    assert_eq!(live.status(), 200);
}

#[tokio::test]
async fn a_client_that_stops_sending_its_body_gets_408() {
    let app = TestApp::spawn_with(Options {
        demo: false,
        configure: Box::new(|settings| settings.request_timeout_seconds = 1),
    })
    .await;
    let token = app.customer_token("1400269");
    let head = format!(
        "POST /customer-event/communication-events HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: 200\r\n\r\n{{\"customer-number\":"
    );
    let answer = raw_exchange(&app, head.as_bytes(), Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    let page = app.get_ok("/customer-event/events", &token).await;
    assert_eq!(page["total-count"], 0, "nothing was stored");
}

/// The 404 body with the probed id taken out, to compare shapes.
async fn shape(response: reqwest::Response, id: &str) -> String {
    assert_eq!(response.status(), 404);
    let body = response.text().await.expect("body");
    body.replace(id, "{id}")
}

#[tokio::test]
async fn a_customer_probing_other_customers_ids_cannot_tell_them_from_missing_ones() {
    let app = TestApp::spawn_demo().await;
    let ana = app.customer_token("1400054");
    let staff = app.staff_token();
    // An order of Marko's, so that there is someone else's order to probe.
    let order: Value = app
        .post_json(
            "/customer-order/card-activations",
            &app.customer_token("1400269"),
            &serde_json::json!({"card-id": "C0000000202"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let marko_order = order["id"].as_str().expect("id").to_owned();
    let probes = [
        ("/customer-event/events/", "258242", "999999999"),
        ("/customer-event/security-events/", "258242", "999999999"),
        ("/customer-order/cards/", "C0000000201", "C9999999999"),
        (
            "/customer-order/card-activations/",
            marko_order.as_str(),
            "WI9999999999",
        ),
    ];
    for (path, someone_elses, missing) in probes {
        // The staff token shows the first really exists.
        assert_eq!(
            app.get(&format!("{path}{someone_elses}"), &staff)
                .await
                .status(),
            200,
            "{path}{someone_elses}"
        );
        let theirs = shape(
            app.get(&format!("{path}{someone_elses}"), &ana).await,
            someone_elses,
        )
        .await;
        let nobodys = shape(app.get(&format!("{path}{missing}"), &ana).await, missing).await;
        assert_eq!(theirs, nobodys, "{path}: the answers differ");
    }
    // Lists of another customer are the same 404 as those of a customer that does not exist.
    let theirs = shape(
        app.get("/customer-event/events?customer-number=1400269", &ana)
            .await,
        "1400269",
    )
    .await;
    let nobodys = shape(
        app.get("/customer-event/events?customer-number=1499999", &ana)
            .await,
        "1499999",
    )
    .await;
    assert_eq!(theirs, nobodys);
}

#[tokio::test]
async fn nul_and_control_characters_in_json_strings_are_refused_on_every_backend() {
    let app = TestApp::spawn_demo().await;
    let staff = app.staff_token();
    let before = snapshot(&app).await;
    for (path, body) in [
        (
            "/customer-event/communication-events",
            r#"{"customer-number": "1400269", "medium": "sms", "title": "a\u0000b"}"#,
        ),
        (
            "/customer-event/communication-events",
            r#"{"customer-number": "1400269", "medium": "sms", "title": "bell\u0007"}"#,
        ),
        (
            "/customer-order/card-activations",
            r#"{"card-id": "C0000000202\u0000"}"#,
        ),
    ] {
        let response = app
            .client
            .post(app.url(path))
            .bearer_auth(&staff)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        problem(response, 400).await;
    }
    // Tabs and line breaks are ordinary text.
    let fine = app
        .client
        .post(app.url("/customer-event/communication-events"))
        .bearer_auth(&staff)
        .header("content-type", "application/json")
        .body(
            r#"{"customer-number": "1499999", "medium": "sms", "title": "two\nlines\tand a tab"}"#,
        )
        .send()
        .await
        .expect("request");
    assert_eq!(fine.status(), 200);
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn character_references_to_control_characters_in_xml_are_refused() {
    let app = TestApp::spawn_demo().await;
    let staff = app.staff_token();
    let before = snapshot(&app).await;
    for reference in ["&#0;", "&#x0;", "&#1;", "&#x1B;"] {
        let body = serde_json::json!({
            "customer-number": "1400269",
            "event-kind": "SecurityEvent",
            "event-data-xml": format!("<customer-login><user-id>a{reference}b</user-id></customer-login>"),
        });
        let response = app.post_json("/customer-event/events", &staff, &body).await;
        problem(response, 400).await;
    }
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn a_client_that_sends_its_headers_too_slowly_is_disconnected() {
    let app = TestApp::spawn_with(Options {
        demo: false,
        configure: Box::new(|settings| settings.header_timeout_seconds = 1),
    })
    .await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    stream
        .write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: a")
        .await
        .expect("send part of the headers");
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let closed =
        tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    assert!(closed.is_ok(), "the connection was still open after 5 s");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "closed before the deadline"
    );
    // Other clients are served meanwhile and afterwards.
    let live = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .expect("live");
    assert_eq!(live.status(), 200);
}
