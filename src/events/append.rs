//! `POST /communication-events` (the guide's step 12) and `POST /events` (the bank's own
//! systems registering any kind).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;

use super::LINK_ROOT;
use super::model::CreatedEvent;
use crate::auth::{Principal, Scope};
use crate::domain::medium::{parse_communication_type, parse_medium};
use crate::domain::xml::{element, key_values};
use crate::domain::{CustomerNumber, EventKind};
use crate::http::extract::ApiJson;
use crate::http::validation::{required_text, text};
use crate::http::{ApiError, ErrorLiteral, Errors, FieldError, idempotency};
use crate::state::AppState;
use crate::store::{NewEvent, Recorded};

/// Longest `description`.
const DESCRIPTION_MAX: usize = 500;
/// Longest short text field (names, titles, addresses).
const FIELD_MAX: usize = 200;

/// A communication between bank and customer, as the guide posts it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewCommunicationEvent {
    /// The client's own id for this record (the API family's reference sends it): without
    /// an `Idempotency-Key` header it is the key, so a retry with the same id and body
    /// answers the first result and a different body with the same id is a 422.
    #[schema(
        max_length = 255,
        pattern = "^[!-~]{1,255}$",
        example = "crm-7f3a-0042"
    )]
    id: Option<String>,
    /// Required: whose history it joins.
    #[schema(value_type = String, required = true, example = "1400269", pattern = "^[A-Z0-9]{1,20}$")]
    customer_number: Option<String>,
    /// The work item it belongs to (`WI` and ten digits); `related-workitem-number` is an alias.
    #[serde(alias = "related-workitem-number")]
    #[schema(example = "WI0000492929", pattern = "^WI[0-9]{10}$", max_length = 12)]
    workitem_id: Option<String>,
    /// Free text, up to 500 characters.
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    description: Option<String>,
    /// Sender.
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    from: Option<String>,
    /// Recipient.
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    to: Option<String>,
    /// Subject.
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    title: Option<String>,
    /// Required: `phone`, `mail`, `email`, `fax`, `face-to-face-meeting`, `sms`, `web`, `wap`,
    /// `instant-message` or `other-communication-technology`, in any case.
    #[schema(value_type = super::schema::MediumInput, required = true, example = "mail")]
    medium: Option<String>,
    /// Why it was sent.
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    purpose: Option<String>,
    /// Where replies go.
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    return_address: Option<String>,
    /// `general-communication`, `complaint` or `feedback`, in any case.
    #[schema(value_type = Option<super::schema::CommunicationTypeInput>)]
    communication_type: Option<String>,
    /// The communication that referred to this one.
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    referral_communication_id: Option<String>,
    /// The communication this one answers.
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    responds_to_id: Option<String>,
    /// Where a complaint stands.
    #[schema(
        max_length = 200,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    resolution_status: Option<String>,
}

/// An event of any kind from the bank's own systems.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewEventBody {
    /// Required: whose history it joins.
    #[schema(value_type = String, required = true, example = "1400269", pattern = "^[A-Z0-9]{1,20}$")]
    customer_number: Option<String>,
    /// Required: the kind, with any accepted alias.
    #[schema(value_type = super::schema::EventKindInput, required = true)]
    event_kind: Option<String>,
    /// Free text, up to 500 characters.
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    description: Option<String>,
    /// Required: the event's data, a well-formed XML document of one root element
    /// (no DTD, no entities but the five predefined ones; 32 KiB and 16 levels at most by
    /// default); typed fields are read from it.
    #[schema(value_type = String, required = true, max_length = 32768, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]*$", example = "<customer-login><user-id>42</user-id></customer-login>")]
    event_data_xml: Option<String>,
}

fn work_item_id(raw: &str) -> Result<String, FieldError> {
    let valid =
        raw.len() == 12 && raw.starts_with("WI") && raw[2..].bytes().all(|b| b.is_ascii_digit());
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(FieldError::new(
            "workitem-id",
            ErrorLiteral::InvalidFormat,
            format!("workitem-id must be WI followed by ten digits, got {raw:?}"),
        ))
    }
}

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
    let input = &body.value;
    let mut errors = Errors::new();
    let customer = errors.require(
        "customer-number",
        input
            .customer_number
            .as_deref()
            .map(|raw| CustomerNumber::parse("customer-number", raw)),
    );
    let medium = errors.require(
        "medium",
        input
            .medium
            .as_deref()
            .map(|raw| parse_medium("medium", raw)),
    );
    let workitem = input
        .workitem_id
        .as_deref()
        .and_then(|raw| errors.check(work_item_id(raw)));
    let communication_type = input
        .communication_type
        .as_deref()
        .and_then(|raw| errors.check(parse_communication_type("communication-type", raw)));
    let description = input
        .description
        .as_deref()
        .and_then(|raw| errors.check(text("description", raw, DESCRIPTION_MAX)));
    let mut texts = Vec::new();
    for (tag, value) in [
        ("from", &input.from),
        ("to", &input.to),
        ("title", &input.title),
        ("purpose", &input.purpose),
        ("return-address", &input.return_address),
        (
            "referral-communication-id",
            &input.referral_communication_id,
        ),
        ("responds-to-id", &input.responds_to_id),
        ("resolution-status", &input.resolution_status),
    ] {
        let checked = value
            .as_deref()
            .and_then(|raw| errors.check(text(tag, raw, FIELD_MAX)));
        texts.push((tag, checked));
    }
    errors.finish()?;
    let (Some(customer), Some(medium)) = (customer, medium) else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "required fields missing after validation"
        )));
    };
    let field = |tag: &str| {
        texts
            .iter()
            .find(|(t, _)| *t == tag)
            .and_then(|(_, v)| v.as_deref())
    };
    let xml = element(
        "communication-event",
        &[
            ("customer-number", Some(customer.as_str())),
            ("workitem-id", workitem.as_deref()),
            ("from", field("from")),
            ("to", field("to")),
            ("title", field("title")),
            ("medium", Some(medium)),
            ("purpose", field("purpose")),
            ("return-address", field("return-address")),
            ("communication-type", communication_type),
            (
                "referral-communication-id",
                field("referral-communication-id"),
            ),
            ("responds-to-id", field("responds-to-id")),
            ("resolution-status", field("resolution-status")),
        ],
    );
    let event = NewEvent {
        customer_number: customer,
        kind: EventKind::CommunicationEvent,
        created_at: chrono::Utc::now(),
        description,
        xml,
    };
    register(
        &state,
        &principal,
        (&headers, input.id.as_deref()),
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
    let input = &body.value;
    let mut errors = Errors::new();
    let customer = errors.require(
        "customer-number",
        input
            .customer_number
            .as_deref()
            .map(|raw| CustomerNumber::parse("customer-number", raw)),
    );
    let kind = errors.require(
        "event-kind",
        input
            .event_kind
            .as_deref()
            .map(|raw| EventKind::parse("event-kind", raw)),
    );
    let description = input
        .description
        .as_deref()
        .and_then(|raw| errors.check(text("description", raw, DESCRIPTION_MAX)));
    let xml = errors.require(
        "event-data-xml",
        input.event_data_xml.as_deref().map(|raw| {
            let raw = required_text("event-data-xml", raw, state.xml_limits.max_bytes)?;
            key_values(&raw, &state.xml_limits)
                .map(|_| raw)
                .map_err(|e| {
                    FieldError::new("event-data-xml", xml_error_literal(&e), e.to_string())
                })
        }),
    );
    errors.finish()?;
    let (Some(customer), Some(kind), Some(xml)) = (customer, kind, xml) else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "required fields missing after validation"
        )));
    };
    let event = NewEvent {
        customer_number: customer,
        kind,
        created_at: chrono::Utc::now(),
        description,
        xml,
    };
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

fn xml_error_literal(error: &crate::domain::xml::XmlError) -> ErrorLiteral {
    use crate::domain::xml::XmlError;
    match error {
        XmlError::TooLarge(_) => ErrorLiteral::MaxLength,
        XmlError::TooDeep(_) => ErrorLiteral::OutOfRange,
        XmlError::Dtd | XmlError::Entity(_) | XmlError::Malformed(_) => ErrorLiteral::InvalidFormat,
    }
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
