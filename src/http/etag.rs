//! Conditional GETs (API.md section 11): every successful GET answer carries an `ETag`,
//! and a client that sends it back in `If-None-Match` gets `304 Not Modified` without
//! the body, so an app that polls a page or an order pays for the bytes only when
//! something changed.
//!
//! The tag is a digest of the body as it would be sent, computed once here for every GET
//! rather than by each handler: a page changes with its items, its counts and its links,
//! and only the bytes see all of them. The handler still runs (the answer must be
//! computed to be compared); what a match saves is the transfer and the client's parsing.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The longest `If-None-Match` taken, as documented: room for dozens of tags.
pub const MAX_IF_NONE_MATCH: usize = 2048;

/// Adds the `ETag` of a successful GET's body and answers `304` when `If-None-Match`
/// names it. An `If-None-Match` longer than [`MAX_IF_NONE_MATCH`] is a 400, before the
/// operation runs.
pub async fn conditional_get(request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    if let Some(value) = &if_none_match
        && value.len() > MAX_IF_NONE_MATCH
    {
        return crate::http::ApiError::field(crate::http::FieldError::new(
            "If-None-Match",
            crate::http::ErrorLiteral::MaxLength,
            format!("If-None-Match must be at most {MAX_IF_NONE_MATCH} characters"),
        ))
        .into_response();
    }
    let response = next.run(request).await;
    let streaming = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/event-stream"));
    // A stream never ends, so it has no digest (and must not be read to the end here).
    if response.status() != StatusCode::OK || streaming {
        return response;
    }
    // A handler that keeps its rendered answer keeps its tag with it (see `tag_of`):
    // the body need not be read and hashed again.
    if let Some(tag) = response.headers().get(header::ETAG).cloned() {
        if if_none_match.is_some_and(|wanted| tag.to_str().is_ok_and(|tag| matches(&wanted, tag))) {
            return not_modified(response.headers(), tag);
        }
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Our own answer, already bounded by the handler (pages hold at most 100 items).
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::warn!(%error, "could not read an answer's body to tag it");
            return crate::http::ApiError::Internal(anyhow::anyhow!(
                "the answer's body could not be read"
            ))
            .into_response();
        }
    };
    let tag = tag_of(&bytes);
    let Ok(value) = HeaderValue::from_str(&tag) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if if_none_match.is_some_and(|wanted| matches(&wanted, &tag)) {
        return not_modified(&parts.headers, value);
    }
    parts.headers.insert(header::ETAG, value);
    Response::from_parts(parts, Body::from(bytes))
}

/// A strong tag: the first 128 bits of the body's SHA-256, quoted. A handler that sets
/// it on its own answer must have computed it here, from the bytes it sends.
pub(crate) fn tag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// Whether `If-None-Match` names `tag`: `*`, or one of its comma-separated tags under
/// the weak comparison RFC 9110 section 13.1.2 prescribes for it (a `W/` prefix is
/// ignored).
fn matches(if_none_match: &HeaderValue, tag: &str) -> bool {
    let Ok(list) = if_none_match.to_str() else {
        return false;
    };
    list.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == tag
    })
}

/// The `304` that stands for a `200` with these headers and this tag.
fn not_modified(headers: &HeaderMap, tag: HeaderValue) -> Response {
    let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
    copy_validators(headers, not_modified.headers_mut());
    not_modified.headers_mut().insert(header::ETAG, tag);
    not_modified
}

/// The headers a `304` must repeat from the `200` it stands for (RFC 9110 section
/// 15.4.5), of those the service sends.
fn copy_validators(from: &HeaderMap, to: &mut HeaderMap) {
    for name in [
        header::CACHE_CONTROL,
        header::VARY,
        header::CONTENT_LOCATION,
    ] {
        if let Some(value) = from.get(&name) {
            to.insert(name, value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_quoted_and_changes_with_the_body() {
        let a = tag_of(b"{\"a\":1}");
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34);
        assert_ne!(a, tag_of(b"{\"a\":2}"));
        assert_eq!(a, tag_of(b"{\"a\":1}"));
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists_and_the_star() {
        let tag = tag_of(b"x");
        let header = |s: &str| HeaderValue::from_str(s).unwrap();
        assert!(matches(&header(&tag), &tag));
        assert!(matches(&header(&format!("W/{tag}")), &tag));
        assert!(matches(&header(&format!("\"other\", {tag}")), &tag));
        assert!(matches(&header("*"), &tag));
        assert!(!matches(&header("\"other\""), &tag));
        assert!(
            !matches(&header(&tag[1..]), &tag),
            "an unquoted tag is not the tag"
        );
    }
}
