//! The body of `POST /standing-orders` (API.md section 9) and its validation into a
//! [`StandingOrderSetup`]: every fault named in one 400, nested fields tagged with their
//! path (`transfer-details.amount.currency-code`).

use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

use super::input::{OrderBody, Validated, description, finish};
use super::schema::{AmountValue, StandingOrderProduct, UnitOfTimeLiteral};
use crate::domain::account::{CurrencyCode, Money};
use crate::domain::identifier::ArrangementNumber;
use crate::domain::kinds::StandingOrderSetup;
use crate::domain::order::OrderRequest;
use crate::domain::standing_order::{Frequency, PRODUCTS, Terms, UnitOfTime};
use crate::http::validation::{self, text};
use crate::http::{ApiError, ErrorLiteral, Errors, FieldError};

/// Longest nickname.
pub const NICKNAME_MAX: usize = 50;
/// Longest creditor name (as SEPA allows).
pub const CREDITOR_NAME_MAX: usize = 70;
/// Longest reference (SEPA's unstructured remittance information).
pub const REFERENCE_MAX: usize = 140;

/// `POST /standing-orders`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewStandingOrder {
    /// Required: what the customer calls it, 1 to 50 characters.
    #[schema(value_type = String, min_length = 1, max_length = 50, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$", example = "Rent")]
    nickname: Option<String>,
    /// Required: one of the standing-order products of the `product-code` classification.
    #[schema(value_type = StandingOrderProduct, inline)]
    product_code: Option<String>,
    /// Required: who pays whom, and how much.
    #[schema(value_type = TransferDetails)]
    transfer_details: Option<TransferDetails>,
    /// Required: the first day it is in force (`YYYY-MM-DD`), today or later.
    #[schema(value_type = String, format = Date, example = "2027-01-01")]
    start_date: Option<String>,
    /// Required: the last day it may pay on, not before `start-date`.
    #[schema(value_type = String, format = Date, example = "2027-12-31")]
    end_date: Option<String>,
    /// How often it pays; monthly unless given.
    frequency: Option<FrequencyBody>,
    /// The first date it pays on, between `start-date` and `end-date`; `start-date`
    /// unless given. Later dates are counted from it.
    #[schema(value_type = Option<String>, format = Date, example = "2027-01-01")]
    first_payment_date: Option<String>,
    /// Free text, up to 500 characters.
    #[schema(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$")]
    description: Option<String>,
}

/// A standing order's `transfer-details`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TransferDetails {
    /// Required: the caller's active current or bundled account the money leaves.
    #[schema(value_type = String, pattern = "^[A-Za-z0-9-]{1,34}$", example = "0064200002014")]
    debtor_account_number: Option<String>,
    /// Required: who receives it, 1 to 70 characters.
    #[schema(value_type = String, min_length = 1, max_length = 70, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$", example = "Marko Jovanovic")]
    creditor_name: Option<String>,
    /// Required: the account it goes to (an account number or an IBAN): at this bank it
    /// is credited too; elsewhere only with `standing-order-domestic`.
    #[schema(value_type = String, pattern = "^[A-Za-z0-9-]{1,34}$", example = "0064200002030")]
    creditor_account_number: Option<String>,
    /// Required: each payment, in the debtor account's currency.
    #[schema(value_type = AmountBody)]
    amount: Option<AmountBody>,
    /// Shown to the creditor, up to 140 characters.
    #[schema(value_type = Option<String>, max_length = 140, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$", example = "Rent, flat 4")]
    reference: Option<String>,
}

/// An amount in a currency.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AmountBody {
    /// Required: an ISO 4217 code.
    #[schema(value_type = String, pattern = "^[A-Z]{3}$", example = "RSD")]
    currency_code: Option<String>,
    /// Required: above zero, with no more digits after the point than the currency has.
    #[schema(value_type = AmountValue, inline)]
    amount: Option<serde_json::Value>,
}

/// A standing order's `frequency`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FrequencyBody {
    /// How many units between payments, 1 to 366; 1 unless given.
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 366, example = 1)]
    period: Option<serde_json::Value>,
    /// A `unit-of-time` literal; `months` unless given.
    #[schema(value_type = Option<UnitOfTimeLiteral>, inline)]
    unit_of_time: Option<String>,
}

/// A required text of 1 to `max` characters, not only white space
/// ([`validation::required_text`]), recorded in `errors`.
fn required_text(errors: &mut Errors, tag: &str, raw: Option<&str>, max: usize) -> Option<String> {
    errors.require(tag, raw.map(|raw| validation::required_text(tag, raw, max)))
}

/// A date written `YYYY-MM-DD`.
fn date(tag: &str, raw: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        FieldError::new(
            tag,
            ErrorLiteral::InvalidFormat,
            format!("{tag} must be a date written YYYY-MM-DD, got {raw:?}"),
        )
    })
}

/// The amount, a JSON string or number, read exactly in `currency`.
fn amount(tag: &str, currency: CurrencyCode, raw: &serde_json::Value) -> Result<Money, FieldError> {
    let text = match raw {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        other => {
            return Err(FieldError::new(
                tag,
                ErrorLiteral::InvalidFormat,
                format!("{tag} must be a decimal string or a number, got {other}"),
            ));
        }
    };
    Money::parse(tag, currency, &text)
}

/// The frequency, monthly unless given.
fn frequency(errors: &mut Errors, body: Option<&FrequencyBody>) -> Option<Frequency> {
    let Some(body) = body else {
        return Some(Frequency::MONTHLY);
    };
    let tag = "frequency.period";
    let period = match &body.period {
        None => Some(1),
        Some(raw) => errors.check(
            raw.as_u64()
                .and_then(|p| u32::try_from(p).ok())
                .filter(|p| (1..=Frequency::MAX_PERIOD).contains(p))
                .ok_or_else(|| {
                    FieldError::new(
                        tag,
                        ErrorLiteral::OutOfRange,
                        format!("{tag} must be a whole number from 1 to 366, got {raw}"),
                    )
                }),
        ),
    };
    let tag = "frequency.unit-of-time";
    let unit = match body.unit_of_time.as_deref() {
        None => Some(UnitOfTime::Months),
        Some(raw) => errors.check(UnitOfTime::parse(tag, raw)),
    };
    period
        .zip(unit)
        .map(|(period, unit)| Frequency { period, unit })
}

impl OrderBody for NewStandingOrder {
    fn validate(&self) -> Result<Validated, ApiError> {
        let mut errors = Errors::new();
        let nickname = required_text(
            &mut errors,
            "nickname",
            self.nickname.as_deref(),
            NICKNAME_MAX,
        );
        let tag = "product-code";
        let product_code = errors.require(
            tag,
            self.product_code.as_deref().map(|raw| {
                PRODUCTS
                    .iter()
                    .find(|(code, _)| *code == raw.trim())
                    .map(|(code, _)| (*code).to_owned())
                    .ok_or_else(|| {
                        FieldError::new(
                            tag,
                            ErrorLiteral::NotOnList,
                            format!(
                                "{tag} must be a standing-order product ({}), got {raw:?}",
                                PRODUCTS.map(|(code, _)| code).join(", ")
                            ),
                        )
                    })
            }),
        );
        let transfer = self.transfer_details.as_ref();
        if transfer.is_none() {
            errors.required("transfer-details");
        }
        let tag = "transfer-details.debtor-account-number";
        let debtor = transfer.and_then(|t| {
            errors.require(
                tag,
                t.debtor_account_number
                    .as_deref()
                    .map(|raw| ArrangementNumber::parse(tag, raw)),
            )
        });
        let creditor_name = transfer.and_then(|t| {
            required_text(
                &mut errors,
                "transfer-details.creditor-name",
                t.creditor_name.as_deref(),
                CREDITOR_NAME_MAX,
            )
        });
        let tag = "transfer-details.creditor-account-number";
        let creditor_account = transfer.and_then(|t| {
            errors.require(
                tag,
                t.creditor_account_number
                    .as_deref()
                    .map(|raw| ArrangementNumber::parse(tag, raw)),
            )
        });
        let reference = transfer
            .and_then(|t| t.reference.as_deref())
            .and_then(|raw| errors.check(text("transfer-details.reference", raw, REFERENCE_MAX)));
        let money = transfer.and_then(|t| {
            let Some(body) = t.amount.as_ref() else {
                errors.required("transfer-details.amount");
                return None;
            };
            let tag = "transfer-details.amount.currency-code";
            let currency = errors.require(
                tag,
                body.currency_code
                    .as_deref()
                    .map(|raw| CurrencyCode::parse(tag, raw.trim())),
            );
            let tag = "transfer-details.amount.amount";
            match (currency, body.amount.as_ref()) {
                (Some(currency), Some(raw)) => errors.check(amount(tag, currency, raw)),
                (_, None) => {
                    errors.required(tag);
                    None
                }
                (None, Some(_)) => None,
            }
        });
        let dates = [
            ("start-date", self.start_date.as_deref(), true),
            ("end-date", self.end_date.as_deref(), true),
            (
                "first-payment-date",
                self.first_payment_date.as_deref(),
                false,
            ),
        ]
        .map(|(tag, raw, needed)| match raw {
            Some(raw) => errors.check(date(tag, raw)),
            None => {
                if needed {
                    errors.required(tag);
                }
                None
            }
        });
        let [start_date, end_date, first_payment_date] = dates;
        let frequency = frequency(&mut errors, self.frequency.as_ref());
        let description = description(&mut errors, self.description.as_deref());
        let terms = (|| {
            let start_date = start_date?;
            Some(Terms {
                product_code: product_code?,
                debtor: debtor?,
                creditor_name: creditor_name?,
                creditor_account: creditor_account?,
                amount: money?,
                reference,
                start_date,
                end_date: end_date?,
                frequency: frequency?,
                first_payment_date: first_payment_date.unwrap_or(start_date),
            })
        })();
        if let Some(terms) = &terms {
            for error in terms.validate(Utc::now().date_naive()) {
                errors.push(error);
            }
        }
        let request = terms.zip(nickname).map(|(terms, nickname)| {
            OrderRequest::StandingOrder(StandingOrderSetup { nickname, terms })
        });
        finish(errors, request, description)
    }
}
