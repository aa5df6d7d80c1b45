//! The typed views (`GET /{kind}-events/{event-id}`): an event with its kind's own fields,
//! answering 404 for an event of another kind.

use axum::Json;
use axum::extract::{Path, State};

use super::get::load_visible;
use super::model::{EventDetail, TypedEvent};
use crate::auth::Principal;
use crate::domain::EventKind;
use crate::domain::typed_fields::*;
use crate::http::ApiError;
use crate::state::AppState;

macro_rules! typed_view {
    ($handler:ident, $path:literal, $kind:expr, $fields:ty, $what:literal) => {
        #[doc = concat!("Returns ", $what, " with its typed fields.")]
        #[utoipa::path(
            get,
            path = $path,
            tag = "events",
            params(("event-id" = i64, Path, minimum = 1, description = "The event's id")),
            responses(
                (status = 200, description = $what, body = TypedEvent<$fields>),
                (status = 400, description = "The id is not a number"),
                (status = 403, description = "The token lacks customer-event:read"),
                (status = 404, description = "No such event of this kind, or not the caller's"),
            )
        )]
        #[tracing::instrument(skip_all, fields(event_id = %id))]
        pub async fn $handler(
            State(state): State<AppState>,
            principal: Principal,
            Path(id): Path<String>,
        ) -> Result<Json<TypedEvent<$fields>>, ApiError> {
            let record = load_visible(&state, &principal, &id).await?;
            if record.kind != $kind {
                return Err(ApiError::NotFound(format!(
                    "event {} is a {}, not a {}",
                    record.id,
                    record.kind.as_str(),
                    $kind.as_str()
                )));
            }
            let detail = EventDetail::from_record(&record, &state.links);
            let fields = <$fields>::from_key_values(&detail.event_data_key_values);
            Ok(Json(TypedEvent { detail, fields }))
        }
    };
}

typed_view!(
    get_communication_event,
    "/communication-events/{event-id}",
    EventKind::CommunicationEvent,
    CommunicationFields,
    "a communication event"
);
typed_view!(
    get_social_event,
    "/social-events/{event-id}",
    EventKind::SocialEvent,
    SocialFields,
    "a social event"
);
typed_view!(
    get_accounting_transaction_event,
    "/accounting-transaction-events/{event-id}",
    EventKind::AccountingTransactionEvent,
    AccountingTransactionFields,
    "an accounting transaction event"
);
typed_view!(
    get_customer_case_event,
    "/customer-case-events/{event-id}",
    EventKind::CustomerCaseEvent,
    CustomerCaseFields,
    "a customer case event"
);
typed_view!(
    get_arrangement_activity_event,
    "/arrangement-activity-events/{event-id}",
    EventKind::ArrangementActivityEvent,
    ArrangementActivityFields,
    "an arrangement activity event"
);
typed_view!(
    get_profile_maintenance_event,
    "/profile-maintenance-events/{event-id}",
    EventKind::ProfileMaintenanceEvent,
    ProfileMaintenanceFields,
    "a profile maintenance event"
);
typed_view!(
    get_chargable_activity_event,
    "/chargable-activity-events/{event-id}",
    EventKind::ChargableActivityEvent,
    ChargableActivityFields,
    "a chargable activity event"
);
typed_view!(
    get_security_event,
    "/security-events/{event-id}",
    EventKind::SecurityEvent,
    SecurityFields,
    "a security event"
);
