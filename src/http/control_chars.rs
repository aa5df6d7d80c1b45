//! Control characters in input are refused at the edge, the same on both backends.
//!
//! PostgreSQL text cannot hold NUL (an insert fails with an encoding error, which would
//! surface as a 500), XML 1.0 cannot hold any C0 control except tab, line feed and
//! carriage return (and event data ends up as XML), and no value of this API (numbers,
//! ids, codes, names, free text) has a use for them. So a path, query or JSON string
//! holding one is a 400 before anything reads it.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, ErrorLiteral, FieldError};

/// Whether `byte` is a C0 control other than tab, line feed and carriage return. In UTF-8
/// these never occur inside a multi-byte character, so checking bytes is exact.
fn is_forbidden(byte: u32) -> bool {
    byte < 0x20 && !matches!(byte, 0x09 | 0x0a | 0x0d)
}

/// Whether a JSON text holds a forbidden character inside a string, written as a `\uXXXX`
/// escape (raw control bytes in a string are already invalid JSON, refused by the parser).
/// A hand-written scan: serde offers no hook on every string of an arbitrary typed body,
/// and the scan only has to follow string and escape boundaries.
pub fn json_has_forbidden_escape(raw: &[u8]) -> bool {
    let mut in_string = false;
    let mut i = 0;
    while i < raw.len() {
        match (in_string, raw[i]) {
            (false, b'"') => in_string = true,
            (true, b'"') => in_string = false,
            (true, b'\\') => {
                if raw.get(i + 1) == Some(&b'u') {
                    let code = raw
                        .get(i + 2..i + 6)
                        .and_then(|hex| std::str::from_utf8(hex).ok())
                        .and_then(|hex| u32::from_str_radix(hex, 16).ok());
                    if code.is_some_and(is_forbidden) {
                        return true;
                    }
                    i += 6;
                } else {
                    i += 2;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    false
}

fn decoded_has_forbidden(raw: &str) -> bool {
    percent_encoding::percent_decode_str(raw).any(|b| is_forbidden(u32::from(b)))
}

/// Middleware: refuses a request whose percent-decoded path or query holds a forbidden
/// character.
pub async fn refuse_control_characters(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let refused = if decoded_has_forbidden(uri.path()) {
        Some("path")
    } else if uri.query().is_some_and(decoded_has_forbidden) {
        Some("query")
    } else {
        None
    };
    match refused {
        Some(part) => ApiError::field(FieldError::new(
            part,
            ErrorLiteral::InvalidFormat,
            format!("the {part} holds a control character, which no value of this API may contain"),
        ))
        .into_response(),
        None => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_controls_inside_strings_are_found() {
        assert!(json_has_forbidden_escape(br#"{"a": "x\u0000y"}"#));
        assert!(json_has_forbidden_escape(br#"{"a": "\u001F"}"#));
        assert!(json_has_forbidden_escape(br#"{"\u0001": 1}"#));
    }

    #[test]
    fn ordinary_text_and_allowed_escapes_pass() {
        assert!(!json_has_forbidden_escape(
            br#"{"a": "line\nnext\ttab\r", "b": "\u00e9\u0020"}"#
        ));
        // An escaped backslash followed by the letters u0000 is text, not an escape.
        assert!(!json_has_forbidden_escape(br#"{"a": "C:\\u0000"}"#));
        assert!(!json_has_forbidden_escape(br#"{"a": "say \"\u0041\""}"#));
    }

    #[test]
    fn percent_encoded_controls_are_found() {
        assert!(decoded_has_forbidden("/cards/%00"));
        assert!(decoded_has_forbidden("customer-number=1%1b"));
        assert!(!decoded_has_forbidden("/cards/C0000000101"));
        assert!(!decoded_has_forbidden("q=%09%0A%C3%A9"));
    }
}
