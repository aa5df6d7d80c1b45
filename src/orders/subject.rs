//! What an order is judged against when it is accepted: the card, the arrangement and
//! the customers of a card order, the accounts around an account order, the mandate of a
//! mandate order; loaded for a caller allowed to see them (anything else is a 404).

use std::collections::HashMap;

use super::access::may_see_card;
use crate::auth::Principal;
use crate::domain::CustomerNumber;
use crate::domain::account::{Account, Mandate};
use crate::domain::card::{Arrangement, Card, Customer};
use crate::domain::execution::Context;
use crate::domain::identifier::{ArrangementNumber, MandateNumber};
use crate::domain::kinds::AdditionalCardIssuance;
use crate::domain::order::OrderRequest;
use crate::domain::standing_order::StandingOrder;
use crate::http::ApiError;
use crate::state::AppState;
use crate::store::orders::CardSubject;

/// What the rules judge an order against, loaded for a caller allowed to see it.
pub(super) struct Subject {
    pub(super) card: Option<Card>,
    pub(super) arrangement: Option<Arrangement>,
    pub(super) arrangement_cards: Vec<Card>,
    pub(super) authorized_customer: Option<Customer>,
    pub(super) accounts: HashMap<ArrangementNumber, Account>,
    pub(super) customers: HashMap<String, Customer>,
    pub(super) mandates: Vec<Mandate>,
    pub(super) standing_orders: Vec<StandingOrder>,
    pub(super) owner: CustomerNumber,
    pub(super) holder: CustomerNumber,
    pub(super) arrangement_number: ArrangementNumber,
}

impl Subject {
    /// What the rules see of it.
    pub(super) fn context(&self) -> Context<'_> {
        Context {
            card: self.card.as_ref(),
            arrangement: self.arrangement.as_ref(),
            arrangement_cards: &self.arrangement_cards,
            authorized_customer: self.authorized_customer.as_ref(),
            accounts: Some(&self.accounts),
            customers: Some(&self.customers),
            mandates: &self.mandates,
            standing_orders: &self.standing_orders,
        }
    }
}

/// Loads the card (or the arrangement and authorized customer of an issuance). Whatever
/// does not exist, or is not the caller's, is the same 404.
pub(super) async fn load_subject(
    state: &AppState,
    principal: &Principal,
    request: &OrderRequest,
) -> Result<Subject, ApiError> {
    let store = &state.stores.orders;
    if let OrderRequest::MandateAssignment(assignment) = request
        && !principal.may_act_for(&assignment.initiator)
    {
        return Err(ApiError::NotFound(format!(
            "no customer {}",
            assignment.initiator
        )));
    }
    if let Some(number) = request.rules().mandate() {
        return load_mandate_subject(state, principal, number).await;
    }
    if let Some(account) = request.rules().account() {
        return load_account_subject(state, principal, request, account).await;
    }
    if let OrderRequest::AdditionalCardIssuance(AdditionalCardIssuance {
        authorized_customer,
        arrangement_number,
    }) = request
    {
        let arrangement = store
            .arrangement(arrangement_number)
            .await?
            .filter(|a| principal.may_act_for(&a.owner))
            .ok_or_else(|| ApiError::NotFound(format!("no arrangement {arrangement_number}")))?;
        let customer = store
            .customer(authorized_customer)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no customer {authorized_customer}")))?;
        let arrangement_cards = store.arrangement_cards(arrangement_number).await?;
        return Ok(Subject {
            card: None,
            owner: arrangement.owner.clone(),
            holder: customer.number.clone(),
            arrangement_number: arrangement.number.clone(),
            arrangement: Some(arrangement),
            arrangement_cards,
            authorized_customer: Some(customer),
            accounts: HashMap::new(),
            customers: HashMap::new(),
            mandates: Vec::new(),
            standing_orders: Vec::new(),
        });
    }
    let card_id = request.card_id().ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "a {} names neither a card nor an arrangement",
            request.kind().as_str()
        ))
    })?;
    let CardSubject {
        card,
        arrangement,
        arrangement_cards,
    } = state
        .orders
        .subjects
        .subject(card_id.clone())
        .await?
        .filter(|s| may_see_card(principal, &s.card))
        .ok_or_else(|| ApiError::NotFound(format!("no card {card_id}")))?;
    Ok(Subject {
        owner: card.owner.clone(),
        holder: card.holder.clone(),
        arrangement_number: card.arrangement_number.clone(),
        card: Some(card),
        arrangement,
        arrangement_cards,
        authorized_customer: None,
        accounts: HashMap::new(),
        customers: HashMap::new(),
        mandates: Vec::new(),
        standing_orders: Vec::new(),
    })
}

/// Loads an account order's account, the settlement accounts it names and the accounts
/// linked to and from it. The account and every account named must be the caller's:
/// anything else is the same 404 as an account that does not exist.
async fn load_account_subject(
    state: &AppState,
    principal: &Principal,
    request: &OrderRequest,
    number: &ArrangementNumber,
) -> Result<Subject, ApiError> {
    let store = &state.stores.orders;
    let named = request.rules().named_accounts();
    let keys: Vec<String> = std::iter::once(number)
        .chain(named.iter().copied())
        .chain(request.rules().payee())
        .map(ToString::to_string)
        .collect();
    let accounts: HashMap<ArrangementNumber, Account> = store
        .accounts_around(&keys)
        .await?
        .into_iter()
        .map(|a| (a.number.clone(), a))
        .collect();
    for wanted in std::iter::once(number).chain(named) {
        if !accounts
            .get(wanted)
            .is_some_and(|a| principal.may_act_for(&a.owner))
        {
            return Err(ApiError::NotFound(format!("no account {wanted}")));
        }
    }
    let owner = accounts
        .get(number)
        .map(|a| a.owner.clone())
        .ok_or_else(|| ApiError::NotFound(format!("no account {number}")))?;
    let mut customers = HashMap::new();
    for wanted in request.rules().named_customers() {
        let customer = store
            .customer(wanted)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no customer {wanted}")))?;
        customers.insert(wanted.to_string(), customer);
    }
    let mandates = if request.rules().judges_mandates() {
        let keys: Vec<String> = accounts.keys().map(ToString::to_string).collect();
        store.mandates_on(&keys).await?
    } else {
        Vec::new()
    };
    let standing_orders = if request.rules().judges_standing_orders() {
        store.standing_orders_from(&[number.to_string()]).await?
    } else {
        Vec::new()
    };
    Ok(Subject {
        card: None,
        arrangement: None,
        arrangement_cards: store.arrangement_cards(number).await?,
        authorized_customer: None,
        accounts,
        customers,
        mandates,
        standing_orders,
        holder: owner.clone(),
        owner,
        arrangement_number: number.clone(),
    })
}

/// Loads a mandate order's mandate, seen by its grantor and its holder only (anyone else
/// gets the same 404 as for a mandate that does not exist). The order is the grantor's,
/// and its holder sees it too.
async fn load_mandate_subject(
    state: &AppState,
    principal: &Principal,
    number: &MandateNumber,
) -> Result<Subject, ApiError> {
    let mandate = state
        .stores
        .accounts
        .mandate(number)
        .await?
        .filter(|m| principal.may_act_for(&m.grantor) || principal.may_act_for(&m.holder))
        .ok_or_else(|| ApiError::NotFound(format!("no mandate {number}")))?;
    Ok(Subject {
        card: None,
        arrangement: None,
        arrangement_cards: Vec::new(),
        authorized_customer: None,
        accounts: HashMap::new(),
        customers: HashMap::new(),
        owner: mandate.grantor.clone(),
        holder: mandate.holder.clone(),
        arrangement_number: mandate.arrangement.clone(),
        mandates: vec![mandate],
        standing_orders: Vec::new(),
    })
}
