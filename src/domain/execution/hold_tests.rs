//! Orders set aside for a person (API.md section 8): an answer the mirror cannot follow,
//! failures that ran out of retries, an answer that asks for staff; each hold says why.

use super::machine::advance as machine_advance;
use super::tests::{advance, arrangement, card, card_request, now, order};
use super::*;
use crate::domain::card::CardStatus;
use crate::domain::operation::{Outcome, RetryPolicy};
use crate::domain::order::{OrderKind, OrderStatus, StepDurations, StepStatus};

/// A card order of `kind` on card C1, checked and at its action: the system is being
/// called, and the transition waits for its answer.
fn at_the_call(kind: OrderKind, ctx: &Context<'_>) -> Transition {
    let checked = advance(
        order(card_request(kind, "C1")),
        ctx,
        now(),
        &StepDurations::zero(),
    );
    let Advanced { transition, call } =
        machine_advance(checked.order, ctx, now(), &StepDurations::zero(), true);
    assert!(call.is_some(), "the action calls the system");
    transition
}

#[test]
fn an_answer_the_mirror_cannot_follow_holds_the_order_and_changes_nothing() {
    let existing = card("C1", CardStatus::Active);
    let terms = arrangement();
    let before = Context {
        card: Some(&existing),
        arrangement: Some(&terms),
        ..Context::default()
    };
    let transition = at_the_call(OrderKind::CardReplacement, &before);
    // The system answers after the state moved on: the arrangement is gone from it.
    let after = Context {
        card: Some(&existing),
        ..Context::default()
    };
    let t = complete_operation(
        transition,
        &after,
        Outcome::applied_here(),
        now(),
        &StepDurations::zero(),
        &RetryPolicy::default(),
        0.5,
    );
    assert_eq!(t.order.status, OrderStatus::Held);
    assert_eq!(t.held, Some(HoldCause::MirrorDrift));
    let reason = t.order.hold_reason.as_deref().unwrap_or_default();
    assert!(reason.contains("cannot mirror"), "{reason}");
    let step = &t.order.steps[t.order.current_step];
    assert_eq!(step.status, StepStatus::Held);
    assert_eq!(step.last_error.as_deref(), Some(reason));
    assert!(t.changed_cards.is_empty() && t.new_cards.is_empty());
    assert!(t.events.is_empty(), "no completion is told: {:?}", t.events);
}

#[test]
fn a_hold_names_its_cause_and_a_retried_failure_names_none() {
    let inactive = card("C1", CardStatus::Inactive);
    let terms = arrangement();
    let ctx = Context {
        card: Some(&inactive),
        arrangement: Some(&terms),
        ..Context::default()
    };
    let policy = RetryPolicy {
        max_attempts: 2,
        ..RetryPolicy::default()
    };
    let called = || at_the_call(OrderKind::CardActivation, &ctx);
    let answer = |t, outcome| {
        complete_operation(
            t,
            &ctx,
            outcome,
            now(),
            &StepDurations::zero(),
            &policy,
            0.5,
        )
    };
    let failed = || Outcome::Transient {
        error: "503".into(),
        retry_after: None,
    };

    let once = answer(called(), failed());
    assert_ne!(once.order.status, OrderStatus::Held, "retried, not held");
    assert_eq!(once.held, None);
    let twice = answer(Transition::of(once.order), failed());
    assert_eq!(twice.order.status, OrderStatus::Held);
    assert_eq!(twice.held, Some(HoldCause::RetriesExhausted));

    let asked = answer(
        called(),
        Outcome::Hold {
            reason: "the key was used for another operation".into(),
        },
    );
    assert_eq!(asked.order.status, OrderStatus::Held);
    assert_eq!(asked.held, Some(HoldCause::SystemOfRecord));
}
