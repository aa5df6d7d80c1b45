//! Field-level validation errors, collected so that one response names every bad field.

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

/// Collects field errors while a request is checked, so every fault is reported at once.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    /// Starts an empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one error.
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Records a `required` error for `tag`.
    pub fn required(&mut self, tag: &str) {
        self.push(FieldError::new(
            tag,
            ErrorLiteral::Required,
            format!("{tag} is required"),
        ));
    }

    /// Keeps the value of a check, or records its error and yields `None`.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(error);
                None
            }
        }
    }

    /// Like [`Errors::check`] for a field that must be present.
    pub fn require<T>(&mut self, tag: &str, value: Option<Result<T, FieldError>>) -> Option<T> {
        match value {
            Some(result) => self.check(result),
            None => {
                self.required(tag);
                None
            }
        }
    }

    /// `Ok` when nothing was recorded, else the validation problem.
    pub fn finish(self) -> Result<(), super::ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(super::ApiError::Validation(self.0))
        }
    }
}

/// Checks a free-text field's length in characters and yields it trimmed of nothing:
/// free text is kept exactly as sent.
pub fn text(tag: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let len = value.chars().count();
    if len > max {
        return Err(FieldError::new(
            tag,
            ErrorLiteral::MaxLength,
            format!("{tag} must be at most {max} characters, got {len}"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(FieldError::new(
            tag,
            ErrorLiteral::InvalidFormat,
            format!("{tag} must not contain control characters"),
        ));
    }
    Ok(value.to_owned())
}

/// Like [`text`] but an empty or blank value counts as missing.
pub fn required_text(tag: &str, value: &str, max: usize) -> Result<String, FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(
            tag,
            ErrorLiteral::Required,
            format!("{tag} must not be empty"),
        ));
    }
    text(tag, value, max)
}
