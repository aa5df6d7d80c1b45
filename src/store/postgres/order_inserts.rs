//! PostgreSQL's bulk inserts of orders and cards: one statement over arrays (`UNNEST`)
//! whatever the count. Shared by the write transaction ([`super::order_tx`]), the
//! acceptance group commit and the import of reference data, which run them on a
//! connection of their own.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;

use super::listener::WORK_CHANNEL;
use super::order_rows::current_step_column;
use crate::domain::card::Card;
use crate::store::StoreError;
use crate::store::orders::{CardColumns, OrderColumns, numbered};

/// Inserts cards in one statement; `or_ignore` keeps existing ones (reference data
/// loaded twice).
pub(super) async fn insert_cards(
    conn: &mut PgConnection,
    cards: &[Card],
    or_ignore: bool,
) -> Result<(), StoreError> {
    if cards.is_empty() {
        return Ok(());
    }
    let c: Vec<CardColumns> = cards.iter().map(CardColumns::encode).collect();
    let text = |f: fn(&CardColumns) -> &str| c.iter().map(f).collect::<Vec<&str>>();
    let optional =
        |f: fn(&CardColumns) -> Option<&str>| c.iter().map(f).collect::<Vec<Option<&str>>>();
    let expiry: Vec<NaiveDate> = c.iter().map(|c| c.expiry_date).collect();
    let status_dates: Vec<DateTime<Utc>> = c.iter().map(|c| c.status_date).collect();
    let conflict = if or_ignore {
        " ON CONFLICT DO NOTHING"
    } else {
        ""
    };
    let sql = format!(
        "INSERT INTO cards (card_id, serial_number, masked_number, arrangement_number, holder_customer_number,
             owner_customer_number, product_code, status, blockade_reason, expiry_date, replaces, replaced_by, status_date)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::text[], $9::text[], $10::date[], $11::text[], $12::text[], $13::timestamptz[]){conflict}"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(text(|c| &c.card_id))
        .bind(text(|c| &c.serial_number))
        .bind(text(|c| &c.masked_number))
        .bind(text(|c| &c.arrangement_number))
        .bind(text(|c| &c.holder_customer_number))
        .bind(text(|c| &c.owner_customer_number))
        .bind(text(|c| &c.product_code))
        .bind(text(|c| &c.status))
        .bind(optional(|c| c.blockade_reason.as_deref()))
        .bind(expiry)
        .bind(optional(|c| c.replaces.as_deref()))
        .bind(optional(|c| c.replaced_by.as_deref()))
        .bind(status_dates)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The insert of [`insert_orders`]: every column from arrays, whatever the count.
macro_rules! insert_orders_sql {
    () => {
        "INSERT INTO orders (kind, serial_key, duplicate_key, card_id, arrangement_number, owner_customer_number,
             holder_customer_number, request_json, description, status, status_date, creation_date, deadline,
             current_step, phase, next_run_at, steps_json, rejection_reason, result_card_id, hold_reason)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
             $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[], $13::timestamptz[],
             $14::int[], $15::text[], $16::timestamptz[], $17::text[], $18::text[], $19::text[], $20::text[])
         RETURNING order_id, duplicate_key"
    };
}

/// Inserts orders with one statement and returns their numbers in the order of `orders`.
/// With `announce`, the statement also notifies the engines: run outside a transaction it
/// is then a whole acceptance, committed in one round trip.
pub(super) async fn insert_orders(
    conn: &mut PgConnection,
    orders: &[OrderColumns],
    announce: bool,
) -> Result<Vec<i64>, StoreError> {
    let text = |f: fn(&OrderColumns) -> &str| orders.iter().map(f).collect::<Vec<&str>>();
    let optional =
        |f: fn(&OrderColumns) -> Option<&str>| orders.iter().map(f).collect::<Vec<Option<&str>>>();
    let times = |f: fn(&OrderColumns) -> DateTime<Utc>| {
        orders.iter().map(f).collect::<Vec<DateTime<Utc>>>()
    };
    let steps = orders
        .iter()
        .map(current_step_column)
        .collect::<Result<Vec<i32>, _>>()?;
    let next_runs: Vec<Option<DateTime<Utc>>> = orders.iter().map(|c| c.next_run_at).collect();
    // A concurrent create of the same active order waits on the partial unique index
    // until that one commits, then fails as a unique violation: `Conflict`.
    let sql = if announce {
        concat!("WITH inserted AS (", insert_orders_sql!(), ")
             SELECT order_id, duplicate_key FROM inserted CROSS JOIN (SELECT pg_notify($21, '')) AS woken")
    } else {
        insert_orders_sql!()
    };
    let query = sqlx::query_as(sql)
        .bind(text(|c| &c.kind))
        .bind(text(|c| &c.serial_key))
        .bind(text(|c| &c.duplicate_key))
        .bind(optional(|c| c.card_id.as_deref()))
        .bind(text(|c| &c.arrangement_number))
        .bind(text(|c| &c.owner_customer_number))
        .bind(text(|c| &c.holder_customer_number))
        .bind(text(|c| &c.request_json))
        .bind(optional(|c| c.description.as_deref()))
        .bind(text(|c| &c.status))
        .bind(times(|c| c.status_date))
        .bind(times(|c| c.creation_date))
        .bind(times(|c| c.deadline))
        .bind(&steps)
        .bind(optional(|c| c.phase.as_deref()))
        .bind(&next_runs)
        .bind(text(|c| &c.steps_json))
        .bind(optional(|c| c.rejection_reason.as_deref()))
        .bind(optional(|c| c.result_card_id.as_deref()))
        .bind(optional(|c| c.hold_reason.as_deref()));
    let query = if announce {
        query.bind(WORK_CHANNEL)
    } else {
        query
    };
    let rows: Vec<(i64, String)> = query.fetch_all(&mut *conn).await?;
    let numbers: HashMap<String, i64> = rows.into_iter().map(|(id, key)| (key, id)).collect();
    numbered(orders, &numbers)
}
