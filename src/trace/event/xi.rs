//! Cross-interpreter data events: heaps and refcounts (`heap.*`,
//! `refcount.*`), shares and releases (`xi.*`), views (`xiview.*`) and
//! pending calls (`pending.*`).
//!
//! Every snapshot is read from the real state in the step's own critical
//! section: a refcount from the object's slot (under the owner's GIL), a
//! free from the slot really released, a ring's length and closed flag
//! under the ring's lock, a view count from the owner's own atomic
//! operation, a teardown's counts from the heap it just emptied.
use super::Step;
use crate::xi::{Obj, XiError};
use std::fmt;

/// A pending-call ring's length and capacity, read under its lock
/// (`ring=1/300`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingLen {
    /// Calls queued.
    pub len: usize,
    /// The ring's capacity.
    pub capacity: usize,
}

impl fmt::Display for RingLen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ring={}/{}", self.len, self.capacity)
    }
}

/// How a view was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewClose {
    /// [`XiView::close`](crate::xi::XiView::close).
    Explicit,
    /// The view was dropped.
    Dropped,
}

impl fmt::Display for ViewClose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Explicit => "explicit",
            Self::Dropped => "implicit (dropped)",
        })
    }
}

/// A cross-interpreter data step.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum XiEvent {
    /// `heap.alloc -> ok`: a new object in its owner's heap.
    Alloc {
        /// The object.
        obj: Obj,
        /// Its refcount, read from its slot.
        refcnt: usize,
    },
    /// `refcount.incref -> ok`.
    Incref {
        /// The object.
        obj: Obj,
        /// The count the increment produced.
        refcnt: usize,
    },
    /// `refcount.decref -> ok`, or `freed: the last reference went`.
    Decref {
        /// The object.
        obj: Obj,
        /// The count left, read from the slot.
        refcnt: usize,
        /// The slot was really released (its value taken, its generation
        /// bumped).
        freed: bool,
    },
    /// `xi.share -> ok: the data holds a strong reference`.
    Share {
        /// The object shared.
        obj: Obj,
        /// Its refcount after the data's incref.
        refcnt: usize,
    },
    /// `xi.share -> ok: by value, no reference`.
    ShareValue {
        /// The object shared (an int).
        obj: Obj,
    },
    /// `xi.new_object -> ok: copied from I<from>`: the receiver's copy.
    NewObject {
        /// The new object, in the receiver's heap.
        obj: Obj,
        /// Its refcount, read from its slot.
        refcnt: usize,
        /// The data's owner.
        from: u64,
    },
    /// `xi.release -> direct: in the owner`.
    ReleaseDirect {
        /// The object released.
        obj: Obj,
        /// The count the decref left.
        refcnt: usize,
    },
    /// `xi.release -> refused: the owner is finalizing or gone (the
    /// reference leaks; counted)`.
    ReleaseOwnerGone {
        /// The object whose reference leaks.
        obj: Obj,
    },
    /// `xi.release -> queued as a pending call on I<owner>`.
    ReleaseQueued {
        /// The interpreter the releasing thread is attached to, if any.
        at: Option<u64>,
        /// The object released.
        obj: Obj,
    },
    /// `xi.release -> refused: I<owner>'s pending-call ring is full (data
    /// handed back)`.
    ReleaseFull {
        /// The interpreter the releasing thread is attached to, if any.
        at: Option<u64>,
        /// The object handed back.
        obj: Obj,
    },
    /// `xi.release -> I<owner>'s ring is full: switching to its GIL to
    /// release directly` (a receive of an object).
    ReleaseSwitching {
        /// The interpreter the releasing thread is attached to, if any.
        at: Option<u64>,
        /// The data's owner.
        owner: u64,
        /// The data's object (always present for a handed-back data).
        obj: Option<Obj>,
    },
    /// `xiview.open -> ok: holds the object and a guard on its owner`.
    ViewOpen {
        /// The object viewed.
        obj: Obj,
        /// The owner's open views, as its increment returned it.
        views: usize,
    },
    /// `xiview.open -> refused: the owner is finalizing or gone`.
    ViewRefused {
        /// The object.
        obj: Obj,
    },
    /// `xiview.close -> <how>: switching to the owner's GIL`.
    ViewClosing {
        /// The object viewed.
        obj: Obj,
        /// Closed explicitly or dropped.
        how: ViewClose,
    },
    /// `xiview.close -> ok: released in the owner; dropping the guard`, or
    /// `failed: <error>; dropping the guard`.
    ViewClosed {
        /// The object viewed.
        obj: Obj,
        /// The owner's open views, as its decrement returned it.
        views: usize,
        /// Why the reference could not be released, if it could not.
        error: Option<XiError>,
    },
    /// `pending.push -> ok: decref <obj>`.
    Push {
        /// The ring's interpreter.
        owner: u64,
        /// The object the queued call decrefs.
        obj: Obj,
        /// The ring after the push.
        ring: RingLen,
    },
    /// `pending.push -> refused: the ring is full`.
    PushFull {
        /// The ring's interpreter.
        owner: u64,
        /// The ring as found.
        ring: RingLen,
    },
    /// `pending.call -> failed: <error>`: a queued decref that could not
    /// run.
    CallFailed {
        /// The ring's interpreter.
        owner: u64,
        /// The object the call decrefs.
        obj: Obj,
        /// Why.
        error: XiError,
    },
    /// `pending.run -> ran N call(s)`.
    RunDone {
        /// The ring's interpreter.
        owner: u64,
        /// Calls run.
        ran: usize,
        /// The ring when the run ended.
        ring: RingLen,
    },
    /// `pending.close -> drained: no call can be queued now`.
    RingClosed {
        /// The ring's interpreter.
        owner: u64,
        /// Calls left, read under the ring's lock as it closed.
        len: usize,
        /// The ring's closed flag, read in the same critical section.
        closed: bool,
    },
    /// `heap.teardown`: every object freed; what was still referenced.
    Teardown {
        /// The heap's interpreter.
        owner: u64,
        /// Pending calls the drain ran.
        ran: usize,
        /// Live objects after the teardown (read from the heap).
        live: usize,
        /// Objects ever allocated.
        allocated: u64,
        /// Objects freed by their last decref.
        freed: u64,
        /// Objects still referenced (leaked).
        leaked: usize,
        /// Their references.
        refs: usize,
    },
}

impl XiEvent {
    /// The interpreter whose heap or ring the step is about.
    pub fn owner(&self) -> u64 {
        match *self {
            Self::Alloc { obj, .. }
            | Self::Incref { obj, .. }
            | Self::Decref { obj, .. }
            | Self::Share { obj, .. }
            | Self::ShareValue { obj }
            | Self::NewObject { obj, .. }
            | Self::ReleaseDirect { obj, .. }
            | Self::ReleaseOwnerGone { obj }
            | Self::ReleaseQueued { obj, .. }
            | Self::ReleaseFull { obj, .. }
            | Self::ViewOpen { obj, .. }
            | Self::ViewRefused { obj }
            | Self::ViewClosing { obj, .. }
            | Self::ViewClosed { obj, .. } => obj.owner().0,
            Self::ReleaseSwitching { owner, .. }
            | Self::Push { owner, .. }
            | Self::PushFull { owner, .. }
            | Self::CallFailed { owner, .. }
            | Self::RunDone { owner, .. }
            | Self::RingClosed { owner, .. }
            | Self::Teardown { owner, .. } => owner,
        }
    }

    /// The object the step names, if any.
    pub fn obj(&self) -> Option<Obj> {
        match *self {
            Self::Alloc { obj, .. }
            | Self::Incref { obj, .. }
            | Self::Decref { obj, .. }
            | Self::Share { obj, .. }
            | Self::ShareValue { obj }
            | Self::NewObject { obj, .. }
            | Self::ReleaseDirect { obj, .. }
            | Self::ReleaseOwnerGone { obj }
            | Self::ReleaseQueued { obj, .. }
            | Self::ReleaseFull { obj, .. }
            | Self::ViewOpen { obj, .. }
            | Self::ViewRefused { obj }
            | Self::ViewClosing { obj, .. }
            | Self::ViewClosed { obj, .. }
            | Self::Push { obj, .. }
            | Self::CallFailed { obj, .. } => Some(obj),
            Self::ReleaseSwitching { obj, .. } => obj,
            Self::PushFull { .. } | Self::RunDone { .. } | Self::RingClosed { .. } | Self::Teardown { .. } => None,
        }
    }
}

/// `obj#0 refcnt=2 owner=I1`.
fn counted(f: &mut fmt::Formatter<'_>, obj: Obj, refcnt: usize) -> fmt::Result {
    write!(f, "{obj} refcnt={refcnt} owner=I{}", obj.owner().0)
}

/// `obj#0 owner=I1`.
fn owned(f: &mut fmt::Formatter<'_>, obj: Obj) -> fmt::Result {
    write!(f, "{obj} owner=I{}", obj.owner().0)
}

impl Step for XiEvent {
    fn interp(&self) -> Option<u64> {
        match *self {
            Self::ReleaseQueued { at, .. } | Self::ReleaseFull { at, .. } | Self::ReleaseSwitching { at, .. } => at,
            _ => Some(self.owner()),
        }
    }

    fn op(&self) -> &str {
        match self {
            Self::Alloc { .. } => "heap.alloc",
            Self::Incref { .. } => "refcount.incref",
            Self::Decref { .. } => "refcount.decref",
            Self::Share { .. } | Self::ShareValue { .. } => "xi.share",
            Self::NewObject { .. } => "xi.new_object",
            Self::ReleaseDirect { .. }
            | Self::ReleaseOwnerGone { .. }
            | Self::ReleaseQueued { .. }
            | Self::ReleaseFull { .. }
            | Self::ReleaseSwitching { .. } => "xi.release",
            Self::ViewOpen { .. } | Self::ViewRefused { .. } => "xiview.open",
            Self::ViewClosing { .. } | Self::ViewClosed { .. } => "xiview.close",
            Self::Push { .. } | Self::PushFull { .. } => "pending.push",
            Self::CallFailed { .. } => "pending.call",
            Self::RunDone { .. } => "pending.run",
            Self::RingClosed { .. } => "pending.close",
            Self::Teardown { .. } => "heap.teardown",
        }
    }

    fn fmt_outcome(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Alloc { .. } | Self::Incref { .. } | Self::Decref { freed: false, .. } => f.write_str("ok"),
            Self::Decref { freed: true, .. } => f.write_str("freed: the last reference went"),
            Self::Share { .. } => f.write_str("ok: the data holds a strong reference"),
            Self::ShareValue { .. } => f.write_str("ok: by value, no reference"),
            Self::NewObject { from, .. } => write!(f, "ok: copied from I{from}"),
            Self::ReleaseDirect { .. } => f.write_str("direct: in the owner"),
            Self::ReleaseOwnerGone { .. } => {
                f.write_str("refused: the owner is finalizing or gone (the reference leaks; counted)")
            }
            Self::ReleaseQueued { .. } => write!(f, "queued as a pending call on I{}", self.owner()),
            Self::ReleaseFull { .. } => {
                write!(f, "refused: I{}'s pending-call ring is full (data handed back)", self.owner())
            }
            Self::ReleaseSwitching { owner, .. } => {
                write!(f, "I{owner}'s ring is full: switching to its GIL to release directly")
            }
            Self::ViewOpen { .. } => f.write_str("ok: holds the object and a guard on its owner"),
            Self::ViewRefused { .. } => f.write_str("refused: the owner is finalizing or gone"),
            Self::ViewClosing { how, .. } => write!(f, "{how}: switching to the owner's GIL"),
            Self::ViewClosed { error: None, .. } => f.write_str("ok: released in the owner; dropping the guard"),
            Self::ViewClosed { error: Some(error), .. } => write!(f, "failed: {error}; dropping the guard"),
            Self::Push { obj, .. } => write!(f, "ok: decref {obj}"),
            Self::PushFull { .. } => f.write_str("refused: the ring is full"),
            Self::CallFailed { error, .. } => write!(f, "failed: {error}"),
            Self::RunDone { ran, .. } => write!(f, "ran {ran} call(s)"),
            Self::RingClosed { .. } => f.write_str("drained: no call can be queued now"),
            Self::Teardown { ran, leaked: 0, .. } => write!(f, "no object left (ran {ran} pending call(s))"),
            Self::Teardown { leaked, refs, .. } => {
                write!(f, "leaked: {leaked} object(s) still referenced (refs={refs})")
            }
        }
    }

    fn fmt_state(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Alloc { obj, refcnt }
            | Self::Incref { obj, refcnt }
            | Self::Decref { obj, refcnt, .. }
            | Self::Share { obj, refcnt }
            | Self::NewObject { obj, refcnt, .. }
            | Self::ReleaseDirect { obj, refcnt } => counted(f, obj, refcnt),
            Self::ShareValue { obj } | Self::ViewRefused { obj } => write!(f, "{obj}"),
            Self::ReleaseOwnerGone { obj }
            | Self::ReleaseQueued { obj, .. }
            | Self::ReleaseFull { obj, .. }
            | Self::ViewClosing { obj, .. } => owned(f, obj),
            // The data's object as `Option<Obj>`'s `Debug` shows it.
            Self::ReleaseSwitching { obj, .. } => write!(f, "{obj:?}"),
            Self::ViewOpen { obj, views } | Self::ViewClosed { obj, views, .. } => {
                owned(f, obj)?;
                write!(f, " views={views}")
            }
            Self::Push { ring, .. } | Self::PushFull { ring, .. } | Self::RunDone { ring, .. } => write!(f, "{ring}"),
            Self::CallFailed { .. } => Ok(()),
            Self::RingClosed { len: 0, closed: true, .. } => f.write_str("ring=closed"),
            Self::RingClosed { len, closed, .. } => {
                write!(f, "ring={len} {}", if closed { "closed" } else { "open" })
            }
            Self::Teardown { live, allocated, freed, leaked, .. } => {
                write!(f, "live={live} allocated={allocated} freed={freed} leaked={leaked}")
            }
        }
    }
}

impl From<XiEvent> for super::EventKind {
    fn from(e: XiEvent) -> Self {
        Self::Xi(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::EventKind;

    fn columns(e: XiEvent) -> (Option<u64>, String, String, String) {
        let k = EventKind::from(e);
        let (outcome, state) = (k.outcome().to_string(), k.state().to_string());
        (k.interp(), k.op().to_owned(), outcome, state)
    }

    fn row(interp: u64, op: &str, outcome: &str, state: &str) -> (Option<u64>, String, String, String) {
        (Some(interp), op.to_owned(), outcome.to_owned(), state.to_owned())
    }

    /// The text the protocol sites printed before the events were typed,
    /// byte for byte (the golden traces depend on it).
    #[test]
    fn xi_events_render_the_recorded_text() {
        let o = Obj::from_parts(1, 0, 0);
        let o2 = Obj::from_parts(1, 3, 2);
        let id = o.owner();
        let ring = RingLen { len: 1, capacity: 300 };
        let cases = [
            (XiEvent::Alloc { obj: o, refcnt: 1 }, row(1, "heap.alloc", "ok", "obj#0 refcnt=1 owner=I1")),
            (XiEvent::Incref { obj: o, refcnt: 2 }, row(1, "refcount.incref", "ok", "obj#0 refcnt=2 owner=I1")),
            (
                XiEvent::Decref { obj: o, refcnt: 1, freed: false },
                row(1, "refcount.decref", "ok", "obj#0 refcnt=1 owner=I1"),
            ),
            (
                XiEvent::Decref { obj: o2, refcnt: 0, freed: true },
                row(1, "refcount.decref", "freed: the last reference went", "obj#3.2 refcnt=0 owner=I1"),
            ),
            (
                XiEvent::Share { obj: o, refcnt: 2 },
                row(1, "xi.share", "ok: the data holds a strong reference", "obj#0 refcnt=2 owner=I1"),
            ),
            (XiEvent::ShareValue { obj: o }, row(1, "xi.share", "ok: by value, no reference", "obj#0")),
            (
                XiEvent::NewObject { obj: Obj::from_parts(2, 0, 0), refcnt: 1, from: 1 },
                row(2, "xi.new_object", "ok: copied from I1", "obj#0 refcnt=1 owner=I2"),
            ),
            (
                XiEvent::ReleaseDirect { obj: o, refcnt: 0 },
                row(1, "xi.release", "direct: in the owner", "obj#0 refcnt=0 owner=I1"),
            ),
            (
                XiEvent::ReleaseOwnerGone { obj: o },
                row(
                    1,
                    "xi.release",
                    "refused: the owner is finalizing or gone (the reference leaks; counted)",
                    "obj#0 owner=I1",
                ),
            ),
            (
                XiEvent::ReleaseQueued { at: Some(2), obj: o },
                row(2, "xi.release", "queued as a pending call on I1", "obj#0 owner=I1"),
            ),
            (
                XiEvent::ReleaseFull { at: Some(2), obj: o },
                row(2, "xi.release", "refused: I1's pending-call ring is full (data handed back)", "obj#0 owner=I1"),
            ),
            (
                XiEvent::ReleaseSwitching { at: Some(2), owner: 1, obj: Some(Obj::from_parts(1, 4, 1)) },
                row(2, "xi.release", "I1's ring is full: switching to its GIL to release directly", "Some(obj#4.1@I1)"),
            ),
            (
                XiEvent::ViewOpen { obj: o, views: 1 },
                row(1, "xiview.open", "ok: holds the object and a guard on its owner", "obj#0 owner=I1 views=1"),
            ),
            (
                XiEvent::ViewRefused { obj: o },
                row(1, "xiview.open", "refused: the owner is finalizing or gone", "obj#0"),
            ),
            (
                XiEvent::ViewClosing { obj: o, how: ViewClose::Explicit },
                row(1, "xiview.close", "explicit: switching to the owner's GIL", "obj#0 owner=I1"),
            ),
            (
                XiEvent::ViewClosing { obj: o, how: ViewClose::Dropped },
                row(1, "xiview.close", "implicit (dropped): switching to the owner's GIL", "obj#0 owner=I1"),
            ),
            (
                XiEvent::ViewClosed { obj: o, views: 0, error: None },
                row(1, "xiview.close", "ok: released in the owner; dropping the guard", "obj#0 owner=I1 views=0"),
            ),
            (
                XiEvent::ViewClosed { obj: o, views: 0, error: Some(XiError::PendingFull(id)) },
                row(
                    1,
                    "xiview.close",
                    "failed: the pending-call ring of interpreter 1 is full; dropping the guard",
                    "obj#0 owner=I1 views=0",
                ),
            ),
            (XiEvent::Push { owner: 1, obj: o, ring }, row(1, "pending.push", "ok: decref obj#0", "ring=1/300")),
            (XiEvent::PushFull { owner: 1, ring }, row(1, "pending.push", "refused: the ring is full", "ring=1/300")),
            (
                XiEvent::CallFailed { owner: 1, obj: o, error: XiError::Freed(o) },
                row(1, "pending.call", "failed: obj#0 was freed: the handle outlived its object", ""),
            ),
            (
                XiEvent::RunDone { owner: 1, ran: 1, ring: RingLen { len: 0, capacity: 300 } },
                row(1, "pending.run", "ran 1 call(s)", "ring=0/300"),
            ),
            (
                XiEvent::RingClosed { owner: 1, len: 0, closed: true },
                row(1, "pending.close", "drained: no call can be queued now", "ring=closed"),
            ),
            (
                XiEvent::Teardown { owner: 1, ran: 2, live: 0, allocated: 3, freed: 3, leaked: 0, refs: 0 },
                row(
                    1,
                    "heap.teardown",
                    "no object left (ran 2 pending call(s))",
                    "live=0 allocated=3 freed=3 leaked=0",
                ),
            ),
            (
                XiEvent::Teardown { owner: 1, ran: 0, live: 0, allocated: 3, freed: 2, leaked: 1, refs: 2 },
                row(
                    1,
                    "heap.teardown",
                    "leaked: 1 object(s) still referenced (refs=2)",
                    "live=0 allocated=3 freed=2 leaked=1",
                ),
            ),
        ];
        for (event, expected) in cases {
            assert_eq!(columns(event), expected);
        }
    }
}
