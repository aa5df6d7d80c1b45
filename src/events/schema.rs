//! Types that exist only to document, in the OpenAPI document, the literals the event
//! API's text inputs accept (the handlers read them as text so that validation names a bad
//! value precisely). Schemathesis generates requests from these: each listed value must
//! be accepted.

use serde::Serialize;
use utoipa::ToSchema;

/// Every spelling `event-kind` accepts (in any case): the canonical names, the guide's
/// `SecurtyEvent`, the kebab-case forms and `chargeable-activity`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub enum EventKindInput {
    CommunicationEvent,
    SocialEvent,
    AccountingTransactionEvent,
    CustomerCaseEvent,
    ArrangementActivityEvent,
    ProfileMaintenanceEvent,
    ChargableActivityEvent,
    SecurityEvent,
    SecurtyEvent,
    ChargeableActivityEvent,
    #[serde(rename = "communication")]
    Communication,
    #[serde(rename = "social")]
    Social,
    #[serde(rename = "accounting-transaction")]
    AccountingTransaction,
    #[serde(rename = "customer-case")]
    CustomerCase,
    #[serde(rename = "arrangement-activity")]
    ArrangementActivity,
    #[serde(rename = "profile-maintenance")]
    ProfileMaintenance,
    #[serde(rename = "chargable-activity")]
    ChargableActivity,
    #[serde(rename = "chargeable-activity")]
    ChargeableActivity,
    #[serde(rename = "security")]
    Security,
}

/// The media of a communication (accepted in any case: the guide writes `Mail`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
pub enum MediumInput {
    Phone,
    Mail,
    Email,
    Fax,
    FaceToFaceMeeting,
    Sms,
    Web,
    Wap,
    InstantMessage,
    OtherCommunicationTechnology,
}

/// The types of a communication (accepted in any case).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
pub enum CommunicationTypeInput {
    GeneralCommunication,
    Complaint,
    Feedback,
}

/// `sort-order` literals (accepted in any case).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum SortOrderInput {
    Asc,
    Desc,
}

/// The one `sort-by` the event list knows.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[allow(dead_code)]
pub enum EventSortInput {
    CreationDatetime,
}
