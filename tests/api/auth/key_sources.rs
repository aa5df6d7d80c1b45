//! The two key sources beside the shared secret: a PEM public key file (RS256, ES256) and a
//! JWKS endpoint with key rotation.

use super::*;

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
