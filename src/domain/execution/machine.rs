//! How an order moves through its steps, whatever its kind: the kind declares its steps
//! (check, action, notify), its rules ([`check`]) and its effect ([`apply_effect`]); this
//! module decides when each runs, what the order's status is meanwhile, and what happens
//! with the system of record's answers (API.md sections 7 and 8). Pure: the engine loads
//! the snapshot, makes the calls and writes the result.

use chrono::{DateTime, Duration, Utc};

use super::{Context, HoldCause, Refusal, Transition, apply_effect, check, notify};
use crate::domain::operation::{Operation, Outcome, RetryPolicy};
use crate::domain::order::{Order, OrderStatus, Phase, Step, StepDurations, StepStatus};

/// One pass over an order: what changed, and the call its action step needs, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advanced {
    /// The order as the pass left it, with what it changed.
    pub transition: Transition,
    /// The operation to carry to the system of record before the pass can go on;
    /// [`complete_operation`] takes its outcome.
    pub call: Option<Operation>,
}

/// Starts an order: its first step runs from `now`. The store assigns the number.
pub fn start(mut order: Order, now: DateTime<Utc>, durations: &StepDurations) -> Order {
    let kind = order.kind();
    order.steps = kind
        .steps()
        .iter()
        .map(|s| Step {
            name: s.name.to_owned(),
            status: StepStatus::Pending,
            started_at: None,
            finished_at: None,
            attempts: 0,
            calls: 0,
            polls: 0,
            last_error: None,
            reference: None,
        })
        .collect();
    order.current_step = 0;
    order.status = OrderStatus::Proposed;
    order.status_date = now;
    order.creation_date = now;
    if let Some(first) = order.steps.first_mut() {
        first.status = StepStatus::Running;
        first.started_at = Some(now);
    }
    order.next_run_at = Some(now + to_chrono(durations.of(kind, kind.steps()[0])));
    order
}

/// Cancels an order whose irreversible step has not started, keeping the customer's
/// reason if one was given (shown as the order's `cancelation-reason`).
pub fn cancel(
    mut order: Order,
    now: DateTime<Utc>,
    reason: Option<String>,
) -> Result<Order, Refusal> {
    if !order.status.is_cancelable() {
        return Err(Refusal::conflict(
            "request-status-not-eligible-for-cancelation",
            format!(
                "order {} is {} and can no longer be canceled",
                order.number,
                order.status.as_str()
            ),
        ));
    }
    set_status(&mut order, OrderStatus::Canceled, now);
    order.rejection_reason = reason;
    skip_rest(&mut order, now, StepStatus::Skipped);
    Ok(order)
}

/// The customer's `confirm` of an order that waits for it: the action may run from now.
/// Only an order awaiting confirmation within its deadline can be confirmed.
pub fn confirm(mut order: Order, now: DateTime<Utc>) -> Result<Order, Refusal> {
    let waiting =
        order.status == OrderStatus::AwaitingConfirmation && order.phase() == Some(Phase::Confirm);
    if !waiting || now > order.deadline {
        let why = if waiting {
            "its deadline has passed".to_owned()
        } else {
            format!("it is {}", order.status.as_str())
        };
        return Err(Refusal::conflict(
            "request-status-not-eligible-for-confirmation",
            format!(
                "order {} can not be confirmed: {why}; only an order awaiting confirmation can",
                order.number
            ),
        ));
    }
    set_status(&mut order, OrderStatus::Approved, now);
    let index = order.current_step;
    finish_step(&mut order, index, now);
    Ok(order)
}

/// Staff's `retry` of a held order: its step runs again, with the same idempotency key
/// and its attempts counted afresh.
pub fn retry(mut order: Order, now: DateTime<Utc>) -> Result<Order, Refusal> {
    not_held(&order, "request-status-not-eligible-for-retry", "retried")?;
    set_status(&mut order, OrderStatus::ExternalProcessingInProgress, now);
    order.hold_reason = None;
    if let Some(step) = order.steps.get_mut(order.current_step) {
        step.status = StepStatus::Running;
        step.attempts = 0;
    }
    order.next_run_at = Some(now);
    Ok(order)
}

/// Staff's `reject` of a held order: it ends rejected with `reason`, changing nothing,
/// and the customer is told.
pub fn reject_held(order: Order, reason: &str, now: DateTime<Utc>) -> Result<Transition, Refusal> {
    not_held(
        &order,
        "request-status-not-eligible-for-rejection",
        "rejected",
    )?;
    let mut t = Transition::of(order);
    t.order.hold_reason = None;
    if let Some(step) = t.order.steps.get_mut(t.order.current_step) {
        step.status = StepStatus::Running;
    }
    reject(
        &mut t,
        Refusal::policy(
            "policy-violation",
            format!("rejected by the bank: {reason}"),
        ),
        now,
    );
    Ok(t)
}

fn not_held(order: &Order, problem: &'static str, what: &str) -> Result<(), Refusal> {
    if order.status == OrderStatus::Held {
        return Ok(());
    }
    Err(Refusal::conflict(
        problem,
        format!(
            "order {} is {}; only a held order can be {what}",
            order.number,
            order.status.as_str()
        ),
    ))
}

/// Moves a due order as far as it can go now: finishes the running step if its time has
/// come and starts the next one. An action starts only when `head` says the order is the
/// oldest active one of its arrangement ([`Order::serial_key`]); then the pass stops at
/// the call the action needs, which [`complete_operation`] continues.
pub fn advance(
    order: Order,
    ctx: &Context<'_>,
    now: DateTime<Utc>,
    durations: &StepDurations,
    head: bool,
) -> Advanced {
    let mut transition = Transition::of(order);
    let call = run(&mut transition, ctx, now, durations, head);
    Advanced { transition, call }
}

/// Takes the system of record's answer to `advance`'s call and goes on from there: the
/// effect and the notification on success, a rejection on a decline, a poll later for a
/// pending operation, a retry with backoff (`jitter` from 0 to 1) or a hold on failure.
pub fn complete_operation(
    mut t: Transition,
    ctx: &Context<'_>,
    outcome: Outcome,
    now: DateTime<Utc>,
    durations: &StepDurations,
    policy: &RetryPolicy,
    jitter: f64,
) -> Transition {
    let index = t.order.current_step;
    let Some(step) = t.order.steps.get_mut(index) else {
        return t;
    };
    match outcome {
        Outcome::Succeeded {
            reference,
            produced,
        } => {
            if reference.is_some() {
                step.reference = reference;
            }
            step.last_error = None;
            if let Err(refusal) = apply_effect(&mut t, ctx, now, &produced) {
                // The system moved on and the mirror cannot follow: a person reconciles
                // the two. A retry calls again with the same key and gets the same answer,
                // so it holds again until the cause is gone; a reject ends the order.
                let reason = format!(
                    "the system of record carried out {}, but bankapi cannot mirror it: {}",
                    t.order.steps[index].name, refusal.reason
                );
                if let Some(step) = t.order.steps.get_mut(index) {
                    step.last_error = Some(reason.clone());
                }
                hold(&mut t, HoldCause::MirrorDrift, reason, now);
                return t;
            }
            set_status(&mut t.order, OrderStatus::ExternalProcessingSucceeded, now);
            finish_step(&mut t.order, index, now);
            // The rest (the notification) needs no call; `head` no longer matters.
            let _ = run(&mut t, ctx, now, durations, true);
        }
        Outcome::Pending { reference } => {
            // Progress: failures before it no longer count towards a hold.
            step.attempts = 0;
            let delay = policy.poll_delay(step.polls);
            step.polls += 1;
            step.reference = Some(reference);
            t.order.next_run_at = Some(now + to_chrono(delay));
        }
        Outcome::Declined { reason } => {
            let reason = format!("the system of record declined: {reason}");
            reject(&mut t, Refusal::policy("policy-violation", reason), now);
        }
        Outcome::Transient { error, retry_after } => {
            step.attempts += 1;
            step.last_error = Some(error.clone());
            if step.attempts >= policy.max_attempts {
                let reason = format!(
                    "the system of record failed {} times; last: {error}",
                    step.attempts
                );
                hold(&mut t, HoldCause::RetriesExhausted, reason, now);
            } else {
                let backoff = policy.retry_delay(step.attempts, jitter);
                let delay = retry_after.map_or(backoff, |asked| asked.max(backoff));
                t.order.next_run_at = Some(now + to_chrono(delay));
            }
        }
        Outcome::Hold { reason } => {
            step.attempts += 1;
            step.last_error = Some(reason.clone());
            hold(&mut t, HoldCause::SystemOfRecord, reason, now);
        }
    }
    t
}

fn run(
    t: &mut Transition,
    ctx: &Context<'_>,
    now: DateTime<Utc>,
    durations: &StepDurations,
    head: bool,
) -> Option<Operation> {
    let kind = t.order.kind();
    let plan = kind.steps();
    while t.order.current_step < plan.len() {
        let index = t.order.current_step;
        let def = plan[index];
        if t.order.steps[index].status == StepStatus::Pending {
            if def.phase != Phase::Notify && now > t.order.deadline {
                expire(t, now);
                break;
            }
            if def.phase == Phase::Action && !head {
                // The action waits for its turn on the arrangement.
                break;
            }
            t.order.steps[index].status = StepStatus::Running;
            t.order.steps[index].started_at = Some(now);
            match def.phase {
                Phase::Check => set_status(&mut t.order, OrderStatus::Proposed, now),
                Phase::Confirm => {
                    set_status(&mut t.order, OrderStatus::AwaitingConfirmation, now);
                    // Nothing to do until the customer confirms or the deadline passes.
                    t.order.next_run_at = Some(t.order.deadline);
                    break;
                }
                Phase::Action => {
                    set_status(&mut t.order, OrderStatus::ExternalProcessingInProgress, now)
                }
                Phase::Notify => {}
            }
            t.order.next_run_at = Some(now + to_chrono(durations.of(kind, def)));
        }
        if t.order.next_run_at.is_some_and(|at| at > now) {
            break;
        }
        match def.phase {
            Phase::Check => {
                if now > t.order.deadline {
                    expire(t, now);
                    break;
                }
                if let Err(refusal) = check(&t.order.request, ctx) {
                    reject(t, refusal, now);
                    break;
                }
                set_status(&mut t.order, OrderStatus::Approved, now);
            }
            Phase::Confirm => {
                // Due only at the deadline (or woken early by a lease that ran out).
                if now >= t.order.deadline {
                    expire(t, now);
                } else {
                    t.order.next_run_at = Some(t.order.deadline);
                }
                break;
            }
            Phase::Action => {
                // Judged again before the first call only: once a call may have reached
                // the system, only its answer can end the step.
                if t.order.steps[index].calls == 0
                    && let Err(refusal) = check(&t.order.request, ctx)
                {
                    reject(t, refusal, now);
                    break;
                }
                let step = &mut t.order.steps[index];
                step.calls += 1;
                let poll = step.reference.clone();
                return Some(Operation::of(&t.order, def.name, poll));
            }
            Phase::Notify => notify(t, "completed", None),
        }
        finish_step(&mut t.order, index, now);
    }
    None
}

/// Marks step `index` done and makes the next one due now.
fn finish_step(order: &mut Order, index: usize, now: DateTime<Utc>) {
    let step = &mut order.steps[index];
    step.status = StepStatus::Done;
    step.finished_at = Some(now);
    order.current_step = index + 1;
    order.next_run_at = (order.current_step < order.steps.len()).then_some(now);
}

/// Sets the order aside for a person. It stays active (its arrangement's later orders
/// wait behind it, its duplicate key holds) but is never claimed until staff decide.
fn hold(t: &mut Transition, cause: HoldCause, reason: String, now: DateTime<Utc>) {
    t.held = Some(cause);
    let order = &mut t.order;
    set_status(order, OrderStatus::Held, now);
    if let Some(step) = order.steps.get_mut(order.current_step) {
        step.status = StepStatus::Held;
    }
    order.hold_reason = Some(reason);
    order.next_run_at = Some(now);
}

fn to_chrono(duration: std::time::Duration) -> Duration {
    Duration::from_std(duration).unwrap_or(Duration::MAX)
}

fn set_status(order: &mut Order, status: OrderStatus, now: DateTime<Utc>) {
    if order.status != status {
        order.status = status;
        order.status_date = now;
    }
}

/// Ends the order at its current step: that step gets `current`, the rest are skipped.
fn skip_rest(order: &mut Order, now: DateTime<Utc>, current: StepStatus) {
    let from = order.current_step;
    for (index, step) in order.steps.iter_mut().enumerate().skip(from) {
        if index == from && step.status == StepStatus::Running {
            step.status = current;
            step.finished_at = Some(now);
        } else {
            step.status = StepStatus::Skipped;
        }
    }
    order.current_step = order.steps.len();
    order.next_run_at = None;
}

fn reject(t: &mut Transition, refusal: Refusal, now: DateTime<Utc>) {
    set_status(&mut t.order, OrderStatus::Rejected, now);
    t.order.rejection_reason = Some(refusal.reason.clone());
    skip_rest(&mut t.order, now, StepStatus::Failed);
    notify(t, "rejected", Some(&refusal.reason));
}

fn expire(t: &mut Transition, now: DateTime<Utc>) {
    set_status(&mut t.order, OrderStatus::Expired, now);
    t.order.rejection_reason = Some("the order was not executed before its deadline".into());
    skip_rest(&mut t.order, now, StepStatus::Skipped);
    notify(t, "expired", None);
}
