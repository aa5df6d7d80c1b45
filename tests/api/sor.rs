//! A fake system of record (the bank's card processor) served over HTTP on 127.0.0.1:0,
//! for the tests of bankapi's HTTP adapter. It fails on purpose (scripted per
//! `Idempotency-Key`, or at random with a seed) and counts what it applied, so a test can
//! prove that retries, lost answers and polling apply each operation exactly once.

// The adapter tests use this double piecemeal: not every accessor or fault is used by
// every build of the test binary.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::task::AbortHandle;

mod ledger;
mod self_tests;

use ledger::Tracking;

/// A running fake system of record. Clones share one server and one state, so a test can
/// hand a clone to the app under test and still inspect what it received.
#[derive(Clone)]
pub struct SystemOfRecord {
    state: Shared,
    address: SocketAddr,
    server: Arc<Server>,
}

/// One fault, used for exactly one POST attempt: the ways a real processor misbehaves that
/// the adapter must survive without applying an operation twice.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 500 before applying anything: the plain transient failure.
    ServerError,
    /// 429 with `Retry-After: N` seconds, nothing applied: back-pressure the client must honour.
    TooManyRequests(u64),
    /// Applies the effect and remembers the answer, then sleeps this long before answering:
    /// the client times out although the operation happened, and its retry must be replayed.
    LoseAnswer(Duration),
    /// 202 pending; the effect is applied only when a poll comes after this many polls that
    /// answered pending again (`Pending(0)`: the first poll completes it).
    Pending(usize),
    /// 422 declined with this reason, nothing applied, and remembered for the key: a final
    /// refusal that a retry must not turn into a success.
    Decline(String),
    /// 200 with a body that is not JSON, nothing applied: an answer the client cannot trust.
    Unusable,
    /// 409 conflict: the processor claims the key was used for another request.
    Conflict,
    /// Sleeps, then behaves normally; while it sleeps the key counts as in flight, so a
    /// concurrent attempt with that key gets 503.
    Delay(Duration),
}

/// Random faults for every key that has no script, reproducible from `seed`: a soak test
/// of the adapter under a flaky processor.
#[derive(Debug, Clone, Default)]
pub struct Chaos {
    /// Seeds the random generator, so a failing run can be replayed.
    pub seed: u64,
    /// Probability per POST attempt of [`Fault::ServerError`].
    pub server_error: f64,
    /// Probability per POST attempt of [`Fault::LoseAnswer`] with `lose_delay`.
    pub lose_answer: f64,
    /// How long a lost answer is held back: longer than the client's timeout to lose it.
    pub lose_delay: Duration,
    /// Probability per POST attempt of [`Fault::Pending`]`(1)`.
    pub pending: f64,
    /// Added to every request, POST and poll alike, to widen races.
    pub latency: Duration,
}

type Shared = Arc<Mutex<Ledger>>;

/// Stops the server when the last handle goes.
struct Server(AbortHandle);

impl Drop for Server {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[derive(Default)]
struct Ledger {
    token: Option<String>,
    cards: BTreeMap<String, String>,
    issued_cards: u64,
    issued_references: u64,
    issued_requests: u64,
    scripts: HashMap<String, VecDeque<Fault>>,
    chaos: Option<(Chaos, StdRng)>,
    keys: BTreeMap<String, KeyRecord>,
    references: HashMap<String, PendingOperation>,
    in_flight: HashMap<String, usize>,
    max_in_flight: usize,
    total_effects: usize,
}

#[derive(Default)]
struct KeyRecord {
    calls: usize,
    polls: usize,
    effects: usize,
    bodies: Vec<Value>,
    answer: Option<Answer>,
    pending: Option<String>,
    claimed_by: Option<u64>,
}

#[derive(Clone)]
struct Answer {
    status: StatusCode,
    body: Value,
}

impl Answer {
    fn response(&self) -> Response {
        reply(self.status, self.body.clone())
    }
}

struct PendingOperation {
    key: String,
    body: Value,
    polls_left: usize,
    target: Option<String>,
}

/// What a POST does once its fault is chosen, outside the lock.
enum Step {
    Now(Response),
    Late(Duration, Answer),
    Delayed(Duration),
}

impl SystemOfRecord {
    /// Binds 127.0.0.1:0 and serves in a task of the test's runtime until the last handle
    /// is dropped, so tests run in parallel without port clashes.
    pub async fn start() -> Self {
        let state = Shared::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the test system of record");
        let address = listener.local_addr().expect("its local address");
        let app = Router::new()
            .route("/operations", post(post_operation))
            .route("/operations/{reference}", get(poll_operation))
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                eprintln!("test system of record stopped: {error}");
            }
        });
        Self {
            state,
            address,
            server: Arc::new(Server(task.abort_handle())),
        }
    }

    /// The base URL to configure the adapter with, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// From now on a request without `Authorization: Bearer {token}` gets 401, to test that
    /// the adapter sends its configured credential.
    pub fn require_token(&self, token: &str) {
        self.lock().token = Some(token.to_owned());
    }

    /// Puts a card on file with this status, as the processor would have it before the order.
    pub fn seed_card(&self, card_id: &str, status: &str) {
        self.lock()
            .cards
            .insert(card_id.to_owned(), status.to_owned());
    }

    /// The card's status now, or `None` when the processor has no such card.
    pub fn card_status(&self, card_id: &str) -> Option<String> {
        self.lock().cards.get(card_id).cloned()
    }

    /// Every card on file with its status, to check that nothing else changed.
    pub fn cards(&self) -> BTreeMap<String, String> {
        self.lock().cards.clone()
    }

    /// The faults for the next POST attempts with this key, one per attempt in order; after
    /// them the key behaves normally (and chaos never touches it).
    pub fn script(&self, key: &str, faults: Vec<Fault>) {
        self.lock().scripts.insert(key.to_owned(), faults.into());
    }

    /// Lets the operation that `key` holds pending (`Pending(n)` with a large `n`) complete
    /// at its next poll: a test keeps an operation open at the system while it changes
    /// bankapi, then lets the system finish it.
    pub fn complete_at_next_poll(&self, key: &str) {
        let mut ledger = self.lock();
        for operation in ledger.references.values_mut() {
            if operation.key == key {
                operation.polls_left = 0;
            }
        }
    }

    /// Random faults for every key without a script, from now on.
    pub fn chaos(&self, chaos: Chaos) {
        let rng = StdRng::seed_from_u64(chaos.seed);
        self.lock().chaos = Some((chaos, rng));
    }

    /// POSTs received with this key, whatever they were answered: how often the adapter tried.
    pub fn calls(&self, key: &str) -> usize {
        self.record(key, |record| record.calls)
    }

    /// GET polls of this key's references: how often the adapter asked after a 202.
    pub fn polls(&self, key: &str) -> usize {
        self.record(key, |record| record.polls)
    }

    /// How often this key's operation was applied: exactly-once means 0 or 1, never more.
    pub fn effects(&self, key: &str) -> usize {
        self.record(key, |record| record.effects)
    }

    /// Every key seen, sorted, to check which steps the adapter ran.
    pub fn keys(&self) -> Vec<String> {
        self.lock().keys.keys().cloned().collect()
    }

    /// Every JSON body POSTed with this key, in order, to check what the adapter sent.
    pub fn bodies(&self, key: &str) -> Vec<Value> {
        self.record(key, |record| record.bodies.clone())
    }

    /// The most requests (POSTs and polls) ever processed at once for one card (or one
    /// arrangement when there is no card id): 1 proves the adapter serializes per card.
    pub fn max_in_flight_per_card(&self) -> usize {
        self.lock().max_in_flight
    }

    /// Operations applied over all keys, to check that nothing unexpected happened.
    pub fn total_effects(&self) -> usize {
        self.lock().total_effects
    }

    fn lock(&self) -> MutexGuard<'_, Ledger> {
        lock(&self.state)
    }

    fn record<T: Default>(&self, key: &str, read: impl FnOnce(&KeyRecord) -> T) -> T {
        self.lock().keys.get(key).map(read).unwrap_or_default()
    }
}

fn lock(state: &Mutex<Ledger>) -> MutexGuard<'_, Ledger> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn reply(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn declined(reason: &str) -> Answer {
    Answer {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        body: json!({"status": "declined", "reason": reason}),
    }
}

fn pending(reference: &str) -> Response {
    reply(
        StatusCode::ACCEPTED,
        json!({"status": "pending", "reference": reference}),
    )
}

fn target_of(body: &Value) -> Option<String> {
    ["card-id", "arrangement-number"]
        .iter()
        .find_map(|field| body.get(field).and_then(Value::as_str))
        .map(str::to_owned)
}

async fn post_operation(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return reply(
            StatusCode::BAD_REQUEST,
            json!({"status": "invalid", "reason": "missing Idempotency-Key"}),
        );
    };
    let parsed = serde_json::from_slice::<Value>(&body).ok();
    let (tracking, latency, authorized) = {
        let mut guard = lock(&state);
        let record = guard.keys.entry(key.clone()).or_default();
        record.calls += 1;
        record.bodies.extend(parsed.clone());
        let target = parsed.as_ref().and_then(target_of);
        let (latency, authorized) = (guard.latency(), guard.authorized(&headers));
        let tracking = Tracking::begin(&state, &mut guard, target, Some(&key));
        (tracking, latency, authorized)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if !authorized {
        return reply(StatusCode::UNAUTHORIZED, json!({"status": "unauthorized"}));
    }
    let Some(body) = parsed else {
        return reply(
            StatusCode::BAD_REQUEST,
            json!({"status": "invalid", "reason": "the body is not JSON"}),
        );
    };
    let step = lock(&state).decide(&key, &body, tracking.request);
    match step {
        Step::Now(response) => response,
        Step::Late(delay, answer) => {
            tokio::time::sleep(delay).await;
            answer.response()
        }
        Step::Delayed(delay) => {
            tokio::time::sleep(delay).await;
            lock(&state).normal(&key, &body, tracking.request)
        }
    }
}

async fn poll_operation(
    State(state): State<Shared>,
    Path(reference): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (_tracking, latency, authorized) = {
        let mut guard = lock(&state);
        let (key, target) = match guard.references.get(&reference) {
            Some(operation) => (Some(operation.key.clone()), operation.target.clone()),
            None => (None, None),
        };
        if let Some(record) = key.and_then(|key| guard.keys.get_mut(&key)) {
            record.polls += 1;
        }
        let (latency, authorized) = (guard.latency(), guard.authorized(&headers));
        let tracking = Tracking::begin(&state, &mut guard, target, None);
        (tracking, latency, authorized)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if !authorized {
        return reply(StatusCode::UNAUTHORIZED, json!({"status": "unauthorized"}));
    }
    lock(&state).poll(&reference)
}
