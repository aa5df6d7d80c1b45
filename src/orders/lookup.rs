//! Reads what an order's view shows beyond the order (names, product, serial number, the
//! standing order), remembering each record so that a page of orders about the same few
//! cards and customers costs a few reads, not a few per item; a page's accounts and
//! standing orders are read up front, in one query each ([`Lookup::prefetch`]).

use std::collections::HashMap;

use super::model::{Facts, KindFields, OrderView};
use crate::domain::CustomerNumber;
use crate::domain::identifier::{ArrangementNumber, CardId};
use crate::domain::kinds::AdditionalCardIssuance;
use crate::domain::order::{Order, OrderKind, OrderNumber, OrderRequest};
use crate::domain::standing_order::StandingOrder;
use crate::http::ApiError;
use crate::store::OrderStore;

/// An account's product, as an account order's view shows it.
type AccountProduct = Option<(String, String)>;

/// A memo of store reads for the life of one request.
pub(super) struct Lookup<'a> {
    store: &'a dyn OrderStore,
    names: HashMap<CustomerNumber, Option<String>>,
    products: HashMap<ArrangementNumber, Option<String>>,
    serials: HashMap<CardId, Option<String>>,
    accounts: HashMap<ArrangementNumber, AccountProduct>,
    standing_orders: HashMap<OrderNumber, Option<StandingOrder>>,
}

impl<'a> Lookup<'a> {
    /// An empty memo over `store`.
    pub(super) fn new(store: &'a dyn OrderStore) -> Self {
        Self {
            store,
            names: HashMap::new(),
            products: HashMap::new(),
            serials: HashMap::new(),
            accounts: HashMap::new(),
            standing_orders: HashMap::new(),
        }
    }

    /// Reads, in one query each, the accounts and standing orders a page of `orders`
    /// shows, so that the views of the page do not read them one order at a time.
    pub(super) async fn prefetch(&mut self, orders: &[Order]) -> Result<(), ApiError> {
        let accounts: Vec<&ArrangementNumber> = orders
            .iter()
            .filter_map(|order| order.request.rules().account())
            .filter(|account| !self.accounts.contains_key(*account))
            .collect();
        if !accounts.is_empty() {
            self.read_accounts(&accounts).await?;
        }
        let set_up: Vec<OrderNumber> = orders
            .iter()
            .filter(|order| order.kind() == OrderKind::StandingOrder)
            .map(|order| order.number)
            .filter(|number| !self.standing_orders.contains_key(number))
            .collect();
        if !set_up.is_empty() {
            self.read_standing_orders(&set_up).await?;
        }
        Ok(())
    }

    /// Reads `accounts` into the memo, those not found as `None`.
    async fn read_accounts(&mut self, accounts: &[&ArrangementNumber]) -> Result<(), ApiError> {
        let numbers: Vec<String> = accounts.iter().map(ToString::to_string).collect();
        let mut found: HashMap<ArrangementNumber, AccountProduct> = self
            .store
            .accounts_around(&numbers)
            .await?
            .into_iter()
            .map(|account| {
                let product = Some((account.product_code, account.product_name));
                (account.number, product)
            })
            .collect();
        for account in accounts {
            let product = found.remove(*account).flatten();
            self.accounts.insert((*account).clone(), product);
        }
        Ok(())
    }

    /// Reads the standing orders set up by `numbers` into the memo.
    async fn read_standing_orders(&mut self, numbers: &[OrderNumber]) -> Result<(), ApiError> {
        let mut found: HashMap<OrderNumber, StandingOrder> = self
            .store
            .standing_orders_set_up_by(numbers)
            .await?
            .into_iter()
            .map(|standing| (standing.number, standing))
            .collect();
        for number in numbers {
            self.standing_orders.insert(*number, found.remove(number));
        }
        Ok(())
    }

    async fn account(&mut self, account: &ArrangementNumber) -> Result<AccountProduct, ApiError> {
        if !self.accounts.contains_key(account) {
            self.read_accounts(&[account]).await?;
        }
        Ok(self.accounts.get(account).cloned().flatten())
    }

    async fn standing_order(
        &mut self,
        number: OrderNumber,
    ) -> Result<Option<StandingOrder>, ApiError> {
        if !self.standing_orders.contains_key(&number) {
            self.read_standing_orders(&[number]).await?;
        }
        Ok(self.standing_orders.get(&number).cloned().flatten())
    }

    async fn name(&mut self, number: &CustomerNumber) -> Result<Option<String>, ApiError> {
        if let Some(name) = self.names.get(number) {
            return Ok(name.clone());
        }
        let name = self.store.customer(number).await?.map(|c| c.name);
        self.names.insert(number.clone(), name.clone());
        Ok(name)
    }

    async fn product(
        &mut self,
        arrangement: &ArrangementNumber,
    ) -> Result<Option<String>, ApiError> {
        if let Some(product) = self.products.get(arrangement) {
            return Ok(product.clone());
        }
        let product = self
            .store
            .arrangement(arrangement)
            .await?
            .map(|a| a.product_code);
        self.products.insert(arrangement.clone(), product.clone());
        Ok(product)
    }

    async fn serial(&mut self, card: &CardId) -> Result<Option<String>, ApiError> {
        if let Some(serial) = self.serials.get(card) {
            return Ok(serial.clone());
        }
        let serial = self.store.card(card).await?.map(|c| c.serial_number);
        self.serials.insert(card.clone(), serial.clone());
        Ok(serial)
    }

    /// What the view of `order` needs: names and product for an issuance and an account
    /// order, the card's serial number for a card order.
    pub(super) async fn facts(&mut self, order: &Order) -> Result<Facts, ApiError> {
        if let Some(account) = order.request.rules().account() {
            let product = self.account(account).await?;
            let standing_order = match order.kind() {
                OrderKind::StandingOrder => self.standing_order(order.number).await?,
                _ => None,
            };
            let (product_code, product_name) = product.unzip();
            return Ok(Facts {
                owner_name: self.name(&order.owner).await?,
                product_code,
                product_name,
                standing_order,
                ..Facts::default()
            });
        }
        match &order.request {
            OrderRequest::AdditionalCardIssuance(AdditionalCardIssuance {
                authorized_customer,
                arrangement_number,
            }) => Ok(Facts {
                owner_name: self.name(&order.owner).await?,
                holder_name: self.name(authorized_customer).await?,
                product_code: self.product(arrangement_number).await?,
                ..Facts::default()
            }),
            other => {
                let serial_number = match other.card_id() {
                    Some(card) => self.serial(card).await?,
                    None => None,
                };
                Ok(Facts {
                    serial_number,
                    ..Facts::default()
                })
            }
        }
    }

    /// The view of `order` with its facts.
    pub(super) async fn view<F: KindFields>(
        &mut self,
        order: &Order,
    ) -> Result<OrderView<F>, ApiError> {
        let facts = self.facts(order).await?;
        OrderView::build(order, &facts)
    }
}
