//! Development tokens: HS256 JWTs signed with the configured shared secret, for `bankapi
//! token`, the demo banner and the tests. A production deployment gets its tokens from the
//! bank's authorization server instead.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

use super::Scope;

/// What a development token should say.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// `sub`.
    pub subject: String,
    /// The `customer-number` claim.
    pub customer_number: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Lifetime in seconds.
    pub ttl_seconds: u64,
}

impl TokenRequest {
    /// A token for a customer with the four read/write scopes of both APIs.
    pub fn customer(customer_number: &str) -> Self {
        Self {
            subject: format!("customer-{customer_number}"),
            customer_number: Some(customer_number.to_owned()),
            scopes: default_scopes(),
            ttl_seconds: 3600,
        }
    }

    /// A staff token with every scope.
    pub fn staff() -> Self {
        let mut scopes = default_scopes();
        scopes.push(Scope::Staff.as_str().to_owned());
        Self {
            subject: "staff".into(),
            customer_number: None,
            scopes,
            ttl_seconds: 3600,
        }
    }
}

/// The read and write scopes of both APIs.
pub fn default_scopes() -> Vec<String> {
    [
        Scope::OrderRead,
        Scope::OrderWrite,
        Scope::EventRead,
        Scope::EventWrite,
    ]
    .map(|s| s.as_str().to_owned())
    .to_vec()
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    iat: u64,
    nbf: u64,
    exp: u64,
    scope: String,
    #[serde(rename = "customer-number", skip_serializing_if = "Option::is_none")]
    customer_number: Option<&'a str>,
}

/// Signs `request` with `secret` for the given issuer and audience.
pub fn mint_hs256(
    secret: &str,
    issuer: &str,
    audience: &str,
    request: &TokenRequest,
) -> anyhow::Result<String> {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = Claims {
        iss: issuer,
        aud: audience,
        sub: &request.subject,
        iat: now,
        nbf: now.saturating_sub(5),
        exp: now + request.ttl_seconds,
        scope: request.scopes.join(" "),
        customer_number: request.customer_number.as_deref(),
    };
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?)
}
