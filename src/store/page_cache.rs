//! First pages of customers' event lists, kept in memory while nothing was written to
//! the customer's events since: the list's first page is the hottest read of the API (an
//! app opens on it), and on SQLite its one statement still costs two thread hand-offs to
//! sqlx's worker and back, about as much as the whole rest of the request.
//!
//! A cached page is only ever answered while the customer's *write generation* is the
//! one read before the page was, and the generation is read anew for every request:
//! - on SQLite, where one process sees every write, it is a counter in memory
//!   ([`WriteGenerations`]) that every commit adding events bumps for their customers
//!   after it commits and before it answers;
//! - on PostgreSQL, where other processes write too, it is the customer's event count,
//!   read from the database by a statement that started after the request arrived and
//!   shared by every request waiting at that moment ([`super::read_barrier`]).

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use quick_cache::sync::Cache;

use crate::domain::page::SortOrder;
use crate::domain::{CustomerNumber, EventKind};
use crate::store::EventFilter;

/// Customers share counters by hash: a collision only costs a needless re-read.
const STRIPES: usize = 4096;
/// Only pages this close to the top are kept: the ones that are read again and again.
const CACHED_PAGES: u32 = 5;
/// Pages kept at most (a page is a few hundred bytes of ids).
const CAPACITY: usize = 20_000;

/// Counts writes to each customer's events, in this process.
pub struct WriteGenerations {
    stripes: Box<[AtomicU64]>,
}

impl Default for WriteGenerations {
    fn default() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl WriteGenerations {
    fn stripe(&self, customer: &CustomerNumber) -> &AtomicU64 {
        &self.stripes[stripe_of(customer, STRIPES)]
    }

    /// Called after a commit that added events of these customers (or tried to: a
    /// needless bump costs one re-read, a missing one a stale page).
    pub fn bump<'a>(&self, customers: impl IntoIterator<Item = &'a CustomerNumber>) {
        for customer in customers {
            self.stripe(customer).fetch_add(1, Ordering::AcqRel);
        }
    }

    /// The customer's generation now.
    pub fn of(&self, customer: &CustomerNumber) -> u64 {
        self.stripe(customer).load(Ordering::Acquire)
    }
}

/// The stripe of `stripes` that `value` falls in: how per-customer state is shared out
/// over a fixed number of slots (counters here, locks in `event_pages`).
pub(crate) fn stripe_of(value: &impl Hash, stripes: usize) -> usize {
    let mut hasher = std::hash::DefaultHasher::new();
    value.hash(&mut hasher);
    // The modulo keeps the index in range whatever the hash.
    usize::try_from(hasher.finish() % stripes as u64).unwrap_or(0)
}

/// Which page: only plain page-number pages near the top are cached.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PageKey {
    customer: CustomerNumber,
    kind: Option<EventKind>,
    order: SortOrder,
    size: u32,
    number: u32,
}

impl PageKey {
    /// The key of `filter`'s page, if it is one that is cached.
    pub(crate) fn of(filter: &EventFilter) -> Option<Self> {
        let plain = filter.from.is_none() && filter.to.is_none() && filter.after.is_none();
        (plain && filter.page.number <= CACHED_PAGES).then(|| Self {
            customer: filter.customer_number.clone(),
            kind: filter.kind,
            order: filter.order,
            size: filter.page.size,
            number: filter.page.number,
        })
    }
}

/// A page's ids and count, as read at a generation.
pub(crate) struct CachedPage {
    pub(crate) generation: u64,
    pub(crate) ids: Vec<i64>,
    pub(crate) total: u64,
}

/// The cached pages.
pub(crate) struct PageCache {
    pages: Cache<PageKey, Arc<CachedPage>>,
}

impl Default for PageCache {
    fn default() -> Self {
        Self {
            pages: Cache::new(CAPACITY),
        }
    }
}

impl PageCache {
    /// The page if it was read at `generation`.
    pub(crate) fn get(&self, key: &PageKey, generation: u64) -> Option<Arc<CachedPage>> {
        self.pages
            .get(key)
            .filter(|page| page.generation == generation)
    }

    pub(crate) fn insert(&self, key: PageKey, page: CachedPage) {
        self.pages.insert(key, Arc::new(page));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(number: &str) -> CustomerNumber {
        CustomerNumber::parse("c", number).expect("number")
    }

    #[test]
    fn a_write_moves_its_customers_generation() {
        let generations = WriteGenerations::default();
        let (a, b) = (customer("A1"), customer("B2"));
        let before = generations.of(&a);
        generations.bump([&a]);
        assert_ne!(generations.of(&a), before);
        let b_now = generations.of(&b);
        generations.bump([&a]);
        assert_eq!(generations.of(&b), b_now, "unless they share a stripe");
    }

    #[test]
    fn a_page_read_at_an_older_generation_is_not_answered() {
        let cache = PageCache::default();
        let key = PageKey {
            customer: customer("A1"),
            kind: None,
            order: SortOrder::Desc,
            size: 20,
            number: 1,
        };
        cache.insert(
            key.clone(),
            CachedPage {
                generation: 3,
                ids: vec![9, 8],
                total: 2,
            },
        );
        assert!(cache.get(&key, 3).is_some());
        assert!(cache.get(&key, 4).is_none());
    }
}
