//! Shaping (API.md section 11): `include` and `trim` on every GET, each a comma-separated
//! list of field names with dots for nested fields (`items.event-id`) and `*` for all.
//! `include` keeps only the named fields (with everything under them), `trim` removes
//! them; both may be sent, `include` applying first. A name the answer cannot have is a
//! 400 `not-on-list`, decided before the operation runs. An empty value names nothing and
//! is as if the parameter were not sent (an empty comma-separated list, as OpenAPI's
//! `style: form, explode: false` writes an empty array).
//!
//! Names are paths from the top of the answer's body, so on a page `items.event-id`
//! keeps each item's id and `total-count` the count. A path through an array applies to
//! each of its elements. What an answer can have is read from the operation's documented
//! `200` schema, as [`super::query_names`] reads the parameters: the document, the check
//! and the shaping cannot disagree, and no handler has to know about shaping.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::{OpenApi, RefOr};

use super::{ApiError, ErrorLiteral, Errors, FieldError};

/// The two parameters, as documented on every GET.
pub const PARAMETERS: [&str; 2] = ["include", "trim"];

/// Deepest nesting followed through the schemas; far more than any answer has, and a
/// bound for schemas that refer to themselves.
const MAX_DEPTH: usize = 8;

/// Longest list of names taken in one parameter.
pub const MAX_NAMES: usize = 50;

/// The field paths each documented GET's answer can have, by full route.
#[derive(Debug, Clone, Default)]
pub struct ShapeableFields(Arc<HashMap<String, BTreeSet<String>>>);

impl ShapeableFields {
    /// Adds the GET operations of `doc`, served under each of `roots`, with the names
    /// their documented `include` parameter lists (see [`super::conventions`]).
    pub fn add(&mut self, roots: &[&str], doc: &OpenApi) {
        let map = Arc::make_mut(&mut self.0);
        for (path, item) in &doc.paths.paths {
            let Some(include) = item
                .get
                .as_ref()
                .and_then(|get| get.parameters.as_ref())
                .and_then(|parameters| parameters.iter().find(|p| p.name == "include"))
            else {
                continue;
            };
            let Some(RefOr::T(Schema::Array(array))) = &include.schema else {
                continue;
            };
            let ArrayItems::RefOrSchema(items) = &array.items else {
                continue;
            };
            let RefOr::T(Schema::Object(items)) = items.as_ref() else {
                continue;
            };
            let fields: BTreeSet<String> = items
                .enum_values
                .iter()
                .flatten()
                .filter_map(|value| value.as_str())
                .filter(|name| !name.ends_with('*'))
                .map(str::to_owned)
                .collect();
            for root in roots {
                map.insert(format!("{root}{path}"), fields.clone());
            }
        }
    }
}

/// The field paths the `200` answer of `operation` can have, read from its schema.
pub fn answer_fields(doc: &OpenApi, operation: &Operation) -> Option<BTreeSet<String>> {
    let schema = match operation.responses.responses.get("200")? {
        RefOr::T(response) => response.content.get("application/json")?.schema.as_ref()?,
        RefOr::Ref(_) => return None,
    };
    let mut fields = BTreeSet::new();
    collect(doc, schema, "", 0, &mut fields);
    Some(fields)
}

/// Every dotted path under `schema`, each prefixed by `prefix`.
fn collect(
    doc: &OpenApi,
    schema: &RefOr<Schema>,
    prefix: &str,
    depth: usize,
    into: &mut BTreeSet<String>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let schema = match schema {
        RefOr::T(schema) => schema,
        RefOr::Ref(reference) => {
            let name = reference
                .ref_location
                .rsplit('/')
                .next()
                .unwrap_or_default();
            match doc.components.as_ref().and_then(|c| c.schemas.get(name)) {
                Some(schema) => return collect(doc, schema, prefix, depth + 1, into),
                None => return,
            }
        }
    };
    match schema {
        Schema::Object(object) => {
            for (name, property) in &object.properties {
                let path = format!("{prefix}{name}");
                collect(doc, property, &format!("{path}."), depth + 1, into);
                into.insert(path);
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &array.items {
                collect(doc, items, prefix, depth + 1, into);
            }
        }
        Schema::OneOf(one) => {
            for item in &one.items {
                collect(doc, item, prefix, depth + 1, into);
            }
        }
        Schema::AllOf(all) => {
            for item in &all.items {
                collect(doc, item, prefix, depth + 1, into);
            }
        }
        Schema::AnyOf(any) => {
            for item in &any.items {
                collect(doc, item, prefix, depth + 1, into);
            }
        }
        _ => {}
    }
}

/// One checked name: its segments, with `*` standing for everything below its prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldPath(Vec<String>);

impl FieldPath {
    /// Whether this path ends in `*` (or is `*`): everything under its prefix.
    fn prefix(&self) -> &[String] {
        match self.0.split_last() {
            Some((last, rest)) if last == "*" => rest,
            _ => &self.0,
        }
    }
}

/// Reads one parameter's names, checking each against `known`.
fn parse(
    tag: &str,
    raw: &str,
    known: &BTreeSet<String>,
    errors: &mut Errors,
) -> Option<Vec<FieldPath>> {
    if raw.is_empty() {
        return None;
    }
    let names: Vec<&str> = raw.split(',').map(str::trim).collect();
    if names.len() > MAX_NAMES {
        errors.push(FieldError::new(
            tag,
            ErrorLiteral::MaxLength,
            format!(
                "{tag} names at most {MAX_NAMES} fields, got {}",
                names.len()
            ),
        ));
        return None;
    }
    let mut paths = Vec::new();
    for name in names {
        let path = FieldPath(name.split('.').map(str::to_owned).collect());
        let prefix = path.prefix().join(".");
        if name.is_empty() || !(prefix.is_empty() || known.contains(&prefix)) {
            errors.push(FieldError::new(
                tag,
                ErrorLiteral::NotOnList,
                format!("{name:?} is not a field of this answer"),
            ));
            continue;
        }
        paths.push(path);
    }
    Some(paths)
}

/// What a request asks to be done to its answer.
#[derive(Debug, Default)]
struct Shape {
    include: Option<Vec<FieldPath>>,
    trim: Vec<FieldPath>,
}

impl Shape {
    fn apply(&self, value: &mut Value) {
        if let Some(include) = &self.include {
            let wanted: Vec<&[String]> = include.iter().map(FieldPath::prefix).collect();
            keep(value, &wanted);
        }
        for path in &self.trim {
            remove(value, path.prefix());
        }
    }
}

/// Keeps in `value` only what lies on or under one of `wanted` (relative paths); an empty
/// path keeps everything.
fn keep(value: &mut Value, wanted: &[&[String]]) {
    if wanted.iter().any(|path| path.is_empty()) {
        return;
    }
    match value {
        Value::Array(items) => items.iter_mut().for_each(|item| keep(item, wanted)),
        Value::Object(map) => map.retain(|name, child| {
            let below: Vec<&[String]> = wanted
                .iter()
                .filter_map(|path| path.split_first())
                .filter(|(first, _)| *first == name)
                .map(|(_, rest)| rest)
                .collect();
            if below.is_empty() {
                return false;
            }
            keep(child, &below);
            true
        }),
        _ => {}
    }
}

/// Removes what lies at `path` in `value` (in every element of an array on the way); an
/// empty path empties an object.
fn remove(value: &mut Value, path: &[String]) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|item| remove(item, path)),
        Value::Object(map) => match path.split_first() {
            None => map.clear(),
            Some((name, [])) => {
                map.remove(name);
            }
            Some((name, rest)) => {
                if let Some(child) = map.get_mut(name) {
                    remove(child, rest);
                }
            }
        },
        _ => {}
    }
}

/// Checks `include` and `trim` on a documented GET, runs the operation, and shapes its
/// successful JSON answer.
pub async fn shape_answers(
    State(fields): State<ShapeableFields>,
    route: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let query = request.uri().query().unwrap_or_default();
    if request.method() != Method::GET || !(query.contains("include") || query.contains("trim")) {
        return next.run(request).await;
    }
    let Some(known) = route.and_then(|route| fields.0.get(route.as_str())) else {
        return next.run(request).await;
    };
    let mut errors = Errors::new();
    let mut shape = Shape::default();
    for (name, raw) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "include" => {
                if let Some(paths) = parse("include", &raw, known, &mut errors) {
                    shape.include.get_or_insert_with(Vec::new).extend(paths);
                }
            }
            "trim" => shape
                .trim
                .extend(parse("trim", &raw, known, &mut errors).unwrap_or_default()),
            _ => {}
        }
    }
    if let Err(error) = errors.finish() {
        return error.into_response();
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let shaped = async {
        let bytes = axum::body::to_bytes(body, usize::MAX).await?;
        let mut value: Value = serde_json::from_slice(&bytes)?;
        shape.apply(&mut value);
        anyhow::Ok(serde_json::to_vec(&value)?)
    };
    match shaped.await {
        Ok(bytes) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            // A tag the handler set was of the body before shaping.
            parts.headers.remove(header::ETAG);
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(error) => ApiError::Internal(error.context("shaping an answer")).into_response(),
    }
}

#[cfg(test)]
mod tests;
