//! `GET /classifications` and `GET /classifications/{schema-id}`: the code lists a
//! client needs to fill in reasons and to read statuses.

use axum::Json;
use axum::extract::Path;

use super::schema::ClassificationPath;
use crate::auth::{Principal, Scope};
use crate::domain::classification::{self, Api, Classification, ClassificationList};
use crate::http::ApiError;

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
        items: classification::all(Api::Order),
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
    classification::by_schema_id(Api::Order, &schema_id)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no classification {schema_id:?}")))
}
