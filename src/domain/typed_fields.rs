//! The typed fields of each event kind (API.md section 3). They live in the event's XML and
//! are read from its key-values, so the XML stays the single source of truth.

use serde::Serialize;
use utoipa::ToSchema;

use super::xml::KeyValue;

/// The text of the first element named `key`, wherever it sits in the document.
fn find(key_values: &[KeyValue], key: &str) -> Option<String> {
    key_values
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| kv.value.clone())
}

/// The text of the first element named any of `keys`, the first key first.
fn find_any(key_values: &[KeyValue], keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|key| find(key_values, key))
}

/// The element names are taken as `tt`, not `literal`: a `literal` fragment reaches a
/// derive wrapped in an invisible group, which serde sees through but utoipa does not, so
/// the OpenAPI document named the fields in snake_case while the service sent kebab-case.
///
/// A kind's own fields are always sent (`null` when its XML lacks them), as the guide
/// shows them. The `reference` fields are those the API family's reference adds (API.md
/// section 11); they are sent only when the XML has them, so the guide's answers look
/// exactly as printed, and each may be read from more than one element (`activity-type`
/// is the reference's name for `activity`).
macro_rules! typed_fields {
    (
        $(#[$doc:meta])* $name:ident { $($field:ident => $xml:tt),* $(,)? }
        reference { $($extra:ident => $exml:tt $(| $ealt:tt)*),* $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
        pub struct $name {
            $(
                #[serde(rename = $xml)]
                #[doc = concat!("The `", $xml, "` element of the event's XML, if present.")]
                // At most the XML itself (`xml::MAX_XML_BYTES`); a literal, as utoipa takes.
                #[schema(max_length = 1048576)]
                pub $field: Option<String>,
            )*
            $(
                #[serde(rename = $exml, skip_serializing_if = "Option::is_none")]
                #[doc = concat!("The `", $exml, "` element of the event's XML", $(", else its `", $ealt, "`",)* "; sent only when present (the API family's reference names it).")]
                #[schema(max_length = 1048576)]
                pub $extra: Option<String>,
            )*
        }

        impl $name {
            /// The XML element names this kind reads, in order.
            pub const FIELDS: &'static [&'static str] = &[$($xml,)* $($exml,)*];

            /// Picks this kind's fields out of an event's key-values.
            pub fn from_key_values(key_values: &[KeyValue]) -> Self {
                Self {
                    $($field: find(key_values, $xml),)*
                    $($extra: find_any(key_values, &[$exml $(, $ealt)*]),)*
                }
            }
        }
    };
}

typed_fields!(
    /// A message between bank and customer, and the work item it belongs to.
    CommunicationFields {
        customer_number => "customer-number",
        workitem_id => "workitem-id",
        from => "from",
        to => "to",
        title => "title",
        medium => "medium",
        purpose => "purpose",
        return_address => "return-address",
        communication_type => "communication-type",
        referral_communication_id => "referral-communication-id",
        responds_to_id => "responds-to-id",
        resolution_status => "resolution-status",
    }
    reference {  }
);

typed_fields!(
    /// Activity on a social network.
    SocialFields { network => "network", action => "action", content => "content" }
    reference { from => "from", title => "title" }
);

typed_fields!(
    /// A booked transaction; `amount` is a decimal string so no precision is lost.
    AccountingTransactionFields {
        arrangement_number => "arrangement-number",
        transaction_id => "transaction-id",
        amount => "amount",
        currency_code => "currency-code",
        direction => "direction",
        booking_date => "booking-date",
    }
    reference { transaction_type => "transaction-type", from => "from", title => "title" }
);

typed_fields!(
    /// A customer case.
    CustomerCaseFields {
        case_id => "case-id",
        case_type => "case-type",
        case_status => "case-status",
        channel => "channel",
    }
    reference { from => "from", title => "title" }
);

typed_fields!(
    /// Something done to an arrangement or one of its cards.
    ArrangementActivityFields {
        arrangement_number => "arrangement-number",
        activity => "activity",
        card_id => "card-id",
        workitem_id => "workitem-id",
    }
    reference { activity_type => "activity-type" | "activity", from => "from", title => "title" }
);

typed_fields!(
    /// A change to the customer's profile.
    ProfileMaintenanceFields {
        field => "field",
        old_value => "old-value",
        new_value => "new-value",
        channel => "channel",
    }
    reference { from => "from", title => "title" }
);

typed_fields!(
    /// A fee charged; `amount` is a decimal string.
    ChargableActivityFields {
        fee_code => "fee-code",
        amount => "amount",
        currency_code => "currency-code",
        arrangement_number => "arrangement-number",
    }
    reference { activity_type => "activity-type" | "activity", from => "from", title => "title" }
);

typed_fields!(
    /// A login or other security-relevant action.
    SecurityFields { user_id => "user-id", login_type => "login-type", channel => "channel" }
    reference { from => "from", title => "title" }
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::xml::{XmlLimits, key_values};

    #[test]
    fn security_fields_come_from_the_login_xml() {
        let xml = "<customer-login><customer-id>1</customer-id><user-id>8001186336</user-id><login-type>authorization-code</login-type><channel>mobile</channel></customer-login>";
        let fields =
            SecurityFields::from_key_values(&key_values(xml, &XmlLimits::default()).unwrap());
        assert_eq!(fields.user_id.as_deref(), Some("8001186336"));
        assert_eq!(fields.login_type.as_deref(), Some("authorization-code"));
        assert_eq!(fields.channel.as_deref(), Some("mobile"));
    }

    #[test]
    fn absent_elements_are_none() {
        assert_eq!(SocialFields::from_key_values(&[]), SocialFields::default());
        assert_eq!(
            SocialFields::FIELDS,
            ["network", "action", "content", "from", "title"]
        );
    }
}
