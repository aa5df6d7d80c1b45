//! `GET /events/{event-id}`: one event with its data.

use axum::Json;
use axum::extract::{Path, State};

use super::model::EventDetail;
use crate::auth::{Principal, Scope};
use crate::http::{ApiError, ErrorLiteral, FieldError};
use crate::state::AppState;
use crate::store::EventRecord;

/// Reads an event id from the path, or says why it is not one.
pub(super) fn parse_event_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        ApiError::field(FieldError::new(
            "event-id",
            ErrorLiteral::InvalidFormat,
            format!("event-id must be a positive whole number, got {raw:?}"),
        ))
    })
}

/// Loads an event the caller may see; anything else is the same 404 as a missing one.
pub(super) async fn load_visible(
    state: &AppState,
    principal: &Principal,
    raw_id: &str,
) -> Result<EventRecord, ApiError> {
    principal.require(Scope::EventRead)?;
    let id = parse_event_id(raw_id)?;
    match state.stores.events.get_event(id).await? {
        Some(record) if principal.may_act_for(&record.customer_number) => Ok(record),
        _ => Err(ApiError::NotFound(format!("no event {id}"))),
    }
}

/// Returns one event with its XML and key-values.
#[utoipa::path(
    get,
    path = "/events/{event-id}",
    tag = "events",
    params(("event-id" = i64, Path, minimum = 1, description = "The event's id", example = 258242)),
    responses(
        (status = 200, description = "The event", body = EventDetail),
        (status = 400, description = "The id is not a number"),
        (status = 403, description = "The token lacks customer-event:read"),
        (status = 404, description = "No such event, or not the caller's"),
    )
)]
#[tracing::instrument(skip_all, fields(event_id = %id))]
pub async fn get_event(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<EventDetail>, ApiError> {
    let record = load_visible(&state, &principal, &id).await?;
    Ok(Json(EventDetail::from_record(&record, &state.links)))
}
