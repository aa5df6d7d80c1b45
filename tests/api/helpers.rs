//! `TestApp`: a real server on port 0 over a throwaway database, and a client for it.

use bankapi::auth::TokenVerifier;
use bankapi::auth::mint::{TokenRequest, mint_hs256};
use bankapi::config::{Secret, Settings};
use bankapi::engine::{Engine, EngineSettings};
use bankapi::startup::Application;
use bankapi::store::{self, Stores};
use reqwest::{Client, Response};
use serde_json::Value;

mod database;

pub use database::{PG_ENV, TestDatabase};

/// The development secret every test app verifies with.
pub const SECRET: &str = "test-secret-that-is-long-enough-for-hs256";

/// The value of a metric line of the server at `base` that starts with `series` (a name,
/// or a name and its labels), 0 when nothing was counted yet.
pub async fn metric(client: &Client, base: &str, series: &str) -> f64 {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .find(|line| line.starts_with(series))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

/// A running application and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub stores: Stores,
    pub settings: Settings,
    /// Stops the server, and the server's task (for [`TestApp::restart`]).
    server: Option<(
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<anyhow::Result<()>>,
    )>,
    /// Held for its `Drop`, which removes the database.
    _database: TestDatabase,
}

/// How to start an app; defaults suit most tests.
pub struct Options {
    pub demo: bool,
    pub configure: Box<dyn FnOnce(&mut Settings) + Send>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            demo: false,
            configure: Box::new(|_| {}),
        }
    }
}

impl TestApp {
    /// An app over an empty database.
    pub async fn spawn() -> Self {
        Self::spawn_with(Options::default()).await
    }

    /// An app with the demo data set loaded.
    pub async fn spawn_demo() -> Self {
        Self::spawn_with(Options {
            demo: true,
            ..Options::default()
        })
        .await
    }

    pub async fn spawn_with(options: Options) -> Self {
        bankapi::telemetry::init(bankapi::config::LogFormat::Text);
        let database = TestDatabase::create().await;
        Self::start_on(database, options).await
    }

    /// Shuts the server down gracefully (as SIGTERM does), then starts a new one on the
    /// same database, configured by `configure`: a restarted process.
    pub async fn restart(mut self, configure: Box<dyn FnOnce(&mut Settings) + Send>) -> Self {
        let (stop, server) = self.server.take().expect("a running server");
        let _ = stop.send(());
        server
            .await
            .expect("the server's task")
            .expect("a clean shutdown");
        let Self {
            stores, _database, ..
        } = self;
        drop(stores);
        Self::start_on(
            _database,
            Options {
                demo: false,
                configure,
            },
        )
        .await
    }

    async fn start_on(database: TestDatabase, options: Options) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let address = format!("http://{}", listener.local_addr().expect("local address"));
        let mut settings = Settings {
            listen: listener.local_addr().expect("local address"),
            database_url: database.url().to_owned(),
            public_url: address.clone(),
            auth_hs256_secret: Some(Secret::new(SECRET)),
            database_max_connections: 4,
            // Tests advance orders themselves with `run_orders`, so every step is
            // immediate and nothing runs behind their back.
            executor_enabled: false,
            order_duration_scale: 0.0,
            // Tests fire requests faster than any client should; the limit has its own test.
            rate_limit_per_second: 0,
            ..Settings::default()
        };
        (options.configure)(&mut settings);
        let stores = store::connect(
            &settings.database_url,
            settings.database_max_connections,
            true,
        )
        .await
        .expect("open the test database");
        if options.demo {
            bankapi::demo::load_if_empty(&stores)
                .await
                .expect("load demo data");
        }
        let verifier = TokenVerifier::from_settings(&settings)
            .expect("verifier settings")
            .expect("a verifier");
        let app = Application::build_with(&settings, verifier, stores.clone(), listener)
            .await
            .expect("build the application");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            server: Some((stop, server)),
            address,
            client: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            stores,
            settings,
            _database: database,
        }
    }

    /// This server's value of a metric series (see [`metric`]).
    pub async fn metric(&self, series: &str) -> f64 {
        metric(&self.client, &self.url(""), series).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A token for `customer` with the read and write scopes of both APIs.
    pub fn customer_token(&self, customer: &str) -> String {
        self.mint(&TokenRequest::customer(customer))
    }

    /// A staff token with every scope.
    pub fn staff_token(&self) -> String {
        self.mint(&TokenRequest::staff())
    }

    pub fn mint(&self, request: &TokenRequest) -> String {
        mint_hs256(
            SECRET,
            &self.settings.auth_issuer,
            &self.settings.auth_audience,
            request,
        )
        .expect("mint")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// An OpenAPI document as served (no token needed).
    pub async fn document(&self, path: &str) -> Value {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("document")
            .json()
            .await
            .expect("JSON")
    }

    /// GET that must answer 200 with JSON.
    pub async fn get_ok(&self, path: &str, token: &str) -> Value {
        let response = self.get(path, token).await;
        let status = response.status();
        let body: Value = response.json().await.expect("JSON body");
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// An engine as the server's own would be, with the app's system of record.
    pub fn engine(&self) -> Engine {
        Engine::new(
            self.stores.orders.clone(),
            bankapi::operations::from_settings(&self.settings).expect("operations adapter"),
            EngineSettings {
                batch: 100,
                ..EngineSettings::from_settings(&self.settings)
            },
        )
    }

    /// An engine whose clock runs `ahead` of the system's: the day it takes for today is
    /// that much later, so a standing order's dates fall due without waiting for them.
    pub fn engine_ahead(&self, ahead: chrono::Duration) -> Engine {
        Engine::new(
            self.stores.orders.clone(),
            bankapi::operations::from_settings(&self.settings).expect("operations adapter"),
            EngineSettings {
                batch: 100,
                clock_offset: ahead,
                ..EngineSettings::from_settings(&self.settings)
            },
        )
    }

    /// The stores as another process sharing the database sees them: on PostgreSQL a
    /// second set of connections (and listeners) of its own; SQLite allows one process
    /// per file, so there they are this application's own.
    pub async fn another_process(&self) -> Stores {
        if on_postgres() {
            store::connect(&self.settings.database_url, 2, false)
                .await
                .expect("a second store")
        } else {
            self.stores.clone()
        }
    }

    /// Advances every due order as far as it can go now, as the engine would.
    pub async fn run_orders(&self) -> usize {
        self.engine().run_until_idle().await.expect("engine pass")
    }

    /// Registers an event through the staff endpoint and returns its id.
    pub async fn register_event(&self, customer: &str, kind: &str, xml: &str) -> i64 {
        let response = self
            .post_json(
                "/customer-event/events",
                &self.staff_token(),
                &serde_json::json!({"customer-number": customer, "event-kind": kind, "event-data-xml": xml}),
            )
            .await;
        let status = response.status();
        let body: Value = response.json().await.expect("JSON body");
        assert_eq!(status, 200, "{body}");
        body["id"].as_i64().expect("numeric id")
    }
}

/// Reads a problem response and checks its shape and status.
pub async fn problem(response: Response, status: u16) -> Value {
    assert_eq!(response.status(), status, "unexpected status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem JSON");
    for member in ["type", "title", "status", "detail", "instance"] {
        assert!(
            body.get(member).is_some(),
            "problem without {member}: {body}"
        );
    }
    assert_eq!(body["status"], status);
    body
}

/// The first field error of a validation problem: (tag, error).
pub fn first_error(problem: &Value) -> (String, String) {
    let error = &problem["errors"][0];
    (
        error["tag"].as_str().unwrap_or_default().to_owned(),
        error["error"].as_str().unwrap_or_default().to_owned(),
    )
}

/// The newest communication event of `customer`, in its typed view: where an order's
/// notification to the customer shows up.
pub async fn newest_communication(app: &TestApp, customer: &str, token: &str) -> Value {
    let notes = app
        .get_ok(
            &format!("/customer-event/events?customer-number={customer}&event-kind=communication"),
            token,
        )
        .await;
    let newest = notes["items"][0]["event-id"]
        .as_i64()
        .expect("a communication event");
    app.get_ok(
        &format!("/customer-event/communication-events/{newest}"),
        token,
    )
    .await
}

/// Whether this run tests PostgreSQL (else SQLite).
pub fn on_postgres() -> bool {
    std::env::var(PG_ENV).is_ok_and(|v| !v.is_empty())
}

/// Says that `test` does not apply to this run's backend. Written to the process's own
/// stderr rather than through `eprintln!`, which the test harness captures and hides for
/// a passing test: a skip must show in the run's output, never pass silently.
pub fn skip(test: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

/// Registers a communication for `customer` through the guide's endpoint, with a staff
/// token; the new event's id.
pub async fn note(app: &TestApp, customer: &str, title: &str) -> i64 {
    let response = app
        .post_json(
            "/customer-event/communication-events",
            &app.staff_token(),
            &serde_json::json!({"customer-number": customer, "medium": "sms", "title": title}),
        )
        .await;
    let body: Value = response.json().await.expect("json");
    body["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .or_else(|| body["id"].as_i64())
        .unwrap_or_else(|| panic!("an event id in {body}"))
}
