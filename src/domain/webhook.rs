//! Webhook rules (API.md section 10) that need no I/O: the Standard Webhooks signature,
//! secrets, the retry schedule and which targets count as private.
//!
//! The signature is written here rather than taken from a crate: the scheme is one HMAC
//! over `id.timestamp.body` (a few lines over `hmac`), and the only Rust crate for it is
//! a whole webhook-service SDK. The tests check it against a receiver that verifies with
//! the `standardwebhooks` package (PyPI), which we did not write.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What a secret starts with, as Standard Webhooks prints them.
pub const SECRET_PREFIX: &str = "whsec_";
/// Bytes of key material in a secret bankapi makes.
const SECRET_BYTES: usize = 32;
/// How long after the first attempt a delivery is retried before it is given up.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(3 * 24 * 3600);
/// The first retry's delay ("within 10 s").
const FIRST_RETRY: Duration = Duration::from_secs(5);
/// The longest wait between two attempts.
const LONGEST_WAIT: Duration = Duration::from_secs(6 * 3600);

/// A new secret from `random` key bytes: `whsec_` and their base64.
pub fn new_secret(random: [u8; SECRET_BYTES]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(random))
}

/// The key of a secret: the base64 after `whsec_`.
fn key_of(secret: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .ok()
}

/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under `secret`; `None` if the
/// secret is not base64 (never for one bankapi made).
pub fn signature(secret: &str, message_id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = key_of(secret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// The `webhook-signature` header: one signature per secret in force, separated by
/// spaces (during a rotation's overlap, the new and the previous).
pub fn signature_header<'a>(
    secrets: impl IntoIterator<Item = &'a str>,
    message_id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .into_iter()
        .filter_map(|secret| signature(secret, message_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// When to try again after `attempts` failed attempts: 5 s, then doubling up to six
/// hours, with up to a fifth of jitter (`jitter` in 0..1) so that a receiver that comes
/// back is not hit by every delivery at once. `None` once `since_first` passed
/// [`GIVE_UP_AFTER`].
pub fn retry_delay(attempts: u32, since_first: Duration, jitter: f64) -> Option<Duration> {
    if since_first >= GIVE_UP_AFTER {
        return None;
    }
    let doubled = FIRST_RETRY.saturating_mul(1_u32 << attempts.saturating_sub(1).min(20));
    let wait = doubled.min(LONGEST_WAIT);
    Some(wait.mul_f64(1.0 - jitter.clamp(0.0, 1.0) * 0.2))
}

/// Whether a target at `address` is inside the bank or this machine: loopback, private,
/// link-local, unique-local, unspecified, shared (CGNAT) or documentation ranges. Webhooks
/// there are refused unless allowed, so that a subscription cannot make bankapi call its
/// own network.
pub fn is_private(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || (a == 100 && (64..128).contains(&b))
                || a == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn a_rotation_signs_with_both_secrets() {
        let header = signature_header(
            [new_secret([1; 32]).as_str(), new_secret([2; 32]).as_str()],
            "msg_1",
            1,
            b"{}",
        );
        assert_eq!(header.split(' ').count(), 2);
        assert!(header.split(' ').all(|s| s.starts_with("v1,")));
    }

    #[test]
    fn retries_grow_and_stop_after_three_days() {
        assert_eq!(retry_delay(1, Duration::ZERO, 0.0), Some(FIRST_RETRY));
        assert!(retry_delay(1, Duration::ZERO, 1.0) < Some(Duration::from_secs(10)));
        assert_eq!(
            retry_delay(3, Duration::ZERO, 0.0),
            Some(Duration::from_secs(20))
        );
        assert_eq!(retry_delay(40, Duration::ZERO, 0.0), Some(LONGEST_WAIT));
        assert_eq!(retry_delay(2, GIVE_UP_AFTER, 0.0), None);
    }

    #[test]
    fn private_targets_are_recognised() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.1.1",
            "::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "100.64.0.1",
            "0.0.0.0",
        ] {
            assert!(is_private(private.parse().expect("ip")), "{private}");
        }
        for public in ["8.8.8.8", "2001:4860:4860::8888", "151.101.1.1"] {
            assert!(!is_private(public.parse().expect("ip")), "{public}");
        }
    }
}
