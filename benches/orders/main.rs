//! Throughput of the order engine and the Customer Order API, on SQLite or PostgreSQL.
//!
//! `cargo bench --bench orders` runs every mode on SQLite in a temp directory;
//! `BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432` runs them on PostgreSQL (a
//! scratch database per mode, dropped afterwards). `bench/run.sh` runs both and puts the
//! figures beside its peers. `BENCH_MODES` picks modes (comma-separated):
//! - `e2e`: clients POST card activations over HTTP while the engine runs them:
//!   accepted/s, completed/s, acceptance to completion; and the event POST rate with the
//!   same clients in the same run, alternating in rounds. Knobs `BENCH_ORDERS` (20000),
//!   `BENCH_CONCURRENCY` (32), `BENCH_E2E_ROUNDS` (4), `BENCH_E2E_GATHER_MS` (the
//!   engine's default gather window), `BENCH_E2E_BATCH` (the engine's default batch).
//! - `drain`: a backlog of `BENCH_DRAIN` (100000) accepted activations, drained by the
//!   engine with the built-in adapter and zero durations: orders/s.
//! - `drain2`: the same backlog drained by two engines with a pool each, as two processes
//!   would (PostgreSQL; SQLite has one writer per file).
//! - `procs1`, `procs2`: the same backlog drained by one, then two, real `bankapi serve`
//!   processes (PostgreSQL): what several instances of the service get together.
//! - `remote`: a backlog of `BENCH_REMOTE` (20000) carried by the HTTP adapter to a local
//!   system of record that answers in about 2 ms: orders/s and calls in flight.
//!
//! - `standing`: `BENCH_STANDING` (10000) standing orders falling due at once, paid by
//!   one engine (built-in adapter, zero durations): payments/s; see `standing.rs`.
//!
//! - `feed`: the event feed: 1000 live streams (memory, fan-out latency) and webhook
//!   deliveries to a local receiver (deliveries/s, POST to delivery); see `feed.rs`.
//!
//! The server, the engine and the clients run in this process over real loopback HTTP:
//! a wrk script could not check every answer nor read the orders' own timestamps.

mod drain;
mod e2e;
mod feed;
mod setup;
mod standing;

use setup::{Scratch, env_usize};

/// The allocator the `bankapi` binary ships with (src/main.rs), so that the server
/// measured here allocates as it does in production.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let modes = std::env::var("BENCH_MODES")
        .unwrap_or_else(|_| "e2e,drain,drain2,procs1,procs2,remote,standing,feed".into());
    for mode in modes.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        let (scratch, url) = Scratch::create().await?;
        let result = match mode {
            "e2e" => {
                e2e::run(
                    &url,
                    env_usize("BENCH_ORDERS", 20_000)?,
                    env_usize("BENCH_CONCURRENCY", 32)?,
                    env_usize("BENCH_E2E_ROUNDS", 4)?,
                )
                .await
            }
            "drain" => drain::builtin(&url, env_usize("BENCH_DRAIN", 100_000)?, 1).await,
            "drain2" if url.starts_with("sqlite") => {
                println!("drain2: skipped on SQLite (one writer per file)");
                Ok(())
            }
            "drain2" => drain::builtin(&url, env_usize("BENCH_DRAIN", 100_000)?, 2).await,
            "procs1" | "procs2" if url.starts_with("sqlite") => {
                println!("{mode}: skipped on SQLite (one writer per file)");
                Ok(())
            }
            "procs1" => drain::processes(&url, env_usize("BENCH_DRAIN", 100_000)?, 1).await,
            "procs2" => drain::processes(&url, env_usize("BENCH_DRAIN", 100_000)?, 2).await,
            "remote" => drain::remote(&url, env_usize("BENCH_REMOTE", 20_000)?).await,
            "standing" => standing::run(&url, env_usize("BENCH_STANDING", 10_000)?).await,
            "feed" => {
                feed::run(
                    &url,
                    env_usize("BENCH_STREAMS", 1000)?,
                    env_usize("BENCH_STREAM_EVENTS", 100)?,
                    env_usize("BENCH_WEBHOOK_EVENTS", 5000)?,
                )
                .await
            }
            other => Err(anyhow::anyhow!("unknown BENCH_MODES entry {other:?}")),
        };
        scratch.remove().await?;
        result?;
    }
    Ok(())
}
