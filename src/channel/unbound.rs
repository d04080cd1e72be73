//! Unbound items: what happens to an item whose sender interpreter is
//! destroyed before anyone received it.
//!
//! | policy                      | CPython            | the queued item becomes                 | a receiver gets                                 |
//! |-----------------------------|--------------------|-----------------------------------------|-------------------------------------------------|
//! | [`UnboundPolicy::Replace`]  | `UNBOUND`          | a marker (payload dropped)              | [`Received::Unbound`] with the sender's id      |
//! | [`UnboundPolicy::Error`]    | `UNBOUND_ERROR`    | a marker (payload dropped)              | [`RecvError::ItemInterpreterDestroyed`](super::RecvError::ItemInterpreterDestroyed) |
//! | [`UnboundPolicy::Remove`]   | `UNBOUND_REMOVE`   | nothing: the item leaves the queue      | the next item, as if it had never been sent     |
//!
//! In every case the payload is dropped during the interpreter's
//! finalization, under its GIL, and counted as `unbound` in the
//! [`Ledger`](super::Ledger); replace and error also count a marker made.
use crate::interp::InterpreterId;

/// What a queued item turns into when its sender interpreter is destroyed:
/// see the module docs of [`channel`](crate::channel). Set per channel at creation, and per item
/// by the `*_unbound` send variants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum UnboundPolicy {
    /// Replace the item with a marker ([`Received::Unbound`]). CPython's
    /// default (`UNBOUND`).
    #[default]
    Replace,
    /// Receiving the item fails with `ItemInterpreterDestroyed`.
    Error,
    /// Remove the item from the queue.
    Remove,
}

impl UnboundPolicy {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Replace => "replaced by UNBOUND",
            Self::Error => "replaced by an error marker",
            Self::Remove => "removed",
        }
    }
}

/// What a receive returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Received<T> {
    /// An item, as it was sent.
    Item(T),
    /// The marker left by an item whose sender interpreter (this id) was
    /// destroyed before the item was received ([`UnboundPolicy::Replace`]).
    Unbound(InterpreterId),
}

impl<T> Received<T> {
    /// The item, or `None` for an unbound marker.
    pub fn into_item(self) -> Option<T> {
        match self {
            Self::Item(t) => Some(t),
            Self::Unbound(_) => None,
        }
    }

    /// Whether this is an unbound marker.
    pub fn is_unbound(&self) -> bool {
        matches!(self, Self::Unbound(_))
    }
}

/// What a queued item holds.
pub(crate) enum Payload<T> {
    /// The item as sent.
    Value(T),
    /// An unbound marker: the sender was destroyed (policy replace).
    Unbound,
    /// An error marker: the sender was destroyed (policy error).
    Destroyed,
}

impl<T> Payload<T> {
    pub(crate) fn is_value(&self) -> bool {
        matches!(self, Self::Value(_))
    }
}
