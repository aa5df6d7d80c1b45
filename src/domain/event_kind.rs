//! The kinds of customer event, with the spellings clients may use for them.

use serde::Serialize;
use utoipa::ToSchema;

use super::invalid::{ErrorLiteral, FieldError};

/// What an event is about. Serialized as its canonical name (`SecurityEvent`...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
pub enum EventKind {
    /// A message between the bank and the customer.
    CommunicationEvent,
    /// Activity on a social network.
    SocialEvent,
    /// A booked transaction on an arrangement.
    AccountingTransactionEvent,
    /// A case (complaint, request) opened or updated.
    CustomerCaseEvent,
    /// Something done to an arrangement or its cards.
    ArrangementActivityEvent,
    /// A change to the customer's profile.
    ProfileMaintenanceEvent,
    /// A fee charged.
    ChargableActivityEvent,
    /// A login or other security-relevant action.
    SecurityEvent,
}

impl EventKind {
    /// Every kind, in a stable order.
    pub const ALL: [EventKind; 8] = [
        Self::CommunicationEvent,
        Self::SocialEvent,
        Self::AccountingTransactionEvent,
        Self::CustomerCaseEvent,
        Self::ArrangementActivityEvent,
        Self::ProfileMaintenanceEvent,
        Self::ChargableActivityEvent,
        Self::SecurityEvent,
    ];

    /// The canonical name, as stored and returned.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CommunicationEvent => "CommunicationEvent",
            Self::SocialEvent => "SocialEvent",
            Self::AccountingTransactionEvent => "AccountingTransactionEvent",
            Self::CustomerCaseEvent => "CustomerCaseEvent",
            Self::ArrangementActivityEvent => "ArrangementActivityEvent",
            Self::ProfileMaintenanceEvent => "ProfileMaintenanceEvent",
            Self::ChargableActivityEvent => "ChargableActivityEvent",
            Self::SecurityEvent => "SecurityEvent",
        }
    }

    /// The kebab-case form, also the path segment of the typed view (`{slug}-events`).
    pub fn slug(self) -> &'static str {
        match self {
            Self::CommunicationEvent => "communication",
            Self::SocialEvent => "social",
            Self::AccountingTransactionEvent => "accounting-transaction",
            Self::CustomerCaseEvent => "customer-case",
            Self::ArrangementActivityEvent => "arrangement-activity",
            Self::ProfileMaintenanceEvent => "profile-maintenance",
            Self::ChargableActivityEvent => "chargable-activity",
            Self::SecurityEvent => "security",
        }
    }

    /// Reads a stored canonical name.
    pub fn from_stored(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Spellings taken beside the canonical names and the slugs: the guide's
    /// `SecurtyEvent`, and the correctly spelled chargeable activity.
    pub const ALIASES: [(&'static str, EventKind); 3] = [
        ("SecurtyEvent", Self::SecurityEvent),
        ("ChargeableActivityEvent", Self::ChargableActivityEvent),
        ("chargeable-activity", Self::ChargableActivityEvent),
    ];

    /// Every spelling [`EventKind::parse`] takes (in any case), for the documents.
    pub fn spellings() -> impl Iterator<Item = &'static str> {
        Self::ALL
            .into_iter()
            .flat_map(|kind| [kind.as_str(), kind.slug()])
            .chain(Self::ALIASES.map(|(alias, _)| alias))
    }

    /// Reads a kind given as input: the canonical name, the kebab-case forms and the
    /// [`EventKind::ALIASES`], all without regard to case.
    pub fn parse(tag: &str, raw: &str) -> Result<Self, FieldError> {
        let wanted = raw.trim().to_ascii_lowercase();
        Self::ALIASES
            .into_iter()
            .find(|(alias, _)| alias.eq_ignore_ascii_case(&wanted))
            .map(|(_, kind)| kind)
            .or_else(|| {
                Self::ALL
                    .into_iter()
                    .find(|k| k.as_str().eq_ignore_ascii_case(&wanted) || k.slug() == wanted)
            })
            .ok_or_else(|| {
                FieldError::new(
                    tag,
                    ErrorLiteral::UnknownEnum,
                    format!(
                        "{tag} must be one of {}, got {raw:?}",
                        Self::ALL.map(Self::as_str).join(", ")
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_alias_is_accepted() {
        let cases = [
            ("SecurtyEvent", EventKind::SecurityEvent),
            ("SecurityEvent", EventKind::SecurityEvent),
            ("security", EventKind::SecurityEvent),
            ("communication", EventKind::CommunicationEvent),
            ("social", EventKind::SocialEvent),
            (
                "accounting-transaction",
                EventKind::AccountingTransactionEvent,
            ),
            ("customer-case", EventKind::CustomerCaseEvent),
            ("arrangement-activity", EventKind::ArrangementActivityEvent),
            ("profile-maintenance", EventKind::ProfileMaintenanceEvent),
            ("chargeable-activity", EventKind::ChargableActivityEvent),
            ("chargable-activity", EventKind::ChargableActivityEvent),
            ("ChargableActivityEvent", EventKind::ChargableActivityEvent),
            ("communicationevent", EventKind::CommunicationEvent),
        ];
        for (raw, kind) in cases {
            assert_eq!(EventKind::parse("event-kind", raw).unwrap(), kind, "{raw}");
        }
    }

    #[test]
    fn unknown_kinds_are_unknown_enum() {
        assert_eq!(
            EventKind::parse("k", "LoginEvent").unwrap_err().error,
            ErrorLiteral::UnknownEnum
        );
    }

    #[test]
    fn stored_names_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_stored(kind.as_str()), Some(kind));
        }
    }
}
