//! Instants on the wire: RFC 3339 in UTC with `Z` out; RFC 3339 or a plain date in.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serializer;

use super::{ErrorLiteral, FieldError};

/// Serializes an instant as RFC 3339 UTC (`2014-10-10T12:34:36.690Z`).
pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(at))
}

/// The wire form of an instant.
pub fn format(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Reads a filter bound: an RFC 3339 instant, or a date meaning the start of that day
/// (`end_of_day` false) or its last microsecond (`end_of_day` true), in UTC.
pub fn parse_bound(tag: &str, raw: &str, end_of_day: bool) -> Result<DateTime<Utc>, FieldError> {
    let raw = raw.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(day) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let time = if end_of_day {
            day.and_hms_micro_opt(23, 59, 59, 999_999)
        } else {
            day.and_hms_opt(0, 0, 0)
        };
        if let Some(time) = time {
            return Ok(time.and_utc());
        }
    }
    Err(FieldError::new(
        tag,
        ErrorLiteral::InvalidFormat,
        format!(
            "{tag} must be an RFC 3339 date-time (2014-10-10T12:34:36Z) or a date (2014-10-10), got {raw:?}"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_cover_the_whole_day() {
        let from = parse_bound("d", "2014-10-10", false).unwrap();
        let to = parse_bound("d", "2014-10-10", true).unwrap();
        assert_eq!(format(&from), "2014-10-10T00:00:00Z");
        assert_eq!(format(&to), "2014-10-10T23:59:59.999999Z");
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        let at = parse_bound("d", "2014-10-10T12:34:28.203063+02:00", false).unwrap();
        assert_eq!(format(&at), "2014-10-10T10:34:28.203063Z");
        assert!(parse_bound("d", "yesterday", false).is_err());
    }
}
