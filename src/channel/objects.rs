//! Objects through channels and queues: the face CPython's `_interpchannels`
//! and `_interpqueues` show Python code, on top of the generic one.
//!
//! A channel of [`XiData`] carries objects between interpreters the way
//! CPython's does: the sender converts its object to cross-interpreter data
//! in its own interpreter, the channel carries the data, and the receiver
//! builds its own object from it and releases the data **in its owner**.
//!
//! | step | here | CPython | runs in |
//! |---|---|---|---|
//! | share | [`SendChannel::send_object`] calls [`Attached::share`](crate::Attached::share) | `channel_send`: `_PyObject_GetXIData` | the sender, which owns the object (under its GIL) |
//! | carry | the generic [`send`](SendChannel::send) / [`put`](Queue::put) with the `XiData`, and the same options | `_channel_add` | the channel's lock |
//! | refused send | the data comes back and is released **directly** (the sender is attached to the owner); the caller gets its [`Obj`] back in [`SendObjectError::Send`] | `_release_xid_data(data, 0)` | the sender |
//! | build | [`RecvChannel::recv_object`] calls [`XiData::new_object`] | `channel_recv`: `_PyXIData_NewObject` | the receiver (a copy in its heap) |
//! | release | the data is released after the build, whatever the build did: directly if the receiver is the owner, else as a pending call on the owner | `_release_xid_data(data, XID_FREE)` | the owner |
//!
//! The sender keeps its own reference: [`Obj`] is a handle, and sending
//! adds the data's reference (CPython's `channel_send` does not steal one
//! either). The receiver owns the new object's one reference.
//!
//! # Where a release can go wrong, and what is counted
//!
//! | case | what happens | counted in |
//! |---|---|---|
//! | the owner's pending-call ring is full | the receiver switches to the owner's GIL under a guard, decrefs there and switches back (CPython ignores the failed `_PyEval_AddPendingCall`: the reference is lost) | [`XiStats`](crate::xi::XiStats): `pending_full` and `switched_releases` |
//! | the owner is finalizing or gone | nothing can release the reference: it leaks, and the receiver still gets its copy (CPython raises and drops the copy) | `released_after_owner_gone`; the owner's teardown counted the object in `leaked_at_teardown` |
//! | the build fails (the receiver's heap refused) | the data is released all the same and the error is returned; the item is consumed | [`RecvObjectError::NewObject`] |
//! | the calling thread cannot build objects now (a stale [`Attached`], a heap session open) | refused **before** anything is received | [`RecvObjectError::Refused`] |
//!
//! # Unbound items
//!
//! An item is charged to its sender, and through this face the sender is
//! always the object's owner. When the owner is destroyed with an item
//! still queued, finalization's step 5 (`Chan::clear_interpreter`, under
//! the finalizer's token, attached to the dying interpreter, **before** the
//! heap's teardown) applies the item's [`UnboundPolicy`] and drops the
//! payload: the `XiData`'s `Drop` finds its thread attached to the owner and
//! decrefs directly. The object is freed then, not reported as a leak; the
//! ledger counts the item as `unbound`; the receiver sees the policy's
//! marker ([`Received::Unbound`], [`RecvError::ItemInterpreterDestroyed`]) or
//! nothing ([`UnboundPolicy::Remove`]). An `XiData` sent through the
//! generic face by another interpreter than its owner is charged to that
//! sender: when the sender is destroyed, its payload is released like any
//! other drop (a pending call on the live owner).
//!
//! Page: `docs/xi.md#channels-of-objects`. Scenarios:
//! `xi::object_through_channel_dropped_on_the_other_side`,
//! `xi::sender_destroyed_with_object_in_channel` (`models/xi/mod.rs`).
use super::errors::{RecvError, SendError};
use super::unbound::Received;
use super::wait::{SendOptions, Wait};
use super::{Queue, RecvChannel, SendChannel};
use crate::xi::heap::{heap_access, HeapAccess};
use crate::xi::{Obj, XiData, XiError};
use crate::Attached;
use std::fmt;

/// Why sending (or putting) an object did not deliver it. Either way the
/// caller keeps its own reference, and the object is handed back.
#[derive(PartialEq)]
#[non_exhaustive]
pub enum SendObjectError {
    /// The object could not be shared (not the attached interpreter's, a
    /// stale handle, a stale proof, a heap session open): nothing was sent
    /// and the channel did not see it.
    Share {
        /// Why.
        error: XiError,
        /// The object, as passed.
        obj: Obj,
    },
    /// The channel refused the item or the send timed out: the data was
    /// released directly in the sender (the owner), and the object is handed
    /// back in the channel's error.
    Send(SendError<Obj>),
}

impl SendObjectError {
    /// The object that was not delivered.
    pub fn obj(&self) -> Obj {
        match self {
            Self::Share { obj, .. } => *obj,
            Self::Send(error) => *error.item(),
        }
    }
}

impl fmt::Debug for SendObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Share { error, obj } => f.debug_struct("Share").field("error", error).field("obj", obj).finish(),
            Self::Send(error) => write!(f, "Send({error:?})"),
        }
    }
}

impl fmt::Display for SendObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Share { error, obj } => write!(f, "{obj} could not be shared: {error}"),
            Self::Send(error) => fmt::Display::fmt(error, f),
        }
    }
}

impl std::error::Error for SendObjectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Share { error, .. } => Some(error),
            Self::Send(error) => Some(error),
        }
    }
}

/// Why receiving (or getting) an object returned none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecvObjectError {
    /// The calling thread cannot build objects in its interpreter now (a
    /// stale [`Attached`]: [`XiError::NotAttached`]; a heap session open:
    /// [`XiError::HeapBusy`]). Refused before receiving: nothing was taken.
    Refused(XiError),
    /// The receive itself returned nothing (the generic face's error).
    Recv(RecvError),
    /// An item was taken but the receiver's copy could not be built; its
    /// data was released in its owner all the same. The item is consumed.
    NewObject(XiError),
}

impl fmt::Display for RecvObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(error) => write!(f, "refused before receiving: {error}"),
            Self::Recv(error) => fmt::Display::fmt(error, f),
            Self::NewObject(error) => write!(f, "the item was taken but no object could be built from it: {error}"),
        }
    }
}

impl std::error::Error for RecvObjectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Refused(error) | Self::NewObject(error) => Some(error),
            Self::Recv(error) => Some(error),
        }
    }
}

/// Shares `obj` and hands the data to `send`; a refused send's data is
/// released in the sender and the object handed back.
fn send_object_with(
    py: Attached<'_>,
    obj: Obj,
    send: impl FnOnce(XiData) -> Result<(), SendError<XiData>>,
) -> Result<(), SendObjectError> {
    let data = py.share(obj).map_err(|error| SendObjectError::Share { error, obj })?;
    send(data).map_err(|refused| {
        SendObjectError::Send(refused.map(|data| {
            // The sender shared the object, so it is attached to the owner
            // (a blocking send re-attached before returning): a direct
            // decref. Were it not, a rejected release drops the data, whose
            // `Drop` retries and counts a failure.
            drop(data.release());
            obj
        }))
    })
}

/// Receives with `recv`, builds the receiver's object, releases the data.
fn recv_object_with(
    py: Attached<'_>,
    recv: impl FnOnce() -> Result<Received<XiData>, RecvError>,
) -> Result<Received<Obj>, RecvObjectError> {
    // Before taking anything: an item taken by a thread that cannot build
    // its copy could only be released.
    match heap_access(&py.core().subsystems.xi.heap) {
        HeapAccess::Attached => {}
        HeapAccess::Pinned => return Err(RecvObjectError::Refused(XiError::HeapBusy(py.interpreter_id()))),
        HeapAccess::Elsewhere => return Err(RecvObjectError::Refused(XiError::NotAttached(py.interpreter_id()))),
    }
    let data = match recv().map_err(RecvObjectError::Recv)? {
        Received::Item(data) => data,
        Received::Unbound(sender) => return Ok(Received::Unbound(sender)),
    };
    let built = data.new_object(py);
    // Released whatever the build did, as `channel_recv` does. A release
    // that fails is not the receiver's to handle: the owner finalizing or
    // gone is counted (`released_after_owner_gone`) where it is found.
    let _ = data.release_or_switch();
    built.map(Received::Item).map_err(RecvObjectError::NewObject)
}

impl SendChannel<XiData> {
    /// Sends `obj` (CPython's `channel_send`), with the options of
    /// [`send`](Self::send): shares it in the calling interpreter, which
    /// must own it, and sends the data. On failure the data is released
    /// directly and `obj` is handed back; the caller's own reference is
    /// untouched either way.
    ///
    /// ```
    /// use xinterp::channel::{self, Forever, Nowait, UnboundPolicy};
    /// use xinterp::xi::XiData;
    /// let runtime = xinterp::Runtime::new();
    /// let (a, b) = (runtime.create()?, runtime.create()?);
    /// let (rx, tx) = a.guard()?.with_gil(|py| channel::create::<XiData>(py, UnboundPolicy::Replace));
    /// a.guard()?.with_gil(|py| {
    ///     let obj = py.new_bytes(*b"spam")?;
    ///     tx.send_object(py, obj, Nowait)?;     // the channel's data holds a reference
    ///     py.decref(obj)?;                      // ours goes
    ///     Ok::<_, Box<dyn std::error::Error>>(())
    /// })?;
    /// b.guard()?.with_gil(|py| {
    ///     let copy = rx.recv_object(py, Forever)?.into_item().expect("an object, not a marker");
    ///     assert_eq!(py.decref(copy)?, 0);      // b's own copy; the data's release was queued on a
    ///     Ok::<_, Box<dyn std::error::Error>>(())
    /// })?;
    /// a.guard()?.with_gil(|py| assert_eq!(py.heap_stats().unwrap().live, 0)); // ran at this attach
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_object(
        &self,
        py: Attached<'_>,
        obj: Obj,
        options: impl Into<SendOptions>,
    ) -> Result<(), SendObjectError> {
        let options = options.into();
        send_object_with(py, obj, |data| self.send(py, data, options))
    }
}

impl RecvChannel<XiData> {
    /// Receives the next object (CPython's `channel_recv`), waiting as
    /// [`recv`](Self::recv) does: builds the receiver's own object from the
    /// data in the calling interpreter (one reference, the caller's), then
    /// releases the data in its owner. An unbound item's marker is passed
    /// through. See the module docs of [`channel`](crate::channel) for the release's failures.
    pub fn recv_object(&self, py: Attached<'_>, wait: impl Into<Wait>) -> Result<Received<Obj>, RecvObjectError> {
        let wait = wait.into();
        recv_object_with(py, || self.recv(py, wait))
    }
}

impl Queue<XiData> {
    /// Puts `obj` (PEP 734's `Queue.put`), with the options of
    /// [`put`](Self::put): shares it in the calling interpreter, which must
    /// own it. On failure the data is released directly and `obj` is handed
    /// back.
    pub fn put_object(
        &self,
        py: Attached<'_>,
        obj: Obj,
        options: impl Into<SendOptions>,
    ) -> Result<(), SendObjectError> {
        let options = options.into();
        send_object_with(py, obj, |data| self.put(py, data, options))
    }

    /// Gets the next object (PEP 734's `Queue.get`), waiting as
    /// [`get`](Self::get) does; built and released as
    /// [`RecvChannel::recv_object`].
    pub fn get_object(&self, py: Attached<'_>, wait: impl Into<Wait>) -> Result<Received<Obj>, RecvObjectError> {
        let wait = wait.into();
        recv_object_with(py, || self.get(py, wait))
    }
}
