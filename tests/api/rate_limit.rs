//! Each client's request budget: 429 with `Retry-After` once it is spent, for that client
//! only.

use crate::helpers::{Options, TestApp, problem};

async fn limited_app() -> TestApp {
    TestApp::spawn_with(Options {
        demo: false,
        configure: Box::new(|settings| {
            settings.rate_limit_per_second = 1;
            settings.rate_limit_burst = 3;
        }),
    })
    .await
}

#[tokio::test]
async fn a_client_past_its_burst_gets_429_with_retry_after() {
    let app = limited_app().await;
    let token = app.customer_token("1400269");
    for _ in 0..3 {
        assert_eq!(
            app.get("/customer-event/events", &token).await.status(),
            200
        );
    }
    let refused = app.get("/customer-event/events", &token).await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("whole seconds");
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    let body = problem(refused, 429).await;
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("too-many-requests")),
        "{body}"
    );
}

#[tokio::test]
async fn other_clients_and_health_checks_are_not_held_back() {
    let app = limited_app().await;
    let ana = app.customer_token("1400054");
    let marko = app.customer_token("1400269");
    for _ in 0..4 {
        app.get("/customer-event/events", &ana).await;
    }
    assert_eq!(app.get("/customer-event/events", &ana).await.status(), 429);
    assert_eq!(
        app.get("/customer-event/events", &marko).await.status(),
        200
    );
    for _ in 0..10 {
        let live = app
            .client
            .get(app.url("/health/live"))
            .send()
            .await
            .expect("request");
        assert_eq!(live.status(), 200);
    }
}

#[tokio::test]
async fn a_refused_request_changes_nothing() {
    let app = limited_app().await;
    let token = app.customer_token("1400269");
    let body = serde_json::json!({"customer-number": "1400269", "medium": "sms"});
    let mut created = 0;
    let mut refused = 0;
    for _ in 0..6 {
        match app
            .post_json("/customer-event/communication-events", &token, &body)
            .await
            .status()
            .as_u16()
        {
            200 => created += 1,
            429 => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        refused > 0 && created >= 3,
        "created {created}, refused {refused}"
    );
    let staff = app.staff_token();
    let page = app
        .get_ok("/customer-event/events?customer-number=1400269", &staff)
        .await;
    assert_eq!(page["total-count"], created);
}
