//! Opaque cursors for walking a list page after page (API.md section 10): a cursor names
//! the last item of the page before, so the next page is a seek in the list's index
//! rather than an offset counted from the start, and its cost does not grow with depth.
//!
//! A cursor is base64url of `v1.<micros>.<id>.<a|d>`: the item's creation time and id,
//! and the order it was made for. It is opaque to clients (documented as such), and
//! checked as strictly as any input: a cursor that does not decode, or was made for the
//! other order, is a 400.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;

use crate::domain::page::SortOrder;
use crate::http::{ErrorLiteral, FieldError};
use crate::store::EventKey;

/// The cursor of a walk's first page.
pub const FIRST: &str = "first";
/// Longest cursor accepted.
pub const MAX_CURSOR: usize = 100;

/// The cursor that continues after `key` in `order`.
pub fn encode(key: EventKey, order: SortOrder) -> String {
    let direction = match order {
        SortOrder::Asc => 'a',
        SortOrder::Desc => 'd',
    };
    URL_SAFE_NO_PAD.encode(format!(
        "v1.{}.{}.{direction}",
        key.created_at.timestamp_micros(),
        key.id
    ))
}

/// Where `raw` continues: `None` for [`FIRST`], else the key after which the page starts.
pub fn decode(raw: &str, order: SortOrder) -> Result<Option<EventKey>, FieldError> {
    if raw == FIRST {
        return Ok(None);
    }
    let invalid = || {
        FieldError::new(
            "cursor",
            ErrorLiteral::InvalidFormat,
            "cursor must be `first` or a next-cursor of this list",
        )
    };
    if raw.len() > MAX_CURSOR {
        return Err(invalid());
    }
    let text = URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(invalid)?;
    let mut parts = text.split('.');
    let (Some("v1"), Some(micros), Some(id), Some(direction), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(invalid());
    };
    let created_at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_micros)
        .ok_or_else(invalid)?;
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|id| *id >= 1)
        .ok_or_else(invalid)?;
    let made_for = match direction {
        "a" => SortOrder::Asc,
        "d" => SortOrder::Desc,
        _ => return Err(invalid()),
    };
    if made_for != order {
        return Err(FieldError::new(
            "cursor",
            ErrorLiteral::OutOfRange,
            format!(
                "this cursor was made for sort-order {}; send the same sort-order as the page it came from",
                made_for.as_str()
            ),
        ));
    }
    Ok(Some(EventKey { created_at, id }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_comes_back_as_it_went() {
        let key = EventKey {
            created_at: DateTime::from_timestamp_micros(1_700_000_000_123_456).expect("time"),
            id: 258_242,
        };
        let cursor = encode(key, SortOrder::Desc);
        assert!(cursor.len() <= MAX_CURSOR);
        assert!(
            cursor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(decode(&cursor, SortOrder::Desc), Ok(Some(key)));
        assert_eq!(decode(FIRST, SortOrder::Asc), Ok(None));
        assert!(
            decode(&cursor, SortOrder::Asc).is_err(),
            "made for the other order"
        );
    }

    #[test]
    fn anything_else_is_refused() {
        let forged = URL_SAFE_NO_PAD.encode("v1.1.0.d");
        let extra = URL_SAFE_NO_PAD.encode("v1.1.2.d.x");
        for bad in ["", "last", "!!!", forged.as_str(), extra.as_str()] {
            assert!(decode(bad, SortOrder::Desc).is_err(), "{bad}");
        }
    }
}
