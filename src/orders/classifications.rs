//! `GET /classifications` and `GET /classifications/{schema-id}`: the code lists a
//! client needs to fill in reasons and to read statuses.

use axum::Json;
use axum::extract::Path;
use serde::Serialize;
use utoipa::ToSchema;

use super::schema::ClassificationPath;
use crate::auth::{Principal, Scope};
use crate::domain::classification::{self, Classification};
use crate::http::ApiError;

/// Every classification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClassificationList {
    /// The lists, in a stable order.
    pub items: Vec<Classification>,
}

/// Lists every classification with its values.
#[utoipa::path(
    get,
    path = "/classifications",
    tag = "classifications",
    responses(
        (status = 200, description = "Every classification", body = ClassificationList),
        (status = 403, description = "The token lacks customer-order:read"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list_classifications(
    principal: Principal,
) -> Result<Json<ClassificationList>, ApiError> {
    principal.require(Scope::OrderRead)?;
    Ok(Json(ClassificationList {
        items: classification::all(),
    }))
}

/// Returns one classification with its values.
#[utoipa::path(
    get,
    path = "/classifications/{schema-id}",
    tag = "classifications",
    params(ClassificationPath),
    responses(
        (status = 200, description = "The classification", body = Classification),
        (status = 400, description = "The path holds a control character or is not UTF-8"),
        (status = 403, description = "The token lacks customer-order:read"),
        (status = 404, description = "No such classification"),
    )
)]
#[tracing::instrument(skip_all, fields(schema_id = %schema_id))]
pub async fn get_classification(
    principal: Principal,
    Path(ClassificationPath { schema_id }): Path<ClassificationPath>,
) -> Result<Json<Classification>, ApiError> {
    principal.require(Scope::OrderRead)?;
    classification::by_schema_id(&schema_id)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no classification {schema_id:?}")))
}
