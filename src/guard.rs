//! Finalization guards (PEP 788's `PyInterpreterGuard`).
//!
//! A guard is a read lock on an interpreter's finalization: while any guard
//! is held, finalization waits; once finalization has begun, no guard can be
//! taken. Dropping the guard releases it.
//!
//! Two faces, as lock_api splits `RwLockReadGuard` and `ArcRwLockReadGuard`:
//! [`Guard<'a>`](Guard) borrows the interpreter handle, view or attachment
//! it came from (taking and dropping it is one `fetch_add` and one
//! `fetch_sub`, no reference counting) and stays on the thread that took
//! it (`!Send`, like a `MutexGuard`: that thread's count of the guards it
//! holds lets a finalization it calls refuse instead of waiting for
//! itself), and [`OwnedGuard`] owns a reference to the interpreter, so it
//! can be moved to another thread or stored.
//!
//! Both are one word (`guard_word`). Every acquire is `#[track_caller]`:
//! with [`Config::track_guards`](crate::Config::track_guards) on, the
//! interpreter keeps a table of where its held guards were taken (the
//! guard's word is then a ticket, its key in that table), which
//! [`Interpreter::finalize_timeout`](crate::Interpreter::finalize_timeout)
//! reports when guards are still held at the deadline: the leak CPython
//! cannot point at. Without tracking the location is not kept anywhere.
//!
//! The protocol lives in [`crate::interp::lifecycle`]; this is its safe face.
use crate::guard_error::GuardError;
use crate::guard_word::{BorrowedWord, OwnedWord};
use crate::interp::lifecycle::Refusal;
use crate::interp::{Core, InterpreterId, Phase};
use crate::sync::Arc;
use crate::thread_state::held;
use crate::trace::event::GuardEvent;
use crate::trace_event;
use std::fmt;
use std::panic::Location;

/// Holds off an interpreter's finalization until dropped; borrows what it
/// was taken from.
///
/// ```
/// let runtime = xinterp::Runtime::new();
/// let sub = runtime.create()?;
/// let guard = sub.guard()?;
/// guard.with_gil(|py| py.with_state(|state| state.insert("answer", 42_u32)));
/// drop(guard); // now `sub.finalize()` can proceed
/// sub.finalize()?;
/// assert!(sub.guard().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A closed guard cannot be used (the compiling case is the example above):
///
/// ```compile_fail,E0382
/// let runtime = xinterp::Runtime::new();
/// let guard = runtime.main().guard().unwrap();
/// guard.close();
/// guard.with_gil(|_| ()); // error: use of moved value
/// ```
///
/// nor can a borrowed guard be sent to another thread (the thread that
/// took it releases it, so a finalization can tell that its caller holds
/// one: `FinalizeError::CurrentThreadHoldsGuard`); an [`OwnedGuard`] can:
///
/// ```compile_fail,E0277
/// let runtime = xinterp::Runtime::new();
/// let guard = runtime.main().guard().unwrap();
/// std::thread::scope(|s| {
///     s.spawn(move || drop(guard)); // error: the guard cannot be sent between threads
/// });
/// ```
///
/// nor can a borrowed guard outlive the handle it came from:
///
/// ```compile_fail,E0505
/// let runtime = xinterp::Runtime::new();
/// let sub = runtime.create().unwrap();
/// let guard = sub.guard().unwrap();
/// drop(sub); // error: cannot move out of `sub` because it is borrowed
/// guard.close();
/// ```
#[must_use = "a guard released at once protects nothing"]
pub struct Guard<'a> {
    word: BorrowedWord<'a>,
    /// `!Send`: counted in the taking thread's record (`thread_state/held.rs`).
    not_send: crate::sync::NotSend,
}

/// A guard that owns a reference to its interpreter: `Send + Sync`,
/// `'static`, for handing to another thread.
///
/// ```
/// let runtime = xinterp::Runtime::new();
/// let sub = runtime.create()?;
/// let guard = sub.view().guard_owned()?;
/// let worker = xinterp::sync::thread::spawn(move || {
///     guard.with_gil(|py| py.with_state(|s| s.insert("from a worker", ())));
///     // the guard is released here, when the thread drops it
/// });
/// worker.join().unwrap();
/// sub.finalize()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a guard released at once protects nothing"]
pub struct OwnedGuard {
    word: OwnedWord,
}

/// Counts a guard on `core`, or says why not.
#[inline]
pub(crate) fn acquire(core: &Core) -> Result<(), GuardError> {
    match core.lifecycle.acquire() {
        Ok(word) => {
            trace_event!(GuardEvent::Granted { interp: core.id.0, word: word.decoded() });
            Ok(())
        }
        Err((refusal, word)) => {
            trace_event!(GuardEvent::Refused { interp: core.id.0, word: word.decoded() });
            Err(match refusal {
                Refusal::NotRunning(Phase::Finalized) => GuardError::Gone(core.id),
                Refusal::NotRunning(_) => GuardError::Finalizing(core.id),
                Refusal::TooManyGuards => GuardError::TooManyGuards(core.id),
            })
        }
    }
}

/// Records where the guard keyed `key` was taken, when `core` tracks
/// guards (after the count: a guard refused leaves no row).
#[inline]
fn track(core: &Core, key: usize, site: &'static Location<'static>) {
    if let Some(sites) = &core.guard_sites {
        sites.taken(key, site);
    }
}

/// Releases a guard on `core`; `ticket` is its key when its word is a
/// ticket (only then can it have a row in the table).
#[inline(always)]
fn release(core: &Core, ticket: Option<usize>) {
    match ticket {
        None => uncount(core),
        Some(key) => release_tracked(core, key),
    }
}

/// Releases a ticket's guard: its row, then its count. Out of line, so
/// that an untracked release inlines only the count.
#[cold]
#[inline(never)]
fn release_tracked(core: &Core, key: usize) {
    // Untracked first, so a finalizer that sees zero guards sees an empty table.
    if let Some(sites) = &core.guard_sites {
        sites.released(key);
    }
    uncount(core);
}

/// Takes a released guard off `core`'s count.
#[inline(always)]
fn uncount(core: &Core) {
    let word = core.lifecycle.release();
    trace_event!(GuardEvent::Released { interp: core.id.0, word: word.decoded() });
}

impl<'a> Guard<'a> {
    // `always`: the refusal arms are cold, and a call costs the fast path
    // more than the two RMWs it wraps (the saved registers).
    #[inline(always)]
    pub(crate) fn acquire(core: &'a Arc<Core>, site: &'static Location<'static>) -> Result<Self, GuardError> {
        acquire(core)?;
        held::taken(core);
        // One look at the config: the untracked word is the borrow itself;
        // a tracked one (a ticket and its row) is built out of line.
        let word = match core.guard_sites {
            None => BorrowedWord::untracked(core),
            Some(_) => Self::tracked_word(core, site),
        };
        Ok(Self { word, not_send: std::marker::PhantomData })
    }

    /// The word of a guard on an interpreter that tracks guards: a ticket,
    /// with its row in the table.
    #[cold]
    #[inline(never)]
    fn tracked_word(core: &'a Arc<Core>, site: &'static Location<'static>) -> BorrowedWord<'a> {
        let word = BorrowedWord::ticket(core);
        track(core, word.key(), site);
        word
    }

    pub(crate) fn core_arc(&self) -> &Arc<Core> {
        self.word.core()
    }

    /// The guarded interpreter's id.
    pub fn interpreter_id(&self) -> InterpreterId {
        self.word.core().id
    }

    /// Where this guard was taken, when its interpreter tracks guards
    /// ([`Config::track_guards`](crate::Config::track_guards)); `None`
    /// otherwise (an untracked guard is one word and keeps no location).
    pub fn location(&self) -> Option<&'static Location<'static>> {
        self.word.core().guard_sites.as_ref().and_then(|sites| sites.location_of(self.word.key()))
    }

    /// Releases the guard (the same as dropping it; reads better at call sites).
    pub fn close(self) {}
}

impl Drop for Guard<'_> {
    // `always`: as `acquire`; the slow paths behind it are out of line.
    #[inline(always)]
    fn drop(&mut self) {
        let core = self.word.core();
        held::dropped(core);
        release(core, self.word.ticket_key());
    }
}

impl fmt::Debug for Guard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard")
            .field("interpreter", &self.interpreter_id())
            .field("taken_at", &self.location())
            .finish()
    }
}

impl OwnedGuard {
    pub(crate) fn acquire(core: &Arc<Core>, site: &'static Location<'static>) -> Result<Self, GuardError> {
        acquire(core)?;
        let word = OwnedWord::new(core);
        track(core, word.key(), site);
        Ok(Self { word })
    }

    /// The guarded core.
    pub(crate) fn core(&self) -> &Core {
        self.word.core()
    }

    /// Another strong reference to the guarded core.
    pub(crate) fn core_arc(&self) -> Arc<Core> {
        self.word.core_arc()
    }

    /// The guarded interpreter's id.
    pub fn interpreter_id(&self) -> InterpreterId {
        self.word.core().id
    }

    /// Where this guard was taken, when its interpreter tracks guards
    /// ([`Config::track_guards`](crate::Config::track_guards)); `None`
    /// otherwise.
    pub fn location(&self) -> Option<&'static Location<'static>> {
        self.word.core().guard_sites.as_ref().and_then(|sites| sites.location_of(self.word.key()))
    }

    /// A borrowed guard on the same interpreter, counted separately.
    #[track_caller]
    pub fn guard(&self) -> Result<Guard<'_>, GuardError> {
        let core = self.word.core_arc();
        acquire(&core)?;
        held::taken(&core);
        let word = BorrowedWord::ticket(&core);
        track(&core, word.key(), Location::caller());
        Ok(Guard { word, not_send: std::marker::PhantomData })
    }

    /// Releases the guard (the same as dropping it).
    pub fn close(self) {}
}

impl Drop for OwnedGuard {
    fn drop(&mut self) {
        release(self.word.core(), self.word.ticket_key());
    }
}

impl fmt::Debug for OwnedGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedGuard")
            .field("interpreter", &self.interpreter_id())
            .field("taken_at", &self.location())
            .finish()
    }
}
