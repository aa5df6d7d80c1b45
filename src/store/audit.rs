//! The audit trail's storage: records are appended in batches and read back by staff.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::page::PageRequest;

/// One changing request: who made it, what it asked, what it touched, how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    /// Assigned by the store, increasing; 0 before it is stored.
    pub id: i64,
    /// When the answer was sent.
    pub recorded_at: DateTime<Utc>,
    /// The token's `sub`.
    pub subject: String,
    /// The token's OAuth client, if it names one.
    pub client: Option<String>,
    /// The customer a customer token acts for; `None` for staff.
    pub acting_for: Option<String>,
    /// `POST`, `PUT`, ...
    pub method: String,
    /// The request path (never the query, which could carry anything).
    pub path: String,
    /// The order number or event id the request created or acted on, when there is one.
    pub target: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
    /// The request's `x-request-id`, to find its log lines.
    pub request_id: Option<String>,
}

/// Which records a staff member asks for, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this subject's requests.
    pub subject: Option<String>,
    /// Only requests about this order or event.
    pub target: Option<String>,
    /// Which slice.
    pub page: PageRequest,
}

/// Where the audit trail is kept.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends records in one transaction.
    async fn append_audit(&self, records: &[AuditRecord]) -> Result<(), StoreError>;
    /// A page of records, newest first, and how many match.
    async fn list_audit(&self, filter: &AuditFilter)
    -> Result<(Vec<AuditRecord>, u64), StoreError>;
}
