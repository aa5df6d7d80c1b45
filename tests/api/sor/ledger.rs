//! What the test system of record does with each request: the faults it plays, the effects
//! it applies once per key, the polls it answers, and the count of calls in flight per card
//! ([`Tracking`]).

use super::*;

impl Ledger {
    pub(super) fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        sent == Some(format!("Bearer {token}").as_str())
    }

    pub(super) fn latency(&self) -> Duration {
        self.chaos
            .as_ref()
            .map(|(chaos, _)| chaos.latency)
            .unwrap_or_default()
    }

    pub(super) fn next_fault(&mut self, key: &str) -> Option<Fault> {
        if let Some(script) = self.scripts.get_mut(key) {
            return script.pop_front();
        }
        let (chaos, rng) = self.chaos.as_mut()?;
        let roll: f64 = rng.random();
        let mut edge = chaos.server_error;
        if roll < edge {
            return Some(Fault::ServerError);
        }
        edge += chaos.lose_answer;
        if roll < edge {
            return Some(Fault::LoseAnswer(chaos.lose_delay));
        }
        edge += chaos.pending;
        (roll < edge).then_some(Fault::Pending(1))
    }

    pub(super) fn new_reference(&mut self) -> String {
        self.issued_references += 1;
        format!("R{:010}", self.issued_references)
    }

    pub(super) fn decide(&mut self, key: &str, body: &Value, request: u64) -> Step {
        let record = self.keys.entry(key.to_owned()).or_default();
        if record.bodies.first().is_some_and(|first| first != body) {
            return Step::Now(reply(StatusCode::CONFLICT, json!({"status": "conflict"})));
        }
        let Some(fault) = self.next_fault(key) else {
            return Step::Now(self.normal(key, body, request));
        };
        let record = self.keys.entry(key.to_owned()).or_default();
        Step::Now(match fault {
            Fault::ServerError => reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"status": "error", "reason": "scripted server error"}),
            ),
            Fault::TooManyRequests(seconds) => (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, seconds.to_string())],
                Json(json!({"status": "throttled"})),
            )
                .into_response(),
            Fault::Decline(reason) => {
                let answer = declined(&reason);
                record.answer.get_or_insert_with(|| answer.clone());
                answer.response()
            }
            Fault::Unusable => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html")],
                "<html>oops</html>",
            )
                .into_response(),
            Fault::Conflict => reply(StatusCode::CONFLICT, json!({"status": "conflict"})),
            Fault::Delay(delay) => {
                if record.answer.is_none() && record.claimed_by.is_none() {
                    record.claimed_by = Some(request);
                }
                return Step::Delayed(delay);
            }
            Fault::LoseAnswer(delay) => return Step::Late(delay, self.complete(key, body, None)),
            Fault::Pending(polls) => {
                let reference = self.new_reference();
                self.keys.entry(key.to_owned()).or_default().pending = Some(reference.clone());
                let operation = PendingOperation {
                    key: key.to_owned(),
                    body: body.clone(),
                    polls_left: polls,
                    target: target_of(body),
                };
                self.references.insert(reference.clone(), operation);
                pending(&reference)
            }
        })
    }

    /// The answer without a fault: replay, pending, in flight elsewhere, or apply now.
    pub(super) fn normal(&mut self, key: &str, body: &Value, request: u64) -> Response {
        let record = self.keys.entry(key.to_owned()).or_default();
        if let Some(answer) = &record.answer {
            return answer.response();
        }
        if let Some(reference) = &record.pending {
            return pending(reference);
        }
        if record.claimed_by.is_some_and(|owner| owner != request) {
            return reply(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"status": "in-flight", "reason": "this key is being processed"}),
            );
        }
        self.complete(key, body, None).response()
    }

    /// The key's final answer: the remembered one, or the operation applied now.
    pub(super) fn complete(
        &mut self,
        key: &str,
        body: &Value,
        reference: Option<String>,
    ) -> Answer {
        if let Some(answer) = self.keys.get(key).and_then(|r| r.answer.clone()) {
            return answer;
        }
        let reference = reference.unwrap_or_else(|| self.new_reference());
        let answer = match self.apply(body) {
            Ok(result) => {
                self.total_effects += 1;
                self.keys.entry(key.to_owned()).or_default().effects += 1;
                Answer {
                    status: StatusCode::OK,
                    body: json!({"status": "succeeded", "reference": reference, "result": result}),
                }
            }
            Err(reason) => declined(&reason),
        };
        self.keys.entry(key.to_owned()).or_default().answer = Some(answer.clone());
        answer
    }

    pub(super) fn apply(&mut self, body: &Value) -> Result<Value, String> {
        let field = |name: &str| body.get(name).and_then(Value::as_str);
        let status = match field("operation").unwrap_or_default() {
            "activate-card" | "unblock-card" => "active",
            "block-card" => "suspended",
            "terminate-card" => "terminated",
            "produce-card" => return Ok(json!({"card-id": self.new_card()})),
            "issue-replacement-card" => {
                let old = self.known(field("card-id"))?;
                if matches!(
                    field("replacement-reason"),
                    Some("card-losses" | "stolen-card")
                ) {
                    self.cards.insert(old, "terminated".to_owned());
                }
                return Ok(json!({"card-id": self.new_card()}));
            }
            // Core banking: the test keeps no accounts, it takes what is asked.
            "close-account"
            | "redeem-credit"
            | "grant-mandates"
            | "revoke-mandate"
            | "set-up-standing-order"
            | "make-payment" => {
                return Ok(json!({}));
            }
            other => return Err(format!("unknown operation {other:?}")),
        };
        let card = self.known(field("card-id"))?;
        self.cards.insert(card, status.to_owned());
        Ok(json!({}))
    }

    pub(super) fn known(&self, card: Option<&str>) -> Result<String, String> {
        card.filter(|card| self.cards.contains_key(*card))
            .map(str::to_owned)
            .ok_or_else(|| "unknown card".to_owned())
    }

    pub(super) fn new_card(&mut self) -> String {
        self.issued_cards += 1;
        let id = format!("S{:010}", self.issued_cards);
        self.cards.insert(id.clone(), "inactive".to_owned());
        id
    }

    pub(super) fn poll(&mut self, reference: &str) -> Response {
        let Some(operation) = self.references.get_mut(reference) else {
            return reply(
                StatusCode::NOT_FOUND,
                json!({"status": "unknown", "reason": "unknown reference"}),
            );
        };
        if operation.polls_left > 0 {
            operation.polls_left -= 1;
            return pending(reference);
        }
        let (key, body) = (operation.key.clone(), operation.body.clone());
        self.complete(&key, &body, Some(reference.to_owned()))
            .response()
    }
}

/// Counts a request as in flight for its card while it is processed, even when the client
/// hangs up and the handler is dropped mid-sleep; releases the key it claimed.
pub(super) struct Tracking {
    state: Shared,
    target: Option<String>,
    key: Option<String>,
    pub(super) request: u64,
}

impl Tracking {
    pub(super) fn begin(
        shared: &Shared,
        state: &mut Ledger,
        target: Option<String>,
        key: Option<&str>,
    ) -> Self {
        state.issued_requests += 1;
        if let Some(target) = &target {
            let count = state.in_flight.entry(target.clone()).or_default();
            *count += 1;
            state.max_in_flight = state.max_in_flight.max(*count);
        }
        Self {
            state: shared.clone(),
            target,
            key: key.map(str::to_owned),
            request: state.issued_requests,
        }
    }
}

impl Drop for Tracking {
    fn drop(&mut self) {
        let mut state = lock(&self.state);
        if let Some(target) = &self.target
            && let Some(count) = state.in_flight.get_mut(target)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                state.in_flight.remove(target);
            }
        }
        if let Some(record) = self.key.as_ref().and_then(|key| state.keys.get_mut(key))
            && record.claimed_by == Some(self.request)
        {
            record.claimed_by = None;
        }
    }
}
