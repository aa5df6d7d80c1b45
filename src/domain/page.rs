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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
