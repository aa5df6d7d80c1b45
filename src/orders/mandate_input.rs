//! The POST bodies of the mandate orders (API.md section 9) and their validation into an
//! [`OrderRequest`], with the conventions of [`super::input`].

use std::collections::HashSet;

use serde::Deserialize;
use utoipa::ToSchema;

use super::input::{OrderBody, Validated, description, finish};
use crate::domain::CustomerNumber;
use crate::domain::identifier::{ArrangementNumber, MandateNumber};
use crate::domain::kinds::{MandateAssignment, MandateGrant, MandateRevocation};
use crate::domain::order::OrderRequest;
use crate::http::validation::text;
use crate::http::{ApiError, ErrorLiteral, Errors, FieldError};

/// Longest nickname of a mandate.
const NICKNAME_MAX: usize = 100;
/// Most mandates one assignment grants.
const MAX_ITEMS: usize = crate::domain::kinds::MAX_GRANTS;

/// One mandate of an assignment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewMandateItem {
    /// Required: an active account of the initiator's.
    #[schema(value_type = String, pattern = "^[A-Za-z0-9-]{1,34}$", example = "0064200002022")]
    arrangement_number: Option<String>,
    /// What the holder will call it, up to 100 characters.
    #[schema(value_type = Option<String>, max_length = 100, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$", example = "Holiday account")]
    nickname: Option<String>,
    /// Required: who may act on the account; not the initiator.
    #[schema(value_type = String, pattern = "^[A-Z0-9]{1,20}$", example = "1400054")]
    customer_number: Option<String>,
}

/// `POST /mandate-assignments`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewMandateAssignment {
    /// Required: who grants the mandates: the caller, the owner of every account listed.
    #[schema(value_type = String, pattern = "^[A-Z0-9]{1,20}$", example = "1400269")]
    initiator_customer_number: Option<String>,
    /// Required: the mandates, 1 to 20, no two for the same account and customer.
    #[schema(value_type = Vec<NewMandateItem>, min_items = 1, max_items = 20)]
    items: Option<Vec<NewMandateItem>>,
    /// Free text, up to 500 characters.
    #[schema(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$")]
    description: Option<String>,
}

/// `POST /mandate-revocations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewMandateRevocation {
    /// Required: an active mandate the caller gave or holds.
    #[schema(value_type = String, pattern = "^[A-Za-z0-9-]{1,34}$", example = "M0000000301")]
    mandate_number: Option<String>,
    /// Free text, up to 500 characters.
    #[schema(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$")]
    description: Option<String>,
}

impl NewMandateItem {
    /// The item at `index`, its faults tagged `items[index].field`.
    fn grant(&self, index: usize, errors: &mut Errors) -> Option<MandateGrant> {
        let tag = |field: &str| format!("items[{index}].{field}");
        let arrangement = errors.require(
            &tag("arrangement-number"),
            self.arrangement_number
                .as_deref()
                .map(|raw| ArrangementNumber::parse(&tag("arrangement-number"), raw)),
        );
        let customer = errors.require(
            &tag("customer-number"),
            self.customer_number
                .as_deref()
                .map(|raw| CustomerNumber::parse(&tag("customer-number"), raw)),
        );
        let nickname = self
            .nickname
            .as_deref()
            .filter(|raw| !raw.trim().is_empty())
            .and_then(|raw| errors.check(text(&tag("nickname"), raw, NICKNAME_MAX)));
        Some(MandateGrant {
            arrangement_number: arrangement?,
            nickname,
            customer_number: customer?,
        })
    }
}

impl OrderBody for NewMandateAssignment {
    fn validate(&self) -> Result<Validated, ApiError> {
        let mut errors = Errors::new();
        let tag = "initiator-customer-number";
        let initiator = errors.require(
            tag,
            self.initiator_customer_number
                .as_deref()
                .map(|raw| CustomerNumber::parse(tag, raw)),
        );
        let mut grants = Vec::new();
        match self.items.as_deref() {
            None => errors.required("items"),
            Some([]) => errors.push(FieldError::new(
                "items",
                ErrorLiteral::MinLength,
                "items must list at least one mandate",
            )),
            Some(items) if items.len() > MAX_ITEMS => errors.push(FieldError::new(
                "items",
                ErrorLiteral::MaxLength,
                format!(
                    "items lists at most {MAX_ITEMS} mandates, got {}",
                    items.len()
                ),
            )),
            Some(items) => {
                let mut seen = HashSet::new();
                for (index, item) in items.iter().enumerate() {
                    let Some(grant) = item.grant(index, &mut errors) else {
                        continue;
                    };
                    let pair = (
                        grant.arrangement_number.clone(),
                        grant.customer_number.clone(),
                    );
                    if !seen.insert(pair) {
                        errors.push(FieldError::new(
                            format!("items[{index}]"),
                            ErrorLiteral::InvalidFormat,
                            format!(
                                "customer {} is listed twice for account {}",
                                grant.customer_number, grant.arrangement_number
                            ),
                        ));
                    }
                    grants.push(grant);
                }
            }
        }
        let description = description(&mut errors, self.description.as_deref());
        let request = initiator.map(|initiator| {
            OrderRequest::MandateAssignment(MandateAssignment { initiator, grants })
        });
        finish(errors, request, description)
    }
}

impl OrderBody for NewMandateRevocation {
    fn validate(&self) -> Result<Validated, ApiError> {
        let mut errors = Errors::new();
        let tag = "mandate-number";
        let number = errors.require(
            tag,
            self.mandate_number
                .as_deref()
                .map(|raw| MandateNumber::parse(tag, raw)),
        );
        let description = description(&mut errors, self.description.as_deref());
        let request = number.map(|mandate_number| {
            OrderRequest::MandateRevocation(MandateRevocation { mandate_number })
        });
        finish(errors, request, description)
    }
}
