//! The limits the documents promise on every string, integer and array (API.md section
//! 11), and the clipping that keeps the texts the service writes itself within them.
//!
//! A field of the same name is the same thing everywhere in both APIs (`card-id`,
//! `customer-number`, `creation-date`, ...), so the limits are kept here once, by name, and
//! taken from the rules that enforce them (the domain's identifier lengths, the paging
//! bounds, the XML ceiling), instead of being written as literals on each of the hundred
//! places a field appears. [`apply`] fills them into the finished documents wherever a
//! type did not state its own; a field whose limit depends on where it stands (the XML's
//! typed fields, a request's `workitem-id`) states it on its type, which wins.

use utoipa::openapi::path::Parameter;
use utoipa::openapi::schema::{ArrayItems, KnownFormat, Schema, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr};

use crate::domain::order::OrderNumber;
use crate::domain::page::{MAX_PAGE_NUMBER, MAX_PAGE_SIZE};
use crate::domain::xml::{MAX_KEY_VALUES, MAX_XML_BYTES};
use crate::domain::{customer, identifier};

/// The longest `BANKAPI_PUBLIC_URL` taken, so that every link fits [`MAX_LINK`].
pub const MAX_PUBLIC_URL: usize = 512;
/// The longest link or URI the service sends: the public base and the longest path with
/// its query, with room to spare.
pub const MAX_LINK: usize = 2048;
/// An RFC 3339 time as the service writes or reads it.
pub const MAX_TIME: usize = 40;
/// Literals: statuses, reasons, step names, codes, the `problem` of a refusal.
pub const MAX_LITERAL: usize = 64;
/// Names of people and lists, titles of problems.
pub const MAX_NAME: usize = 200;
/// Free text a client may give an order or an event.
pub const MAX_DESCRIPTION: usize = 500;
/// Why an order was rejected or held, and a step's last error.
pub const MAX_REASON: usize = 1000;
/// A problem's `detail` and `message`, and a field error's `message`.
pub const MAX_DETAIL: usize = 2000;
/// A field error's `tag` (a field or parameter name, which may be the client's own).
pub const MAX_TAG: usize = 256;
/// Field errors in one problem.
pub const MAX_ERRORS: usize = 100;
/// Steps of any order kind.
pub const MAX_STEPS: usize = 16;
/// Values of one classification, and classifications in one list.
pub const MAX_CLASSIFICATION_VALUES: usize = 100;
/// Attempts a delivery shows (the latest; redeliveries can add attempts without end).
pub const MAX_ATTEMPTS_SHOWN: usize = 50;
/// The characters of an embossed line.
pub const MAX_EMBOSSMENT: usize = 26;
/// The largest integer JSON carries exactly to every client (2^53 - 1).
const MAX_SAFE_INTEGER: usize = 9_007_199_254_740_991;

/// The longest text a field of this name carries.
fn text_limit(name: &str) -> Option<usize> {
    Some(match name {
        "card-id"
        | "result-card-id"
        | "replaces"
        | "replaced-by"
        | "arrangement-number"
        | "linked-arrangement-number"
        | "account-number"
        | "account"
        | "domestic-currency-settlement-account-number"
        | "foreign-currency-settlement-account-number"
        | "mandate-number"
        | "debtor-account-number"
        | "creditor-account-number" => identifier::MAX_LEN,
        // A standing order's reference to the creditor (SEPA's remittance information).
        "reference" => 140,
        "amount" => 21,
        "standing-order-number" => OrderNumber::TEXT_LEN,
        "start-date" | "end-date" | "first-payment-date" | "next-payment-date" | "payment-date" => {
            10
        }
        // A BIC: 8 characters, or 11 with the branch.
        "swift-code" => 11,
        "currency-code" | "currency-id" => 3,
        // An amount of minor units (an i64) with its sign and decimal point.
        "balance" | "principal" | "interest" | "tax" | "fees" | "net-amount" => 21,
        "customer-number"
        | "holder-customer-number"
        | "owner-customer-number"
        | "grantor-customer-number"
        | "initiator-customer-number"
        | "authorized-customer-number" => customer::MAX_LEN,
        "order-number" | "id" => OrderNumber::TEXT_LEN,
        "uri" | "href" | "instance" | "type" | "Location" => MAX_LINK,
        "creation-datetime"
        | "creation-date"
        | "status-date"
        | "started-at"
        | "finished-at"
        | "recorded-at"
        | "date-from"
        | "date-to"
        | "attempted-at"
        | "created-at"
        | "next-attempt-at"
        | "failing-since"
        | "previous-secret-valid-until"
        | "expiration-date"
        | "last-modification-date" => MAX_TIME,
        "Last-Event-ID" => 19,
        "expiry-date" | "granted-on" | "revoked-on" | "effective-date" | "calculation-date" => 10,
        "description" | "additional-info" => MAX_DESCRIPTION,
        "embossement-line-1" | "embossment-line-1" => MAX_EMBOSSMENT,
        "serial-number"
        | "masked-number"
        | "product-code"
        | "product-number"
        | "previous-product-code"
        | "new-product-code"
        | "currency"
        | "campaign-code"
        | "blockade-reason"
        | "termination-reason"
        | "redemption-reason"
        | "replacement-reason"
        | "customer-friendly-status"
        | "order-type"
        | "status"
        | "problem"
        | "code"
        | "literal"
        | "schema-id"
        | "kind"
        | "unit-of-time"
        | "standing-order-status"
        | "API" => MAX_LITERAL,
        "name"
        | "title"
        | "authorized-customer-name"
        | "owner-customer-name"
        | "customer-name"
        | "initiator-customer-name"
        | "previous-product-name"
        | "product-name"
        | "creditor-name"
        | "nickname" => MAX_NAME,
        "rejection-reason" | "cancelation-reason" | "hold-reason" | "last-error" => MAX_REASON,
        "detail" | "message" => MAX_DETAIL,
        "tag" => MAX_TAG,
        "rel" => 5,
        "event-data-xml"
        | "event-data-xml-key"
        | "event-data-xml-parent-key"
        | "event-data-xml-value" => MAX_XML_BYTES,
        "Idempotency-Key" => super::idempotency::MAX_LEN,
        _ => return None,
    })
}

/// The range and format of an integer field of this name.
fn integer_limit(name: &str) -> Option<(usize, usize, KnownFormat)> {
    Some(match name {
        "page-size" => (1, MAX_PAGE_SIZE as usize, KnownFormat::Int32),
        "page-number" | "page" => (1, MAX_PAGE_NUMBER as usize, KnownFormat::Int32),
        "event-id" | "id" | "audit-id" | "total-count" | "total-pages" => {
            (0, MAX_SAFE_INTEGER, KnownFormat::Int64)
        }
        "status" => (100, 599, KnownFormat::Int32),
        "attempts" | "ordinal" | "parent-id" => (0, u32::MAX as usize, KnownFormat::Int64),
        "subscription-id" | "delivery-id" => (1, MAX_SAFE_INTEGER, KnownFormat::Int64),
        "duration-ms" => (0, MAX_SAFE_INTEGER, KnownFormat::Int64),
        _ => return None,
    })
}

/// The most items an array field of this name holds.
fn array_limit(name: &str) -> Option<usize> {
    Some(match name {
        "items" => MAX_PAGE_SIZE as usize,
        "navigations" => 4,
        "errors" => MAX_ERRORS,
        "event-data-key-values" => MAX_KEY_VALUES,
        "steps" => MAX_STEPS,
        "values" => MAX_CLASSIFICATION_VALUES,
        "attempts" => MAX_ATTEMPTS_SHOWN,
        "event-kinds" => crate::domain::EventKind::ALL.len(),
        _ => return None,
    })
}

fn has_type(schema_type: &SchemaType, wanted: Type) -> bool {
    match schema_type {
        SchemaType::Type(t) => *t == wanted,
        SchemaType::Array(types) => types.contains(&wanted),
        SchemaType::AnyValue => false,
    }
}

/// Fills the limits of the field `name` into `schema` where its type left them out, and
/// goes on into its properties and items.
fn limit(name: Option<&str>, schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else {
        return;
    };
    match schema {
        Schema::Object(object) => {
            if let Some(name) = name {
                if has_type(&object.schema_type, Type::String)
                    && object.max_length.is_none()
                    && object.enum_values.is_none()
                    && let Some(max) = text_limit(name)
                {
                    object.max_length = Some(max);
                }
                if has_type(&object.schema_type, Type::Integer)
                    && let Some((min, max, format)) = integer_limit(name)
                {
                    object.minimum.get_or_insert(utoipa::Number::UInt(min));
                    object.maximum.get_or_insert(utoipa::Number::UInt(max));
                    object
                        .format
                        .get_or_insert(SchemaFormat::KnownFormat(format));
                }
            }
            for (property, child) in object.properties.iter_mut() {
                limit(Some(property), child);
            }
        }
        Schema::Array(array) => {
            if let Some(max) = name.and_then(array_limit) {
                array.max_items.get_or_insert(max);
            }
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                limit(name, items);
            }
        }
        Schema::OneOf(one) => one.items.iter_mut().for_each(|item| limit(name, item)),
        Schema::AllOf(all) => all.items.iter_mut().for_each(|item| limit(name, item)),
        Schema::AnyOf(any) => any.items.iter_mut().for_each(|item| limit(name, item)),
        _ => {}
    }
}

fn limit_parameters(parameters: Option<&mut Vec<Parameter>>) {
    for parameter in parameters.into_iter().flatten() {
        let name = parameter.name.clone();
        if let Some(schema) = parameter.schema.as_mut() {
            limit(Some(&name), schema);
        }
    }
}

/// Fills in the limits of every named field, parameter and header of `openapi`.
pub fn apply(openapi: &mut OpenApi) {
    if let Some(components) = openapi.components.as_mut() {
        for schema in components.schemas.values_mut() {
            limit(None, schema);
        }
        for response in components.responses.values_mut() {
            if let RefOr::T(response) = response {
                for (name, header) in response.headers.iter_mut() {
                    limit(Some(name), &mut header.schema);
                }
            }
        }
    }
    for item in openapi.paths.paths.values_mut() {
        limit_parameters(item.parameters.as_mut());
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            limit_parameters(operation.parameters.as_mut());
            if let Some(body) = operation.request_body.as_mut() {
                for content in body.content.values_mut() {
                    if let Some(schema) = content.schema.as_mut() {
                        limit(None, schema);
                    }
                }
            }
            for response in operation.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                for (name, header) in response.headers.iter_mut() {
                    limit(Some(name), &mut header.schema);
                }
                for content in response.content.values_mut() {
                    if let Some(schema) = content.schema.as_mut() {
                        limit(None, schema);
                    }
                }
            }
        }
    }
}

/// Cuts `text` to at most `max` characters, marking the cut with an ellipsis: what the
/// service writes from what it was sent or told (a path, a client's field name, a
/// processor's error) never outgrows the limit its document promises.
pub fn clip(text: &mut String, max: usize) {
    if let Some((at, _)) = text.char_indices().nth(max) {
        let keep = text
            .char_indices()
            .nth(max.saturating_sub(1))
            .map_or(at, |(i, _)| i);
        text.truncate(keep);
        text.push('…');
    }
}

/// [`clip`] for a text that is kept whole when it fits, without a copy.
pub fn clipped(mut text: String, max: usize) -> String {
    clip(&mut text, max);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_keeps_short_texts_and_cuts_long_ones_at_a_character() {
        let mut short = "abc".to_owned();
        clip(&mut short, 3);
        assert_eq!(short, "abc");
        let mut long = "čćžšđ".repeat(10);
        clip(&mut long, 7);
        assert_eq!(long.chars().count(), 7);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn every_classification_fits_the_documented_sizes() {
        use crate::domain::classification::{Api, all};
        for api in [Api::Order, Api::Event] {
            let lists = all(api);
            assert!(lists.len() <= MAX_CLASSIFICATION_VALUES);
            for list in lists {
                let id = &list.schema_id;
                assert!(list.values.len() <= MAX_CLASSIFICATION_VALUES, "{id}");
                assert!(list.name.chars().count() <= MAX_NAME, "{id}");
                assert!(list.description.chars().count() <= MAX_DESCRIPTION, "{id}");
                assert!(id.len() <= MAX_LITERAL, "{id}");
                for value in &list.values {
                    assert!(value.code.len() <= MAX_LITERAL, "{id} {}", value.code);
                    assert!(value.literal.len() <= MAX_LITERAL, "{id} {}", value.literal);
                    assert!(value.description.chars().count() <= MAX_DESCRIPTION, "{id}");
                }
            }
        }
    }

    #[test]
    fn every_order_kind_fits_the_documented_number_of_steps() {
        for kind in crate::domain::order::OrderKind::ALL {
            assert!(kind.def().steps.len() <= MAX_STEPS, "{kind:?}");
        }
    }
}
