//! `POST /communication-events` (the guide's step 12) and `POST /events` (the bank's own
//! systems registering any kind).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::LINK_ROOT;
use super::append_input::{NewCommunicationEvent, NewEventBody};
use super::model::CreatedEvent;
use crate::auth::{Principal, Scope};
use crate::http::extract::ApiJson;
use crate::http::{ApiError, idempotency};
use crate::state::AppState;
use crate::store::{NewEvent, Recorded};

/// Registers a communication event.
#[utoipa::path(
    post,
    path = "/communication-events",
    tag = "events",
    request_body = NewCommunicationEvent,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "Retries with the same key and body return the first answer")),
    responses(
        (status = 200, description = "Registered; `id` is the new event's id", body = CreatedEvent,
            headers(("Location" = String, description = "The new event"))),
        (status = 400, description = "The body is not valid"),
        (status = 403, description = "The token lacks customer-event:write"),
        (status = 404, description = "The customer is not the caller's"),
        (status = 422, description = "The Idempotency-Key was used for another request"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn create_communication_event(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: ApiJson<NewCommunicationEvent>,
) -> Result<Response, ApiError> {
    principal.require(Scope::EventWrite)?;
    let event = body.value.validate()?;
    register(
        &state,
        &principal,
        (&headers, body.value.client_id()),
        "POST communication-events",
        &body.raw,
        event,
        "communication-events",
    )
    .await
}

/// Registers an event of any kind (staff only).
#[utoipa::path(
    post,
    path = "/events",
    tag = "events",
    request_body = NewEventBody,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "Retries with the same key and body return the first answer")),
    responses(
        (status = 200, description = "Registered; `id` is the new event's id", body = CreatedEvent,
            headers(("Location" = String, description = "The new event"))),
        (status = 400, description = "The body or its XML is not valid"),
        (status = 403, description = "The token lacks customer-event:write or bank:staff"),
        (status = 422, description = "The Idempotency-Key was used for another request"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn create_event(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    body: ApiJson<NewEventBody>,
) -> Result<Response, ApiError> {
    principal.require(Scope::EventWrite)?;
    principal.require(Scope::Staff)?;
    let event = body.value.validate(&state.xml_limits)?;
    let kind = event.kind;
    let typed_path = format!("{}-events", kind.slug());
    register(
        &state,
        &principal,
        (&headers, None),
        "POST events",
        &body.raw,
        event,
        &typed_path,
    )
    .await
}

/// Stores the event (or finds the first one of a retry) and answers as the guide shows.
async fn register(
    state: &AppState,
    principal: &Principal,
    (headers, client_id): (&HeaderMap, Option<&str>),
    operation: &str,
    raw_body: &[u8],
    event: NewEvent,
    typed_path: &str,
) -> Result<Response, ApiError> {
    if !principal.may_act_for(&event.customer_number) {
        return Err(ApiError::NotFound(format!(
            "no customer {}",
            event.customer_number
        )));
    }
    let key = idempotency::from_request_or_id(headers, client_id, principal, operation, raw_body)?;
    let id = match state
        .stores
        .events
        .append_event(event, key.as_ref())
        .await?
    {
        Recorded::Created(id) => {
            tracing::info!(event_id = id, "event registered");
            metrics::counter!("bankapi_events_registered_total").increment(1);
            state.feed.wake();
            id
        }
        Recorded::Replayed(resource) => resource.parse().map_err(|_| {
            ApiError::Internal(anyhow::anyhow!(
                "stored resource id {resource:?} is not an event id"
            ))
        })?,
        Recorded::KeyReused => return Err(idempotency::key_reused()),
    };
    let location = state
        .links
        .absolute(&format!("{LINK_ROOT}/{typed_path}/{id}"));
    let mut response = (
        StatusCode::OK,
        Json(CreatedEvent {
            id,
            created_record_status: "Created".into(),
        }),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}
