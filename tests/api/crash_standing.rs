//! Standing orders' payments against real processes and a faulty core banking: the
//! engine's clock runs a week ahead, so every standing order has eight dates due at once,
//! and the server is SIGKILLed several times while it pays them. Afterwards every date
//! was paid exactly once: one payment order per (standing order, date), one key per
//! payment at core banking, each applied once, and every balance exact.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use bankapi::domain::CustomerNumber;
use bankapi::domain::account::{Account, ArrangementKind, ArrangementStatus, CurrencyCode, Money};
use bankapi::domain::card::Customer;
use bankapi::domain::identifier::ArrangementNumber;
use bankapi::domain::kinds::{StandingOrderSetup, set_up_before};
use bankapi::domain::order::OrderNumber;
use bankapi::domain::standing_order::{Frequency, Terms, UnitOfTime};
use chrono::Utc;
use reqwest::Client;
use serde_json::Value;

use crate::durability::{Server, open, staff_token};
use crate::helpers::TestDatabase;
use crate::sor::{Chaos, SystemOfRecord};

const OWNER: &str = "PAYER001";
const STANDING_ORDERS: usize = 30;
/// Dates due per standing order: today and the seven after it.
const DATES: usize = 8;
/// Each payment, in cents.
const CENTS: i64 = 125;
/// What each debtor starts with, in cents.
const START: i64 = 100_000;
const CREDITOR: &str = "0098800000000";

fn debtor(n: usize) -> String {
    format!("00988{n:08}")
}

fn number(raw: &str) -> ArrangementNumber {
    ArrangementNumber::parse("arrangement-number", raw).expect("an arrangement number")
}

fn eur(minor: i64) -> Money {
    Money {
        currency: CurrencyCode::parse("currency-code", "EUR").expect("EUR"),
        minor,
    }
}

fn current_account(n: &str, owner: &CustomerNumber, minor: i64) -> Account {
    Account {
        number: number(n),
        kind: ArrangementKind::CurrentAccount,
        owner: owner.clone(),
        product_code: "current-standard".into(),
        product_name: "Current account".into(),
        balance: eur(minor),
        status: ArrangementStatus::Active,
        linked: None,
        allows_cards: false,
        card_limit: 0,
        deposit: None,
    }
}

/// A database with the debtors, the creditor and a daily standing order from each
/// debtor, set up before the server starts (numbered below the first order's number).
async fn prepared() -> TestDatabase {
    let database = TestDatabase::create().await;
    let stores = open(&database).await;
    let owner = CustomerNumber::parse("customer-number", OWNER).expect("customer");
    let mut accounts: Vec<Account> = (1..=STANDING_ORDERS)
        .map(|n| current_account(&debtor(n), &owner, START))
        .collect();
    accounts.push(current_account(CREDITOR, &owner, 0));
    stores
        .orders
        .import_reference_data(
            &[Customer {
                number: owner.clone(),
                name: "Payer".into(),
            }],
            &accounts,
            &[],
        )
        .await
        .expect("reference data");
    let now = Utc::now();
    let today = now.date_naive();
    for n in 1..=STANDING_ORDERS {
        let setup = StandingOrderSetup {
            nickname: format!("Daily {n}"),
            terms: Terms {
                product_code: "standing-order-internal".into(),
                debtor: number(&debtor(n)),
                creditor_name: "Payer".into(),
                creditor_account: number(CREDITOR),
                amount: eur(CENTS),
                reference: None,
                start_date: today,
                end_date: today + chrono::Duration::days(60),
                frequency: Frequency {
                    period: 1,
                    unit: UnitOfTime::Days,
                },
                first_payment_date: today,
            },
        };
        let (order, standing) = set_up_before(
            OrderNumber(400_000 + n as i64),
            owner.clone(),
            setup,
            None,
            now,
        );
        stores
            .orders
            .as_ref()
            .import_standing_order(&order, &standing)
            .await
            .expect("standing order");
    }
    drop(stores);
    database
}

/// A staff GET over HTTP, as JSON.
async fn get_json(client: &Client, url: String, token: &str) -> Value {
    client
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: not JSON: {e}"))
}

/// Every payment order, by number, with its view (staff reads them over HTTP).
async fn payments(client: &Client, base: &str, token: &str) -> BTreeMap<String, Value> {
    let mut all = BTreeMap::new();
    for page in 1.. {
        let listed = get_json(
            client,
            format!(
                "{base}/customer-order/orders?kinds=standing-order-payment&page-size=100&page-number={page}"
            ),
            token,
        )
        .await;
        let items = listed["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        for item in items {
            let id = item["order-number"].as_str().expect("a number").to_owned();
            let view = get_json(client, format!("{base}/customer-order/orders/{id}"), token).await;
            all.insert(id, view);
        }
    }
    all
}

async fn balance(client: &Client, base: &str, token: &str, account: &str) -> String {
    let view = get_json(
        client,
        format!("{base}/customer-order/arrangements/{account}"),
        token,
    )
    .await;
    view["balance"].as_str().expect("a balance").to_owned()
}

#[tokio::test]
async fn standing_order_payments_survive_repeated_sigkill_exactly_once() {
    let database = prepared().await;
    let sor = SystemOfRecord::start().await;
    sor.chaos(Chaos {
        seed: 11,
        server_error: 0.1,
        lose_answer: 0.05,
        lose_delay: Duration::from_millis(600),
        pending: 0.1,
        latency: Duration::from_millis(1),
    });
    let client = Client::new();
    let token = staff_token();
    let env = vec![
        ("BANKAPI_OPERATIONS_URL", sor.url()),
        ("BANKAPI_OPERATIONS_TIMEOUT_SECONDS", "0.3".into()),
        ("BANKAPI_OPERATIONS_LEASE_SECONDS", "1".into()),
        ("BANKAPI_OPERATIONS_RETRY_SCALE", "0.02".into()),
        ("BANKAPI_OPERATIONS_MAX_ATTEMPTS", "50".into()),
        (
            "BANKAPI_ENGINE_CLOCK_OFFSET_SECONDS",
            ((DATES as i64 - 1) * 86_400).to_string(),
        ),
    ];
    let expected = STANDING_ORDERS * DATES;
    for cycle in 0..4_u64 {
        let server = Server::start_with(&client, database.url(), "0", &env).await;
        if cycle < 3 {
            tokio::time::sleep(Duration::from_millis(150 + 200 * cycle)).await;
            server.kill();
            continue;
        }
        // A bound on liveness, not a timing.
        let deadline = Instant::now() + Duration::from_secs(150);
        loop {
            let listed = get_json(
                &client,
                format!(
                    "{}/customer-order/orders?kinds=standing-order-payment&statuses=external-processing-succeeded",
                    server.base
                ),
                &token,
            )
            .await;
            if listed["total-count"].as_u64() == Some(expected as u64) {
                break;
            }
            assert!(Instant::now() < deadline, "payments still open: {listed}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let paid = payments(&client, &server.base, &token).await;
        assert_eq!(paid.len(), expected, "one payment order per date, no more");
        let dates: BTreeSet<(String, String)> = paid
            .values()
            .map(|p| {
                (
                    p["standing-order-number"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    p["payment-date"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        assert_eq!(dates.len(), expected, "no date paid twice");
        let keys: BTreeSet<String> = paid.keys().map(|id| format!("{id}:make-payment")).collect();
        let seen: BTreeSet<String> = sor.keys().into_iter().collect();
        assert_eq!(seen, keys, "exactly one key per payment at core banking");
        for key in &keys {
            assert_eq!(sor.effects(key), 1, "{key} applied once");
        }
        let calls: usize = sor.keys().iter().map(|k| sor.calls(k) + sor.polls(k)).sum();
        assert!(
            calls > expected + expected / 10,
            "core banking's faults were hardly exercised: {calls} calls"
        );
        assert!(
            sor.max_in_flight_per_card() <= 1,
            "two payments of one account in flight at once"
        );
        let each = format!("{:.2}", (START - CENTS * DATES as i64) as f64 / 100.0);
        for n in 1..=STANDING_ORDERS {
            assert_eq!(
                balance(&client, &server.base, &token, &debtor(n)).await,
                each
            );
        }
        let total = format!("{:.2}", (CENTS * expected as i64) as f64 / 100.0);
        assert_eq!(
            balance(&client, &server.base, &token, CREDITOR).await,
            total
        );
        server.kill();
    }
}
