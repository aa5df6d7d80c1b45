//! PostgreSQL's rows of the order tables and the statements both the reads and the write
//! transaction share.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::card::{Arrangement, Card};
use crate::domain::order::Order;
use crate::store::StoreError;
use crate::store::orders::{
    ArrangementColumns, CardColumns, Claimed, JoinedArrangement, Lease, OrderColumns,
};

macro_rules! order_columns {
    () => {
        "order_id, kind, serial_key, duplicate_key, card_id, arrangement_number, owner_customer_number, \
         holder_customer_number, request_json, description, status, status_date, creation_date, deadline, \
         current_step, phase, next_run_at, steps_json, rejection_reason, result_card_id, hold_reason"
    };
}
pub(super) use order_columns;

macro_rules! card_columns {
    () => {
        "card_id, serial_number, masked_number, arrangement_number, holder_customer_number, owner_customer_number, \
         product_code, status, blockade_reason, expiry_date, replaces, replaced_by, status_date"
    };
}
pub(super) use card_columns;

/// Whether no earlier order of the same arrangement is still active (held ones count).
macro_rules! head_of_arrangement {
    ($table:literal) => {
        concat!(
            "NOT EXISTS (SELECT 1 FROM orders e WHERE e.serial_key = ",
            $table,
            ".serial_key AND e.next_run_at IS NOT NULL AND e.order_id < ",
            $table,
            ".order_id)"
        )
    };
}

/// Orders an engine may claim, but for time: active, not held, and an action only when
/// it is its arrangement's turn.
macro_rules! claimable {
    () => {
        concat!(
            "o.next_run_at IS NOT NULL AND o.hold_reason IS NULL AND (o.phase IS DISTINCT FROM 'action' OR ",
            head_of_arrangement!("o"),
            ")"
        )
    };
}

pub(super) use {claimable, head_of_arrangement};

/// Makes the claim that follows in the same transaction walk the `orders_due` index in
/// order, whatever the statistics say. Without them (a backlog that arrived since the last
/// `ANALYZE`) the planner estimates a few due rows, reads every due row with a bitmap
/// scan and sorts them: measured at 560 ms per claim of 512 from a backlog of 300,000,
/// against 6 ms for the index walk. PostgreSQL takes no plan hints, so the other paths are
/// priced out until [`plan_freely`] (or the transaction's end).
///
/// JIT compilation is off meanwhile: a path priced out counts as a huge cost, and
/// PostgreSQL compiles every query whose cost passes `jit_above_cost`. The outbox trigger
/// that a leased claim fires planned its join under these settings, with an unavoidable
/// sort, and spent 150 to 280 ms compiling it on every claim, then on every write of the
/// connection (PL/pgSQL keeps the plan): the HTTP adapter's passes spent most of their
/// database time there.
pub(super) async fn walk_due_index(conn: &mut sqlx::PgConnection) -> Result<(), StoreError> {
    sqlx::raw_sql(
        "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off; SET LOCAL jit = off",
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives the rest of the transaction the planner's own choices again.
pub(super) async fn plan_freely(conn: &mut sqlx::PgConnection) -> Result<(), StoreError> {
    sqlx::raw_sql("RESET enable_bitmapscan; RESET enable_seqscan; RESET enable_sort; RESET jit")
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
pub(super) struct ClaimRow {
    #[sqlx(flatten)]
    order: OrderRow,
    lease_token: i64,
    head: bool,
}

/// The claimed orders of `rows`, oldest first.
pub(super) fn claimed(rows: Vec<ClaimRow>) -> Vec<Claimed> {
    Claimed::oldest_first(
        rows.into_iter()
            .map(|row| Claimed {
                lease: Lease {
                    order_id: row.order.order_id(),
                    token: row.lease_token,
                },
                head: row.head,
                columns: row.order.into_columns(),
            })
            .collect(),
    )
}

/// An order's row.
#[derive(sqlx::FromRow)]
pub(super) struct OrderRow {
    order_id: i64,
    kind: String,
    serial_key: String,
    duplicate_key: String,
    card_id: Option<String>,
    arrangement_number: String,
    owner_customer_number: String,
    holder_customer_number: String,
    request_json: String,
    description: Option<String>,
    status: String,
    status_date: DateTime<Utc>,
    creation_date: DateTime<Utc>,
    deadline: DateTime<Utc>,
    current_step: i32,
    phase: Option<String>,
    next_run_at: Option<DateTime<Utc>>,
    steps_json: String,
    rejection_reason: Option<String>,
    result_card_id: Option<String>,
    hold_reason: Option<String>,
}

impl OrderRow {
    /// The order's number, readable even when the rest of the row is not.
    pub(super) fn order_id(&self) -> i64 {
        self.order_id
    }

    /// The row's columns, with its instants read.
    pub(super) fn into_columns(self) -> Result<OrderColumns, StoreError> {
        Ok(OrderColumns {
            order_id: self.order_id,
            kind: self.kind,
            serial_key: self.serial_key,
            duplicate_key: self.duplicate_key,
            card_id: self.card_id,
            arrangement_number: self.arrangement_number,
            owner_customer_number: self.owner_customer_number,
            holder_customer_number: self.holder_customer_number,
            request_json: self.request_json,
            description: self.description,
            status: self.status,
            status_date: self.status_date,
            creation_date: self.creation_date,
            deadline: self.deadline,
            current_step: i64::from(self.current_step),
            phase: self.phase,
            next_run_at: self.next_run_at,
            steps_json: self.steps_json,
            rejection_reason: self.rejection_reason,
            result_card_id: self.result_card_id,
            hold_reason: self.hold_reason,
        })
    }

    /// The order the row describes.
    pub(super) fn into_order(self) -> Result<Order, StoreError> {
        self.into_columns()?.decode()
    }
}

/// A card's row.
#[derive(sqlx::FromRow)]
pub(super) struct CardRow {
    card_id: String,
    serial_number: String,
    masked_number: String,
    arrangement_number: String,
    holder_customer_number: String,
    owner_customer_number: String,
    product_code: String,
    status: String,
    blockade_reason: Option<String>,
    expiry_date: NaiveDate,
    replaces: Option<String>,
    replaced_by: Option<String>,
    status_date: DateTime<Utc>,
}

impl CardRow {
    /// The card the row describes.
    pub(super) fn into_card(self) -> Result<Card, StoreError> {
        CardColumns {
            card_id: self.card_id,
            serial_number: self.serial_number,
            masked_number: self.masked_number,
            arrangement_number: self.arrangement_number,
            holder_customer_number: self.holder_customer_number,
            owner_customer_number: self.owner_customer_number,
            product_code: self.product_code,
            status: self.status,
            blockade_reason: self.blockade_reason,
            expiry_date: self.expiry_date,
            replaces: self.replaces,
            replaced_by: self.replaced_by,
            status_date: self.status_date,
        }
        .decode()
    }
}

/// A card's row with its arrangement's columns beside it (absent when the arrangement
/// row is).
#[derive(sqlx::FromRow)]
pub(super) struct SubjectRow {
    #[sqlx(flatten)]
    card: CardRow,
    arrangement_owner: Option<String>,
    arrangement_product: Option<String>,
    arrangement_active: Option<bool>,
    arrangement_allows_cards: Option<bool>,
    arrangement_card_limit: Option<i32>,
}

impl SubjectRow {
    /// The card and, if its row exists, its arrangement.
    pub(super) fn into_parts(self) -> Result<(Card, Option<Arrangement>), StoreError> {
        let card = self.card.into_card()?;
        let arrangement = JoinedArrangement {
            owner: self.arrangement_owner,
            product_code: self.arrangement_product,
            active: self.arrangement_active,
            allows_cards: self.arrangement_allows_cards,
            card_limit: self.arrangement_card_limit.map(i64::from),
        }
        .decode(&card)?;
        Ok((card, arrangement))
    }
}

/// An arrangement's row.
#[derive(sqlx::FromRow)]
pub(super) struct ArrangementRow {
    arrangement_number: String,
    owner_customer_number: String,
    product_code: String,
    active: bool,
    allows_cards: bool,
    card_limit: i32,
}

impl ArrangementRow {
    /// The arrangement the row describes.
    pub(super) fn into_arrangement(self) -> Result<Arrangement, StoreError> {
        ArrangementColumns {
            arrangement_number: self.arrangement_number,
            owner_customer_number: self.owner_customer_number,
            product_code: self.product_code,
            active: self.active,
            allows_cards: self.allows_cards,
            card_limit: i64::from(self.card_limit),
        }
        .decode()
    }
}

/// The `INTEGER` the schema stores an order's current step in.
pub(super) fn current_step_column(columns: &OrderColumns) -> Result<i32, StoreError> {
    i32::try_from(columns.current_step).map_err(|_| {
        StoreError::Other(anyhow::anyhow!(
            "order {}: step {} does not fit the current_step column",
            columns.order_id,
            columns.current_step
        ))
    })
}
