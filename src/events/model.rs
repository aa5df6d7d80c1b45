//! The JSON shapes of the Event API.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::LINK_ROOT;
use crate::domain::EventKind;
use crate::domain::xml::{KeyValue, XmlLimits, key_values};
use crate::http::links::Links;
use crate::http::openapi::{one_of, schema_type};

schema_type!(
    /// The one `CreatedRecordStatus` of a registered event.
    CreatedStatus => one_of(["Created"])
);
use crate::store::EventRecord;

/// An event in a list, as the guide shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct EventItem {
    /// 64-bit id, increasing.
    pub event_id: i64,
    /// When the event was registered, RFC 3339 UTC.
    #[serde(serialize_with = "crate::http::time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub creation_datetime: DateTime<Utc>,
    /// Free text.
    pub description: Option<String>,
    /// The kind.
    pub event_kind: EventKind,
    /// Absolute link to the event's details.
    pub uri: String,
}

impl EventItem {
    /// The list form of a stored event.
    pub fn from_record(record: &EventRecord, links: &Links) -> Self {
        Self {
            event_id: record.id,
            creation_datetime: record.created_at,
            description: record.description.clone(),
            event_kind: record.kind,
            uri: links.absolute(&format!("{LINK_ROOT}/events/{}", record.id)),
        }
    }
}

/// An event with its data, as `GET /events/{event-id}` returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct EventDetail {
    /// The list fields.
    #[serde(flatten)]
    pub item: EventItem,
    /// The event's data as registered.
    pub event_data_xml: String,
    /// Every text-holding element of the XML, in document order.
    pub event_data_key_values: Vec<KeyValue>,
}

impl EventDetail {
    /// The detail form of a stored event. Stored XML was checked on the way in; should a
    /// row still not parse, its key-values are left empty rather than failing the read.
    pub fn from_record(record: &EventRecord, links: &Links) -> Self {
        let limits = XmlLimits {
            max_bytes: usize::MAX,
            max_depth: 64,
        };
        let key_values = key_values(&record.xml, &limits).unwrap_or_else(|error| {
            tracing::warn!(event_id = record.id, %error, "stored event XML does not parse");
            Vec::new()
        });
        Self {
            item: EventItem::from_record(record, links),
            event_data_xml: record.xml.clone(),
            event_data_key_values: key_values,
        }
    }
}

/// An event with its kind's typed fields beside the common ones.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TypedEvent<F: ToSchema> {
    /// The common fields.
    #[serde(flatten)]
    pub detail: EventDetail,
    /// The kind's own fields.
    #[serde(flatten)]
    pub fields: F,
}

/// The answer to a create, as the guides show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedEvent {
    /// The new event's `event-id`.
    pub id: i64,
    /// Always `Created`.
    #[serde(rename = "CreatedRecordStatus")]
    #[schema(value_type = CreatedStatus, inline)]
    pub created_record_status: String,
}
