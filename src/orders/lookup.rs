//! Reads what an order's view shows beyond the order (names, product, serial number),
//! remembering each record so that a page of orders about the same few cards and customers
//! costs a few reads, not a few per item.

use std::collections::HashMap;

use super::model::{Facts, KindFields, OrderView};
use crate::domain::CustomerNumber;
use crate::domain::identifier::{ArrangementNumber, CardId};
use crate::domain::kinds::AdditionalCardIssuance;
use crate::domain::order::{Order, OrderKind, OrderRequest};
use crate::http::ApiError;
use crate::store::OrderStore;

/// A memo of store reads for the life of one request.
pub(super) struct Lookup<'a> {
    store: &'a dyn OrderStore,
    names: HashMap<CustomerNumber, Option<String>>,
    products: HashMap<ArrangementNumber, Option<String>>,
    serials: HashMap<CardId, Option<String>>,
}

impl<'a> Lookup<'a> {
    /// An empty memo over `store`.
    pub(super) fn new(store: &'a dyn OrderStore) -> Self {
        Self {
            store,
            names: HashMap::new(),
            products: HashMap::new(),
            serials: HashMap::new(),
        }
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
            let product = self
                .store
                .accounts_around(&[account.to_string()])
                .await?
                .into_iter()
                .find(|a| &a.number == account);
            let standing_order = match order.kind() {
                OrderKind::StandingOrder => self.store.standing_order(order.number).await?,
                _ => None,
            };
            return Ok(Facts {
                owner_name: self.name(&order.owner).await?,
                product_code: product.as_ref().map(|a| a.product_code.clone()),
                product_name: product.map(|a| a.product_name),
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
