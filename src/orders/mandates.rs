//! `GET /mandates` and `GET /mandates/{mandate-number}` (API.md section 9): the mandates a
//! customer gave on its arrangements and the ones it holds on others', so that a client
//! can show who may act on which account and find the number a revocation names.

use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::LINK_ROOT;
use super::access::{ensure_may_list, list_customer};
use super::schema::{self, MandatePath};
use crate::auth::{Principal, Scope};
use crate::domain::account::{Mandate, MandateStatus};
use crate::domain::identifier::MandateNumber;
use crate::http::extract::ApiQuery;
use crate::http::paging::{Page, PageQuery};
use crate::http::{ApiError, ErrorLiteral, Errors, FieldError};
use crate::state::AppState;
use crate::store::accounts::{MandateFilter, MandateRole};

/// A mandate as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct MandateView {
    /// The mandate's number: what a revocation names.
    #[schema(example = "M0000000301")]
    pub mandate_number: String,
    /// The arrangement it covers.
    #[schema(example = "0064200002014")]
    pub arrangement_number: String,
    /// Who gave it: the arrangement's owner.
    #[schema(example = "1400269")]
    pub grantor_customer_number: String,
    /// Who holds it and may act on the arrangement.
    #[schema(example = "1400054")]
    pub customer_number: String,
    /// The grantor's name for it; `null` if none.
    #[schema(example = "Household")]
    pub nickname: Option<String>,
    /// In force or revoked (`mandate-status` classification).
    pub status: MandateStatus,
    /// The day it was given (`YYYY-MM-DD`).
    #[schema(value_type = String, format = Date, example = "2024-03-01")]
    pub granted_on: NaiveDate,
    /// The day it was revoked; `null` while in force.
    #[schema(value_type = Option<String>, format = Date, example = json!(null))]
    pub revoked_on: Option<NaiveDate>,
}

impl From<&Mandate> for MandateView {
    fn from(mandate: &Mandate) -> Self {
        Self {
            mandate_number: mandate.number.to_string(),
            arrangement_number: mandate.arrangement.to_string(),
            grantor_customer_number: mandate.grantor.to_string(),
            customer_number: mandate.holder.to_string(),
            nickname: mandate.nickname.clone(),
            status: mandate.status,
            granted_on: mandate.granted_on,
            revoked_on: mandate.revoked_on,
        }
    }
}

/// Query parameters of the mandate list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "kebab-case")]
#[into_params(parameter_in = Query, rename_all = "kebab-case")]
pub struct ListMandatesQuery {
    /// Mandates this customer gave or holds. A customer token defaults to its own
    /// customer; staff may leave it out to list every mandate.
    #[param(example = "1400269", value_type = Option<schema::CustomerNumberText>, inline)]
    customer_number: Option<String>,
    /// Only the ones the customer `given` (on its arrangements) or `received`; both by
    /// default.
    #[param(value_type = Option<schema::MandateRoleFilter>, inline)]
    role: Option<String>,
}

/// The `role` parameter, in any case.
fn role(raw: Option<&str>, errors: &mut Errors) -> MandateRole {
    match raw.map(str::to_ascii_lowercase).as_deref() {
        None => MandateRole::Either,
        Some("given") => MandateRole::Given,
        Some("received") => MandateRole::Received,
        Some(other) => {
            errors.push(FieldError::new(
                "role",
                ErrorLiteral::NotOnList,
                format!("role must be given or received, got {other:?}"),
            ));
            MandateRole::Either
        }
    }
}

/// Lists the mandates a customer gave or holds, by mandate number.
#[utoipa::path(
    get,
    path = "/mandates",
    tag = "mandates",
    params(ListMandatesQuery, PageQuery),
    responses(
        (status = 200, description = "A page of mandates, by mandate number", body = Page<MandateView>),
        (status = 400, description = "A parameter is not valid"),
        (status = 403, description = "The token lacks customer-order:read"),
        (status = 404, description = "The customer is not the caller's"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list_mandates(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<ListMandatesQuery>,
    ApiQuery(paging): ApiQuery<PageQuery>,
) -> Result<Json<Page<MandateView>>, ApiError> {
    principal.require(Scope::OrderRead)?;
    let mut errors = Errors::new();
    let customer = list_customer(&principal, query.customer_number.as_deref(), &mut errors);
    let role = role(query.role.as_deref(), &mut errors);
    let page = paging.read(&mut errors);
    errors.finish()?;
    ensure_may_list(&principal, customer.as_ref())?;
    let filter = MandateFilter {
        customer,
        role,
        page,
    };
    let (mandates, total) = state.stores.accounts.list_mandates(&filter).await?;
    let items = mandates.iter().map(MandateView::from).collect();
    let role = match filter.role {
        MandateRole::Given => Some("given"),
        MandateRole::Received => Some("received"),
        MandateRole::Either => None,
    };
    let path = format!("{LINK_ROOT}/mandates");
    let filters = [
        (
            "customer-number",
            filter.customer.as_ref().map(|c| c.as_str()),
        ),
        ("role", role),
    ];
    let link = |number| state.links.page(&path, page.size, number, &filters);
    Ok(Json(Page::new(page, total, items, link)))
}

/// Returns one mandate.
#[utoipa::path(
    get,
    path = "/mandates/{mandate-number}",
    tag = "mandates",
    params(MandatePath),
    responses(
        (status = 200, description = "The mandate", body = MandateView),
        (status = 400, description = "The path holds a control character or is not UTF-8"),
        (status = 403, description = "The token lacks customer-order:read"),
        (status = 404, description = "No such mandate, or not the caller's"),
    )
)]
#[tracing::instrument(skip_all, fields(mandate = %mandate_number))]
pub async fn get_mandate(
    State(state): State<AppState>,
    principal: Principal,
    Path(MandatePath { mandate_number }): Path<MandatePath>,
) -> Result<Json<MandateView>, ApiError> {
    principal.require(Scope::OrderRead)?;
    let not_found = || ApiError::NotFound(format!("no mandate {mandate_number}"));
    // A number that breaks the rule names no mandate: the same 404 as an unknown one.
    let number =
        MandateNumber::parse("mandate-number", &mandate_number).map_err(|_| not_found())?;
    state
        .stores
        .accounts
        .mandate(&number)
        .await?
        .filter(|m| principal.may_act_for(&m.grantor) || principal.may_act_for(&m.holder))
        .map(|m| Json(MandateView::from(&m)))
        .ok_or_else(not_found)
}
