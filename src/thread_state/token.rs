//! [`Token`]: what [`ensure`](super::ensure) returns, and its release
//! (`PyThreadState_Release`): innermost first, counting −1, deleting a
//! thread state ensure created when its count reaches zero, and restoring
//! the thread state attached before. A token dropped out of order is
//! marked deferred and released when the inner ones are.
use super::attached::{attach, detach, Attached};
use super::record::{recorded, with_thread, Entry};
use crate::guard::OwnedGuard;
use crate::interp::{Core, InterpreterId};
use crate::sync::Arc;
use crate::trace::event::ThreadStateEvent;
use crate::trace_event;
use std::fmt;
use std::marker::PhantomData;

/// The interpreter a token attached to: borrowed from its guard, or owned
/// (`ensure_from_view`, whose token holds its own guard).
pub(super) enum CoreRef<'g> {
    Borrowed(&'g Arc<Core>),
    Owned(Arc<Core>),
}

/// What [`ensure`](super::ensure) returns: the calling thread is attached until it is
/// released (`PyThreadStateToken`). Dropping it releases it.
#[must_use = "dropping the token releases the thread state at once"]
pub struct Token<'g> {
    serial: u64,
    core: CoreRef<'g>,
    /// An implicit guard (`ensure_from_view`), released after the thread
    /// state, so the interpreter stays guarded until the thread detached.
    _implicit_guard: Option<OwnedGuard>,
    /// Released explicitly: `Drop` has nothing left to do.
    done: bool,
    _not_send: PhantomData<*const ()>,
}

impl<'g> Token<'g> {
    pub(super) fn new(serial: u64, core: CoreRef<'g>, hold: Option<OwnedGuard>) -> Self {
        Self { serial, core, _implicit_guard: hold, done: false, _not_send: PhantomData }
    }
}

impl Token<'_> {
    fn core(&self) -> &Arc<Core> {
        match &self.core {
            CoreRef::Borrowed(core) => core,
            CoreRef::Owned(core) => core,
        }
    }

    /// The interpreter this token attached to.
    pub fn interpreter_id(&self) -> InterpreterId {
        self.core().id
    }

    /// The proof that the thread is attached.
    pub fn attached(&self) -> Attached<'_> {
        Attached::new(self.core())
    }

    /// Releases the thread state (`PyThreadState_Release`): counts −1,
    /// deletes it if ensure created it and the count reached zero, and
    /// restores the thread state that was attached before. Only the
    /// innermost outstanding token can be released at once; releasing an
    /// outer one returns [`ReleaseError::NotInnermost`] and defers it until
    /// the inner ones are released.
    pub fn release(mut self) -> Result<(), ReleaseError> {
        let result = release_serial(self.serial, true);
        if result != Err(ReleaseError::NotInnermost) {
            self.done = true;
        }
        result
    }

    /// Releases the thread state, ignoring a failure to restore the previous
    /// one (the same as dropping the token).
    pub fn close(self) {}
}

impl Drop for Token<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Out of order: deferred. A failed restore leaves the thread
            // detached, which `Attached::check` reports to later users.
            let _ = release_serial(self.serial, false);
        }
        // `_implicit_guard` drops after this body: the thread has
        // detached before its interpreter may finalize.
    }
}

impl fmt::Debug for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token").field("interpreter", &self.core().id).field("serial", &self.serial).finish()
    }
}

/// Why a [`Token::release`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReleaseError {
    /// Inner tokens are still outstanding. The token's release is
    /// deferred: it happens when the inner ones are released.
    NotInnermost,
    /// The thread state was released, but the one attached before could not
    /// be restored: its interpreter has begun finalizing (or, with `None`,
    /// its thread state is gone). The thread is left detached.
    PreviousGone(Option<InterpreterId>),
}

impl fmt::Display for ReleaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotInnermost => f.write_str("inner thread-state tokens are still outstanding"),
            Self::PreviousGone(Some(id)) => {
                write!(f, "released, but the previous thread state's {id} is finalizing: left detached")
            }
            Self::PreviousGone(None) => f.write_str("released, but the previous thread state is gone: left detached"),
        }
    }
}

impl std::error::Error for ReleaseError {}

/// Releases `serial`'s entry, and every deferred entry it uncovers.
fn release_serial(serial: u64, explicit: bool) -> Result<(), ReleaseError> {
    let innermost = with_thread(|t| {
        let i = t.tokens.iter().position(|e| e.serial == serial).expect("a token's entry exists until released");
        if i + 1 == t.tokens.len() {
            return true;
        }
        if !explicit {
            t.tokens[i].deferred = true;
        }
        false
    });
    if !innermost {
        return Err(ReleaseError::NotInnermost);
    }
    let mut result = Ok(());
    loop {
        let entry = with_thread(|t| t.tokens.pop()).expect("checked above");
        if let Err(e) = finish(entry) {
            result = Err(e);
        }
        if !with_thread(|t| t.tokens.last().is_some_and(|e| e.deferred)) {
            return result;
        }
    }
}

/// Undoes one ensure: counts −1, deletes an owned thread state at zero,
/// and restores the previous thread state.
fn finish(entry: Entry) -> Result<(), ReleaseError> {
    let (core, count, delete, was_attached) = with_thread(|t| {
        let slot = t.slot_mut(entry.slot);
        slot.count -= 1;
        let (count, owned, core) = (slot.count, slot.owned, Arc::clone(&slot.core));
        (core, count, count == 0 && owned, t.attached == Some(entry.slot))
    });
    if was_attached && entry.previous != Some(entry.slot) {
        detach(entry.slot, &core);
    }
    if delete {
        with_thread(|t| {
            t.slots[entry.slot] = None;
            if t.home == Some(entry.slot) {
                t.home = None;
            }
        });
    }
    // What the record holds now, not the branch taken above.
    trace_event!({
        let (recorded_count, present) = recorded(entry.slot, &core);
        ThreadStateEvent::Released { interp: core.id.0, count: if present { recorded_count } else { count }, present }
    });
    let Some(previous) = entry.previous.filter(|p| *p != entry.slot) else {
        return Ok(());
    };
    let (previous_core, backed) = with_thread(|t| {
        let core = t.slots[previous].as_ref().map(|s| Arc::clone(&s.core));
        let backed = t.tokens.iter().any(|e| e.slot == previous && !e.deferred);
        (core, backed)
    });
    let Some(previous_core) = previous_core else {
        return Err(ReleaseError::PreviousGone(None));
    };
    if backed {
        // An outstanding token on the previous thread state holds its
        // interpreter's guard (borrowed or implicit), or is the finalizer's
        // own: the interpreter cannot be past the guard wait. Re-attach as
        // `allow_threads` does, without asking the word again (which the
        // drain policy would refuse while that very guard drains).
        attach(previous, &previous_core);
        return Ok(());
    }
    // Only a token dropped out of order referred to it: nothing holds its
    // interpreter any more, and it may have begun finalizing. Attach only if
    // a guard is admitted now, and only while holding it; after that the GIL
    // keeps teardown (which takes it) from running under this thread.
    match previous_core.lifecycle.acquire() {
        Ok(_) => {
            attach(previous, &previous_core);
            previous_core.lifecycle.release();
            Ok(())
        }
        Err(_) => Err(ReleaseError::PreviousGone(Some(previous_core.id))),
    }
}
