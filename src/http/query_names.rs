//! Unknown query parameters are refused (API.md section 11): a client that sends a
//! parameter the operation does not take (`statuses` for `status`) must get a 400 naming
//! it, never an unfiltered answer that looks like a filtered one. What each operation takes
//! is read from the OpenAPI documents themselves, so the documents and the service cannot
//! disagree: a parameter the code reads but the document does not declare is refused too,
//! and shows up in the tests at once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::{Operation, Parameter, ParameterIn};

use super::{ApiError, ErrorLiteral, FieldError};

/// The query parameters of every documented operation, by full route and method. Keyed by
/// route first so that a request looks its route up by `&str`, without an allocation.
#[derive(Debug, Clone, Default)]
pub struct KnownParameters(Arc<HashMap<String, HashMap<Method, HashSet<String>>>>);

fn query_names(parameters: Option<&Vec<Parameter>>) -> impl Iterator<Item = String> + '_ {
    parameters
        .into_iter()
        .flatten()
        .filter(|p| matches!(p.parameter_in, ParameterIn::Query))
        .map(|p| p.name.clone())
}

impl KnownParameters {
    /// Adds the operations of `doc`, served under each of `roots`.
    pub fn add(&mut self, roots: &[&str], doc: &OpenApi) {
        let map = Arc::make_mut(&mut self.0);
        for (path, item) in &doc.paths.paths {
            let operations: [(Method, &Option<Operation>); 5] = [
                (Method::GET, &item.get),
                (Method::POST, &item.post),
                (Method::PUT, &item.put),
                (Method::DELETE, &item.delete),
                (Method::PATCH, &item.patch),
            ];
            for (method, operation) in operations {
                let Some(operation) = operation else {
                    continue;
                };
                let names: HashSet<String> = query_names(item.parameters.as_ref())
                    .chain(query_names(operation.parameters.as_ref()))
                    .collect();
                for root in roots {
                    map.entry(format!("{root}{path}"))
                        .or_default()
                        .insert(method.clone(), names.clone());
                }
            }
        }
    }

    /// The parameters `method` on `route` takes, if the route is documented. `HEAD` is
    /// answered as `GET`.
    fn of(&self, method: &Method, route: &str) -> Option<&HashSet<String>> {
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        self.0.get(route)?.get(method)
    }
}

/// Refuses a request to a documented operation that names a query parameter the
/// operation does not declare. Undocumented routes (health, metrics, the documents) pass.
pub async fn refuse_unknown_parameters(
    State(known): State<KnownParameters>,
    route: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let query = request.uri().query().unwrap_or_default();
    if let (Some(route), false) = (route, query.is_empty())
        && let Some(allowed) = known.of(request.method(), route.as_str())
        // Names are decoded without copying unless escaped; the values are left to the
        // operation's own extractor, which says what is wrong with them.
        && let Some((name, _)) = url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| !allowed.contains(name.as_ref()))
    {
        let mut accepted: Vec<&str> = allowed.iter().map(String::as_str).collect();
        accepted.sort_unstable();
        let takes = if accepted.is_empty() {
            "it takes none".to_owned()
        } else {
            format!("it takes {}", accepted.join(", "))
        };
        let tag = if name.is_empty() {
            "query"
        } else {
            name.as_ref()
        };
        return ApiError::field(FieldError::new(
            tag,
            ErrorLiteral::NotOnList,
            format!("{name:?} is not a query parameter of this operation; {takes}"),
        ))
        .into_response();
    }
    next.run(request).await
}
