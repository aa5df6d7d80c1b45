//! What browsers and reference clients meet beside the documents: CORS for the allowed
//! origins only, and a business problem's detail also as message.

use super::*;

#[tokio::test]
async fn pages_of_the_allowed_origins_may_call_the_api_and_no_other_page_may() {
    let app = TestApp::spawn_with(crate::helpers::Options {
        demo: true,
        configure: Box::new(|settings| {
            settings.cors_allowed_origins =
                "https://app.bank.example, http://localhost:3000".into();
        }),
    })
    .await;
    let url = app.url("/customer-order/card-activations");
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, &url)
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type, idempotency-key",
            )
            .send()
    };
    let allowed = preflight("https://app.bank.example")
        .await
        .expect("preflight");
    assert!(allowed.status().is_success(), "{}", allowed.status());
    let headers = allowed.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://app.bank.example"
    );
    let allowed_headers = headers["access-control-allow-headers"]
        .to_str()
        .expect("ascii")
        .to_ascii_lowercase();
    assert!(
        allowed_headers.contains("idempotency-key"),
        "{allowed_headers}"
    );
    let other = preflight("https://evil.example").await.expect("preflight");
    assert!(other.headers().get("access-control-allow-origin").is_none());
    // A real call from an allowed page can read the answer, a problem too.
    let answer = app
        .client
        .get(app.url("/customer-order/cards/C0000000201"))
        .header("Origin", "http://localhost:3000")
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status(), 401);
    assert_eq!(
        answer.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    // A page's script may read the validator and the rate-limit fields it is sent.
    let exposed = answer.headers()["access-control-expose-headers"]
        .to_str()
        .expect("text")
        .to_ascii_lowercase();
    for name in [
        "etag",
        "ratelimit",
        "ratelimit-policy",
        "retry-after",
        "location",
    ] {
        assert!(
            exposed.split(',').any(|n| n.trim() == name),
            "{name} not exposed: {exposed}"
        );
    }
}

#[tokio::test]
async fn without_allowed_origins_no_cors_header_is_ever_sent() {
    let app = TestApp::spawn_demo().await;
    let answer = app
        .client
        .get(app.url("/customer-order/cards/C0000000201"))
        .header("Origin", "https://app.bank.example")
        .bearer_auth(app.staff_token())
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status(), 200);
    assert!(
        answer
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[test]
fn an_allowed_origin_must_be_an_origin() {
    for bad in [
        "*",
        "https://app.bank.example/path",
        "ftp://x.example",
        "app.bank.example",
    ] {
        let settings = bankapi::config::Settings {
            cors_allowed_origins: bad.into(),
            ..bankapi::config::Settings::default()
        };
        assert!(settings.validate().is_err(), "{bad} was accepted");
    }
    let settings = bankapi::config::Settings {
        cors_allowed_origins: "https://app.bank.example:443".into(),
        ..bankapi::config::Settings::default()
    };
    assert_eq!(
        settings.cors_origins().expect("an origin"),
        ["https://app.bank.example"]
    );
}

#[tokio::test]
async fn a_business_problem_also_carries_its_detail_as_message() {
    let app = TestApp::spawn_demo().await;
    let refused = app
        .post_json(
            "/customer-order/card-activations",
            &app.customer_token("1400269"),
            &json!({"card-id": "C0000000201"}),
        )
        .await;
    assert_eq!(refused.status(), 409);
    let problem: Value = refused.json().await.expect("problem");
    assert_eq!(problem["problem"], "card-status-not-eligible");
    assert_eq!(problem["message"], problem["detail"], "{problem}");
    // Other problems keep the guide's members only.
    let missing = app
        .get("/customer-order/cards/C0000009999", &app.staff_token())
        .await;
    let problem: Value = missing.json().await.expect("problem");
    assert!(problem.get("message").is_none(), "{problem}");
}
