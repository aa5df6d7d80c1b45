//! `GET /calculations/deposit-termination` and `GET /calculations/deposit-payout` (API.md
//! section 9): what ending a deposit today, or paying out its interest, would pay, so that
//! the customer sees it before ordering. The order pays what the same calculation gives
//! on the day it is executed.

use axum::Json;
use axum::extract::State;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::schema;
use crate::auth::{Principal, Scope};
use crate::domain::account::{Account, ArrangementKind, CurrencyCode};
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
    let account = the_deposit(
        &state,
        &principal,
        "arrangement-number",
        query.arrangement_number.as_deref(),
    )
    .await?;
    let today = Utc::now().date_naive();
    let quote = deposit::early_termination(&account, today)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a deposit with terms has no quote")))?;
    Ok(Json(DepositTerminationCalculation {
        arrangement_number: account.number.to_string(),
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

/// Query of the payout calculation.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "kebab-case")]
#[into_params(parameter_in = Query, rename_all = "kebab-case")]
pub struct DepositPayoutQuery {
    /// Required: a deposit of the caller's.
    #[param(value_type = schema::IdentifierText, inline, example = "0064200002048")]
    account: Option<String>,
    /// Required: the ISO 4217 code to pay in (the deposit's own).
    #[param(value_type = String, pattern = "^[A-Z]{3}$", example = "RSD")]
    currency_id: Option<String>,
}

/// What paying out a deposit's interest today pays.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DepositPayoutCalculation {
    /// The deposit.
    #[schema(example = "0064200002048")]
    pub account: String,
    /// ISO 4217 code of every amount.
    #[schema(example = "RSD", pattern = "^[A-Z]{3}$")]
    pub currency_code: String,
    /// The day it is computed for (UTC).
    #[schema(example = "2026-12-03", format = Date)]
    pub calculation_date: String,
    /// Days of interest counted since it last earned from.
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub interest_days: i64,
    /// Interest accrued.
    #[schema(example = "3500.00", pattern = "^-?[0-9]+(\\.[0-9]+)?$")]
    pub interest: String,
    /// Tax withheld on the interest.
    #[schema(example = "525.00", pattern = "^-?[0-9]+(\\.[0-9]+)?$")]
    pub tax: String,
    /// What the linked current account receives.
    #[schema(example = "2975.00", pattern = "^-?[0-9]+(\\.[0-9]+)?$")]
    pub net_amount: String,
}

/// A required query parameter.
fn required<'a>(tag: &str, raw: Option<&'a str>) -> Result<&'a str, ApiError> {
    raw.ok_or_else(|| {
        ApiError::field(FieldError::new(
            tag,
            ErrorLiteral::Required,
            format!("{tag} is required"),
        ))
    })
}

/// The caller's deposit with interest terms, or the answer why not.
async fn the_deposit(
    state: &AppState,
    principal: &Principal,
    tag: &str,
    raw: Option<&str>,
) -> Result<Account, ApiError> {
    let number = ArrangementNumber::parse(tag, required(tag, raw)?).map_err(ApiError::field)?;
    let account = state
        .stores
        .accounts
        .account(&number)
        .await?
        .filter(|a| principal.may_act_for(&a.owner))
        .ok_or_else(|| ApiError::NotFound(format!("no arrangement {number}")))?;
    if account.kind != ArrangementKind::DepositAccount || account.deposit.is_none() {
        return Err(ApiError::Unprocessable {
            problem: "account-kind-not-eligible",
            detail: format!(
                "account {number} is a {}, not a deposit with interest terms",
                account.kind.as_str()
            ),
        });
    }
    Ok(account)
}

/// Computes what paying out a deposit's interest would pay today.
#[utoipa::path(
    get,
    path = "/calculations/deposit-payout",
    tag = "calculations",
    params(DepositPayoutQuery),
    responses(
        (status = 200, description = "What the payout would pay", body = DepositPayoutCalculation),
        (status = 400, description = "A parameter is missing or not valid"),
        (status = 403, description = "The token lacks customer-order:read"),
        (status = 404, description = "No such account, or not the caller's"),
        (status = 422, description = "`account-kind-not-eligible`: not a deposit with interest terms; `policy-violation`: another currency than the deposit's"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn deposit_payout(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<DepositPayoutQuery>,
) -> Result<Json<DepositPayoutCalculation>, ApiError> {
    principal.require(Scope::OrderRead)?;
    let currency = CurrencyCode::parse(
        "currency-id",
        required("currency-id", query.currency_id.as_deref())?,
    )
    .map_err(ApiError::field)?;
    let account = the_deposit(&state, &principal, "account", query.account.as_deref()).await?;
    if account.balance.currency != currency {
        return Err(ApiError::Unprocessable {
            problem: "policy-violation",
            detail: format!(
                "deposit {} pays its interest in {}: bankapi holds no exchange rates",
                account.number,
                account.balance.currency.as_str()
            ),
        });
    }
    let today = Utc::now().date_naive();
    let quote = deposit::interest_payout(&account, today)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a deposit with terms has no payout")))?;
    Ok(Json(DepositPayoutCalculation {
        account: account.number.to_string(),
        currency_code: currency.as_str().to_owned(),
        calculation_date: today.to_string(),
        interest_days: quote.days,
        interest: quote.interest.amount().to_string(),
        tax: quote.tax.amount().to_string(),
        net_amount: quote.net.amount().to_string(),
    }))
}
