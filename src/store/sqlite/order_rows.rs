//! SQLite's rows of the order tables and the statements both the reads and the write
//! transaction share.

use chrono::NaiveDate;
use sqlx::SqliteConnection;

use crate::domain::card::{Arrangement, Card};
use crate::domain::order::Order;
use crate::store::orders::{
    ArrangementColumns, CardColumns, Claimed, JoinedArrangement, Lease, OrderColumns,
};
use crate::store::{StoreError, from_micros, to_micros};

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
            "o.next_run_at IS NOT NULL AND o.hold_reason IS NULL AND (o.phase IS NOT 'action' OR ",
            head_of_arrangement!("o"),
            ")"
        )
    };
}

pub(super) use {claimable, head_of_arrangement};

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
    status_date: i64,
    creation_date: i64,
    deadline: i64,
    current_step: i64,
    phase: Option<String>,
    next_run_at: Option<i64>,
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
            status_date: from_micros(self.status_date)?,
            creation_date: from_micros(self.creation_date)?,
            deadline: from_micros(self.deadline)?,
            current_step: self.current_step,
            phase: self.phase,
            next_run_at: self.next_run_at.map(from_micros).transpose()?,
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
    expiry_date: String,
    replaces: Option<String>,
    replaced_by: Option<String>,
    status_date: i64,
}

impl CardRow {
    /// The card the row describes.
    pub(super) fn into_card(self) -> Result<Card, StoreError> {
        let expiry_date =
            NaiveDate::parse_from_str(&self.expiry_date, "%Y-%m-%d").map_err(|e| {
                StoreError::Other(anyhow::anyhow!("card {}: expiry date: {e}", self.card_id))
            })?;
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
            expiry_date,
            replaces: self.replaces,
            replaced_by: self.replaced_by,
            status_date: from_micros(self.status_date)?,
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
    arrangement_card_limit: Option<i64>,
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
            card_limit: self.arrangement_card_limit,
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
    card_limit: i64,
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
            card_limit: self.card_limit,
        }
        .decode()
    }
}

/// Inserts a card; `or_ignore` keeps an existing one (reference data loaded twice).
pub(super) async fn insert_card(
    conn: &mut SqliteConnection,
    card: &Card,
    or_ignore: bool,
) -> Result<(), StoreError> {
    let c = CardColumns::encode(card);
    let verb = if or_ignore {
        "INSERT OR IGNORE"
    } else {
        "INSERT"
    };
    let sql = format!(
        "{verb} INTO cards ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        card_columns!()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&c.card_id)
        .bind(&c.serial_number)
        .bind(&c.masked_number)
        .bind(&c.arrangement_number)
        .bind(&c.holder_customer_number)
        .bind(&c.owner_customer_number)
        .bind(&c.product_code)
        .bind(&c.status)
        .bind(&c.blockade_reason)
        .bind(c.expiry_date.format("%Y-%m-%d").to_string())
        .bind(&c.replaces)
        .bind(&c.replaced_by)
        .bind(to_micros(c.status_date))
        .execute(&mut *conn)
        .await?;
    Ok(())
}
