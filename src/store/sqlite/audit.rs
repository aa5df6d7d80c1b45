//! The audit trail on SQLite.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite};

use super::SqliteStore;
use crate::store::audit::{AuditFilter, AuditRecord, AuditStore};
use crate::store::{StoreError, from_micros, to_micros};

type Row = (
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    i64,
    Option<String>,
);

fn record(row: Row) -> Result<AuditRecord, StoreError> {
    let (id, at, subject, client, acting_for, method, path, target, status, request_id) = row;
    Ok(AuditRecord {
        id,
        recorded_at: from_micros(at)?,
        subject,
        client,
        acting_for,
        method,
        path,
        target,
        status: u16::try_from(status).unwrap_or(0),
        request_id,
    })
}

fn push_filter(query: &mut QueryBuilder<Sqlite>, filter: &AuditFilter) {
    query.push(" WHERE 1 = 1");
    if let Some(subject) = &filter.subject {
        query.push(" AND subject = ").push_bind(subject.clone());
    }
    if let Some(target) = &filter.target {
        query.push(" AND target = ").push_bind(target.clone());
    }
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, records: &[AuditRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut insert = QueryBuilder::<Sqlite>::new(
            "INSERT INTO audit_records (recorded_at, subject, client, acting_for, method, path, target, status, request_id) ",
        );
        insert.push_values(records, |mut row, r| {
            row.push_bind(to_micros(r.recorded_at))
                .push_bind(&r.subject)
                .push_bind(&r.client)
                .push_bind(&r.acting_for)
                .push_bind(&r.method)
                .push_bind(&r.path)
                .push_bind(&r.target)
                .push_bind(i64::from(r.status))
                .push_bind(&r.request_id);
        });
        insert.build().execute(&self.writer).await?;
        Ok(())
    }

    async fn list_audit(
        &self,
        filter: &AuditFilter,
    ) -> Result<(Vec<AuditRecord>, u64), StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT audit_id, recorded_at, subject, client, acting_for, method, path, target, status, request_id FROM audit_records",
        );
        push_filter(&mut query, filter);
        query
            .push(" ORDER BY audit_id DESC LIMIT ")
            .push_bind(i64::from(filter.page.size))
            .push(" OFFSET ")
            .push_bind(i64::try_from(filter.page.offset()).unwrap_or(i64::MAX));
        let rows: Vec<Row> = query.build_query_as().fetch_all(&self.reader).await?;
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM audit_records");
        push_filter(&mut count, filter);
        let total: i64 = count.build_query_scalar().fetch_one(&self.reader).await?;
        let records = rows.into_iter().map(record).collect::<Result<_, _>>()?;
        Ok((records, u64::try_from(total).unwrap_or(0)))
    }
}
