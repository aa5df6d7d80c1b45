//! PostgreSQL's statements for standing orders. The due rows are claimed with `FOR UPDATE
//! SKIP LOCKED`, so several processes run the schedule side by side on different rows.

use chrono::NaiveDate;

use super::PgStore;
use super::order_tx::PgOrderTx;
use crate::domain::order::OrderNumber;
use crate::domain::standing_order::StandingOrder;
use crate::store::StoreError;
use crate::store::orders::{OrderColumns, StandingOrderColumns, standing_order_columns};

impl PgStore {
    /// The active standing orders paying from `accounts`.
    pub(super) async fn standing_orders_from(
        &self,
        accounts: &[String],
    ) -> Result<Vec<StandingOrder>, StoreError> {
        let rows: Vec<StandingOrderColumns> = sqlx::query_as(concat!(
            "SELECT ",
            standing_order_columns!(),
            " FROM standing_orders WHERE status = 'active' AND debtor_account = ANY($1)
              ORDER BY order_id"
        ))
        .bind(accounts)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(StandingOrderColumns::decode).collect()
    }

    /// Standing orders by the numbers of the orders that set them up.
    pub(super) async fn standing_orders_set_up_by(
        &self,
        numbers: &[OrderNumber],
    ) -> Result<Vec<StandingOrder>, StoreError> {
        let ids: Vec<i64> = numbers.iter().map(|number| number.0).collect();
        let rows: Vec<StandingOrderColumns> = sqlx::query_as(concat!(
            "SELECT ",
            standing_order_columns!(),
            " FROM standing_orders WHERE order_id = ANY($1) ORDER BY order_id"
        ))
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(StandingOrderColumns::decode).collect()
    }
}

impl PgOrderTx {
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
              ORDER BY next_date, order_id LIMIT $2 FOR UPDATE SKIP LOCKED"
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
            " FROM standing_orders WHERE order_id = $1 FOR UPDATE"
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
        // One statement for the whole run: a round trip per standing order was most of
        // what scheduling 10,000 at once cost.
        let mut ids = Vec::with_capacity(orders.len());
        let mut froms = Vec::with_capacity(orders.len());
        let mut nicknames = Vec::with_capacity(orders.len());
        let mut sequences = Vec::with_capacity(orders.len());
        let mut next_dates = Vec::with_capacity(orders.len());
        let mut skips = Vec::with_capacity(orders.len());
        let mut statuses = Vec::with_capacity(orders.len());
        for (order, from_sequence) in orders {
            let c = StandingOrderColumns::of(order)?;
            ids.push(c.order_id);
            froms.push(i64::from(*from_sequence));
            nicknames.push(c.nickname);
            sequences.push(c.sequence);
            next_dates.push(c.next_date);
            skips.push(c.skip_next);
            statuses.push(c.status);
        }
        let done = sqlx::query(
            "UPDATE standing_orders AS s SET nickname = u.nickname, sequence = u.sequence,
                    next_date = u.next_date, skip_next = u.skip_next, status = u.status
               FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::date[],
                           $6::boolean[], $7::text[])
                    AS u (order_id, from_sequence, nickname, sequence, next_date, skip_next, status)
              WHERE s.order_id = u.order_id AND s.sequence = u.from_sequence",
        )
        .bind(&ids)
        .bind(&froms)
        .bind(&nicknames)
        .bind(&sequences)
        .bind(&next_dates)
        .bind(&skips)
        .bind(&statuses)
        .execute(&mut *self.tx)
        .await?;
        Ok(done.rows_affected() == orders.len() as u64)
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
        .bind(c.status_date)
        .bind(c.creation_date)
        .bind(c.deadline)
        .bind(c.current_step)
        .bind(&c.phase)
        .bind(c.next_run_at)
        .bind(&c.steps_json)
        .bind(&c.rejection_reason)
        .bind(&c.result_card_id)
        .bind(&c.hold_reason)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
