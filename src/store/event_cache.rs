//! An in-memory cache of events by id, in front of either backend.
//!
//! Events never change once registered (the API has no update or delete), so a cached
//! event can never be stale, on one process or on many sharing PostgreSQL: no
//! invalidation is needed. Mobile and web banking read the same recent events again and
//! again (the list, then each one opened), and a read from the database costs far more
//! than the rest of the request: on SQLite each query is a hand-off to sqlx's worker
//! thread and back, on PostgreSQL a network round trip. The cache is bounded by bytes,
//! not entries, because event XML varies from a few hundred bytes to the XML limit.
//! Only found events are cached: an id that does not exist yet may exist a moment later.
//! Access control is untouched: handlers check ownership on whatever this returns.

use std::sync::Arc;

use async_trait::async_trait;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use chrono::{DateTime, Utc};

use super::event_pages::{EventMark, MarkedPage, PageStart};
use super::{EventFilter, EventRecord, EventStore, IdempotencyKey, NewEvent, Recorded, StoreError};
use crate::domain::page::SortOrder;
use crate::domain::{CustomerNumber, EventKind};

/// Rough bytes of the record besides its strings.
const RECORD_OVERHEAD: u64 = 96;
/// Typical cached event, to size the cache's table up front.
const TYPICAL_EVENT_BYTES: u64 = 1024;

/// Weighs an entry by the memory it holds.
#[derive(Clone)]
struct ByBytes;

impl Weighter<i64, Arc<EventRecord>> for ByBytes {
    fn weight(&self, _: &i64, record: &Arc<EventRecord>) -> u64 {
        let text = record.xml.len() + record.description.as_ref().map_or(0, String::len);
        RECORD_OVERHEAD + text as u64
    }
}

/// An [`EventStore`] that answers `get_event` from memory when it can.
pub struct CachedEvents {
    inner: Arc<dyn EventStore>,
    cache: Cache<i64, Arc<EventRecord>, ByBytes>,
}

impl CachedEvents {
    /// Caches up to about `max_bytes` of events read through `inner`.
    pub fn new(inner: Arc<dyn EventStore>, max_bytes: u64) -> Self {
        let items = usize::try_from(max_bytes / TYPICAL_EVENT_BYTES)
            .unwrap_or(usize::MAX)
            .max(1);
        Self {
            inner,
            cache: Cache::with_weighter(items, max_bytes.max(1), ByBytes),
        }
    }
}

#[async_trait]
impl EventStore for CachedEvents {
    async fn append_event(
        &self,
        event: NewEvent,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<Recorded<i64>, StoreError> {
        self.inner.append_event(event, idempotency).await
    }

    async fn import_events(&self, events: &[EventRecord]) -> Result<(), StoreError> {
        self.inner.import_events(events).await
    }

    async fn get_event(&self, id: i64) -> Result<Option<EventRecord>, StoreError> {
        if let Some(hit) = self.cache.get(&id) {
            metrics::counter!("bankapi_event_cache_hits_total").increment(1);
            return Ok(Some(EventRecord::clone(&hit)));
        }
        metrics::counter!("bankapi_event_cache_misses_total").increment(1);
        let found = self.inner.get_event(id).await?;
        if let Some(record) = &found {
            self.cache.insert(id, Arc::new(record.clone()));
        }
        Ok(found)
    }

    async fn page_ids(
        &self,
        filter: &EventFilter,
        order: SortOrder,
        start: PageStart,
        limit: u64,
    ) -> Result<(Vec<i64>, u64), StoreError> {
        self.inner.page_ids(filter, order, start, limit).await
    }

    async fn marked_page(
        &self,
        filter: &EventFilter,
        rank: u64,
        len: u64,
    ) -> Result<MarkedPage, StoreError> {
        self.inner.marked_page(filter, rank, len).await
    }

    async fn count_events(&self, filter: &EventFilter) -> Result<u64, StoreError> {
        self.inner.count_events(filter).await
    }

    /// A list page's events: the ones in memory from there, the rest in one read, which
    /// then stay in memory (a list is usually followed by opening its events).
    async fn events_by_id(&self, ids: &[i64]) -> Result<Vec<EventRecord>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            match self.cache.get(id) {
                Some(hit) => found.push(EventRecord::clone(&hit)),
                None => missing.push(*id),
            }
        }
        metrics::counter!("bankapi_event_cache_hits_total").increment(found.len() as u64);
        if missing.is_empty() {
            return Ok(found);
        }
        metrics::counter!("bankapi_event_cache_misses_total").increment(missing.len() as u64);
        for record in self.inner.events_by_id(&missing).await? {
            self.cache.insert(record.id, Arc::new(record.clone()));
            found.push(record);
        }
        Ok(found)
    }

    async fn nearest_mark(
        &self,
        customer: &CustomerNumber,
        kind: Option<EventKind>,
        rank: u64,
    ) -> Result<Option<EventMark>, StoreError> {
        self.inner.nearest_mark(customer, kind, rank).await
    }

    async fn extend_marks(
        &self,
        customer: &CustomerNumber,
        kind: Option<EventKind>,
        anchor: Option<EventMark>,
        settled_before: DateTime<Utc>,
        rows: u64,
    ) -> Result<(), StoreError> {
        self.inner
            .extend_marks(customer, kind, anchor, settled_before, rows)
            .await
    }

    async fn generation(&self, customer: &CustomerNumber) -> Option<u64> {
        self.inner.generation(customer).await
    }

    async fn is_empty(&self) -> Result<bool, StoreError> {
        self.inner.is_empty().await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::Utc;

    use super::*;
    use crate::domain::{CustomerNumber, EventKind};

    /// Holds one event (id 7) and counts reads.
    struct Counting {
        reads: AtomicUsize,
        xml: String,
    }

    #[async_trait]
    impl EventStore for Counting {
        async fn append_event(
            &self,
            _: NewEvent,
            _: Option<&IdempotencyKey>,
        ) -> Result<Recorded<i64>, StoreError> {
            Ok(Recorded::Created(8))
        }
        async fn import_events(&self, _: &[EventRecord]) -> Result<(), StoreError> {
            Ok(())
        }
        async fn get_event(&self, id: i64) -> Result<Option<EventRecord>, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            Ok((id == 7 || id == 9).then(|| EventRecord {
                id,
                customer_number: CustomerNumber::parse("c", "1400269").expect("number"),
                kind: EventKind::SecurityEvent,
                created_at: Utc::now(),
                description: None,
                xml: self.xml.clone(),
            }))
        }
        async fn page_ids(
            &self,
            _: &EventFilter,
            _: SortOrder,
            _: PageStart,
            _: u64,
        ) -> Result<(Vec<i64>, u64), StoreError> {
            Ok((Vec::new(), 0))
        }
        async fn count_events(&self, _: &EventFilter) -> Result<u64, StoreError> {
            Ok(0)
        }
        async fn marked_page(
            &self,
            _: &EventFilter,
            _: u64,
            _: u64,
        ) -> Result<MarkedPage, StoreError> {
            Ok(MarkedPage {
                total: 0,
                mark: None,
                ids: Vec::new(),
            })
        }
        /// One read per call, whatever the number of ids.
        async fn events_by_id(&self, ids: &[i64]) -> Result<Vec<EventRecord>, StoreError> {
            let mut found = Vec::new();
            for id in ids {
                found.extend(self.get_event(*id).await?);
            }
            self.reads
                .fetch_sub(ids.len().saturating_sub(1), Ordering::SeqCst);
            Ok(found)
        }
        async fn nearest_mark(
            &self,
            _: &CustomerNumber,
            _: Option<EventKind>,
            _: u64,
        ) -> Result<Option<EventMark>, StoreError> {
            Ok(None)
        }
        async fn extend_marks(
            &self,
            _: &CustomerNumber,
            _: Option<EventKind>,
            _: Option<EventMark>,
            _: DateTime<Utc>,
            _: u64,
        ) -> Result<(), StoreError> {
            Ok(())
        }
        async fn generation(&self, _: &CustomerNumber) -> Option<u64> {
            None
        }
        async fn is_empty(&self) -> Result<bool, StoreError> {
            Ok(false)
        }
    }

    fn store(xml_bytes: usize) -> Arc<Counting> {
        Arc::new(Counting {
            reads: AtomicUsize::new(0),
            xml: "x".repeat(xml_bytes),
        })
    }

    #[tokio::test]
    async fn a_found_event_is_read_from_the_database_once() {
        let inner = store(100);
        let cached = CachedEvents::new(inner.clone(), 1 << 20);
        let first = cached.get_event(7).await.expect("ok");
        let again = cached.get_event(7).await.expect("ok");
        assert!(first.is_some());
        assert_eq!(first, again);
        assert_eq!(inner.reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_page_reads_only_what_is_not_in_memory_and_in_one_read() {
        let inner = store(100);
        let cached = CachedEvents::new(inner.clone(), 1 << 20);
        cached.get_event(7).await.expect("ok");
        let page = cached.events_by_id(&[7, 9, 8]).await.expect("ok");
        let mut ids: Vec<i64> = page.iter().map(|e| e.id).collect();
        ids.sort_unstable();
        assert_eq!(ids, [7, 9], "the one that does not exist is left out");
        assert_eq!(
            inner.reads.load(Ordering::SeqCst),
            2,
            "7 once, then 9 and 8 together"
        );
        cached.events_by_id(&[7, 9]).await.expect("ok");
        assert_eq!(inner.reads.load(Ordering::SeqCst), 2, "both now in memory");
    }

    #[tokio::test]
    async fn a_missing_event_is_asked_for_every_time() {
        let inner = store(100);
        let cached = CachedEvents::new(inner.clone(), 1 << 20);
        assert!(cached.get_event(8).await.expect("ok").is_none());
        assert!(cached.get_event(8).await.expect("ok").is_none());
        assert_eq!(inner.reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn the_byte_budget_bounds_what_is_kept() {
        // Room for one event of 10 kB, not two.
        let inner = store(10_000);
        let cached = CachedEvents::new(inner.clone(), 15_000);
        for _ in 0..3 {
            cached.get_event(7).await.expect("ok");
            cached.get_event(9).await.expect("ok");
        }
        assert!(
            inner.reads.load(Ordering::SeqCst) > 2,
            "both cannot stay cached"
        );
    }
}
