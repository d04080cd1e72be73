//! Why a cross-interpreter data operation failed: a plain value, kept apart
//! from the heap and the xi state (`heap.rs`, `mod.rs`) so that the events,
//! which record it, sit below the code that fails with it.
use super::obj::Obj;
use crate::interp::InterpreterId;
use std::fmt;

/// Why a cross-interpreter data operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum XiError {
    /// The [`Attached`](crate::Attached) proof is stale: the calling thread is not attached
    /// to its interpreter right now.
    NotAttached(InterpreterId),
    /// The object belongs to `owner`, but the calling thread holds
    /// `attached`'s GIL: touching its refcount would race (XI-2).
    WrongInterpreter {
        /// The object's owner.
        owner: InterpreterId,
        /// The interpreter the calling thread is attached to.
        attached: InterpreterId,
    },
    /// The handle outlived its object (XI-1).
    Freed(Obj),
    /// The owner's heap was torn down (the owner finalized).
    HeapGone(InterpreterId),
    /// A [`HeapSession`](super::HeapSession) is open on this thread: use it, not the proof.
    HeapBusy(InterpreterId),
    /// The data has no buffer to view (an int).
    NotABuffer,
    /// The refcount would overflow.
    Overflow(Obj),
    /// The owner has begun finalizing or is gone: the XiData's strong
    /// reference can no longer be released in it (it leaks, and is counted
    /// in [`XiStats::released_after_owner_gone`](super::XiStats::released_after_owner_gone)).
    OwnerGone(InterpreterId),
    /// The owner's pending-call ring is full (see [`Rejected`](super::Rejected)).
    PendingFull(InterpreterId),
}

impl fmt::Display for XiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAttached(id) => write!(f, "the calling thread is not attached to {id} right now"),
            Self::WrongInterpreter { owner, attached } => {
                write!(f, "the object belongs to {owner}, but the calling thread holds {attached}'s GIL")
            }
            Self::Freed(obj) => write!(f, "{obj} was freed: the handle outlived its object"),
            Self::HeapGone(id) => write!(f, "the heap of {id} was torn down"),
            Self::HeapBusy(id) => write!(f, "a heap session is open on {id} on this thread"),
            Self::NotABuffer => f.write_str("the data has no buffer to view"),
            Self::Overflow(obj) => write!(f, "the refcount of {obj} would overflow"),
            Self::OwnerGone(id) => write!(f, "{id} is finalizing or gone: the data cannot be released in it"),
            Self::PendingFull(id) => write!(f, "the pending-call ring of {id} is full"),
        }
    }
}

impl std::error::Error for XiError {}
