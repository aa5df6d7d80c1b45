//! The state every handler shares.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::audit::AuditLog;
use crate::auth::TokenVerifier;
use crate::domain::order::StepDurations;
use crate::domain::xml::XmlLimits;
use crate::http::links::Links;
use crate::http::rate_limit::ClientRateLimiter;
use crate::store::Stores;

/// Every handler extracts the state, so it is cloned on every request: one shared
/// pointer, where a struct of a dozen `Arc`s and channel senders cost a dozen atomic
/// increments and decrements per request (about 2 % of the order POST's CPU in a
/// profile). Fields are reached through `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    /// Shares `services` among the handlers.
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// What the handlers share.
pub struct Services {
    /// The database, behind its traits.
    pub stores: Stores,
    /// Checks access tokens.
    pub verifier: Arc<TokenVerifier>,
    /// Builds absolute links from the public base URL.
    pub links: Links,
    /// Bounds on client XML.
    pub xml_limits: XmlLimits,
    /// Where changing requests are recorded for the audit trail.
    pub audit: AuditLog,
    /// Each client's request budget.
    pub rate_limit: ClientRateLimiter,
    /// Where a time without an offset is read (`BANKAPI_TIME_ZONE`).
    pub time_zone: chrono_tz::Tz,
    /// Whether webhook targets may be private addresses (`BANKAPI_WEBHOOK_ALLOW_PRIVATE`).
    pub webhook_allow_private: bool,
    /// How event lists are read: first pages kept, deep pages from marks.
    pub event_pages: Arc<crate::store::event_pages::EventPages>,
    /// First pages of the event list kept as sent, while their customer's events stand.
    pub rendered_pages: Arc<crate::events::rendered::RenderedPages>,
    /// Wakes the webhook dispatcher (a redelivery was scheduled).
    pub webhook_due: Arc<tokio::sync::Notify>,
    /// The process's tail of the outbox, for live streams.
    pub feed: crate::feed::Feed,
    /// How new orders are scheduled and written.
    pub orders: OrderSettings,
}

/// What order handlers need to start a new order.
pub struct OrderSettings {
    /// Step durations, for the first step's schedule.
    pub durations: StepDurations,
    /// How long after acceptance an order may still start executing.
    pub deadline: chrono::Duration,
    /// Where accepted orders are written, in groups under load.
    pub acceptor: crate::store::orders::Acceptor,
    /// Where the card subjects of new orders are read, in groups under load.
    pub subjects: crate::store::orders::SubjectReader,
}

impl FromRef<AppState> for ClientRateLimiter {
    fn from_ref(state: &AppState) -> Self {
        state.rate_limit.clone()
    }
}

impl FromRef<AppState> for Arc<TokenVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}
