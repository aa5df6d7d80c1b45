//! bankapi against a real authorization server: `oidc-provider` from npm (tests/oidc),
//! configured only with the JWKS URL, issuer and audience, as a bank would run it.
//! The server issues JWT access tokens by the client-credentials grant, RS256 or ES256,
//! with the API's scopes and a `customer-number` claim for the customer's app.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Client;
use serde_json::Value;

use crate::helpers::{Options, TestApp};

const AUDIENCE: &str = "urn:bankapi";
const ALL_SCOPES: &str =
    "customer-event:read customer-event:write customer-order:read customer-order:write";
const STAFF_SCOPES: &str =
    "customer-event:read customer-event:write customer-order:read customer-order:write bank:staff";

fn oidc_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc")
}

/// Installs oidc-provider from the committed lockfile once, if it is not there yet, so
/// that `cargo test` needs nothing but Node.js and the npm registry.
fn install_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        if oidc_dir().join("node_modules/oidc-provider").exists() {
            return;
        }
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(oidc_dir())
            .status()
            .expect("npm must be installed to run the authorization-server tests");
        assert!(status.success(), "npm ci in tests/oidc failed");
    });
}

/// The running authorization server; killed when dropped.
struct AuthorizationServer {
    child: Child,
    issuer: String,
    client: Client,
}

impl Drop for AuthorizationServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl AuthorizationServer {
    async fn start() -> Self {
        install_provider();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(oidc_dir())
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("node must be installed to run the authorization-server tests");
        let server = Self {
            child,
            issuer: format!("http://127.0.0.1:{port}"),
            client: Client::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let discovery = format!("{}/.well-known/openid-configuration", server.issuer);
        while !server
            .client
            .get(&discovery)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            assert!(Instant::now() < deadline, "oidc-provider did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    /// An access token by the client-credentials grant.
    async fn token(&self, client: &str, secret: &str, scope: &str, resource: &str) -> String {
        let response: Value = self
            .client
            .post(format!("{}/token", self.issuer))
            .basic_auth(client, Some(secret))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", scope),
                ("resource", resource),
            ])
            .send()
            .await
            .expect("token request")
            .json()
            .await
            .expect("token json");
        response["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {response}"))
            .to_owned()
    }

    async fn rotate_keys(&self) {
        let response = self
            .client
            .post(format!("{}/__rotate", self.issuer))
            .send()
            .await
            .expect("rotate");
        assert_eq!(response.status(), 204);
    }

    /// bankapi configured only to trust this server.
    async fn bankapi(&self, issuer: Option<&str>) -> TestApp {
        let jwks = format!("{}/jwks", self.issuer);
        let issuer = issuer.unwrap_or(&self.issuer).to_owned();
        TestApp::spawn_with(Options {
            demo: true,
            configure: Box::new(move |settings| {
                settings.auth_hs256_secret = None;
                settings.auth_jwks_url = Some(jwks);
                settings.auth_issuer = issuer;
                settings.auth_audience = AUDIENCE.to_owned();
                settings.auth_leeway_seconds = 0;
            }),
        })
        .await
    }
}

fn header(token: &str) -> Value {
    let raw = token.split('.').next().unwrap_or_default();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(raw).expect("base64")).expect("json")
}

async fn status(app: &TestApp, path: &str, token: &str) -> u16 {
    app.get(path, token).await.status().as_u16()
}

const MARKO: &str = "/customer-event/events?customer-number=1400269";
const ANA: &str = "/customer-event/events?customer-number=1400054";

#[tokio::test]
async fn tokens_of_a_real_authorization_server_are_accepted_rs256_and_es256() {
    let server = AuthorizationServer::start().await;
    let app = server.bankapi(None).await;
    let backoffice = server
        .token("backoffice", "backoffice-secret", STAFF_SCOPES, AUDIENCE)
        .await;
    let teller = server
        .token("teller-ec", "teller-secret", STAFF_SCOPES, AUDIENCE)
        .await;
    let mobile = server
        .token("mobile-1400269", "mobile-secret", ALL_SCOPES, AUDIENCE)
        .await;
    assert_eq!(header(&backoffice)["alg"], "RS256");
    assert_eq!(header(&teller)["alg"], "ES256");
    assert_eq!(header(&mobile)["alg"], "ES256");

    // Staff act for anyone; the customer's app sees its own customer only.
    assert_eq!(status(&app, ANA, &backoffice).await, 200);
    assert_eq!(status(&app, ANA, &teller).await, 200);
    let own = app.get_ok("/customer-event/events", &mobile).await;
    assert_eq!(own["total-count"], 2298);
    assert_eq!(status(&app, MARKO, &mobile).await, 200);
    assert_eq!(status(&app, ANA, &mobile).await, 404);
    // Scopes come from the server: a token without the write scope cannot order.
    let read_only = server
        .token(
            "mobile-1400269",
            "mobile-secret",
            "customer-order:read",
            AUDIENCE,
        )
        .await;
    let refused = app
        .post_json(
            "/customer-order/card-activations",
            &read_only,
            &serde_json::json!({"card-id": "C0000000202"}),
        )
        .await;
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn tokens_for_another_audience_or_issuer_expired_or_forged_are_refused() {
    let server = AuthorizationServer::start().await;
    let app = server.bankapi(None).await;

    let elsewhere = server
        .token(
            "backoffice",
            "backoffice-secret",
            ALL_SCOPES,
            "urn:another-api",
        )
        .await;
    assert_eq!(
        status(&app, MARKO, &elsewhere).await,
        401,
        "another audience"
    );

    let good = server
        .token("backoffice", "backoffice-secret", STAFF_SCOPES, AUDIENCE)
        .await;
    let strict = server
        .bankapi(Some("https://login.another-bank.example"))
        .await;
    assert_eq!(status(&strict, MARKO, &good).await, 401, "another issuer");

    // alg none: the real token's claims, no signature.
    let parts: Vec<&str> = good.split('.').collect();
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"at+jwt","kid":"rsa-1"}"#),
        parts[1]
    );
    assert_eq!(status(&app, MARKO, &none).await, 401, "alg none");
    // Signed by a key the server never published, under a kid it does publish.
    let forged = {
        let key =
            jsonwebtoken::EncodingKey::from_rsa_pem(include_bytes!("../fixtures/rsa2-private.pem"))
                .expect("fixture key");
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.kid = Some("rsa-1".into());
        jsonwebtoken::encode(&header, &claims, &key).expect("sign")
    };
    assert_eq!(
        status(&app, MARKO, &forged).await,
        401,
        "unknown signing key"
    );

    let short = server
        .token("short-lived", "short-secret", ALL_SCOPES, AUDIENCE)
        .await;
    assert_eq!(status(&app, MARKO, &short).await, 200, "fresh");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(status(&app, MARKO, &short).await, 401, "expired");
    assert_eq!(
        status(&app, MARKO, &good).await,
        200,
        "the good token still works"
    );
}

#[tokio::test]
async fn a_key_rotation_at_the_server_needs_no_restart() {
    let server = AuthorizationServer::start().await;
    let app = server.bankapi(None).await;
    let before = server
        .token("backoffice", "backoffice-secret", STAFF_SCOPES, AUDIENCE)
        .await;
    assert_eq!(status(&app, MARKO, &before).await, 200);
    server.rotate_keys().await;
    let after = server
        .token("backoffice", "backoffice-secret", STAFF_SCOPES, AUDIENCE)
        .await;
    assert_ne!(header(&before)["kid"], header(&after)["kid"], "new kid");
    // bankapi refetches the JWKS for an unknown kid at most every 5 s (so that made-up
    // kids cannot make it hammer the server); a real rotation is never that close to the
    // previous fetch, here the start-up one.
    tokio::time::sleep(Duration::from_millis(5200)).await;
    assert_eq!(
        status(&app, MARKO, &after).await,
        200,
        "the new key is fetched"
    );
    // The old key is gone from the server's JWKS, so its tokens no longer verify.
    assert_eq!(status(&app, MARKO, &before).await, 401, "the retired key");
}
