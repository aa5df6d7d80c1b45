//! A page of a customer's events, at any depth, over whichever backend runs: the one
//! place that decides how a page is read. The backends only run statements.
//!
//! - Near either end of the list (and with a date range, or a cursor) a page is one
//!   statement: ids by offset or keyset, with the count beside them.
//! - A deep page-number page is found from a *mark* (`event_pages/marks.rs`): every
//!   [`MARK_STRIDE`](crate::domain::page::MARK_STRIDE)th event of a customer's list (of
//!   all kinds, and of each kind) is stored with its rank counted from the oldest. Such
//!   ranks do not move when new events arrive, so a mark stays true; a page then skips
//!   fewer than a stride of rows from the mark below it, however deep.
//!   Marks are added when a deep page first needs them, only over events older than a
//!   settling time (events are registered at the server's clock, so no new event can land
//!   before a settled one), and an import of older events drops the marks it shifted.
//! - The events themselves come by id, through the event cache; first pages, through
//!   [`super::page_cache`] where the store allows it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::page_cache::{CachedPage, PageCache, PageKey};
use super::{EventFilter, EventKey, EventRecord, EventStore, StoreError};
use crate::domain::page::{NEAR_END, RankRange, SortOrder, ranks};
use crate::domain::{CustomerNumber, EventKind};

mod marks;

use marks::mark_for;
pub(crate) use marks::{earliest_per_customer, mark_kind};

/// Where a page of ids starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageStart {
    /// This many rows into the list, in the page's order.
    Offset(u64),
    /// Just past this event, in the page's order (a cursor).
    After(EventKey),
    /// At this event, skipping `skip` rows from it, in the page's order (a mark).
    From {
        /// The mark's event.
        key: EventKey,
        /// Rows between the mark and the page.
        skip: u64,
    },
}

/// A stored mark: the event at `rank` of a customer's list, counted from the oldest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventMark {
    /// Events before it in the list.
    pub rank: u64,
    /// The event.
    pub key: EventKey,
}

/// A deep page as one statement reads it (see [`EventStore::marked_page`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkedPage {
    /// Events that match the filter, in the statement's snapshot.
    pub total: u64,
    /// The rank of the mark the page was read from, if one was close enough.
    pub mark: Option<u64>,
    /// The page's ids, oldest first (none without a mark).
    pub ids: Vec<i64>,
}

/// Lists' lengths as deep pages last saw them: a deep page needs the length before it
/// can say which ranks to read, and a guess checked against the count its statement
/// returns saves a statement per page. Lists share nothing: a wrong guess only costs a
/// second statement.
type Lengths = quick_cache::sync::Cache<(CustomerNumber, Option<EventKind>), u64>;

/// Lengths kept at most.
const LENGTHS: usize = 20_000;

/// How the API reads lists: with first pages kept while the customer's events are
/// unchanged (see [`super::page_cache`]), and marks over events older than `settle`.
pub struct EventPages {
    settle: chrono::Duration,
    cache: PageCache,
    lengths: Lengths,
}

impl EventPages {
    /// Lists that may mark events older than `settle`.
    pub fn new(settle: chrono::Duration) -> Self {
        Self {
            settle,
            cache: PageCache::default(),
            lengths: Lengths::new(LENGTHS),
        }
    }

    /// Whether `filter`'s page may be kept in memory, and if so the customer's write
    /// generation now: what a kept copy of the page, or of anything made from it, must
    /// have been read at to be answered.
    pub async fn freshness(
        &self,
        store: &dyn EventStore,
        filter: &EventFilter,
    ) -> Option<Freshness> {
        let key = PageKey::of(filter)?;
        let generation = store.generation(&filter.customer_number).await?;
        Some(Freshness { key, generation })
    }

    /// A page of events and the number of all that match; from memory when `fresh` (of
    /// [`Self::freshness`]) says the kept page is still the customer's.
    pub async fn list(
        &self,
        store: &dyn EventStore,
        filter: &EventFilter,
        fresh: Option<&Freshness>,
    ) -> Result<(Vec<EventRecord>, u64), StoreError> {
        let settled_before = Utc::now() - self.settle;
        let (ids, total) = match fresh {
            Some(Freshness { key, generation }) => match self.cache.get(key, *generation) {
                Some(page) => {
                    metrics::counter!("bankapi_event_pages_total", "read" => "memory").increment(1);
                    (page.ids.clone(), page.total)
                }
                None => {
                    let (ids, total) =
                        page_ids(store, filter, settled_before, Some(&self.lengths)).await?;
                    let page = CachedPage {
                        generation: *generation,
                        ids: ids.clone(),
                        total,
                    };
                    self.cache.insert(key.clone(), page);
                    (ids, total)
                }
            },
            None => page_ids(store, filter, settled_before, Some(&self.lengths)).await?,
        };
        Ok((events_in_order(store, &ids).await?, total))
    }
}

/// A page that may be kept, and the generation its customer's events are at.
#[derive(Debug)]
pub struct Freshness {
    pub(crate) key: PageKey,
    pub(crate) generation: u64,
}

/// A page of events and the number of all that match, as `filter` asks: by cursor, by
/// page number near an end, or from a mark, read from the store each time.
/// `settled_before`: events created before it may be marked.
pub async fn list_events(
    store: &dyn EventStore,
    filter: &EventFilter,
    settled_before: DateTime<Utc>,
) -> Result<(Vec<EventRecord>, u64), StoreError> {
    let (ids, total) = page_ids(store, filter, settled_before, None).await?;
    Ok((events_in_order(store, &ids).await?, total))
}

/// The ids of `filter`'s page and the number of all that match. `settled_before`: events
/// created before it may be marked; `lengths`: lists' lengths as last seen, if kept.
async fn page_ids(
    store: &dyn EventStore,
    filter: &EventFilter,
    settled_before: DateTime<Utc>,
    lengths: Option<&Lengths>,
) -> Result<(Vec<i64>, u64), StoreError> {
    let size = u64::from(filter.page.size);
    let offset = filter.page.offset();
    match filter.after {
        Some(key) => {
            store
                .page_ids(filter, filter.order, PageStart::After(key), size)
                .await
        }
        // Dated lists are not marked: their ranks depend on the range asked for.
        None if offset < NEAR_END || filter.from.is_some() || filter.to.is_some() => {
            metrics::counter!("bankapi_event_pages_total", "read" => "offset").increment(1);
            store
                .page_ids(filter, filter.order, PageStart::Offset(offset), size)
                .await
        }
        None => {
            let list = (filter.customer_number.clone(), filter.kind);
            let guess = lengths.and_then(|lengths| lengths.get(&list));
            let (ids, total) = deep_page(store, filter, offset, settled_before, guess).await?;
            if let Some(lengths) = lengths {
                lengths.insert(list, total);
            }
            Ok((ids, total))
        }
    }
}

/// A page-number page far from the start of its order. Its ranks depend on the list's
/// length: with a `guess` of it (the length a page of this list saw last), the steady
/// state is one statement whose own count confirms the guess; a list that grew
/// meanwhile is read again at its new length.
async fn deep_page(
    store: &dyn EventStore,
    filter: &EventFilter,
    offset: u64,
    settled_before: DateTime<Utc>,
    guess: Option<u64>,
) -> Result<(Vec<i64>, u64), StoreError> {
    let (mut total, mut guessed) = match guess {
        Some(total) => (total, true),
        None => (store.count_events(filter).await?, false),
    };
    // A list that keeps growing under the reads ends in one self-consistent offset read.
    for _ in 0..3 {
        let Some(range) = ranks(filter.order, offset, filter.page.size, total) else {
            if guessed {
                total = store.count_events(filter).await?;
                guessed = false;
                continue;
            }
            return Ok((Vec::new(), total));
        };
        let read = read_ranks(store, filter, offset, range, total, settled_before).await?;
        if read.exact || read.total == total {
            return Ok((read.ids, read.total));
        }
        total = read.total;
        guessed = false;
    }
    unmarked_page(store, filter, offset).await
}

/// The page `offset` rows into the list in its own order, by plain offset with the count
/// beside it: right at whatever length the list has, and the only way to read a page
/// whose events are too young to be marked.
async fn unmarked_page(
    store: &dyn EventStore,
    filter: &EventFilter,
    offset: u64,
) -> Result<(Vec<i64>, u64), StoreError> {
    metrics::counter!("bankapi_event_pages_total", "read" => "unmarked").increment(1);
    let size = u64::from(filter.page.size);
    store
        .page_ids(filter, filter.order, PageStart::Offset(offset), size)
        .await
}

/// The ids a deep page read, in the page's order, with the count its statement saw.
struct RanksRead {
    ids: Vec<i64>,
    total: u64,
    /// The ids are the page at `total` whatever length the ranks were computed from.
    exact: bool,
}

/// Reads the page at `range`, ranks computed from the list length `total`, which the
/// caller checks against the count returned.
async fn read_ranks(
    store: &dyn EventStore,
    filter: &EventFilter,
    offset: u64,
    range: RankRange,
    total: u64,
    settled_before: DateTime<Utc>,
) -> Result<RanksRead, StoreError> {
    let in_order = |mut ids: Vec<i64>| {
        if filter.order == SortOrder::Desc {
            ids.reverse();
        }
        ids
    };
    if range.start < NEAR_END {
        // The oldest end is near (the last pages, newest first).
        metrics::counter!("bankapi_event_pages_total", "read" => "offset").increment(1);
        let (ids, total) = store
            .page_ids(
                filter,
                SortOrder::Asc,
                PageStart::Offset(range.start),
                range.len(),
            )
            .await?;
        return Ok(RanksRead {
            ids: in_order(ids),
            total,
            exact: false,
        });
    }
    let page = store.marked_page(filter, range.start, range.len()).await?;
    if page.mark.is_some() || page.total != total {
        // Read from a mark, or at ranks the list has moved away from: the caller reads
        // again at the new length, and no marks are walked for ranks that are stale.
        if page.mark.is_some() {
            metrics::counter!("bankapi_event_pages_total", "read" => "mark").increment(1);
        }
        return Ok(RanksRead {
            ids: in_order(page.ids),
            total: page.total,
            exact: false,
        });
    }
    let read = match mark_for(store, filter, range, settled_before).await? {
        Some(mark) => {
            metrics::counter!("bankapi_event_pages_total", "read" => "mark").increment(1);
            let start = PageStart::From {
                key: mark.key,
                skip: range.start - mark.rank,
            };
            let (ids, total) = store
                .page_ids(filter, SortOrder::Asc, start, range.len())
                .await?;
            RanksRead {
                ids: in_order(ids),
                total,
                exact: false,
            }
        }
        None => {
            // Not marked yet: the events there are younger than the settling time.
            let (ids, total) = unmarked_page(store, filter, offset).await?;
            RanksRead {
                ids,
                total,
                exact: true,
            }
        }
    };
    Ok(read)
}

/// The events of `ids`, in that order. An id with no event (none is ever deleted) is
/// left out.
async fn events_in_order(
    store: &dyn EventStore,
    ids: &[i64],
) -> Result<Vec<EventRecord>, StoreError> {
    let found = store.events_by_id(ids).await?;
    let mut by_id: HashMap<i64, EventRecord> = found.into_iter().map(|e| (e.id, e)).collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// The stored form of a count or offset (SQL integers are signed).
pub(crate) fn as_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
