//! Webhooks (API.md section 10), checked by a real receiver that verifies every delivery
//! with the `standardwebhooks` package from PyPI (tests/webhooks/receiver.py): signatures,
//! a `webhook-id` stable across retries, retries after 500s and after a hang, order per
//! customer, secret rotation, redelivery and the delivery log. On both backends.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

use crate::helpers::{Options, TestApp, note, problem};

mod subscriptions;

const CUSTOMER: &str = "1400269";
const OTHER: &str = "1400270";

/// The receiver, killed when dropped.
pub(crate) struct Receiver {
    _process: tokio::process::Child,
    base: String,
    client: reqwest::Client,
}

impl Receiver {
    pub(crate) async fn start() -> Self {
        let root = env!("CARGO_MANIFEST_DIR");
        let setup = std::process::Command::new(format!("{root}/tests/webhooks/setup.sh"))
            .output()
            .expect("run tests/webhooks/setup.sh");
        assert!(
            setup.status.success(),
            "tests/webhooks/setup.sh failed (it needs python3 with venv and PyPI): {}",
            String::from_utf8_lossy(&setup.stderr)
        );
        let python = String::from_utf8(setup.stdout).expect("a path");
        let mut process = tokio::process::Command::new(python.trim())
            .arg(format!("{root}/tests/webhooks/receiver.py"))
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the receiver");
        let stdout = process.stdout.take().expect("stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let port = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the receiver prints its port")
            .expect("read")
            .expect("a line");
        Self {
            _process: process,
            base: format!("http://127.0.0.1:{}", port.trim()),
            client: reqwest::Client::new(),
        }
    }

    pub(crate) fn hook(&self, name: &str) -> String {
        format!("{}/hook/{name}", self.base)
    }

    pub(crate) async fn learn(&self, name: &str, secret: &str) {
        let answer = self
            .client
            .post(format!("{}/secret/{name}", self.base))
            .body(secret.to_owned())
            .send()
            .await
            .expect("secret");
        assert_eq!(answer.status(), 204);
    }

    pub(crate) async fn received(&self, name: &str) -> Vec<Value> {
        self.client
            .get(format!("{}/received/{name}", self.base))
            .send()
            .await
            .expect("received")
            .json()
            .await
            .expect("json")
    }

    /// Waits until `done` holds for what `name` received, for up to 30 s.
    pub(crate) async fn wait_for(&self, name: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let received = self.received(name).await;
            if done(&received) {
                return received;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} never got what was expected: {received:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(Options {
        demo: true,
        configure: Box::new(|settings| {
            settings.webhook_allow_private = true;
            settings.webhook_poll_ms = 50;
            settings.feed_poll_ms = 20;
            // 5 s, 10 s... become 50 ms, 100 ms...
            settings.webhook_retry_scale = 0.01;
        }),
    })
    .await
}

async fn subscribe(app: &TestApp, receiver: &Receiver, name: &str, extra: Value) -> (i64, String) {
    let mut body = json!({"url": receiver.hook(name), "description": name});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let response = app
        .post_json(
            "/customer-event/webhook-subscriptions",
            &app.staff_token(),
            &body,
        )
        .await;
    assert_eq!(response.status(), 201);
    assert!(response.headers().contains_key("location"));
    let created: Value = response.json().await.expect("json");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"));
    receiver.learn(name, &secret).await;
    (created["subscription-id"].as_i64().expect("id"), secret)
}

pub(crate) fn event_ids(received: &[Value]) -> Vec<i64> {
    received
        .iter()
        .filter(|r| r["body"]["type"] == "customer-event.created")
        .filter_map(|r| r["body"]["data"]["event-id"].as_i64())
        .collect()
}

#[tokio::test]
async fn deliveries_are_signed_retried_with_one_id_and_in_order_per_customer() {
    let receiver = Receiver::start().await;
    let app = spawn().await;
    let (all, _) = subscribe(&app, &receiver, "ok-all", json!({"order-updates": true})).await;
    let (flaky, _) = subscribe(
        &app,
        &receiver,
        "fail-twice-mine",
        json!({"customer-number": OTHER, "event-kinds": ["communication"]}),
    )
    .await;
    subscribe(
        &app,
        &receiver,
        "hang-once-all",
        json!({"event-kinds": ["CommunicationEvent"]}),
    )
    .await;

    let mine: Vec<i64> = {
        let mut ids = Vec::new();
        // OTHER's: the order below is CUSTOMER's and registers events of its own.
        for n in 0..3 {
            ids.push(note(&app, OTHER, &format!("mine {n}")).await);
            note(&app, CUSTOMER, &format!("theirs {n}")).await;
        }
        ids
    };
    let order = app
        .post_json(
            "/customer-order/card-activations",
            &app.customer_token(CUSTOMER),
            &json!({"card-id": "C0000000202"}),
        )
        .await;
    assert_eq!(order.status(), 202);
    let order: Value = order.json().await.expect("json");
    app.run_orders().await;

    // Every subscriber gets what it asked for, every delivery verified by the library.
    let everything = receiver
        .wait_for("ok-all", |r| {
            r.iter().any(|d| {
                d["body"]["type"] == "order.status-changed"
                    && d["body"]["data"]["status"] == "external-processing-succeeded"
            }) && event_ids(r).len() >= 6
        })
        .await;
    assert!(
        everything.iter().all(|d| d["verified"] == true),
        "{everything:#?}"
    );
    let statuses: Vec<&str> = everything
        .iter()
        .filter(|d| d["body"]["type"] == "order.status-changed")
        .filter(|d| d["body"]["data"]["id"] == order["id"])
        .filter_map(|d| d["body"]["data"]["status"].as_str())
        .collect();
    assert_eq!(statuses.first(), Some(&"proposed"), "{statuses:?}");

    // The flaky receiver: each id three times (500, 500, then accepted), the same id and
    // body every time, only its customer's communications, in their order.
    let flaky_got = receiver
        .wait_for("fail-twice-mine", |r| {
            r.iter().filter(|d| d["attempt"] == 3).count() == mine.len()
        })
        .await;
    assert!(flaky_got.iter().all(|d| d["verified"] == true));
    let mut firsts = Vec::new();
    for delivery in &flaky_got {
        let id = delivery["id"].as_str().expect("webhook-id");
        let same: Vec<&Value> = flaky_got.iter().filter(|d| d["id"] == id).collect();
        assert!(
            same.iter().all(|d| d["body"] == delivery["body"]),
            "one body per webhook-id"
        );
        if delivery["attempt"] == 1 {
            firsts.push(
                delivery["body"]["data"]["event-id"]
                    .as_i64()
                    .expect("event"),
            );
        }
    }
    assert_eq!(
        firsts, mine,
        "only this customer's, in order, each first tried once"
    );
    let accepted: Vec<i64> = flaky_got
        .iter()
        .filter(|d| d["attempt"] == 3)
        .filter_map(|d| d["body"]["data"]["event-id"].as_i64())
        .collect();
    assert_eq!(
        accepted, mine,
        "a customer's deliveries wait for the one before"
    );

    // A receiver that hung past 5 s got the delivery again.
    let hung = receiver
        .wait_for("hang-once-all", |r| {
            r.iter().filter(|d| d["attempt"] == 2).count() >= 6
        })
        .await;
    assert!(hung.iter().all(|d| d["verified"] == true));

    // The delivery log tells the same story, without the secret anywhere.
    let log = app
        .get_ok(
            &format!("/customer-event/webhook-subscriptions/{flaky}/deliveries"),
            &app.staff_token(),
        )
        .await;
    assert_eq!(log["total-count"], 3);
    for item in log["items"].as_array().expect("items") {
        assert_eq!(item["status"], "delivered", "{item}");
        let codes: Vec<i64> = item["attempts"]
            .as_array()
            .expect("attempts")
            .iter()
            .filter_map(|a| a["status-code"].as_i64())
            .collect();
        assert_eq!(codes, vec![500, 500, 204], "{item}");
    }
    let listed = app
        .get_ok("/customer-event/webhook-subscriptions", &app.staff_token())
        .await;
    assert_eq!(listed["total-count"], 3);
    assert!(
        !listed.to_string().contains("whsec_"),
        "no secret after creation"
    );
    let one = app
        .get_ok(
            &format!("/customer-event/webhook-subscriptions/{all}"),
            &app.staff_token(),
        )
        .await;
    assert_eq!(one["status"], "active");
    assert!(one.get("secret").is_none());
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_old_one_and_redelivery_repeats_the_id() {
    let receiver = Receiver::start().await;
    let app = spawn().await;
    let (id, _) = subscribe(&app, &receiver, "ok-rotated", json!({})).await;
    let first = note(&app, CUSTOMER, "before").await;
    receiver
        .wait_for("ok-rotated", |r| event_ids(r).contains(&first))
        .await;
    let rotated = app
        .post_json(
            &format!("/customer-event/webhook-subscriptions/{id}/rotate-secret"),
            &app.staff_token(),
            &json!({}),
        )
        .await;
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.expect("json");
    let new_secret = rotated["secret"].as_str().expect("secret");
    assert!(rotated["previous-secret-valid-until"].is_string());
    receiver.learn("ok-rotated", new_secret).await;
    let second = note(&app, CUSTOMER, "after").await;
    let got = receiver
        .wait_for("ok-rotated", |r| event_ids(r).contains(&second))
        .await;
    let after = got
        .iter()
        .find(|d| d["body"]["data"]["event-id"] == second)
        .expect("after");
    assert_eq!(
        after["verified_by"],
        json!([0, 1]),
        "both secrets verify during the overlap"
    );

    // Redelivery: the same webhook-id again, and one more attempt in the log. The
    // delivery is found by the id the receiver saw (not by its place in the log), and
    // the receiver is expected to see it once more than it already has: on a loaded
    // machine an answer can miss bankapi's 5 s limit and be sent again before this.
    let webhook_id = after["id"].as_str().expect("webhook-id").to_owned();
    let log = app
        .get_ok(
            &format!("/customer-event/webhook-subscriptions/{id}/deliveries"),
            &app.staff_token(),
        )
        .await;
    let delivery = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|d| d["webhook-id"] == webhook_id.as_str())
        .unwrap_or_else(|| panic!("the delivery of {webhook_id} in {log:#}"))["delivery-id"]
        .as_i64()
        .expect("delivery");
    let copies = |r: &[Value]| r.iter().filter(|d| d["id"] == webhook_id.as_str()).count();
    let seen = copies(&receiver.received("ok-rotated").await);
    let again = app
        .post_json(
            &format!("/customer-event/webhook-subscriptions/{id}/deliveries/{delivery}/redeliver"),
            &app.staff_token(),
            &json!({}),
        )
        .await;
    assert_eq!(again.status(), 202);
    receiver.wait_for("ok-rotated", |r| copies(r) > seen).await;
    let missing = app
        .post_json(
            &format!("/customer-event/webhook-subscriptions/{id}/deliveries/999999/redeliver"),
            &app.staff_token(),
            &json!({}),
        )
        .await;
    assert_eq!(missing.status(), 404);
}
