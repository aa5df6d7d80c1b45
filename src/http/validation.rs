//! Field-level validation errors, collected so that one response names every bad field.

pub use crate::domain::invalid::{ErrorLiteral, FieldError};

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
