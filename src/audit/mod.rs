//! The audit trail: who (token subject and client) did what (method and path), when, to
//! which order or event, and how it ended, for every changing request a verified token
//! made, accepted or refused. Staff read it at `GET /audit/records`.
//!
//! Reads are not recorded: at tens of thousands per second they would double the
//! database's write load, and the request logs (with subject and `x-request-id`) already
//! say who read what. Records hold the path, never the query or body, and no card number
//! or token ever enters them.
//!
//! Records are written after the answer, in batches by one task, so auditing adds no
//! database round trip to a request. The task collects for up to [`LINGER`] before it
//! writes: under load that is one commit for hundreds of records instead of one for
//! every few, and commits (each a flush to disk) are what the event writer queues
//! behind. The price is a window of a few milliseconds: a crash can lose the records of
//! the last answers sent (never an order or an event, which are committed before their
//! answer).

mod records;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use records::{ROOT, list_records, router};

use crate::auth::Principal;
use crate::state::AppState;
use crate::store::{AuditRecord, AuditStore};

/// Records waiting to be written, at most; when full, requests wait for the writer.
const QUEUE: usize = 4096;
/// Most records written in one statement.
const BATCH: usize = 512;
/// How long the writer collects records, after the first, before it writes them.
const LINGER: Duration = Duration::from_millis(10);
/// How often a failed batch is tried again before it is given up (and logged).
const ATTEMPTS: u32 = 10;

/// Who a request's token was, filled in by the [`Principal`] extractor for the audit
/// middleware, which runs outside the handler and cannot see its arguments.
#[derive(Clone, Default)]
pub struct AuditSlot(Arc<OnceLock<Actor>>);

#[derive(Debug, Clone)]
struct Actor {
    subject: String,
    client: Option<String>,
    acting_for: Option<String>,
}

impl AuditSlot {
    /// Notes the verified caller of this request.
    pub fn fill(&self, principal: &Principal) {
        let _ = self.0.set(Actor {
            subject: principal.subject.clone(),
            client: principal.client.clone(),
            acting_for: principal
                .customer_number
                .as_ref()
                .map(|c| c.as_str().to_owned()),
        });
    }
}

/// The queue in front of the audit store.
#[derive(Clone)]
pub struct AuditLog {
    sender: mpsc::Sender<AuditRecord>,
}

impl AuditLog {
    /// Starts the writer; it ends, after writing what is queued, when the last
    /// [`AuditLog`] is dropped.
    pub fn start(store: Arc<dyn AuditStore>) -> (Self, JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(QUEUE);
        (Self { sender }, tokio::spawn(write(store, receiver)))
    }

    async fn record(&self, record: AuditRecord) {
        if self.sender.send(record).await.is_err() {
            tracing::error!("the audit writer has stopped; a record was lost");
        }
    }
}

async fn write(store: Arc<dyn AuditStore>, mut receiver: mpsc::Receiver<AuditRecord>) {
    let mut batch = Vec::with_capacity(BATCH);
    while receiver.recv_many(&mut batch, BATCH).await > 0 {
        let deadline = tokio::time::Instant::now() + LINGER;
        while batch.len() < BATCH {
            let room = BATCH - batch.len();
            match tokio::time::timeout_at(deadline, receiver.recv_many(&mut batch, room)).await {
                Ok(0) | Err(_) => break, // closed (shutting down), or time to write
                Ok(_) => {}
            }
        }
        let mut attempt = 1;
        loop {
            match store.append_audit(&batch).await {
                Ok(()) => break,
                Err(error) if attempt < ATTEMPTS => {
                    tracing::warn!(%error, attempt, "cannot write the audit trail yet; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    attempt += 1;
                }
                Err(error) => {
                    tracing::error!(%error, lost = batch.len(), "audit records could not be written");
                    metrics::counter!("bankapi_audit_records_lost_total")
                        .increment(batch.len() as u64);
                    break;
                }
            }
        }
        batch.clear();
    }
}

/// Middleware: records every changing request whose token verified.
pub async fn record_changes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let slot = AuditSlot::default();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut request = request;
    request.extensions_mut().insert(slot.clone());
    let response = next.run(request).await;
    if let Some(actor) = slot.0.get() {
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok());
        state
            .audit
            .record(AuditRecord {
                id: 0,
                recorded_at: Utc::now(),
                subject: actor.subject.clone(),
                client: actor.client.clone(),
                acting_for: actor.acting_for.clone(),
                method,
                target: target_of(location, &path),
                path,
                status: response.status().as_u16(),
                request_id,
            })
            .await;
    }
    response
}

/// The order number or event id a request is about: the one its answer created
/// (`Location`), else the last id in its path.
fn target_of(location: Option<&str>, path: &str) -> Option<String> {
    let created = location.and_then(|l| l.rsplit('/').next());
    created
        .into_iter()
        .chain(path.rsplit('/'))
        .find(|segment| is_id(segment))
        .map(str::to_owned)
}

fn is_id(segment: &str) -> bool {
    let digits = segment.strip_prefix("WI").unwrap_or(segment);
    !digits.is_empty() && digits.len() <= 19 && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_is_what_was_created_or_acted_on() {
        assert_eq!(
            target_of(
                Some("http://h/customer-order/v2.0/card-activations/WI0000000007"),
                "/customer-order/card-activations"
            )
            .as_deref(),
            Some("WI0000000007")
        );
        assert_eq!(
            target_of(None, "/customer-order/card-blockades/WI0000000003/cancel").as_deref(),
            Some("WI0000000003")
        );
        assert_eq!(
            target_of(
                Some("http://h/customer-event/v2.0/events/258243"),
                "/customer-event/events"
            )
            .as_deref(),
            Some("258243")
        );
        assert_eq!(target_of(None, "/customer-order/card-activations"), None);
    }
}
