//! Configuration: built-in defaults, then an optional TOML file, then `BANKAPI_*`
//! environment variables, each overriding the one before.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// A value that must never reach a log line: `Debug` prints a placeholder.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it (signing or verifying).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Everything the service can be told from outside. Field names are the environment
/// variables without the `BANKAPI_` prefix, lower-cased.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address the HTTP server binds to.
    pub listen: SocketAddr,
    /// `sqlite://...` (the embedded default) or `postgres://...`.
    pub database_url: String,
    /// Base of every link the service generates; never taken from the request's `Host`.
    pub public_url: String,
    /// Development-only shared secret for HS256 tokens.
    pub auth_hs256_secret: Option<Secret>,
    /// JWKS endpoint of the bank's authorization server.
    pub auth_jwks_url: Option<String>,
    /// PEM file holding an RSA or EC public key that signs access tokens.
    pub auth_public_key_file: Option<PathBuf>,
    /// Expected `iss` claim.
    pub auth_issuer: String,
    /// Expected `aud` claim.
    pub auth_audience: String,
    /// Seconds of clock difference with the authorization server tolerated on `exp` and
    /// `nbf`.
    pub auth_leeway_seconds: u64,
    /// Largest request body accepted, in bytes; larger ones get 413.
    pub body_limit_bytes: usize,
    /// Largest `event-data-xml` document accepted, in bytes.
    pub xml_limit_bytes: usize,
    /// Deepest element nesting accepted in `event-data-xml`.
    pub xml_max_depth: usize,
    /// Seconds a request may take before it is answered with 408/503.
    pub request_timeout_seconds: u64,
    /// Seconds a client may take to send a request's headers before the connection is
    /// closed (slow clients holding connections open).
    pub header_timeout_seconds: u64,
    /// Maximum connections in the database pool.
    pub database_max_connections: u32,
    /// Requests per second each client (token client and subject) may make on average;
    /// 0 turns rate limiting off.
    pub rate_limit_per_second: u32,
    /// Requests a client may make at once before the average applies.
    pub rate_limit_burst: u32,
    /// Web origins (`https://app.bank.example`), comma-separated, whose pages may call the
    /// API from a browser; empty (the default) allows none. `*` is refused: a bank API
    /// answers with customers' data, and which sites may ask for it is a decision.
    pub cors_allowed_origins: String,
    /// Memory for caching events by id (they never change); 0 turns the cache off.
    pub event_cache_bytes: u64,
    /// `text` for people, `json` for log shippers.
    pub log_format: LogFormat,
    /// The bank's time zone (an IANA name): where a date or a time without an offset
    /// given in a request is read.
    pub time_zone: String,
    /// Where `--demo` keeps a generated signing secret so `bankapi token` can reuse it.
    pub demo_secret_file: PathBuf,
    /// Orders not executed this many seconds after acceptance expire.
    pub order_deadline_seconds: u64,
    /// Multiplies every default step duration (0 makes orders run at once).
    pub order_duration_scale: f64,
    /// Per-step durations in seconds, keyed `kind.step` (`card-activation.activate-card`).
    pub order_step_seconds: BTreeMap<String, f64>,
    /// Whether this process runs the order executor.
    pub executor_enabled: bool,
    /// Orders one engine pass claims at most.
    pub executor_batch: usize,
    /// How long, in milliseconds, an engine that found only a few orders lets more gather
    /// before its next pass: each pass costs a claim and a commit whatever its size, so a
    /// short wait under a steady trickle trades a little latency for most of that cost.
    pub executor_gather_ms: u64,
    /// How far ahead of the system clock the order engine's clock runs, in seconds: 0 in
    /// production. A demo or a test sets it to see at once what the engine does later
    /// (an unconfirmed order expiring at its deadline).
    pub engine_clock_offset_seconds: i64,
    /// How often, in milliseconds, the feed looks for changes committed by other
    /// processes (this process's own wake its streams at once).
    pub feed_poll_ms: u64,
    /// How long outbox entries are kept once every relay has passed them, in hours:
    /// how far back a stream can resume with `Last-Event-ID`.
    pub feed_retention_hours: u64,
    /// How old, in seconds, an event must be before a deep page-number page may mark its
    /// rank (`store::event_pages`). Events are registered at the server's clock, so no
    /// new event can be older than this, as long as the servers' clocks agree within it.
    pub event_marks_settle_seconds: u64,
    /// How long, in seconds, a process's claim on a relay of the feed, or on a webhook
    /// delivery, lasts unless renewed: how long a process that died holding one delays
    /// it on PostgreSQL (SQLite, one process per file, releases them at start-up).
    pub feed_lease_seconds: u64,
    /// Whether webhook targets on private, loopback or link-local addresses are allowed
    /// (tests, or receivers inside the bank's own network).
    pub webhook_allow_private: bool,
    /// How often, in milliseconds, the webhook dispatcher looks for deliveries falling
    /// due (retries, and deliveries created by other processes).
    pub webhook_poll_ms: u64,
    /// Multiplies every wait between webhook attempts (1: 5 s, then doubling); tests
    /// shorten the schedule with it, the three days before giving up stay.
    pub webhook_retry_scale: f64,
    /// The NATS server events are published to (JetStream); unset: no bus.
    pub nats_url: Option<String>,
    /// The JetStream stream the events go to, created if missing.
    pub nats_stream: String,
    /// The first token of the subjects (`<prefix>.customer-event.<kind>`): one NATS
    /// server can carry several environments (`bankapi`, `bankapi-test`) apart.
    pub nats_subject_prefix: String,
    /// The bank's system of record for operations (API.md section 7); unset: bankapi
    /// applies operations itself (the built-in adapter).
    pub operations_url: Option<String>,
    /// Bearer token sent to the system of record.
    pub operations_token: Option<Secret>,
    /// How long one call to the system of record may take.
    pub operations_timeout_seconds: f64,
    /// Calls of one step before its order is held.
    pub operations_max_attempts: u32,
    /// Calls in flight at once, for the whole process.
    pub operations_concurrency: usize,
    /// How long a claim on an order lasts; longer than a call's timeout.
    pub operations_lease_seconds: f64,
    /// Multiplies the retry and poll delays (1 s doubling to 5 min, 1 s doubling to
    /// 60 s); tests make them short.
    pub operations_retry_scale: f64,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://bankapi.db".to_owned(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            auth_hs256_secret: None,
            auth_jwks_url: None,
            auth_public_key_file: None,
            auth_issuer: "bankapi".to_owned(),
            auth_audience: "bankapi".to_owned(),
            auth_leeway_seconds: 30,
            body_limit_bytes: 64 * 1024,
            xml_limit_bytes: 32 * 1024,
            xml_max_depth: 16,
            request_timeout_seconds: 30,
            header_timeout_seconds: 10,
            database_max_connections: 10,
            event_cache_bytes: 32 * 1024 * 1024,
            rate_limit_per_second: 50,
            rate_limit_burst: 100,
            cors_allowed_origins: String::new(),
            log_format: LogFormat::Text,
            time_zone: "UTC".to_owned(),
            demo_secret_file: PathBuf::from("bankapi-demo.secret"),
            order_deadline_seconds: 86_400,
            order_duration_scale: 1.0,
            order_step_seconds: BTreeMap::new(),
            executor_enabled: true,
            executor_batch: 512,
            executor_gather_ms: 5,
            engine_clock_offset_seconds: 0,
            feed_poll_ms: 100,
            feed_retention_hours: 168,
            event_marks_settle_seconds: 600,
            feed_lease_seconds: 30,
            webhook_allow_private: false,
            webhook_poll_ms: 1000,
            webhook_retry_scale: 1.0,
            nats_url: None,
            nats_stream: "BANKAPI_EVENTS".to_owned(),
            nats_subject_prefix: "bankapi".to_owned(),
            operations_url: None,
            operations_token: None,
            operations_timeout_seconds: 10.0,
            operations_max_attempts: 8,
            operations_concurrency: 64,
            operations_lease_seconds: 30.0,
            operations_retry_scale: 1.0,
        }
    }
}

impl Settings {
    /// Loads defaults < `file` (if given) < environment.
    pub fn load(file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            anyhow::ensure!(
                path.exists(),
                "configuration file {} not found",
                path.display()
            );
            figment = figment.merge(Toml::file(path));
        }
        let env_defaults_public_url = std::env::var_os("BANKAPI_PUBLIC_URL").is_none();
        let mut settings: Settings = figment.merge(Env::prefixed("BANKAPI_")).extract()?;
        if env_defaults_public_url && file.is_none() {
            settings.public_url = format!("http://{}", settings.listen);
        }
        settings.validate()?;
        Ok(settings)
    }

    /// Rejects settings that would make the service misbehave later rather than now.
    pub fn validate(&self) -> anyhow::Result<()> {
        let url = url::Url::parse(&self.public_url)
            .map_err(|e| anyhow::anyhow!("BANKAPI_PUBLIC_URL {:?}: {e}", self.public_url))?;
        anyhow::ensure!(
            matches!(url.scheme(), "http" | "https"),
            "BANKAPI_PUBLIC_URL must be http or https"
        );
        anyhow::ensure!(
            self.body_limit_bytes >= 1024,
            "body_limit_bytes must be at least 1024"
        );
        anyhow::ensure!(self.xml_max_depth >= 2, "xml_max_depth must be at least 2");
        // The documents promise these ceilings (http::limits): links and stored XML never
        // exceed what a client was told to expect.
        anyhow::ensure!(
            self.xml_limit_bytes <= crate::domain::xml::MAX_XML_BYTES,
            "xml_limit_bytes must be at most {}",
            crate::domain::xml::MAX_XML_BYTES
        );
        anyhow::ensure!(
            self.public_url.len() <= crate::http::limits::MAX_PUBLIC_URL,
            "BANKAPI_PUBLIC_URL must be at most {} characters",
            crate::http::limits::MAX_PUBLIC_URL
        );
        anyhow::ensure!(
            self.feed_lease_seconds >= 11,
            "feed_lease_seconds must be at least 11: a webhook delivery's claim outlasts two of its 5 s answer limits"
        );
        anyhow::ensure!(
            self.database_max_connections >= 1,
            "database_max_connections must be at least 1"
        );
        anyhow::ensure!(
            self.operations_timeout_seconds > 0.0
                && self.operations_lease_seconds > self.operations_timeout_seconds,
            "operations_lease_seconds must be longer than operations_timeout_seconds, which must be positive: \
             a claim must outlast the call made under it"
        );
        anyhow::ensure!(
            self.operations_max_attempts >= 1 && self.operations_concurrency >= 1,
            "operations_max_attempts and operations_concurrency must be at least 1"
        );
        anyhow::ensure!(
            self.webhook_retry_scale >= 0.0 && self.webhook_retry_scale.is_finite(),
            "webhook_retry_scale must not be negative"
        );
        anyhow::ensure!(
            (1..=60_000).contains(&self.webhook_poll_ms),
            "webhook_poll_ms must be between 1 and 60000"
        );
        anyhow::ensure!(
            (1..=60_000).contains(&self.feed_poll_ms),
            "feed_poll_ms must be between 1 and 60000"
        );
        anyhow::ensure!(
            !self.nats_stream.is_empty()
                && self
                    .nats_stream
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "nats_stream must be letters, digits, '_' or '-'"
        );
        anyhow::ensure!(
            !self.nats_subject_prefix.is_empty()
                && self
                    .nats_subject_prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
            "nats_subject_prefix must be letters, digits, '_' or '-'"
        );
        anyhow::ensure!(
            self.executor_gather_ms <= 1000,
            "executor_gather_ms must be at most 1000: it adds to every order's latency"
        );
        anyhow::ensure!(
            (0..=10 * 366 * 86_400).contains(&self.engine_clock_offset_seconds),
            "engine_clock_offset_seconds must be between 0 and ten years"
        );
        anyhow::ensure!(
            self.operations_retry_scale >= 0.0,
            "operations_retry_scale must not be negative"
        );
        self.cors_origins()?;
        crate::http::time::parse_zone(&self.time_zone)?;
        Ok(())
    }

    /// The origins of `cors_allowed_origins`, each as a browser sends it in `Origin`
    /// (`https://app.bank.example`, a port only when it is not the scheme's own).
    pub fn cors_origins(&self) -> anyhow::Result<Vec<String>> {
        self.cors_allowed_origins
            .split(',')
            .map(str::trim)
            .filter(|raw| !raw.is_empty())
            .map(|raw| {
                let url = url::Url::parse(raw)
                    .map_err(|e| anyhow::anyhow!("BANKAPI_CORS_ALLOWED_ORIGINS {raw:?}: {e}"))?;
                anyhow::ensure!(
                    matches!(url.scheme(), "http" | "https")
                        && url.path() == "/"
                        && url.query().is_none()
                        && url.fragment().is_none(),
                    "BANKAPI_CORS_ALLOWED_ORIGINS {raw:?} must be an origin: http(s)://host[:port], \
                     no path (`*` is not accepted)"
                );
                Ok(url.origin().ascii_serialization())
            })
            .collect()
    }

    /// The public base URL without a trailing slash.
    pub fn public_base(&self) -> String {
        self.public_url.trim_end_matches('/').to_owned()
    }

    /// The step durations these settings ask for.
    pub fn step_durations(&self) -> crate::domain::order::StepDurations {
        crate::domain::order::StepDurations {
            scale: self.order_duration_scale,
            overrides: self.order_step_seconds.clone(),
            external_actions: self.operations_url.is_some(),
        }
    }

    /// Whether any way to verify tokens is configured.
    pub fn has_token_verification(&self) -> bool {
        self.auth_hs256_secret.is_some()
            || self.auth_jwks_url.is_some()
            || self.auth_public_key_file.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print_in_debug_output() {
        let settings = Settings {
            auth_hs256_secret: Some(Secret::new("hunter2")),
            ..Settings::default()
        };
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn public_url_must_be_http() {
        let settings = Settings {
            public_url: "ftp://x".into(),
            ..Settings::default()
        };
        assert!(settings.validate().is_err());
    }
}
