//! What an engine batch reads before the rules judge it: which reference data its orders
//! name ([`ContextKeys`]), that data read in a few set-based queries ([`BatchContext`]),
//! and a card with its arrangement ([`CardSubject`]) for the order POSTs.

use std::collections::HashMap;

use crate::domain::account::{Account, Mandate};
use crate::domain::card::{Arrangement, Card, Customer};
use crate::domain::execution::Context;
use crate::domain::identifier::{ArrangementNumber, CardId};
use crate::domain::order::Order;
use crate::domain::standing_order::StandingOrder;

/// Which reference data an engine batch needs.
#[derive(Debug, Clone, Default)]
pub struct ContextKeys {
    /// The orders' arrangements (a card order's is its card's).
    pub arrangements: Vec<String>,
    /// The customers the orders name besides the owners (an issuance's authorized one).
    pub customers: Vec<String>,
    /// The accounts account orders act on and name (settlement accounts); the store adds
    /// the accounts linked to and from them.
    pub accounts: Vec<String>,
    /// The accounts whose mandates mandate orders judge.
    pub mandates: Vec<String>,
    /// The accounts whose active standing orders the rules judge (closures).
    pub standing_orders: Vec<String>,
}

impl ContextKeys {
    /// What `orders` need, each key once.
    pub fn of<'a>(orders: impl IntoIterator<Item = &'a Order>) -> Self {
        let mut keys = Self::default();
        for order in orders {
            keys.arrangements.push(order.arrangement_number.to_string());
            let rules = order.request.rules();
            keys.customers
                .extend(rules.named_customers().into_iter().map(ToString::to_string));
            if rules.judges_mandates() {
                keys.mandates.push(order.arrangement_number.to_string());
                keys.mandates
                    .extend(rules.named_accounts().into_iter().map(ToString::to_string));
            }
            if let Some(account) = rules.account() {
                keys.accounts.push(account.to_string());
                keys.accounts
                    .extend(rules.named_accounts().into_iter().map(ToString::to_string));
                keys.accounts
                    .extend(rules.payee().into_iter().map(ToString::to_string));
                if rules.judges_standing_orders() {
                    keys.standing_orders.push(account.to_string());
                }
            }
        }
        for list in [
            &mut keys.arrangements,
            &mut keys.customers,
            &mut keys.accounts,
            &mut keys.standing_orders,
        ] {
            list.sort_unstable();
            list.dedup();
        }
        keys
    }
}

/// The reference data of a whole batch, read in a few set-based queries.
#[derive(Debug, Clone, Default)]
pub struct BatchContext {
    /// Arrangements by number.
    pub arrangements: HashMap<ArrangementNumber, Arrangement>,
    /// Every card of each arrangement, by card id.
    pub cards: HashMap<ArrangementNumber, Vec<Card>>,
    /// Customers by number.
    pub customers: HashMap<String, Customer>,
    /// The accounts of account orders, by number.
    pub accounts: HashMap<ArrangementNumber, Account>,
    /// The mandates on the accounts of mandate orders.
    pub mandates: Vec<Mandate>,
    /// The active standing orders paying from the accounts of closures.
    pub standing_orders: Vec<StandingOrder>,
}

impl BatchContext {
    /// What the rules see when they judge `order`.
    pub fn for_order<'a>(&'a self, order: &Order) -> Context<'a> {
        let arrangement_cards = self
            .cards
            .get(&order.arrangement_number)
            .map_or(&[][..], Vec::as_slice);
        let card = order
            .card_id()
            .and_then(|id| arrangement_cards.iter().find(|c| &c.id == id));
        let authorized_customer = order
            .request
            .rules()
            .authorized_customer()
            .and_then(|c| self.customers.get(c.as_str()));
        Context {
            card,
            arrangement: self.arrangements.get(&order.arrangement_number),
            arrangement_cards,
            authorized_customer,
            accounts: Some(&self.accounts),
            customers: Some(&self.customers),
            mandates: &self.mandates,
            standing_orders: &self.standing_orders,
        }
    }
}

/// A card and its arrangement, as [`super::OrderStore::card_subjects`] reads them.
#[derive(Debug, Clone)]
pub struct CardSubject {
    /// The card.
    pub card: Card,
    /// Its arrangement, if the row exists.
    pub arrangement: Option<Arrangement>,
    /// Every card on the arrangement (the card too), by id.
    pub arrangement_cards: Vec<Card>,
}

impl CardSubject {
    /// The subjects of `card_ids` from the rows of their arrangements' cards (each with
    /// its arrangement's columns beside it, in card id order); a card not among the rows
    /// has none.
    pub(crate) fn from_rows(
        card_ids: &[CardId],
        rows: Vec<(Card, Option<Arrangement>)>,
    ) -> Vec<Self> {
        let mut by_arrangement: HashMap<ArrangementNumber, (Option<Arrangement>, Vec<Card>)> =
            HashMap::new();
        let mut cards: HashMap<CardId, Card> = HashMap::new();
        for (card, arrangement) in rows {
            cards.insert(card.id.clone(), card.clone());
            by_arrangement
                .entry(card.arrangement_number.clone())
                .or_insert_with(|| (arrangement, Vec::new()))
                .1
                .push(card);
        }
        card_ids
            .iter()
            .filter_map(|id| {
                let card = cards.get(id)?.clone();
                let (arrangement, arrangement_cards) =
                    by_arrangement.get(&card.arrangement_number)?;
                Some(Self {
                    card,
                    arrangement: arrangement.clone(),
                    arrangement_cards: arrangement_cards.clone(),
                })
            })
            .collect()
    }
}
