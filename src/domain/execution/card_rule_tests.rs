//! The card kinds' own rules beyond the status table: replacement (the old card's fate
//! and the links between both cards) and the additional-card issuance rules.

use super::tests::{an, arrangement, card, cid, cn, order, run};
use super::*;
use crate::domain::card::CardStatus;
use crate::domain::kinds::*;
use crate::domain::order::OrderStatus;

#[test]
fn replacing_a_lost_card_terminates_it_at_once_and_links_both_cards() {
    let old = card("C1", CardStatus::Active);
    let arrangement = arrangement();
    let cards = [old.clone()];
    let ctx = Context {
        card: Some(&old),
        arrangement: Some(&arrangement),
        arrangement_cards: &cards,
        ..Context::default()
    };
    let request = OrderRequest::CardReplacement(CardReplacement {
        card_id: cid("C1"),
        reason: "card-losses".into(),
        embossement_line: None,
    });
    let (order, changed, created, _) = run(order(request), &ctx);
    let new = &created[0];
    assert_eq!(new.status, CardStatus::Inactive);
    assert_eq!(new.replaces.as_ref().map(CardId::as_str), Some("C1"));
    assert_eq!(new.holder, old.holder);
    assert_eq!(
        order.result_card_id.as_ref().map(CardId::as_str),
        Some(new.id.as_str())
    );
    let old_after = changed.iter().find(|c| c.id == "C1").unwrap();
    assert_eq!(old_after.status, CardStatus::Terminated);
    assert_eq!(
        old_after.replaced_by.as_ref().map(CardId::as_str),
        Some(new.id.as_str())
    );
}

#[test]
fn activating_a_replacement_terminates_the_card_it_replaces() {
    let mut old = card("C1", CardStatus::Active);
    old.replaced_by = Some(cid("C2"));
    let mut new = card("C2", CardStatus::Inactive);
    new.replaces = Some(cid("C1"));
    let cards = [old.clone(), new.clone()];
    let ctx = Context {
        card: Some(&new),
        arrangement_cards: &cards,
        ..Context::default()
    };
    let (_, changed, _, _) = run(
        order(OrderRequest::CardActivation(CardActivation {
            card_id: cid("C2"),
        })),
        &ctx,
    );
    let statuses: Vec<_> = changed.iter().map(|c| (c.id.as_str(), c.status)).collect();
    assert_eq!(
        statuses,
        [("C2", CardStatus::Active), ("C1", CardStatus::Terminated)]
    );
}

#[test]
fn a_replaced_card_cannot_be_replaced_again() {
    let mut old = card("C1", CardStatus::Active);
    old.replaced_by = Some(cid("C2"));
    let ctx = Context {
        card: Some(&old),
        ..Context::default()
    };
    let request = OrderRequest::CardReplacement(CardReplacement {
        card_id: cid("C1"),
        reason: "damaged-card".into(),
        embossement_line: None,
    });
    assert_eq!(
        check(&request, &ctx).unwrap_err().problem,
        "card-status-not-eligible"
    );
}

fn issuance(authorized: &str) -> OrderRequest {
    OrderRequest::AdditionalCardIssuance(AdditionalCardIssuance {
        authorized_customer: cn(authorized),
        arrangement_number: an("0064200001930"),
    })
}

#[test]
fn an_issuance_produces_an_inactive_card_for_the_authorized_customer() {
    let arrangement = arrangement();
    let customer = Customer {
        number: cn("1400054"),
        name: "Ana".into(),
    };
    let ctx = Context {
        arrangement: Some(&arrangement),
        authorized_customer: Some(&customer),
        ..Context::default()
    };
    let (order, _, created, events) = run(order(issuance("1400054")), &ctx);
    assert_eq!(order.status, OrderStatus::ExternalProcessingSucceeded);
    let card = &created[0];
    assert_eq!(card.status, CardStatus::Inactive);
    assert_eq!(card.holder, cn("1400054"));
    assert_eq!(card.owner, cn("BRVU00002"));
    assert_eq!(card.id, "C0000492475");
    assert!(!card.masked_number.contains("0000 0000"));
    assert_eq!(
        order.result_card_id.as_ref().map(CardId::as_str),
        Some("C0000492475")
    );
    assert!(
        events
            .iter()
            .any(|e| e.xml.contains("<card-id>C0000492475</card-id>"))
    );
}

#[test]
fn issuance_rules_refuse_with_their_literals() {
    let customer = Customer {
        number: cn("1400054"),
        name: "Ana".into(),
    };
    let owner = Customer {
        number: cn("BRVU00002"),
        name: "Branislav".into(),
    };
    let base = arrangement();
    let mut held = card("C9", CardStatus::Active);
    held.holder = cn("1400054");
    let held_cards = [held];
    let full_cards = [
        card("C1", CardStatus::Active),
        card("C2", CardStatus::Active),
        card("C3", CardStatus::Inactive),
    ];
    let closed = Arrangement {
        active: false,
        ..base.clone()
    };
    let no_cards = Arrangement {
        allows_cards: false,
        ..base.clone()
    };
    let cases: [(Context<'_>, &str, &str); 6] = [
        (
            Context {
                arrangement: Some(&base),
                authorized_customer: Some(&owner),
                ..Context::default()
            },
            "BRVU00002",
            "owner-can-not-have-additional-card",
        ),
        (
            Context {
                arrangement: Some(&base),
                authorized_customer: Some(&customer),
                arrangement_cards: &held_cards,
                ..Context::default()
            },
            "1400054",
            "active-additional-card-already-exists",
        ),
        (
            Context {
                arrangement: Some(&base),
                authorized_customer: Some(&customer),
                arrangement_cards: &full_cards,
                ..Context::default()
            },
            "1400054",
            "policy-violation",
        ),
        (
            Context {
                arrangement: Some(&closed),
                authorized_customer: Some(&customer),
                ..Context::default()
            },
            "1400054",
            "policy-violation",
        ),
        (
            Context {
                arrangement: Some(&no_cards),
                authorized_customer: Some(&customer),
                ..Context::default()
            },
            "1400054",
            "policy-violation",
        ),
        (
            Context {
                arrangement: None,
                authorized_customer: Some(&customer),
                ..Context::default()
            },
            "1400054",
            "policy-violation",
        ),
    ];
    for (ctx, who, literal) in cases {
        assert_eq!(check(&issuance(who), &ctx).unwrap_err().problem, literal);
    }
}

#[test]
fn a_terminated_card_does_not_count_against_the_limit_or_block_a_new_additional_card() {
    let customer = Customer {
        number: cn("1400054"),
        name: "Ana".into(),
    };
    let mut old = card("C9", CardStatus::Terminated);
    old.holder = cn("1400054");
    let cards = [
        card("C1", CardStatus::Active),
        card("C2", CardStatus::Active),
        old,
    ];
    let arrangement = arrangement();
    let ctx = Context {
        arrangement: Some(&arrangement),
        authorized_customer: Some(&customer),
        arrangement_cards: &cards,
        ..Context::default()
    };
    assert!(check(&issuance("1400054"), &ctx).is_ok());
}
