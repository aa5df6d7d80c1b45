//! The POST bodies of the account orders (API.md section 9) and their validation into an
//! [`OrderRequest`], with the conventions of the card bodies in [`super::input`]: text
//! fields checked by validation so that every fault is named in one 400.

use serde::Deserialize;
use utoipa::ToSchema;

use super::input::{OrderBody, Validated, description, finish, reason};
use super::schema::{AccountTerminationReason, RedemptionReason};
use crate::domain::account::ArrangementKind;
use crate::domain::identifier::ArrangementNumber;
use crate::domain::kinds::{AccountTermination, EarlyRedemption, Settlement};
use crate::domain::order::OrderRequest;
use crate::http::validation::text;
use crate::http::{ApiError, ErrorLiteral, Errors, FieldError};

/// Longest `additional-info`.
const ADDITIONAL_INFO_MAX: usize = 500;

/// The body of an account termination, declared once per resource so that each
/// document says what its own validation insists on: a current account's termination
/// requires `cash-payout` and `termination-reason`, a bundled account's does not.
macro_rules! termination_body {
    ($(#[$doc:meta])* $name:ident, $payout:ty, $reason:ty) => {
        $(#[$doc])*
        #[derive(Debug, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields, rename_all = "kebab-case")]
        pub struct $name {
            /// Required: an active account of the caller's, of the resource's kind, with
            /// no card and nothing linked to it.
            #[schema(value_type = String, pattern = "^[A-Za-z0-9-]{1,34}$", example = "0064200002022")]
            account_number: Option<String>,
            /// Whether the balance is paid out in cash instead of to a settlement account.
            #[schema(value_type = $payout, example = false)]
            cash_payout: Option<bool>,
            /// A literal of the `account-termination-reason` classification.
            #[schema(value_type = $reason, inline)]
            termination_reason: Option<String>,
            /// Another account of the caller's that takes a balance in its currency.
            #[schema(value_type = Option<String>, pattern = "^[A-Za-z0-9-]{1,34}$", example = "0064200002014")]
            domestic_currency_settlement_account_number: Option<String>,
            /// Another account of the caller's that takes a balance in a foreign currency.
            #[schema(value_type = Option<String>, pattern = "^[A-Za-z0-9-]{1,34}$")]
            foreign_currency_settlement_account_number: Option<String>,
            /// Whether a foreign balance should be converted; bankapi converts nothing
            /// itself, so a balance with no settlement account in its currency is refused.
            convert_to_domestic_currency: Option<bool>,
            /// The BIC of a settlement account's bank: 8 or 11 characters.
            #[schema(value_type = Option<String>, pattern = "^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$", example = "AIKBRS22")]
            swift_code: Option<String>,
            /// Free text, up to 500 characters.
            #[schema(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$")]
            description: Option<String>,
        }

        impl $name {
            /// The fields as the shared validation reads them.
            fn draft(&self) -> TerminationDraft<'_> {
                TerminationDraft {
                    account_number: self.account_number.as_deref(),
                    cash_payout: self.cash_payout,
                    termination_reason: self.termination_reason.as_deref(),
                    domestic: self.domestic_currency_settlement_account_number.as_deref(),
                    foreign: self.foreign_currency_settlement_account_number.as_deref(),
                    convert: self.convert_to_domestic_currency,
                    swift_code: self.swift_code.as_deref(),
                    description: self.description.as_deref(),
                }
            }
        }
    };
}

termination_body!(
    /// `POST /current-account-terminations`.
    NewCurrentAccountTermination,
    bool,
    AccountTerminationReason
);
termination_body!(
    /// `POST /bundled-account-terminations`.
    NewBundledAccountTermination,
    Option<bool>,
    Option<AccountTerminationReason>
);

/// An account termination's fields as sent, whichever resource took them.
struct TerminationDraft<'a> {
    account_number: Option<&'a str>,
    cash_payout: Option<bool>,
    termination_reason: Option<&'a str>,
    domestic: Option<&'a str>,
    foreign: Option<&'a str>,
    convert: Option<bool>,
    swift_code: Option<&'a str>,
    description: Option<&'a str>,
}

/// `POST /credit-facility-terminations` and `POST /loan-terminations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewEarlyRedemption {
    /// Required: an active credit facility or loan of the caller's.
    #[schema(value_type = String, pattern = "^[A-Za-z0-9-]{1,34}$", example = "0064200002063")]
    account_number: Option<String>,
    /// A literal of the `redemption-reason` classification.
    #[schema(value_type = Option<RedemptionReason>, inline)]
    redemption_reason: Option<String>,
    /// The customer's words for the bank, up to 500 characters.
    #[schema(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$")]
    additional_info: Option<String>,
    /// Free text, up to 500 characters.
    #[schema(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$")]
    description: Option<String>,
}

/// A required account number.
pub(super) fn required_account(
    errors: &mut Errors,
    raw: Option<&str>,
) -> Option<ArrangementNumber> {
    let tag = "account-number";
    errors.require(tag, raw.map(|raw| ArrangementNumber::parse(tag, raw)))
}

/// An optional account number.
fn optional_account(
    errors: &mut Errors,
    tag: &str,
    raw: Option<&str>,
) -> Option<ArrangementNumber> {
    raw.and_then(|raw| errors.check(ArrangementNumber::parse(tag, raw)))
}

/// A BIC (ISO 9362): bank code, country, location and an optional branch. Checked by
/// hand: the shape is four fixed character classes, not worth a crate.
fn swift_code(raw: &str) -> Result<String, FieldError> {
    let code = raw.trim();
    let bytes = code.as_bytes();
    let valid = matches!(bytes.len(), 8 | 11)
        && bytes[..6].iter().all(u8::is_ascii_uppercase)
        && bytes[6..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if valid {
        Ok(code.to_owned())
    } else {
        Err(FieldError::new(
            "swift-code",
            ErrorLiteral::InvalidFormat,
            format!("swift-code must be a BIC of 8 or 11 capital letters and digits, got {raw:?}"),
        ))
    }
}

impl TerminationDraft<'_> {
    /// Checks the body for a termination of `kind`; a current account's insists on the
    /// payout choice and the reason.
    fn validate_for(&self, kind: ArrangementKind) -> Result<Validated, ApiError> {
        let mut errors = Errors::new();
        let account = required_account(&mut errors, self.account_number);
        let strict = kind == ArrangementKind::CurrentAccount;
        if strict && self.cash_payout.is_none() {
            errors.required("cash-payout");
        }
        let tag = "termination-reason";
        if strict && self.termination_reason.is_none() {
            errors.required(tag);
        }
        let reason = reason(
            &mut errors,
            "account-termination-reason",
            tag,
            self.termination_reason,
        );
        let settlement = Settlement {
            cash_payout: self.cash_payout.unwrap_or(false),
            domestic_account: optional_account(
                &mut errors,
                "domestic-currency-settlement-account-number",
                self.domestic,
            ),
            foreign_account: optional_account(
                &mut errors,
                "foreign-currency-settlement-account-number",
                self.foreign,
            ),
            convert_to_domestic_currency: self.convert.unwrap_or(false),
            swift_code: self
                .swift_code
                .and_then(|raw| errors.check(swift_code(raw))),
        };
        let description = description(&mut errors, self.description);
        let request = account.map(|account_number| {
            let termination = AccountTermination {
                account_number,
                account_kind: kind,
                reason,
                settlement,
            };
            match kind {
                ArrangementKind::BundledAccount => {
                    OrderRequest::BundledAccountTermination(termination)
                }
                _ => OrderRequest::CurrentAccountTermination(termination),
            }
        });
        finish(errors, request, description)
    }
}

impl NewEarlyRedemption {
    /// Checks the body for a redemption of `kind` (a credit facility or a loan).
    fn validate_for(&self, kind: ArrangementKind) -> Result<Validated, ApiError> {
        let mut errors = Errors::new();
        let account = required_account(&mut errors, self.account_number.as_deref());
        let reason = reason(
            &mut errors,
            "redemption-reason",
            "redemption-reason",
            self.redemption_reason.as_deref(),
        );
        let additional_info = self
            .additional_info
            .as_deref()
            .and_then(|raw| errors.check(text("additional-info", raw, ADDITIONAL_INFO_MAX)));
        let description = description(&mut errors, self.description.as_deref());
        let request = account.map(|account_number| {
            let redemption = EarlyRedemption {
                account_number,
                account_kind: kind,
                reason,
                additional_info,
            };
            match kind {
                ArrangementKind::Loan => OrderRequest::LoanTermination(redemption),
                _ => OrderRequest::CreditFacilityTermination(redemption),
            }
        });
        finish(errors, request, description)
    }
}

impl OrderBody for NewCurrentAccountTermination {
    fn validate(&self) -> Result<Validated, ApiError> {
        self.draft().validate_for(ArrangementKind::CurrentAccount)
    }
}

impl OrderBody for NewBundledAccountTermination {
    fn validate(&self) -> Result<Validated, ApiError> {
        self.draft().validate_for(ArrangementKind::BundledAccount)
    }
}

/// `POST /credit-facility-terminations`: the shared body of an early redemption.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct NewCreditFacilityTermination(pub NewEarlyRedemption);

impl OrderBody for NewCreditFacilityTermination {
    fn validate(&self) -> Result<Validated, ApiError> {
        self.0.validate_for(ArrangementKind::CreditFacility)
    }
}

/// `POST /loan-terminations`: the shared body of an early redemption.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct NewLoanTermination(pub NewEarlyRedemption);

impl OrderBody for NewLoanTermination {
    fn validate(&self) -> Result<Validated, ApiError> {
        self.0.validate_for(ArrangementKind::Loan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bics_have_eight_or_eleven_characters() {
        for good in ["AIKBRS22", "AIKBRS22XXX", "DEUTDEFF500"] {
            assert!(swift_code(good).is_ok(), "{good}");
        }
        for bad in ["AIKBRS2", "aikbrs22", "AIKB1S22", "AIKBRS22XX", ""] {
            assert!(swift_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_current_account_termination_insists_on_payout_and_reason() {
        let body = TerminationDraft {
            account_number: None,
            cash_payout: None,
            termination_reason: Some("bored"),
            domestic: Some("!"),
            foreign: None,
            convert: None,
            swift_code: Some("X"),
            description: None,
        };
        let Err(ApiError::Validation(errors)) = body.validate_for(ArrangementKind::CurrentAccount)
        else {
            panic!("expected a validation error");
        };
        let tags: Vec<_> = errors.iter().map(|e| (e.tag.as_str(), e.error)).collect();
        assert_eq!(
            tags,
            [
                ("account-number", ErrorLiteral::Required),
                ("cash-payout", ErrorLiteral::Required),
                ("termination-reason", ErrorLiteral::NotOnList),
                (
                    "domestic-currency-settlement-account-number",
                    ErrorLiteral::InvalidFormat
                ),
                ("swift-code", ErrorLiteral::InvalidFormat),
            ]
        );
    }
}
