//! The harness for durability against real processes (servers started as commands,
//! seeded stores, checks of what each order and card became), shared with the crash
//! tests of other modules; the tests of this module are in [`processes`].

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

mod processes;

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
