//! What every mode shares: a scratch database, the bench's customer with one card per
//! account, and readings of the orders afterwards.

use anyhow::{Context, bail};
use bankapi::domain::CustomerNumber;
use bankapi::domain::account::{Account, CurrencyCode};
use bankapi::domain::card::{Arrangement, Card, CardStatus, Customer, mask};
use bankapi::domain::identifier::{ArrangementNumber, CardId};
use bankapi::domain::order::OrderStatus;
use bankapi::http::paging::{PageRequest, SortOrder};
use bankapi::store::{OrderFilter, OrderSort, Stores};
use chrono::{NaiveDate, Utc};

pub const SECRET: &str = "bench-only-hs256-secret-0123456789abcdef0123456789";
pub const CUSTOMER: &str = "BENCH001";

/// A knob from the environment.
pub fn env_usize(name: &str, default: usize) -> anyhow::Result<usize> {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .with_context(|| format!("{name}={value} is not a number")),
        Err(_) => Ok(default),
    }
}

/// Where the benchmark's data lives, and how to remove it afterwards.
pub enum Scratch {
    /// Held only so the directory (and the database in it) is deleted on drop.
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        server: String,
        name: String,
    },
}

impl Scratch {
    pub async fn create() -> anyhow::Result<(Self, String)> {
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

    pub async fn remove(self) -> anyhow::Result<()> {
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

/// Gathers the planner's statistics, as a bank's database has them for its cards,
/// accounts and standing orders long before the first order or payment falls due:
/// without them, the freshly seeded tables were read with sequential scans (PostgreSQL
/// took 2 to 3.6 ms per engine pass to find 30 cards of 20,000) and the bench measured a
/// database no bank runs. The orders are left as they come, the way a backlog arrives
/// between two of autovacuum's looks. Both seeds end with it (this module's and the
/// standing orders').
pub(crate) async fn analyze(url: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    if url.starts_with("postgres") {
        let mut connection = sqlx::PgConnection::connect(url).await?;
        sqlx::raw_sql("ANALYZE customers, arrangements, cards, standing_orders")
            .execute(&mut connection)
            .await?;
    } else {
        let mut connection = sqlx::SqliteConnection::connect(url).await?;
        sqlx::raw_sql("ANALYZE").execute(&mut connection).await?;
    }
    Ok(())
}

/// One customer with `count` accounts of one inactive card each, as real accounts hold a
/// handful of cards: each order activates a different card, so none waits for another and
/// the figure is the executor's throughput, not a queue's. The store at `url` then has
/// its statistics ([`analyze`]).
pub async fn seed(stores: &Stores, url: &str, count: usize) -> anyhow::Result<()> {
    let owner = CustomerNumber::parse("customer", CUSTOMER)
        .map_err(|e| anyhow::anyhow!("customer number: {e:?}"))?;
    let expiry = NaiveDate::from_ymd_opt(2030, 1, 31).context("date")?;
    let cards: Vec<Card> = (1..=count)
        .map(|n| Card {
            id: card_id(n),
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
    let eur =
        CurrencyCode::parse("currency-code", "EUR").map_err(|e| anyhow::anyhow!(e.message))?;
    stores
        .orders
        .import_reference_data(
            &[Customer {
                number: owner.clone(),
                name: "Bench Customer".into(),
            }],
            &(1..=count)
                .map(|n| {
                    let terms = Arrangement {
                        number: arrangement(n),
                        owner: owner.clone(),
                        product_code: "MasterCard".into(),
                        active: true,
                        allows_cards: true,
                        card_limit: 4,
                    };
                    Account::card_account(terms, eur)
                })
                .collect::<Vec<_>>(),
            &cards,
        )
        .await?;
    analyze(url).await
}

/// The arrangement of the bench's card `n`: one card per arrangement.
pub fn arrangement(n: usize) -> ArrangementNumber {
    ArrangementNumber::parse("arrangement-number", &format!("09{n:011}"))
        .unwrap_or_else(|e| panic!("bench arrangement {n}: {}", e.message))
}

/// The bench's card `n`.
pub fn card_id(n: usize) -> CardId {
    CardId::parse("card-id", &format!("B{n:010}"))
        .unwrap_or_else(|e| panic!("bench card {n}: {}", e.message))
}

fn filter(status: Option<OrderStatus>, page: PageRequest) -> OrderFilter {
    OrderFilter {
        kinds: Vec::new(),
        customer: None,
        statuses: status.into_iter().collect(),
        sort: OrderSort::OrderNumber,
        order: SortOrder::Asc,
        page,
    }
}

/// How many orders have reached `status`.
pub async fn count(stores: &Stores, status: OrderStatus) -> anyhow::Result<u64> {
    let (_, total) = stores
        .orders
        .list_orders(&filter(Some(status), PageRequest { size: 1, number: 1 }))
        .await?;
    Ok(total)
}

/// Milliseconds from acceptance to completion of every order, sorted.
pub async fn latencies(stores: &Stores) -> anyhow::Result<Vec<f64>> {
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

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
