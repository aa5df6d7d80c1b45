//! Durability against real processes: SIGKILL during a stream of orders, several servers
//! sharing PostgreSQL, and a second server refused on one SQLite file.

use std::collections::{BTreeMap, HashMap};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bankapi::auth::mint::{TokenRequest, mint_hs256};
use bankapi::domain::CustomerNumber;
use bankapi::domain::EventKind;
use bankapi::domain::account::{Account, CurrencyCode};
use bankapi::domain::card::{Arrangement, Card, CardStatus, Customer, mask};
use bankapi::domain::identifier::{ArrangementNumber, CardId};
use bankapi::domain::xml::{XmlLimits, key_values};
use bankapi::http::paging::{PageRequest, SortOrder};
use bankapi::store::{self, EventFilter, Stores};
use chrono::{NaiveDate, Utc};
use reqwest::Client;
use serde_json::{Value, json};

use crate::helpers::{SECRET, TestDatabase};

pub(crate) const CUSTOMER: &str = "CRASH001";
pub(crate) const ARRANGEMENT: &str = "0099900000001";

/// [`ARRANGEMENT`] as the store takes it.
pub(crate) fn arrangement() -> ArrangementNumber {
    ArrangementNumber::parse("arrangement-number", ARRANGEMENT).expect("an arrangement number")
}

pub(crate) fn customer() -> CustomerNumber {
    CustomerNumber::parse("c", CUSTOMER).expect("customer number")
}

/// Opens the test database directly. On SQLite this takes the file's exclusive lock, so it
/// must only be held while no server runs on the same file.
pub(crate) async fn open(database: &TestDatabase) -> Stores {
    store::connect(database.url(), 2, true)
        .await
        .expect("open database")
}

/// A database holding one customer with `cards` inactive cards, ready for activations.
/// The store is closed again before returning, releasing the SQLite lock for the servers.
pub(crate) async fn prepared_database(cards: usize) -> TestDatabase {
    let database = TestDatabase::create().await;
    let stores = open(&database).await;
    let owner = customer();
    let cards: Vec<Card> = (1..=cards)
        .map(|n| Card {
            id: CardId::parse("card-id", &format!("K{n:010}")).expect("a card id"),
            serial_number: format!("SK{n:010}"),
            masked_number: mask("5356", &format!("{:04}", n % 10_000)),
            arrangement_number: arrangement(),
            holder: owner.clone(),
            owner: owner.clone(),
            product_code: "MasterCard".into(),
            status: CardStatus::Inactive,
            blockade_reason: None,
            expiry_date: NaiveDate::from_ymd_opt(2030, 1, 31).expect("date"),
            replaces: None,
            replaced_by: None,
            status_date: Utc::now(),
        })
        .collect();
    stores
        .orders
        .import_reference_data(
            &[Customer {
                number: owner.clone(),
                name: "Crash Test".into(),
            }],
            &[Account::card_account(
                Arrangement {
                    number: arrangement(),
                    owner,
                    product_code: "MasterCard".into(),
                    active: true,
                    allows_cards: true,
                    card_limit: 10_000,
                },
                CurrencyCode::parse("currency-code", "EUR").expect("EUR"),
            )],
            &cards,
        )
        .await
        .expect("reference data");
    drop(stores);
    database
}

/// A `bankapi serve` child process.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn server_command(database_url: &str, port: u16, scale: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bankapi"));
    command
        .arg("serve")
        .env("BANKAPI_LISTEN", format!("127.0.0.1:{port}"))
        .env("BANKAPI_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("BANKAPI_DATABASE_URL", database_url)
        .env("BANKAPI_AUTH_HS256_SECRET", SECRET)
        .env("BANKAPI_ORDER_DURATION_SCALE", scale)
        .env("BANKAPI_DATABASE_MAX_CONNECTIONS", "3")
        .env("BANKAPI_RATE_LIMIT_PER_SECOND", "0")
        .env("RUST_LOG", "warn")
        // The test's own settings must not leak into the server's configuration.
        .env_remove(crate::helpers::PG_ENV)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

impl Server {
    pub(crate) async fn start(client: &Client, database_url: &str, scale: &str) -> Self {
        Self::start_with(client, database_url, scale, &[]).await
    }

    /// A server with more settings in its environment (`BANKAPI_OPERATIONS_URL`, ...).
    pub(crate) async fn start_with(
        client: &Client,
        database_url: &str,
        scale: &str,
        env: &[(&str, String)],
    ) -> Self {
        let port = free_port();
        let mut command = server_command(database_url, port, scale);
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command.spawn().expect("start bankapi");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = client
                .get(format!("{}/health/ready", server.base))
                .send()
                .await
                && response.status() == 200
            {
                return server;
            }
            assert!(Instant::now() < deadline, "bankapi did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown hook runs, whatever was uncommitted is lost.
    pub(crate) fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn staff_token() -> String {
    mint_hs256(SECRET, "bankapi", "bankapi", &TokenRequest::staff()).expect("token")
}

/// Posts the activation of card `n` with a stable idempotency key; `None` if the server
/// did not answer (it may have died).
pub(crate) async fn activate(client: &Client, base: &str, token: &str, n: usize) -> Option<String> {
    let response = client
        .post(format!("{base}/customer-order/card-activations"))
        .bearer_auth(token)
        .header("Idempotency-Key", format!("activate-{n}"))
        .json(&json!({"card-id": format!("K{n:010}")}))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    if response.status() != 202 {
        return None;
    }
    let body: Value = response.json().await.ok()?;
    body["id"].as_str().map(str::to_owned)
}

/// Waits, over HTTP, until every accepted order reached a final state: the server holds
/// the SQLite lock, so the store can only be opened once it is stopped.
pub(crate) async fn wait_until_final_over_http(
    client: &Client,
    base: &str,
    token: &str,
    ids: &[String],
) {
    // A bound on liveness, not a timing: through the faulty processor of
    // crash_operations.rs the last orders take 50 s or more on a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(150);
    let mut open: Vec<&String> = ids.iter().collect();
    while !open.is_empty() {
        let mut still = Vec::new();
        for id in open {
            let body: Value = client
                .get(format!("{base}/customer-order/card-activations/{id}"))
                .bearer_auth(token)
                .send()
                .await
                .expect("get order")
                .json()
                .await
                .expect("order json");
            let status = body["status"].as_str().unwrap_or_default();
            if !matches!(
                status,
                "external-processing-succeeded" | "rejected" | "canceled" | "expired"
            ) {
                still.push(id);
            }
        }
        open = still;
        assert!(
            Instant::now() < deadline,
            "orders did not finish: {} still open",
            open.len()
        );
        if !open.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Every order, by number, with its status, read straight from the store.
async fn statuses(stores: &Stores) -> BTreeMap<String, String> {
    let mut all = BTreeMap::new();
    let mut page = 1;
    loop {
        let filter = bankapi::store::OrderFilter {
            kinds: Vec::new(),
            customer: Some(customer()),
            statuses: Vec::new(),
            sort: bankapi::store::OrderSort::OrderNumber,
            order: SortOrder::Asc,
            page: PageRequest {
                size: 100,
                number: page,
            },
        };
        let (orders, _) = stores
            .orders
            .list_orders(&filter)
            .await
            .expect("list orders");
        if orders.is_empty() {
            return all;
        }
        for order in orders {
            all.insert(order.number.to_string(), order.status.as_str().to_owned());
        }
        page += 1;
    }
}

async fn wait_until_final(stores: &Stores, expected: usize) -> BTreeMap<String, String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let all = statuses(stores).await;
        let open = all
            .values()
            .filter(|s| {
                !matches!(
                    s.as_str(),
                    "external-processing-succeeded" | "rejected" | "canceled" | "expired"
                )
            })
            .count();
        if all.len() >= expected && open == 0 {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "orders did not finish: {open} still open of {}",
            all.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many events of `kind` name each work item.
async fn events_per_work_item(stores: &Stores, kind: EventKind) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    let mut page = 1;
    loop {
        let filter = EventFilter {
            customer_number: customer(),
            kind: Some(kind),
            from: None,
            to: None,
            order: SortOrder::Asc,
            page: PageRequest {
                size: 100,
                number: page,
            },
            after: None,
        };
        let (events, _) =
            bankapi::store::event_pages::list_events(stores.events.as_ref(), &filter, Utc::now())
                .await
                .expect("events");
        if events.is_empty() {
            return counts;
        }
        for event in events {
            let kvs = key_values(&event.xml, &XmlLimits::default()).expect("xml");
            if let Some(item) = kvs.iter().find(|kv| kv.key == "workitem-id") {
                *counts.entry(item.value.clone()).or_default() += 1;
            }
        }
        page += 1;
    }
}

/// Every order reached a final state exactly once: each card activated, each order with
/// exactly one activity event and one notification.
pub(crate) async fn check_invariants(stores: &Stores, accepted: &[String], cards: usize) {
    let all = wait_until_final(stores, accepted.len()).await;
    for id in accepted {
        assert_eq!(
            all.get(id).map(String::as_str),
            Some("external-processing-succeeded"),
            "order {id}"
        );
    }
    let activities = events_per_work_item(stores, EventKind::ArrangementActivityEvent).await;
    let notes = events_per_work_item(stores, EventKind::CommunicationEvent).await;
    for id in all.keys() {
        assert_eq!(activities.get(id), Some(&1), "activity events of {id}");
        assert_eq!(notes.get(id), Some(&1), "notifications of {id}");
    }
    assert_eq!(
        activities.len(),
        all.len(),
        "events for orders that do not exist"
    );
    let cards_now = stores
        .orders
        .arrangement_cards(&arrangement())
        .await
        .expect("cards");
    let active = cards_now
        .iter()
        .filter(|c| c.status == CardStatus::Active)
        .count();
    assert_eq!(active, all.len(), "one activation per order, none twice");
    assert!(all.len() <= cards);
}

#[tokio::test]
async fn orders_survive_repeated_sigkill_and_run_exactly_once() {
    const CARDS: usize = 150;
    let database = prepared_database(CARDS).await;
    let client = Client::new();
    let token = staff_token();
    let mut accepted = Vec::new();
    let mut next = 1;
    // Three servers killed mid-stream, then one that finishes the work.
    for cycle in 0..4 {
        let server = Server::start(&client, database.url(), "0.02").await;
        let batch_end = if cycle < 3 {
            (next + 45).min(CARDS + 1)
        } else {
            CARDS + 1
        };
        let kill_after = Duration::from_millis(150 + 120 * cycle as u64);
        let started = Instant::now();
        while next < batch_end {
            if cycle < 3 && started.elapsed() > kill_after {
                break;
            }
            // A request that got no answer is retried with the same key after the restart.
            match activate(&client, &server.base, &token, next).await {
                Some(id) => {
                    accepted.push(id);
                    next += 1;
                }
                None => break,
            }
        }
        if cycle == 3 {
            wait_until_final_over_http(&client, &server.base, &token, &accepted).await;
        }
        server.kill();
    }
    {
        let stores = open(&database).await;
        check_invariants(&stores, &accepted, CARDS).await;
    }
    assert_eq!(accepted.len(), CARDS, "every card got its order");
    let unique: std::collections::HashSet<_> = accepted.iter().collect();
    assert_eq!(
        unique.len(),
        accepted.len(),
        "retries returned the first order, never a second"
    );
}

#[tokio::test]
async fn a_second_server_on_the_same_sqlite_file_refuses_to_start() {
    if crate::helpers::on_postgres() {
        return crate::helpers::skip(
            "a_second_server_on_the_same_sqlite_file_refuses_to_start",
            "SQLite only; PostgreSQL runs several servers on purpose",
        );
    }
    let database = prepared_database(1).await;
    let client = Client::new();
    let _first = Server::start(&client, database.url(), "0").await;
    let output = server_command(database.url(), free_port(), "0")
        .stderr(Stdio::piped())
        .output()
        .expect("run a second bankapi");
    assert!(!output.status.success(), "the second server started");
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("another bankapi process"), "{message}");
}

#[tokio::test]
async fn several_servers_on_postgresql_share_the_work_and_run_each_step_once() {
    if !crate::helpers::on_postgres() {
        return crate::helpers::skip(
            "several_servers_on_postgresql_share_the_work_and_run_each_step_once",
            "needs PostgreSQL; SQLite allows one server per file",
        );
    }
    const CARDS: usize = 120;
    let database = prepared_database(CARDS).await;
    let client = Client::new();
    let token = staff_token();
    let servers = [
        Server::start(&client, database.url(), "0").await,
        Server::start(&client, database.url(), "0").await,
        Server::start(&client, database.url(), "0").await,
    ];
    let mut accepted = Vec::new();
    for n in 1..=CARDS {
        let server = &servers[n % servers.len()];
        accepted.push(
            activate(&client, &server.base, &token, n)
                .await
                .expect("accepted"),
        );
    }
    // PostgreSQL has no file lock: the store can be read while the servers run.
    let stores = open(&database).await;
    check_invariants(&stores, &accepted, CARDS).await;
}

/// SIGTERM: the server stops taking connections but finishes the request in flight; the
/// order it accepted is then run (by the next start, if the executor had stopped first)
/// exactly once.
#[tokio::test]
async fn sigterm_drains_the_request_in_flight_and_loses_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let database = prepared_database(1).await;
    let client = Client::new();
    let mut server = Server::start(&client, database.url(), "0").await;
    let token = staff_token();
    let body = json!({"card-id": "K0000000001"}).to_string();
    let (head, tail) = body.split_at(5);
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let request = format!(
        "POST /customer-order/card-activations HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Idempotency-Key: drain-1\r\nContent-Length: {}\r\n\r\n{head}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send head");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        server.child.try_wait().expect("wait").is_none(),
        "the server exited with a request in flight"
    );
    stream
        .write_all(tail.as_bytes())
        .await
        .expect("send the rest");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    let id = answer
        .split("\"id\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("order id")
        .to_owned();

    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = server.child.try_wait().expect("wait") {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "exit after SIGTERM: {exit:?}");
    drop(server);

    // Whatever the executor had not finished is picked up by the next start.
    let server = Server::start(&client, database.url(), "0").await;
    wait_until_final_over_http(&client, &server.base, &token, std::slice::from_ref(&id)).await;
    server.kill();
    let stores = open(&database).await;
    check_invariants(&stores, &[id], 1).await;
}
