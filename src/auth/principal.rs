//! The verified caller, its scopes, and the request extractor that produces it.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::verify::TokenVerifier;
use crate::domain::CustomerNumber;
use crate::http::ApiError;
use crate::http::rate_limit::{ClientRateLimiter, StandingSlot};

/// The scopes of API.md section 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Read orders, cards and classifications.
    OrderRead,
    /// Place and cancel orders.
    OrderWrite,
    /// Read customer events.
    EventRead,
    /// Register customer events.
    EventWrite,
    /// Act for any customer.
    Staff,
}

impl Scope {
    /// The scope as it appears in a token.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderRead => "customer-order:read",
            Self::OrderWrite => "customer-order:write",
            Self::EventRead => "customer-event:read",
            Self::EventWrite => "customer-event:write",
            Self::Staff => "bank:staff",
        }
    }
}

/// Who is calling, as established by a verified access token.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token's `sub`.
    pub subject: String,
    /// The OAuth client (`client_id` or `azp`), when the token names one.
    pub client: Option<String>,
    /// The customer a non-staff token acts for.
    pub customer_number: Option<CustomerNumber>,
    /// Granted scopes.
    pub scopes: Vec<String>,
}

impl Principal {
    /// Whether the token carries `scope`.
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|s| s == scope.as_str())
    }

    /// Refuses with 403 unless the token carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.has(scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this operation needs the scope {}",
                scope.as_str()
            )))
        }
    }

    /// Staff act for any customer.
    pub fn is_staff(&self) -> bool {
        self.has(Scope::Staff)
    }

    /// Whether the caller may see or act on `customer`'s data.
    pub fn may_act_for(&self, customer: &CustomerNumber) -> bool {
        self.is_staff() || self.customer_number.as_ref() == Some(customer)
    }

    /// The owner of idempotency keys: keys of different callers never collide.
    pub fn idempotency_owner(&self) -> String {
        format!("{}|{}", self.client.as_deref().unwrap_or(""), self.subject)
    }
}

impl<S> FromRequestParts<S> for Principal
where
    S: Send + Sync,
    Arc<TokenVerifier>: FromRef<S>,
    ClientRateLimiter: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts)?;
        let verifier = Arc::<TokenVerifier>::from_ref(state);
        let principal = verifier.verify(token).await.map_err(|error| {
            tracing::info!(%error, "token refused");
            ApiError::Unauthorized {
                detail: format!("the access token is not valid: {error}"),
                token_sent: true,
            }
        })?;
        tracing::Span::current().record("subject", principal.subject.as_str());
        if let Some(slot) = parts.extensions.get::<crate::audit::AuditSlot>() {
            slot.fill(&principal);
        }
        if let Some(standing) = ClientRateLimiter::from_ref(state).check(&principal)?
            && let Some(slot) = parts.extensions.get::<StandingSlot>()
        {
            slot.fill(standing);
        }
        Ok(principal)
    }
}

/// The token of an `Authorization: Bearer ...` header; the scheme word in any case.
fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    let missing = || ApiError::Unauthorized {
        detail: "send an access token as Authorization: Bearer <token>".into(),
        token_sent: false,
    };
    let value = parts.headers.get(AUTHORIZATION).ok_or_else(missing)?;
    let value = value.to_str().map_err(|_| ApiError::Unauthorized {
        detail: "the Authorization header is not readable text".into(),
        token_sent: true,
    })?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(missing());
    }
    Ok(token.trim())
}
