//! The `Idempotency-Key` header: a client's promise that retries of one request carry the
//! same key, so the service can answer a retry with the first result instead of acting
//! twice.

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use super::{ApiError, ErrorLiteral, FieldError};
use crate::auth::Principal;
use crate::store::IdempotencyKey;

/// Name of the header.
pub const HEADER: &str = "idempotency-key";
/// Longest key accepted.
pub const MAX_LEN: usize = 255;

/// Reads the header, if sent, into a key owned by the caller and bound to this request:
/// `operation` names the endpoint and `body` is fingerprinted in canonical JSON form so
/// that whitespace and member order do not matter.
pub fn from_request(
    headers: &HeaderMap,
    principal: &Principal,
    operation: &str,
    body: &[u8],
) -> Result<Option<IdempotencyKey>, ApiError> {
    from_request_or_id(headers, None, principal, operation, body)
}

/// As [`from_request`], but without the header the client's own id for the record
/// (`client_id`, the body's `id` member) is the key: the API family's reference clients
/// send that instead of the header (API.md section 11). Both follow the same rule.
pub fn from_request_or_id(
    headers: &HeaderMap,
    client_id: Option<&str>,
    principal: &Principal,
    operation: &str,
    body: &[u8],
) -> Result<Option<IdempotencyKey>, ApiError> {
    if let Some(id) = client_id {
        check("id", id)?;
    }
    let key = match (headers.get(HEADER), client_id) {
        (Some(value), _) => {
            let key = value.to_str().map_err(|_| {
                ApiError::field(FieldError::new(
                    "Idempotency-Key",
                    ErrorLiteral::InvalidFormat,
                    "Idempotency-Key must be printable ASCII",
                ))
            })?;
            check("Idempotency-Key", key)?;
            key
        }
        // Checked above.
        (None, Some(id)) => id,
        (None, None) => return Ok(None),
    };
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .map(|v| v.to_string().into_bytes())
        .unwrap_or_else(|_| body.to_vec());
    let mut hasher = Sha256::new();
    hasher.update(operation.as_bytes());
    hasher.update([0]);
    hasher.update(&canonical);
    Ok(Some(IdempotencyKey {
        principal: principal.idempotency_owner(),
        key: key.to_owned(),
        fingerprint: hex::encode(hasher.finalize()),
    }))
}

/// The rule of a key, header or `id`: 1 to [`MAX_LEN`] printable ASCII characters.
fn check(tag: &str, key: &str) -> Result<(), ApiError> {
    if key.is_empty() || key.len() > MAX_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::field(FieldError::new(
            tag,
            ErrorLiteral::InvalidFormat,
            format!("{tag} must be 1 to {MAX_LEN} printable ASCII characters without spaces"),
        )));
    }
    Ok(())
}

/// The 422 for a key reused with a different request.
pub fn key_reused() -> ApiError {
    ApiError::Unprocessable {
        problem: "idempotency-key-reused",
        detail: "this Idempotency-Key was already used with a different request".into(),
    }
}
