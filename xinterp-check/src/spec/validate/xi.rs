//! Cross-interpreter data events ([`XiEvent`]: `heap.*`, `refcount.*`,
//! `xi.*`, `xiview.*`, `pending.*`) replayed on the xi model
//! ([`Heaps`](crate::spec::xi::Heaps)), with the lifecycle model consulted
//! for what xi leaves to it. The events are typed: nothing here reads text.
//!
//! Heap events (alloc, incref, decref, a pending call, teardown) are
//! recorded by a thread holding the owner's GIL, right after the change:
//! per owner they are in effect order and are replayed as recorded. A few
//! steps are recorded a little after their effect, with nothing else
//! recorded by that thread in between, so the search may let them take
//! effect earlier: a push (recorded after the ring's lock is dropped), a
//! ring's close, a view's open and close (the owner's view count is an
//! atomic), and the *take* of a run (the runner takes the whole ring, then
//! records each call's decref).
//!
//! Checked against the lifecycle model:
//!
//! - **XI-2.** Every heap event's thread holds the owner's GIL (it is
//!   attached to the owner), as the GIL steps recorded it.
//! - **Teardown.** The ring's close and the heap's teardown are the
//!   finalizer's, once finalization began.
use super::model::Model;
use super::step::Entry;
use super::transition::Transition as Tr;
use crate::spec::lifecycle::Disallowed;
use crate::spec::xi::{CloseFailure, ObjName};
use crate::trace::event::XiEvent;
use xinterp::xi::{Obj, XiError};
use xinterp::Phase;

/// A decref (or a failed call) that a run of pending calls made: the N
/// such events just before the run's `pending.run -> ran N` (see
/// `mark_pending_calls` in `validate.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunCall {
    /// The run's size, on its first call, whose first action is the take
    /// of the whole ring.
    pub take: Option<usize>,
}

/// An xi event ready for replay: the event, and whether a run of pending
/// calls made it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XiStep {
    /// The event as recorded.
    pub event: XiEvent,
    /// `Some` for a call of a run of pending calls.
    pub call: Option<RunCall>,
}

impl XiStep {
    /// How many atomic actions the step is: a run's first call is the
    /// take of the ring, then the call.
    pub fn actions(&self) -> u8 {
        match self.call {
            Some(RunCall { take: Some(_) }) => 2,
            _ => 1,
        }
    }

    /// Whether action `action` may take effect before the events recorded
    /// ahead of it (see the module docs).
    pub fn movable(&self, action: u8) -> bool {
        if let Some(RunCall { take: Some(_) }) = self.call {
            return action == 0;
        }
        matches!(
            self.event,
            XiEvent::Push { .. } | XiEvent::RingClosed { .. } | XiEvent::ViewOpen { .. } | XiEvent::ViewClosed { .. }
        )
    }
}

/// The model's name for an object.
fn name(obj: Obj) -> ObjName {
    ObjName { index: obj.index(), generation: obj.generation() }
}

/// Why a view's close could not release its reference, as the model knows
/// it; `None` for an error the model does not know.
fn close_failure(error: XiError) -> Option<CloseFailure> {
    match error {
        XiError::Freed(_) => Some(CloseFailure::Freed),
        XiError::PendingFull(_) => Some(CloseFailure::RingFull),
        _ => None,
    }
}

/// The replay step of an xi event; `Err` for an outcome the model does not
/// know (a failure it has no rule for, a switching release with no
/// object).
pub fn step(event: &XiEvent) -> Result<XiStep, String> {
    let unknown = || {
        format!(
            "outcome `{}` of `{}` is not one the xi model knows",
            event_outcome(event),
            xinterp::trace::Step::op(event)
        )
    };
    match *event {
        XiEvent::CallFailed { error, .. } if !matches!(error, XiError::Freed(_)) => return Err(unknown()),
        XiEvent::ViewClosed { error: Some(error), .. } if close_failure(error).is_none() => return Err(unknown()),
        XiEvent::ReleaseSwitching { obj: None, .. } => return Err(unknown()),
        _ => {}
    }
    Ok(XiStep { event: event.clone(), call: None })
}

/// The event's outcome column, for a message.
fn event_outcome(event: &XiEvent) -> String {
    crate::trace::EventKind::Xi(event.clone()).outcome().to_string()
}

fn rule(rule: &'static str, expected: impl Into<String>) -> Disallowed {
    Disallowed::new(rule, expected)
}

/// XI-2: thread `e.thread` holds `owner`'s GIL (is attached to it).
fn check_attached(model: &Model, e: &Entry, owner: u64) -> Result<(), Disallowed> {
    let holding = model.life.thread_ref(e.thread).and_then(|t| t.holding);
    if holding != Some(owner) {
        let now = holding.map_or_else(|| "to nothing".to_owned(), |h| format!("to interpreter {h}"));
        return Err(rule("XI-2", format!("the thread attached to I{owner} (holding its GIL), not {now}")));
    }
    Ok(())
}

/// The ring's close and the teardown: by the finalizer, once Finalizing.
fn check_finalizing(model: &Model, e: &Entry, owner: u64) -> Result<(), Disallowed> {
    let it = model.life.existing(owner)?;
    it.check_finalizer(e.thread)?;
    if it.phase != Phase::Finalizing {
        return Err(rule("XI-4", format!("I{owner}'s teardown once its finalization began (phase {})", it.phase)));
    }
    Ok(())
}

/// XI-3: the count the event read from the object is the model's.
fn refcnt_is(recorded: usize, model: usize) -> Result<(), Disallowed> {
    if recorded != model {
        return Err(rule("XI-3", format!("refcnt={model} after the step")));
    }
    Ok(())
}

/// XI-3: the slot was released exactly when the model's count reached 0.
fn freed_is(obj: Obj, freed: bool, model: usize) -> Result<(), Disallowed> {
    match (freed, model) {
        (true, 0) | (false, 1..) => Ok(()),
        (false, 0) => Err(rule("XI-3", format!("{obj} of I{} freed: its last reference went", obj.owner().get()))),
        (true, n) => Err(rule("XI-3", format!("{obj} of I{} still alive (refcnt={n})", obj.owner().get()))),
    }
}

/// The transition an xi step's action takes (the model's rule for the
/// event, by its outcome).
pub fn transition(step: &XiStep, action: u8) -> Option<Tr> {
    Some(match (&step.event, step.call) {
        (XiEvent::Decref { .. } | XiEvent::CallFailed { .. }, Some(RunCall { take: Some(_) })) if action == 0 => {
            Tr::RunTake
        }
        (XiEvent::Alloc { .. }, _) => Tr::Alloc,
        (XiEvent::Incref { .. }, _) => Tr::Incref,
        (XiEvent::Decref { freed: false, .. }, None) => Tr::Decref,
        (XiEvent::Decref { .. }, None) => Tr::DecrefFreed,
        (XiEvent::Decref { freed: false, .. }, Some(_)) => Tr::CallDecref,
        (XiEvent::Decref { .. }, Some(_)) => Tr::CallDecrefFreed,
        (XiEvent::CallFailed { .. }, _) => Tr::CallFailed,
        (XiEvent::Share { .. }, _) => Tr::Share,
        (XiEvent::ShareValue { .. }, _) => Tr::ShareValue,
        (XiEvent::NewObject { .. }, _) => Tr::NewObject,
        (XiEvent::ReleaseDirect { .. }, _) => Tr::ReleaseDirect,
        (XiEvent::ReleaseOwnerGone { .. }, _) => Tr::ReleaseOwnerGone,
        (XiEvent::ReleaseQueued { .. }, _) => Tr::ReleaseQueued,
        (XiEvent::ReleaseFull { .. }, _) => Tr::ReleaseFull,
        (XiEvent::ReleaseSwitching { .. }, _) => Tr::ReleaseSwitching,
        (XiEvent::ViewOpen { .. }, _) => Tr::ViewOpen,
        (XiEvent::ViewRefused { .. }, _) => Tr::ViewRefused,
        (XiEvent::ViewClosing { .. }, _) => Tr::ViewClosing,
        (XiEvent::ViewClosed { error: None, .. }, _) => Tr::ViewClosed,
        (XiEvent::ViewClosed { error: Some(error), .. }, _) => match close_failure(*error)? {
            CloseFailure::Freed => Tr::ViewCloseFreed,
            CloseFailure::RingFull => Tr::ViewCloseRingFull,
        },
        (XiEvent::Push { .. }, _) => Tr::Push,
        (XiEvent::PushFull { .. }, _) => Tr::PushFull,
        (XiEvent::RunDone { .. }, _) => Tr::RunDone,
        (XiEvent::RingClosed { .. }, _) => Tr::RingClosed,
        (XiEvent::Teardown { leaked: 0, .. }, _) => Tr::Teardown,
        (XiEvent::Teardown { .. }, _) => Tr::TeardownLeaked,
        // Rejected by `apply`: no transition.
        _ => return None,
    })
}

/// Applies action `action` of an xi event.
pub fn apply(model: &mut Model, e: &Entry, step: &XiStep, action: u8) -> Result<(), Disallowed> {
    let t = e.thread;
    let owner = step.event.owner();
    let heaps = &mut model.xi;
    match (&step.event, step.call) {
        (XiEvent::Decref { .. } | XiEvent::CallFailed { .. }, Some(RunCall { take: Some(n) })) if action == 0 => {
            heaps.take(t, owner, n)
        }
        (&XiEvent::Alloc { obj, refcnt }, _) => {
            check_attached(model, e, owner)?;
            model.xi.alloc(t, owner, name(obj))?;
            refcnt_is(refcnt, 1)
        }
        (&XiEvent::Incref { obj, refcnt }, _) => {
            check_attached(model, e, owner)?;
            let n = model.xi.incref(t, owner, name(obj))?;
            refcnt_is(refcnt, n)
        }
        (&XiEvent::Decref { obj, refcnt, freed }, call) => {
            check_attached(model, e, owner)?;
            let n = match call {
                None => model.xi.decref(t, owner, name(obj))?,
                Some(_) => model.xi.call(t, owner, name(obj))?,
            };
            refcnt_is(refcnt, n)?;
            freed_is(obj, freed, n)
        }
        (&XiEvent::CallFailed { obj, .. }, _) => {
            check_attached(model, e, owner)?;
            model.xi.call_failed(t, owner, name(obj))
        }
        (&XiEvent::Share { obj, refcnt }, _) => heaps.share(t, owner, name(obj), refcnt),
        (&XiEvent::ShareValue { obj }, _) => heaps.share_value(owner, name(obj)),
        (&XiEvent::NewObject { obj, refcnt, from }, _) => {
            heaps.new_object(t, owner, name(obj), from)?;
            refcnt_is(refcnt, 1)
        }
        (&XiEvent::ReleaseDirect { obj, refcnt }, _) => heaps.release_direct(t, owner, name(obj), refcnt),
        (&XiEvent::ReleaseOwnerGone { obj }, _) => heaps.release_owner_gone(owner, name(obj)),
        (&XiEvent::ReleaseQueued { obj, .. }, _) => heaps.release_queued(t, owner, name(obj)),
        (&XiEvent::ReleaseFull { obj, .. }, _) => heaps.release_full(owner, name(obj)),
        (&XiEvent::ReleaseSwitching { obj, .. }, _) => {
            let obj = obj.ok_or_else(|| rule("TR-2", "the event to name its object"))?;
            heaps.release_switching(owner, name(obj))
        }
        (&XiEvent::ViewOpen { obj, views }, _) => heaps.open_view(owner, name(obj), views),
        (&XiEvent::ViewRefused { obj }, _) => heaps.view_refused(owner, name(obj)),
        (&XiEvent::ViewClosing { obj, .. }, _) => heaps.begin_close(t, owner, name(obj)),
        (&XiEvent::ViewClosed { obj, views, error }, _) => {
            let failure = match error {
                None => None,
                Some(error) => Some(close_failure(error).ok_or_else(|| rule("TR-2", "a failure the xi model knows"))?),
            };
            heaps.end_close(t, owner, name(obj), views, failure)
        }
        (&XiEvent::Push { obj, ring, .. }, _) => heaps.push(t, owner, name(obj), ring.len, ring.capacity),
        (&XiEvent::PushFull { ring, .. }, _) => heaps.push_full(owner, ring.len, ring.capacity),
        (&XiEvent::RunDone { ran, ring, .. }, _) => heaps.run_done(t, owner, ran, ring.len, ring.capacity),
        (&XiEvent::RingClosed { len, closed, .. }, _) => {
            check_finalizing(model, e, owner)?;
            model.xi.close_ring(owner)?;
            if len != 0 || !closed {
                let now = if closed { "closed" } else { "open" };
                return Err(rule(
                    "XI-3",
                    format!("I{owner}'s ring empty and closed (ring=closed), not ring={len} {now}"),
                ));
            }
            Ok(())
        }
        (&XiEvent::Teardown { live, leaked, refs, allocated, freed, .. }, _) => {
            check_finalizing(model, e, owner)?;
            check_attached(model, e, owner)?;
            if live != 0 {
                return Err(rule("XI-3", format!("no object of I{owner} live after its teardown (live={live})")));
            }
            model.xi.teardown(owner, leaked, refs, allocated, freed)
        }
        // A step newer than these rules fails loudly, not silently.
        (event, _) => Err(rule("TR-2", format!("an xi step the model has a rule for, not {event:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::event::RingLen;

    fn obj(owner: u64, index: u32, generation: u32) -> Obj {
        Obj::from_parts(owner, index, generation)
    }

    #[test]
    fn xi_events_become_steps() {
        let d = step(&XiEvent::Decref { obj: obj(1, 3, 2), refcnt: 0, freed: true }).unwrap();
        assert_eq!((d.event.owner(), d.call, d.actions()), (1, None, 1));
        assert_eq!(name(obj(1, 3, 2)), ObjName { index: 3, generation: 2 });
        let p = step(&XiEvent::Push { owner: 1, obj: obj(1, 4, 0), ring: RingLen { len: 1, capacity: 300 } }).unwrap();
        assert!(p.movable(0));
        let f = XiEvent::CallFailed { owner: 1, obj: obj(1, 0, 0), error: XiError::Freed(obj(1, 0, 0)) };
        assert!(step(&f).is_ok());
        let c = XiEvent::ViewClosed {
            obj: obj(1, 0, 0),
            views: 0,
            error: Some(XiError::PendingFull(obj(1, 0, 0).owner())),
        };
        assert!(step(&c).is_ok());
        assert_eq!(close_failure(XiError::PendingFull(obj(1, 0, 0).owner())), Some(CloseFailure::RingFull));
        // Outcomes the model does not know.
        let busy = XiError::HeapBusy(obj(1, 0, 0).owner());
        assert!(step(&XiEvent::CallFailed { owner: 1, obj: obj(1, 0, 0), error: busy }).is_err());
        assert!(step(&XiEvent::ViewClosed { obj: obj(1, 0, 0), views: 0, error: Some(busy) }).is_err());
        assert!(step(&XiEvent::ReleaseSwitching { at: Some(2), owner: 1, obj: None }).is_err());
        // A run's first call is two actions, the take movable.
        let first = XiStep { call: Some(RunCall { take: Some(2) }), ..d };
        assert_eq!((first.actions(), first.movable(0), first.movable(1)), (2, true, false));
    }
}
