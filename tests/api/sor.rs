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

/// Counts a request as in flight for its card while it is processed, even when the client
/// hangs up and the handler is dropped mid-sleep; releases the key it claimed.
struct Tracking {
    state: Shared,
    target: Option<String>,
    key: Option<String>,
    request: u64,
}

impl Tracking {
    fn begin(
        shared: &Shared,
        state: &mut Ledger,
        target: Option<String>,
        key: Option<&str>,
    ) -> Self {
        state.issued_requests += 1;
        if let Some(target) = &target {
            let count = state.in_flight.entry(target.clone()).or_default();
            *count += 1;
            state.max_in_flight = state.max_in_flight.max(*count);
        }
        Self {
            state: shared.clone(),
            target,
            key: key.map(str::to_owned),
            request: state.issued_requests,
        }
    }
}

impl Drop for Tracking {
    fn drop(&mut self) {
        let mut state = lock(&self.state);
        if let Some(target) = &self.target
            && let Some(count) = state.in_flight.get_mut(target)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                state.in_flight.remove(target);
            }
        }
        if let Some(record) = self.key.as_ref().and_then(|key| state.keys.get_mut(key))
            && record.claimed_by == Some(self.request)
        {
            record.claimed_by = None;
        }
    }
}

impl Ledger {
    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        sent == Some(format!("Bearer {token}").as_str())
    }

    fn latency(&self) -> Duration {
        self.chaos
            .as_ref()
            .map(|(chaos, _)| chaos.latency)
            .unwrap_or_default()
    }

    fn next_fault(&mut self, key: &str) -> Option<Fault> {
        if let Some(script) = self.scripts.get_mut(key) {
            return script.pop_front();
        }
        let (chaos, rng) = self.chaos.as_mut()?;
        let roll: f64 = rng.random();
        let mut edge = chaos.server_error;
        if roll < edge {
            return Some(Fault::ServerError);
        }
        edge += chaos.lose_answer;
        if roll < edge {
            return Some(Fault::LoseAnswer(chaos.lose_delay));
        }
        edge += chaos.pending;
        (roll < edge).then_some(Fault::Pending(1))
    }

    fn new_reference(&mut self) -> String {
        self.issued_references += 1;
        format!("R{:010}", self.issued_references)
    }

    fn decide(&mut self, key: &str, body: &Value, request: u64) -> Step {
        let record = self.keys.entry(key.to_owned()).or_default();
        if record.bodies.first().is_some_and(|first| first != body) {
            return Step::Now(reply(StatusCode::CONFLICT, json!({"status": "conflict"})));
        }
        let Some(fault) = self.next_fault(key) else {
            return Step::Now(self.normal(key, body, request));
        };
        let record = self.keys.entry(key.to_owned()).or_default();
        Step::Now(match fault {
            Fault::ServerError => reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"status": "error", "reason": "scripted server error"}),
            ),
            Fault::TooManyRequests(seconds) => (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, seconds.to_string())],
                Json(json!({"status": "throttled"})),
            )
                .into_response(),
            Fault::Decline(reason) => {
                let answer = declined(&reason);
                record.answer.get_or_insert_with(|| answer.clone());
                answer.response()
            }
            Fault::Unusable => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html")],
                "<html>oops</html>",
            )
                .into_response(),
            Fault::Conflict => reply(StatusCode::CONFLICT, json!({"status": "conflict"})),
            Fault::Delay(delay) => {
                if record.answer.is_none() && record.claimed_by.is_none() {
                    record.claimed_by = Some(request);
                }
                return Step::Delayed(delay);
            }
            Fault::LoseAnswer(delay) => return Step::Late(delay, self.complete(key, body, None)),
            Fault::Pending(polls) => {
                let reference = self.new_reference();
                self.keys.entry(key.to_owned()).or_default().pending = Some(reference.clone());
                let operation = PendingOperation {
                    key: key.to_owned(),
                    body: body.clone(),
                    polls_left: polls,
                    target: target_of(body),
                };
                self.references.insert(reference.clone(), operation);
                pending(&reference)
            }
        })
    }

    /// The answer without a fault: replay, pending, in flight elsewhere, or apply now.
    fn normal(&mut self, key: &str, body: &Value, request: u64) -> Response {
        let record = self.keys.entry(key.to_owned()).or_default();
        if let Some(answer) = &record.answer {
            return answer.response();
        }
        if let Some(reference) = &record.pending {
            return pending(reference);
        }
        if record.claimed_by.is_some_and(|owner| owner != request) {
            return reply(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"status": "in-flight", "reason": "this key is being processed"}),
            );
        }
        self.complete(key, body, None).response()
    }

    /// The key's final answer: the remembered one, or the operation applied now.
    fn complete(&mut self, key: &str, body: &Value, reference: Option<String>) -> Answer {
        if let Some(answer) = self.keys.get(key).and_then(|r| r.answer.clone()) {
            return answer;
        }
        let reference = reference.unwrap_or_else(|| self.new_reference());
        let answer = match self.apply(body) {
            Ok(result) => {
                self.total_effects += 1;
                self.keys.entry(key.to_owned()).or_default().effects += 1;
                Answer {
                    status: StatusCode::OK,
                    body: json!({"status": "succeeded", "reference": reference, "result": result}),
                }
            }
            Err(reason) => declined(&reason),
        };
        self.keys.entry(key.to_owned()).or_default().answer = Some(answer.clone());
        answer
    }

    fn apply(&mut self, body: &Value) -> Result<Value, String> {
        let field = |name: &str| body.get(name).and_then(Value::as_str);
        let status = match field("operation").unwrap_or_default() {
            "activate-card" | "unblock-card" => "active",
            "block-card" => "suspended",
            "terminate-card" => "terminated",
            "produce-card" => return Ok(json!({"card-id": self.new_card()})),
            "issue-replacement-card" => {
                let old = self.known(field("card-id"))?;
                if matches!(
                    field("replacement-reason"),
                    Some("card-losses" | "stolen-card")
                ) {
                    self.cards.insert(old, "terminated".to_owned());
                }
                return Ok(json!({"card-id": self.new_card()}));
            }
            // Core banking: the test keeps no accounts, it takes what is asked.
            "close-account"
            | "redeem-credit"
            | "grant-mandates"
            | "revoke-mandate"
            | "set-up-standing-order"
            | "make-payment" => {
                return Ok(json!({}));
            }
            other => return Err(format!("unknown operation {other:?}")),
        };
        let card = self.known(field("card-id"))?;
        self.cards.insert(card, status.to_owned());
        Ok(json!({}))
    }

    fn known(&self, card: Option<&str>) -> Result<String, String> {
        card.filter(|card| self.cards.contains_key(*card))
            .map(str::to_owned)
            .ok_or_else(|| "unknown card".to_owned())
    }

    fn new_card(&mut self) -> String {
        self.issued_cards += 1;
        let id = format!("S{:010}", self.issued_cards);
        self.cards.insert(id.clone(), "inactive".to_owned());
        id
    }

    fn poll(&mut self, reference: &str) -> Response {
        let Some(operation) = self.references.get_mut(reference) else {
            return reply(
                StatusCode::NOT_FOUND,
                json!({"status": "unknown", "reason": "unknown reference"}),
            );
        };
        if operation.polls_left > 0 {
            operation.polls_left -= 1;
            return pending(reference);
        }
        let (key, body) = (operation.key.clone(), operation.body.clone());
        self.complete(&key, &body, Some(reference.to_owned()))
            .response()
    }
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

// The double's own tests: if these fail, the adapter tests that use it prove nothing.

fn order(operation: &str, card_id: &str) -> Value {
    json!({
        "operation": operation,
        "order-number": "WI0000492476",
        "order-type": "card-activation",
        "customer-number": "1400269",
        "card-id": card_id,
    })
}

async fn send(
    client: &reqwest::Client,
    sor: &SystemOfRecord,
    key: &str,
    token: Option<&str>,
    body: &Value,
) -> reqwest::Result<(u16, Value)> {
    let mut request = client
        .post(format!("{}/operations", sor.url()))
        .header("Idempotency-Key", key)
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    Ok((response.status().as_u16(), response.json().await?))
}

#[tokio::test]
async fn the_test_system_of_record_applies_each_key_once() {
    let sor = SystemOfRecord::start().await;
    let client = reqwest::Client::new();
    sor.seed_card("S0000000042", "inactive");
    let key = "WI0000492476:activate-card";
    let body = order("activate-card", "S0000000042");

    let first = send(&client, &sor, key, None, &body).await.expect("first");
    let second = send(&client, &sor, key, None, &body).await.expect("second");
    assert_eq!(first.0, 200);
    assert_eq!(first.1["status"], "succeeded");
    assert_eq!(first, second, "a repeat replays the first answer");
    assert_eq!((sor.calls(key), sor.effects(key)), (2, 1));
    assert_eq!(sor.card_status("S0000000042").as_deref(), Some("active"));

    let mut changed = body.clone();
    changed["customer-number"] = json!("9999999");
    let conflict = send(&client, &sor, key, None, &changed)
        .await
        .expect("changed");
    assert_eq!(conflict, (409, json!({"status": "conflict"})));
    assert_eq!(sor.bodies(key), vec![body.clone(), body, changed]);

    let unknown = "WI0000492477:block-card";
    let refused = send(
        &client,
        &sor,
        unknown,
        None,
        &order("block-card", "S0000000099"),
    )
    .await
    .expect("unknown card");
    assert_eq!(
        refused,
        (422, json!({"status": "declined", "reason": "unknown card"}))
    );
    assert_eq!(sor.keys(), vec![key.to_owned(), unknown.to_owned()]);
    assert_eq!((sor.effects(unknown), sor.total_effects()), (0, 1));
    assert_eq!(sor.max_in_flight_per_card(), 1);
}

#[tokio::test]
async fn a_lost_answer_is_applied_once_and_an_attempt_in_flight_gets_503() {
    let sor = SystemOfRecord::start().await;
    let client = reqwest::Client::new();
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client");
    let key = "WI0000492478:produce-card";
    let body = json!({"operation": "produce-card", "arrangement-number": "1234567890"});
    sor.script(key, vec![Fault::LoseAnswer(Duration::from_secs(5))]);

    let lost = send(&impatient, &sor, key, None, &body).await;
    assert!(lost.expect_err("the answer is lost").is_timeout());
    assert_eq!(sor.effects(key), 1, "applied although the answer was lost");
    let retry = send(&client, &sor, key, None, &body).await.expect("retry");
    assert_eq!(retry.0, 200);
    assert_eq!(retry.1["result"], json!({"card-id": "S0000000001"}));
    assert_eq!(
        sor.cards().get("S0000000001").map(String::as_str),
        Some("inactive")
    );
    assert_eq!((sor.calls(key), sor.effects(key)), (2, 1));

    sor.seed_card("S0000000042", "active");
    let slow = "WI0000492479:block-card";
    let block = order("block-card", "S0000000042");
    sor.script(slow, vec![Fault::Delay(Duration::from_secs(1))]);
    let first = tokio::spawn({
        let (client, sor, block) = (client.clone(), sor.clone(), block.clone());
        async move { send(&client, &sor, slow, None, &block).await }
    });
    while sor.calls(slow) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let busy = send(&client, &sor, slow, None, &block).await.expect("busy");
    assert_eq!(busy.0, 503);
    let done = first.await.expect("task").expect("first attempt");
    assert_eq!(done.0, 200);
    assert_eq!(sor.effects(slow), 1);
    assert_eq!(sor.max_in_flight_per_card(), 2);
}

#[tokio::test]
async fn a_pending_operation_is_applied_on_the_poll_after_its_pending_polls() {
    let sor = SystemOfRecord::start().await;
    let client = reqwest::Client::new();
    sor.seed_card("S0000000042", "active");
    sor.require_token("sor-token");
    let key = "WI0000492480:terminate-card";
    let body = order("terminate-card", "S0000000042");
    let refused = send(&client, &sor, key, None, &body)
        .await
        .expect("no token");
    assert_eq!(refused.0, 401);

    sor.script(key, vec![Fault::Pending(2)]);
    let (status, accepted) = send(&client, &sor, key, Some("sor-token"), &body)
        .await
        .expect("accepted");
    assert_eq!(status, 202);
    let reference = accepted["reference"].as_str().expect("a reference");
    let mut answers = Vec::new();
    for _ in 0..3 {
        let response = client
            .get(format!("{}/operations/{reference}", sor.url()))
            .bearer_auth("sor-token")
            .send()
            .await
            .expect("poll");
        answers.push(response.status().as_u16());
        assert_eq!(sor.effects(key), usize::from(answers.len() == 3));
    }
    assert_eq!(answers, vec![202, 202, 200]);
    assert_eq!(sor.polls(key), 3);
    assert_eq!(
        sor.card_status("S0000000042").as_deref(),
        Some("terminated")
    );
    let replay = send(&client, &sor, key, Some("sor-token"), &body)
        .await
        .expect("replay");
    assert_eq!(replay.0, 200);
    assert_eq!(replay.1["reference"], reference);
    assert_eq!(sor.total_effects(), 1);
}
