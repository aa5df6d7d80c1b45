//! `GET /cards` and `GET /cards/{card-id}`: the cards orders act on, so that a client can
//! find a card's id and see an order's effect. Only the masked number is ever shown.

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::LINK_ROOT;
use super::access::{ensure_may_list, list_customer, may_see_card};
use super::schema::{self, CardPath};
use crate::auth::{Principal, Scope};
use crate::domain::card::{Card, CardStatus};
use crate::domain::identifier::CardId;
use crate::http::extract::ApiQuery;
use crate::http::paging::{Page, PageQuery};
use crate::http::{ApiError, Errors};
use crate::state::AppState;
use crate::store::CardFilter;

/// A card as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct CardView {
    /// Stable identifier, used in orders.
    #[schema(example = "C0000000201")]
    pub card_id: String,
    /// The plastic's serial number.
    #[schema(example = "SN0000000201")]
    pub serial_number: String,
    /// The card number with all but the first four and last four digits masked.
    #[schema(example = "4571 **** **** 7437")]
    pub masked_number: String,
    /// The account the card draws on.
    #[schema(example = "0064200001948")]
    pub arrangement_number: String,
    /// Who carries the card.
    #[schema(example = "1400269")]
    pub holder_customer_number: String,
    /// Who owns the arrangement (and so the card).
    #[schema(example = "1400269")]
    pub owner_customer_number: String,
    /// The card product (`product-code` classification).
    #[schema(example = "Visa")]
    pub product_code: String,
    /// Lifecycle state (`card-status` classification).
    pub status: CardStatus,
    /// Why the card is blocked (`card-blockade-reason`), while suspended; else `null`.
    pub blockade_reason: Option<String>,
    /// Last day the card is valid (`YYYY-MM-DD`).
    #[schema(value_type = String, format = Date, example = "2029-10-31")]
    pub expiry_date: NaiveDate,
    /// The card this one replaced; `null` if none.
    pub replaces: Option<String>,
    /// The card that replaced this one; `null` if none.
    pub replaced_by: Option<String>,
    /// When the status last changed.
    #[serde(serialize_with = "crate::http::time::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub status_date: DateTime<Utc>,
}

impl From<&Card> for CardView {
    fn from(card: &Card) -> Self {
        Self {
            card_id: card.id.to_string(),
            serial_number: card.serial_number.clone(),
            masked_number: card.masked_number.clone(),
            arrangement_number: card.arrangement_number.to_string(),
            holder_customer_number: card.holder.to_string(),
            owner_customer_number: card.owner.to_string(),
            product_code: card.product_code.clone(),
            status: card.status,
            blockade_reason: card.blockade_reason.clone(),
            expiry_date: card.expiry_date,
            replaces: card.replaces.clone().map(String::from),
            replaced_by: card.replaced_by.clone().map(String::from),
            status_date: card.status_date,
        }
    }
}

/// Query parameters of the card list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "kebab-case")]
#[into_params(parameter_in = Query, rename_all = "kebab-case")]
pub struct ListCardsQuery {
    /// Cards this customer holds or owns. A customer token defaults to its own customer;
    /// staff may leave it out to list every card.
    #[param(example = "1400269", value_type = Option<schema::CustomerNumberText>, inline)]
    customer_number: Option<String>,
}

/// Lists a customer's cards (held or owned), by card id.
#[utoipa::path(
    get,
    path = "/cards",
    tag = "cards",
    params(ListCardsQuery, PageQuery),
    responses(
        (status = 200, description = "A page of cards, by card id", body = Page<CardView>),
        (status = 400, description = "A parameter is not valid"),
        (status = 403, description = "The token lacks customer-order:read"),
        (status = 404, description = "The customer is not the caller's"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list_cards(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<ListCardsQuery>,
    ApiQuery(paging): ApiQuery<PageQuery>,
) -> Result<Json<Page<CardView>>, ApiError> {
    principal.require(Scope::OrderRead)?;
    let mut errors = Errors::new();
    let customer = list_customer(&principal, query.customer_number.as_deref(), &mut errors);
    let page = paging.read(&mut errors);
    errors.finish()?;
    ensure_may_list(&principal, customer.as_ref())?;
    let filter = CardFilter { customer, page };
    let (cards, total) = state.stores.orders.list_cards(&filter).await?;
    let items = cards.iter().map(CardView::from).collect();
    let path = format!("{LINK_ROOT}/cards");
    let customer = filter.customer.as_ref().map(|c| c.as_str());
    let link = |number| {
        state
            .links
            .page(&path, page.size, number, &[("customer-number", customer)])
    };
    Ok(Json(Page::new(page, total, items, link)))
}

/// Returns one card.
#[utoipa::path(
    get,
    path = "/cards/{card-id}",
    tag = "cards",
    params(CardPath),
    responses(
        (status = 200, description = "The card", body = CardView),
        (status = 400, description = "The path holds a control character or is not UTF-8"),
        (status = 403, description = "The token lacks customer-order:read"),
        (status = 404, description = "No such card, or not the caller's"),
    )
)]
#[tracing::instrument(skip_all, fields(card = %card_id))]
pub async fn get_card(
    State(state): State<AppState>,
    principal: Principal,
    Path(CardPath { card_id }): Path<CardPath>,
) -> Result<Json<CardView>, ApiError> {
    principal.require(Scope::OrderRead)?;
    let not_found = || ApiError::NotFound(format!("no card {card_id}"));
    // An id that breaks the rule names no card: the same 404 as an unknown one.
    let id = CardId::parse("card-id", &card_id).map_err(|_| not_found())?;
    state
        .stores
        .orders
        .card(&id)
        .await?
        .filter(|card| may_see_card(&principal, card))
        .map(|card| Json(CardView::from(&card)))
        .ok_or_else(not_found)
}
