//! The demo's customers, arrangements and cards: the order guide's arrangement
//! `0064200001930` (a MasterCard credit-limit account of Branislav Vukovic, on which Mileva
//! Grujic already holds an additional card, so the guide's issuance for 1400054 works), and
//! cards in every state for customer 1400269 so each order resource can be tried at once.

use chrono::{NaiveDate, TimeZone, Utc};

use super::GUIDE_ARRANGEMENT;
use crate::domain::CustomerNumber;
use crate::domain::card::{Arrangement, Card, CardStatus, Customer, mask};
use crate::domain::identifier::{ArrangementNumber, CardId};

fn number(raw: &str) -> CustomerNumber {
    CustomerNumber::parse("customer-number", raw)
        .unwrap_or_else(|e| panic!("demo customer {raw}: {}", e.message))
}

fn arrangement_number(raw: &str) -> ArrangementNumber {
    ArrangementNumber::parse("arrangement-number", raw)
        .unwrap_or_else(|e| panic!("demo arrangement {raw}: {}", e.message))
}

fn card_id(raw: &str) -> CardId {
    CardId::parse("card-id", raw).unwrap_or_else(|e| panic!("demo card {raw}: {}", e.message))
}

/// The guides' customers.
pub fn customers() -> Vec<Customer> {
    [
        ("1400054", "Ana Petrovic"),
        ("1400269", "Marko Jovanovic"),
        ("MIGR00002", "Mileva Grujic"),
        ("BRVU00002", "Branislav Vukovic"),
    ]
    .into_iter()
    .map(|(n, name)| Customer {
        number: number(n),
        name: name.into(),
    })
    .collect()
}

/// The demo's arrangements.
pub fn arrangements() -> Vec<Arrangement> {
    let arrangement =
        |n: &str, owner: &str, product: &str, active: bool, allows_cards: bool, limit: u32| {
            Arrangement {
                number: arrangement_number(n),
                owner: number(owner),
                product_code: product.into(),
                active,
                allows_cards,
                card_limit: limit,
            }
        };
    vec![
        arrangement(GUIDE_ARRANGEMENT, "BRVU00002", "MasterCard", true, true, 4),
        arrangement("0064200001948", "1400269", "Visa", true, true, 8),
        arrangement("0064200001956", "1400054", "Maestro", true, true, 2),
        arrangement("0064200001964", "1400269", "MasterCard", false, true, 2),
    ]
}

/// The demo's cards: every state, lost and temporary blockades, an additional card.
pub fn cards() -> Vec<Card> {
    let since = Utc
        .with_ymd_and_hms(2015, 10, 20, 23, 22, 10)
        .single()
        .unwrap_or_default();
    let card = |id: u32,
                arrangement: &str,
                holder: &str,
                owner: &str,
                product: &str,
                status: CardStatus,
                reason: Option<&str>| {
        let bin = match product {
            "Visa" => "4571",
            "Maestro" => "6759",
            _ => "5356",
        };
        Card {
            id: card_id(&format!("C{id:010}")),
            serial_number: format!("SN{id:010}"),
            masked_number: mask(bin, &format!("{:04}", (id * 37) % 10_000)),
            arrangement_number: arrangement_number(arrangement),
            holder: number(holder),
            owner: number(owner),
            product_code: product.into(),
            status,
            blockade_reason: reason.map(str::to_owned),
            expiry_date: NaiveDate::from_ymd_opt(2029, 10, 31).unwrap_or_default(),
            replaces: None,
            replaced_by: None,
            status_date: since,
        }
    };
    use CardStatus::*;
    vec![
        card(
            101,
            GUIDE_ARRANGEMENT,
            "BRVU00002",
            "BRVU00002",
            "MasterCard",
            Active,
            None,
        ),
        card(
            102,
            GUIDE_ARRANGEMENT,
            "MIGR00002",
            "BRVU00002",
            "MasterCard",
            Active,
            None,
        ),
        card(
            201,
            "0064200001948",
            "1400269",
            "1400269",
            "Visa",
            Active,
            None,
        ),
        card(
            202,
            "0064200001948",
            "1400269",
            "1400269",
            "Visa",
            Inactive,
            None,
        ),
        card(
            203,
            "0064200001948",
            "1400269",
            "1400269",
            "Visa",
            Suspended,
            Some("temporary-blockage"),
        ),
        card(
            204,
            "0064200001948",
            "1400269",
            "1400269",
            "Visa",
            Suspended,
            Some("stolen-card"),
        ),
        card(
            205,
            "0064200001948",
            "1400269",
            "1400269",
            "Visa",
            Terminated,
            None,
        ),
        card(
            206,
            "0064200001948",
            "1400269",
            "1400269",
            "Visa",
            Active,
            None,
        ),
        card(
            301,
            "0064200001956",
            "1400054",
            "1400054",
            "Maestro",
            Active,
            None,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn cards_exist_in_every_state_and_belong_to_known_arrangements() {
        let cards = cards();
        let states: HashSet<_> = cards.iter().map(|c| c.status).collect();
        assert_eq!(states.len(), CardStatus::ALL.len());
        let arrangements: HashSet<_> = arrangements().into_iter().map(|a| a.number).collect();
        let customers: HashSet<_> = customers().into_iter().map(|c| c.number).collect();
        for card in &cards {
            assert!(
                arrangements.contains(&card.arrangement_number),
                "{}",
                card.id
            );
            assert!(
                customers.contains(&card.holder) && customers.contains(&card.owner),
                "{}",
                card.id
            );
        }
    }
}
