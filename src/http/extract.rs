//! JSON body and query-string extractors whose every rejection is a problem response,
//! with the offending field named.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::problem::ApiError;
use super::validation::{ErrorLiteral, FieldError};

/// A JSON body: `application/json` (or `+json`) only, size-limited by the router's
/// `DefaultBodyLimit`, unknown fields rejected by the target type.
#[derive(Debug)]
pub struct ApiJson<T> {
    /// The parsed body.
    pub value: T,
    /// The raw bytes, kept for idempotency fingerprints.
    pub raw: Bytes,
}

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        check_json_content_type(request.headers().get(header::CONTENT_TYPE))?;
        let raw = read_body(request, state).await?;
        let value = parse_json(&raw)?;
        Ok(Self { value, raw })
    }
}

/// A JSON body that may be left out: an empty body, or JSON `null`, is `None` whatever
/// its headers say (clients that send no body often send no `Content-Type` either); a
/// body that is there is read exactly as [`ApiJson`] reads it.
#[derive(Debug)]
pub struct OptionalJson<T>(pub Option<T>);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request.headers().get(header::CONTENT_TYPE).cloned();
        let raw = read_body(request, state).await?;
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(None));
        }
        check_json_content_type(content_type.as_ref())?;
        parse_json(&raw).map(Self)
    }
}

/// The body's bytes, within the router's limit (a 413 names it).
async fn read_body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    let limit = request.extensions().get::<BodyLimit>().map_or(0, |l| l.0);
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(limit)
            } else {
                ApiError::Malformed(rejection.body_text())
            }
        })
}

/// The configured body limit, put in each request's extensions by the router so that a
/// 413 answer can state it.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

fn check_json_content_type(value: Option<&header::HeaderValue>) -> Result<(), ApiError> {
    let Some(value) = value else {
        return Err(ApiError::UnsupportedMediaType(
            "send the body as application/json (no Content-Type header was given)".into(),
        ));
    };
    let parsed = value
        .to_str()
        .ok()
        .and_then(|v| v.parse::<mime::Mime>().ok());
    match parsed {
        Some(m)
            if m.type_() == mime::APPLICATION
                && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON)) =>
        {
            Ok(())
        }
        _ => Err(ApiError::UnsupportedMediaType(format!(
            "send the body as application/json, not {}",
            String::from_utf8_lossy(value.as_bytes())
        ))),
    }
}

/// Parses JSON, mapping serde's complaints onto the validation literals.
pub fn parse_json<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    if super::control_chars::json_has_forbidden_escape(raw) {
        return Err(ApiError::Malformed(
            "a string in the body holds a control character (\\u0000 to \\u001f other than tab, line feed and carriage return), which no value of this API may contain".into(),
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(raw);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    let value = result.map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = inner.to_string();
        if inner.is_syntax() || inner.is_eof() || inner.is_io() {
            return ApiError::Malformed(format!("the body is not valid JSON: {message}"));
        }
        if let Some(field) = between_backticks(&message, "unknown field `") {
            return ApiError::field(FieldError::new(
                field.clone(),
                ErrorLiteral::NotOnList,
                format!("unknown field {field}"),
            ));
        }
        if let Some(field) = between_backticks(&message, "missing field `") {
            return ApiError::field(FieldError::new(
                field.clone(),
                ErrorLiteral::Required,
                format!("{field} is required"),
            ));
        }
        let tag = if path == "." || path.is_empty() {
            "body".to_owned()
        } else {
            path
        };
        ApiError::field(FieldError::new(tag, ErrorLiteral::InvalidFormat, message))
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::Malformed(format!("trailing data after the JSON value: {e}")))?;
    Ok(value)
}

fn between_backticks(message: &str, prefix: &str) -> Option<String> {
    let start = message.find(prefix)? + prefix.len();
    let rest = &message[start..];
    let end = rest.find('`')?;
    Some(rest[..end].to_owned())
}

/// A query string parsed into `T` (whose fields are usually `Option<String>`, so that the
/// handler's validation, not serde, names a bad value).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|error| {
                let message = error.to_string();
                let tag = between_backticks(&message, "duplicate field `")
                    .unwrap_or_else(|| "query".to_owned());
                ApiError::field(FieldError::new(
                    tag,
                    ErrorLiteral::InvalidFormat,
                    format!("the query string could not be read: {message}"),
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: Option<String>,
    }

    fn field_of(error: ApiError) -> (String, ErrorLiteral) {
        match error {
            ApiError::Validation(mut errors) => {
                let e = errors.remove(0);
                (e.tag, e.error)
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn unknown_fields_are_named() {
        let error = parse_json::<Body>(br#"{"name":"x","nmae":"y"}"#).unwrap_err();
        assert_eq!(field_of(error), ("nmae".into(), ErrorLiteral::NotOnList));
    }

    #[test]
    fn wrong_types_name_the_field() {
        let error = parse_json::<Body>(br#"{"name": 5}"#).unwrap_err();
        assert_eq!(
            field_of(error),
            ("name".into(), ErrorLiteral::InvalidFormat)
        );
    }

    #[test]
    fn broken_json_is_malformed() {
        assert!(matches!(
            parse_json::<Body>(b"{\"name\":"),
            Err(ApiError::Malformed(_))
        ));
        assert!(matches!(
            parse_json::<Body>(b"{} {}"),
            Err(ApiError::Malformed(_))
        ));
    }

    #[test]
    fn content_type_must_be_json() {
        let json = header::HeaderValue::from_static("application/json; charset=utf-8");
        assert!(check_json_content_type(Some(&json)).is_ok());
        let problem = header::HeaderValue::from_static("application/merge-patch+json");
        assert!(check_json_content_type(Some(&problem)).is_ok());
        let text = header::HeaderValue::from_static("text/plain");
        assert!(check_json_content_type(Some(&text)).is_err());
        assert!(check_json_content_type(None).is_err());
    }
}
