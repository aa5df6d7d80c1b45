//! What every operation of both documents answers whatever its input, added to the
//! finished documents after the routes have added their operations, so that no operation
//! is forgotten and no handler repeats it: the problem body of every error, 400 for an
//! undeclared query parameter, 401, 403, 408, 429 (with `Retry-After`), 500, 503 where the
//! database is reached, 413 and 415 where a body is read, the rate-limit header fields
//! on 2xx and 4xx answers, and on every GET the `ETag`, `If-None-Match` with its `304`,
//! and the shaping parameters `include` and `trim`.
//!
//! The shared answers stand once, in `components.responses`; operations refer to them.
//! A handler declares only what is its own: its success, and the 4xx answers whose
//! description says something about that operation (which 404, which conflicts).

use std::collections::BTreeSet;

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn, ParameterStyle};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Required};

use super::shaping;

/// The problem body, as every error carries it.
fn problem() -> Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .build()
}

fn integer_header(description: &str, max: u64) -> Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::Int64,
                )))
                .minimum(Some(0))
                .maximum(Some(max as f64)),
        )
        .description(Some(description))
        .build()
}

fn text_header(description: &str, max: usize) -> Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(max)),
        )
        .description(Some(description))
        .build()
}

/// `RateLimit-Policy` and `RateLimit` (IETF draft "RateLimit header fields for HTTP"),
/// sent on every answer to an authenticated request while rate limiting is on.
fn rate_limit_headers(response: &mut Response) {
    response.headers.entry("RateLimit-Policy".into()).or_insert_with(|| {
        text_header(
            "The client's request budget: `\"per-client\";q=<burst>;w=<seconds to refill it>`. Absent when rate limiting is off.",
            100,
        )
    });
    response.headers.entry("RateLimit".into()).or_insert_with(|| {
        text_header(
            "Where the client stands: `\"per-client\";r=<requests left at once>;t=<seconds until the whole burst is back>`. Absent when rate limiting is off.",
            100,
        )
    });
}

/// `Access-Control-Allow-Origin`, on every answer to a page of an allowed origin.
fn cors_header(response: &mut Response) {
    response
        .headers
        .entry("Access-Control-Allow-Origin".into())
        .or_insert_with(|| {
            text_header(
                "The calling page's origin, when it is one of `BANKAPI_CORS_ALLOWED_ORIGINS` (none by default); absent otherwise",
                super::limits::MAX_LINK,
            )
        });
}

/// The answers every operation shares, by their name in `components.responses`.
fn shared_responses() -> Vec<(&'static str, Response)> {
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content("application/problem+json", problem())
            .build()
    };
    let mut too_many =
        error("Too many requests from this client; retry after `Retry-After` seconds");
    too_many.headers.insert(
        "Retry-After".into(),
        integer_header("Whole seconds to wait before retrying", 86_400),
    );
    let mut not_modified = ResponseBuilder::new()
        .description("The answer has not changed since the `ETag` sent in `If-None-Match`; no body")
        .build();
    not_modified.headers.insert("ETag".into(), etag_header());
    let mut answers = vec![
        (
            "UnknownParameter",
            error(
                "A query parameter the operation does not declare, or a parameter or header whose value is not valid; every fault is named in `errors`",
            ),
        ),
        (
            "Unauthorized",
            error("No valid access token (`WWW-Authenticate` says why)"),
        ),
        (
            "Forbidden",
            error("The token lacks the scope this operation needs"),
        ),
        ("TooManyRequests", too_many),
        (
            "RequestTimeout",
            error(
                "The request, or its body's arrival, took longer than the configured limit (`BANKAPI_REQUEST_TIMEOUT_SECONDS`)",
            ),
        ),
        (
            "PayloadTooLarge",
            error("The body is larger than the configured limit"),
        ),
        (
            "UnsupportedMediaType",
            error("The body is not sent as `application/json`"),
        ),
        ("NotModified", not_modified),
        (
            "InternalError",
            error(
                "An unexpected fault; logged with the request's `x-request-id`, never detailed to the client",
            ),
        ),
        (
            "Unavailable",
            error("The database cannot be reached; retry later"),
        ),
    ];
    for (name, response) in &mut answers {
        if !matches!(*name, "InternalError" | "Unavailable" | "NotModified") {
            rate_limit_headers(response);
        }
        cors_header(response);
    }
    answers
}

fn etag_header() -> Header {
    text_header(
        "A strong validator of this answer's body; send it back in `If-None-Match` to be answered `304` while it has not changed",
        66,
    )
}

/// Adds what every operation answers. `reaches_database` says for which paths a 503 can
/// happen: a 503 documented where it never happens would be a promise the service does
/// not keep.
pub fn apply(openapi: &mut OpenApi, reaches_database: impl Fn(&str) -> bool) {
    add_answers(openapi, reaches_database);
    // Every server is the bank's public API, reached from apps and other systems.
    for server in openapi.servers.iter_mut().flatten() {
        server
            .extensions
            .get_or_insert_with(Default::default)
            .insert("x-internal".into(), serde_json::Value::Bool(false));
    }
    super::limits::apply(openapi);
}

fn add_answers(openapi: &mut OpenApi, reaches_database: impl Fn(&str) -> bool) {
    let reference = |name: &str| RefOr::Ref(Ref::new(format!("#/components/responses/{name}")));
    let shared = shared_responses();
    let components = openapi.components.get_or_insert_with(Default::default);
    for (name, response) in shared {
        components.responses.insert(name.into(), RefOr::T(response));
    }
    let snapshot = openapi.clone();
    for (path, item) in openapi.paths.paths.iter_mut() {
        let database = reaches_database(path);
        let operations = [
            (false, &mut item.get),
            (true, &mut item.put),
            (true, &mut item.post),
            (true, &mut item.delete),
            (true, &mut item.patch),
        ];
        for (changes, operation) in operations {
            let Some(operation) = operation.as_mut() else {
                continue;
            };
            // A stream has no whole body to tag, compare or shape.
            let whole = !changes && !streams(operation);
            if whole {
                conditional_and_shaped(&snapshot, operation);
            }
            let reads_body = operation.request_body.is_some();
            let responses = &mut operation.responses.responses;
            for (status, name, wanted) in [
                ("400", "UnknownParameter", true),
                ("401", "Unauthorized", true),
                ("403", "Forbidden", true),
                ("408", "RequestTimeout", true),
                ("413", "PayloadTooLarge", reads_body),
                ("415", "UnsupportedMediaType", reads_body),
                ("429", "TooManyRequests", true),
                ("304", "NotModified", whole),
                ("500", "InternalError", true),
                ("503", "Unavailable", database),
            ] {
                if wanted {
                    responses
                        .entry(status.into())
                        .or_insert_with(|| reference(name));
                }
            }
            for (status, response) in responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                if (status.starts_with('4') || status.starts_with('5'))
                    && response.content.is_empty()
                {
                    response
                        .content
                        .insert("application/problem+json".into(), problem());
                }
                if status.starts_with('2') || status.starts_with('4') {
                    rate_limit_headers(response);
                }
                if status == "200" && whole {
                    response.headers.insert("ETag".into(), etag_header());
                }
                cors_header(response);
            }
        }
    }
}

/// Declares `If-None-Match`, `include` and `trim` on a GET. The shaping parameters list
/// the field paths of the operation's `200` answer as their items' enum, so a generated
/// client offers exactly the names the service takes ([`shaping::ShapeableFields`] reads
/// them back from here).
/// Whether the operation answers a stream of Server-Sent Events.
fn streams(operation: &Operation) -> bool {
    operation
        .responses
        .responses
        .get("200")
        .is_some_and(|answer| match answer {
            RefOr::T(answer) => answer.content.contains_key("text/event-stream"),
            RefOr::Ref(_) => false,
        })
}

fn conditional_and_shaped(doc: &OpenApi, operation: &mut Operation) {
    let fields = shaping::answer_fields(doc, operation);
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    parameters.push(
        ParameterBuilder::new()
            .name("If-None-Match")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "The `ETag` of an answer the client holds: answered `304` without a body while it is still current",
            ))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(super::etag::MAX_IF_NONE_MATCH)),
            ))
            .build(),
    );
    let Some(fields) = fields else {
        return;
    };
    let mut names: BTreeSet<String> = fields
        .iter()
        .filter(|path| {
            fields
                .range(format!("{path}.")..)
                .next()
                .is_some_and(|next| next.starts_with(&format!("{path}.")))
        })
        .map(|path| format!("{path}.*"))
        .collect();
    names.extend(fields.iter().cloned());
    names.insert("*".into());
    for (name, what) in [
        (
            "include",
            "Only these fields of the answer (comma-separated; dots for nested fields, through arrays to each element; `*` for all under a prefix)",
        ),
        (
            "trim",
            "These fields are left out of the answer (comma-separated, as for `include`, which applies first)",
        ),
    ] {
        let items = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(names.iter().cloned()));
        parameters.push(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(what))
                .style(Some(ParameterStyle::Form))
                .explode(Some(false))
                .schema(Some(RefOr::T(Schema::Array(
                    ArrayBuilder::new()
                        .items(items)
                        .max_items(Some(shaping::MAX_NAMES))
                        .build(),
                ))))
                .build(),
        );
    }
}
