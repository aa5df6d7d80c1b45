//! The event feed (API.md section 10): the outbox written with every change, the live
//! stream and its resume, and the NATS JetStream bus. On both backends.

use std::collections::HashMap;
use std::time::Duration;

use bankapi::store::feed::{FeedCursor, FeedSubject};
use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, note, problem};

mod bus;

const CUSTOMER: &str = "1400269";
const OTHER: &str = "1400270";

#[tokio::test]
async fn the_outbox_holds_every_event_and_every_status_change_in_commit_order() {
    let app = TestApp::spawn_demo().await;
    let start = app.stores.feed.feed_head().await.expect("head");
    let event = note(&app, CUSTOMER, "outbox").await;
    let response = app
        .post_json(
            "/customer-order/card-activations",
            &app.customer_token(CUSTOMER),
            &json!({"card-id": "C0000000202"}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let order: Value = response.json().await.expect("json");
    let number: i64 = order["id"].as_str().expect("id")[2..]
        .parse()
        .expect("WI and digits");
    app.run_orders().await;

    // Entries are read once settled: on a PostgreSQL server shared with other work, a
    // transaction still running elsewhere holds them back for a moment.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let entries = loop {
        let entries = app
            .stores
            .feed
            .feed_after(start, None, 100)
            .await
            .expect("feed");
        let done = entries.iter().any(|e| {
            matches!(&e.subject, FeedSubject::OrderStatus { order_id, status, .. }
                if *order_id == number && status == "external-processing-succeeded")
        });
        if done || tokio::time::Instant::now() > deadline {
            break entries;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let cursors: Vec<FeedCursor> = entries.iter().map(|e| e.cursor).collect();
    let mut sorted = cursors.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(cursors, sorted, "entries come once each, in feed order");
    assert!(
        entries.iter().any(
            |e| matches!(&e.subject, FeedSubject::Event(r) if r.id == event && e.customer_number == CUSTOMER)
        ),
        "the posted event is in the outbox"
    );
    let statuses: Vec<&str> = entries
        .iter()
        .filter_map(|e| match &e.subject {
            FeedSubject::OrderStatus {
                order_id, status, ..
            } if *order_id == number => Some(status.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses.first(),
        Some(&"proposed"),
        "creation is the first change: {statuses:?}"
    );
    assert_eq!(
        statuses.last(),
        Some(&"external-processing-succeeded"),
        "{statuses:?}"
    );
    let order_events = entries
        .iter()
        .filter(|e| matches!(&e.subject, FeedSubject::Event(r) if r.id > event))
        .count();
    assert!(
        order_events >= 1,
        "the order's own events are in the outbox"
    );
    // Read again from the middle: exactly the rest.
    let middle = entries[entries.len() / 2].cursor;
    let rest = app
        .stores
        .feed
        .feed_after(middle, None, 100)
        .await
        .expect("feed");
    assert_eq!(rest[..], entries[entries.len() / 2 + 1..]);
    let own = app
        .stores
        .feed
        .feed_after(start, Some(OTHER), 100)
        .await
        .expect("feed");
    assert!(
        own.is_empty(),
        "a customer filter keeps other customers out"
    );
}

/// An open event stream and the bytes it has not parsed yet.
struct Stream {
    response: reqwest::Response,
    pending: String,
}

/// One Server-Sent Event.
#[derive(Debug, Clone, PartialEq)]
struct Sse {
    id: i64,
    event: String,
    data: Value,
}

impl Stream {
    async fn open(app: &TestApp, token: &str, query: &str, last: Option<i64>) -> Self {
        let mut request = app
            .client
            .get(app.url(&format!("/customer-event/events/stream{query}")))
            .bearer_auth(token);
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last.to_string());
        }
        let response = request.send().await.expect("stream");
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .expect("type")
                .starts_with("text/event-stream")
        );
        Self {
            response,
            pending: String::new(),
        }
    }

    /// The next event, or `None` if none comes within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<Sse> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.pending.find("\n\n") {
                let block: String = self.pending.drain(..end + 2).collect();
                let mut fields: HashMap<&str, String> = HashMap::new();
                for line in block.lines() {
                    if let Some((name, value)) = line.split_once(':')
                        && !name.is_empty()
                    {
                        fields.insert(name, value.trim_start().to_owned());
                    }
                }
                let Some(id) = fields.get("id") else {
                    continue; // a heartbeat comment
                };
                return Some(Sse {
                    id: id.parse().expect("numeric id"),
                    event: fields.get("event").cloned().unwrap_or_default(),
                    data: serde_json::from_str(&fields["data"]).expect("json data"),
                });
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .expect("stream read")?;
            self.pending
                .push_str(std::str::from_utf8(&chunk).expect("utf-8"));
        }
    }
}

#[tokio::test]
async fn a_stream_sees_its_customers_new_events_and_resumes_without_gap_or_repeat() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token(CUSTOMER);
    let mut stream = Stream::open(&app, &token, "", None).await;
    let first = note(&app, CUSTOMER, "first").await;
    note(&app, OTHER, "not yours").await;
    let second = note(&app, CUSTOMER, "second").await;

    let got = stream.next(Duration::from_secs(10)).await.expect("first");
    assert_eq!(got.id, first);
    assert_eq!(got.event, "CommunicationEvent");
    assert_eq!(got.data["event-id"], first);
    assert!(
        got.data["uri"]
            .as_str()
            .expect("uri")
            .ends_with(&format!("/events/{first}"))
    );
    let got = stream.next(Duration::from_secs(10)).await.expect("second");
    assert_eq!(got.id, second, "the other customer's event is never sent");
    drop(stream);

    // Missed while away, then resumed from the first: the second again, then the rest.
    let third = note(&app, CUSTOMER, "third").await;
    let fourth = note(&app, CUSTOMER, "fourth").await;
    let mut resumed = Stream::open(&app, &token, "", Some(first)).await;
    let mut ids = Vec::new();
    while let Some(event) = resumed.next(Duration::from_secs(3)).await {
        ids.push(event.id);
        if ids.len() == 3 {
            break;
        }
    }
    assert_eq!(ids, vec![second, third, fourth]);
    let fifth = note(&app, CUSTOMER, "fifth").await;
    let live = resumed
        .next(Duration::from_secs(10))
        .await
        .expect("live after resume");
    assert_eq!(
        live.id, fifth,
        "live events follow the backlog with nothing twice"
    );
    assert_eq!(resumed.next(Duration::from_millis(500)).await, None);
}

#[tokio::test]
async fn a_stream_keeps_to_the_lists_rules() {
    let app = TestApp::spawn_demo().await;
    let token = app.customer_token(CUSTOMER);
    let other = app
        .get(
            &format!("/customer-event/events/stream?customer-number={OTHER}"),
            &token,
        )
        .await;
    assert_eq!(
        other.status(),
        404,
        "another customer's stream is not found"
    );
    let staff = app
        .get("/customer-event/events/stream", &app.staff_token())
        .await;
    assert_eq!(staff.status(), 400, "staff name the customer");
    let bad = app
        .client
        .get(app.url("/customer-event/events/stream"))
        .bearer_auth(&token)
        .header("Last-Event-ID", "yesterday")
        .send()
        .await
        .expect("send");
    assert_eq!(bad.status(), 400);
    let body = problem(bad, 400).await;
    assert_eq!(body["errors"][0]["tag"], "Last-Event-ID");
    assert_eq!(body["errors"][0]["error"], "invalid-format");

    // Filtered by kind: a communication is not a security event.
    let mut security = Stream::open(&app, &token, "?event-kind=security", None).await;
    note(&app, CUSTOMER, "not security").await;
    let id = app
        .register_event(
            CUSTOMER,
            "SecurityEvent",
            "<security><activity>login</activity></security>",
        )
        .await;
    let got = security
        .next(Duration::from_secs(10))
        .await
        .expect("security event");
    assert_eq!(got.id, id);
    assert_eq!(got.event, "SecurityEvent");
}
