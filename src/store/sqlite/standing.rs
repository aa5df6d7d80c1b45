//! SQLite's statements for standing orders. The writer is single, so the rows a
//! transaction reads are its own until it commits: no lock clause is needed.

use chrono::NaiveDate;
use sqlx::{QueryBuilder, Sqlite};

use super::SqliteStore;
use super::order_tx::SqliteOrderTx;
use super::orders::push_in;
use crate::domain::order::OrderNumber;
use crate::domain::standing_order::StandingOrder;
use crate::store::orders::{OrderColumns, StandingOrderColumns, standing_order_columns};
use crate::store::{StoreError, to_micros};

impl SqliteStore {
    /// The active standing orders paying from `accounts`.
    pub(super) async fn standing_orders_from(
        &self,
        accounts: &[String],
    ) -> Result<Vec<StandingOrder>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new(concat!(
            "SELECT ",
            standing_order_columns!(),
            " FROM standing_orders WHERE status = 'active' AND debtor_account"
        ));
        push_in(&mut query, accounts);
        query.push(" ORDER BY order_id");
        let rows: Vec<StandingOrderColumns> =
            query.build_query_as().fetch_all(&self.reader).await?;
        rows.into_iter().map(StandingOrderColumns::decode).collect()
    }

    /// Standing orders by the numbers of the orders that set them up.
    pub(super) async fn standing_orders_set_up_by(
        &self,
        numbers: &[OrderNumber],
    ) -> Result<Vec<StandingOrder>, StoreError> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = QueryBuilder::<Sqlite>::new(concat!(
            "SELECT ",
            standing_order_columns!(),
            " FROM standing_orders WHERE order_id IN ("
        ));
        let mut list = query.separated(", ");
        for number in numbers {
            list.push_bind(number.0);
        }
        list.push_unseparated(") ORDER BY order_id");
        let rows: Vec<StandingOrderColumns> =
            query.build_query_as().fetch_all(&self.reader).await?;
        rows.into_iter().map(StandingOrderColumns::decode).collect()
    }
}

impl SqliteOrderTx {
    pub(super) async fn insert_standing(
        &mut self,
        orders: &[StandingOrder],
    ) -> Result<(), StoreError> {
        for order in orders {
            let c = StandingOrderColumns::of(order)?;
            sqlx::query(
                "INSERT INTO standing_orders (order_id, owner_customer_number, debtor_account, nickname,
                     terms_json, sequence, next_date, skip_next, status)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (order_id) DO NOTHING",
            )
            .bind(c.order_id)
            .bind(c.owner_customer_number)
            .bind(c.debtor_account)
            .bind(c.nickname)
            .bind(c.terms_json)
            .bind(c.sequence)
            .bind(c.next_date)
            .bind(c.skip_next)
            .bind(c.status)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    pub(super) async fn due_standing(
        &mut self,
        today: NaiveDate,
        limit: usize,
    ) -> Result<Vec<StandingOrder>, StoreError> {
        let rows: Vec<StandingOrderColumns> = sqlx::query_as(concat!(
            "SELECT ",
            standing_order_columns!(),
            " FROM standing_orders WHERE status = 'active' AND next_date <= $1
              ORDER BY next_date, order_id LIMIT $2"
        ))
        .bind(today)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&mut *self.tx)
        .await?;
        rows.into_iter().map(StandingOrderColumns::decode).collect()
    }

    pub(super) async fn lock_standing(
        &mut self,
        number: OrderNumber,
    ) -> Result<Option<StandingOrder>, StoreError> {
        let row: Option<StandingOrderColumns> = sqlx::query_as(concat!(
            "SELECT ",
            standing_order_columns!(),
            " FROM standing_orders WHERE order_id = $1"
        ))
        .bind(number.0)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(StandingOrderColumns::decode).transpose()
    }

    pub(super) async fn update_standing(
        &mut self,
        orders: &[(StandingOrder, u32)],
    ) -> Result<bool, StoreError> {
        // One statement per row: the single writer makes each a local call, not a trip.
        for (order, from_sequence) in orders {
            let c = StandingOrderColumns::of(order)?;
            let done = sqlx::query(
                "UPDATE standing_orders SET nickname = $1, sequence = $2, next_date = $3,
                        skip_next = $4, status = $5
                  WHERE order_id = $6 AND sequence = $7",
            )
            .bind(c.nickname)
            .bind(c.sequence)
            .bind(c.next_date)
            .bind(c.skip_next)
            .bind(c.status)
            .bind(c.order_id)
            .bind(i64::from(*from_sequence))
            .execute(&mut *self.tx)
            .await?;
            if done.rows_affected() != 1 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    pub(super) async fn import_order(&mut self, c: &OrderColumns) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO orders (order_id, kind, serial_key, duplicate_key, card_id, arrangement_number,
                 owner_customer_number, holder_customer_number, request_json, description, status,
                 status_date, creation_date, deadline, current_step, phase, next_run_at, steps_json,
                 rejection_reason, result_card_id, hold_reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20, $21)
             ON CONFLICT (order_id) DO NOTHING",
        )
        .bind(c.order_id)
        .bind(&c.kind)
        .bind(&c.serial_key)
        .bind(&c.duplicate_key)
        .bind(&c.card_id)
        .bind(&c.arrangement_number)
        .bind(&c.owner_customer_number)
        .bind(&c.holder_customer_number)
        .bind(&c.request_json)
        .bind(&c.description)
        .bind(&c.status)
        .bind(to_micros(c.status_date))
        .bind(to_micros(c.creation_date))
        .bind(to_micros(c.deadline))
        .bind(c.current_step)
        .bind(&c.phase)
        .bind(c.next_run_at.map(to_micros))
        .bind(&c.steps_json)
        .bind(&c.rejection_reason)
        .bind(&c.result_card_id)
        .bind(&c.hold_reason)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
