//! Classifications: the code lists of API.md sections 2 and 11, served read-only by each
//! API and used to check the reasons given in requests.

use serde::Serialize;
use utoipa::ToSchema;

use super::invalid::{ErrorLiteral, FieldError};
use super::order_lists::ORDER_LISTS;

/// One value of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ClassificationValue {
    /// Stable id within the list.
    pub id: u32,
    /// The bank's code.
    pub code: String,
    /// The literal used in requests and responses.
    pub literal: String,
    /// What it means.
    pub description: String,
    /// The parent value's id, for hierarchical lists.
    pub parent_id: Option<u32>,
    /// Position in the list.
    pub ordinal: u32,
}

/// A code list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Classification {
    /// The API the list belongs to.
    #[serde(rename = "API")]
    pub api: String,
    /// The list's id (`card-replacement-reason`...).
    #[serde(rename = "schema-id")]
    pub schema_id: String,
    /// Display name.
    pub name: String,
    /// What the list is for.
    pub description: String,
    /// The values.
    pub values: Vec<ClassificationValue>,
}

/// Every classification of one API, as `GET /classifications` answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClassificationList {
    /// The lists, in a stable order.
    pub items: Vec<Classification>,
}

/// (code, literal, description) of each list, in order.
pub(super) type Entries = &'static [(&'static str, &'static str, &'static str)];

/// (schema id, name, description, entries) of a list.
pub(super) type List = (&'static str, &'static str, &'static str, Entries);

/// Which API serves a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `/customer-order/classifications`.
    Order,
    /// `/customer-event/classifications`.
    Event,
}

impl Api {
    /// The `API` member of its lists.
    fn name(self) -> &'static str {
        match self {
            Self::Order => "customer-order",
            Self::Event => "customer-event",
        }
    }

    fn lists(self) -> &'static [List] {
        match self {
            Self::Order => ORDER_LISTS,
            Self::Event => super::event_lists::EVENT_LISTS,
        }
    }
}

/// Every classification of `api`.
pub fn all(api: Api) -> Vec<Classification> {
    api.lists().iter().map(|list| build(api, list)).collect()
}

/// One classification of `api` by its schema id.
pub fn by_schema_id(api: Api, schema_id: &str) -> Option<Classification> {
    api.lists()
        .iter()
        .find(|(id, ..)| *id == schema_id)
        .map(|list| build(api, list))
}

fn build(api: Api, &(schema_id, name, description, entries): &List) -> Classification {
    Classification {
        api: api.name().into(),
        schema_id: schema_id.into(),
        name: name.into(),
        description: description.into(),
        values: entries
            .iter()
            .enumerate()
            .map(
                |(index, (code, literal, description))| ClassificationValue {
                    id: index as u32 + 1,
                    code: (*code).into(),
                    literal: (*literal).into(),
                    description: (*description).into(),
                    parent_id: None,
                    ordinal: index as u32 + 1,
                },
            )
            .collect(),
    }
}

/// Checks that `raw` is a literal of the list `schema_id` (without regard to case) and
/// returns the canonical literal.
pub fn literal_of(schema_id: &str, tag: &str, raw: &str) -> Result<String, FieldError> {
    let entries = ORDER_LISTS
        .iter()
        .find(|(id, ..)| *id == schema_id)
        .map(|(.., entries)| *entries)
        .unwrap_or(&[]);
    entries
        .iter()
        .find(|(_, literal, _)| literal.eq_ignore_ascii_case(raw.trim()))
        .map(|(_, literal, _)| (*literal).to_owned())
        .ok_or_else(|| {
            FieldError::new(
                tag,
                ErrorLiteral::NotOnList,
                format!(
                    "{tag} must be a literal of the {schema_id} classification ({}), got {raw:?}",
                    entries
                        .iter()
                        .map(|(_, l, _)| *l)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
}

/// The schema id of every classification of `api`, in order: the values `by_schema_id`
/// knows.
pub fn schema_ids(api: Api) -> impl Iterator<Item = &'static str> {
    api.lists().iter().map(|(id, ..)| *id)
}

/// The literals of `schema_id` in their canonical spelling, the values `literal_of`
/// accepts (it also forgives case and surrounding spaces); none for an unknown list.
pub fn literals(schema_id: &str) -> impl Iterator<Item = &'static str> {
    ORDER_LISTS
        .iter()
        .filter(move |(id, ..)| *id == schema_id)
        .flat_map(|(.., entries)| entries.iter().map(|(_, literal, _)| *literal))
}

/// Reasons that mean the plastic is out of the holder's hands: such a card must be
/// replaced, never unblocked, and its replacement terminates it at once.
pub fn is_lost_or_stolen(reason: &str) -> bool {
    matches!(reason, "card-losses" | "stolen-card")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_must_be_on_their_list() {
        assert_eq!(
            literal_of("card-blockade-reason", "r", "Stolen-Card").unwrap(),
            "stolen-card"
        );
        assert_eq!(
            literal_of("card-blockade-reason", "r", "bored")
                .unwrap_err()
                .error,
            ErrorLiteral::NotOnList
        );
    }

    #[test]
    fn the_documented_codes_are_served() {
        let reasons = by_schema_id(Api::Order, "card-replacement-reason").unwrap();
        let pairs: Vec<_> = reasons
            .values
            .iter()
            .map(|v| (v.literal.as_str(), v.code.as_str()))
            .collect();
        assert_eq!(
            &pairs[..3],
            [
                ("card-losses", "00001"),
                ("stolen-card", "00002"),
                ("damaged-card", "00003")
            ]
        );
        let status = by_schema_id(Api::Order, "workitem-processing-status").unwrap();
        assert!(
            status
                .values
                .iter()
                .any(|v| v.literal == "proposed" && v.code == "00003")
        );
        assert!(
            status
                .values
                .iter()
                .any(|v| v.literal == "approved" && v.code == "00020")
        );
        assert_eq!(all(Api::Order).len(), 15);
    }
}
