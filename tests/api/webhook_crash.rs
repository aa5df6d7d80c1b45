//! Webhooks across SIGKILL (API.md section 10): real `bankapi serve` processes killed
//! while events are registered and delivered to a slow receiver that verifies every
//! delivery with the `standardwebhooks` package. Every event must arrive at least once,
//! any repeat with the same `webhook-id`, first arrivals in the customer's order.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::{Value, json};

use crate::durability::{Server, staff_token};
use crate::helpers::TestDatabase;
use crate::webhooks::{Receiver, event_ids};

const CUSTOMER: &str = "1400269";

/// Registers a note with a stable idempotency key; its event id, or `None` if the server
/// did not answer (it may have been killed).
async fn post_note(client: &Client, base: &str, token: &str, n: usize) -> Option<i64> {
    let response = client
        .post(format!("{base}/customer-event/communication-events"))
        .bearer_auth(token)
        .header("Idempotency-Key", format!("crash-note-{n}"))
        .json(&json!({
            "customer-number": CUSTOMER,
            "workitem-id": format!("WI{n:010}"),
            "description": format!("note {n}"),
            "from": "Joe",
            "to": "Tom",
            "title": format!("crash {n}"),
            "medium": "Mail",
            "purpose": "Test",
            "return-address": "Somewhere",
        }))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    let created: Value = response.json().await.ok()?;
    created["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .or_else(|| created["id"].as_i64())
}

#[tokio::test]
async fn webhooks_survive_sigkill_at_least_once_with_one_id_per_event() {
    const NOTES: usize = 60;
    let receiver = Receiver::start().await;
    let database = TestDatabase::create().await;
    let client = Client::new();
    let token = staff_token();
    let env: Vec<(&str, String)> = vec![
        ("BANKAPI_WEBHOOK_ALLOW_PRIVATE", "true".into()),
        ("BANKAPI_WEBHOOK_POLL_MS", "50".into()),
        ("BANKAPI_FEED_POLL_MS", "20".into()),
        ("BANKAPI_WEBHOOK_RETRY_SCALE", "0.01".into()),
        // On PostgreSQL a killed process's claims run out after this; on SQLite the
        // next process releases them at start-up.
        ("BANKAPI_FEED_LEASE_SECONDS", "11".into()),
    ];
    let mut next = 0;
    let mut subscription = 0;
    for cycle in 0..4 {
        let server = Server::start_with(&client, database.url(), "0", &env).await;
        if cycle == 0 {
            let response = client
                .post(format!(
                    "{}/customer-event/webhook-subscriptions",
                    server.base
                ))
                .bearer_auth(&token)
                .json(&json!({"url": receiver.hook("slow-crash"), "description": "crash"}))
                .send()
                .await
                .expect("subscribe");
            assert_eq!(response.status(), 201);
            let created: Value = response.json().await.expect("json");
            let secret = created["secret"].as_str().expect("secret");
            receiver.learn("slow-crash", secret).await;
            subscription = created["subscription-id"].as_i64().expect("id");
        }
        let kill_after = Duration::from_millis(300 + 100 * cycle as u64);
        let started = Instant::now();
        while next < NOTES {
            if cycle < 3 && started.elapsed() > kill_after {
                break;
            }
            // A note whose answer was lost is posted again with its key on the next
            // server: registered once either way.
            if post_note(&client, &server.base, &token, next)
                .await
                .is_none()
            {
                break;
            }
            next += 1;
        }
        if cycle < 3 {
            // Deliveries to the slow receiver are still in flight.
            server.kill();
            continue;
        }
        assert_eq!(next, NOTES, "every note was registered");
        let page: Value = client
            .get(format!(
                "{}/customer-event/events?customer-number={CUSTOMER}&page-size=100&sort-order=asc",
                server.base
            ))
            .bearer_auth(&token)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        assert_eq!(page["total-count"], NOTES, "each note registered once");
        let registered: Vec<i64> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["event-id"].as_i64())
            .collect();
        // A liveness bound, generous for a machine busy with the rest of the suite.
        let deadline = Instant::now() + Duration::from_secs(60);
        let received = loop {
            let received = receiver.received("slow-crash").await;
            let ids = event_ids(&received);
            let missing: Vec<&i64> = registered.iter().filter(|id| !ids.contains(id)).collect();
            if missing.is_empty() {
                break received;
            }
            if Instant::now() >= deadline {
                // What the server itself believes it did, to tell a lost delivery from
                // one still retrying.
                let log = client
                    .get(format!(
                        "{}/customer-event/webhook-subscriptions/{subscription}/deliveries",
                        server.base
                    ))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("deliveries");
                let log = log.text().await.unwrap_or_default();
                panic!("never delivered: {missing:?}; delivered: {ids:?}; log: {log}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        check(&received, &registered);
        server.kill();
    }
}

/// Every delivery verified; one `webhook-id` per event and one event per `webhook-id`;
/// every event delivered; first arrivals in the order the events were registered.
fn check(received: &[Value], registered: &[i64]) {
    let mut id_of_event: BTreeMap<i64, String> = BTreeMap::new();
    let mut event_of_id: BTreeMap<String, i64> = BTreeMap::new();
    let mut first_arrivals = Vec::new();
    for delivery in received {
        assert_eq!(delivery["verified"], true, "{delivery}");
        let Some(event) = delivery["body"]["data"]["event-id"].as_i64() else {
            continue;
        };
        let webhook_id = delivery["id"].as_str().expect("webhook-id").to_owned();
        let known = id_of_event.entry(event).or_insert_with(|| {
            first_arrivals.push(event);
            webhook_id.clone()
        });
        assert_eq!(
            *known, webhook_id,
            "event {event} came with two webhook-ids"
        );
        let owner = event_of_id.entry(webhook_id.clone()).or_insert(event);
        assert_eq!(*owner, event, "webhook-id {webhook_id} named two events");
    }
    assert_eq!(
        first_arrivals, registered,
        "every event, in the customer's order"
    );
    let repeats = event_ids(received).len() - registered.len();
    eprintln!(
        "{} deliveries for {} events ({repeats} repeated after a kill)",
        event_ids(received).len(),
        registered.len()
    );
}
