//! Cross-interpreter data (CPython's `_PyXIData_t`): an object on its way
//! from its owner to another interpreter.
//!
//! | step | call | runs in | trace op |
//! |---|---|---|---|
//! | 1. share | [`Attached::share`] | the owner (attached): incref, record the owner | `xi.share` |
//! | 2. hand over | move the [`XiData`] (a channel, a mutex slot, a thread spawn) | anywhere: it is `Send + 'static` | (the carrier's) |
//! | 3. build | [`XiData::new_object`] (a copy in the receiver's heap) or [`XiData::into_view`] (a view on the owner's buffer) | the receiver | `xi.new_object`, `xiview.open` |
//! | 4. release | [`XiData::release`] (or `Drop`) | anywhere: the decref happens in the owner | `xi.release` |
//!
//! Release decides where the decref runs:
//!
//! | the releasing thread | release does | result |
//! |---|---|---|
//! | is attached to the owner | decrefs now, under the GIL it holds | [`Released::Direct`] |
//! | is not, and a guard on the owner is granted | queues the decref on the owner's pending-call ring under that guard | [`Released::Pending`] |
//! | the ring is full | nothing; hands the XiData back | [`Rejected`] with [`XiError::PendingFull`] |
//! | the owner is finalizing or gone (guard refused) | nothing can release it: it leaks, counted in [`XiStats::released_after_owner_gone`](super::XiStats) (and the owner's teardown counted the object in `leaked_at_teardown`) | [`XiError::OwnerGone`] |
//! | the data carries no object (an int) | nothing to release | [`Released::Nothing`] |
//!
//! # Races considered
//!
//! - *Release vs the owner's finalization.* The decref is queued under a
//!   guard, so either the guard is granted and the push happens before the
//!   owner can enter Finalizing (teardown then drains it), or it is refused
//!   and the release reports [`XiError::OwnerGone`]. There is no window in
//!   which a call is queued on a ring nobody will run: the naive
//!   check-then-push is the known bug `xi::bug_pending_after_owner_gone`.
//! - *Release vs the owner's own decrefs.* The decref never runs outside the
//!   owner's GIL: either the releaser holds it (direct) or the owner's next
//!   GIL holder runs it (pending). The naive versions, decref under the
//!   receiver's GIL, are `xi::bug_receiver_decref_use_after_free` and
//!   `xi::bug_send_incref_receiver_decref_leak`.
//! - *Drop.* An XiData dropped without `release` is released by `Drop`;
//!   if that fails (full ring, owner gone), the leak is counted in
//!   [`XiStats::dropped_unreleased`](super::XiStats).
//!
//! # Orderings
//!
//! No atomics of its own: the share happens under the owner's GIL; the hand
//! over is the carrier's synchronization; a direct release is under the
//! owner's GIL; a pending release goes through the ring mutex and then the
//! owner's GIL. The guard taken for the push is the lifecycle word's
//! (`src/interp/lifecycle.rs`).
use super::access;
use super::heap::{heap_access, HeapAccess};
use super::heap::{Bytes, GilHeld, Value};
use super::pending::Call;
use super::{Obj, XiError, XiView};
use crate::guard::OwnedGuard;
use crate::interp::InterpreterId;
use crate::sync::atomic::Ordering;
use crate::thread_state;
use crate::trace::event::XiEvent;
use crate::trace_event;
use crate::{Attached, View};
use std::fmt;
use std::panic::Location;

/// An object shared with another interpreter: a strong reference to it
/// (for objects), its data, and its owner. `Send + 'static`, so a channel
/// can carry it.
///
/// ```
/// use xinterp::xi::Released;
/// let runtime = xinterp::Runtime::new();
/// let (a, b) = (runtime.create()?, runtime.create()?);
/// let (ga, gb) = (a.guard()?, b.guard()?);
/// let data = ga.with_gil(|py| {
///     let obj = py.new_bytes(*b"spam")?;
///     let data = py.share(obj)?;       // refcnt 2: ours and the data's
///     py.decref(obj)?;                 // ours goes; the data keeps it alive
///     Ok::<_, xinterp::xi::XiError>(data)
/// })?;
/// gb.with_gil(|py| {
///     let copy = data.new_object(py)?;        // b's own object
///     assert_eq!(data.release().unwrap(), Released::Pending); // queued on a
///     py.decref(copy)
/// })?;
/// // The next thread to hold a's GIL runs the queued decref.
/// ga.with_gil(|py| assert_eq!(py.heap_stats().unwrap().live, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct XiData {
    owner: View,
    /// The strong reference, for objects; `None` for values (ints) and once
    /// released.
    obj: Option<Obj>,
    value: Value,
}

/// How an [`XiData`] was released.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Released {
    /// It carried no object reference (an int).
    Nothing,
    /// The releasing thread was attached to the owner: decref'd at once.
    Direct,
    /// Queued as a pending call on the owner, run when a thread of the
    /// owner next holds its GIL.
    Pending,
}

/// An operation refused, with the [`XiData`] handed back.
pub struct Rejected {
    /// Why.
    pub error: XiError,
    /// The data, unreleased.
    pub data: XiData,
}

impl fmt::Debug for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rejected").field("error", &self.error).field("data", &self.data).finish()
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for Rejected {}

impl Attached<'_> {
    /// Shares `obj` with other interpreters (`_PyObject_GetXIData`): the
    /// data holds a new strong reference (bytes) or the value (ints, which
    /// cross with no reference), and the owner's id. `obj` must belong to
    /// the attached interpreter.
    pub fn share(&self, obj: Obj) -> Result<XiData, XiError> {
        if obj.owner() != self.interpreter_id() {
            return Err(XiError::WrongInterpreter { owner: obj.owner(), attached: self.interpreter_id() });
        }
        let value = self.value(obj)?;
        let held = match value {
            Value::Bytes(_) => {
                let refcnt = self.incref(obj)?;
                trace_event!(XiEvent::Share { obj, refcnt });
                Some(obj)
            }
            Value::Int(_) => {
                trace_event!(XiEvent::ShareValue { obj });
                None
            }
        };
        Ok(XiData { owner: self.view(), obj: held, value })
    }
}

impl XiData {
    /// The interpreter that owns the object.
    pub fn owner(&self) -> InterpreterId {
        self.owner.interpreter_id()
    }

    /// The object this data holds a reference to (`None` for a value).
    pub fn object(&self) -> Option<Obj> {
        self.obj
    }

    /// Builds the receiver's own object from the data
    /// (`_PyXIData_NewObject`): a copy of the bytes, or the int, in the
    /// heap of the interpreter `py` is attached to. The data still holds
    /// its reference: [`release`](Self::release) it afterwards.
    pub fn new_object(&self, py: Attached<'_>) -> Result<Obj, XiError> {
        let value = match &self.value {
            Value::Bytes(bytes) => Value::Bytes(Bytes::copy_of(bytes)),
            Value::Int(v) => Value::Int(*v),
        };
        let (obj, refcnt) = py.new_object(value)?;
        trace_event!(XiEvent::NewObject { obj, refcnt, from: self.owner().0 });
        Ok(obj)
    }

    /// Opens a view on the owner's buffer, which keeps the owner's object
    /// (this data's reference moves into the view) and the owner itself
    /// (a guard) alive until the view is closed. Refused, with the data
    /// handed back, if the owner is finalizing or the data is not a buffer.
    #[track_caller]
    pub fn into_view(mut self) -> Result<XiView, Rejected> {
        let (Some(obj), Value::Bytes(bytes)) = (self.obj, &self.value) else {
            return Err(Rejected { error: XiError::NotABuffer, data: self });
        };
        let bytes = bytes.clone();
        let guard = match OwnedGuard::acquire(self.owner.core(), Location::caller()) {
            Ok(guard) => guard,
            Err(_) => {
                let owner = self.owner();
                trace_event!(XiEvent::ViewRefused { obj });
                return Err(Rejected { error: XiError::OwnerGone(owner), data: self });
            }
        };
        // The reference moves into the view: nothing is left for `Drop`.
        self.obj = None;
        Ok(XiView::open(obj, bytes, guard))
    }

    /// Releases the data's strong reference in its owner
    /// (`_PyXIData_Release`): see the [module docs](self) for where the
    /// decref runs. A full ring hands the data back.
    #[track_caller]
    pub fn release(mut self) -> Result<Released, Rejected> {
        let location = Location::caller();
        match self.release_inner(location) {
            Ok(released) => Ok(released),
            Err(XiError::PendingFull(owner)) => Err(Rejected { error: XiError::PendingFull(owner), data: self }),
            Err(error) => {
                // Owner gone: the reference can never be released. Counted,
                // and the data is consumed (nothing more to try).
                self.obj = None;
                Err(Rejected { error, data: self })
            }
        }
    }

    /// [`release`](Self::release) for a receiver that must not lose the
    /// reference to a full ring (`recv_object`, `get_object` in
    /// `channel/objects.rs`): if the owner's ring is full, the calling
    /// thread takes a guard on the owner, switches to its GIL
    /// (`thread_state::ensure_from_view`, which also runs the calls queued
    /// there), decrefs directly, and switches back. Counted in
    /// [`XiStats::switched_releases`](super::XiStats) (and, for the
    /// refused push, `pending_full`). CPython's `_Py_CallInInterpreter`
    /// ignores a failed `_PyEval_AddPendingCall` instead ("XXX Emit a
    /// warning if this fails?"): the reference is lost.
    ///
    /// Not switched, and left to `Drop` (which counts a failure), when a
    /// heap session is open on this thread: switching would release its GIL
    /// (XI-2). The other failures are [`release`](Self::release)'s: the
    /// owner finalizing or gone is counted where it is found.
    #[track_caller]
    pub(crate) fn release_or_switch(self) -> Result<Released, XiError> {
        let location = Location::caller();
        let Rejected { error, data } = match self.release() {
            Ok(released) => return Ok(released),
            Err(rejected) => rejected,
        };
        if !matches!(error, XiError::PendingFull(_)) || access::heap_pinned() {
            // Owner gone: the data is already consumed (counted). A heap
            // session: `Drop` retries the push and counts a failure.
            drop(data);
            return Err(error);
        }
        data.release_switching(location)
    }

    /// The switch of [`release_or_switch`](Self::release_or_switch).
    fn release_switching(mut self, location: &'static Location<'static>) -> Result<Released, XiError> {
        let owner = self.owner();
        let obj = self.obj;
        trace_event!(XiEvent::ReleaseSwitching { at: thread_state::current_id().map(|c| c.0), owner: owner.0, obj });
        let token = match thread_state::ensure_from_view(&self.owner) {
            Ok(token) => token,
            // The owner began finalizing since the push was refused: as a
            // refused guard in `release_inner`.
            Err(_) => return Err(self.leak_owner_gone()),
        };
        // Attached to the owner now: `release_inner` decrefs directly.
        let released = self.release_inner(location);
        drop(token);
        if released.is_ok() {
            self.owner.core().runtime.subsystems.xi.switched_releases.fetch_add(1, Ordering::Relaxed);
        }
        released
    }

    /// The owner refused the guard a release needs (finalizing or gone):
    /// nothing can release the reference any more. It leaks, counted in
    /// `released_after_owner_gone`, and leaves `self.obj`.
    fn leak_owner_gone(&mut self) -> XiError {
        let owner = self.owner();
        if let Some(obj) = self.obj.take() {
            self.owner.core().runtime.subsystems.xi.released_after_owner_gone.fetch_add(1, Ordering::Relaxed);
            trace_event!(XiEvent::ReleaseOwnerGone { obj });
        }
        XiError::OwnerGone(owner)
    }

    /// The release; on success (and on owner gone) the reference is gone
    /// from `self.obj`.
    fn release_inner(&mut self, location: &'static Location<'static>) -> Result<Released, XiError> {
        let Some(obj) = self.obj else {
            return Ok(Released::Nothing);
        };
        let core = self.owner.core();
        let owner = core.id;
        let current = thread_state::current_id();
        // Compared by core, not by id: ids are unique only within a runtime.
        // Inside a heap session of the owner (`Pinned`) the decref is queued
        // like any other, rather than alias the session's borrow.
        if heap_access(&core.subsystems.xi.heap) == HeapAccess::Attached {
            // Attached to the owner (its GIL is held by this thread): the
            // decref happens here and now.
            self.obj = None;
            let refcnt = core.subsystems.xi.heap.decref(GilHeld::checked(core), obj)?;
            trace_event!(XiEvent::ReleaseDirect { obj, refcnt });
            return Ok(Released::Direct);
        }
        // Not in the owner: queue the decref on the owner's ring, under a
        // guard so that the owner cannot begin finalizing (and its teardown
        // drain) before the call is queued.
        let guard = match OwnedGuard::acquire(core, location) {
            Ok(guard) => guard,
            Err(_) => return Err(self.leak_owner_gone()),
        };
        let pushed = core.subsystems.xi.pending.push(core, Call::Decref(obj));
        drop(guard);
        match pushed {
            Ok(_) => {
                self.obj = None;
                trace_event!(XiEvent::ReleaseQueued { at: current.map(|c| c.0), obj });
                Ok(Released::Pending)
            }
            Err(_) => {
                core.runtime.subsystems.xi.pending_full.fetch_add(1, Ordering::Relaxed);
                trace_event!(XiEvent::ReleaseFull { at: current.map(|c| c.0), obj });
                Err(XiError::PendingFull(owner))
            }
        }
    }
}

impl Drop for XiData {
    fn drop(&mut self) {
        if self.obj.is_none() {
            return;
        }
        if self.release_inner(Location::caller()).is_err() {
            let stats = &self.owner.core().runtime.subsystems.xi;
            stats.dropped_unreleased.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl fmt::Debug for XiData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XiData")
            .field("owner", &self.owner())
            .field("obj", &self.obj)
            .field("value", &self.value)
            .finish()
    }
}
