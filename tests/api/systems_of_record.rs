//! Orders carried to a system of record over HTTP (API.md sections 7 and 8), against the
//! test's own card processor ([`crate::sor`]) that fails on purpose: idempotency keys,
//! polls, declines, retries, lost answers, holds and the staff's decisions.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Options, TestApp, newest_communication, problem};
use crate::sor::{Fault, SystemOfRecord};

mod held_orders_and_other_kinds;

const TOKEN: &str = "processor-token";

/// The demo, its engine pointed at `sor` with short timeouts and delays: a call may take
/// 0.5 s, retries start at 10 ms, and the third failure in a row holds the order.
pub(crate) async fn app_with(sor: &SystemOfRecord) -> TestApp {
    sor.require_token(TOKEN);
    let url = sor.url();
    TestApp::spawn_with(Options {
        demo: true,
        configure: Box::new(move |settings| {
            settings.operations_url = Some(url);
            settings.operations_token = Some(bankapi::config::Secret::new(TOKEN));
            settings.operations_timeout_seconds = 0.5;
            settings.operations_lease_seconds = 5.0;
            settings.operations_retry_scale = 0.01;
            settings.operations_max_attempts = 3;
        }),
    })
    .await
}

async fn activate(app: &TestApp, card: &str) -> String {
    let response = app
        .post_json(
            "/customer-order/card-activations",
            &app.customer_token("1400269"),
            &json!({"card-id": card}),
        )
        .await;
    let status = response.status();
    let body: Value = response.json().await.expect("json");
    assert_eq!(status, 202, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

/// Runs the engine until the order's status is one of `wanted` (backoffs and polls are
/// scheduled a few milliseconds ahead, so a pass at a time until then).
pub(crate) async fn settle(app: &TestApp, resource: &str, id: &str, wanted: &[&str]) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        app.run_orders().await;
        let order = app
            .get_ok(
                &format!("/customer-order/{resource}/{id}"),
                &app.staff_token(),
            )
            .await;
        if wanted.contains(&order["status"].as_str().unwrap_or_default()) {
            return order;
        }
        assert!(
            Instant::now() < deadline,
            "order never got to {wanted:?}: {order}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn card_status(app: &TestApp, card: &str) -> String {
    let card = app
        .get_ok(&format!("/customer-order/cards/{card}"), &app.staff_token())
        .await;
    card["status"].as_str().expect("status").to_owned()
}

fn action_step(order: &Value) -> &Value {
    &order["steps"][1]
}

#[tokio::test]
async fn an_activation_reaches_the_card_processor_with_its_key_and_the_card_mirrors_the_answer() {
    let sor = SystemOfRecord::start().await;
    sor.seed_card("C0000000202", "inactive");
    let app = app_with(&sor).await;
    let id = activate(&app, "C0000000202").await;
    let order = settle(
        &app,
        "card-activations",
        &id,
        &["external-processing-succeeded"],
    )
    .await;

    let key = format!("{id}:activate-card");
    assert_eq!(
        sor.keys(),
        vec![key.clone()],
        "one key, for the action only"
    );
    assert_eq!(sor.calls(&key), 1);
    assert_eq!(sor.effects(&key), 1);
    let body = &sor.bodies(&key)[0];
    assert_eq!(body["operation"], "activate-card");
    assert_eq!(body["order-number"], id.as_str());
    assert_eq!(body["order-type"], "card-activation");
    assert_eq!(body["customer-number"], "1400269");
    assert_eq!(body["card-id"], "C0000000202");
    assert_eq!(body["arrangement-number"], "0064200001948");
    assert_eq!(sor.card_status("C0000000202").as_deref(), Some("active"));
    assert_eq!(card_status(&app, "C0000000202").await, "active");
    assert_eq!(action_step(&order)["attempts"], 0);
    assert_eq!(action_step(&order)["last-error"], Value::Null);
    let note = newest_communication(&app, "1400269", &app.staff_token()).await;
    assert_eq!(note["workitem-id"], id.as_str());
}

#[tokio::test]
async fn a_pending_operation_is_polled_until_it_succeeds() {
    let sor = SystemOfRecord::start().await;
    sor.seed_card("C0000000202", "inactive");
    let app = app_with(&sor).await;
    let id = activate(&app, "C0000000202").await;
    let key = format!("{id}:activate-card");
    sor.script(&key, vec![Fault::Pending(2)]);
    settle(
        &app,
        "card-activations",
        &id,
        &["external-processing-succeeded"],
    )
    .await;
    assert_eq!(
        sor.calls(&key),
        1,
        "a pending operation is polled, not posted again"
    );
    assert_eq!(sor.polls(&key), 3);
    assert_eq!(sor.effects(&key), 1);
    assert_eq!(card_status(&app, "C0000000202").await, "active");
}

#[tokio::test]
async fn a_declined_operation_rejects_the_order_changes_nothing_and_tells_the_customer() {
    let sor = SystemOfRecord::start().await;
    sor.seed_card("C0000000202", "inactive");
    let app = app_with(&sor).await;
    let id = activate(&app, "C0000000202").await;
    let key = format!("{id}:activate-card");
    sor.script(
        &key,
        vec![Fault::Decline(
            "the card is blocked at the processor".into(),
        )],
    );
    let order = settle(&app, "card-activations", &id, &["rejected"]).await;
    let reason = order["rejection-reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("the card is blocked at the processor"),
        "{order}"
    );
    assert_eq!(order["customer-friendly-status"], "rejected");
    assert_eq!(card_status(&app, "C0000000202").await, "inactive");
    assert_eq!(sor.effects(&key), 0);
    let note = newest_communication(&app, "1400269", &app.staff_token()).await;
    assert_eq!(note["workitem-id"], id.as_str());
    assert!(
        note["title"]
            .as_str()
            .unwrap_or_default()
            .contains("rejected")
    );
}

#[tokio::test]
async fn transient_failures_are_retried_with_the_same_key_and_a_lost_answer_is_applied_once() {
    let sor = SystemOfRecord::start().await;
    sor.seed_card("C0000000202", "inactive");
    let app = app_with(&sor).await;
    let id = activate(&app, "C0000000202").await;
    let key = format!("{id}:activate-card");
    sor.script(
        &key,
        // Two failures in a row: the third attempt, the last before a hold, succeeds.
        vec![
            Fault::LoseAnswer(Duration::from_millis(1200)),
            Fault::TooManyRequests(0),
        ],
    );
    let order = settle(
        &app,
        "card-activations",
        &id,
        &["external-processing-succeeded"],
    )
    .await;
    assert_eq!(
        sor.keys(),
        vec![key.clone()],
        "every attempt used the same key"
    );
    assert_eq!(sor.calls(&key), 3);
    assert_eq!(
        sor.effects(&key),
        1,
        "the lost answer's effect was applied once"
    );
    let bodies = sor.bodies(&key);
    assert!(
        bodies.iter().all(|b| b == &bodies[0]),
        "the same body every time"
    );
    assert_eq!(card_status(&app, "C0000000202").await, "active");
    assert_eq!(action_step(&order)["last-error"], Value::Null);
}

#[tokio::test]
async fn an_operation_that_keeps_failing_is_held_and_staff_can_retry_it() {
    let sor = SystemOfRecord::start().await;
    sor.seed_card("C0000000202", "inactive");
    let app = app_with(&sor).await;
    let id = activate(&app, "C0000000202").await;
    let key = format!("{id}:activate-card");
    sor.script(&key, vec![Fault::ServerError; 3]);
    let held = settle(&app, "card-activations", &id, &["held"]).await;
    assert_eq!(held["customer-friendly-status"], "suspended");
    assert!(
        held["hold-reason"]
            .as_str()
            .unwrap_or_default()
            .contains("failed 3 times"),
        "{held}"
    );
    assert_eq!(action_step(&held)["attempts"], 3);
    assert!(action_step(&held)["last-error"].is_string(), "{held}");
    assert_eq!(card_status(&app, "C0000000202").await, "inactive");

    // Nothing runs it meanwhile, and it waits in the staff's list.
    app.run_orders().await;
    assert_eq!(sor.calls(&key), 3);
    let waiting = app
        .get_ok(
            "/customer-order/customer-requests?status=held",
            &app.staff_token(),
        )
        .await;
    assert_eq!(
        waiting["items"][0]["order-number"],
        id.as_str(),
        "{waiting}"
    );
    let cancel = app
        .client
        .put(app.url(&format!("/customer-order/card-activations/{id}/cancel")))
        .bearer_auth(app.customer_token("1400269"))
        .send()
        .await
        .expect("cancel");
    problem(cancel, 409).await;

    // The customer may not decide; another customer cannot even see it.
    let retry = format!("/customer-order/card-activations/{id}/retry");
    let own = app
        .post_json(&retry, &app.customer_token("1400269"), &json!({}))
        .await;
    assert_eq!(problem(own, 403).await["problem"], "forbidden");
    let other = app
        .post_json(&retry, &app.customer_token("1400054"), &json!({}))
        .await;
    problem(other, 404).await;

    let decided = app.post_json(&retry, &app.staff_token(), &json!({})).await;
    assert_eq!(decided.status(), 204);
    let done = settle(
        &app,
        "card-activations",
        &id,
        &["external-processing-succeeded"],
    )
    .await;
    assert_eq!(done["hold-reason"], Value::Null);
    assert_eq!(
        sor.calls(&key),
        4,
        "the retry called again, with the same key"
    );
    assert_eq!(sor.effects(&key), 1);
    assert_eq!(card_status(&app, "C0000000202").await, "active");
    let again = app.post_json(&retry, &app.staff_token(), &json!({})).await;
    assert_eq!(
        problem(again, 409).await["problem"],
        "request-status-not-eligible-for-retry"
    );

    // Every decision, allowed or not, is in the audit trail.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let trail = app
            .get_ok(&format!("/audit/records?target={id}"), &app.staff_token())
            .await;
        let statuses: Vec<u64> = trail["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter(|r| r["path"].as_str().unwrap_or_default().ends_with("/retry"))
                    .filter_map(|r| r["status"].as_u64())
                    .collect()
            })
            .unwrap_or_default();
        if statuses.len() >= 3 {
            assert!(
                statuses.contains(&204) && statuses.contains(&403),
                "{trail}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "decisions not audited: {trail}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
