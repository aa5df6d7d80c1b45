//! Draining a backlog: orders already accepted, then the engine alone, so the figure is
//! the engine's throughput (comparable to a job queue's, such as graphile-worker's no-op
//! jobs on the same PostgreSQL), not the HTTP front's.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::Json;
use axum::routing::post;
use bankapi::config::Settings;
use bankapi::domain::CustomerNumber;
use bankapi::domain::execution;
use bankapi::domain::kinds::CardActivation;
use bankapi::domain::order::{Order, OrderRequest, OrderStatus, Parties, StepDurations};
use bankapi::engine::{Engine, EngineSettings};
use bankapi::operations::http::HttpOperations;
use bankapi::operations::{BuiltIn, Operations};
use bankapi::store::orders::OrderColumns;
use bankapi::store::{self, Stores};
use chrono::Utc;
use serde_json::{Value, json};

use crate::setup::{CUSTOMER, arrangement, card_id, count, seed};

/// Orders inserted per transaction while the backlog is built.
const BACKLOG_CHUNK: usize = 1_000;

fn backend(url: &str) -> &'static str {
    if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

/// `orders` accepted card activations, one per card, as the API would have stored them.
async fn backlog(stores: &Stores, orders: usize) -> anyhow::Result<()> {
    let owner = CustomerNumber::parse("customer", CUSTOMER)
        .map_err(|e| anyhow::anyhow!("customer number: {e:?}"))?;
    let now = Utc::now();
    let numbers: Vec<usize> = (1..=orders).collect();
    for chunk in numbers.chunks(BACKLOG_CHUNK) {
        let mut rows = Vec::with_capacity(chunk.len());
        for n in chunk {
            let draft = Order::proposed(
                OrderRequest::CardActivation(CardActivation {
                    card_id: card_id(*n),
                }),
                None,
                Parties {
                    owner: owner.clone(),
                    holder: owner.clone(),
                    arrangement_number: arrangement(*n),
                },
                now,
                now + chrono::Duration::hours(24),
            );
            let order = execution::start(draft, now, &StepDurations::zero());
            rows.push(OrderColumns::encode(&order)?);
        }
        let mut tx = stores.orders.begin().await?;
        tx.insert_orders(&rows).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// The service's defaults, with zero durations; `BENCH_BATCH` overrides the batch.
fn settings(url: &str) -> anyhow::Result<Settings> {
    let defaults = Settings::default();
    Ok(Settings {
        database_url: url.to_owned(),
        order_duration_scale: 0.0,
        executor_batch: crate::setup::env_usize("BENCH_BATCH", defaults.executor_batch)?,
        ..defaults
    })
}

/// Waits until all `orders` completed. The engine runs meanwhile as `serve` runs it, so
/// the end is seen by looking every 10 ms at the queue's gauges (two index look-ups:
/// counting the orders table each time would take from the engine's time), then checked
/// once by counting.
async fn wait_for(stores: &Stores, orders: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let gauges = stores.orders.queue_gauges(Utc::now()).await?;
        if gauges.oldest_due.is_none() && gauges.held == 0 {
            break;
        }
        if Instant::now() > deadline {
            bail!("the backlog was not drained within 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let done = count(stores, OrderStatus::ExternalProcessingSucceeded).await?;
    if done != orders as u64 {
        bail!("{done} of {orders} orders completed");
    }
    Ok(())
}

/// The built-in adapter, zero durations, `engines` engines each with a pool of its own.
pub async fn builtin(url: &str, orders: usize, engines: usize) -> anyhow::Result<()> {
    let settings = settings(url)?;
    let stores = store::connect(url, settings.database_max_connections, true).await?;
    seed(&stores, url, orders).await?;
    backlog(&stores, orders).await?;
    let engine_settings = EngineSettings::from_settings(&settings);
    let mut pools = vec![stores.orders.clone()];
    for _ in 1..engines {
        pools.push(
            store::connect(url, settings.database_max_connections, false)
                .await?
                .orders,
        );
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let runs: Vec<_> = pools
        .into_iter()
        .map(|pool| {
            Engine::new(pool, Arc::new(BuiltIn), engine_settings.clone()).spawn(stopped.clone())
        })
        .collect();
    wait_for(&stores, orders).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    for run in runs {
        run.await.context("engine")?;
    }
    println!(
        "drain ({}): {orders} card activations, {engines} engine(s), batch {}: {:.0} orders/s in {elapsed:.2} s",
        backend(url),
        engine_settings.batch,
        orders as f64 / elapsed
    );
    println!(
        "@@DRAIN engines={engines} orders={orders} seconds={elapsed:.3} orders_per_s={:.0}",
        orders as f64 / elapsed
    );
    Ok(())
}

/// The built-in adapter, zero durations, the backlog drained by `processes` real
/// `bankapi serve` processes on one PostgreSQL: what a deployment of several instances
/// gets. Timed from their start, which costs each about a tenth of a second (connect,
/// migrations already applied), the same for one process and for two.
pub async fn processes(url: &str, orders: usize, processes: usize) -> anyhow::Result<()> {
    let settings = settings(url)?;
    let stores = store::connect(url, settings.database_max_connections, true).await?;
    seed(&stores, url, orders).await?;
    backlog(&stores, orders).await?;
    let started = Instant::now();
    let mut children = Vec::with_capacity(processes);
    for _ in 0..processes {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_bankapi"))
            .arg("serve")
            .env("BANKAPI_LISTEN", format!("127.0.0.1:{port}"))
            .env("BANKAPI_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("BANKAPI_DATABASE_URL", url)
            .env(
                "BANKAPI_AUTH_HS256_SECRET",
                "bench-secret-bench-secret-bench-secret",
            )
            .env("BANKAPI_ORDER_DURATION_SCALE", "0")
            .env(
                "BANKAPI_EXECUTOR_BATCH",
                settings.executor_batch.to_string(),
            )
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .context("start bankapi serve")?;
        children.push(child);
    }
    let drained = wait_for(&stores, orders).await;
    let elapsed = started.elapsed().as_secs_f64();
    for mut child in children {
        let _ = child.kill();
        let _ = child.wait();
    }
    drained?;
    println!(
        "processes ({}): {orders} card activations, {processes} bankapi serve process(es): {:.0} orders/s in {elapsed:.2} s",
        backend(url),
        orders as f64 / elapsed
    );
    println!(
        "@@PROCS processes={processes} orders={orders} seconds={elapsed:.3} orders_per_s={:.0}",
        orders as f64 / elapsed
    );
    Ok(())
}

/// A system of record that answers every operation `succeeded` after about 2 ms, and
/// counts the calls it has open.
async fn local_system() -> anyhow::Result<(String, Arc<AtomicUsize>)> {
    let open = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (open_in, most_in) = (open.clone(), most.clone());
    let app = axum::Router::new().route(
        "/operations",
        post(move |Json(body): Json<Value>| {
            let (open, most) = (open_in.clone(), most_in.clone());
            async move {
                let now = open.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
                open.fetch_sub(1, Ordering::SeqCst);
                Json(json!({"status": "succeeded", "reference": body["order-number"]}))
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((format!("http://{address}"), most))
}

/// The HTTP adapter against [`local_system`], the engine as `serve` runs it.
pub async fn remote(url: &str, orders: usize) -> anyhow::Result<()> {
    let (system, most) = local_system().await?;
    let mut settings = settings(url)?;
    settings.operations_url = Some(system.clone());
    let stores = store::connect(url, settings.database_max_connections, true).await?;
    seed(&stores, url, orders).await?;
    backlog(&stores, orders).await?;
    let operations: Arc<dyn Operations> =
        Arc::new(HttpOperations::new(&system, None, Duration::from_secs(10))?);
    let engine_settings = EngineSettings::from_settings(&settings);
    let concurrency = engine_settings.concurrency;
    let engine = Engine::new(stores.orders.clone(), operations, engine_settings);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let running = engine.spawn(stopped);
    wait_for(&stores, orders).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    running.await.context("engine")?;
    let most = most.load(Ordering::SeqCst);
    println!(
        "remote ({}): {orders} card activations over HTTP to a system answering in ~2 ms, {concurrency} calls allowed: {:.0} orders/s, at most {most} calls in flight",
        backend(url),
        orders as f64 / elapsed
    );
    println!(
        "@@REMOTE orders={orders} seconds={elapsed:.3} orders_per_s={:.0} max_in_flight={most} concurrency={concurrency}",
        orders as f64 / elapsed
    );
    Ok(())
}
