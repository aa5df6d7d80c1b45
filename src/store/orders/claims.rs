//! What an engine's claim is and how its writes are guarded: the lease and fencing token
//! of a claimed order, the guard of each order's write, what became of it, and the one
//! savepoint a batch's write rolls back to when money moved under it.

use super::{OrderColumns, StoreError};

/// A claimed order's lease: until it expires, no other process claims the order, and
/// only the holder of `token` can write what the step did (fencing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// The order.
    pub order_id: i64,
    /// Its fencing token: raised by every claim and every decision that overrides one.
    pub token: i64,
}

/// One order an engine claimed.
#[derive(Debug)]
pub struct Claimed {
    /// The claim.
    pub lease: Lease,
    /// Whether no earlier order of its arrangement is still active: only then may its
    /// action run.
    pub head: bool,
    /// The order's columns, or why the row could not be read.
    pub columns: Result<OrderColumns, StoreError>,
}

impl Claimed {
    /// `claimed` oldest first, the order the engine works in (a RETURNING clause gives
    /// rows in no particular order).
    pub(crate) fn oldest_first(mut claimed: Vec<Claimed>) -> Vec<Claimed> {
        claimed.sort_by_key(|c| c.lease.order_id);
        claimed
    }
}

/// How a write of an order is guarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Only while `lease` still holds; `release` ends the claim (the step is done).
    Fenced {
        /// The claim.
        lease: Lease,
        /// Whether the lease ends with this write.
        release: bool,
    },
    /// A decision taken under the row's lock (cancel, retry, reject): it raises the
    /// fencing token, so an engine pass that still holds the old one writes nothing.
    Override,
}

/// What became of one transition of an engine batch's write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The order, its money, cards and events are written.
    Yes,
    /// The lease was lost (another process has the order, or a decision fenced it out):
    /// nothing of it is written.
    LeaseLost,
    /// A balance or account state its rules judged changed before the write (a
    /// posting's guard failed): nothing of it is written, the claim ends, and the step
    /// is judged again on fresh balances while the rest of the batch stands.
    BalanceMoved,
}

impl Written {
    /// Whether the transition was written.
    pub fn yes(self) -> bool {
        self == Self::Yes
    }
}

/// A step of the engine batch's one savepoint (see [`OrderTx::savepoint`]); the SQL is
/// the same on both backends, so it is written here once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Savepoint {
    /// Marks the transaction's state.
    Set,
    /// Undoes everything since the mark, which stays set.
    RollbackTo,
    /// Keeps what was written since the mark and forgets it.
    Release,
}

impl Savepoint {
    /// The statement.
    pub fn sql(self) -> &'static str {
        match self {
            Self::Set => "SAVEPOINT engine_batch",
            Self::RollbackTo => "ROLLBACK TO SAVEPOINT engine_batch",
            Self::Release => "RELEASE SAVEPOINT engine_batch",
        }
    }
}
