//! End-to-end throughput of the Customer Order API: orders accepted per second (`POST`
//! answered `202`), orders completed per second with zero step durations, and the time
//! from acceptance to completion, on SQLite or PostgreSQL.
//!
//! Run with `cargo bench --bench orders` (SQLite in a temp directory), or with
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432` for PostgreSQL (a scratch
//! database is created there and dropped afterwards). `bench/run.sh` runs both.
//!
//! The server runs in this process, as `bankapi serve` would (router, executor and store),
//! and the load comes from the same process over real HTTP on loopback: a wrk script could
//! not check every answer and could not read the orders' own timestamps afterwards.
//! Knobs: `BENCH_ORDERS` (default 20000), `BENCH_CONCURRENCY` (default 32).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bankapi::auth::TokenVerifier;
use bankapi::auth::mint::{TokenRequest, mint_hs256};
use bankapi::config::{Secret, Settings};
use bankapi::domain::CustomerNumber;
use bankapi::domain::card::{Arrangement, Card, CardStatus, Customer, mask};
use bankapi::domain::order::OrderStatus;
use bankapi::http::paging::{PageRequest, SortOrder};
use bankapi::startup::Application;
use bankapi::store::{self, OrderFilter, OrderSort, Stores};
use chrono::{NaiveDate, Utc};
use futures::StreamExt;
use serde_json::json;

const SECRET: &str = "bench-only-hs256-secret-0123456789abcdef0123456789";
const CUSTOMER: &str = "BENCH001";

fn env_usize(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .with_context(|| format!("{name}={value} is not a number")),
        Err(_) => Ok(default),
    }
}

/// Where the benchmark's data lives, and how to remove it afterwards.
enum Scratch {
    /// Held only so the directory (and the database in it) is deleted on drop.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        server: String,
        name: String,
    },
}

impl Scratch {
    async fn create() -> anyhow::Result<(Self, String)> {
        match std::env::var("BENCH_DATABASE_URL") {
            Ok(server) if server.starts_with("postgres") => {
                let name = format!("bankapi_bench_orders_{}", std::process::id());
                let server = server.trim_end_matches('/').to_owned();
                admin(&server, &format!("CREATE DATABASE {name}")).await?;
                let url = format!("{server}/{name}");
                Ok((Self::Postgres { server, name }, url))
            }
            _ => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("orders.db").display());
                Ok((Self::Sqlite(dir), url))
            }
        }
    }

    async fn remove(self) -> anyhow::Result<()> {
        if let Self::Postgres { server, name } = self {
            admin(
                &server,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await?;
        }
        Ok(())
    }
}

async fn admin(server: &str, sql: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(&format!("{server}/postgres")).await?;
    // The names are generated here from the process id, never from input.
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut connection)
        .await?;
    Ok(())
}

/// One customer with `count` accounts of one inactive card each, as real accounts hold a
/// handful of cards: each order activates a different card, so none waits for another and
/// the figure is the executor's throughput, not a queue's.
async fn seed(stores: &Stores, count: usize) -> anyhow::Result<()> {
    let owner = CustomerNumber::parse("customer", CUSTOMER)
        .map_err(|e| anyhow::anyhow!("customer number: {e:?}"))?;
    let expiry = NaiveDate::from_ymd_opt(2030, 1, 31).context("date")?;
    let cards: Vec<Card> = (1..=count)
        .map(|n| Card {
            id: format!("B{n:010}"),
            serial_number: format!("SB{n:010}"),
            masked_number: mask("5356", &format!("{:04}", n % 10_000)),
            arrangement_number: arrangement(n),
            holder: owner.clone(),
            owner: owner.clone(),
            product_code: "MasterCard".into(),
            status: CardStatus::Inactive,
            blockade_reason: None,
            expiry_date: expiry,
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
                name: "Bench Customer".into(),
            }],
            &(1..=count)
                .map(|n| Arrangement {
                    number: arrangement(n),
                    owner: owner.clone(),
                    product_code: "MasterCard".into(),
                    active: true,
                    allows_cards: true,
                    card_limit: 4,
                })
                .collect::<Vec<_>>(),
            &cards,
        )
        .await?;
    Ok(())
}

fn arrangement(n: usize) -> String {
    format!("09{n:011}")
}

fn filter(status: Option<OrderStatus>, page: PageRequest) -> OrderFilter {
    OrderFilter {
        kind: None,
        customer: None,
        status,
        sort: OrderSort::OrderNumber,
        order: SortOrder::Asc,
        page,
    }
}

/// How many orders have reached `status`.
async fn count(stores: &Stores, status: OrderStatus) -> anyhow::Result<u64> {
    let (_, total) = stores
        .orders
        .list_orders(&filter(Some(status), PageRequest { size: 1, number: 1 }))
        .await?;
    Ok(total)
}

/// Milliseconds from acceptance to completion of every order, sorted.
async fn latencies(stores: &Stores) -> anyhow::Result<Vec<f64>> {
    let mut all = Vec::new();
    for number in 1.. {
        let (orders, _) = stores
            .orders
            .list_orders(&filter(None, PageRequest { size: 100, number }))
            .await?;
        if orders.is_empty() {
            break;
        }
        for order in orders {
            if order.status != OrderStatus::ExternalProcessingSucceeded {
                bail!("order {} ended {}", order.number, order.status.as_str());
            }
            let micros = (order.status_date - order.creation_date)
                .num_microseconds()
                .unwrap_or(i64::MAX);
            all.push(micros as f64 / 1000.0);
        }
    }
    all.sort_by(f64::total_cmp);
    Ok(all)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let orders = env_usize("BENCH_ORDERS", 20_000)?;
    let concurrency = env_usize("BENCH_CONCURRENCY", 32)?;
    let (scratch, url) = Scratch::create().await?;
    let result = run(&url, orders, concurrency).await;
    scratch.remove().await?;
    result
}

async fn run(url: &str, orders: usize, concurrency: usize) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let settings = Settings {
        listen: address,
        database_url: url.to_owned(),
        public_url: format!("http://{address}"),
        auth_hs256_secret: Some(Secret::new(SECRET)),
        order_duration_scale: 0.0,
        executor_enabled: true,
        // The clients here all share one token; the bench measures capacity, not a quota.
        rate_limit_per_second: 0,
        ..Settings::default()
    };
    let stores = store::connect(url, settings.database_max_connections, true).await?;
    seed(&stores, orders).await?;
    let verifier = TokenVerifier::from_settings(&settings)?.context("a verifier")?;
    let app = Application::build_with(&settings, verifier, stores.clone(), listener).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));

    let token = mint_hs256(SECRET, "bankapi", "bankapi", &TokenRequest::staff())?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let endpoint = Arc::new(format!("http://{address}/customer-order/card-activations"));
    let started = Instant::now();
    let answers: Vec<anyhow::Result<()>> = futures::stream::iter(1..=orders)
        .map(|n| {
            let client = client.clone();
            let token = token.clone();
            let endpoint = endpoint.clone();
            async move {
                let response = client
                    .post(endpoint.as_str())
                    .bearer_auth(token)
                    .json(&json!({"card-id": format!("B{n:010}")}))
                    .send()
                    .await?;
                if response.status() != 202 {
                    bail!("order {n}: {}", response.status());
                }
                Ok(())
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let accepted_in = started.elapsed();
    let failed = answers.iter().filter(|a| a.is_err()).count();
    if let Some(Err(error)) = answers.into_iter().find(|a| a.is_err()) {
        bail!("{failed} orders were not accepted; first: {error}");
    }

    let deadline = Instant::now() + Duration::from_secs(600);
    while count(&stores, OrderStatus::ExternalProcessingSucceeded).await? < orders as u64 {
        if Instant::now() > deadline {
            bail!("orders did not complete within 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let completed_in = started.elapsed();
    let _ = stop.send(());
    server.await??;

    let latencies = latencies(&stores).await?;
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "orders bench ({backend}): {orders} card activations, {concurrency} concurrent clients, zero step durations"
    );
    println!(
        "  accepted:  {:>8.0} orders/s  (all {orders} answered 202 in {:.2} s)",
        orders as f64 / accepted_in.as_secs_f64(),
        accepted_in.as_secs_f64()
    );
    println!(
        "  completed: {:>8.0} orders/s  (first POST to last completion {:.2} s)",
        orders as f64 / completed_in.as_secs_f64(),
        completed_in.as_secs_f64()
    );
    println!(
        "  acceptance to completion: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 100.0)
    );
    // For bench/run.sh.
    println!(
        "@@ORDERS orders={orders} accepted_per_s={:.0} completed_per_s={:.0} p50_ms={:.1} p99_ms={:.1} max_ms={:.1}",
        orders as f64 / accepted_in.as_secs_f64(),
        orders as f64 / completed_in.as_secs_f64(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 100.0)
    );
    Ok(())
}
