//! The answer shaping rules (`include`, `trim`) on documents, without HTTP.

use serde_json::json;

use super::*;

fn known() -> BTreeSet<String> {
    [
        "total-count",
        "items",
        "items.event-id",
        "items.uri",
        "navigations",
        "navigations.href",
    ]
    .map(str::to_owned)
    .into()
}

fn shape(include: Option<&str>, trim: Option<&str>) -> Result<Shape, ApiError> {
    let mut errors = Errors::new();
    let shape = Shape {
        include: include.and_then(|raw| parse("include", raw, &known(), &mut errors)),
        trim: trim
            .and_then(|raw| parse("trim", raw, &known(), &mut errors))
            .unwrap_or_default(),
    };
    errors.finish().map(|()| shape)
}

fn page() -> Value {
    json!({
        "total-count": 2,
        "items": [{"event-id": 1, "uri": "u1"}, {"event-id": 2, "uri": "u2"}],
        "navigations": [{"href": "h", "rel": "first"}]
    })
}

#[test]
fn include_keeps_the_named_fields_in_every_element() {
    let mut value = page();
    shape(Some("total-count,items.event-id"), None)
        .unwrap()
        .apply(&mut value);
    assert_eq!(
        value,
        json!({"total-count": 2, "items": [{"event-id": 1}, {"event-id": 2}]})
    );
}

#[test]
fn trim_removes_the_named_fields_after_include() {
    let mut value = page();
    shape(Some("items"), Some("items.uri"))
        .unwrap()
        .apply(&mut value);
    assert_eq!(value, json!({"items": [{"event-id": 1}, {"event-id": 2}]}));
}

#[test]
fn the_star_stands_for_everything_under_its_prefix() {
    let mut value = page();
    shape(Some("*"), None).unwrap().apply(&mut value);
    assert_eq!(value, page());
    shape(Some("navigations.*"), None)
        .unwrap()
        .apply(&mut value);
    assert_eq!(
        value,
        json!({"navigations": [{"href": "h", "rel": "first"}]})
    );
}

#[test]
fn an_empty_value_names_nothing() {
    let mut value = page();
    let empty = shape(Some(""), Some("")).unwrap();
    assert!(empty.include.is_none() && empty.trim.is_empty());
    empty.apply(&mut value);
    assert_eq!(value, page());
}

#[test]
fn a_name_the_answer_cannot_have_is_not_on_list() {
    for bad in ["statuses", "items.nope", ",", "items,", "nope.*"] {
        match shape(Some(bad), None) {
            Err(ApiError::Validation(errors)) => {
                assert_eq!(errors[0].error, ErrorLiteral::NotOnList, "{bad:?}");
                assert_eq!(errors[0].tag, "include");
            }
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    assert!(shape(None, Some("items.nope")).is_err());
}
