//! Absolute links, always built from the configured public base URL (never from the
//! request's `Host` header, which a client controls).

use std::fmt::Write as _;

/// Builds the URLs the service hands out.
#[derive(Debug, Clone)]
pub struct Links {
    /// Shared: handlers clone the state (and so this) on every request.
    base: std::sync::Arc<str>,
}

impl Links {
    /// `base` is the public URL without a trailing slash.
    pub fn new(base: impl Into<String>) -> Self {
        Self {
            base: base.into().trim_end_matches('/').into(),
        }
    }

    /// `{base}{path}`, where `path` starts with `/`.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `{base}{path}?k=v&...`, percent-encoding the values, skipping absent ones and
    /// keeping the given order (paging first, as the guide's example link does).
    pub fn with_query(&self, path: &str, params: &[(&str, Option<&str>)]) -> String {
        let mut url = self.absolute(path);
        let mut first = true;
        for (key, value) in params {
            let Some(value) = value else { continue };
            let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            let _ = write!(url, "{}{key}={encoded}", if first { '?' } else { '&' });
            first = false;
        }
        url
    }

    /// The link to page `number` of the list at `path`: `page-size` and `page-number`
    /// first (where the guide's example link has them), then `filters` in their order,
    /// absent ones left out. Every page-number list links its pages this way.
    pub fn page(
        &self,
        path: &str,
        size: u32,
        number: u64,
        filters: &[(&str, Option<&str>)],
    ) -> String {
        let (size, number) = (size.to_string(), number.to_string());
        let mut params = vec![
            ("page-size", Some(size.as_str())),
            ("page-number", Some(number.as_str())),
        ];
        params.extend_from_slice(filters);
        self.with_query(path, &params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded_and_absent_ones_skipped() {
        let links = Links::new("http://h:1/");
        assert_eq!(
            links.with_query(
                "/x",
                &[
                    ("a", Some("1")),
                    ("b", None),
                    ("c", Some("2014-10-10T00:00:00+02:00"))
                ]
            ),
            "http://h:1/x?a=1&c=2014-10-10T00%3A00%3A00%2B02%3A00"
        );
    }

    #[test]
    fn page_links_put_paging_before_the_filters() {
        let links = Links::new("http://h:1");
        assert_eq!(
            links.page("/x", 20, 3, &[("kind", None), ("role", Some("given"))]),
            "http://h:1/x?page-size=20&page-number=3&role=given"
        );
    }
}
