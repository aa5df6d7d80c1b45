//! The marks that make a deep page one short statement: where a page finds the mark
//! below it, how a process adds marks (one walk at a time per list), and what an import
//! of older events invalidates.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};

use super::EventMark;
use crate::domain::page::{MARK_STRIDE, RankRange, close_enough};
use crate::domain::{CustomerNumber, EventKind};
use crate::store::page_cache::stripe_of;
use crate::store::{EventFilter, EventKey, EventRecord, EventStore, StoreError};

/// The mark a page starting at `range.start` is read from, adding marks up to it first
/// when there are none close enough.
pub(super) async fn mark_for(
    store: &dyn EventStore,
    filter: &EventFilter,
    range: RankRange,
    settled_before: DateTime<Utc>,
) -> Result<Option<EventMark>, StoreError> {
    let (customer, kind) = (&filter.customer_number, filter.kind);
    let below = store.nearest_mark(customer, kind, range.start).await?;
    if below.is_some_and(|mark| close_enough(mark.rank, range.start)) {
        return Ok(below);
    }
    // One walk at a time per list in this process: the requests that come while a long
    // list is being marked wait for it, then find their mark, instead of each walking
    // the list again. (Processes sharing PostgreSQL are serialised by the store.)
    let _marking = marking(customer, kind).lock().await;
    let below = store.nearest_mark(customer, kind, range.start).await?;
    if below.is_some_and(|mark| close_enough(mark.rank, range.start)) {
        return Ok(below);
    }
    // Marks are added in order from the oldest, so the one below is the last one. The
    // walk goes in steps, each its own statement: on SQLite a statement holds the one
    // writer, and event appends must not wait for a whole million-row walk.
    let mut below = below;
    loop {
        let from = below.map_or(0, |mark| mark.rank + 1);
        let rows = (range.start + 1).saturating_sub(from).min(WALK_STEP);
        store
            .extend_marks(customer, kind, below, settled_before, rows)
            .await?;
        metrics::counter!("bankapi_event_marks_extended_total").increment(1);
        let next = store.nearest_mark(customer, kind, range.start).await?;
        if next.is_some_and(|mark| close_enough(mark.rank, range.start)) {
            return Ok(next);
        }
        if next == below {
            // No mark added: the events there are not settled yet.
            return Ok(None);
        }
        below = next;
    }
}

/// Rows one statement of a marking walk covers at most: a multiple of the stride, so
/// each step adds marks; a few milliseconds of the SQLite writer.
const WALK_STEP: u64 = 64 * MARK_STRIDE;

/// The lock that one process's walks of a list take. Lists share locks by hash: a
/// collision only makes two walks wait for each other. Process-wide because the marks
/// are: every reader of the store shares them.
fn marking(customer: &CustomerNumber, kind: Option<EventKind>) -> &'static tokio::sync::Mutex<()> {
    const STRIPES: usize = 64;
    static LOCKS: OnceLock<Vec<tokio::sync::Mutex<()>>> = OnceLock::new();
    let locks = LOCKS.get_or_init(|| (0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect());
    &locks[stripe_of(&(customer, kind), STRIPES)]
}

/// The oldest event of each customer among `events`: an import drops every mark of that
/// customer from there on, since each of them may now count one event too few.
pub(crate) fn earliest_per_customer(events: &[EventRecord]) -> BTreeMap<CustomerNumber, EventKey> {
    let mut earliest = BTreeMap::new();
    for event in events {
        let key = EventKey {
            created_at: event.created_at,
            id: event.id,
        };
        earliest
            .entry(event.customer_number.clone())
            .and_modify(|old: &mut EventKey| *old = key.min(*old))
            .or_insert(key);
    }
    earliest
}

/// The `event_kind` a mark is stored under: marks of all kinds under the empty kind.
pub(crate) fn mark_kind(kind: Option<EventKind>) -> &'static str {
    kind.map_or("", EventKind::as_str)
}
