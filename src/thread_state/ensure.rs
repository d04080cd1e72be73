//! [`ensure`] (`PyThreadState_Ensure`) and its variants: the three cases of
//! the module docs, decided on the per-thread record and carried out by
//! attaching and detaching. Each ensure pushes an entry on the record's
//! token stack; its [`Token`] undoes it (`token.rs`).
//!
//! [`Guard::with_gil`] and [`OwnedGuard::with_gil`], ensure and release
//! around a closure, are defined here rather than in `guard.rs`, so that
//! guards sit below the thread states that attach through them.
use super::attached::{attach, detach};
use super::record::{recorded, with_thread, Entry, Slot};
use super::token::{CoreRef, Token};
use crate::guard::{Guard, OwnedGuard};
use crate::guard_error::GuardError;
use crate::interp::Core;
use crate::sync::Arc;
use crate::trace::event::{EnsureCase, ThreadStateEvent};
use crate::trace_event;
use crate::Attached;
use crate::View;
use std::panic::Location;

/// What ensure does, decided on the record before any GIL is touched.
enum Plan {
    Reuse(usize),
    Reattach(usize),
    Create { previous: Option<(usize, Arc<Core>)> },
}

/// Attaches the calling thread to the guarded interpreter
/// (`PyThreadState_Ensure`): see the [module docs](super) for the three
/// cases. The token borrows the guard, so the guard outlives it.
///
/// ```
/// let runtime = xinterp::Runtime::new();
/// let sub = runtime.create()?;
/// let guard = sub.guard()?;
/// let token = xinterp::thread_state::ensure(&guard);
/// token.attached().with_state(|s| s.insert("k", 1_u8))?;
/// token.release()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A token stays on its thread, and cannot outlive the guard it borrows:
///
/// ```compile_fail,E0277
/// let runtime = xinterp::Runtime::new();
/// let guard = runtime.main().guard_owned().unwrap();
/// let token = xinterp::thread_state::ensure_owned(&guard);
/// std::thread::spawn(move || drop(token)); // error: `Token` is not `Send`
/// ```
///
/// ```compile_fail,E0505
/// let runtime = xinterp::Runtime::new();
/// let guard = runtime.main().guard().unwrap();
/// let token = xinterp::thread_state::ensure(&guard);
/// drop(guard); // error: cannot move out of `guard` because it is borrowed
/// token.release().unwrap();
/// ```
///
/// Released on the thread that took it, before its guard, it compiles:
///
/// ```
/// let runtime = xinterp::Runtime::new();
/// let guard = runtime.main().guard().unwrap();
/// let token = xinterp::thread_state::ensure(&guard);
/// token.release().unwrap();
/// drop(guard);
/// ```
pub fn ensure<'g>(guard: &'g Guard<'_>) -> Token<'g> {
    ensure_core(guard.core_arc(), None)
}

/// [`ensure`] for an [`OwnedGuard`].
pub fn ensure_owned(guard: &OwnedGuard) -> Token<'_> {
    // An owned guard is one word with no `Arc` in memory to lend: the token
    // holds a reference of its own.
    ensure_arc(guard.core_arc(), None)
}

/// Attaches the finalizer to the interpreter it finalizes, without a guard
/// (none can be taken once finalization is requested under the drain policy,
/// and none is needed: the finalizer is the one that would wait for it).
pub(crate) fn ensure_finalizer(core: &Arc<Core>) -> Token<'_> {
    ensure_core(core, None)
}

/// Attaches to `core` for a caller that keeps its finalization off by other
/// means (an owned guard it holds across the call, as a subsystem's view of
/// another interpreter's data does).
pub(crate) fn ensure_held(core: &Arc<Core>) -> Token<'_> {
    ensure_core(core, None)
}

/// Takes a guard from the view and attaches the calling thread
/// (`PyThreadState_EnsureFromView`); the guard is held until the token is
/// released. Fails if the interpreter is finalizing or gone.
#[track_caller]
pub fn ensure_from_view(view: &View) -> Result<Token<'static>, GuardError> {
    let guard = OwnedGuard::acquire(view.core(), Location::caller())?;
    let core = Arc::clone(view.core());
    Ok(ensure_arc(core, Some(guard)))
}

fn ensure_core<'g>(core: &'g Arc<Core>, hold: Option<OwnedGuard>) -> Token<'g> {
    let serial = ensure_slot(core);
    Token::new(serial, CoreRef::Borrowed(core), hold)
}

fn ensure_arc(core: Arc<Core>, hold: Option<OwnedGuard>) -> Token<'static> {
    let serial = ensure_slot(&core);
    Token::new(serial, CoreRef::Owned(core), hold)
}

fn ensure_slot(core: &Arc<Core>) -> u64 {
    let plan = with_thread(|t| {
        if let Some(a) = t.attached {
            if Arc::ptr_eq(&t.slot(a).core, core) {
                return Plan::Reuse(a);
            }
            return Plan::Create { previous: Some((a, Arc::clone(&t.slot(a).core))) };
        }
        match t.home {
            Some(h) if Arc::ptr_eq(&t.slot(h).core, core) => Plan::Reattach(h),
            _ => Plan::Create { previous: None },
        }
    });
    let (slot, previous, case) = match plan {
        Plan::Reuse(a) => (a, Some(a), EnsureCase::Reuse),
        Plan::Reattach(h) => {
            attach(h, core);
            (h, None, EnsureCase::Reattach)
        }
        Plan::Create { previous } => {
            if let Some((p, previous_core)) = &previous {
                detach(*p, previous_core);
            }
            let s = with_thread(|t| {
                let s = t.insert(Slot { core: Arc::clone(core), count: 0, owned: true });
                t.home.get_or_insert(s);
                s
            });
            attach(s, core);
            (s, previous.map(|(p, _)| p), EnsureCase::Create)
        }
    };
    let serial = with_thread(|t| {
        t.slot_mut(slot).count += 1;
        let serial = t.next_serial;
        t.next_serial += 1;
        t.tokens.push(Entry { serial, slot, previous, deferred: false });
        serial
    });
    trace_event!({
        let (count, present) = recorded(slot, core);
        ThreadStateEvent::Ensured { interp: core.id.0, case, count, present }
    });
    serial
}

impl Guard<'_> {
    /// Attaches the calling thread to the interpreter (taking its GIL), runs
    /// `f` with the proof of it, and restores the thread's previous thread
    /// state: [`thread_state::ensure`](crate::thread_state::ensure) and its
    /// release, around `f`.
    pub fn with_gil<R>(&self, f: impl FnOnce(Attached<'_>) -> R) -> R {
        let token = ensure(self);
        let result = f(token.attached());
        token.close();
        result
    }
}

impl OwnedGuard {
    /// Attaches the calling thread to the interpreter for `f`: see
    /// [`Guard::with_gil`].
    pub fn with_gil<R>(&self, f: impl FnOnce(Attached<'_>) -> R) -> R {
        let token = ensure_owned(self);
        let result = f(token.attached());
        token.close();
        result
    }
}
