//! SQLite's statements for webhooks (see [`crate::store::webhooks`]). Instants are
//! microseconds; the single writer makes a claim exclusive without row locks.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite};

use super::SqliteStore;
use super::webhook_rows::{AttemptRow, ClaimedRow, DeliveryRow, SubscriptionRow};
use crate::domain::page::PageRequest;
use crate::store::webhooks::{
    Attempt, Delivery, DeliveryStatus, DueDelivery, NewDelivery, NewSubscription, Subscription,
    WebhookStore, WebhookTx, kinds_column, page_bounds, secrets_at, with_attempts,
};
use crate::store::{StoreError, from_micros, to_micros};

macro_rules! subscription_columns {
    () => {
        "subscription_id, url, description, event_kinds, customer_number, order_updates, secret,
         previous_secret, previous_secret_until, failing_since, created_at"
    };
}

macro_rules! delivery_columns {
    () => {
        "delivery_id, subscription_id, message_id, customer_number, event_type, payload, created_at,
         status, attempts, next_attempt_at"
    };
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn create_subscription(&self, new: &NewSubscription) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO webhook_subscriptions (url, description, event_kinds, customer_number, order_updates, secret, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING subscription_id",
        )
        .bind(&new.url)
        .bind(&new.description)
        .bind(kinds_column(&new.event_kinds))
        .bind(&new.customer_number)
        .bind(new.order_updates)
        .bind(&new.secret)
        .bind(to_micros(new.created_at))
        .fetch_one(&self.writer)
        .await?)
    }

    async fn subscription(&self, id: i64) -> Result<Option<Subscription>, StoreError> {
        let row: Option<SubscriptionRow> = sqlx::query_as(concat!(
            "SELECT ",
            subscription_columns!(),
            " FROM webhook_subscriptions WHERE subscription_id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.reader)
        .await?;
        row.map(SubscriptionRow::into_subscription).transpose()
    }

    async fn subscriptions(
        &self,
        page: PageRequest,
    ) -> Result<(Vec<Subscription>, u64), StoreError> {
        let (size, offset) = page_bounds(page);
        let rows: Vec<SubscriptionRow> = sqlx::query_as(concat!(
            "SELECT ",
            subscription_columns!(),
            " FROM webhook_subscriptions ORDER BY subscription_id LIMIT $1 OFFSET $2"
        ))
        .bind(size)
        .bind(offset)
        .fetch_all(&self.reader)
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_subscriptions")
            .fetch_one(&self.reader)
            .await?;
        Ok((
            rows.into_iter()
                .map(SubscriptionRow::into_subscription)
                .collect::<Result<_, _>>()?,
            u64::try_from(total).unwrap_or_default(),
        ))
    }

    async fn has_subscriptions(&self) -> Result<bool, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM webhook_subscriptions)")
                .fetch_one(&self.reader)
                .await?,
        )
    }

    async fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let rows: Vec<SubscriptionRow> = sqlx::query_as(concat!(
            "SELECT ",
            subscription_columns!(),
            " FROM webhook_subscriptions ORDER BY subscription_id"
        ))
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(SubscriptionRow::into_subscription)
            .collect()
    }

    async fn delete_subscription(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM webhook_subscriptions WHERE subscription_id = $1")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn rotate_secret(
        &self,
        id: i64,
        secret: &str,
        overlap_until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE webhook_subscriptions SET previous_secret = secret, secret = $2, previous_secret_until = $3
             WHERE subscription_id = $1",
        )
        .bind(id)
        .bind(secret)
        .bind(to_micros(overlap_until))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_deliveries(&self, deliveries: &[NewDelivery]) -> Result<(), StoreError> {
        // SQLite allows 32,766 bound values; 6 per row.
        for chunk in deliveries.chunks(4000) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO webhook_deliveries (subscription_id, message_id, customer_number, event_type, payload,
                     created_at, status, next_attempt_at) ",
            );
            query.push_values(chunk, |mut row, d| {
                row.push_bind(d.subscription_id)
                    .push_bind(&d.message_id)
                    .push_bind(&d.customer_number)
                    .push_bind(&d.event_type)
                    .push_bind(&d.payload)
                    .push_bind(to_micros(d.created_at))
                    .push_bind("pending")
                    .push_bind(to_micros(d.created_at));
            });
            query.push(" ON CONFLICT (subscription_id, message_id) DO NOTHING");
            query.build().execute(&self.writer).await?;
        }
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let rows: Vec<ClaimedRow> = sqlx::query_as(concat!(
            "UPDATE webhook_deliveries SET lease_token = lease_token + 1, leased_until = $2
             WHERE delivery_id IN (
                 SELECT d.delivery_id FROM webhook_deliveries d
                 WHERE d.next_attempt_at <= $1 AND (d.leased_until IS NULL OR d.leased_until <= $1)
                   AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
                                   WHERE e.subscription_id = d.subscription_id AND e.customer_number = d.customer_number
                                     AND e.status = 'pending' AND e.delivery_id < d.delivery_id)
                 ORDER BY d.next_attempt_at, d.delivery_id LIMIT $3)
             RETURNING ",
            delivery_columns!(),
            ", lease_token"
        ))
        .bind(to_micros(now))
        .bind(to_micros(until))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.writer)
        .await?;
        // RETURNING names only the updated table's columns: the subscriptions come after.
        let subscriptions: std::collections::HashMap<i64, Subscription> = self
            .all_subscriptions()
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let mut due = Vec::with_capacity(rows.len());
        for row in rows {
            let delivery = row.delivery.into_delivery()?;
            let Some(subscription) = subscriptions.get(&delivery.subscription_id) else {
                continue; // deleted meanwhile; its deliveries went with it
            };
            due.push(DueDelivery {
                token: row.lease_token,
                url: subscription.url.clone(),
                secrets: secrets_at(
                    subscription.secret.clone(),
                    subscription.previous_secret.clone(),
                    subscription.previous_secret_until,
                    now,
                ),
                delivery,
            });
        }
        due.sort_by_key(|d| d.delivery.id);
        Ok(due)
    }

    async fn begin_webhooks(&self) -> Result<Box<dyn WebhookTx>, StoreError> {
        Ok(Box::new(SqliteWebhookTx(self.writer.begin().await?)))
    }

    async fn deliveries(
        &self,
        subscription_id: i64,
        page: PageRequest,
    ) -> Result<(Vec<(Delivery, Vec<Attempt>)>, u64), StoreError> {
        let (size, offset) = page_bounds(page);
        let rows: Vec<DeliveryRow> = sqlx::query_as(concat!(
            "SELECT ",
            delivery_columns!(),
            " FROM webhook_deliveries WHERE subscription_id = $1
              ORDER BY delivery_id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(subscription_id)
        .bind(size)
        .bind(offset)
        .fetch_all(&self.reader)
        .await?;
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id = $1",
        )
        .bind(subscription_id)
        .fetch_one(&self.reader)
        .await?;
        let mut attempts = Vec::new();
        if !rows.is_empty() {
            let mut query = QueryBuilder::<Sqlite>::new(
                "SELECT delivery_id, attempted_at, status_code, duration_ms, error FROM webhook_attempts
                 WHERE delivery_id IN (",
            );
            let mut ids = query.separated(", ");
            for row in &rows {
                ids.push_bind(row.delivery_id);
            }
            query.push(") ORDER BY delivery_id, attempt_id");
            let found: Vec<AttemptRow> = query.build_query_as().fetch_all(&self.reader).await?;
            for a in found {
                attempts.push((
                    a.delivery_id,
                    Attempt {
                        attempted_at: from_micros(a.attempted_at)?,
                        status_code: a.status_code.and_then(|c| u16::try_from(c).ok()),
                        duration_ms: u64::try_from(a.duration_ms).unwrap_or_default(),
                        error: a.error,
                    },
                ));
            }
        }
        let deliveries = rows
            .into_iter()
            .map(DeliveryRow::into_delivery)
            .collect::<Result<_, _>>()?;
        Ok((
            with_attempts(deliveries, attempts),
            u64::try_from(total).unwrap_or_default(),
        ))
    }
}

/// A webhook transaction on the single writer.
struct SqliteWebhookTx(sqlx::Transaction<'static, sqlx::Sqlite>);

#[async_trait]
impl WebhookTx for SqliteWebhookTx {
    async fn finish_attempt(
        &mut self,
        delivery_id: i64,
        token: i64,
        status: DeliveryStatus,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "UPDATE webhook_deliveries SET status = $3, next_attempt_at = $4, attempts = attempts + 1,
                    leased_until = NULL
             WHERE delivery_id = $1 AND lease_token = $2 RETURNING subscription_id",
        )
        .bind(delivery_id)
        .bind(token)
        .bind(status.as_str())
        .bind(next_attempt_at.map(to_micros))
        .fetch_optional(&mut *self.0)
        .await?)
    }

    async fn insert_attempt(
        &mut self,
        delivery_id: i64,
        attempt: &Attempt,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, duration_ms, error)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(delivery_id)
        .bind(to_micros(attempt.attempted_at))
        .bind(attempt.status_code.map(i64::from))
        .bind(i64::try_from(attempt.duration_ms).unwrap_or(i64::MAX))
        .bind(&attempt.error)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }

    async fn set_failing(
        &mut self,
        subscription_id: i64,
        since: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let sql = if since.is_some() {
            "UPDATE webhook_subscriptions SET failing_since = COALESCE(failing_since, $2) WHERE subscription_id = $1"
        } else {
            "UPDATE webhook_subscriptions SET failing_since = $2 WHERE subscription_id = $1"
        };
        sqlx::query(sql)
            .bind(subscription_id)
            .bind(since.map(to_micros))
            .execute(&mut *self.0)
            .await?;
        Ok(())
    }

    async fn reschedule(
        &mut self,
        subscription_id: i64,
        delivery_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, leased_until = NULL
             WHERE delivery_id = $2 AND subscription_id = $1",
        )
        .bind(subscription_id)
        .bind(delivery_id)
        .bind(to_micros(now))
        .execute(&mut *self.0)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.0.commit().await?;
        Ok(())
    }
}
