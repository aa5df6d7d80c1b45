//! Pieces shared by the OpenAPI documents: the bearer scheme and the problem schemas.
//! What every operation answers whatever its input is added by [`super::conventions`].

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
in its customer-number claim. Tokens are verified as RFC8725 (JSON Web Token Best Current Practices) \
asks: the accepted algorithms follow from the configured key, never from the token alone (never `none`); the signature, \
`iss`, `aud`, `exp` and `nbf` are checked on every request.",
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

/// A string schema that takes exactly `values`: the documents' enums are built from the
/// lists the code checks against, so the two cannot drift apart.
pub fn one_of<I: IntoIterator<Item = &'static str>>(
    values: I,
) -> utoipa::openapi::schema::ObjectBuilder {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values.into_iter().collect::<Vec<_>>()))
}

/// Declares a schema-only type, named in `value_type = ..., inline` attributes so that a
/// text field or parameter keeps its description and example and gets this schema.
macro_rules! schema_type {
    ($(#[$doc:meta])* $name:ident => $schema:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $schema.into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

pub(crate) use schema_type;
