//! Standing orders falling due at once: `BENCH_STANDING` (10000) daily standing orders,
//! set up before the run, whose first date is today, paid by one engine with the
//! built-in adapter and zero durations. The figure is payments/s from the engine's start
//! to the last payment's completion: the schedule's run (each date becomes a payment
//! order in the transaction that moves its standing order on) plus the engine carrying
//! the payments, each checked, booked on both accounts and notified.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bankapi::domain::CustomerNumber;
use bankapi::domain::account::{Account, ArrangementKind, ArrangementStatus, CurrencyCode, Money};
use bankapi::domain::card::Customer;
use bankapi::domain::identifier::ArrangementNumber;
use bankapi::domain::kinds::{StandingOrderSetup, set_up_before};
use bankapi::domain::order::{OrderKind, OrderNumber, OrderStatus};
use bankapi::domain::standing_order::{Frequency, Terms, UnitOfTime};
use bankapi::engine::{Engine, EngineSettings};
use bankapi::http::paging::{PageRequest, SortOrder};
use bankapi::operations::BuiltIn;
use bankapi::store::{self, OrderFilter, OrderSort, Stores};
use chrono::Utc;

use crate::setup::CUSTOMER;

/// Accounts the payments go to: a hundred, so that credits meet on the same rows as
/// they would on a landlord's or a utility's account.
const CREDITORS: usize = 100;

fn account_number(prefix: &str, n: usize) -> anyhow::Result<ArrangementNumber> {
    ArrangementNumber::parse("arrangement-number", &format!("{prefix}{n:09}"))
        .map_err(|e| anyhow::anyhow!(e.message))
}

fn current(number: ArrangementNumber, owner: &CustomerNumber, balance: Money) -> Account {
    Account {
        number,
        kind: ArrangementKind::CurrentAccount,
        owner: owner.clone(),
        product_code: "current-standard".into(),
        product_name: "Current account".into(),
        balance,
        status: ArrangementStatus::Active,
        linked: None,
        allows_cards: false,
        card_limit: 0,
        deposit: None,
    }
}

/// The debtors, the creditors and one daily standing order per debtor, due today; the
/// store at `url` then has its statistics, as the drain's and the e2e's seeds leave it.
async fn seed(stores: &Stores, url: &str, count: usize) -> anyhow::Result<()> {
    let owner = CustomerNumber::parse("customer", CUSTOMER)
        .map_err(|e| anyhow::anyhow!("customer number: {e:?}"))?;
    let eur =
        CurrencyCode::parse("currency-code", "EUR").map_err(|e| anyhow::anyhow!(e.message))?;
    let money = |minor| Money {
        currency: eur,
        minor,
    };
    let mut accounts = Vec::with_capacity(count + CREDITORS);
    for n in 1..=count {
        accounts.push(current(account_number("0971", n)?, &owner, money(100_000)));
    }
    for n in 1..=CREDITORS {
        accounts.push(current(account_number("0972", n)?, &owner, money(0)));
    }
    stores
        .orders
        .import_reference_data(
            &[Customer {
                number: owner.clone(),
                name: "Bench Customer".into(),
            }],
            &accounts,
            &[],
        )
        .await?;
    let now = Utc::now();
    let today = now.date_naive();
    for n in 1..=count {
        let setup = StandingOrderSetup {
            nickname: format!("Bench {n}"),
            terms: Terms {
                product_code: "standing-order-internal".into(),
                debtor: account_number("0971", n)?,
                creditor_name: "Bench creditor".into(),
                creditor_account: account_number("0972", 1 + n % CREDITORS)?,
                amount: money(1_250),
                reference: None,
                start_date: today,
                end_date: today + chrono::Duration::days(365),
                frequency: Frequency {
                    period: 1,
                    unit: UnitOfTime::Days,
                },
                first_payment_date: today,
            },
        };
        // Numbered below the sequence's first number, as a migrated standing order is.
        let number = OrderNumber(i64::try_from(n)? + 100_000);
        let (order, standing) = set_up_before(number, owner.clone(), setup, None, now);
        stores
            .orders
            .as_ref()
            .import_standing_order(&order, &standing)
            .await?;
    }
    crate::setup::analyze(url).await
}

/// Completed payments so far.
async fn paid(stores: &Stores) -> anyhow::Result<u64> {
    let filter = OrderFilter {
        kinds: vec![OrderKind::StandingOrderPayment],
        customer: None,
        statuses: vec![OrderStatus::ExternalProcessingSucceeded],
        sort: OrderSort::OrderNumber,
        order: SortOrder::Asc,
        page: PageRequest { size: 1, number: 1 },
    };
    Ok(stores.orders.list_orders(&filter).await?.1)
}

/// `count` standing orders due at once, paid by one engine.
pub async fn run(url: &str, count: usize) -> anyhow::Result<()> {
    let settings = bankapi::config::Settings {
        database_url: url.to_owned(),
        order_duration_scale: 0.0,
        ..bankapi::config::Settings::default()
    };
    let stores = store::connect(url, settings.database_max_connections, true).await?;
    seed(&stores, url, count).await?;
    let engine_settings = EngineSettings::from_settings(&settings);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let engine = Engine::new(stores.orders.clone(), Arc::new(BuiltIn), engine_settings);
    // The schedule's first look, as the engine's loop makes it, timed on its own: the
    // part of the figure that turns dates into payment orders.
    let started = Instant::now();
    let scheduled = engine.schedule().await?;
    let schedule_s = started.elapsed().as_secs_f64();
    if scheduled.payments != count {
        bail!("{} payments fell due, not {count}", scheduled.payments);
    }
    let run = engine.spawn(stopped);
    let deadline = started + Duration::from_secs(600);
    while paid(&stores).await? < count as u64 {
        if Instant::now() > deadline {
            bail!("the payments were not made within 10 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    run.await.context("engine")?;
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "standing ({backend}): {count} standing orders due at once, one engine: {:.0} payments/s in {elapsed:.2} s ({schedule_s:.2} s of it scheduling)",
        count as f64 / elapsed
    );
    println!(
        "@@STANDING orders={count} seconds={elapsed:.3} schedule_seconds={schedule_s:.3} payments_per_s={:.0}",
        count as f64 / elapsed
    );
    Ok(())
}
