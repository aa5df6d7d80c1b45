//! The order engine against real processes and a faulty card processor: SIGKILL during a
//! stream of orders carried over HTTP, and (on PostgreSQL) a process frozen past its
//! lease that loses the order to another and cannot complete it afterwards.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::Client;

use crate::durability::{
    Server, activate, check_invariants, open, prepared_database, staff_token,
    wait_until_final_over_http,
};
use crate::helpers::{TestDatabase, metric, on_postgres, skip};
use crate::sor::{Chaos, Fault, SystemOfRecord};

/// A server's settings for the processor at `sor`: calls time out after 0.3 s, a claim
/// lasts 1 s, retries start at 20 ms, and failures rarely add up to a hold.
fn through(sor: &SystemOfRecord) -> Vec<(&'static str, String)> {
    vec![
        ("BANKAPI_OPERATIONS_URL", sor.url()),
        ("BANKAPI_OPERATIONS_TIMEOUT_SECONDS", "0.3".into()),
        ("BANKAPI_OPERATIONS_LEASE_SECONDS", "1".into()),
        ("BANKAPI_OPERATIONS_RETRY_SCALE", "0.02".into()),
        ("BANKAPI_OPERATIONS_MAX_ATTEMPTS", "50".into()),
    ]
}

fn card(n: usize) -> String {
    format!("K{n:010}")
}

/// What the processor and bankapi must agree on once every order is final: one key per
/// order and step and none else, each applied exactly once, the same state for every card,
/// and (unless a process was frozen with a call open, which only the key can make safe)
/// never two calls in flight for one card.
async fn check_processor(
    sor: &SystemOfRecord,
    database: &TestDatabase,
    accepted: &[String],
    frozen: bool,
) {
    let expected: BTreeSet<String> = accepted
        .iter()
        .map(|id| format!("{id}:activate-card"))
        .collect();
    let seen: BTreeSet<String> = sor.keys().into_iter().collect();
    assert_eq!(seen, expected, "exactly one key per (order, step)");
    for key in &expected {
        assert_eq!(sor.effects(key), 1, "{key} applied once");
    }
    assert_eq!(sor.total_effects(), accepted.len());
    if !frozen {
        assert!(
            sor.max_in_flight_per_card() <= 1,
            "two calls in flight for one card"
        );
    }
    let stores = open(database).await;
    let ours = stores
        .orders
        .arrangement_cards(&crate::durability::arrangement())
        .await
        .expect("cards");
    for ours in ours {
        assert_eq!(
            sor.card_status(ours.id.as_str()).as_deref(),
            Some(ours.status.as_str()),
            "card {} differs between bankapi and the processor",
            ours.id
        );
    }
}

#[tokio::test]
async fn orders_through_a_faulty_processor_survive_repeated_sigkill_exactly_once() {
    const CARDS: usize = 90;
    let database = prepared_database(CARDS).await;
    let sor = SystemOfRecord::start().await;
    for n in 1..=CARDS {
        sor.seed_card(&card(n), "inactive");
    }
    sor.chaos(Chaos {
        seed: 7,
        server_error: 0.1,
        lose_answer: 0.05,
        lose_delay: Duration::from_millis(600),
        pending: 0.1,
        latency: Duration::from_millis(1),
    });
    let client = Client::new();
    let token = staff_token();
    let env = through(&sor);
    let mut accepted = Vec::new();
    let mut next = 1;
    for cycle in 0..4 {
        let server = Server::start_with(&client, database.url(), "0", &env).await;
        let kill_after = Duration::from_millis(200 + 150 * cycle as u64);
        let started = Instant::now();
        while next <= CARDS {
            if cycle < 3 && started.elapsed() > kill_after {
                break;
            }
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
    assert_eq!(accepted.len(), CARDS, "every card got its order");
    let calls: usize = sor.keys().iter().map(|k| sor.calls(k) + sor.polls(k)).sum();
    assert!(
        calls > CARDS + CARDS / 10,
        "the processor's faults were hardly exercised: {calls} calls"
    );
    {
        let stores = open(&database).await;
        check_invariants(&stores, &accepted, CARDS).await;
    }
    check_processor(&sor, &database, &accepted, false).await;
}

/// Sends a signal to the server's process.
fn signal(server: &Server, name: &str) {
    let status = Command::new("kill")
        .args([name, &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill {name}");
}

#[tokio::test]
async fn a_process_frozen_past_its_lease_loses_the_order_and_cannot_complete_it() {
    if !on_postgres() {
        return skip(
            "a_process_frozen_past_its_lease_loses_the_order_and_cannot_complete_it",
            "needs PostgreSQL: two processes on one SQLite file are refused",
        );
    }
    let database = prepared_database(1).await;
    let sor = SystemOfRecord::start().await;
    sor.seed_card(&card(1), "inactive");
    // The fresh database's first order; its first call hangs at the processor for 2.5 s.
    let key = "WI0000492475:activate-card";
    sor.script(key, vec![Fault::Delay(Duration::from_millis(2500))]);
    let client = Client::new();
    let token = staff_token();
    let mut env = through(&sor);
    env.retain(|(name, _)| *name != "BANKAPI_OPERATIONS_TIMEOUT_SECONDS");
    env.push(("BANKAPI_OPERATIONS_TIMEOUT_SECONDS", "0.9".into()));
    let frozen = Server::start_with(&client, database.url(), "0", &env).await;
    let id = activate(&client, &frozen.base, &token, 1)
        .await
        .expect("accepted");
    assert_eq!(format!("{id}:activate-card"), key);
    let deadline = Instant::now() + Duration::from_secs(10);
    while sor.calls(key) == 0 {
        assert!(Instant::now() < deadline, "the first process never called");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    signal(&frozen, "-STOP");

    // The second process takes the order over once the lease runs out and completes it
    // with the same key, while the first one's call is still open.
    let other = Server::start_with(&client, database.url(), "0", &env).await;
    wait_until_final_over_http(&client, &other.base, &token, std::slice::from_ref(&id)).await;
    assert!(sor.calls(key) >= 2, "the order was called again");

    signal(&frozen, "-CONT");
    let deadline = Instant::now() + Duration::from_secs(10);
    while metric(&client, &frozen.base, "bankapi_order_claims_lost_total").await < 1.0 {
        assert!(
            Instant::now() < deadline,
            "the frozen process did not notice it lost the order"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    frozen.kill();
    other.kill();
    {
        let stores = open(&database).await;
        check_invariants(&stores, std::slice::from_ref(&id), 1).await;
    }
    // The frozen process's call stayed open at the processor while the other one called:
    // the idempotency key, not bankapi, is what makes that safe.
    check_processor(&sor, &database, std::slice::from_ref(&id), true).await;
}

#[tokio::test]
async fn two_processes_share_the_orders_through_the_processor_exactly_once() {
    if !on_postgres() {
        return skip(
            "two_processes_share_the_orders_through_the_processor_exactly_once",
            "needs PostgreSQL: SQLite allows one server per file",
        );
    }
    const CARDS: usize = 60;
    let database = prepared_database(CARDS).await;
    let sor = SystemOfRecord::start().await;
    for n in 1..=CARDS {
        sor.seed_card(&card(n), "inactive");
    }
    sor.chaos(Chaos {
        seed: 11,
        server_error: 0.1,
        pending: 0.1,
        latency: Duration::from_millis(2),
        ..Chaos::default()
    });
    let client = Client::new();
    let token = staff_token();
    let env = through(&sor);
    let servers = [
        Server::start_with(&client, database.url(), "0", &env).await,
        Server::start_with(&client, database.url(), "0", &env).await,
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
    wait_until_final_over_http(&client, &servers[0].base, &token, &accepted).await;
    let stores = open(&database).await;
    check_invariants(&stores, &accepted, CARDS).await;
    check_processor(&sor, &database, &accepted, false).await;
}
