//! Card ids and arrangement numbers: the two identifiers an order names besides customer
//! numbers. Each has its own type so that a card id can never be passed where an
//! arrangement number is meant (they look alike: `C0000000201`, `0064200001930`), and so
//! that nothing past the HTTP edge holds one that was not checked.

use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::invalid::{ErrorLiteral, FieldError, bounded};

/// Longest card id or arrangement number accepted (IBANs are at most 34 characters).
pub const MAX_LEN: usize = 34;

/// The shared rule of both identifiers: 1 to [`MAX_LEN`] letters, digits and dashes,
/// surrounding white space ignored. Nothing else is allowed because these values end up
/// in URLs, in the system of record's bodies and in events' XML.
fn checked(tag: &str, raw: &str) -> Result<String, FieldError> {
    let value = bounded(tag, raw, MAX_LEN)?;
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(FieldError::new(
            tag,
            ErrorLiteral::InvalidFormat,
            format!("{tag} must consist of letters, digits and dashes only, got {raw:?}"),
        ));
    }
    Ok(value.to_owned())
}

/// Defines one identifier type. A macro rather than a generic wrapper, because each type's
/// serde name, wire tag and documentation differ, and `CardId` must not convert into
/// `ArrangementNumber`.
macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident, $tag:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The field name used when a value read from storage or a system of record
            /// breaks the rule.
            pub const TAG: &'static str = $tag;

            /// Checks `raw`, naming `tag` in the error so the client knows which field
            /// is wrong.
            pub fn parse(tag: &str, raw: &str) -> Result<Self, FieldError> {
                checked(tag, raw).map(Self)
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(Self::TAG, &value).map_err(|e| e.message)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

identifier!(
    /// A card's stable identifier (`C0000000201`), never its number.
    CardId,
    "card-id"
);

identifier!(
    /// An arrangement's (account's) number (`0064200001930`), or an IBAN.
    ArrangementNumber,
    "arrangement-number"
);

identifier!(
    /// A mandate's number (`M0000000301`): what a revocation names.
    MandateNumber,
    "mandate-number"
);

impl CardId {
    /// The id bankapi gives a card that its order `digits` produced when the system of
    /// record names none (the built-in adapter): `C` and the order's ten digits, so one
    /// order can never produce two cards.
    pub fn issued_by_order(digits: i64) -> Self {
        Self(format!("C{digits:010}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_refuse_odd_characters() {
        assert_eq!(
            CardId::parse("card-id", "C1; DROP").map_err(|e| e.error),
            Err(ErrorLiteral::InvalidFormat)
        );
        assert_eq!(
            CardId::parse("card-id", "").map_err(|e| e.error),
            Err(ErrorLiteral::Required)
        );
        assert_eq!(
            ArrangementNumber::parse("a", &"1".repeat(MAX_LEN + 1)).map_err(|e| e.error),
            Err(ErrorLiteral::MaxLength)
        );
        assert_eq!(
            CardId::parse("card-id", " K0000000001 ")
                .ok()
                .map(String::from)
                .as_deref(),
            Some("K0000000001")
        );
    }

    #[test]
    fn stored_values_are_checked_when_read() {
        let ok: Result<CardId, _> = serde_json::from_str("\"C0000000201\"");
        assert_eq!(ok.ok().map(String::from).as_deref(), Some("C0000000201"));
        let bad: Result<ArrangementNumber, _> = serde_json::from_str("\"00642 <x>\"");
        assert!(bad.is_err());
    }
}
