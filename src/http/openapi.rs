//! Pieces shared by the OpenAPI documents: the bearer scheme, the problem schemas, and
//! the operational answers (400 for an undeclared query parameter, 429, 503).

use utoipa::Modify;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// Declares the `bearer` JWT security scheme every operation refers to.
pub struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An OAuth 2.0 access token (JWT). Scopes: customer-event:read, customer-event:write, \
customer-order:read, customer-order:write, bank:staff. A token without bank:staff acts only for the customer \
in its customer-number claim.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Adds the problem schemas, which handlers name only through response bodies.
pub struct ProblemSchemas;

impl Modify for ProblemSchemas {
    fn modify(&self, openapi: &mut OpenApi) {
        use utoipa::{PartialSchema, ToSchema};
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, schema) in [
            (
                super::problem::Problem::name(),
                super::problem::Problem::schema(),
            ),
            (
                super::validation::FieldError::name(),
                super::validation::FieldError::schema(),
            ),
            (
                super::validation::ErrorLiteral::name(),
                super::validation::ErrorLiteral::schema(),
            ),
        ] {
            components.schemas.insert(name.into_owned(), schema);
        }
    }
}

/// Documents the answers an operation can give whatever its input: 400 when the query names
/// a parameter the operation does not declare, 429 when the client has
/// spent its request budget (with `Retry-After`), and 503 when the database cannot be
/// reached, on the paths for which `reaches_database` says so (a 503 documented where it
/// can never happen would be a promise the service does not keep). Applied to the finished
/// document, after the routes have added their operations, so no operation is forgotten.
pub fn add_operational_responses(openapi: &mut OpenApi, reaches_database: impl Fn(&str) -> bool) {
    use utoipa::openapi::content::ContentBuilder;
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::response::ResponseBuilder;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{Ref, RefOr};

    let problem = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build()
    };
    let too_many = ResponseBuilder::new()
        .description("Too many requests from this client; retry after `Retry-After` seconds")
        .content("application/problem+json", problem())
        .header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(0)),
                )
                .description(Some("Whole seconds to wait before retrying"))
                .build(),
        )
        .build();
    let bad_query = ResponseBuilder::new()
        .description(
            "A query parameter the operation does not declare (`not-on-list`, named in `errors`)",
        )
        .content("application/problem+json", problem())
        .build();
    let unavailable = ResponseBuilder::new()
        .description("The database cannot be reached; retry later")
        .content("application/problem+json", problem())
        .build();
    for (path, item) in openapi.paths.paths.iter_mut() {
        let database = reaches_database(path);
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let responses = &mut operation.responses.responses;
            // Any operation refuses an undeclared query parameter (`http::query_names`).
            responses
                .entry("400".into())
                .or_insert_with(|| RefOr::T(bad_query.clone()));
            responses
                .entry("429".into())
                .or_insert_with(|| RefOr::T(too_many.clone()));
            if database {
                responses
                    .entry("503".into())
                    .or_insert_with(|| RefOr::T(unavailable.clone()));
            }
        }
    }
}
