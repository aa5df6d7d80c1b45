//! Instants on the wire: RFC 3339 in UTC with `Z` out; in, RFC 3339, a date-time without
//! an offset, or a plain date. The last two are read in the bank's time zone
//! (`BANKAPI_TIME_ZONE`, an IANA name, UTC by default), as the API family's common guide
//! counts a time without an offset valid (API.md section 11).

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;
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

/// Reads a filter bound: an RFC 3339 instant; a date-time without an offset, in `zone`;
/// or a date meaning the start of that day (`end_of_day` false) or its last microsecond
/// (`end_of_day` true), in `zone`.
pub fn parse_bound(
    tag: &str,
    raw: &str,
    end_of_day: bool,
    zone: Tz,
) -> Result<DateTime<Utc>, FieldError> {
    let raw = raw.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .or_else(|| {
            let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
            if end_of_day {
                day.and_hms_micro_opt(23, 59, 59, 999_999)
            } else {
                day.and_hms_opt(0, 0, 0)
            }
        });
    let Some(local) = local else {
        return Err(FieldError::new(
            tag,
            ErrorLiteral::InvalidFormat,
            format!(
                "{tag} must be an RFC 3339 date-time (2014-10-10T12:34:36Z), a date-time without an offset (read in {zone}) or a date (2014-10-10), got {raw:?}"
            ),
        ));
    };
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => Ok(at.with_timezone(&Utc)),
        // A time the clocks pass twice (autumn): the earlier start, the later end, so the
        // bound takes in all of that wall-clock hour.
        LocalResult::Ambiguous(early, late) => {
            Ok(if end_of_day { late } else { early }.with_timezone(&Utc))
        }
        LocalResult::None => Err(FieldError::new(
            tag,
            ErrorLiteral::OutOfRange,
            format!("{tag} {raw:?} does not exist in {zone}: the clocks skip it"),
        )),
    }
}

/// Reads `BANKAPI_TIME_ZONE`: an IANA name (`Europe/Belgrade`, `UTC`).
pub fn parse_zone(name: &str) -> anyhow::Result<Tz> {
    name.parse::<Tz>()
        .map_err(|e| anyhow::anyhow!("BANKAPI_TIME_ZONE {name:?} is not an IANA time zone: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_cover_the_whole_day() {
        let from = parse_bound("d", "2014-10-10", false, Tz::UTC).unwrap();
        let to = parse_bound("d", "2014-10-10", true, Tz::UTC).unwrap();
        assert_eq!(format(&from), "2014-10-10T00:00:00Z");
        assert_eq!(format(&to), "2014-10-10T23:59:59.999999Z");
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        let at = parse_bound("d", "2014-10-10T12:34:28.203063+02:00", false, Tz::UTC).unwrap();
        assert_eq!(format(&at), "2014-10-10T10:34:28.203063Z");
        assert!(parse_bound("d", "yesterday", false, Tz::UTC).is_err());
    }

    #[test]
    fn times_without_an_offset_are_read_in_the_banks_zone() {
        let belgrade: Tz = parse_zone("Europe/Belgrade").unwrap();
        let at = parse_bound("d", "2014-10-10T12:34:28", false, belgrade).unwrap();
        assert_eq!(format(&at), "2014-10-10T10:34:28Z", "summer time, +02:00");
        let at = parse_bound("d", "2014-12-10T12:34:28.5", false, Tz::UTC).unwrap();
        assert_eq!(format(&at), "2014-12-10T12:34:28.500Z");
        let day = parse_bound("d", "2014-12-10", false, belgrade).unwrap();
        assert_eq!(
            format(&day),
            "2014-12-09T23:00:00Z",
            "a day starts at midnight there"
        );
        // An offset given is kept, whatever the zone.
        let at = parse_bound("d", "2014-10-10T12:34:28Z", false, belgrade).unwrap();
        assert_eq!(format(&at), "2014-10-10T12:34:28Z");
    }

    #[test]
    fn clock_changes_are_handled_not_guessed() {
        let belgrade: Tz = parse_zone("Europe/Belgrade").unwrap();
        let skipped = parse_bound("d", "2024-03-31T02:30:00", false, belgrade).unwrap_err();
        assert_eq!(skipped.error, ErrorLiteral::OutOfRange);
        let twice_from = parse_bound("d", "2024-10-27T02:30:00", false, belgrade).unwrap();
        let twice_to = parse_bound("d", "2024-10-27T02:30:00", true, belgrade).unwrap();
        assert_eq!(format(&twice_from), "2024-10-27T00:30:00Z");
        assert_eq!(format(&twice_to), "2024-10-27T01:30:00Z");
        assert!(parse_zone("Mars/Olympus").is_err());
    }
}
