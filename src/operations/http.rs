//! The HTTP adapter: the contract of API.md section 7, bankapi as the client.
//!
//! `POST {base}/operations` with the step's `Idempotency-Key`, or `GET
//! {base}/operations/{reference}` for a pending one. Every answer is read into an
//! [`Outcome`]: what the contract calls transient is retried by the engine, what breaks
//! the contract holds the order for a person.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::NaiveDate;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::StatusCode;
use serde::Deserialize;

use super::Operations;
use crate::config::Secret;
use crate::domain::identifier::CardId;
use crate::domain::operation::{Operation, Outcome, Produced};

/// The largest answer read; a system that sends more is not speaking the contract.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// The longest reference, id or number taken from an answer.
const MAX_IDENTIFIER: usize = 64;

/// Calls a system of record over HTTP.
pub struct HttpOperations {
    client: reqwest::Client,
    base: String,
    token: Option<Secret>,
    timeout: Duration,
}

impl HttpOperations {
    /// A client for the system at `base` (`http(s)://host[:port][/prefix]`).
    pub fn new(base: &str, token: Option<Secret>, timeout: Duration) -> anyhow::Result<Self> {
        let parsed = url::Url::parse(base)
            .map_err(|e| anyhow::anyhow!("BANKAPI_OPERATIONS_URL is not a URL: {e}"))?;
        anyhow::ensure!(
            matches!(parsed.scheme(), "http" | "https"),
            "BANKAPI_OPERATIONS_URL must be http or https"
        );
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .pool_max_idle_per_host(256)
            .build()?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
            token,
            timeout,
        })
    }

    async fn send(&self, operation: &Operation) -> Outcome {
        let request = match &operation.poll {
            None => {
                let mut body = serde_json::Map::new();
                body.insert("operation".into(), operation.name.into());
                for (name, value) in &operation.fields {
                    body.insert((*name).into(), value.clone());
                }
                self.client
                    .post(format!("{}/operations", self.base))
                    .json(&body)
            }
            Some(reference) => self.client.get(format!(
                "{}/operations/{}",
                self.base,
                utf8_percent_encode(reference, NON_ALPHANUMERIC)
            )),
        };
        let mut request = request
            .header("Idempotency-Key", &operation.idempotency_key)
            .timeout(self.timeout);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return transient(describe(error)),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        if response
            .content_length()
            .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
        {
            return hold(format!("answered {status} with a body over 64 KiB"));
        }
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(error) => return transient(describe(error)),
        };
        interpret(operation, status, retry_after, &body)
    }
}

#[async_trait]
impl Operations for HttpOperations {
    fn is_local(&self) -> bool {
        false
    }

    async fn call(&self, operation: &Operation) -> Outcome {
        let started = Instant::now();
        metrics::gauge!("bankapi_operations_in_flight").increment(1.0);
        let outcome = self.send(operation).await;
        metrics::gauge!("bankapi_operations_in_flight").decrement(1.0);
        let kind = if operation.poll.is_some() {
            "poll"
        } else {
            "call"
        };
        metrics::counter!("bankapi_operations_total",
            "operation" => operation.name, "request" => kind, "outcome" => outcome.label())
        .increment(1);
        metrics::histogram!("bankapi_operation_duration_seconds", "operation" => operation.name)
            .record(started.elapsed().as_secs_f64());
        if let Outcome::Transient { error, .. } | Outcome::Hold { reason: error } = &outcome {
            tracing::warn!(key = %operation.idempotency_key, outcome = outcome.label(), %error,
                "the system of record did not complete the operation");
        }
        outcome
    }
}

/// An answer's body, as far as the contract names it.
#[derive(Debug, Deserialize)]
struct Answer {
    status: Option<String>,
    reference: Option<String>,
    reason: Option<String>,
    result: Option<AnswerResult>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
struct AnswerResult {
    card_id: Option<String>,
    serial_number: Option<String>,
    masked_number: Option<String>,
    expiry_date: Option<String>,
}

fn transient(error: String) -> Outcome {
    Outcome::Transient {
        error,
        retry_after: None,
    }
}

fn hold(reason: String) -> Outcome {
    Outcome::Hold {
        reason: format!("the system of record {reason}"),
    }
}

/// The error without the URL's credentials or query: the adapter's own words.
fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        "no answer within the timeout".into()
    } else if error.is_connect() {
        "could not connect".into()
    } else {
        format!("the request failed: {}", error.without_url())
    }
}

/// Reads one answer as the contract says.
fn interpret(
    operation: &Operation,
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Outcome {
    let answer = || serde_json::from_slice::<Answer>(body);
    match status.as_u16() {
        200..=202 => {
            let Ok(answer) = answer() else {
                return transient(format!("answered {status} with a body that is not JSON"));
            };
            let reported = if status == StatusCode::ACCEPTED {
                "pending"
            } else {
                answer.status.as_deref().unwrap_or_default()
            };
            match reported {
                "succeeded" => succeeded(operation, answer),
                "pending" => match answer.reference.filter(|r| identifier(r)) {
                    Some(reference) => Outcome::Pending { reference },
                    None => hold("answered pending without a usable reference".into()),
                },
                "declined" => declined(answer.reason),
                other => hold(format!("answered {status} with status {other:?}")),
            }
        }
        422 => declined(answer().ok().and_then(|a| a.reason)),
        409 => hold(format!(
            "refused Idempotency-Key {} as used for another operation (409)",
            operation.idempotency_key
        )),
        429 => Outcome::Transient {
            error: "asked to slow down (429)".into(),
            retry_after,
        },
        401 | 403 | 408 | 500..=599 => Outcome::Transient {
            error: format!("answered {status}"),
            retry_after,
        },
        _ => hold(format!(
            "answered {status}, which the contract does not allow"
        )),
    }
}

fn declined(reason: Option<String>) -> Outcome {
    let reason = reason
        .map(|r| r.chars().filter(|c| !c.is_control()).take(500).collect())
        .filter(|r: &String| !r.trim().is_empty())
        .unwrap_or_else(|| "no reason given".into());
    Outcome::Declined { reason }
}

fn succeeded(operation: &Operation, answer: Answer) -> Outcome {
    let result = answer.result.unwrap_or_default();
    let card_id = match result
        .card_id
        .as_deref()
        .map(|raw| CardId::parse(CardId::TAG, raw))
    {
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            return hold("answered a result.card-id that is not a usable card id".into());
        }
        None => None,
    };
    let produced = Produced {
        card_id,
        serial_number: result.serial_number,
        masked_number: result.masked_number,
        expiry_date: match result.expiry_date.as_deref().map(parse_date) {
            Some(None) => return hold("answered an expiry-date that is not YYYY-MM-DD".into()),
            Some(date) => date,
            None => None,
        },
    };
    if operation.produces_card && produced.card_id.is_none() {
        return hold("answered succeeded without a usable result.card-id".into());
    }
    for value in [&produced.serial_number, &produced.masked_number]
        .into_iter()
        .flatten()
    {
        if value.is_empty() || value.len() > MAX_IDENTIFIER || value.chars().any(char::is_control) {
            return hold("answered a card number or serial that cannot be stored".into());
        }
    }
    Outcome::Succeeded {
        reference: answer.reference.filter(|r| identifier(r)),
        produced,
    }
}

fn parse_date(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
}

/// A reference or id bankapi can store and put in a URL path.
fn identifier(raw: &str) -> bool {
    !raw.is_empty()
        && raw.len() <= MAX_IDENTIFIER
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activation() -> Operation {
        Operation {
            name: "activate-card",
            idempotency_key: "WI0000000001:activate-card".into(),
            poll: None,
            fields: Vec::new(),
            serial_key: "arrangement:1".into(),
            produces_card: false,
        }
    }

    fn production() -> Operation {
        Operation {
            name: "produce-card",
            produces_card: true,
            ..activation()
        }
    }

    #[test]
    fn answers_map_to_outcomes_as_the_contract_says() {
        let op = activation();
        let ok = br#"{"status":"succeeded","reference":"R1"}"#;
        assert!(matches!(
            interpret(&op, StatusCode::OK, None, ok),
            Outcome::Succeeded { reference: Some(r), .. } if r == "R1"
        ));
        let pending = br#"{"status":"pending","reference":"R2"}"#;
        assert_eq!(
            interpret(&op, StatusCode::ACCEPTED, None, pending),
            Outcome::Pending {
                reference: "R2".into()
            }
        );
        let declined = br#"{"status":"declined","reason":"card is lost"}"#;
        assert_eq!(
            interpret(&op, StatusCode::UNPROCESSABLE_ENTITY, None, declined),
            Outcome::Declined {
                reason: "card is lost".into()
            }
        );
        assert!(matches!(
            interpret(&op, StatusCode::CONFLICT, None, b"{}"),
            Outcome::Hold { .. }
        ));
        assert!(matches!(
            interpret(&op, StatusCode::BAD_GATEWAY, None, b""),
            Outcome::Transient { .. }
        ));
        assert!(matches!(
            interpret(&op, StatusCode::OK, None, b"<html>"),
            Outcome::Transient { .. }
        ));
        assert!(matches!(
            interpret(&op, StatusCode::NOT_FOUND, None, b"{}"),
            Outcome::Hold { .. }
        ));
        let wait = Some(Duration::from_secs(7));
        assert_eq!(
            interpret(&op, StatusCode::TOO_MANY_REQUESTS, wait, b""),
            Outcome::Transient {
                error: "asked to slow down (429)".into(),
                retry_after: wait
            }
        );
    }

    #[test]
    fn a_produced_card_needs_a_usable_id() {
        let op = production();
        let without = br#"{"status":"succeeded","result":{}}"#;
        assert!(matches!(
            interpret(&op, StatusCode::OK, None, without),
            Outcome::Hold { .. }
        ));
        let bad = br#"{"status":"succeeded","result":{"card-id":"C1/../x"}}"#;
        assert!(matches!(
            interpret(&op, StatusCode::OK, None, bad),
            Outcome::Hold { .. }
        ));
        let good =
            br#"{"status":"succeeded","result":{"card-id":"S0000000001","expiry-date":"2030-01-31"}}"#;
        match interpret(&op, StatusCode::OK, None, good) {
            Outcome::Succeeded { produced, .. } => {
                assert_eq!(
                    produced.card_id.as_ref().map(CardId::as_str),
                    Some("S0000000001")
                );
                assert_eq!(produced.expiry_date, NaiveDate::from_ymd_opt(2030, 1, 31));
            }
            other => panic!("{other:?}"),
        }
    }
}
