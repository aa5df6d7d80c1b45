//! Customer numbers: the bank's identifiers such as `1400269` or `MIGR00002`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::invalid::{ErrorLiteral, FieldError, bounded};

/// A checked customer number: 1 to 20 characters, ASCII upper-case letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CustomerNumber(String);

/// Longest customer number the bank issues.
pub const MAX_LEN: usize = 20;

impl CustomerNumber {
    /// Checks `raw`, naming `tag` in the error so the client knows which field is wrong.
    pub fn parse(tag: &str, raw: &str) -> Result<Self, FieldError> {
        let value = bounded(tag, raw, MAX_LEN)?;
        if !value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(FieldError::new(
                tag,
                ErrorLiteral::InvalidFormat,
                format!("{tag} must consist of upper-case letters and digits only"),
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CustomerNumber {
    type Error = String;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("customer-number", &value).map_err(|e| e.message)
    }
}

impl From<CustomerNumber> for String {
    fn from(value: CustomerNumber) -> Self {
        value.0
    }
}

impl fmt::Display for CustomerNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guides_numbers_are_valid() {
        for raw in ["1400269", "1400054", "MIGR00002", "BRVU00002"] {
            assert_eq!(CustomerNumber::parse("c", raw).unwrap().as_str(), raw);
        }
    }

    #[test]
    fn bad_numbers_name_the_rule_they_break() {
        assert_eq!(
            CustomerNumber::parse("c", "").unwrap_err().error,
            ErrorLiteral::Required
        );
        assert_eq!(
            CustomerNumber::parse("c", "1' OR 1=1").unwrap_err().error,
            ErrorLiteral::InvalidFormat
        );
        assert_eq!(
            CustomerNumber::parse("c", &"1".repeat(21))
                .unwrap_err()
                .error,
            ErrorLiteral::MaxLength
        );
    }
}
