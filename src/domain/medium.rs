//! Communication media of API.md section 3.

use super::invalid::{ErrorLiteral, FieldError};

/// The accepted `medium` literals, stored in this canonical lower-case form.
pub const MEDIA: [&str; 10] = [
    "phone",
    "mail",
    "email",
    "fax",
    "face-to-face-meeting",
    "sms",
    "web",
    "wap",
    "instant-message",
    "other-communication-technology",
];

/// Spellings of [`MEDIA`] the guide writes (its body sends `"medium": "Mail"`), which the
/// documents list beside the canonical ones so that a generated client may send them.
pub const GUIDE_MEDIA: [&str; 1] = ["Mail"];

/// Matches a medium without regard to case (the guide sends `Mail`).
pub fn parse_medium(tag: &str, raw: &str) -> Result<&'static str, FieldError> {
    let wanted = raw.trim();
    if wanted.is_empty() {
        return Err(FieldError::new(
            tag,
            ErrorLiteral::Required,
            format!("{tag} must not be empty"),
        ));
    }
    MEDIA
        .into_iter()
        .find(|m| m.eq_ignore_ascii_case(wanted))
        .ok_or_else(|| {
            FieldError::new(
                tag,
                ErrorLiteral::UnknownEnum,
                format!("{tag} must be one of {}, got {raw:?}", MEDIA.join(", ")),
            )
        })
}

/// The accepted `communication-type` literals.
pub const COMMUNICATION_TYPES: [&str; 3] = ["general-communication", "complaint", "feedback"];

/// Matches a communication type without regard to case.
pub fn parse_communication_type(tag: &str, raw: &str) -> Result<&'static str, FieldError> {
    COMMUNICATION_TYPES
        .into_iter()
        .find(|m| m.eq_ignore_ascii_case(raw.trim()))
        .ok_or_else(|| {
            FieldError::new(
                tag,
                ErrorLiteral::UnknownEnum,
                format!(
                    "{tag} must be one of {}, got {raw:?}",
                    COMMUNICATION_TYPES.join(", ")
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guides_mail_is_a_medium() {
        assert_eq!(parse_medium("medium", "Mail").unwrap(), "mail");
        assert_eq!(parse_medium("medium", "SMS").unwrap(), "sms");
        assert_eq!(
            parse_medium("medium", "pigeon").unwrap_err().error,
            ErrorLiteral::UnknownEnum
        );
    }
}
