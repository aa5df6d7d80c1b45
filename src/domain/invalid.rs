//! Why a value given to the domain is not acceptable: the rule it broke and a sentence.
//! The HTTP layer turns these into the `errors` of a validation problem; the domain's
//! parsers only say what is wrong.

use serde::Serialize;
use utoipa::ToSchema;

/// The validation literals of API.md section 1, the `error` member of a field error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorLiteral {
    /// A mandatory field or parameter is missing or empty.
    Required,
    /// The value does not have the expected shape (not a number, not a date...).
    InvalidFormat,
    /// The value is longer than allowed.
    MaxLength,
    /// The value is shorter than allowed.
    MinLength,
    /// A number or date outside its allowed range.
    OutOfRange,
    /// A value outside a fixed enumeration (`medium`, `event-kind`...).
    UnknownEnum,
    /// A value, or a field name, that is not on the list of accepted ones.
    NotOnList,
}

/// One entry of a validation problem's `errors` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field or parameter at fault, with its JSON or query name.
    pub tag: String,
    /// Which rule it broke.
    pub error: ErrorLiteral,
    /// A sentence for the developer reading the response.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(tag: impl Into<String>, error: ErrorLiteral, message: impl Into<String>) -> Self {
        Self {
            tag: tag.into(),
            error,
            message: message.into(),
        }
    }
}

/// `raw` without surrounding white space, if it is not empty and at most `max` characters:
/// the first two rules every identifier of the domain checks, before its own alphabet.
pub(crate) fn bounded<'a>(tag: &str, raw: &'a str, max: usize) -> Result<&'a str, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::new(
            tag,
            ErrorLiteral::Required,
            format!("{tag} must not be empty"),
        ));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(
            tag,
            ErrorLiteral::MaxLength,
            format!("{tag} must be at most {max} characters"),
        ));
    }
    Ok(value)
}
