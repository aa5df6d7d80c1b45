//! The audit trail on PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder};

use super::PgStore;
use crate::store::StoreError;
use crate::store::audit::{AuditFilter, AuditRecord, AuditStore};

type Row = (
    i64,
    DateTime<Utc>,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    i32,
    Option<String>,
);

fn record(row: Row) -> AuditRecord {
    let (id, recorded_at, subject, client, acting_for, method, path, target, status, request_id) =
        row;
    AuditRecord {
        id,
        recorded_at,
        subject,
        client,
        acting_for,
        method,
        path,
        target,
        status: u16::try_from(status).unwrap_or(0),
        request_id,
    }
}

fn push_filter(query: &mut QueryBuilder<Postgres>, filter: &AuditFilter) {
    query.push(" WHERE 1 = 1");
    if let Some(subject) = &filter.subject {
        query.push(" AND subject = ").push_bind(subject.clone());
    }
    if let Some(target) = &filter.target {
        query.push(" AND target = ").push_bind(target.clone());
    }
}

#[async_trait]
impl AuditStore for PgStore {
    async fn append_audit(&self, records: &[AuditRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        // Arrays, not a VALUES list: the statement text, and so its prepared statement
        // and plan, stay the same whatever the batch's size.
        let mut recorded_at = Vec::with_capacity(records.len());
        let mut subjects = Vec::with_capacity(records.len());
        let mut clients = Vec::with_capacity(records.len());
        let mut acting_for = Vec::with_capacity(records.len());
        let mut methods = Vec::with_capacity(records.len());
        let mut paths = Vec::with_capacity(records.len());
        let mut targets = Vec::with_capacity(records.len());
        let mut statuses = Vec::with_capacity(records.len());
        let mut request_ids = Vec::with_capacity(records.len());
        for r in records {
            recorded_at.push(r.recorded_at);
            subjects.push(r.subject.as_str());
            clients.push(r.client.as_deref());
            acting_for.push(r.acting_for.as_deref());
            methods.push(r.method.as_str());
            paths.push(r.path.as_str());
            targets.push(r.target.as_deref());
            statuses.push(i32::from(r.status));
            request_ids.push(r.request_id.as_deref());
        }
        sqlx::query(
            "INSERT INTO audit_records (recorded_at, subject, client, acting_for, method, path, target, status, request_id)
             SELECT * FROM UNNEST($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[],
                                  $6::text[], $7::text[], $8::int[], $9::text[])",
        )
        .bind(&recorded_at)
        .bind(&subjects)
        .bind(&clients)
        .bind(&acting_for)
        .bind(&methods)
        .bind(&paths)
        .bind(&targets)
        .bind(&statuses)
        .bind(&request_ids)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn list_audit(
        &self,
        filter: &AuditFilter,
    ) -> Result<(Vec<AuditRecord>, u64), StoreError> {
        let mut query = QueryBuilder::<Postgres>::new(
            "SELECT audit_id, recorded_at, subject, client, acting_for, method, path, target, status, request_id FROM audit_records",
        );
        push_filter(&mut query, filter);
        query
            .push(" ORDER BY audit_id DESC LIMIT ")
            .push_bind(i64::from(filter.page.size))
            .push(" OFFSET ")
            .push_bind(i64::try_from(filter.page.offset()).unwrap_or(i64::MAX));
        let rows: Vec<Row> = query.build_query_as().fetch_all(&self.pool).await?;
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM audit_records");
        push_filter(&mut count, filter);
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;
        Ok((
            rows.into_iter().map(record).collect(),
            u64::try_from(total).unwrap_or(0),
        ))
    }
}
