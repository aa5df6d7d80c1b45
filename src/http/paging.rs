//! Paging as API.md section 1 defines it: `page-size` 1..=100 (default 20), `page-number`
//! from 1 (alias `page`), and a body with counts and `first`/`prev`/`next`/`last` links.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};

use super::openapi::schema_type;
use super::validation::{ErrorLiteral, Errors, FieldError};
pub use crate::domain::page::{
    DEFAULT_PAGE_SIZE, MAX_PAGE_NUMBER, MAX_PAGE_SIZE, PageRequest, SortOrder,
};

/// A page bound as documented: a 32-bit integer from 1 to `max`.
fn page_integer(max: u32) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .minimum(Some(1))
        .maximum(Some(max))
}

schema_type!(
    /// `page-size`: 1 to 100. Paging parameters are text in Rust, so that [`PageRequest::parse`]
    /// names a bad value; this is what it takes.
    PageSize => page_integer(MAX_PAGE_SIZE)
);
schema_type!(
    /// `page-number` and its alias `page`: from 1.
    PageNumber => page_integer(MAX_PAGE_NUMBER)
);

/// The paging parameters of every list, as sent. A handler reads them with an extractor
/// of their own (`ApiQuery<PageQuery>`) beside its list's filters, and names both in its
/// `params(...)`, so that no list's query type repeats them. Text, so that
/// [`PageQuery::read`] names a bad value; the schemas say what it takes.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "kebab-case")]
#[into_params(parameter_in = Query, rename_all = "kebab-case")]
pub struct PageQuery {
    /// Items per page, 1 to 100 (default 20).
    #[param(value_type = Option<PageSize>, inline)]
    page_size: Option<String>,
    /// Page number from 1 (default 1).
    #[param(value_type = Option<PageNumber>, inline)]
    page_number: Option<String>,
    /// Alias of `page-number`.
    #[param(value_type = Option<PageNumber>, inline)]
    page: Option<String>,
}

impl PageQuery {
    /// The page asked for, recording what is wrong in `errors`.
    pub fn read(&self, errors: &mut Errors) -> PageRequest {
        PageRequest::parse(
            self.page_size.as_deref(),
            self.page_number.as_deref(),
            self.page.as_deref(),
            errors,
        )
    }

    /// Whether `page-number` or `page` was sent (a list that also pages by cursor
    /// refuses both at once).
    pub fn names_a_number(&self) -> bool {
        self.page_number.is_some() || self.page.is_some()
    }
}

impl PageRequest {
    /// Reads `page-size`, `page-number` and its alias `page`, recording what is wrong.
    pub fn parse(
        size: Option<&str>,
        number: Option<&str>,
        page_alias: Option<&str>,
        errors: &mut Errors,
    ) -> Self {
        let mut request = Self::default();
        if let Some(raw) = size
            && let Some(value) = errors.check(parse_bounded("page-size", raw, 1, MAX_PAGE_SIZE))
        {
            request.size = value;
        }
        let (tag, raw) = match (number, page_alias) {
            (Some(raw), alias) => {
                // The alias is ignored in favour of `page-number`, but never a bad value.
                if let Some(alias) = alias {
                    errors.check(parse_bounded("page", alias, 1, MAX_PAGE_NUMBER));
                }
                ("page-number", Some(raw))
            }
            (None, Some(raw)) => ("page", Some(raw)),
            (None, None) => ("page-number", None),
        };
        if let Some(raw) = raw
            && let Some(value) = errors.check(parse_bounded(tag, raw, 1, MAX_PAGE_NUMBER))
        {
            request.number = value;
        }
        request
    }
}

fn parse_bounded(tag: &str, raw: &str, min: u32, max: u32) -> Result<u32, FieldError> {
    let value: i64 = raw.trim().parse().map_err(|_| {
        FieldError::new(
            tag,
            ErrorLiteral::InvalidFormat,
            format!("{tag} must be a whole number, got {raw:?}"),
        )
    })?;
    if value < i64::from(min) || value > i64::from(max) {
        return Err(FieldError::new(
            tag,
            ErrorLiteral::OutOfRange,
            format!("{tag} must be between {min} and {max}, got {value}"),
        ));
    }
    Ok(value as u32)
}

impl SortOrder {
    /// Reads `sort-order`.
    pub fn parse(raw: Option<&str>, errors: &mut Errors) -> Self {
        match raw.map(|r| r.trim().to_ascii_lowercase()) {
            None => Self::Desc,
            Some(r) if r == "asc" => Self::Asc,
            Some(r) if r == "desc" => Self::Desc,
            Some(r) => {
                errors.push(FieldError::new(
                    "sort-order",
                    ErrorLiteral::UnknownEnum,
                    format!("sort-order must be asc or desc, got {r:?}"),
                ));
                Self::Desc
            }
        }
    }
}

/// One link of a page's `navigations`.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Navigation {
    /// Absolute URL of the other page.
    pub href: String,
    /// `first`, `prev`, `next` or `last`.
    pub rel: String,
}

/// A page of a collection.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Page<T> {
    /// Items matching the filters, over all pages.
    pub total_count: u64,
    /// Items per page as requested.
    pub page_size: u32,
    /// This page's number, from 1.
    pub page_number: u32,
    /// The same as `page-number`, under the name the API family's reference clients read.
    pub page: u32,
    /// Number of pages; 0 when nothing matches.
    pub total_pages: u64,
    /// This page's items.
    pub items: Vec<T>,
    /// Links to the neighbouring and outer pages.
    pub navigations: Vec<Navigation>,
    /// The field the items are sorted by, on lists that can be sorted: what was asked
    /// for, or the default when nothing was.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, max_length = 40)]
    pub sort_by: Option<&'static str>,
    /// `asc` or `desc`, on lists that can be sorted: what was asked for, or the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, max_length = 4)]
    pub sort_order: Option<&'static str>,
    /// On lists walked by `cursor`: the `cursor` of the page after this one; absent on the
    /// last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 100, pattern = "^[A-Za-z0-9_-]{1,100}$")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds the page body; `link(n)` gives the absolute URL of page `n`.
    pub fn new(
        request: PageRequest,
        total_count: u64,
        items: Vec<T>,
        link: impl Fn(u64) -> String,
    ) -> Self {
        let size = u64::from(request.size);
        let total_pages = total_count.div_ceil(size);
        let number = u64::from(request.number);
        let mut navigations = Vec::new();
        if total_pages > 0 {
            navigations.push(Navigation {
                href: link(1),
                rel: "first".into(),
            });
            if number > 1 {
                navigations.push(Navigation {
                    href: link((number - 1).min(total_pages)),
                    rel: "prev".into(),
                });
            }
            if number < total_pages {
                navigations.push(Navigation {
                    href: link(number + 1),
                    rel: "next".into(),
                });
            }
            navigations.push(Navigation {
                href: link(total_pages),
                rel: "last".into(),
            });
        }
        Self {
            total_count,
            page_size: request.size,
            page_number: request.number,
            page: request.number,
            total_pages,
            items,
            navigations,
            sort_by: None,
            sort_order: None,
            next_cursor: None,
        }
    }

    /// A page walked by cursor: `next` is the next page's cursor (none on the last page),
    /// and the navigations are `first` and `next`, made by `link(cursor)`. Page numbers do
    /// not apply: `page-number` stays 1.
    pub fn by_cursor(mut self, next: Option<String>, link: impl Fn(&str) -> String) -> Self {
        self.navigations = vec![Navigation {
            href: link(super::cursor::FIRST),
            rel: "first".into(),
        }];
        if let Some(next) = &next {
            self.navigations.push(Navigation {
                href: link(next),
                rel: "next".into(),
            });
        }
        self.next_cursor = next;
        self
    }

    /// Echoes the sort the items were put in (API.md section 11), so a client sees the
    /// order it got even when it asked for none.
    pub fn sorted(mut self, by: &'static str, order: SortOrder) -> Self {
        self.sort_by = Some(by);
        self.sort_order = Some(order.as_str());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_page_alias_is_refused_even_beside_page_number() {
        let mut errors = Errors::new();
        let page = PageRequest::parse(None, Some("3"), Some("null"), &mut errors);
        assert_eq!(page.number, 3);
        assert!(errors.finish().is_err());
        let mut errors = Errors::new();
        let page = PageRequest::parse(None, Some("3"), Some("7"), &mut errors);
        assert_eq!(page.number, 3, "page-number wins over its alias");
        assert!(errors.finish().is_ok());
    }

    fn parse(size: Option<&str>, number: Option<&str>) -> Result<PageRequest, Vec<FieldError>> {
        let mut errors = Errors::new();
        let request = PageRequest::parse(size, number, None, &mut errors);
        match errors.finish() {
            Ok(()) => Ok(request),
            Err(super::super::ApiError::Validation(e)) => Err(e),
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_are_twenty_items_on_page_one() {
        assert_eq!(
            parse(None, None).unwrap(),
            PageRequest {
                size: 20,
                number: 1
            }
        );
    }

    #[test]
    fn sizes_outside_one_to_a_hundred_are_out_of_range() {
        for bad in ["0", "101", "-1"] {
            let errors = parse(Some(bad), None).unwrap_err();
            assert_eq!(errors[0].error, ErrorLiteral::OutOfRange, "{bad}");
        }
        assert_eq!(
            parse(Some("x"), None).unwrap_err()[0].error,
            ErrorLiteral::InvalidFormat
        );
        assert_eq!(parse(None, Some("0")).unwrap_err()[0].tag, "page-number");
    }

    #[test]
    fn page_alias_is_accepted() {
        let mut errors = Errors::new();
        let request = PageRequest::parse(None, None, Some("3"), &mut errors);
        assert_eq!(request.number, 3);
    }

    #[test]
    fn navigation_names_the_outer_and_neighbouring_pages() {
        let page = Page::new(
            PageRequest {
                size: 20,
                number: 2,
            },
            45,
            vec![(); 20],
            |n| n.to_string(),
        );
        let rels: Vec<_> = page
            .navigations
            .iter()
            .map(|n| (n.rel.as_str(), n.href.as_str()))
            .collect();
        assert_eq!(
            rels,
            [("first", "1"), ("prev", "1"), ("next", "3"), ("last", "3")]
        );
        assert_eq!(page.total_pages, 3);
    }

    #[test]
    fn an_empty_collection_has_no_pages_and_no_links() {
        let page = Page::<()>::new(PageRequest::default(), 0, vec![], |n| n.to_string());
        assert_eq!(page.total_pages, 0);
        assert!(page.navigations.is_empty());
    }
}
