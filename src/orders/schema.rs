//! The OpenAPI schemas of the values this API reads. Parameters and body fields are text
//! in Rust so that validation, not serde, names a bad value; these schemas say what that
//! validation accepts, so that the document is a contract a client (or a fuzzer) can
//! generate valid requests from. Enumerations are built from the same lists the code
//! checks against, so the two cannot drift apart.

use serde::Deserialize;
use utoipa::IntoParams;
use utoipa::openapi::schema::{ObjectBuilder, Type};

use super::input::IDENTIFIER_MAX;
use crate::domain::classification;
use crate::domain::customer::MAX_LEN as CUSTOMER_NUMBER_MAX;
use crate::domain::order::{OrderKind, OrderStatus};
use crate::http::openapi::{one_of, schema_type};
use crate::http::paging::SortOrder;

/// An order number: `WI` and ten digits
/// ([`OrderNumber::parse`](crate::domain::order::OrderNumber::parse)).
pub const ORDER_NUMBER: &str = "^WI[0-9]{10}$";
/// An amount as a decimal string: digits, and at most three after the point.
pub const AMOUNT: &str = "^[0-9]{1,12}(\\.[0-9]{1,3})?$";
/// An `Idempotency-Key`: 1 to 255 printable ASCII characters, no spaces.
pub const IDEMPOTENCY_KEY: &str = "^[!-~]{1,255}$";

/// A comma-separated list of `values` (at least one, no empty item), as a pattern, and
/// no longer than every value named once.
fn csv_of(values: impl IntoIterator<Item = &'static str>) -> ObjectBuilder {
    let values: Vec<&str> = values.into_iter().collect();
    let longest: usize = values.iter().map(|v| v.len() + 1).sum();
    let one = values.join("|");
    string()
        .pattern(Some(format!("^({one})(,({one}))*$")))
        .max_length(Some(longest))
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

schema_type!(
    /// A customer number: upper-case letters and digits
    /// ([`CustomerNumber::parse`](crate::domain::CustomerNumber::parse)).
    CustomerNumberText => string().pattern(Some(format!("^[A-Z0-9]{{1,{CUSTOMER_NUMBER_MAX}}}$")))
);
schema_type!(
    /// A card id or arrangement number: letters, digits and dashes.
    IdentifierText => string().pattern(Some(format!("^[A-Za-z0-9-]{{1,{IDENTIFIER_MAX}}}$")))
);
schema_type!(
    /// An order number.
    OrderNumberText => string().pattern(Some(ORDER_NUMBER))
);
schema_type!(
    /// An `Idempotency-Key` value.
    IdempotencyKeyText => string().pattern(Some(IDEMPOTENCY_KEY))
);
schema_type!(
    /// A `card-blockade-reason` literal.
    BlockadeReason => one_of(classification::literals("card-blockade-reason"))
        .examples(["temporary-blockage"])
);
schema_type!(
    /// A `card-replacement-reason` literal.
    ReplacementReason => one_of(classification::literals("card-replacement-reason"))
        .examples(["damaged-card"])
);
schema_type!(
    /// A `card-termination-reason` literal.
    TerminationReason => one_of(classification::literals("card-termination-reason"))
        .examples(["customer-request"])
);
schema_type!(
    /// An `account-termination-reason` literal.
    AccountTerminationReason => one_of(classification::literals("account-termination-reason"))
        .examples(["no-longer-needed"])
);
schema_type!(
    /// A `redemption-reason` literal.
    RedemptionReason => one_of(classification::literals("redemption-reason"))
        .examples(["own-funds"])
);
schema_type!(
    /// A `product-code` literal.
    ProductCode => one_of(classification::literals("product-code"))
        .examples(["current-plus"])
);
schema_type!(
    /// A standing order's `product-code`: one of the standing-order products.
    StandingOrderProduct => one_of(crate::domain::standing_order::PRODUCTS.map(|(code, _)| code))
        .examples(["standing-order-internal"])
);
schema_type!(
    /// An amount: a decimal string (`"1250.50"`) or a number, above zero, with no more
    /// digits after the point than the currency's minor unit.
    AmountValue => utoipa::openapi::schema::OneOfBuilder::new()
        .item(string().pattern(Some(AMOUNT)).examples(["1250.50"]))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .exclusive_minimum(Some(0.0))
                .maximum(Some(1e12)),
        )
);
schema_type!(
    /// A `unit-of-time` literal.
    UnitOfTimeLiteral => one_of(classification::literals("unit-of-time"))
        .examples(["months"])
);
schema_type!(
    /// A `workitem-processing-status` filter.
    StatusFilter => one_of(OrderStatus::spellings())
);
schema_type!(
    /// A kind filter: the `order-type` literal or the resource name.
    KindFilter => one_of(
        OrderKind::ALL
            .into_iter()
            .flat_map(|kind| [kind.as_str(), kind.resource()])
    )
);
schema_type!(
    /// A comma-separated list of status filters.
    StatusesFilter => csv_of(OrderStatus::spellings()).examples(["proposed,awaiting-confirmation"])
);
schema_type!(
    /// A comma-separated list of kind filters.
    KindsFilter => csv_of(
        OrderKind::ALL
            .into_iter()
            .flat_map(|kind| [kind.as_str(), kind.resource()])
    )
    .examples(["current-account-termination,loan-terminations"])
);
schema_type!(
    /// An `arrangement-kind` literal.
    ArrangementKindFilter => one_of(classification::literals("arrangement-kind"))
        .examples(["current-account"])
);
schema_type!(
    /// Which side of a mandate: `given` or `received`.
    MandateRoleFilter => one_of(["given", "received"])
);
schema_type!(
    /// What an order list may be sorted by.
    SortBy => one_of(super::listing::SORTS.map(super::listing::sort_literal))
);
schema_type!(
    /// The direction of a sorted list.
    SortDirection => one_of([SortOrder::Asc, SortOrder::Desc].map(SortOrder::as_str))
);

/// The path of one order: `/{resource}/{order-number}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct OrderPath {
    /// The work item's number.
    #[serde(rename = "order-number")]
    #[param(value_type = OrderNumberText, inline, example = "WI0000492475")]
    pub number: String,
}

/// The path of one account: `/arrangements/{arrangement-number}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ArrangementPath {
    /// The arrangement number.
    #[serde(rename = "arrangement-number")]
    #[param(value_type = IdentifierText, inline, example = "0064200002022")]
    pub arrangement_number: String,
}

/// The path of one mandate: `/mandates/{mandate-number}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MandatePath {
    /// The mandate's number.
    #[serde(rename = "mandate-number")]
    #[param(value_type = IdentifierText, inline, example = "M0000000301")]
    pub mandate_number: String,
}

/// The path of one card: `/cards/{card-id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CardPath {
    /// The card's id.
    #[serde(rename = "card-id")]
    #[param(value_type = IdentifierText, inline, example = "C0000000201")]
    pub card_id: String,
}

/// The `Idempotency-Key` header of a create, read by
/// [`idempotency::from_request`](crate::http::idempotency::from_request); this type only
/// documents it.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyHeader {
    /// Retries with the same key and body return the first answer; a key used with
    /// another body is refused (`422 idempotency-key-reused`).
    #[param(rename = "Idempotency-Key", value_type = IdempotencyKeyText, inline, required = false)]
    idempotency_key: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::domain::CustomerNumber;
    use crate::domain::classification::literal_of;
    use crate::http::Errors;
    use crate::http::paging::{MAX_PAGE_NUMBER, MAX_PAGE_SIZE};
    use crate::orders::input::{DESCRIPTION_MAX, EMBOSSEMENT_MAX};

    /// Free text: anything but control characters, except tab, line feed and carriage
    /// return (what `validation::text` and the JSON control-character check accept).
    const FREE_TEXT: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$";

    fn document() -> Value {
        serde_json::to_value(crate::orders::router().into_openapi()).expect("document")
    }

    fn enum_of(schema: &Value) -> Vec<String> {
        let schema = schema["oneOf"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i.get("enum").is_some()))
            .unwrap_or(schema);
        schema["enum"]
            .as_array()
            .expect("an enum")
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    }

    /// Attributes take literals only, so the patterns and lengths written there are
    /// checked against the limits the validation uses.
    #[test]
    fn body_fields_state_the_validation_limits() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        let identifier = format!("^[A-Za-z0-9-]{{1,{IDENTIFIER_MAX}}}$");
        let customer = format!("^[A-Z0-9]{{1,{CUSTOMER_NUMBER_MAX}}}$");
        for (body, ids) in [
            (
                "NewAdditionalCardIssuance",
                &["arrangement-number"] as &[&str],
            ),
            ("NewCardActivation", &["card-id"]),
            ("NewCardBlockade", &["card-id"]),
            ("NewCardDeblockade", &["card-id"]),
            ("NewCardTermination", &["card-id"]),
            ("NewCardReplacement", &["card-id"]),
        ] {
            let schema = &schemas[body];
            let properties = &schema["properties"];
            let required = schema["required"].as_array().expect("required fields");
            for id in ids {
                assert_eq!(
                    properties[id]["pattern"],
                    identifier.as_str(),
                    "{body}.{id}"
                );
                assert!(required.contains(&Value::from(*id)), "{body}.{id}");
            }
            let description = &properties["description"];
            assert_eq!(description["maxLength"], DESCRIPTION_MAX, "{body}");
            assert_eq!(description["pattern"], FREE_TEXT, "{body}");
        }
        let issuance = &schemas["NewAdditionalCardIssuance"]["properties"];
        assert_eq!(
            issuance["authorized-customer-number"]["pattern"],
            customer.as_str()
        );
        let line = &schemas["NewCardReplacement"]["properties"]["embossement-line-1"];
        assert_eq!(line["maxLength"], EMBOSSEMENT_MAX);
        assert_eq!(line["pattern"], FREE_TEXT);
    }

    /// Every value a documented enumeration offers is one the code accepts.
    #[test]
    fn documented_values_are_accepted() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        for (body, field, list) in [
            ("NewCardBlockade", "blockade-reason", "card-blockade-reason"),
            (
                "NewCardReplacement",
                "replacement-reason",
                "card-replacement-reason",
            ),
            (
                "NewCardTermination",
                "termination-reason",
                "card-termination-reason",
            ),
        ] {
            let values = enum_of(&schemas[body]["properties"][field]);
            assert!(!values.is_empty(), "{body}.{field}");
            for value in values {
                assert!(literal_of(list, field, &value).is_ok(), "{value}");
            }
        }
        let parameters = doc["paths"]["/customer-requests"]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .clone();
        let param = |name: &str| {
            parameters
                .iter()
                .find(|p| p["name"] == name)
                .map(|p| p["schema"].clone())
                .expect(name)
        };
        for kind in enum_of(&param("kind")) {
            assert!(OrderKind::parse("kind", &kind).is_ok(), "{kind}");
        }
        for status in enum_of(&param("status")) {
            assert!(OrderStatus::from_input(&status).is_some(), "{status}");
        }
        for order in enum_of(&param("sort-order")) {
            let mut errors = Errors::new();
            SortOrder::parse(Some(&order), &mut errors);
            assert!(errors.finish().is_ok(), "{order}");
        }
        assert_eq!(enum_of(&param("sort-by")).len(), 3);
        assert_eq!(param("page-size")["maximum"], MAX_PAGE_SIZE);
        assert_eq!(param("page-number")["maximum"], MAX_PAGE_NUMBER);
        assert_eq!(
            param("customer-number")["pattern"],
            format!("^[A-Z0-9]{{1,{CUSTOMER_NUMBER_MAX}}}$")
        );
        assert!(CustomerNumber::parse("c", &"9".repeat(CUSTOMER_NUMBER_MAX)).is_ok());
        let ids =
            doc["paths"]["/classifications/{schema-id}"]["get"]["parameters"][0]["schema"].clone();
        for id in enum_of(&ids) {
            assert!(
                classification::by_schema_id(classification::Api::Order, &id).is_some(),
                "{id}"
            );
        }
    }
}
