//! RFC 9457 problem responses: the one error type that knows HTTP.
//!
//! Handlers return [`ApiError`]; its response carries a [`Problem`] as an extension and
//! the [`finish_problems`] middleware writes the body, because only the middleware knows
//! the request path that becomes the problem's `instance`.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::validation::FieldError;
use crate::store::StoreError;

/// Base of the `type` URIs; each problem kind is a fragment-free path below it.
const TYPE_BASE: &str = "https://bankapi.net/problems/";

/// Everything a handler or extractor can refuse a request with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Input that breaks the contract; every bad field is named.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A body that is not parseable at all.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// No token, or one that does not verify.
    #[error("unauthorized: {detail}")]
    Unauthorized {
        /// Why, for the developer; never echoes the token.
        detail: String,
        /// Whether a token was sent (RFC 6750 `error="invalid_token"`).
        token_sent: bool,
    },
    /// The client sent more requests than its share; retry after the given wait.
    #[error("too many requests")]
    TooManyRequests {
        /// How long until a request would be let through.
        retry_after: std::time::Duration,
    },
    /// A valid token without the scope the operation needs.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Not there, or not the caller's to see: the two are indistinguishable on purpose.
    #[error("not found: {0}")]
    NotFound(String),
    /// A business rule refuses the request because of the current state.
    #[error("conflict {problem}: {detail}")]
    Conflict {
        /// Stable literal from API.md section 2.
        problem: &'static str,
        /// A sentence for the developer.
        detail: String,
    },
    /// A business policy refuses the request.
    #[error("unprocessable {problem}: {detail}")]
    Unprocessable {
        /// Stable literal from API.md section 2.
        problem: &'static str,
        /// A sentence for the developer.
        detail: String,
    },
    /// The body is over the configured limit.
    #[error("payload too large")]
    PayloadTooLarge(usize),
    /// The body is not JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType(String),
    /// The route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The database cannot be reached right now; the client may retry.
    #[error("service unavailable")]
    Unavailable,
    /// A bug or an unexpected failure: logged in full, hidden from the client.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The JSON body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short, stable summary of the kind.
    pub title: String,
    /// The HTTP status, repeated for convenience.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// The request path that failed.
    pub instance: String,
    /// Business-rule literal (409/422 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The same text as `detail`, beside `problem`: what clients written against the API
    /// family's reference read (API.md section 11).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Field errors (400 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl Problem {
    /// Keeps every text within what the document promises: `instance` is the client's
    /// path, and details and field errors may quote what the client sent.
    fn clip(&mut self) {
        use super::limits::{MAX_DETAIL, MAX_ERRORS, MAX_LINK, MAX_TAG, clip};
        clip(&mut self.instance, MAX_LINK);
        clip(&mut self.detail, MAX_DETAIL);
        if let Some(message) = self.message.as_mut() {
            clip(message, MAX_DETAIL);
        }
        if let Some(errors) = self.errors.as_mut() {
            errors.truncate(MAX_ERRORS);
            for error in errors {
                clip(&mut error.tag, MAX_TAG);
                clip(&mut error.message, MAX_DETAIL);
            }
        }
    }

    fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            problem_type: format!("{TYPE_BASE}{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            instance: String::new(),
            problem: None,
            message: None,
            errors: None,
        }
    }
}

impl ApiError {
    /// Shorthand for a single-field validation error.
    pub fn field(error: FieldError) -> Self {
        Self::Validation(vec![error])
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn problem(&self) -> Problem {
        let status = self.status();
        match self {
            Self::Validation(errors) => {
                let detail = errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                let mut p = Problem::new(status, "validation", "The request is not valid", detail);
                p.errors = Some(errors.clone());
                p
            }
            Self::Malformed(detail) => Problem::new(
                status,
                "malformed-request",
                "The request could not be read",
                detail,
            ),
            Self::Unauthorized { detail, .. } => {
                Problem::new(status, "unauthorized", "Authentication is required", detail)
            }
            Self::Forbidden(detail) => {
                let mut p =
                    Problem::new(status, "forbidden", "The token does not allow this", detail);
                p.problem = Some("forbidden".into());
                p.message = Some(p.detail.clone());
                p
            }
            Self::NotFound(detail) => Problem::new(status, "not-found", "Not found", detail),
            Self::TooManyRequests { retry_after } => Problem::new(
                status,
                "too-many-requests",
                "Too many requests",
                format!(
                    "this client sent more requests than it may; retry in {} s",
                    retry_after_seconds(*retry_after)
                ),
            ),
            Self::Conflict { problem, detail } | Self::Unprocessable { problem, detail } => {
                let mut p = Problem::new(
                    status,
                    problem,
                    "The request was refused by a business rule",
                    detail,
                );
                p.problem = Some((*problem).to_owned());
                p.message = Some(p.detail.clone());
                p
            }
            Self::PayloadTooLarge(limit) => Problem::new(
                status,
                "payload-too-large",
                "The request body is too large",
                format!("the body must not exceed {limit} bytes"),
            ),
            Self::UnsupportedMediaType(detail) => Problem::new(
                status,
                "unsupported-media-type",
                "Unsupported media type",
                detail,
            ),
            Self::MethodNotAllowed => Problem::new(
                status,
                "method-not-allowed",
                "Method not allowed",
                "this resource does not support that method",
            ),
            Self::Unavailable => Problem::new(
                status,
                "unavailable",
                "The service is temporarily unavailable",
                "the database cannot be reached; retry later",
            ),
            Self::Internal(_) => Problem::new(
                status,
                "internal",
                "Internal error",
                "an unexpected error occurred; it has been logged with this request's x-request-id",
            ),
        }
    }
}

/// `Retry-After` takes whole seconds; rounding up never invites a retry that is too early.
pub(super) fn retry_after_seconds(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound("no such resource".into()),
            StoreError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                Self::Unavailable
            }
            StoreError::Conflict(detail) => Self::Conflict {
                problem: "request-already-exists",
                detail,
            },
            StoreError::Other(e) => Self::Internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(error) = &self {
            tracing::error!(error = ?error, "internal error");
        }
        let problem = self.problem();
        let mut response = problem_response(problem);
        if let Self::TooManyRequests { retry_after } = &self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_seconds(*retry_after)),
            );
            response
                .extensions_mut()
                .insert(super::rate_limit::RetryAfter(*retry_after));
        }
        if let Self::Unauthorized { token_sent, .. } = self {
            let challenge = if token_sent {
                r#"Bearer realm="bankapi", error="invalid_token""#
            } else {
                r#"Bearer realm="bankapi""#
            };
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

/// A response whose body [`finish_problems`] will write.
fn problem_response(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = status.into_response();
    response.extensions_mut().insert(problem);
    response
}

/// Writes problem bodies with their `instance`, and turns the framework's own bare
/// 400/404/405/408 answers (unreadable path, unknown route, wrong method, timeout) into
/// problems too.
pub async fn finish_problems(request: Request, next: Next) -> Response {
    let instance = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let problem = match response.extensions_mut().remove::<Problem>() {
        Some(problem) => Some(problem),
        None if response.status() == StatusCode::METHOD_NOT_ALLOWED => {
            Some(ApiError::MethodNotAllowed.problem())
        }
        None if response.status() == StatusCode::NOT_FOUND
            && response.headers().get(header::CONTENT_TYPE).is_none() =>
        {
            Some(ApiError::NotFound("no such resource".into()).problem())
        }
        // The framework's own extractor refusals (a path segment that is not UTF-8 once
        // percent-decoded, say) come as plain text; the contract promises problems.
        None if response.status() == StatusCode::BAD_REQUEST => Some(Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "The request could not be read",
            "the request's path or query is not valid (for example, not UTF-8 once percent-decoded)",
        )),
        None if response.status() == StatusCode::REQUEST_TIMEOUT => Some(Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "The request took too long",
            "the request was not completed in time",
        )),
        None => None,
    };
    let Some(mut problem) = problem else {
        return response;
    };
    problem.instance = instance;
    problem.clip();
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}
