//! The channel face: [`create`] and the two ends.
use super::core::{Face, SendWait};
use super::end::End;
use super::errors::{CloseError, ClosedError, LookupError, RecvError, ReleaseError, SendError};
use super::ledger::Ledger;
use super::registry::{ChannelRegistry, Handle};
use super::unbound::{Received, UnboundPolicy};
use super::wait::{SendOptions, Wait};
use super::{ChannelId, Status};
use crate::interp::InterpreterId;
use crate::trace::event::{ChannelEvent, ChannelOp, Observation, Read};
use crate::Attached;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Creates a channel in the calling interpreter's runtime
/// (`_interpchannels.create(unboundop)`): `(receive end, send end)`. Items
/// whose sender interpreter is destroyed before they are received follow
/// `unbound` unless the send said otherwise. Nobody is associated yet.
///
/// ```
/// use xinterp::channel::{self, Forever, Nowait, Received, RecvError, UnboundPolicy};
/// let runtime = xinterp::Runtime::new();
/// let guard = runtime.main().guard()?;
/// guard.with_gil(|py| {
///     let (rx, tx) = channel::create::<u32>(py, UnboundPolicy::Replace);
///     tx.send(py, 7, Nowait).unwrap();
///     assert_eq!(rx.recv(py, Forever), Ok(Received::Item(7)));
///     assert_eq!(rx.recv(py, Nowait), Err(RecvError::Empty));
///     assert!(rx.ledger().is_balanced());
/// });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn create<T: Send + 'static>(py: Attached<'_>, unbound: UnboundPolicy) -> (RecvChannel<T>, SendChannel<T>) {
    let registry = &py.core().runtime.subsystems.channels;
    let (mut handles, created) = ChannelRegistry::create::<T>(registry, Face::Channel, (0, 0), unbound, 2);
    let send = SendChannel { handle: handles.pop().expect("two handles") };
    let recv = RecvChannel { handle: handles.pop().expect("two handles") };
    crate::trace_event!(ChannelEvent {
        channel: send.id().get(),
        queue: false,
        who: Some(py.interpreter_id().get()),
        op: ChannelOp::Created { maxsize: 0, policy: unbound },
        state: created,
    });
    (recv, send)
}

/// The ids of the runtime's channels that are not closed
/// (`_interpchannels.list_all()`).
pub fn list_all(py: Attached<'_>) -> Vec<ChannelId> {
    py.core().runtime.subsystems.channels.list(Face::Channel)
}

/// How long a wait of the calling interpreter's thread spins before it
/// parks: as its config says ([`Config::channel_spin`](crate::Config::channel_spin)).
pub(super) fn spin_of(py: Attached<'_>) -> crate::sync::spin::Spin {
    crate::sync::spin::Spin::when(py.core().config.channel_spin)
}

/// Which ends a channel-wide [`close`](SendChannel::close_ends) names
/// (CPython's `send=` / `recv=` keywords).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ends {
    /// `close(send=True)`: on a non-empty channel, unforced, the channel
    /// starts *closing* (new sends fail; it closes once drained).
    Send,
    /// `close(recv=True)`: refused with `NotEmpty` on a non-empty channel
    /// unless forced.
    Recv,
    /// `close()` / `close(send=True, recv=True)`: as `Recv`.
    Both,
}

/// The sending end of a channel. Cheap to clone, `Send + Sync`, usable from
/// any interpreter (pass it to another thread, or send it through a
/// channel); using it associates the calling interpreter with the send end.
pub struct SendChannel<T: Send + 'static> {
    handle: Handle<T>,
}

/// The receiving end of a channel; see [`SendChannel`].
pub struct RecvChannel<T: Send + 'static> {
    handle: Handle<T>,
}

macro_rules! common_end_api {
    ($end:expr) => {
        /// The channel's id: unique in its runtime, never reused.
        pub fn id(&self) -> ChannelId {
            self.handle.id()
        }

        /// The interpreters associated with this end now
        /// (`list_interpreters(cid, send=...)`), oldest first. A closed
        /// channel, and the send end of a closing one, answer
        /// [`ClosedError`] (CPython's `ChannelClosedError`).
        pub fn list_interpreters(&self) -> Result<Vec<InterpreterId>, ClosedError> {
            self.handle.chan.list_interpreters($end).ok_or(ClosedError(self.id()))
        }

        /// Releases the calling interpreter's association with this end
        /// (`release()` on this end): it may not use the end afterwards.
        /// When no association is left open on either end, the channel
        /// closes (queued items are dropped, blocked senders get theirs
        /// back). A second release, or a release of a closed channel, is
        /// `Closed`. To release both ends, use
        /// [`release_ends`](Self::release_ends) with [`Ends::Both`]: two
        /// releases in a row can close the channel at the first one.
        pub fn release(&self, py: Attached<'_>) -> Result<(), ReleaseError> {
            self.handle.chan.release(py.interpreter_id(), &[$end])
        }

        /// Releases the calling interpreter's association with the ends
        /// `which` names, in one step (CPython's `release(cid, send=True,
        /// recv=True)`): the channel closes only if no association is left
        /// open once both are released. Refused (`Closed`) if the channel is
        /// closed or every end named was already released by the caller.
        pub fn release_ends(&self, py: Attached<'_>, which: Ends) -> Result<(), ReleaseError> {
            self.handle.chan.release(py.interpreter_id(), which.ends())
        }

        /// Whether the calling interpreter released this end.
        pub fn is_released(&self, py: Attached<'_>) -> bool {
            self.handle.chan.released_by(py.interpreter_id(), $end)
        }

        /// Channel-wide close (`close(send, recv, force)`), for every
        /// interpreter: see [`Ends`]. An empty channel closes at once;
        /// `force` drops the queued items (counted in the ledger) and wakes
        /// blocked senders with their items back. A closed channel, or a
        /// second close of the send end while closing, is `Closed`.
        pub fn close_ends(&self, which: Ends, force: bool) -> Result<(), CloseError> {
            self.handle.chan.close(which == Ends::Send, force)
        }

        /// Whether the channel is closed (for every interpreter).
        pub fn is_closed(&self) -> bool {
            self.status() == Status::Closed
        }

        /// Open, closing, or closed.
        pub fn status(&self) -> Status {
            let status = self.handle.chan.status();
            crate::trace_event!(Observation::new(None, Read::ChannelStatus { channel: self.id().get(), status }));
            status
        }

        /// Items queued now (markers included).
        pub fn len(&self) -> usize {
            let len = self.handle.chan.len();
            crate::trace_event!(Observation::new(None, Read::ChannelLen { channel: self.id().get(), len }));
            len
        }

        /// Whether nothing is queued now.
        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }

        /// The policy of items sent without their own
        /// (`get_channel_defaults(cid)`).
        pub fn unbound_policy(&self) -> UnboundPolicy {
            self.handle.chan.unbound_policy()
        }

        /// Where every item offered to the channel went (invariant CH-1).
        pub fn ledger(&self) -> Ledger {
            self.handle.chan.ledger()
        }

        /// The capacity of the channel's buffer, in items: for tests of its
        /// shrinking (`tests/channels_soak.rs`), not part of the API.
        #[doc(hidden)]
        pub fn buffer_capacity(&self) -> usize {
            self.handle.chan.capacity()
        }
    };
}

impl<T: Send + 'static> SendChannel<T> {
    common_end_api!(End::Send);

    /// The send end of the channel `id` in the calling interpreter's
    /// runtime (how an id received from elsewhere becomes an end).
    pub fn from_id(py: Attached<'_>, id: ChannelId) -> Result<Self, LookupError> {
        ChannelRegistry::lookup(&py.core().runtime.subsystems.channels, id, Face::Channel).map(|handle| Self { handle })
    }

    /// Sends `item` (CPython's `send` and `send_nowait`). `options` is a
    /// [`SendOptions`], or anything a [`Wait`] is built from:
    ///
    /// - [`Nowait`](super::Nowait): queues the item and returns;
    /// - [`Forever`](super::Forever), a `Duration`, an `Instant`, a
    ///   [`Deadline`](crate::sync::time::Deadline): queues it and waits,
    ///   with the caller's GIL released, until a receiver has taken *that
    ///   item*. On timeout the item is withdrawn (it will never be
    ///   delivered) and handed back in [`SendError::Timeout`], unless a
    ///   receiver took it first (then `Ok`). A close while waiting hands it
    ///   back in [`SendError::Closed`].
    ///
    /// [`SendOptions::unbound`] gives this item its own unbound policy.
    pub fn send(&self, py: Attached<'_>, item: T, options: impl Into<SendOptions>) -> Result<(), SendError<T>> {
        let SendOptions { wait, unbound } = options.into();
        let who = py.interpreter_id();
        match wait.into_deadline() {
            None => self.handle.chan.send(who, item, unbound, SendWait::No),
            Some(deadline) => self.handle.chan.send(who, item, unbound, SendWait::ForReceipt(&deadline, spin_of(py))),
        }
    }

    /// CPython's `SendChannel.close(force)`: `close(send=True)`.
    pub fn close(&self, force: bool) -> Result<(), CloseError> {
        self.close_ends(Ends::Send, force)
    }
}

impl<T: Send + 'static> RecvChannel<T> {
    common_end_api!(End::Recv);

    /// The receive end of the channel `id` in the calling interpreter's
    /// runtime.
    pub fn from_id(py: Attached<'_>, id: ChannelId) -> Result<Self, LookupError> {
        ChannelRegistry::lookup(&py.core().runtime.subsystems.channels, id, Face::Channel).map(|handle| Self { handle })
    }

    /// Receives the next item (CPython's `recv` and `recv_nowait`), waiting
    /// as `wait` says with the caller's GIL released: nothing queued is
    /// [`RecvError::Empty`] under [`Nowait`](super::Nowait) (never a
    /// default that could be mistaken for an item), and
    /// [`RecvError::Timeout`] once a deadline passed.
    pub fn recv(&self, py: Attached<'_>, wait: impl Into<Wait>) -> Result<Received<T>, RecvError> {
        let deadline = wait.into().into_deadline();
        self.handle.chan.recv(py.interpreter_id(), deadline.as_ref(), spin_of(py))
    }

    /// CPython's `RecvChannel.close(force)`: `close(recv=True)`.
    pub fn close(&self, force: bool) -> Result<(), CloseError> {
        self.close_ends(Ends::Recv, force)
    }
}

impl Ends {
    fn ends(self) -> &'static [End] {
        match self {
            Self::Send => &[End::Send],
            Self::Recv => &[End::Recv],
            Self::Both => &[End::Send, End::Recv],
        }
    }
}

macro_rules! identity {
    ($end:ident) => {
        /// Two ends are equal when they are the same end of the same channel.
        impl<T: Send + 'static> PartialEq for $end<T> {
            fn eq(&self, other: &Self) -> bool {
                self.id() == other.id()
            }
        }

        impl<T: Send + 'static> Eq for $end<T> {}

        impl<T: Send + 'static> Hash for $end<T> {
            fn hash<H: Hasher>(&self, state: &mut H) {
                self.id().hash(state);
            }
        }
    };
}

identity!(SendChannel);
identity!(RecvChannel);

impl<T: Send + 'static> Clone for SendChannel<T> {
    fn clone(&self) -> Self {
        Self { handle: self.handle.clone() }
    }
}

impl<T: Send + 'static> Clone for RecvChannel<T> {
    fn clone(&self) -> Self {
        Self { handle: self.handle.clone() }
    }
}

impl<T: Send + 'static> fmt::Debug for SendChannel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendChannel").field("id", &self.id()).finish()
    }
}

impl<T: Send + 'static> fmt::Debug for RecvChannel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvChannel").field("id", &self.id()).finish()
    }
}
