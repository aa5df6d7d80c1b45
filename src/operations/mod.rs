//! The port to the bank's systems of record (API.md section 7): an order's action step
//! is an operation that an adapter carries out. Two adapters: [`BuiltIn`], where bankapi
//! is its own system of record (the default: the demo, the tests, trying it out), and
//! [`http::HttpOperations`], which calls the card processor or core banking.

use std::sync::Arc;

use async_trait::async_trait;

use crate::domain::operation::{Operation, Outcome};

pub mod contract;
pub mod http;

/// Carries operations to a system of record.
#[async_trait]
pub trait Operations: Send + Sync {
    /// Whether operations are applied in this process with no I/O. The engine then
    /// applies the effect in the step's own transaction; otherwise it first records the
    /// step as started (the point after which the order can no longer be canceled), calls
    /// with no transaction open, and writes the answer afterwards.
    fn is_local(&self) -> bool;

    /// One call: a first request or, when the operation carries a reference, a poll.
    /// Never fails: whatever goes wrong is an [`Outcome`] the order's step handles.
    async fn call(&self, operation: &Operation) -> Outcome;
}

/// bankapi as its own system of record: an operation is done the moment its step is due
/// (the step's configured duration stands for the processing time), and the engine
/// applies its effect to bankapi's tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuiltIn;

#[async_trait]
impl Operations for BuiltIn {
    fn is_local(&self) -> bool {
        true
    }

    async fn call(&self, _operation: &Operation) -> Outcome {
        Outcome::applied_here()
    }
}

/// The adapter the settings choose: HTTP when `BANKAPI_OPERATIONS_URL` is set.
pub fn from_settings(settings: &crate::config::Settings) -> anyhow::Result<Arc<dyn Operations>> {
    Ok(match &settings.operations_url {
        Some(url) => Arc::new(http::HttpOperations::new(
            url,
            settings.operations_token.clone(),
            std::time::Duration::from_secs_f64(settings.operations_timeout_seconds.max(0.001)),
        )?),
        None => Arc::new(BuiltIn),
    })
}
