//! The POST bodies of the orders that change an account or pay a deposit out without
//! closing a current account (API.md section 9): arrangement amendments, deposit
//! terminations and deposit payouts, with the conventions of [`super::input`].

use serde::Deserialize;
use utoipa::ToSchema;

use super::account_input::required_account;
use super::input::{OrderBody, Validated, description, finish, reason};
use super::schema::ProductCode;
use crate::domain::account::CurrencyCode;
use crate::domain::identifier::ArrangementNumber;
use crate::domain::kinds::{ArrangementAmendment, DepositPayout, DepositTermination};
use crate::domain::order::OrderRequest;
use crate::http::{ApiError, ErrorLiteral, Errors, FieldError};

/// `POST /arrangement-amendments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewArrangementAmendment {
    /// Required: an active account of the caller's (not a card account).
    #[schema(value_type = String, pattern = "^[A-Za-z0-9-]{1,34}$", example = "0064200002022")]
    arrangement_number: Option<String>,
    /// Required: a `product-code` literal of the account's own kind.
    #[schema(value_type = ProductCode, inline)]
    new_product_code: Option<String>,
    /// The campaign the customer answered: capital letters, digits and dashes.
    #[schema(value_type = Option<String>, pattern = "^[A-Z0-9-]{1,20}$", example = "SPRING-2026")]
    campaign_code: Option<String>,
    /// Free text, up to 500 characters.
    #[schema(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$")]
    description: Option<String>,
}

/// A campaign code: 1 to 20 capital letters, digits and dashes.
fn campaign_code(raw: &str) -> Result<String, FieldError> {
    let code = raw.trim();
    let valid = (1..=20).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(code.to_owned())
    } else {
        Err(FieldError::new(
            "campaign-code",
            ErrorLiteral::InvalidFormat,
            format!(
                "campaign-code must be 1 to 20 capital letters, digits and dashes, got {raw:?}"
            ),
        ))
    }
}

impl OrderBody for NewArrangementAmendment {
    fn validate(&self) -> Result<Validated, ApiError> {
        let mut errors = Errors::new();
        let tag = "arrangement-number";
        let account = errors.require(
            tag,
            self.arrangement_number
                .as_deref()
                .map(|raw| ArrangementNumber::parse(tag, raw)),
        );
        let tag = "new-product-code";
        if self.new_product_code.is_none() {
            errors.required(tag);
        }
        let product = reason(
            &mut errors,
            "product-code",
            tag,
            self.new_product_code.as_deref(),
        );
        let campaign = self
            .campaign_code
            .as_deref()
            .and_then(|raw| errors.check(campaign_code(raw)));
        let description = description(&mut errors, self.description.as_deref());
        let request = account
            .zip(product)
            .map(|(arrangement_number, new_product_code)| {
                OrderRequest::ArrangementAmendment(ArrangementAmendment {
                    arrangement_number,
                    new_product_code,
                    campaign_code: campaign,
                    previous_product_code: None,
                })
            });
        finish(errors, request, description)
    }
}

/// `POST /deposit-account-terminations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewDepositTermination {
    /// Required: an active deposit of the caller's with a linked current account.
    #[schema(value_type = String, pattern = "^[A-Za-z0-9-]{1,34}$", example = "0064200002048")]
    account_number: Option<String>,
    /// Free text, up to 500 characters.
    #[schema(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$")]
    description: Option<String>,
}

impl OrderBody for NewDepositTermination {
    fn validate(&self) -> Result<Validated, ApiError> {
        let mut errors = Errors::new();
        let account = required_account(&mut errors, self.account_number.as_deref());
        let description = description(&mut errors, self.description.as_deref());
        let request = account.map(|account_number| {
            OrderRequest::DepositAccountTermination(DepositTermination { account_number })
        });
        finish(errors, request, description)
    }
}

/// `POST /deposit-payouts`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewDepositPayout {
    /// Required: an active deposit of the caller's with a linked current account.
    #[schema(value_type = String, pattern = "^[A-Za-z0-9-]{1,34}$", example = "0064200002048")]
    account: Option<String>,
    /// Required: the ISO 4217 code of the currency to pay in: the deposit's own (bankapi
    /// converts nothing).
    #[schema(value_type = String, pattern = "^[A-Z]{3}$", example = "RSD")]
    currency: Option<String>,
    /// Free text, up to 500 characters.
    #[schema(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$")]
    description: Option<String>,
}

impl OrderBody for NewDepositPayout {
    fn validate(&self) -> Result<Validated, ApiError> {
        let mut errors = Errors::new();
        let tag = "account";
        let account = errors.require(
            tag,
            self.account
                .as_deref()
                .map(|raw| ArrangementNumber::parse(tag, raw)),
        );
        let tag = "currency";
        let currency = errors.require(
            tag,
            self.currency
                .as_deref()
                .map(|raw| CurrencyCode::parse(tag, raw.trim())),
        );
        let description = description(&mut errors, self.description.as_deref());
        let request = account.zip(currency).map(|(account_number, currency)| {
            OrderRequest::DepositPayout(DepositPayout {
                account_number,
                currency: currency.as_str().to_owned(),
            })
        });
        finish(errors, request, description)
    }
}
