//! `GET /audit/records`: the audit trail, newest first, for staff only.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::{Principal, Scope};
use crate::http::extract::ApiQuery;
use crate::http::paging::{Page, PageRequest};
use crate::http::{ApiError, Errors};
use crate::state::AppState;
use crate::store::{AuditFilter, AuditRecord};

/// Filters of the audit trail.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AuditQuery {
    /// Only this token subject's requests.
    subject: Option<String>,
    /// Only requests about this order number or event id.
    target: Option<String>,
    page_size: Option<String>,
    page_number: Option<String>,
    page: Option<String>,
}

/// One record as staff see it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AuditView {
    audit_id: i64,
    recorded_at: DateTime<Utc>,
    subject: String,
    client: Option<String>,
    acting_for: Option<String>,
    method: String,
    path: String,
    target: Option<String>,
    status: u16,
    request_id: Option<String>,
}

impl From<AuditRecord> for AuditView {
    fn from(r: AuditRecord) -> Self {
        Self {
            audit_id: r.id,
            recorded_at: r.recorded_at,
            subject: r.subject,
            client: r.client,
            acting_for: r.acting_for,
            method: r.method,
            path: r.path,
            target: r.target,
            status: r.status,
            request_id: r.request_id,
        }
    }
}

/// Lists audit records; 403 for anyone but staff.
pub async fn list_records(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<Page<AuditView>>, ApiError> {
    principal.require(Scope::Staff)?;
    let mut errors = Errors::new();
    let page = PageRequest::parse(
        query.page_size.as_deref(),
        query.page_number.as_deref(),
        query.page.as_deref(),
        &mut errors,
    );
    errors.finish()?;
    let filter = AuditFilter {
        subject: query.subject.clone(),
        target: query.target.clone(),
        page,
    };
    let (records, total) = state.stores.audit.list_audit(&filter).await?;
    let items = records.into_iter().map(AuditView::from).collect();
    Ok(Json(Page::new(page, total, items, |n| {
        state.links.with_query(
            "/audit/records",
            &[
                ("page-size", Some(&page.size.to_string())),
                ("page-number", Some(&n.to_string())),
                ("subject", query.subject.as_deref()),
                ("target", query.target.as_deref()),
            ],
        )
    })))
}
