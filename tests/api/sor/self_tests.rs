//! The test system of record's own tests: if these fail, the adapter tests that use it
//! prove nothing.

use super::*;

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
