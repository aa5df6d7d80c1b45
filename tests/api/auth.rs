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

// ---------------------------------------------------------------------------------------
// 404: other customers' data
// ---------------------------------------------------------------------------------------

/// `type`, `title` and `status` of a 404 problem: what must not tell "someone else's" from
/// "not there".
async fn not_found_shape(response: reqwest::Response) -> (Value, Value, Value) {
    let body = problem(response, 404).await;
    (
        body["type"].clone(),
        body["title"].clone(),
        body["status"].clone(),
    )
}

/// GETs `path` for event `foreign` (someone else's) and for `missing` (no such id) with
/// `token`, and insists that the two 404s differ in nothing but the id they mention.
async fn assert_same_404(app: &TestApp, path: &str, foreign: i64, missing: i64, token: &str) {
    let foreign_path = path.replace("{id}", &foreign.to_string());
    let missing_path = path.replace("{id}", &missing.to_string());
    let foreign_body = problem(app.get(&foreign_path, token).await, 404).await;
    let missing_body = problem(app.get(&missing_path, token).await, 404).await;
    for member in ["type", "title", "status"] {
        assert_eq!(
            foreign_body[member], missing_body[member],
            "{member}: {foreign_body} vs {missing_body}"
        );
    }
    assert_eq!(
        foreign_body["type"],
        "https://bankapi.net/problems/not-found"
    );
    let foreign_detail = foreign_body["detail"].as_str().expect("detail");
    let missing_detail = missing_body["detail"].as_str().expect("detail");
    assert_eq!(
        foreign_detail.replace(&foreign.to_string(), &missing.to_string()),
        missing_detail,
        "the details differ in more than the id"
    );
}

#[tokio::test]
async fn a_customer_cannot_read_another_customers_event_and_gets_the_same_404_as_for_a_missing_one()
{
    let app = TestApp::spawn_demo().await;
    let owner = app.customer_token("1400269");
    let other = app.customer_token("1400054");
    app.get_ok("/customer-event/events/258242", &owner).await;

    assert_same_404(
        &app,
        "/customer-event/events/{id}",
        258242,
        999999999,
        &other,
    )
    .await;
}

#[tokio::test]
async fn a_customer_cannot_see_another_customers_event_in_its_typed_view() {
    let app = TestApp::spawn_demo().await;
    let owner = app.customer_token("1400269");
    let other = app.customer_token("1400054");
    let own = app
        .get_ok("/customer-event/security-events/258242", &owner)
        .await;
    assert_eq!(own["event-kind"], "SecurityEvent", "{own}");

    assert_same_404(
        &app,
        "/customer-event/security-events/{id}",
        258242,
        999999999,
        &other,
    )
    .await;
}

#[tokio::test]
async fn a_customer_cannot_list_another_customers_events() {
    let app = TestApp::spawn_demo().await;
    let other = app.customer_token("1400054");
    let own = app
        .get_ok("/customer-event/events?customer-number=1400054", &other)
        .await;
    assert!(own["total-count"].as_u64().expect("count") > 0, "{own}");
    // Without customer-number, a customer token lists its own events.
    let implicit = app.get_ok("/customer-event/events", &other).await;
    assert_eq!(implicit["total-count"], own["total-count"]);

    let foreign = not_found_shape(app.get(OWN_LIST, &other).await).await;
    assert_eq!(foreign.0, "https://bankapi.net/problems/not-found");
    // The same answer as for a customer number nobody has.
    let nobody = app
        .get("/customer-event/events?customer-number=1499999", &other)
        .await;
    assert_eq!(foreign, not_found_shape(nobody).await);
}

// ---------------------------------------------------------------------------------------
// Staff
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_staff_token_reads_any_customers_list_and_events() {
    let app = TestApp::spawn_demo().await;
    let staff = app.staff_token();
    let guide = app.get_ok(OWN_LIST, &staff).await;
    assert_eq!(guide["total-count"], 2298);
    assert_eq!(guide["items"][0]["event-id"], 258242);
    let event = app.get_ok("/customer-event/events/258242", &staff).await;
    assert_eq!(event["event-id"], 258242);
    app.get_ok("/customer-event/security-events/258242", &staff)
        .await;

    let other = app
        .get_ok("/customer-event/events?customer-number=1400054", &staff)
        .await;
    assert!(other["total-count"].as_u64().expect("count") > 0, "{other}");
    let id = other["items"][0]["event-id"]
        .as_i64()
        .expect("numeric event-id");
    let event = app
        .get_ok(&format!("/customer-event/events/{id}"), &staff)
        .await;
    assert_eq!(event["event-id"], id);
}

// ---------------------------------------------------------------------------------------
// Public key file
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn an_rs256_token_is_verified_with_the_configured_public_key_file() {
    let app = spawn_with_public_key("rsa-public.pem").await;
    let token = sign(Algorithm::RS256, None, &claims(&app), &rsa_key());
    assert_accepted(&app, OWN_LIST, &token, "RS256 with the configured key").await;
    // The customer-number claim is honoured.
    let response = app
        .get("/customer-event/events?customer-number=1400054", &token)
        .await;
    problem(response, 404).await;

    let forged = sign(Algorithm::RS256, None, &claims(&app), &other_rsa_key());
    assert_invalid_token(&app, OWN_LIST, &forged, "RS256 with another key").await;
}

#[tokio::test]
async fn an_hs256_token_keyed_with_the_public_key_is_refused_when_a_public_key_is_configured() {
    let app = spawn_with_public_key("rsa-public.pem").await;
    // Algorithm confusion: the public key is public, so it must never work as an HMAC key.
    let public_pem = fixture("rsa-public.pem");
    let confused = sign(
        Algorithm::HS256,
        None,
        &claims(&app),
        &EncodingKey::from_secret(&public_pem),
    );
    assert_invalid_token(&app, OWN_LIST, &confused, "HS256 keyed with the PEM").await;
    // Nor does the development secret: it is not configured here.
    assert_invalid_token(&app, OWN_LIST, &hs256(&claims(&app)), "dev HS256").await;
}

#[tokio::test]
async fn an_es256_token_is_verified_with_the_configured_public_key_file() {
    let app = spawn_with_public_key("ec-public.pem").await;
    let token = sign(Algorithm::ES256, None, &claims(&app), &ec_key());
    assert_accepted(&app, OWN_LIST, &token, "ES256 with the configured key").await;

    let rsa = sign(Algorithm::RS256, None, &claims(&app), &rsa_key());
    assert_invalid_token(&app, OWN_LIST, &rsa, "RS256 against an EC key").await;
    let confused = sign(
        Algorithm::HS256,
        None,
        &claims(&app),
        &EncodingKey::from_secret(&fixture("ec-public.pem")),
    );
    assert_invalid_token(&app, OWN_LIST, &confused, "HS256 keyed with the EC PEM").await;
}

// ---------------------------------------------------------------------------------------
// JWKS
// ---------------------------------------------------------------------------------------

/// A stand-in authorization server: serves whatever key set `keys` holds at `/jwks`, and
/// counts how often it was asked.
#[derive(Clone)]
struct JwksServer {
    url: String,
    keys: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
}

impl JwksServer {
    async fn start(keys: Value) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the JWKS server");
        let url = format!(
            "http://{}/jwks",
            listener.local_addr().expect("JWKS server address")
        );
        let server = Self {
            url,
            keys: Arc::new(Mutex::new(keys)),
            fetches: Arc::new(AtomicUsize::new(0)),
        };
        let router = axum::Router::new()
            .route("/jwks", axum::routing::get(serve_jwks))
            .with_state(server.clone());
        tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve the JWKS");
        });
        server
    }

    fn serve(&self, keys: Value) {
        *self.keys.lock().expect("JWKS lock") = keys;
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

async fn serve_jwks(State(server): State<JwksServer>) -> axum::Json<Value> {
    server.fetches.fetch_add(1, Ordering::SeqCst);
    let keys = server.keys.lock().expect("JWKS lock").clone();
    axum::Json(keys)
}

/// The public half of `key` as a JWK with `kid` and `alg`.
fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, alg).expect("JWK from the fixture key");
    jwk.common.key_id = Some(kid.to_owned());
    jwk
}

fn key_set(keys: Vec<Jwk>) -> Value {
    serde_json::to_value(JwkSet { keys }).expect("JWKS JSON")
}

async fn spawn_with_jwks(server: &JwksServer) -> TestApp {
    let url = server.url.clone();
    TestApp::spawn_with(Options {
        configure: Box::new(move |settings| {
            settings.auth_hs256_secret = None;
            settings.auth_jwks_url = Some(url);
        }),
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn a_token_is_verified_with_the_jwks_key_its_kid_names() {
    let server = JwksServer::start(key_set(vec![jwk(&rsa_key(), Algorithm::RS256, "k1")])).await;
    let app = spawn_with_jwks(&server).await;

    let token = sign(Algorithm::RS256, Some("k1"), &claims(&app), &rsa_key());
    assert_accepted(&app, OWN_LIST, &token, "kid k1").await;

    let unknown = sign(
        Algorithm::RS256,
        Some("k-unknown"),
        &claims(&app),
        &other_rsa_key(),
    );
    assert_invalid_token(&app, OWN_LIST, &unknown, "unknown kid").await;

    let forged = sign(
        Algorithm::RS256,
        Some("k1"),
        &claims(&app),
        &other_rsa_key(),
    );
    assert_invalid_token(&app, OWN_LIST, &forged, "kid k1, signed by another key").await;

    let no_kid = sign(Algorithm::RS256, None, &claims(&app), &rsa_key());
    assert_invalid_token(&app, OWN_LIST, &no_kid, "no kid, keys all have one").await;

    // A JWKS never supplies HMAC keys, and the public key is no HMAC secret either.
    let confused = sign(
        Algorithm::HS256,
        Some("k1"),
        &claims(&app),
        &EncodingKey::from_secret(&fixture("rsa-public.pem")),
    );
    assert_invalid_token(&app, OWN_LIST, &confused, "HS256 naming k1").await;
}

#[tokio::test]
async fn a_rotated_jwks_key_is_picked_up_after_the_minimum_refresh_interval() {
    let server = JwksServer::start(key_set(vec![jwk(&rsa_key(), Algorithm::RS256, "k1")])).await;
    let app = spawn_with_jwks(&server).await;
    let k1 = sign(Algorithm::RS256, Some("k1"), &claims(&app), &rsa_key());
    let k2 = sign(Algorithm::ES256, Some("k2"), &claims(&app), &ec_key());
    assert_accepted(&app, OWN_LIST, &k1, "k1 before rotation").await;
    let fetched = server.fetches();
    assert!(
        fetched <= 1,
        "the JWKS was fetched {fetched} times for one key"
    );

    // k2 is not published yet: refused, after at most one refetch however often it is tried,
    // so forged key ids cannot turn the service into a load generator.
    for _ in 0..5 {
        assert_invalid_token(&app, OWN_LIST, &k2, "k2 before rotation").await;
    }
    let after_unknown = server.fetches();
    assert!(
        after_unknown <= fetched + 1,
        "unknown kids fetched the JWKS {} times",
        after_unknown - fetched
    );

    // The authorization server rotates: k1 out, k2 in. Within the minimum refresh interval
    // the service does not ask again.
    server.serve(key_set(vec![jwk(&ec_key(), Algorithm::ES256, "k2")]));
    assert_invalid_token(&app, OWN_LIST, &k2, "k2 within the refresh interval").await;
    assert_eq!(server.fetches(), after_unknown);

    // Once it has passed, the unknown kid triggers a refresh and k2 is accepted, with no
    // restart.
    tokio::time::sleep(Duration::from_millis(5_300)).await;
    assert_accepted(&app, OWN_LIST, &k2, "k2 after rotation").await;
    assert_eq!(server.fetches(), after_unknown + 1);
    assert_invalid_token(&app, OWN_LIST, &k1, "k1 after it was rotated out").await;
}
