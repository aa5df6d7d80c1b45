//! What the logs may hold: a real `bankapi serve` process with JSON logs at the most
//! verbose level of our own code, asked for cards, orders and events with good and bad
//! tokens. No token, no `Authorization` header and no card number may appear in them.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bankapi::auth::mint::{TokenRequest, mint_hs256};
use reqwest::Client;
use serde_json::json;

use crate::helpers::{PG_ENV, SECRET, TestDatabase};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Digit runs that could be a card number: 15 to 19 digits (the PAN lengths in use) that
/// pass the Luhn check and are not the fraction of a number (timings such as
/// `elapsed_secs=1.00234567891234` are floats).
fn card_numbers(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        if !bytes[start].is_ascii_digit() {
            start += 1;
            continue;
        }
        let end = (start..bytes.len())
            .find(|&i| !bytes[i].is_ascii_digit())
            .unwrap_or(bytes.len());
        let run = &text[start..end];
        let fraction = start > 0 && bytes[start - 1] == b'.';
        if (15..=19).contains(&run.len()) && !fraction && luhn(run) {
            found.push(run);
        }
        start = end;
    }
    found
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[test]
fn card_numbers_are_recognised_and_timings_are_not() {
    assert_eq!(
        card_numbers("pan=4111111111111111 x"),
        vec!["4111111111111111"]
    );
    assert!(card_numbers("elapsed_secs=1.004111111111111111").is_empty());
    assert!(card_numbers("arrangement 0064200001930, order WI0000492475").is_empty());
}

#[tokio::test]
async fn logs_never_hold_tokens_or_card_numbers() {
    let database = TestDatabase::create().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().expect("temp dir");
    let child = Command::new(env!("CARGO_BIN_EXE_bankapi"))
        .args(["serve", "--demo"])
        .current_dir(dir.path())
        .env("BANKAPI_LISTEN", format!("127.0.0.1:{port}"))
        .env("BANKAPI_PUBLIC_URL", &base)
        .env("BANKAPI_DATABASE_URL", database.url())
        .env("BANKAPI_AUTH_HS256_SECRET", SECRET)
        .env("BANKAPI_LOG_FORMAT", "json")
        .env("BANKAPI_RATE_LIMIT_PER_SECOND", "0")
        .env("RUST_LOG", "bankapi=trace,tower_http=trace,info")
        .env_remove(PG_ENV)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bankapi");
    let client = Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline, "bankapi did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let customer = mint_hs256(
        SECRET,
        "bankapi",
        "bankapi",
        &TokenRequest::customer("1400269"),
    )
    .expect("token");
    let staff = mint_hs256(SECRET, "bankapi", "bankapi", &TokenRequest::staff()).expect("token");
    let forged = format!("{}x", &customer[..customer.len() - 1]);
    let cards: serde_json::Value = client
        .get(format!(
            "{base}/customer-order/cards?customer-number=1400269"
        ))
        .bearer_auth(&customer)
        .send()
        .await
        .expect("cards")
        .json()
        .await
        .expect("json");
    assert!(cards["total-count"].as_u64() > Some(0));
    for (token, path) in [
        (&customer, "/customer-order/cards/C0000000201"),
        (&staff, "/customer-event/events/258242"),
        (&forged, "/customer-event/events"),
    ] {
        client
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
    }
    client
        .post(format!("{base}/customer-order/card-blockades"))
        .bearer_auth(&customer)
        .json(&json!({"card-id": "C0000000201", "blockade-reason": "temporary-blockage"}))
        .send()
        .await
        .expect("order");
    client
        .post(format!("{base}/customer-order/card-activations"))
        .header("Authorization", format!("Basic {customer}"))
        .json(&json!({"card-id": "C0000000202"}))
        .send()
        .await
        .expect("order");

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let output = child.wait_with_output().expect("logs");
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(
        logs.lines().count() > 10,
        "too few log lines to judge: {logs}"
    );
    for secret in [&customer, &staff, &forged] {
        // The signature is the part that would let someone replay the token.
        let signature = secret.rsplit('.').next().unwrap_or_default();
        assert!(!logs.contains(signature), "a token reached the logs");
    }
    assert!(
        !logs.to_ascii_lowercase().contains("bearer "),
        "an Authorization header reached the logs"
    );
    for line in logs.lines() {
        assert!(
            card_numbers(line).is_empty(),
            "a card number may have reached the logs: {line}"
        );
    }
}
