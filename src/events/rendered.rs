//! First pages of the event list kept as the bytes sent, with their `ETag`: an app opens
//! on its customer's first page, again and again, and once the page's ids come from
//! memory (see [`crate::store::page_cache`]) most of what is left of the request is
//! looking up its events, building the items and their links, writing the JSON and
//! hashing it for the tag. A kept answer is sent only while the customer's write
//! generation is the one its page was read at, exactly as the ids are.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use serde::Serialize;

use crate::http::ApiError;
use crate::store::event_pages::Freshness;
use crate::store::page_cache::PageKey;

/// Memory kept for rendered pages at most.
const MAX_BYTES: u64 = 32 << 20;
/// A typical first page of 20 items, to size the table.
const TYPICAL_BYTES: u64 = 8 << 10;
/// Besides the body: the key, the tag and the table's own share.
const ENTRY_OVERHEAD: u64 = 160;

/// Which answer: the page, and whether the request named a `sort-order` (the links then
/// repeat it). Nothing else a cacheable request may send changes the bytes: the links'
/// root is the server's, and the filters are in the page's key.
type AnswerKey = (PageKey, bool);

/// An answer as sent, and the generation its page was read at.
struct Rendered {
    generation: u64,
    body: Bytes,
    tag: HeaderValue,
}

/// Weighs an answer by its bytes.
#[derive(Clone)]
struct ByBytes;

impl Weighter<AnswerKey, Arc<Rendered>> for ByBytes {
    fn weight(&self, _: &AnswerKey, rendered: &Arc<Rendered>) -> u64 {
        ENTRY_OVERHEAD + rendered.body.len() as u64
    }
}

/// The kept answers.
pub struct RenderedPages {
    answers: Cache<AnswerKey, Arc<Rendered>, ByBytes>,
}

impl Default for RenderedPages {
    fn default() -> Self {
        let items = usize::try_from(MAX_BYTES / TYPICAL_BYTES).unwrap_or(1);
        Self {
            answers: Cache::with_weighter(items, MAX_BYTES, ByBytes),
        }
    }
}

impl RenderedPages {
    /// The kept answer for the page, if it was rendered at the generation `fresh` says
    /// the customer's events are at now.
    pub fn answer(&self, fresh: &Freshness, names_order: bool) -> Option<Response> {
        let rendered = self
            .answers
            .get(&(fresh.key.clone(), names_order))
            .filter(|rendered| rendered.generation == fresh.generation)?;
        metrics::counter!("bankapi_rendered_pages_total", "read" => "memory").increment(1);
        Some(respond(rendered.body.clone(), rendered.tag.clone()))
    }

    /// Renders `page`, keeps it for later requests at the same generation, and answers it.
    pub fn keep(
        &self,
        fresh: Freshness,
        names_order: bool,
        page: &impl Serialize,
    ) -> Result<Response, ApiError> {
        let body = Bytes::from(serde_json::to_vec(page).map_err(anyhow::Error::from)?);
        let tag = HeaderValue::from_str(&crate::http::etag::tag_of(&body))
            .map_err(anyhow::Error::from)?;
        self.answers.insert(
            (fresh.key, names_order),
            Arc::new(Rendered {
                generation: fresh.generation,
                body: body.clone(),
                tag: tag.clone(),
            }),
        );
        Ok(respond(body, tag))
    }
}

/// The answer `Json` would give, with its tag already set (so that the tagging layer
/// need not hash it again).
fn respond(body: Bytes, tag: HeaderValue) -> Response {
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::ETAG, tag);
    response
}
