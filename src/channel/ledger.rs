//! The ledger: where every item offered to a channel went.
//!
//! Plain counters kept under the channel's lock, bumped by the same code
//! that moves the item, so reading them costs one lock and keeping them
//! costs a few additions. Invariant CH-1 (`docs/invariants.md`):
//!
//! ```text
//! offered = refused + received + withdrawn + returned + dropped + unbound + queued
//! ```
//!
//! Every payload handed to a send or put is counted once in `offered` and,
//! at any moment, in exactly one of the buckets on the right. Markers left
//! by unbound items (`UNBOUND`, `ItemInterpreterDestroyed`) are not payloads:
//! they are counted on their own line (`markers_made` = `markers_received` +
//! `markers_dropped` + `markers_queued`).
use std::fmt;

/// Counters of one channel or queue: see the module docs of [`channel`](crate::channel).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ledger {
    /// Payloads handed to a send or put.
    pub offered: u64,
    /// Handed back at once by a failed send (closed, closing, released by
    /// the caller, full).
    pub refused: u64,
    /// Delivered to a receiver.
    pub received: u64,
    /// Taken back by a blocking sender whose deadline passed first.
    pub withdrawn: u64,
    /// Handed back to a blocked sender woken by a close (forced, or the
    /// last release) before a receiver took its item.
    pub returned: u64,
    /// Dropped by a forced close (or a close by the last release) with
    /// nobody waiting for them.
    pub dropped: u64,
    /// Dropped because the sender's interpreter was destroyed before the
    /// item was received (whatever the unbound policy; a marker may remain).
    pub unbound: u64,
    /// Still in the queue.
    pub queued: u64,
    /// Markers made from unbound items (policies replace and error).
    pub markers_made: u64,
    /// Markers delivered to receivers.
    pub markers_received: u64,
    /// Markers dropped by a close.
    pub markers_dropped: u64,
    /// Markers still in the queue.
    pub markers_queued: u64,
}

impl Ledger {
    /// Payloads that entered the channel (offered and not refused).
    pub fn accepted(&self) -> u64 {
        self.offered.saturating_sub(self.refused)
    }

    /// Everything the offered payloads are accounted for by.
    pub fn accounted(&self) -> u64 {
        self.refused + self.received + self.withdrawn + self.returned + self.dropped + self.unbound + self.queued
    }

    /// Whether both equations hold (invariant CH-1).
    pub fn is_balanced(&self) -> bool {
        self.offered == self.accounted()
            && self.markers_made == self.markers_received + self.markers_dropped + self.markers_queued
    }

    /// `Ok` if balanced, else the counters in an [`Unbalanced`] (whose
    /// `Display` names CH-1).
    pub fn check(&self) -> Result<(), Unbalanced> {
        if self.is_balanced() {
            Ok(())
        } else {
            Err(Unbalanced(*self))
        }
    }
}

/// A ledger that does not balance (invariant CH-1 violated): the counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unbalanced(pub Ledger);

impl fmt::Display for Unbalanced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invariant CH-1 violated: the ledger does not balance: {}", self.0)
    }
}

impl std::error::Error for Unbalanced {}

impl fmt::Display for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "offered={} = refused={} received={} withdrawn={} returned={} dropped={} unbound={} queued={}",
            self.offered,
            self.refused,
            self.received,
            self.withdrawn,
            self.returned,
            self.dropped,
            self.unbound,
            self.queued
        )?;
        if self.markers_made > 0 {
            write!(
                f,
                "; markers={} = received={} dropped={} queued={}",
                self.markers_made, self.markers_received, self.markers_dropped, self.markers_queued
            )?;
        }
        Ok(())
    }
}
