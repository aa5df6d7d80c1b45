//! The event feed (API.md section 10): what leaves bankapi as it happens.
//!
//! - Live streams: `BENCH_STREAMS` (1000) open `GET /events/stream` of one customer, then
//!   `BENCH_STREAM_EVENTS` (100) events POSTed one after the other: the fan-out latency
//!   from each POST's answer to each stream receiving it (p50, p99), and how much the
//!   process's resident memory grew with the streams open (server and clients share this
//!   process: the figure holds both ends of every connection).
//! - Webhooks: one subscription to a local receiver (an axum server in this process that
//!   answers 204), `BENCH_WEBHOOK_EVENTS` (5000) events of 100 customers POSTed by 32
//!   clients (a customer's deliveries go one at a time, in order): deliveries
//!   per second (first POST to last delivery); then 200 events one every 5 ms: the
//!   latency from a POST's answer to the receiver getting it (p50, p99).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::routing::post;
use bankapi::auth::TokenVerifier;
use bankapi::auth::mint::{TokenRequest, mint_hs256};
use bankapi::config::{Secret, Settings};
use bankapi::startup::Application;
use bankapi::store;
use futures::StreamExt;
use serde_json::{Value, json};

use crate::setup::{SECRET, percentile};

const CUSTOMER: &str = "FEED0001";
/// Customers the webhook phase's events are spread over.
const CUSTOMERS: usize = 100;

/// Arrival times by event id.
type Arrivals = Arc<Mutex<HashMap<i64, Vec<Instant>>>>;

pub async fn run(
    url: &str,
    streams: usize,
    stream_events: usize,
    webhook_events: usize,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let settings = Settings {
        listen: address,
        database_url: url.to_owned(),
        public_url: format!("http://{address}"),
        auth_hs256_secret: Some(Secret::new(SECRET)),
        executor_enabled: false,
        rate_limit_per_second: 0,
        webhook_allow_private: true,
        webhook_poll_ms: std::env::var("BENCH_WEBHOOK_POLL_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000),
        ..Settings::default()
    };
    let stores = store::connect(url, settings.database_max_connections, true).await?;
    let verifier = TokenVerifier::from_settings(&settings)?.context("a verifier")?;
    let app = Application::build_with(&settings, verifier, stores.clone(), listener).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let token = mint_hs256(SECRET, "bankapi", "bankapi", &TokenRequest::staff())?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let base = format!("http://{address}/customer-event");
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("feed bench ({backend})");

    // Streams.
    let before = resident_kib()?;
    let arrivals: Arrivals = Arc::default();
    let mut readers = Vec::with_capacity(streams);
    let stream_client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    for _ in 0..streams {
        let response = stream_client
            .get(format!("{base}/events/stream?customer-number={CUSTOMER}"))
            .bearer_auth(&token)
            .send()
            .await?;
        if response.status() != 200 {
            bail!("stream answered {}", response.status());
        }
        readers.push(tokio::spawn(read_stream(response, arrivals.clone())));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let with_streams = resident_kib()?;
    let mut posted = HashMap::new();
    for n in 0..stream_events {
        let id = post_event(&client, &base, &token, CUSTOMER, n).await?;
        posted.insert(id, Instant::now());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    wait_for(&arrivals, &posted, streams).await?;
    let mut fan_out = latencies(&arrivals, &posted);
    fan_out.sort_by(f64::total_cmp);
    for reader in readers {
        reader.abort();
    }
    println!(
        "  {streams} streams: resident memory +{:.1} MiB ({:.1} KiB a stream, both ends in this process); \
fan-out of {stream_events} events: p50 {:.1} ms, p99 {:.1} ms",
        (with_streams.saturating_sub(before)) as f64 / 1024.0,
        (with_streams.saturating_sub(before)) as f64 / streams.max(1) as f64,
        percentile(&fan_out, 50.0),
        percentile(&fan_out, 99.0)
    );

    // Webhooks.
    let received: Arrivals = Arc::default();
    let receiver_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let receiver_address = receiver_listener.local_addr()?;
    let sink = received.clone();
    let receiver = tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/hook",
            post(move |body: axum::body::Bytes| {
                let sink = sink.clone();
                async move {
                    if let Ok(value) = serde_json::from_slice::<Value>(&body)
                        && let Some(id) = value["data"]["event-id"].as_i64()
                        && let Ok(mut seen) = sink.lock()
                    {
                        seen.entry(id).or_default().push(Instant::now());
                    }
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        );
        axum::serve(receiver_listener, app).await
    });
    let subscribed = client
        .post(format!("{base}/webhook-subscriptions"))
        .bearer_auth(&token)
        .json(&json!({"url": format!("http://{receiver_address}/hook")}))
        .send()
        .await?;
    if subscribed.status() != 201 {
        bail!("subscription answered {}", subscribed.status());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let answers: Vec<anyhow::Result<(i64, Instant)>> = futures::stream::iter(0..webhook_events)
        .map(|n| {
            let (client, base, token) = (&client, &base, &token);
            async move {
                // Spread over customers: one customer's deliveries go one at a time, in order.
                let customer = format!("FEED{:04}", n % CUSTOMERS);
                let id = post_event(client, base, token, &customer, n).await?;
                Ok((id, Instant::now()))
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let posted: HashMap<i64, Instant> = answers.into_iter().collect::<anyhow::Result<_>>()?;
    wait_for(&received, &posted, 1).await?;
    let took = started.elapsed();
    // Latency at a load the dispatcher keeps up with (the burst above measures how fast it
    // drains, and its latency is mostly the queue): one event every 5 ms.
    let mut paced = HashMap::new();
    for n in 0..200 {
        let customer = format!("FEED{:04}", n % CUSTOMERS);
        let id = post_event(&client, &base, &token, &customer, n).await?;
        paced.insert(id, Instant::now());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    wait_for(&received, &paced, 1).await?;
    let mut delivery = latencies(&received, &paced);
    delivery.sort_by(f64::total_cmp);
    println!(
        "  webhooks: {webhook_events} deliveries in {:.2} s = {:.0} deliveries/s; paced at one event per 5 ms, POST answered to delivered: p50 {:.1} ms, p99 {:.1} ms",
        took.as_secs_f64(),
        webhook_events as f64 / took.as_secs_f64(),
        percentile(&delivery, 50.0),
        percentile(&delivery, 99.0)
    );
    println!(
        "@@FEED streams={streams} stream_mib={:.1} fanout_p50_ms={:.1} fanout_p99_ms={:.1} webhooks_per_s={:.0} webhook_p50_ms={:.1} webhook_p99_ms={:.1}",
        (with_streams.saturating_sub(before)) as f64 / 1024.0,
        percentile(&fan_out, 50.0),
        percentile(&fan_out, 99.0),
        webhook_events as f64 / took.as_secs_f64(),
        percentile(&delivery, 50.0),
        percentile(&delivery, 99.0)
    );
    receiver.abort();
    let _ = stop.send(());
    server.await??;
    Ok(())
}

async fn post_event(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    customer: &str,
    n: usize,
) -> anyhow::Result<i64> {
    let response = client
        .post(format!("{base}/communication-events"))
        .bearer_auth(token)
        .json(&json!({"customer-number": customer, "medium": "sms", "title": format!("feed {n}")}))
        .send()
        .await?;
    if response.status() != 200 {
        bail!("event POST answered {}", response.status());
    }
    let body: Value = response.json().await?;
    body["id"]
        .as_i64()
        .or_else(|| body["id"].as_str().and_then(|id| id.parse().ok()))
        .with_context(|| format!("an event id in {body}"))
}

/// Records when each event reaches this stream.
async fn read_stream(mut response: reqwest::Response, arrivals: Arrivals) {
    let mut pending = String::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let now = Instant::now();
        pending.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = pending.find("\n\n") {
            let block: String = pending.drain(..end + 2).collect();
            if let Some(id) = block
                .lines()
                .find_map(|l| l.strip_prefix("id:"))
                .and_then(|id| id.trim().parse::<i64>().ok())
                && let Ok(mut seen) = arrivals.lock()
            {
                seen.entry(id).or_default().push(now);
            }
        }
    }
}

/// Waits until every posted event arrived `copies` times (at most 60 s).
async fn wait_for(
    arrivals: &Arrivals,
    posted: &HashMap<i64, Instant>,
    copies: usize,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = arrivals
            .lock()
            .map(|seen| {
                posted
                    .keys()
                    .all(|id| seen.get(id).is_some_and(|a| a.len() >= copies))
            })
            .unwrap_or(false);
        if done {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("not every event arrived within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Milliseconds from each POST's answer to each arrival of its event.
fn latencies(arrivals: &Arrivals, posted: &HashMap<i64, Instant>) -> Vec<f64> {
    let Ok(seen) = arrivals.lock() else {
        return Vec::new();
    };
    posted
        .iter()
        .flat_map(|(id, at)| {
            seen.get(id)
                .into_iter()
                .flatten()
                .map(move |arrived| arrived.saturating_duration_since(*at).as_secs_f64() * 1000.0)
        })
        .collect()
}

/// This process's resident memory.
fn resident_kib() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("VmRSS in /proc/self/status")
}
