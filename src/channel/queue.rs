//! The queue face (PEP 734 `concurrent.interpreters.Queue`): the channel
//! core with a `maxsize`, without association or close.
use super::core::{Face, SendWait};
use super::errors::{LookupError, RecvError, SendError};
use super::ledger::Ledger;
use super::registry::{ChannelRegistry, Handle};
use super::unbound::{Received, UnboundPolicy};
use super::wait::{SendOptions, Wait};
use super::ChannelId;
use crate::trace::event::{ChannelEvent, ChannelOp, Observation, Read};
use crate::Attached;
use std::fmt;
use std::num::NonZeroUsize;

/// A queue's capacity: unbounded, or a bound. Built from a
/// [`NonZeroUsize`], an `Option<NonZeroUsize>` (`None`: unbounded),
/// [`MaxSize::UNBOUNDED`], or CPython's integer with [`MaxSize::python`]
/// (which keeps the integer as given, as CPython's `Queue.maxsize` does).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MaxSize {
    /// The bound; `None`: unbounded.
    bound: Option<NonZeroUsize>,
    /// The value CPython would store and show.
    given: isize,
}

impl MaxSize {
    /// No bound (CPython's `maxsize=0`).
    pub const UNBOUNDED: Self = Self { bound: None, given: 0 };

    /// CPython's `create_queue(maxsize)`: `maxsize <= 0` is unbounded, and
    /// the value is kept as given ([`Queue::python_maxsize`] shows `-10`
    /// for `-10`).
    pub fn python(maxsize: isize) -> Self {
        Self { bound: usize::try_from(maxsize).ok().and_then(NonZeroUsize::new), given: maxsize }
    }

    /// The bound; `None`: unbounded.
    pub fn bound(self) -> Option<NonZeroUsize> {
        self.bound
    }
}

impl From<NonZeroUsize> for MaxSize {
    fn from(bound: NonZeroUsize) -> Self {
        Self { bound: Some(bound), given: isize::try_from(bound.get()).unwrap_or(isize::MAX) }
    }
}

impl From<Option<NonZeroUsize>> for MaxSize {
    fn from(bound: Option<NonZeroUsize>) -> Self {
        bound.map_or(Self::UNBOUNDED, Self::from)
    }
}

/// A cross-interpreter FIFO queue. Cheap to clone, `Send + Sync`; every
/// clone is the same queue (clones compare equal). `put` returns once the
/// item is queued (it does not wait for a receiver, unlike a channel's
/// `send`).
///
/// ```
/// use xinterp::channel::{MaxSize, Nowait, Queue, Received, SendError, UnboundPolicy};
/// use std::time::Duration;
/// let runtime = xinterp::Runtime::new();
/// let guard = runtime.main().guard()?;
/// guard.with_gil(|py| {
///     let queue = Queue::<&str>::create(py, MaxSize::python(1), UnboundPolicy::Remove);
///     queue.put(py, "a", Nowait).unwrap();
///     assert!(matches!(queue.put(py, "b", Nowait), Err(SendError::Full("b"))));
///     assert_eq!(queue.get(py, Duration::from_secs(1)), Ok(Received::Item("a")));
/// });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Queue<T: Send + 'static> {
    handle: Handle<T>,
}

impl<T: Send + 'static> Queue<T> {
    /// Creates a queue in the calling interpreter's runtime
    /// (`interpreters.create_queue(maxsize)`); see [`MaxSize`].
    pub fn create(py: Attached<'_>, maxsize: impl Into<MaxSize>, unbound: UnboundPolicy) -> Self {
        let maxsize = maxsize.into();
        let bound = maxsize.bound.map_or(0, NonZeroUsize::get);
        let registry = &py.core().runtime.subsystems.channels;
        let (mut handles, created) =
            ChannelRegistry::create::<T>(registry, Face::Queue, (bound, maxsize.given), unbound, 1);
        let handle = handles.pop().expect("one handle");
        crate::trace_event!(ChannelEvent {
            channel: handle.id().get(),
            queue: true,
            who: Some(py.interpreter_id().get()),
            op: ChannelOp::Created { maxsize: bound, policy: unbound },
            state: created,
        });
        Self { handle }
    }

    /// The queue `id` in the calling interpreter's runtime.
    pub fn from_id(py: Attached<'_>, id: ChannelId) -> Result<Self, LookupError> {
        ChannelRegistry::lookup(&py.core().runtime.subsystems.channels, id, Face::Queue).map(|handle| Self { handle })
    }

    /// The ids of the runtime's queues.
    pub fn list_all(py: Attached<'_>) -> Vec<ChannelId> {
        py.core().runtime.subsystems.channels.list(Face::Queue)
    }

    /// Its id (unique among the runtime's channels and queues).
    pub fn id(&self) -> ChannelId {
        self.handle.id()
    }

    /// Its bound; `None`: unbounded.
    pub fn maxsize(&self) -> Option<NonZeroUsize> {
        NonZeroUsize::new(self.handle.chan.maxsize().0)
    }

    /// Its `maxsize` as CPython stores and shows it (`Queue.maxsize`): the
    /// integer given at creation, so `-10` for a queue created with `-10`
    /// (unbounded); `0` for unbounded otherwise.
    pub fn python_maxsize(&self) -> isize {
        self.handle.chan.maxsize().1
    }

    /// Items queued now (`qsize()`).
    pub fn len(&self) -> usize {
        let len = self.handle.chan.len();
        crate::trace_event!(Observation::new(None, Read::ChannelLen { channel: self.id().get(), len }));
        len
    }

    /// Whether nothing is queued now (`empty()`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a bounded queue is full now (`full()`).
    pub fn is_full(&self) -> bool {
        self.maxsize().is_some_and(|max| self.len() >= max.get())
    }

    /// Puts `item` (PEP 734's `put` and `put_nowait`). `options` is a
    /// [`SendOptions`], or anything a [`Wait`] is built from: a full bounded
    /// queue refuses at once under [`Nowait`](super::Nowait), else the put
    /// waits (GIL released) for space until the deadline. Full then is
    /// [`SendError::Full`] with the item back (PEP 734's `QueueFull`).
    /// [`SendOptions::unbound`] gives this item its own unbound policy.
    pub fn put(&self, py: Attached<'_>, item: T, options: impl Into<SendOptions>) -> Result<(), SendError<T>> {
        let SendOptions { wait, unbound } = options.into();
        let who = py.interpreter_id();
        match wait.into_deadline() {
            None => self.handle.chan.send(who, item, unbound, SendWait::No),
            Some(deadline) => self.handle.chan.send(who, item, unbound, SendWait::ForSpace(&deadline)),
        }
    }

    /// Gets the next item (PEP 734's `get` and `get_nowait`), waiting as
    /// `wait` says (GIL released); nothing by then is [`RecvError::Empty`]
    /// (PEP 734's `QueueEmpty`, for a timeout as for `get_nowait`).
    pub fn get(&self, py: Attached<'_>, wait: impl Into<Wait>) -> Result<Received<T>, RecvError> {
        let deadline = wait.into().into_deadline();
        match self.handle.chan.recv(py.interpreter_id(), deadline.as_ref(), super::ends::spin_of(py)) {
            Err(RecvError::Timeout) => Err(RecvError::Empty),
            other => other,
        }
    }

    /// The policy of items put without their own (`get_queue_defaults`).
    pub fn unbound_policy(&self) -> UnboundPolicy {
        self.handle.chan.unbound_policy()
    }

    /// Where every item offered to the queue went (invariant CH-1).
    pub fn ledger(&self) -> Ledger {
        self.handle.chan.ledger()
    }

    /// The capacity of the queue's buffer, in items: for tests of its
    /// shrinking (`tests/channels_soak.rs`), not part of the API.
    #[doc(hidden)]
    pub fn buffer_capacity(&self) -> usize {
        self.handle.chan.capacity()
    }
}

/// Two queue handles are equal when they are the same queue.
impl<T: Send + 'static> PartialEq for Queue<T> {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl<T: Send + 'static> Eq for Queue<T> {}

impl<T: Send + 'static> std::hash::Hash for Queue<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

impl<T: Send + 'static> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Self { handle: self.handle.clone() }
    }
}

impl<T: Send + 'static> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue").field("id", &self.id()).field("maxsize", &self.maxsize()).finish()
    }
}
