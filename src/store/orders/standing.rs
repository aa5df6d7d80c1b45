//! Standing orders in the store, written once over the backends' statements: their
//! columns, the schedule's run (each due date becomes a payment order in the same
//! transaction that moves the standing order past it), and the customer's changes
//! taken under the row's lock.

use chrono::NaiveDate;

use super::columns::customer_number;
use super::writes::Wake;
use super::{Decision, OrderColumns, OrderStore};
use crate::domain::execution::Refusal;
use crate::domain::order::{Order, OrderNumber};
use crate::domain::standing_order::{Due, StandingOrder, StandingOrderStatus, Terms};
use crate::store::StoreError;

/// A standing order's stored columns, as both backends select them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct StandingOrderColumns {
    pub order_id: i64,
    pub owner_customer_number: String,
    pub debtor_account: String,
    pub nickname: String,
    pub terms_json: String,
    pub sequence: i64,
    pub next_date: Option<NaiveDate>,
    pub skip_next: bool,
    pub status: String,
}

/// The column list every statement selects, in [`StandingOrderColumns`]' order.
macro_rules! standing_order_columns {
    () => {
        "order_id, owner_customer_number, debtor_account, nickname, terms_json, sequence, next_date, skip_next, status"
    };
}
pub(crate) use standing_order_columns;

impl StandingOrderColumns {
    /// The columns of `order` as it now stands.
    pub(crate) fn of(order: &StandingOrder) -> Result<Self, StoreError> {
        Ok(Self {
            order_id: order.number.0,
            owner_customer_number: order.owner.to_string(),
            debtor_account: order.terms.debtor.to_string(),
            nickname: order.nickname.clone(),
            terms_json: serde_json::to_string(&order.terms)
                .map_err(|e| StoreError::Other(e.into()))?,
            sequence: i64::from(order.sequence),
            next_date: order.next_date(),
            skip_next: order.skip_next,
            status: order.status.as_str().to_owned(),
        })
    }

    /// The standing order these columns describe.
    pub(crate) fn decode(self) -> Result<StandingOrder, StoreError> {
        let corrupt = |what: &str| {
            StoreError::Other(anyhow::anyhow!(
                "standing order {}: stored {what} is not valid",
                OrderNumber(self.order_id)
            ))
        };
        let terms: Terms = serde_json::from_str(&self.terms_json).map_err(|_| corrupt("terms"))?;
        let status =
            StandingOrderStatus::from_stored(&self.status).ok_or_else(|| corrupt("status"))?;
        let sequence = u32::try_from(self.sequence).map_err(|_| corrupt("sequence"))?;
        Ok(StandingOrder {
            number: OrderNumber(self.order_id),
            owner: customer_number(&self.owner_customer_number)?,
            nickname: self.nickname,
            terms,
            sequence,
            skip_next: self.skip_next,
            status,
        })
    }
}

/// What one run of the schedule did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scheduled {
    /// Standing orders moved on (paid, skipped or ended).
    pub standing_orders: usize,
    /// Payment orders created.
    pub payments: usize,
}

impl dyn OrderStore + '_ {
    /// Runs the schedule on `today` for up to `limit` standing orders: each date due
    /// becomes the payment order `payment` makes of it, inserted in the transaction that
    /// moves the standing order past the date (compare and set on its sequence). Two
    /// processes running it at once therefore cannot both pay a date: the rows are
    /// locked, and a sequence moved under a writer's feet rolls its whole run back.
    pub async fn run_standing_orders(
        &self,
        today: NaiveDate,
        limit: usize,
        payment: &(dyn Fn(&StandingOrder, Due) -> Order + Sync),
    ) -> Result<Scheduled, StoreError> {
        let mut tx = self.begin().await?;
        let due = tx.due_standing_orders(today, limit).await?;
        if due.is_empty() {
            return Ok(Scheduled::default());
        }
        let mut orders = Vec::new();
        let mut moved = Vec::with_capacity(due.len());
        for standing in due {
            let Some(falling) = standing.fall_due(today) else {
                continue;
            };
            for date in falling.payments {
                orders.push(OrderColumns::encode(&payment(&standing, date))?);
            }
            moved.push((falling.after, standing.sequence));
        }
        if !orders.is_empty() {
            tx.insert_orders(&orders).await?;
        }
        if !tx.update_standing_orders(&moved).await? {
            return Err(StoreError::Conflict(
                "a standing order moved on while it was being scheduled".into(),
            ));
        }
        let wake = if orders.is_empty() {
            Wake::Nobody
        } else {
            Wake::Engines
        };
        self.commit(tx, wake).await?;
        Ok(Scheduled {
            standing_orders: moved.len(),
            payments: orders.len(),
        })
    }

    /// Records a standing order set up before the demo began, with the completed order
    /// that set it up under that order's own number; both are left alone if there.
    pub async fn import_standing_order(
        &self,
        order: &Order,
        standing: &StandingOrder,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.import_order(&OrderColumns::encode(order)?).await?;
        tx.insert_standing_orders(std::slice::from_ref(standing))
            .await?;
        tx.commit().await
    }

    /// The customer's change of a standing order (rename, skip, cancel), judged by
    /// `rule` on the order as it stands under its row's lock.
    pub async fn change_standing_order(
        &self,
        number: OrderNumber,
        rule: impl FnOnce(&StandingOrder) -> Result<StandingOrder, Refusal> + Send,
    ) -> Result<Decision<StandingOrder>, StoreError> {
        let mut tx = self.begin().await?;
        let Some(current) = tx.lock_standing_order(number).await? else {
            return Ok(Decision::NotFound);
        };
        let changed = match rule(&current) {
            Ok(changed) => changed,
            Err(refusal) => return Ok(Decision::Refused(refusal)),
        };
        if !tx
            .update_standing_orders(&[(changed.clone(), current.sequence)])
            .await?
        {
            return Err(StoreError::Conflict(format!(
                "standing order {number} moved on while it was being changed"
            )));
        }
        tx.commit().await?;
        Ok(Decision::Done(changed))
    }
}
