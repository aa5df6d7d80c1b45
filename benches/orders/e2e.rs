//! End to end over HTTP: clients POST card activations while the server's engine runs
//! them; beside it, in the same run with the same clients, `POST /communication-events`,
//! the figure the acceptance rate is read against.
//!
//! The two alternate in `BENCH_E2E_ROUNDS` rounds (default 4): events, then orders until
//! they are all complete, and again. This machine's speed drifts by a fifth within
//! seconds; measured one after the other, the two rates saw different machines and their
//! ratio swung from 30 to 45 % between identical runs. Each event round starts with the
//! engine idle, as the single event phase did before.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bankapi::auth::TokenVerifier;
use bankapi::auth::mint::{TokenRequest, mint_hs256};
use bankapi::config::{Secret, Settings};
use bankapi::domain::order::OrderStatus;
use bankapi::startup::Application;
use bankapi::store;
use futures::StreamExt;
use serde_json::json;

use crate::setup::{SECRET, count, latencies, percentile, seed};

pub async fn run(
    url: &str,
    orders: usize,
    concurrency: usize,
    rounds: usize,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let settings = Settings {
        listen: address,
        database_url: url.to_owned(),
        public_url: format!("http://{address}"),
        auth_hs256_secret: Some(Secret::new(SECRET)),
        order_duration_scale: 0.0,
        executor_enabled: std::env::var("BENCH_E2E_ENGINE").map_or(true, |v| v != "0"),
        executor_gather_ms: std::env::var("BENCH_E2E_GATHER_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(Settings::default().executor_gather_ms),
        executor_batch: std::env::var("BENCH_E2E_BATCH")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(Settings::default().executor_batch),
        database_max_connections: std::env::var("BENCH_E2E_CONNECTIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(Settings::default().database_max_connections),
        // The clients here all share one token; the bench measures capacity, not a quota.
        rate_limit_per_second: 0,
        ..Settings::default()
    };
    let stores = store::connect(url, settings.database_max_connections, true).await?;
    seed(&stores, url, orders).await?;
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
    // The peer, with the same clients in the same run: event POSTs (group-committed).
    let events = orders.min(20_000);
    let rounds = rounds.clamp(1, orders.min(events).max(1));
    let events_endpoint = format!("http://{address}/customer-event/communication-events");
    let orders_endpoint = format!("http://{address}/customer-order/card-activations");
    let (mut events_in, mut accepted_in, mut completed_in) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for round in 0..rounds {
        let share = |total: usize| (total * round / rounds + 1)..=(total * (round + 1) / rounds);
        events_in += post_all(&client, &events_endpoint, &token, share(events), concurrency, 200, |n| {
            json!({"customer-number": crate::setup::CUSTOMER, "medium": "sms", "title": format!("bench {n}")})
        })
        .await?;
        let started = Instant::now();
        accepted_in += post_all(
            &client,
            &orders_endpoint,
            &token,
            share(orders),
            concurrency,
            202,
            |n| json!({"card-id": format!("B{n:010}")}),
        )
        .await?;
        if settings.executor_enabled {
            wait_until_complete(&stores).await?;
        }
        completed_in += started.elapsed();
    }
    if !settings.executor_enabled {
        println!(
            "  accepted with the engine off: {:.0} orders/s beside {:.0} event POSTs/s",
            orders as f64 / accepted_in.as_secs_f64(),
            events as f64 / events_in.as_secs_f64()
        );
        let _ = stop.send(());
        server.await??;
        return Ok(());
    }
    if count(&stores, OrderStatus::ExternalProcessingSucceeded).await? != orders as u64 {
        bail!("not every order completed");
    }
    let _ = stop.send(());
    server.await??;
    let events_per_s = events as f64 / events_in.as_secs_f64();

    let latencies = latencies(&stores).await?;
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "orders bench ({backend}): {orders} card activations, {concurrency} concurrent clients, zero step durations, {rounds} rounds"
    );
    println!(
        "  accepted:  {:>8.0} orders/s  (all {orders} answered 202 in {:.2} s)",
        orders as f64 / accepted_in.as_secs_f64(),
        accepted_in.as_secs_f64()
    );
    println!(
        "  completed: {:>8.0} orders/s  (each round's first POST to its last completion, {:.2} s in all)",
        orders as f64 / completed_in.as_secs_f64(),
        completed_in.as_secs_f64()
    );
    println!(
        "  beside:    {events_per_s:>8.0} event POSTs/s with the same clients: acceptance at {:.0} % of it",
        100.0 * orders as f64 / accepted_in.as_secs_f64() / events_per_s
    );
    println!(
        "  acceptance to completion: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 100.0)
    );
    // For bench/run.sh.
    println!(
        "@@ORDERS orders={orders} accepted_per_s={:.0} events_per_s={events_per_s:.0} completed_per_s={:.0} p50_ms={:.1} p99_ms={:.1} max_ms={:.1}",
        orders as f64 / accepted_in.as_secs_f64(),
        orders as f64 / completed_in.as_secs_f64(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 100.0)
    );
    Ok(())
}

/// Waits until no order is due or held: the round's orders are all final.
async fn wait_until_complete(stores: &store::Stores) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let gauges = stores.orders.queue_gauges(chrono::Utc::now()).await?;
        if gauges.oldest_due.is_none() && gauges.held == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("orders did not complete within 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// POSTs the bodies numbered `numbers` at `concurrency` and checks every answer's status;
/// how long it took.
async fn post_all(
    client: &reqwest::Client,
    endpoint: &str,
    token: &str,
    numbers: std::ops::RangeInclusive<usize>,
    concurrency: usize,
    expected: u16,
    body: impl Fn(usize) -> serde_json::Value,
) -> anyhow::Result<Duration> {
    let endpoint = Arc::new(endpoint.to_owned());
    let started = Instant::now();
    let answers: Vec<anyhow::Result<()>> = futures::stream::iter(numbers)
        .map(|n| {
            let request = client
                .post(endpoint.as_str())
                .bearer_auth(token)
                .json(&body(n));
            async move {
                let response = request.send().await?;
                if response.status() != expected {
                    bail!("request {n}: {}", response.status());
                }
                Ok(())
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let took = started.elapsed();
    let failed = answers.iter().filter(|a| a.is_err()).count();
    if let Some(Err(error)) = answers.into_iter().find(|a| a.is_err()) {
        bail!("{failed} requests failed; first: {error}");
    }
    Ok(took)
}
