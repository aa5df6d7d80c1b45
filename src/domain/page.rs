//! Which slice of a list is asked for, and in which direction: what the stores need to
//! know of paging, kept apart from how the HTTP layer reads it from a query string.

/// Default page size.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Largest page number a client may ask for: its offset still fits 32 bits.
pub const MAX_PAGE_NUMBER: u32 = u32::MAX / MAX_PAGE_SIZE;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Items per page, 1..=100.
    pub size: u32,
    /// 1-based page number.
    pub number: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            size: DEFAULT_PAGE_SIZE,
            number: 1,
        }
    }
}

impl PageRequest {
    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        u64::from(self.number - 1) * u64::from(self.size)
    }
}

/// Direction of a sorted list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortOrder {
    /// Oldest or smallest first.
    Asc,
    /// Newest or largest first: the default everywhere.
    #[default]
    Desc,
}

impl SortOrder {
    /// The literal used in links.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

/// A page-number page is found from the nearest *mark*: a stored (rank, key) pair every
/// this many events of a customer's list, counted from the oldest. A deep page then skips
/// fewer than this many rows, however deep it is: each skipped row is an index entry
/// (and, on PostgreSQL, often a visibility check), so the stride is what a deep page
/// costs more than page 1. 64 keeps that within a few percent (a million events make
/// about 16,000 marks of a few dozen bytes).
pub const MARK_STRIDE: u64 = 64;

/// Pages that start this close to either end of a list are read by plain offset from
/// that end: a walk of up to this many index entries costs about what the mark path's
/// lookup and skip do, and needs no marks.
pub const NEAR_END: u64 = 4 * MARK_STRIDE;

/// The rows of a list a page covers, as ranks counted from the oldest (0-based,
/// half-open). Ranks from the oldest stay put as new events arrive (they are newer than
/// every event already there), which is what lets a mark be stored and reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankRange {
    /// The first rank in the page.
    pub start: u64,
    /// One past the last.
    pub end: u64,
}

impl RankRange {
    /// Rows in the page.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Whether the page holds no row.
    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }
}

/// The ranks of the page that starts `offset` rows into a list of `total` rows sorted in
/// `order`, or `None` when the page lies past the end.
pub fn ranks(order: SortOrder, offset: u64, size: u32, total: u64) -> Option<RankRange> {
    if offset >= total {
        return None;
    }
    let size = u64::from(size);
    Some(match order {
        SortOrder::Asc => RankRange {
            start: offset,
            end: offset.saturating_add(size).min(total),
        },
        SortOrder::Desc => {
            let end = total - offset;
            RankRange {
                start: end.saturating_sub(size),
                end,
            }
        }
    })
}

/// The mark at or below `rank`, if the rows from it to `rank` are few enough to skip.
pub fn close_enough(mark_rank: u64, rank: u64) -> bool {
    mark_rank <= rank && rank - mark_rank < MARK_STRIDE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascending_ranks_are_the_offset() {
        let range = ranks(SortOrder::Asc, 40, 20, 1000).expect("inside");
        assert_eq!((range.start, range.end, range.len()), (40, 60, 20));
        let last = ranks(SortOrder::Asc, 990, 20, 1000).expect("inside");
        assert_eq!((last.start, last.end), (990, 1000));
        assert_eq!(ranks(SortOrder::Asc, 1000, 20, 1000), None);
    }

    #[test]
    fn descending_ranks_count_back_from_the_newest() {
        // Page 1 newest first: the 20 newest, ranks 980..1000.
        let first = ranks(SortOrder::Desc, 0, 20, 1000).expect("inside");
        assert_eq!((first.start, first.end), (980, 1000));
        // The last page of 1000 at 30 a page (page 34) is short: ranks 0..10.
        let last = ranks(SortOrder::Desc, 990, 30, 1000).expect("inside");
        assert_eq!((last.start, last.end, last.len()), (0, 10, 10));
        assert_eq!(ranks(SortOrder::Desc, 1000, 20, 1000), None);
        assert_eq!(ranks(SortOrder::Desc, 0, 20, 0), None);
    }

    #[test]
    fn a_mark_is_used_only_when_less_than_a_stride_below() {
        let mark = 8 * MARK_STRIDE;
        assert!(close_enough(mark, mark));
        assert!(close_enough(mark, mark + MARK_STRIDE - 1));
        assert!(!close_enough(mark, mark + MARK_STRIDE));
        assert!(!close_enough(mark + MARK_STRIDE, mark));
    }
}
