//! `GET /classifications` and `GET /classifications/{schema-id}`, which both APIs serve
//! over their own code lists ([`crate::domain::classification::Api`]): written once here
//! as a macro, since each API's handlers must be functions of their own for their
//! documents (their scope, their list of schema ids, their example).

/// Declares, in the calling module, the two classification handlers of one API
/// (`list_classifications`, `get_classification`), the schema of its schema ids
/// (`SchemaId`) and the path of one list (`ClassificationPath`).
macro_rules! classification_handlers {
    ($api:expr, $scope:expr, $lacks:literal, $example:literal) => {
        use axum::Json;
        use axum::extract::Path;

        use crate::auth::{Principal, Scope};
        use crate::domain::classification::{self, Api, Classification, ClassificationList};
        use crate::http::ApiError;
        use crate::http::openapi::{one_of, schema_type};

        schema_type!(
            /// The id of one of this API's classifications.
            SchemaId => one_of(classification::schema_ids($api))
        );

        /// The path of one classification: `/classifications/{schema-id}`.
        #[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
        #[into_params(parameter_in = Path)]
        pub struct ClassificationPath {
            /// The list's id.
            #[serde(rename = "schema-id")]
            #[param(value_type = SchemaId, inline, example = $example)]
            pub schema_id: String,
        }

        /// Lists every classification of this API with its values.
        #[utoipa::path(
            get,
            path = "/classifications",
            tag = "classifications",
            responses(
                (status = 200, description = "Every classification", body = ClassificationList),
                (status = 403, description = $lacks),
            )
        )]
        #[tracing::instrument(skip_all)]
        pub async fn list_classifications(
            principal: Principal,
        ) -> Result<Json<ClassificationList>, ApiError> {
            principal.require($scope)?;
            Ok(Json(ClassificationList {
                items: classification::all($api),
            }))
        }

        /// Returns one classification of this API with its values.
        #[utoipa::path(
            get,
            path = "/classifications/{schema-id}",
            tag = "classifications",
            params(ClassificationPath),
            responses(
                (status = 200, description = "The classification", body = Classification),
                (status = 400, description = "The path holds a control character or is not UTF-8"),
                (status = 403, description = $lacks),
                (status = 404, description = "No such classification"),
            )
        )]
        #[tracing::instrument(skip_all, fields(schema_id = %schema_id))]
        pub async fn get_classification(
            principal: Principal,
            Path(ClassificationPath { schema_id }): Path<ClassificationPath>,
        ) -> Result<Json<Classification>, ApiError> {
            principal.require($scope)?;
            classification::by_schema_id($api, &schema_id)
                .map(Json)
                .ok_or_else(|| ApiError::NotFound(format!("no classification {schema_id:?}")))
        }
    };
}

pub(crate) use classification_handlers;
