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

/// The standing of a request as `RateLimit` reports it: `r` and `t`.
fn standing(response: &reqwest::Response) -> (u32, u64) {
    let value = response.headers()["ratelimit"].to_str().expect("text");
    let field = |name: &str| {
        value
            .split(';')
            .find_map(|part| part.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no {name} in {value:?}"))
    };
    (field("r") as u32, field("t"))
}

#[tokio::test]
async fn every_counted_answer_says_what_is_left_of_the_budget() {
    let app = limited_app().await;
    let token = app.customer_token("1400269");
    let mut left = Vec::new();
    for _ in 0..3 {
        let response = app.get("/customer-event/events", &token).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["ratelimit-policy"],
            "\"per-client\";q=3;w=3",
            "a burst of 3 at 1/s refills in 3 s"
        );
        left.push(standing(&response));
    }
    assert_eq!(
        left.iter().map(|(r, _)| *r).collect::<Vec<_>>(),
        [2, 1, 0],
        "{left:?}"
    );
    assert!(left[2].1 >= 2, "two or three seconds to refill: {left:?}");
    let refused = app.get("/customer-event/events", &token).await;
    assert_eq!(refused.status(), 429);
    let (remaining, reset) = standing(&refused);
    assert_eq!(remaining, 0);
    assert!(reset >= 1, "the 429 says when to come back: {reset}");
}

#[tokio::test]
async fn without_a_budget_no_rate_limit_fields_are_sent() {
    let app = TestApp::spawn().await;
    let token = app.customer_token("1400269");
    let response = app.get("/customer-event/events", &token).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("ratelimit").is_none());
    assert!(response.headers().get("ratelimit-policy").is_none());
}
