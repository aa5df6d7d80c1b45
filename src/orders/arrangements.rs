//! `GET /arrangements` and `GET /arrangements/{arrangement-number}` (API.md section 9):
//! a customer's accounts with their kind, product, currency, balance and state, so that a
//! client can find the account an order is about and see an order's effect on it.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::LINK_ROOT;
use super::access::{ensure_may_list, list_customer};
use super::schema::{self, ArrangementPath};
use crate::auth::{Principal, Scope};
use crate::domain::account::{Account, ArrangementKind, ArrangementStatus};
use crate::domain::classification::literal_of;
use crate::domain::identifier::ArrangementNumber;
use crate::http::extract::ApiQuery;
use crate::http::paging::{Page, PageQuery};
use crate::http::{ApiError, Errors};
use crate::state::AppState;
use crate::store::accounts::AccountFilter;

/// An account as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ArrangementView {
    /// The arrangement number, used in orders.
    #[schema(example = "0064200002022")]
    pub arrangement_number: String,
    /// What kind of account it is (`arrangement-kind` classification).
    pub kind: ArrangementKind,
    /// The product (`product-code` classification).
    #[schema(example = "current-standard")]
    pub product_code: String,
    /// The product's name as the customer sees it.
    #[schema(example = "Current account")]
    pub product_name: String,
    /// ISO 4217 code of the account's currency.
    #[schema(example = "EUR", pattern = "^[A-Z]{3}$")]
    pub currency_code: String,
    /// The balance, a decimal string with exactly the currency's minor digits (never a
    /// binary float): negative for what the customer owes (loans, credit).
    #[schema(example = "843.12", pattern = "^-?[0-9]+(\\.[0-9]+)?$")]
    pub balance: String,
    /// Lifecycle state (`arrangement-status` classification).
    pub status: ArrangementStatus,
    /// Who owns the account.
    #[schema(example = "1400269")]
    pub owner_customer_number: String,
    /// The current account a deposit, loan or credit facility settles through; `null`
    /// for the others.
    #[schema(example = json!(null))]
    pub linked_arrangement_number: Option<String>,
}

impl From<&Account> for ArrangementView {
    fn from(account: &Account) -> Self {
        Self {
            arrangement_number: account.number.to_string(),
            kind: account.kind,
            product_code: account.product_code.clone(),
            product_name: account.product_name.clone(),
            currency_code: account.balance.currency.as_str().to_owned(),
            balance: account.balance.amount().to_string(),
            status: account.status,
            owner_customer_number: account.owner.to_string(),
            linked_arrangement_number: account.linked.as_ref().map(ToString::to_string),
        }
    }
}

/// Query parameters of the account list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "kebab-case")]
#[into_params(parameter_in = Query, rename_all = "kebab-case")]
pub struct ListArrangementsQuery {
    /// Accounts this customer owns. A customer token defaults to its own customer; staff
    /// may leave it out to list every account.
    #[param(example = "1400269", value_type = Option<schema::CustomerNumberText>, inline)]
    customer_number: Option<String>,
    /// Only accounts of this kind.
    #[param(value_type = Option<schema::ArrangementKindFilter>, inline)]
    kind: Option<String>,
}

/// Lists a customer's accounts, by arrangement number.
#[utoipa::path(
    get,
    path = "/arrangements",
    tag = "arrangements",
    params(ListArrangementsQuery, PageQuery),
    responses(
        (status = 200, description = "A page of accounts, by arrangement number", body = Page<ArrangementView>),
        (status = 400, description = "A parameter is not valid"),
        (status = 403, description = "The token lacks customer-order:read"),
        (status = 404, description = "The customer is not the caller's"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list_arrangements(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<ListArrangementsQuery>,
    ApiQuery(paging): ApiQuery<PageQuery>,
) -> Result<Json<Page<ArrangementView>>, ApiError> {
    principal.require(Scope::OrderRead)?;
    let mut errors = Errors::new();
    let customer = list_customer(&principal, query.customer_number.as_deref(), &mut errors);
    let kind = query
        .kind
        .as_deref()
        .and_then(|raw| errors.check(literal_of("arrangement-kind", "kind", raw)))
        .and_then(|literal| ArrangementKind::from_stored(&literal));
    let page = paging.read(&mut errors);
    errors.finish()?;
    ensure_may_list(&principal, customer.as_ref())?;
    let filter = AccountFilter {
        customer,
        kind,
        page,
    };
    let (accounts, total) = state.stores.accounts.list_accounts(&filter).await?;
    let items = accounts.iter().map(ArrangementView::from).collect();
    let path = format!("{LINK_ROOT}/arrangements");
    let filters = [
        (
            "customer-number",
            filter.customer.as_ref().map(|c| c.as_str()),
        ),
        ("kind", filter.kind.map(ArrangementKind::as_str)),
    ];
    let link = |number| state.links.page(&path, page.size, number, &filters);
    Ok(Json(Page::new(page, total, items, link)))
}

/// Returns one account.
#[utoipa::path(
    get,
    path = "/arrangements/{arrangement-number}",
    tag = "arrangements",
    params(ArrangementPath),
    responses(
        (status = 200, description = "The account", body = ArrangementView),
        (status = 400, description = "The path holds a control character or is not UTF-8"),
        (status = 403, description = "The token lacks customer-order:read"),
        (status = 404, description = "No such account, or not the caller's"),
    )
)]
#[tracing::instrument(skip_all, fields(arrangement = %arrangement_number))]
pub async fn get_arrangement(
    State(state): State<AppState>,
    principal: Principal,
    Path(ArrangementPath { arrangement_number }): Path<ArrangementPath>,
) -> Result<Json<ArrangementView>, ApiError> {
    principal.require(Scope::OrderRead)?;
    let not_found = || ApiError::NotFound(format!("no arrangement {arrangement_number}"));
    // A number that breaks the rule names no account: the same 404 as an unknown one.
    let number = ArrangementNumber::parse("arrangement-number", &arrangement_number)
        .map_err(|_| not_found())?;
    state
        .stores
        .accounts
        .account(&number)
        .await?
        .filter(|account| principal.may_act_for(&account.owner))
        .map(|account| Json(ArrangementView::from(&account)))
        .ok_or_else(not_found)
}
