//! The bodies of the event POSTs and their validation: every bad field is named at once,
//! and what passes is the event to register.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::medium::{parse_communication_type, parse_medium};
use crate::domain::xml::{XmlLimits, element, key_values};
use crate::domain::{CustomerNumber, EventKind};
use crate::http::validation::{required_text, text};
use crate::http::{ApiError, ErrorLiteral, Errors, FieldError};
use crate::store::NewEvent;

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

impl NewCommunicationEvent {
    /// The communication event this body registers, or a 400 naming every bad field.
    pub(super) fn validate(&self) -> Result<NewEvent, ApiError> {
        let mut errors = Errors::new();
        let customer = errors.require(
            "customer-number",
            self.customer_number
                .as_deref()
                .map(|raw| CustomerNumber::parse("customer-number", raw)),
        );
        let medium = errors.require(
            "medium",
            self.medium
                .as_deref()
                .map(|raw| parse_medium("medium", raw)),
        );
        let workitem = self
            .workitem_id
            .as_deref()
            .and_then(|raw| errors.check(work_item_id(raw)));
        let communication_type = self
            .communication_type
            .as_deref()
            .and_then(|raw| errors.check(parse_communication_type("communication-type", raw)));
        let description = self
            .description
            .as_deref()
            .and_then(|raw| errors.check(text("description", raw, DESCRIPTION_MAX)));
        let mut texts = Vec::new();
        for (tag, value) in [
            ("from", &self.from),
            ("to", &self.to),
            ("title", &self.title),
            ("purpose", &self.purpose),
            ("return-address", &self.return_address),
            ("referral-communication-id", &self.referral_communication_id),
            ("responds-to-id", &self.responds_to_id),
            ("resolution-status", &self.resolution_status),
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
        Ok(NewEvent {
            customer_number: customer,
            kind: EventKind::CommunicationEvent,
            created_at: chrono::Utc::now(),
            description,
            xml,
        })
    }

    /// The client's own id for the record: the idempotency key when no header gives one.
    pub(super) fn client_id(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

impl NewEventBody {
    /// The event this body registers, its XML checked against `limits`, or a 400 naming
    /// every bad field.
    pub(super) fn validate(&self, limits: &XmlLimits) -> Result<NewEvent, ApiError> {
        let mut errors = Errors::new();
        let customer = errors.require(
            "customer-number",
            self.customer_number
                .as_deref()
                .map(|raw| CustomerNumber::parse("customer-number", raw)),
        );
        let kind = errors.require(
            "event-kind",
            self.event_kind
                .as_deref()
                .map(|raw| EventKind::parse("event-kind", raw)),
        );
        let description = self
            .description
            .as_deref()
            .and_then(|raw| errors.check(text("description", raw, DESCRIPTION_MAX)));
        let xml = errors.require(
            "event-data-xml",
            self.event_data_xml.as_deref().map(|raw| {
                let raw = required_text("event-data-xml", raw, limits.max_bytes)?;
                key_values(&raw, limits).map(|_| raw).map_err(|e| {
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
        Ok(NewEvent {
            customer_number: customer,
            kind,
            created_at: chrono::Utc::now(),
            description,
            xml,
        })
    }
}

fn xml_error_literal(error: &crate::domain::xml::XmlError) -> ErrorLiteral {
    use crate::domain::xml::XmlError;
    match error {
        XmlError::TooLarge(_) => ErrorLiteral::MaxLength,
        XmlError::TooDeep(_) => ErrorLiteral::OutOfRange,
        XmlError::Dtd | XmlError::Entity(_) | XmlError::Malformed(_) => ErrorLiteral::InvalidFormat,
    }
}
