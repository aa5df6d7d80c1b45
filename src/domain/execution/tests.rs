//! State-machine tests: every (card status, order kind) pair, cancelation, expiry and
//! turns; the fixtures the other rule and hold tests share.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use super::machine::advance as machine_advance;
use super::*;
use crate::domain::card::{CardStatus, mask};
use crate::domain::identifier::ArrangementNumber;
use crate::domain::kinds::*;
use crate::domain::operation::{Outcome, RetryPolicy};
use crate::domain::order::{OrderNumber, OrderStatus, Phase, StepDurations, StepStatus};

pub(super) fn cn(raw: &str) -> CustomerNumber {
    CustomerNumber::parse("c", raw).unwrap()
}

pub(super) fn cid(raw: &str) -> CardId {
    CardId::parse("card-id", raw).unwrap()
}

pub(super) fn an(raw: &str) -> ArrangementNumber {
    ArrangementNumber::parse("arrangement-number", raw).unwrap()
}

pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
}

pub(super) fn arrangement() -> Arrangement {
    Arrangement {
        number: an("0064200001930"),
        owner: cn("BRVU00002"),
        product_code: "MasterCard".into(),
        active: true,
        allows_cards: true,
        card_limit: 3,
    }
}

pub(super) fn card(id: &str, status: CardStatus) -> Card {
    Card {
        id: cid(id),
        serial_number: format!("SN{id}"),
        masked_number: mask("5356", "0001"),
        arrangement_number: an("0064200001930"),
        holder: cn("BRVU00002"),
        owner: cn("BRVU00002"),
        product_code: "MasterCard".into(),
        status,
        blockade_reason: (status == CardStatus::Suspended).then(|| "temporary-blockage".to_owned()),
        expiry_date: NaiveDate::from_ymd_opt(2029, 12, 31).unwrap(),
        replaces: None,
        replaced_by: None,
        status_date: now(),
    }
}

pub(super) fn order(request: OrderRequest) -> Order {
    let draft = Order {
        number: OrderNumber(492_475),
        request,
        description: None,
        owner: cn("BRVU00002"),
        holder: cn("BRVU00002"),
        arrangement_number: an("0064200001930"),
        status: OrderStatus::Proposed,
        status_date: now(),
        creation_date: now(),
        deadline: now() + Duration::hours(24),
        steps: Vec::new(),
        current_step: 0,
        next_run_at: None,
        rejection_reason: None,
        result_card_id: None,
        hold_reason: None,
    };
    start(draft, now(), &StepDurations::zero())
}

/// One pass as the engine makes it with the built-in adapter: an order whose action is
/// next is the oldest of its arrangement (as when the store claims it), and the call is
/// answered at once.
pub(super) fn advance(
    order: Order,
    ctx: &Context<'_>,
    now: DateTime<Utc>,
    durations: &StepDurations,
) -> Transition {
    let head = order.phase() == Some(Phase::Action);
    let Advanced { transition, call } = machine_advance(order, ctx, now, durations, head);
    match call {
        Some(_) => complete_operation(
            transition,
            ctx,
            Outcome::applied_here(),
            now,
            durations,
            &RetryPolicy::default(),
            0.5,
        ),
        None => transition,
    }
}

/// Runs an order to its end with zero durations, as the executor would, one pass per claim.
pub(super) fn run(
    mut order: Order,
    ctx: &Context<'_>,
) -> (Order, Vec<Card>, Vec<Card>, Vec<EventDraft>) {
    let (mut changed, mut created, mut events) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..10 {
        if order.next_run_at.is_none() {
            break;
        }
        let t = advance(order, ctx, now(), &StepDurations::zero());
        changed.extend(t.changed_cards);
        created.extend(t.new_cards);
        events.extend(t.events);
        order = t.order;
    }
    assert!(
        order.status.is_final() && order.next_run_at.is_none(),
        "order did not finish: {order:?}"
    );
    (order, changed, created, events)
}

pub(super) fn card_request(kind: OrderKind, card_id: &str) -> OrderRequest {
    let card_id = cid(card_id);
    match kind {
        OrderKind::CardActivation => OrderRequest::CardActivation(CardActivation { card_id }),
        OrderKind::CardBlockade => OrderRequest::CardBlockade(CardBlockade {
            card_id,
            reason: "temporary-blockage".into(),
        }),
        OrderKind::CardDeblockade => OrderRequest::CardDeblockade(CardDeblockade { card_id }),
        OrderKind::CardTermination => OrderRequest::CardTermination(CardTermination {
            card_id,
            reason: None,
        }),
        OrderKind::CardReplacement => OrderRequest::CardReplacement(CardReplacement {
            card_id,
            reason: "damaged-card".into(),
            embossement_line: None,
        }),
        _ => unreachable!("not a card order: {kind:?}"),
    }
}

#[test]
fn every_card_order_meets_every_card_status_as_the_contract_says() {
    use CardStatus::*;
    // (kind, status) -> Some(new status of the card) when allowed, None when refused.
    let table = [
        (OrderKind::CardActivation, Inactive, Some(Active)),
        (OrderKind::CardActivation, Active, None),
        (OrderKind::CardActivation, Suspended, None),
        (OrderKind::CardActivation, Terminated, None),
        (OrderKind::CardBlockade, Inactive, Some(Suspended)),
        (OrderKind::CardBlockade, Active, Some(Suspended)),
        (OrderKind::CardBlockade, Suspended, None),
        (OrderKind::CardBlockade, Terminated, None),
        (OrderKind::CardDeblockade, Inactive, None),
        (OrderKind::CardDeblockade, Active, None),
        (OrderKind::CardDeblockade, Suspended, Some(Active)),
        (OrderKind::CardDeblockade, Terminated, None),
        (OrderKind::CardTermination, Inactive, Some(Terminated)),
        (OrderKind::CardTermination, Active, Some(Terminated)),
        (OrderKind::CardTermination, Suspended, Some(Terminated)),
        (OrderKind::CardTermination, Terminated, None),
        // A damaged card stays as it is until its replacement is activated.
        (OrderKind::CardReplacement, Inactive, Some(Inactive)),
        (OrderKind::CardReplacement, Active, Some(Active)),
        (OrderKind::CardReplacement, Suspended, Some(Suspended)),
        (OrderKind::CardReplacement, Terminated, None),
    ];
    for (kind, status, outcome) in table {
        let existing = card("C0000000001", status);
        let cards = [existing.clone()];
        let arrangement = arrangement();
        let ctx = Context {
            card: Some(&existing),
            arrangement: Some(&arrangement),
            arrangement_cards: &cards,
            ..Context::default()
        };
        let (order, changed, _, events) = run(order(card_request(kind, "C0000000001")), &ctx);
        match outcome {
            Some(new_status) => {
                assert_eq!(
                    order.status,
                    OrderStatus::ExternalProcessingSucceeded,
                    "{kind:?} on {status:?}"
                );
                let after = changed.iter().find(|c| c.id == existing.id).unwrap();
                assert_eq!(after.status, new_status, "{kind:?} on {status:?}");
            }
            None => {
                assert_eq!(
                    order.status,
                    OrderStatus::Rejected,
                    "{kind:?} on {status:?}"
                );
                assert!(order.rejection_reason.is_some());
                assert!(changed.is_empty(), "a rejected order changes nothing");
                assert!(check(&order.request, &ctx).is_err());
            }
        }
        assert!(
            events
                .iter()
                .any(|e| e.kind == EventKind::ArrangementActivityEvent),
            "{kind:?} on {status:?}"
        );
        assert!(
            events
                .iter()
                .any(|e| e.kind == EventKind::CommunicationEvent
                    && e.xml.contains("<workitem-id>WI0000492475</workitem-id>"))
        );
        assert!(order.next_run_at.is_none());
    }
}

#[test]
fn a_lost_or_stolen_blockade_cannot_be_lifted() {
    for reason in ["card-losses", "stolen-card"] {
        let mut blocked = card("C1", CardStatus::Suspended);
        blocked.blockade_reason = Some(reason.into());
        let ctx = Context {
            card: Some(&blocked),
            ..Context::default()
        };
        let refusal = check(
            &OrderRequest::CardDeblockade(CardDeblockade { card_id: cid("C1") }),
            &ctx,
        )
        .unwrap_err();
        assert_eq!(refusal.problem, "policy-violation");
        assert!(!refusal.conflict);
    }
}

#[test]
fn orders_can_be_canceled_only_before_their_irreversible_step() {
    let existing = card("C1", CardStatus::Inactive);
    let ctx = Context {
        card: Some(&existing),
        ..Context::default()
    };
    let durations = StepDurations {
        scale: 1.0,
        ..StepDurations::default()
    };
    let fresh = start(
        order(OrderRequest::CardActivation(CardActivation {
            card_id: cid("C1"),
        })),
        now(),
        &durations,
    );
    assert_eq!(fresh.status, OrderStatus::Proposed);
    let canceled = cancel(fresh.clone(), now(), None).unwrap();
    assert_eq!(canceled.status, OrderStatus::Canceled);
    assert_eq!(canceled.status.friendly(), "abandoned");
    assert!(
        canceled
            .steps
            .iter()
            .all(|s| s.status == StepStatus::Skipped)
    );
    assert!(canceled.next_run_at.is_none());

    // After the check the order is approved (still cancelable); once the action starts it is not.
    let later = now() + Duration::seconds(1);
    let approved = advance(fresh, &ctx, later, &durations).order;
    assert_eq!(approved.status, OrderStatus::Approved);
    assert!(cancel(approved.clone(), later, None).is_ok());
    let running = advance(approved, &ctx, later, &durations).order;
    assert_eq!(running.status, OrderStatus::ExternalProcessingInProgress);
    let refusal = cancel(running, later, None).unwrap_err();
    assert_eq!(
        refusal.problem,
        "request-status-not-eligible-for-cancelation"
    );
    assert!(refusal.conflict);
}

#[test]
fn a_step_does_not_finish_before_its_time() {
    let existing = card("C1", CardStatus::Inactive);
    let ctx = Context {
        card: Some(&existing),
        ..Context::default()
    };
    let durations = StepDurations {
        scale: 1.0,
        ..StepDurations::default()
    };
    let fresh = start(
        order(OrderRequest::CardActivation(CardActivation {
            card_id: cid("C1"),
        })),
        now(),
        &durations,
    );
    let early = advance(fresh.clone(), &ctx, now(), &durations);
    assert_eq!(early.order, fresh, "nothing changes before the step is due");
    assert!(early.events.is_empty());
}

#[test]
fn an_order_past_its_deadline_expires_without_changing_the_card() {
    let existing = card("C1", CardStatus::Inactive);
    let ctx = Context {
        card: Some(&existing),
        ..Context::default()
    };
    let mut late = order(OrderRequest::CardActivation(CardActivation {
        card_id: cid("C1"),
    }));
    late.deadline = now() - Duration::seconds(1);
    let t = advance(late, &ctx, now(), &StepDurations::zero());
    assert_eq!(t.order.status, OrderStatus::Expired);
    assert_eq!(t.order.status.friendly(), "expired");
    assert!(t.changed_cards.is_empty());
    assert!(!t.events.is_empty());
}

#[test]
fn an_action_waits_for_its_turn_after_the_check() {
    let existing = card("C1", CardStatus::Inactive);
    let ctx = Context {
        card: Some(&existing),
        ..Context::default()
    };
    let t = advance(
        order(OrderRequest::CardActivation(CardActivation {
            card_id: cid("C1"),
        })),
        &ctx,
        now(),
        &StepDurations::zero(),
    );
    assert_eq!(t.order.status, OrderStatus::Approved);
    assert_eq!(t.order.phase(), Some(Phase::Action));
    assert!(t.changed_cards.is_empty());
    assert_eq!(t.order.next_run_at, Some(now()));
}
