//! PostgreSQL's statements for webhooks (see [`crate::store::webhooks`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::PgStore;
use super::webhook_rows::{AttemptRow, DeliveryRow, DueRow, SubscriptionRow};
use crate::domain::page::PageRequest;
use crate::store::StoreError;
use crate::store::webhooks::{
    Attempt, Delivery, DeliveryStatus, DueDelivery, NewDelivery, NewSubscription, Subscription,
    WebhookStore, WebhookTx, kinds_column, page_bounds, secrets_at,
};

macro_rules! subscription_columns {
    () => {
        "subscription_id, url, description, event_kinds, customer_number, order_updates, secret,
         previous_secret, previous_secret_until, failing_since, created_at"
    };
}

macro_rules! delivery_columns {
    ($p:literal) => {
        concat!(
            $p,
            "delivery_id, ",
            $p,
            "subscription_id, ",
            $p,
            "message_id, ",
            $p,
            "customer_number, ",
            $p,
            "event_type, ",
            $p,
            "payload, ",
            $p,
            "created_at, ",
            $p,
            "status, ",
            $p,
            "attempts, ",
            $p,
            "next_attempt_at"
        )
    };
}

#[async_trait]
impl WebhookStore for PgStore {
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
        .bind(new.created_at)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn subscription(&self, id: i64) -> Result<Option<Subscription>, StoreError> {
        let row: Option<SubscriptionRow> = sqlx::query_as(concat!(
            "SELECT ",
            subscription_columns!(),
            " FROM webhook_subscriptions WHERE subscription_id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Subscription::from))
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
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_subscriptions")
            .fetch_one(&self.pool)
            .await?;
        Ok((
            rows.into_iter().map(Subscription::from).collect(),
            u64::try_from(total).unwrap_or_default(),
        ))
    }

    async fn has_subscriptions(&self) -> Result<bool, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM webhook_subscriptions)")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let rows: Vec<SubscriptionRow> = sqlx::query_as(concat!(
            "SELECT ",
            subscription_columns!(),
            " FROM webhook_subscriptions ORDER BY subscription_id"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Subscription::from).collect())
    }

    async fn delete_subscription(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM webhook_subscriptions WHERE subscription_id = $1")
            .bind(id)
            .execute(&self.pool)
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
        .bind(overlap_until)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_deliveries(&self, deliveries: &[NewDelivery]) -> Result<(), StoreError> {
        if deliveries.is_empty() {
            return Ok(());
        }
        let column = |f: fn(&NewDelivery) -> &str| deliveries.iter().map(f).collect::<Vec<_>>();
        let ids: Vec<i64> = deliveries.iter().map(|d| d.subscription_id).collect();
        let times: Vec<DateTime<Utc>> = deliveries.iter().map(|d| d.created_at).collect();
        sqlx::query(
            "INSERT INTO webhook_deliveries (subscription_id, message_id, customer_number, event_type, payload,
                 created_at, status, next_attempt_at)
             SELECT s, m, c, t, p, at, 'pending', at
             FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
                 AS u(s, m, c, t, p, at)
             ON CONFLICT (subscription_id, message_id) DO NOTHING",
        )
        .bind(&ids)
        .bind(column(|d| &d.message_id))
        .bind(column(|d| &d.customer_number))
        .bind(column(|d| &d.event_type))
        .bind(column(|d| &d.payload))
        .bind(&times)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let rows: Vec<DueRow> = sqlx::query_as(concat!(
            "WITH due AS (
                 SELECT d.delivery_id FROM webhook_deliveries d
                 WHERE d.next_attempt_at <= $1 AND (d.leased_until IS NULL OR d.leased_until <= $1)
                   AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
                                   WHERE e.subscription_id = d.subscription_id AND e.customer_number = d.customer_number
                                     AND e.status = 'pending' AND e.delivery_id < d.delivery_id)
                 ORDER BY d.next_attempt_at, d.delivery_id LIMIT $3
                 FOR UPDATE OF d SKIP LOCKED
             )
             UPDATE webhook_deliveries d SET lease_token = d.lease_token + 1, leased_until = $2
             FROM due, webhook_subscriptions s
             WHERE d.delivery_id = due.delivery_id AND s.subscription_id = d.subscription_id
             RETURNING ",
            delivery_columns!("d."),
            ", d.lease_token, s.url, s.secret, s.previous_secret, s.previous_secret_until"
        ))
        .bind(now)
        .bind(until)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(DueDelivery {
                    delivery: r.delivery.into_delivery()?,
                    token: r.lease_token,
                    url: r.url,
                    secrets: secrets_at(r.secret, r.previous_secret, r.previous_secret_until, now),
                })
            })
            .collect()
    }

    async fn begin_webhooks(&self) -> Result<Box<dyn WebhookTx>, StoreError> {
        Ok(Box::new(PgWebhookTx(self.pool.begin().await?)))
    }

    async fn deliveries(
        &self,
        subscription_id: i64,
        page: PageRequest,
    ) -> Result<(Vec<(Delivery, Vec<Attempt>)>, u64), StoreError> {
        let (size, offset) = page_bounds(page);
        let rows: Vec<DeliveryRow> = sqlx::query_as(concat!(
            "SELECT ",
            delivery_columns!(""),
            " FROM webhook_deliveries WHERE subscription_id = $1
              ORDER BY delivery_id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(subscription_id)
        .bind(size)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_deliveries WHERE subscription_id = $1",
        )
        .bind(subscription_id)
        .fetch_one(&self.pool)
        .await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.delivery_id).collect();
        let attempts: Vec<AttemptRow> = sqlx::query_as(
            "SELECT delivery_id, attempted_at, status_code, duration_ms, error FROM webhook_attempts
             WHERE delivery_id = ANY($1) ORDER BY delivery_id, attempt_id",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await?;
        let deliveries = crate::store::webhooks::with_attempts(
            rows.into_iter()
                .map(DeliveryRow::into_delivery)
                .collect::<Result<_, _>>()?,
            attempts
                .into_iter()
                .map(|a| (a.delivery_id, a.into_attempt()))
                .collect(),
        );
        Ok((deliveries, u64::try_from(total).unwrap_or_default()))
    }
}

/// A webhook transaction on a pooled connection.
struct PgWebhookTx(sqlx::Transaction<'static, sqlx::Postgres>);

#[async_trait]
impl WebhookTx for PgWebhookTx {
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
        .bind(next_attempt_at)
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
        .bind(attempt.attempted_at)
        .bind(attempt.status_code.map(i32::from))
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
            .bind(since)
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
        .bind(now)
        .execute(&mut *self.0)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.0.commit().await?;
        Ok(())
    }
}
