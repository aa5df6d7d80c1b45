//! `Idempotency-Key`: retries create exactly one event.

use serde_json::{Value, json};

use crate::helpers::{TestApp, first_error, problem};

async fn post(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/customer-event/communication-events"))
        .bearer_auth(app.customer_token("1400269"))
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn a_retry_with_the_same_key_returns_the_first_answer_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let body = json!({"customer-number": "1400269", "medium": "sms", "title": "hello"});
    let first = post(&app, "retry-1", &body).await;
    assert_eq!(first.status(), 200);
    let first_location = first.headers()["location"].clone();
    let first: Value = first.json().await.expect("json");
    for _ in 0..3 {
        let again = post(&app, "retry-1", &body).await;
        assert_eq!(again.status(), 200);
        assert_eq!(again.headers()["location"], first_location);
        assert_eq!(again.json::<Value>().await.expect("json"), first);
    }
    let page = app
        .get_ok("/customer-event/events", &app.customer_token("1400269"))
        .await;
    assert_eq!(page["total-count"], 1);
}

#[tokio::test]
async fn concurrent_retries_create_exactly_one_event() {
    let app = TestApp::spawn().await;
    let body = json!({"customer-number": "1400269", "medium": "sms"});
    let requests = (0..8).map(|_| post(&app, "race", &body));
    let answers = futures::future::join_all(requests).await;
    let mut ids = Vec::new();
    for answer in answers {
        assert_eq!(answer.status(), 200);
        ids.push(answer.json::<Value>().await.expect("json")["id"].clone());
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    let page = app
        .get_ok("/customer-event/events", &app.customer_token("1400269"))
        .await;
    assert_eq!(page["total-count"], 1);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422() {
    let app = TestApp::spawn().await;
    let first = post(
        &app,
        "k",
        &json!({"customer-number": "1400269", "medium": "sms"}),
    )
    .await;
    assert_eq!(first.status(), 200);
    let second = post(
        &app,
        "k",
        &json!({"customer-number": "1400269", "medium": "email"}),
    )
    .await;
    let body = problem(second, 422).await;
    assert_eq!(body["problem"], "idempotency-key-reused");
}

#[tokio::test]
async fn keys_of_different_callers_never_collide() {
    let app = TestApp::spawn().await;
    let body = json!({"customer-number": "1400269", "medium": "sms"});
    let first = post(&app, "shared", &body).await;
    assert_eq!(first.status(), 200);
    let staff = app
        .client
        .post(app.url("/customer-event/communication-events"))
        .bearer_auth(app.staff_token())
        .header("Idempotency-Key", "shared")
        .json(&body)
        .send()
        .await
        .expect("request");
    assert_eq!(staff.status(), 200);
    let page = app
        .get_ok("/customer-event/events", &app.customer_token("1400269"))
        .await;
    assert_eq!(page["total-count"], 2);
}

#[tokio::test]
async fn a_malformed_key_is_a_validation_error() {
    let app = TestApp::spawn().await;
    let body = problem(
        post(
            &app,
            &"k".repeat(300),
            &json!({"customer-number": "1400269", "medium": "sms"}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(
        first_error(&body),
        ("Idempotency-Key".into(), "invalid-format".into())
    );
}

/// Many concurrent appends share transactions (group commit): each gets its own increasing
/// id, keys are honoured inside a shared transaction, and the counts stay exact.
#[tokio::test]
async fn concurrent_appends_each_get_one_event_and_the_counts_stay_exact() {
    let app = TestApp::spawn().await;
    let token = app.customer_token("1400269");
    let body = json!({"customer-number": "1400269", "medium": "sms"});
    let other = json!({"customer-number": "1400269", "medium": "mail"});
    let requests = (0..60).map(|n| {
        let request = app
            .client
            .post(app.url("/customer-event/communication-events"))
            .bearer_auth(&token);
        // Every third request has its own key, every fifth shares one key.
        let request = match n {
            n if n % 5 == 0 => request.header("Idempotency-Key", "shared"),
            n if n % 3 == 0 => request.header("Idempotency-Key", format!("own-{n}")),
            _ => request,
        };
        request.json(&body).send()
    });
    let answers = futures::future::join_all(requests).await;
    let mut shared = std::collections::HashSet::new();
    let mut distinct = std::collections::HashSet::new();
    for (n, answer) in answers.into_iter().enumerate() {
        let answer = answer.expect("request");
        assert_eq!(answer.status(), 200, "request {n}");
        let id = answer.json::<Value>().await.expect("json")["id"].clone();
        if n % 5 == 0 {
            shared.insert(id.to_string());
        }
        distinct.insert(id.to_string());
    }
    assert_eq!(shared.len(), 1, "the shared key made one event");
    // 60 requests, 12 of them with the shared key: 48 + 1 events.
    assert_eq!(distinct.len(), 49);
    let page = app.get_ok("/customer-event/events", &token).await;
    assert_eq!(page["total-count"], 49);
    // The shared key with another body is still refused after the race.
    problem(post(&app, "shared", &other).await, 422).await;
}

/// Concurrent appends without keys share a group (on PostgreSQL one statement): each
/// gets its own event, readable by its id, and the counts stay exact.
#[tokio::test]
async fn concurrent_appends_without_keys_each_get_their_own_event() {
    let app = TestApp::spawn().await;
    let token = app.customer_token("1400269");
    let bodies: Vec<Value> = (0..40)
        .map(|n| json!({"customer-number": "1400269", "medium": "sms", "title": format!("note {n}")}))
        .collect();
    let requests = bodies
        .iter()
        .map(|body| app.post_json("/customer-event/communication-events", &token, body));
    let mut ids = std::collections::HashSet::new();
    for (n, answer) in futures::future::join_all(requests)
        .await
        .into_iter()
        .enumerate()
    {
        assert_eq!(answer.status(), 200);
        let id = answer.json::<Value>().await.expect("json")["id"].clone();
        let event = app
            .get_ok(
                &format!("/customer-event/communication-events/{id}"),
                &token,
            )
            .await;
        assert_eq!(
            event["title"],
            format!("note {n}"),
            "event {id} holds its own request"
        );
        ids.insert(id.to_string());
    }
    assert_eq!(ids.len(), 40);
    let page = app.get_ok("/customer-event/events", &token).await;
    assert_eq!(page["total-count"], 40);
}
