//! Cross-origin calls from the bank's own web pages (API.md section 11): only the origins
//! `BANKAPI_CORS_ALLOWED_ORIGINS` names, none by default. tower-http's `CorsLayer` answers
//! the preflight and adds the headers; this module only says what it allows.

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may reuse a preflight's answer.
const PREFLIGHT_MAX_AGE_SECONDS: u64 = 600;

/// The layer for `origins` (already checked by `Settings::validate`); `None` when there are
/// none, so that no CORS header is ever sent.
pub fn layer(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PUT])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_NONE_MATCH,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("x-request-id"),
            ])
            // What a page's script may read of an answer besides the simple headers.
            .expose_headers([
                header::LOCATION,
                header::RETRY_AFTER,
                header::ETAG,
                HeaderName::from_static("x-request-id"),
                HeaderName::from_static("ratelimit"),
                HeaderName::from_static("ratelimit-policy"),
            ])
            .max_age(std::time::Duration::from_secs(PREFLIGHT_MAX_AGE_SECONDS)),
    )
}
