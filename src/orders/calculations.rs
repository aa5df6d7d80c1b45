//! `GET /calculations/deposit-termination` (API.md section 9): what ending a deposit today
//! would pay, so that the customer sees it before ordering (and before confirming). The
//! order pays what the same calculation gives on the day it is executed.

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::schema;
use crate::auth::{Principal, Scope};
use crate::domain::account::ArrangementKind;
use crate::domain::deposit;
use crate::domain::identifier::ArrangementNumber;
use crate::http::extract::ApiQuery;
use crate::http::{ApiError, ErrorLiteral, FieldError};
use crate::state::AppState;

/// Query of the calculation.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "kebab-case")]
#[into_params(parameter_in = Query, rename_all = "kebab-case")]
pub struct DepositTerminationQuery {
    /// Required: a deposit of the caller's.
    #[param(value_type = schema::IdentifierText, inline, example = "0064200002048")]
    arrangement_number: Option<String>,
}

/// What ending a deposit today pays.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DepositTerminationCalculation {
    /// The deposit.
    #[schema(example = "0064200002048")]
    pub arrangement_number: String,
    /// ISO 4217 code of every amount.
    #[schema(example = "RSD", pattern = "^[A-Z]{3}$")]
    pub currency_code: String,
    /// The day it is computed for (UTC).
    #[schema(example = "2026-12-03", format = Date)]
    pub calculation_date: String,
    /// Days of interest counted (actual days over a 365-day year).
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub interest_days: i64,
    /// The balance.
    #[schema(example = "500000.00", pattern = "^-?[0-9]+(\\.[0-9]+)?$")]
    pub principal: String,
    /// Interest accrued.
    #[schema(example = "3500.00", pattern = "^-?[0-9]+(\\.[0-9]+)?$")]
    pub interest: String,
    /// Tax withheld on the interest.
    #[schema(example = "525.00", pattern = "^-?[0-9]+(\\.[0-9]+)?$")]
    pub tax: String,
    /// The early-termination fee.
    #[schema(example = "5000.00", pattern = "^-?[0-9]+(\\.[0-9]+)?$")]
    pub fees: String,
    /// What the linked current account receives.
    #[schema(example = "497975.00", pattern = "^-?[0-9]+(\\.[0-9]+)?$")]
    pub net_amount: String,
}

/// Computes what ending a deposit early would pay today.
#[utoipa::path(
    get,
    path = "/calculations/deposit-termination",
    tag = "calculations",
    params(DepositTerminationQuery),
    responses(
        (status = 200, description = "What the deposit would pay", body = DepositTerminationCalculation),
        (status = 400, description = "The arrangement number is missing or not valid"),
        (status = 403, description = "The token lacks customer-order:read"),
        (status = 404, description = "No such account, or not the caller's"),
        (status = 422, description = "`account-kind-not-eligible`: the account is not a deposit with interest terms"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn deposit_termination(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<DepositTerminationQuery>,
) -> Result<Json<DepositTerminationCalculation>, ApiError> {
    principal.require(Scope::OrderRead)?;
    let tag = "arrangement-number";
    let raw = query.arrangement_number.as_deref().ok_or_else(|| {
        ApiError::field(FieldError::new(
            tag,
            ErrorLiteral::Required,
            "arrangement-number is required",
        ))
    })?;
    let number = ArrangementNumber::parse(tag, raw).map_err(ApiError::field)?;
    let account = state
        .stores
        .accounts
        .account(&number)
        .await?
        .filter(|a| principal.may_act_for(&a.owner))
        .ok_or_else(|| ApiError::NotFound(format!("no arrangement {number}")))?;
    let today = Utc::now().date_naive();
    let quote = (account.kind == ArrangementKind::DepositAccount)
        .then(|| deposit::early_termination(&account, today))
        .flatten()
        .ok_or_else(|| ApiError::Unprocessable {
            problem: "account-kind-not-eligible",
            detail: format!(
                "account {number} is a {}, not a deposit with interest terms",
                account.kind.as_str()
            ),
        })?;
    Ok(Json(DepositTerminationCalculation {
        arrangement_number: number.to_string(),
        currency_code: account.balance.currency.as_str().to_owned(),
        calculation_date: today.to_string(),
        interest_days: quote.days,
        principal: quote.principal.amount().to_string(),
        interest: quote.interest.amount().to_string(),
        tax: quote.tax.amount().to_string(),
        fees: quote.fee.amount().to_string(),
        net_amount: quote.net.amount().to_string(),
    }))
}
