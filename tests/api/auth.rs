//! Who may call and what they may see (API.md section 4): 401 with a Bearer challenge for
//! missing or bad tokens, 403 for a missing scope, 404 for other customers' data, and the
//! three key sources: HS256 shared secret, a PEM public key file (RS256, ES256) and a JWKS
//! endpoint with key rotation.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use bankapi::auth::mint::TokenRequest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{Options, SECRET, TestApp, problem};

mod key_sources;
mod visibility;

/// A list call that a token for customer 1400269 may make, on any database.
const OWN_LIST: &str = "/customer-event/events?customer-number=1400269";
/// Both event scopes, as an authorization server would grant them.
const EVENT_SCOPES: &str = "customer-event:read customer-event:write";

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn rsa_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(&fixture("rsa-private.pem")).expect("RSA fixture key")
}

fn other_rsa_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(&fixture("rsa2-private.pem")).expect("second RSA fixture key")
}

fn ec_key() -> EncodingKey {
    EncodingKey::from_ec_pem(&fixture("ec-private.pem")).expect("EC fixture key")
}

/// Valid claims for customer 1400269 with both event scopes, for `app`'s issuer and
/// audience; tests spoil one claim at a time.
fn claims(app: &TestApp) -> Value {
    let now = jsonwebtoken::get_current_timestamp();
    json!({
        "iss": app.settings.auth_issuer,
        "aud": app.settings.auth_audience,
        "sub": "customer-1400269",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "scope": EVENT_SCOPES,
        "customer-number": "1400269",
    })
}

fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).expect("sign the test token")
}

/// Signs with the development secret the test app trusts.
fn hs256(claims: &Value) -> String {
    sign(
        Algorithm::HS256,
        None,
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
}

fn b64url(json: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(json).expect("JSON"))
}

/// The `WWW-Authenticate` header of a response, or "" when there is none.
fn challenge(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// GET `path` with `token`, and insist on a 401 problem with an `invalid_token` challenge.
async fn assert_invalid_token(app: &TestApp, path: &str, token: &str, what: &str) {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), 401, "{what}: expected 401");
    let challenge = challenge(&response);
    assert!(
        challenge.starts_with("Bearer") && challenge.contains(r#"error="invalid_token""#),
        "{what}: WWW-Authenticate is {challenge:?}"
    );
    let body = problem(response, 401).await;
    assert_eq!(
        body["type"], "https://bankapi.net/problems/unauthorized",
        "{what}"
    );
}

/// GET `path` with `token`, and insist on 200.
async fn assert_accepted(app: &TestApp, path: &str, token: &str, what: &str) {
    let response = app.get(path, token).await;
    let status = response.status();
    let body = response.text().await.expect("body");
    assert_eq!(status, 200, "{what}: {body}");
}

/// An app that trusts only the public key in `fixture` (no shared secret).
async fn spawn_with_public_key(fixture: &str) -> TestApp {
    let path = fixture_path(fixture);
    TestApp::spawn_with(Options {
        configure: Box::new(move |settings| {
            settings.auth_hs256_secret = None;
            settings.auth_public_key_file = Some(path);
        }),
        ..Options::default()
    })
    .await
}

// ---------------------------------------------------------------------------------------
// 401: no token, bad tokens
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_request_without_a_token_is_401_with_a_bearer_challenge() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url(OWN_LIST))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    let challenge = challenge(&response);
    assert!(challenge.starts_with("Bearer"), "{challenge:?}");
    assert!(
        !challenge.contains("invalid_token"),
        "no token was sent, so none is invalid: {challenge:?}"
    );
    let body = problem(response, 401).await;
    assert_eq!(body["type"], "https://bankapi.net/problems/unauthorized");
    assert_eq!(body["instance"], "/customer-event/events");
}

#[tokio::test]
async fn another_authorization_scheme_is_401_with_a_bearer_challenge() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url(OWN_LIST))
        .basic_auth("1400269", Some("password"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 401);
    assert!(challenge(&response).starts_with("Bearer"));
    problem(response, 401).await;
}

#[tokio::test]
async fn a_garbage_token_is_401_invalid_token() {
    let app = TestApp::spawn().await;
    for garbage in ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..", "...."] {
        assert_invalid_token(&app, OWN_LIST, garbage, garbage).await;
    }
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_401_invalid_token() {
    let app = TestApp::spawn().await;
    let token = sign(
        Algorithm::HS256,
        None,
        &claims(&app),
        &EncodingKey::from_secret(b"another-secret-that-is-also-long-enough"),
    );
    assert_invalid_token(&app, OWN_LIST, &token, "another secret").await;
    // The same claims with the right secret pass: only the signature was wrong.
    assert_accepted(&app, OWN_LIST, &hs256(&claims(&app)), "right secret").await;
}

#[tokio::test]
async fn an_expired_token_is_401_invalid_token() {
    let app = TestApp::spawn().await;
    let now = jsonwebtoken::get_current_timestamp();
    let mut expired = claims(&app);
    expired["iat"] = json!(now - 3600);
    expired["nbf"] = json!(now - 3600);
    expired["exp"] = json!(now - 120);
    assert_invalid_token(&app, OWN_LIST, &hs256(&expired), "expired 120 s ago").await;
}

#[tokio::test]
async fn a_token_expired_within_the_clock_skew_leeway_is_still_accepted() {
    let app = TestApp::spawn().await;
    let now = jsonwebtoken::get_current_timestamp();
    let mut just_expired = claims(&app);
    just_expired["iat"] = json!(now - 600);
    just_expired["nbf"] = json!(now - 600);
    just_expired["exp"] = json!(now - 5);
    assert_accepted(&app, OWN_LIST, &hs256(&just_expired), "expired 5 s ago").await;
}

/// The verifier remembers tokens that passed (`auth/verify.rs`); what it remembers must
/// not outlive the token: the second call, after `exp` and the leeway, is refused.
#[tokio::test]
async fn a_remembered_token_is_refused_once_it_expires() {
    let app = TestApp::spawn_with(Options {
        configure: Box::new(|settings| settings.auth_leeway_seconds = 0),
        ..Options::default()
    })
    .await;
    let now = jsonwebtoken::get_current_timestamp();
    let mut short = claims(&app);
    short["exp"] = json!(now + 2);
    let token = hs256(&short);
    assert_accepted(&app, OWN_LIST, &token, "valid for two more seconds").await;
    assert_accepted(&app, OWN_LIST, &token, "again, from memory").await;
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_invalid_token(&app, OWN_LIST, &token, "expired one second ago").await;
}

#[tokio::test]
async fn a_token_that_is_not_yet_valid_is_401_invalid_token() {
    let app = TestApp::spawn().await;
    let now = jsonwebtoken::get_current_timestamp();
    let mut early = claims(&app);
    early["nbf"] = json!(now + 300);
    early["exp"] = json!(now + 900);
    assert_invalid_token(&app, OWN_LIST, &hs256(&early), "nbf 300 s ahead").await;
}

#[tokio::test]
async fn a_token_for_another_audience_is_401_invalid_token() {
    let app = TestApp::spawn().await;
    let mut other = claims(&app);
    other["aud"] = json!("another-api");
    assert_invalid_token(&app, OWN_LIST, &hs256(&other), "another audience").await;
    let mut missing = claims(&app);
    missing
        .as_object_mut()
        .expect("claims object")
        .remove("aud");
    assert_invalid_token(&app, OWN_LIST, &hs256(&missing), "no audience").await;
}

#[tokio::test]
async fn a_token_from_another_issuer_is_401_invalid_token() {
    let app = TestApp::spawn().await;
    let mut other = claims(&app);
    other["iss"] = json!("https://evil.example");
    assert_invalid_token(&app, OWN_LIST, &hs256(&other), "another issuer").await;
    let mut missing = claims(&app);
    missing
        .as_object_mut()
        .expect("claims object")
        .remove("iss");
    assert_invalid_token(&app, OWN_LIST, &hs256(&missing), "no issuer").await;
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_401_invalid_token() {
    let app = TestApp::spawn().await;
    let claims = b64url(&claims(&app));
    for alg in ["none", "None", "NONE"] {
        let header = b64url(&json!({"alg": alg, "typ": "JWT"}));
        let token = format!("{header}.{claims}.");
        assert_invalid_token(&app, OWN_LIST, &token, &format!("alg {alg}")).await;
    }
}

// ---------------------------------------------------------------------------------------
// The scheme word
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_scheme_word_is_case_insensitive() {
    let app = TestApp::spawn().await;
    let token = app.customer_token("1400269");
    for scheme in ["bearer", "Bearer", "BEARER", "bEaReR"] {
        let response = app
            .client
            .get(app.url(OWN_LIST))
            .header(AUTHORIZATION, format!("{scheme} {token}"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "scheme {scheme:?}");
    }
}

// ---------------------------------------------------------------------------------------
// 403: scopes
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_token_without_the_event_read_scope_is_403_forbidden() {
    let app = TestApp::spawn_demo().await;
    let token = app.mint(&TokenRequest {
        scopes: vec![
            "customer-order:read".into(),
            "customer-order:write".into(),
            "customer-event:write".into(),
        ],
        ..TokenRequest::customer("1400269")
    });
    for path in [
        OWN_LIST,
        "/customer-event/events/258242",
        "/customer-event/security-events/258242",
    ] {
        let response = app.get(path, &token).await;
        assert!(
            challenge(&response).is_empty(),
            "a valid token gets no challenge on {path}"
        );
        let body = problem(response, 403).await;
        assert_eq!(body["problem"], "forbidden", "{path}: {body}");
        assert_eq!(body["type"], "https://bankapi.net/problems/forbidden");
    }
}

#[tokio::test]
async fn a_customer_token_with_the_write_scope_cannot_register_events_for_the_bank() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token("1400269");
    let before = app.get_ok(OWN_LIST, &token).await["total-count"].clone();
    let body = json!({
        "customer-number": "1400269",
        "event-kind": "SecurityEvent",
        "description": "forged login",
        "event-data-xml": "<customer-login><user-id>1400269</user-id><channel>web</channel></customer-login>",
    });
    let response = app.post_json("/customer-event/events", &token, &body).await;
    let problem = problem(response, 403).await;
    assert_eq!(problem["problem"], "forbidden", "{problem}");
    let after = app.get_ok(OWN_LIST, &token).await["total-count"].clone();
    assert_eq!(before, after, "nothing was stored");
}
