//! Health, metrics, request ids, and the documents.

use serde_json::Value;

use crate::helpers::TestApp;

#[tokio::test]
async fn health_endpoints_answer_without_a_token() {
    let app = TestApp::spawn().await;
    for path in ["/health/live", "/health/ready"] {
        let response = app.client.get(app.url(path)).send().await.expect("request");
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["status"], "up");
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    for path in ["/health/live", "/customer-event/events", "/nope"] {
        let response = app.client.get(app.url(path)).send().await.expect("request");
        assert!(response.headers().get("x-request-id").is_some(), "{path}");
    }
    let response = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "trace-me")
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["x-request-id"], "trace-me");
}

#[tokio::test]
async fn metrics_are_prometheus_text_and_count_requests_by_route() {
    let app = TestApp::spawn().await;
    app.get("/customer-event/events/1", &app.staff_token())
        .await;
    let response = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("text");
    assert!(text.contains("bankapi_http_requests_total"), "{text}");
    assert!(
        text.contains("route=\"/customer-event/events/{event-id}\""),
        "{text}"
    );
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_lists_every_path() {
    let app = TestApp::spawn().await;
    let doc = app.document("/customer-event/openapi.json").await;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"))
    );
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/events",
        "/events/{event-id}",
        "/communication-events",
        "/communication-events/{event-id}",
        "/social-events/{event-id}",
        "/accounting-transaction-events/{event-id}",
        "/customer-case-events/{event-id}",
        "/arrangement-activity-events/{event-id}",
        "/profile-maintenance-events/{event-id}",
        "/chargable-activity-events/{event-id}",
        "/security-events/{event-id}",
    ] {
        assert!(paths.contains_key(path), "{path} missing from the document");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn swagger_ui_is_served_without_internet() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/swagger-ui/"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("html");
    assert!(html.contains("swagger"), "{html}");
    let config = app
        .client
        .get(app.url("/swagger-ui/swagger-initializer.js"))
        .send()
        .await
        .expect("request");
    assert_eq!(config.status(), 200);
}

/// Follows a `$ref` to `#/components/responses/...`; anything else is returned as is.
fn resolved<'a>(doc: &'a Value, response: &'a Value) -> &'a Value {
    match response["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/responses/");
            &doc["components"]["responses"][name]
        }
        None => response,
    }
}

/// 429 (rate limit, see rate_limit.rs) and 503 (database away, see faults.rs) can answer
/// any operation that reads or writes storage, so each one documents them; the compiled-in
/// classifications never need the database, so they document only 429. Every operation
/// also documents 401, 403 and 500 with the problem body, the rate-limit header fields on
/// its 2xx and 4xx answers, and every GET its `ETag`, `304`, `If-None-Match` and shaping.
#[tokio::test]
async fn every_operation_documents_rate_limiting_and_an_absent_database() {
    let app = TestApp::spawn().await;
    for (document, expected) in [
        // The guide's twelve, the two classification operations, the live stream and
        // the seven webhook operations.
        ("/customer-event/openapi.json", 22),
        // 35, retry and reject on each of the six order resources, and the account and
        // mandate views.
        ("/customer-order/openapi.json", 138),
        ("/audit/openapi.json", 1),
    ] {
        let doc = app.document(document).await;
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("item") {
                let where_ = format!("{document} {method} {path}");
                let responses = operation["responses"].as_object().expect("responses");
                let response =
                    |status: &str| resolved(&doc, responses.get(status).unwrap_or(&Value::Null));
                assert!(
                    response("429")["headers"]["Retry-After"].is_object(),
                    "{where_}: no 429 with Retry-After"
                );
                assert_eq!(
                    response("503").is_object(),
                    !path.starts_with("/classifications"),
                    "{where_}: 503 documented where the database is used"
                );
                for status in ["400", "401", "403", "408", "429", "500"] {
                    assert!(
                        response(status)["content"]["application/problem+json"]["schema"]
                            .is_object(),
                        "{where_}: {status} without the problem body"
                    );
                }
                for (status, answer) in responses {
                    if status.starts_with('2') || status.starts_with('4') {
                        let headers = &resolved(&doc, answer)["headers"];
                        assert!(
                            headers["RateLimit"].is_object()
                                && headers["RateLimit-Policy"].is_object(),
                            "{where_}: {status} without the rate-limit header fields"
                        );
                    }
                }
                // A stream never ends: nothing to tag, compare or shape.
                let streams = response("200")["content"]["text/event-stream"].is_object();
                if method == "get" && streams {
                    assert!(response("304").is_null(), "{where_}: a 304 for a stream");
                    assert!(response("200")["headers"]["ETag"].is_null(), "{where_}");
                }
                if method == "get" && !streams {
                    assert!(response("200")["headers"]["ETag"].is_object(), "{where_}");
                    assert!(response("304").is_object(), "{where_}: no 304");
                    let names: Vec<&str> = operation["parameters"]
                        .as_array()
                        .expect("parameters")
                        .iter()
                        .filter_map(|p| p["name"].as_str())
                        .collect();
                    for name in ["If-None-Match", "include", "trim"] {
                        assert!(names.contains(&name), "{where_}: no {name}");
                    }
                }
                operations += 1;
            }
        }
        assert_eq!(operations, expected, "{document}");
    }
}
