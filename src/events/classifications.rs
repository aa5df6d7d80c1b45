//! `GET /classifications` and `GET /classifications/{schema-id}` of the Event API (API.md
//! section 11): the code lists of the literals a client meets in events and may send.

use axum::Json;
use axum::extract::Path;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Principal, Scope};
use crate::domain::classification::{self, Api, Classification, ClassificationList};
use crate::http::ApiError;
use crate::http::openapi::{one_of, schema_type};

schema_type!(
    /// The id of one of the Event API's classifications.
    EventSchemaId => one_of(classification::schema_ids(Api::Event))
);

/// The path of one classification.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EventClassificationPath {
    /// The list's id.
    #[serde(rename = "schema-id")]
    #[param(value_type = EventSchemaId, inline, example = "medium")]
    pub schema_id: String,
}

/// Lists every classification of the Event API with its values.
#[utoipa::path(
    get,
    path = "/classifications",
    tag = "classifications",
    responses(
        (status = 200, description = "Every classification", body = ClassificationList),
        (status = 403, description = "The token lacks customer-event:read"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list_event_classifications(
    principal: Principal,
) -> Result<Json<ClassificationList>, ApiError> {
    principal.require(Scope::EventRead)?;
    Ok(Json(ClassificationList {
        items: classification::all(Api::Event),
    }))
}

/// Returns one classification of the Event API with its values.
#[utoipa::path(
    get,
    path = "/classifications/{schema-id}",
    tag = "classifications",
    params(EventClassificationPath),
    responses(
        (status = 200, description = "The classification", body = Classification),
        (status = 400, description = "The path holds a control character or is not UTF-8"),
        (status = 403, description = "The token lacks customer-event:read"),
        (status = 404, description = "No such classification"),
    )
)]
#[tracing::instrument(skip_all, fields(schema_id = %schema_id))]
pub async fn get_event_classification(
    principal: Principal,
    Path(EventClassificationPath { schema_id }): Path<EventClassificationPath>,
) -> Result<Json<Classification>, ApiError> {
    principal.require(Scope::EventRead)?;
    classification::by_schema_id(Api::Event, &schema_id)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no classification {schema_id:?}")))
}
