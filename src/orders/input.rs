//! The POST bodies of the six order resources and their validation into an
//! [`OrderRequest`]. Every field is text so that validation, not serde, names a bad value,
//! and every fault of a body is reported in one 400. Each field's schema (from
//! [`super::schema`]) says what that validation accepts, and the fields it insists on are
//! required and not nullable.

use serde::Deserialize;
use utoipa::ToSchema;

use super::schema::{BlockadeReason, ReplacementReason, TerminationReason};
use crate::domain::CustomerNumber;
use crate::domain::classification::literal_of;
use crate::domain::identifier::{ArrangementNumber, CardId};
use crate::domain::kinds::{
    AdditionalCardIssuance, CardActivation, CardBlockade, CardDeblockade, CardReplacement,
    CardTermination,
};
use crate::domain::order::OrderRequest;
use crate::http::validation::text;
use crate::http::{ApiError, ErrorLiteral, Errors, FieldError};

/// Longest `description`.
pub(super) const DESCRIPTION_MAX: usize = 500;
/// Longest name printed on a card: the embossing line of the plastic.
pub(super) const EMBOSSEMENT_MAX: usize = 26;
/// Longest card id or arrangement number accepted.
pub(super) use crate::domain::identifier::MAX_LEN as IDENTIFIER_MAX;

/// A checked request and its free-text description, ready to become an order.
pub(super) struct Validated {
    /// What is asked.
    pub request: OrderRequest,
    /// The customer's own words.
    pub description: Option<String>,
}

/// A body that can be checked into an order request.
pub(super) trait OrderBody {
    /// Checks every field, reporting all faults at once.
    fn validate(&self) -> Result<Validated, ApiError>;
}

/// `POST /additional-card-issuances`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewAdditionalCardIssuance {
    /// Required: who will carry the card; not the arrangement's owner.
    #[schema(value_type = String, pattern = "^[A-Z0-9]{1,20}$", example = "1400054")]
    authorized_customer_number: Option<String>,
    /// Required: the arrangement the card draws on; the caller must own it.
    #[schema(value_type = String, pattern = "^[A-Za-z0-9-]{1,34}$", example = "0064200001930")]
    arrangement_number: Option<String>,
    /// Free text, up to 500 characters.
    #[schema(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$")]
    description: Option<String>,
}

/// `POST /card-activations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewCardActivation {
    /// Required: an `inactive` card of the caller's.
    #[schema(value_type = String, pattern = "^[A-Za-z0-9-]{1,34}$", example = "C0000000202")]
    card_id: Option<String>,
    /// Free text, up to 500 characters.
    #[schema(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$")]
    description: Option<String>,
}

/// `POST /card-blockades`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewCardBlockade {
    /// Required: an `active` or `inactive` card of the caller's.
    #[schema(value_type = String, pattern = "^[A-Za-z0-9-]{1,34}$", example = "C0000000201")]
    card_id: Option<String>,
    /// Required: a literal of the `card-blockade-reason` classification.
    #[schema(value_type = BlockadeReason, inline)]
    blockade_reason: Option<String>,
    /// Free text, up to 500 characters.
    #[schema(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$")]
    description: Option<String>,
}

/// `POST /card-deblockades`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewCardDeblockade {
    /// Required: a `suspended` card of the caller's, not blocked as lost or stolen.
    #[schema(value_type = String, pattern = "^[A-Za-z0-9-]{1,34}$", example = "C0000000203")]
    card_id: Option<String>,
    /// Free text, up to 500 characters.
    #[schema(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$")]
    description: Option<String>,
}

/// `POST /card-terminations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewCardTermination {
    /// Required: a card of the caller's that is not yet `terminated`.
    #[schema(value_type = String, pattern = "^[A-Za-z0-9-]{1,34}$", example = "C0000000206")]
    card_id: Option<String>,
    /// A literal of the `card-termination-reason` classification.
    #[schema(value_type = Option<TerminationReason>, inline)]
    termination_reason: Option<String>,
    /// Free text, up to 500 characters.
    #[schema(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$")]
    description: Option<String>,
}

/// `POST /card-replacements`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NewCardReplacement {
    /// Required: a card of the caller's that is neither `terminated` nor already replaced.
    #[schema(value_type = String, pattern = "^[A-Za-z0-9-]{1,34}$", example = "C0000000201")]
    card_id: Option<String>,
    /// Required: a literal of the `card-replacement-reason` classification. For
    /// `card-losses` and `stolen-card` the old card is terminated at once.
    #[schema(value_type = ReplacementReason, inline)]
    replacement_reason: Option<String>,
    /// The name to print on the new card, up to 26 characters (the guide's spelling).
    #[serde(rename = "embossement-line-1")]
    #[schema(value_type = Option<String>, max_length = 26, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$", example = "MARKO JOVANOVIC")]
    embossement_line_1: Option<String>,
    /// The API family's reference spelling of `embossement-line-1`; send one or the other.
    #[serde(rename = "embossment-line-1")]
    #[schema(value_type = Option<String>, max_length = 26, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$", deprecated)]
    embossment_line_1: Option<String>,
    /// Free text, up to 500 characters.
    #[schema(value_type = Option<String>, max_length = 500, pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$")]
    description: Option<String>,
}

/// A required card id.
fn required_card(errors: &mut Errors, raw: Option<&str>) -> Option<CardId> {
    let tag = "card-id";
    errors.require(tag, raw.map(|raw| CardId::parse(tag, raw)))
}

/// The optional `description`, kept exactly as sent.
pub(super) fn description(errors: &mut Errors, raw: Option<&str>) -> Option<String> {
    raw.and_then(|raw| errors.check(text("description", raw, DESCRIPTION_MAX)))
}

/// A reason that must be a literal of `schema_id`.
pub(super) fn reason(
    errors: &mut Errors,
    schema_id: &str,
    tag: &str,
    raw: Option<&str>,
) -> Option<String> {
    raw.and_then(|raw| errors.check(literal_of(schema_id, tag, raw)))
}

/// Turns the collected faults into the 400, or hands out the request.
pub(super) fn finish(
    errors: Errors,
    request: Option<OrderRequest>,
    description: Option<String>,
) -> Result<Validated, ApiError> {
    errors.finish()?;
    let request = request.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("required fields missing after validation"))
    })?;
    Ok(Validated {
        request,
        description,
    })
}

impl OrderBody for NewAdditionalCardIssuance {
    fn validate(&self) -> Result<Validated, ApiError> {
        let mut errors = Errors::new();
        let tag = "authorized-customer-number";
        let authorized = errors.require(
            tag,
            self.authorized_customer_number
                .as_deref()
                .map(|raw| CustomerNumber::parse(tag, raw)),
        );
        let tag = "arrangement-number";
        let arrangement = errors.require(
            tag,
            self.arrangement_number
                .as_deref()
                .map(|raw| ArrangementNumber::parse(tag, raw)),
        );
        let description = description(&mut errors, self.description.as_deref());
        let request =
            authorized
                .zip(arrangement)
                .map(|(authorized_customer, arrangement_number)| {
                    OrderRequest::AdditionalCardIssuance(AdditionalCardIssuance {
                        authorized_customer,
                        arrangement_number,
                    })
                });
        finish(errors, request, description)
    }
}

impl OrderBody for NewCardActivation {
    fn validate(&self) -> Result<Validated, ApiError> {
        let mut errors = Errors::new();
        let card = required_card(&mut errors, self.card_id.as_deref());
        let description = description(&mut errors, self.description.as_deref());
        let request = card.map(|card_id| OrderRequest::CardActivation(CardActivation { card_id }));
        finish(errors, request, description)
    }
}

impl OrderBody for NewCardBlockade {
    fn validate(&self) -> Result<Validated, ApiError> {
        let mut errors = Errors::new();
        let card = required_card(&mut errors, self.card_id.as_deref());
        let tag = "blockade-reason";
        if self.blockade_reason.is_none() {
            errors.required(tag);
        }
        let reason = reason(
            &mut errors,
            "card-blockade-reason",
            tag,
            self.blockade_reason.as_deref(),
        );
        let description = description(&mut errors, self.description.as_deref());
        let request = card
            .zip(reason)
            .map(|(card_id, reason)| OrderRequest::CardBlockade(CardBlockade { card_id, reason }));
        finish(errors, request, description)
    }
}

impl OrderBody for NewCardDeblockade {
    fn validate(&self) -> Result<Validated, ApiError> {
        let mut errors = Errors::new();
        let card = required_card(&mut errors, self.card_id.as_deref());
        let description = description(&mut errors, self.description.as_deref());
        let request = card.map(|card_id| OrderRequest::CardDeblockade(CardDeblockade { card_id }));
        finish(errors, request, description)
    }
}

impl OrderBody for NewCardTermination {
    fn validate(&self) -> Result<Validated, ApiError> {
        let mut errors = Errors::new();
        let card = required_card(&mut errors, self.card_id.as_deref());
        let reason = reason(
            &mut errors,
            "card-termination-reason",
            "termination-reason",
            self.termination_reason.as_deref(),
        );
        let description = description(&mut errors, self.description.as_deref());
        let request =
            card.map(|card_id| OrderRequest::CardTermination(CardTermination { card_id, reason }));
        finish(errors, request, description)
    }
}

impl OrderBody for NewCardReplacement {
    fn validate(&self) -> Result<Validated, ApiError> {
        let mut errors = Errors::new();
        let card = required_card(&mut errors, self.card_id.as_deref());
        let tag = "replacement-reason";
        if self.replacement_reason.is_none() {
            errors.required(tag);
        }
        let reason = reason(
            &mut errors,
            "card-replacement-reason",
            tag,
            self.replacement_reason.as_deref(),
        );
        let (tag, line) = match (&self.embossement_line_1, &self.embossment_line_1) {
            (Some(_), Some(_)) => {
                errors.push(FieldError::new(
                    "embossment-line-1",
                    ErrorLiteral::InvalidFormat,
                    "send embossement-line-1 or its spelling embossment-line-1, not both",
                ));
                ("embossement-line-1", None)
            }
            (None, Some(line)) => ("embossment-line-1", Some(line)),
            (line, None) => ("embossement-line-1", line.as_ref()),
        };
        let embossement_line = line
            .map(String::as_str)
            .filter(|raw| !raw.trim().is_empty())
            .and_then(|raw| errors.check(text(tag, raw, EMBOSSEMENT_MAX)));
        let description = description(&mut errors, self.description.as_deref());
        let request = card.zip(reason).map(|(card_id, reason)| {
            OrderRequest::CardReplacement(CardReplacement {
                card_id,
                reason,
                embossement_line,
            })
        });
        finish(errors, request, description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ErrorLiteral;

    fn errors_of(result: Result<Validated, ApiError>) -> Vec<(String, ErrorLiteral)> {
        match result {
            Err(ApiError::Validation(errors)) => {
                errors.into_iter().map(|e| (e.tag, e.error)).collect()
            }
            Err(other) => panic!("expected a validation error, got {other:?}"),
            Ok(_) => panic!("expected a validation error, got a request"),
        }
    }

    #[test]
    fn every_fault_of_a_body_is_named() {
        let body = NewCardReplacement {
            card_id: None,
            replacement_reason: Some("lost".into()),
            embossement_line_1: Some("A".repeat(27)),
            embossment_line_1: None,
            description: Some("x".repeat(501)),
        };
        assert_eq!(
            errors_of(body.validate()),
            [
                ("card-id".into(), ErrorLiteral::Required),
                ("replacement-reason".into(), ErrorLiteral::NotOnList),
                ("embossement-line-1".into(), ErrorLiteral::MaxLength),
                ("description".into(), ErrorLiteral::MaxLength),
            ]
        );
    }

    #[test]
    fn reasons_are_canonical_literals() {
        let body = NewCardBlockade {
            card_id: Some(" C0000000201 ".into()),
            blockade_reason: Some("Temporary-Blockage".into()),
            description: None,
        };
        let validated = body.validate().map_err(|e| e.to_string());
        let Ok(Validated { request, .. }) = validated else {
            panic!(
                "a valid blockade was refused: {validated:?}",
                validated = validated.err()
            );
        };
        assert_eq!(
            request,
            OrderRequest::CardBlockade(CardBlockade {
                card_id: CardId::parse("card-id", "C0000000201").expect("a card id"),
                reason: "temporary-blockage".into()
            })
        );
    }
}
