//! Errors, typed per operation. A failed send or put hands its payload back
//! (`SendError<T>(T)` style); `Debug` never needs `T: Debug`.
use super::ChannelId;
use crate::interp::InterpreterId;
use std::fmt;

/// Why a send (or a queue put) did not deliver its item. Every variant
/// carries the item back: nothing is lost by a failed send.
#[non_exhaustive]
pub enum SendError<T> {
    /// The channel is closed or closing, or the calling interpreter released
    /// its send end; or, for a blocking send, the channel was closed (forced,
    /// or by the last release) while the sender waited.
    Closed(T),
    /// A bounded queue is full (a `put` with `Nowait`, or a blocking
    /// put whose deadline passed, as PEP 734's `QueueFull`).
    Full(T),
    /// The deadline passed before a receiver took the item; it was withdrawn
    /// from the channel and will never be delivered.
    Timeout(T),
}

impl<T> SendError<T> {
    /// The item that was not delivered.
    pub fn into_inner(self) -> T {
        match self {
            Self::Closed(t) | Self::Full(t) | Self::Timeout(t) => t,
        }
    }

    /// A reference to the item that was not delivered.
    pub fn item(&self) -> &T {
        match self {
            Self::Closed(t) | Self::Full(t) | Self::Timeout(t) => t,
        }
    }

    /// The same failure, with the item mapped by `f` (how the object face
    /// turns a refused [`XiData`](crate::xi::XiData) back into the caller's
    /// object, in `objects.rs`).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> SendError<U> {
        match self {
            Self::Closed(t) => SendError::Closed(f(t)),
            Self::Full(t) => SendError::Full(f(t)),
            Self::Timeout(t) => SendError::Timeout(f(t)),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Closed(_) => "Closed",
            Self::Full(_) => "Full",
            Self::Timeout(_) => "Timeout",
        }
    }
}

impl<T> PartialEq for SendError<T> {
    /// Compares the kind of failure, not the items.
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(..)", self.name())
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Closed(_) => "the channel is closed: the item was not sent",
            Self::Full(_) => "the queue is full: the item was not sent",
            Self::Timeout(_) => "timed out before a receiver took the item: it was withdrawn",
        })
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Why a receive (or a queue get) returned no item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecvError {
    /// The channel is closed, or the calling interpreter released its
    /// receive end.
    Closed,
    /// Nothing to receive (`recv_nowait`, `get_nowait`, or a queue `get`
    /// whose deadline passed, as PEP 734's `QueueEmpty`).
    Empty,
    /// The deadline passed with nothing to receive.
    Timeout,
    /// The next item's sender interpreter was destroyed and the item's
    /// unbound policy is [`UnboundPolicy::Error`](super::UnboundPolicy::Error):
    /// the item is consumed and this is reported instead.
    ItemInterpreterDestroyed(InterpreterId),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed => f.write_str("the channel is closed"),
            Self::Empty => f.write_str("nothing to receive"),
            Self::Timeout => f.write_str("timed out with nothing to receive"),
            Self::ItemInterpreterDestroyed(id) => write!(f, "the item's sender, {id}, was destroyed"),
        }
    }
}

impl std::error::Error for RecvError {}

/// Why a channel-wide close refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseError {
    /// Already closed (or, for closing the send end, already closing).
    Closed,
    /// Items are queued and the close was neither forced nor of the send end
    /// only ("may not be closed if not empty (try force=True)").
    NotEmpty,
}

impl fmt::Display for CloseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Closed => "the channel is already closed",
            Self::NotEmpty => "the channel may not be closed while items are queued (force it, or close the send end)",
        })
    }
}

impl std::error::Error for CloseError {}

/// Why releasing an end refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReleaseError {
    /// The channel is closed, or the calling interpreter already released
    /// this end.
    Closed,
}

impl fmt::Display for ReleaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the channel is closed, or this end was already released by this interpreter")
    }
}

impl std::error::Error for ReleaseError {}

/// Why an id did not resolve to an end or a queue (`from_id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookupError {
    /// No channel (or queue) with this id exists in this runtime: never
    /// created, another runtime's id, or destroyed when its last handle was
    /// dropped.
    NotFound(ChannelId),
    /// The id names a channel (or queue) of another item type than the one
    /// asked for.
    WrongItemType {
        /// The id looked up.
        id: ChannelId,
        /// The item type asked for.
        expected: &'static str,
    },
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound(id) => write!(f, "{id} not found"),
            Self::WrongItemType { id, expected } => write!(f, "{id} does not carry items of type {expected}"),
        }
    }
}

impl std::error::Error for LookupError {}

/// The channel is closed (a read that CPython refuses on a closed channel,
/// as `list_interpreters`, answers this: `ChannelClosedError`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClosedError(pub ChannelId);

impl fmt::Display for ClosedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is closed", self.0)
    }
}

impl std::error::Error for ClosedError {}
