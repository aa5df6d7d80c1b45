//! bankapi against a real authorization server: `oidc-provider` from npm (tests/oidc),
//! configured only with the JWKS URL, issuer and audience, as a bank would run it.
//! The server issues JWT access tokens, RS256 or ES256, with the API's scopes and a
//! `customer-number` claim: by the client-credentials grant to machine clients, and by the
//! authorization-code flow with PKCE to the customer's mobile app, after the customer
//! signs in at the server's login page.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Client;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::{Options, TestApp};

mod flows;

const AUDIENCE: &str = "urn:bankapi";
const ALL_SCOPES: &str =
    "customer-event:read customer-event:write customer-order:read customer-order:write";
const STAFF_SCOPES: &str =
    "customer-event:read customer-event:write customer-order:read customer-order:write bank:staff";

/// The user-facing client registered at the provider (tests/oidc/provider.mjs): a
/// public client, so it proves possession of the code by PKCE, not by a secret.
const MOBILE_APP: &str = "mobile-app";
const MOBILE_REDIRECT: &str = "https://app.bank.example/callback";

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
    /// Starts the provider on a free port. The port is only free when it is picked: a
    /// provider that exits at once (another test took the port, or Node failed) is
    /// started again on a new port, and a failure shows what the provider printed.
    async fn start() -> Self {
        install_provider();
        let mut output = String::new();
        for _ in 0..3 {
            match Self::start_once().await {
                Ok(server) => return server,
                Err(printed) => output = printed,
            }
        }
        panic!("oidc-provider did not start; it printed:\n{output}");
    }

    /// One try: the server once it answers discovery, or what it printed. Node starts in
    /// well under a second alone; 60 s leaves room for a CI machine busy with the other
    /// tests.
    async fn start_once() -> Result<Self, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let log = tempfile::NamedTempFile::new().expect("a log file for the provider");
        let child = Command::new("node")
            .arg("provider.mjs")
            .current_dir(oidc_dir())
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(log.reopen().expect("the provider's log file"))
            .spawn()
            .expect("node must be installed to run the authorization-server tests");
        let mut server = Self {
            child,
            issuer: format!("http://127.0.0.1:{port}"),
            client: Client::new(),
        };
        let printed =
            |log: &tempfile::NamedTempFile| std::fs::read_to_string(log.path()).unwrap_or_default();
        let deadline = Instant::now() + Duration::from_secs(60);
        let discovery = format!("{}/.well-known/openid-configuration", server.issuer);
        while !server
            .client
            .get(&discovery)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("exited with {status}: {}", printed(&log)));
            }
            if Instant::now() >= deadline {
                return Err(format!("no answer within 60 s: {}", printed(&log)));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(server)
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

    /// The authorization-code flow with PKCE, as the customer's app runs it: an access
    /// token for the customer who signs in, or why the flow stopped.
    async fn sign_in(&self, login: &str, password: &str, scope: &str) -> Result<String, String> {
        let (code, verifier) = self.authorize(login, password, scope).await?;
        self.exchange(&code, &verifier).await
    }

    /// The front-channel half of the flow: open the authorization endpoint, sign in at the
    /// bank's login page, follow the redirects to the app's redirect URI. Returns the
    /// authorization code and the PKCE verifier that goes with it.
    async fn authorize(
        &self,
        login: &str,
        password: &str,
        scope: &str,
    ) -> Result<(String, String), String> {
        let browser = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("browser");
        let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let state = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
        let mut response = browser
            .get(format!("{}/auth", self.issuer))
            .query(&[
                ("client_id", MOBILE_APP),
                ("response_type", "code"),
                ("redirect_uri", MOBILE_REDIRECT),
                ("scope", scope),
                ("resource", AUDIENCE),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
                ("state", state.as_str()),
            ])
            .send()
            .await
            .expect("authorization request");
        let callback = loop {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(|l| {
                    url::Url::parse(&self.issuer)
                        .expect("issuer")
                        .join(l)
                        .expect("url")
                });
            response = match (response.status().as_u16(), location) {
                (302 | 303, Some(next)) if next.as_str().starts_with(MOBILE_REDIRECT) => {
                    break next;
                }
                (302 | 303, Some(next)) => browser.get(next).send().await.expect("redirect"),
                (200, None) => {
                    // The login page: post the credentials to the form's action.
                    let page = response.text().await.expect("login page");
                    let action = page
                        .split("action=\"")
                        .nth(1)
                        .and_then(|rest| rest.split('"').next())
                        .expect("a sign-in form");
                    browser
                        .post(format!("{}{action}", self.issuer))
                        .form(&[("login", login), ("password", password)])
                        .send()
                        .await
                        .expect("sign in")
                }
                (status, _) => {
                    return Err(format!(
                        "{status}: {}",
                        response.text().await.unwrap_or_default()
                    ));
                }
            };
        };
        let query: std::collections::HashMap<_, _> = callback.query_pairs().into_owned().collect();
        assert_eq!(query.get("state"), Some(&state), "the state comes back");
        assert_eq!(query.get("iss"), Some(&self.issuer), "RFC 9207 issuer");
        let code = query
            .get("code")
            .ok_or_else(|| format!("no code: {callback}"))?;
        Ok((code.clone(), verifier))
    }

    /// The app's token request for an authorization code.
    async fn exchange(&self, code: &str, verifier: &str) -> Result<String, String> {
        let response: Value = self
            .client
            .post(format!("{}/token", self.issuer))
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", MOBILE_APP),
                ("code", code),
                ("redirect_uri", MOBILE_REDIRECT),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .expect("token request")
            .json()
            .await
            .expect("token json");
        response["access_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| response.to_string())
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
    part(token, 0)
}

fn claims(token: &str) -> Value {
    part(token, 1)
}

fn part(token: &str, index: usize) -> Value {
    let raw = token.split('.').nth(index).unwrap_or_default();
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
