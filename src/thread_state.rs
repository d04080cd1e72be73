//! Thread states: attaching a thread to an interpreter (PEP 684), and
//! PEP 788's `PyThreadState_Ensure` / `PyThreadState_Release`.
//!
//! A thread acts on an interpreter only while **attached** to it: attaching
//! takes the interpreter's GIL, detaching releases it. The proof that the
//! calling thread is attached is an [`Attached`] value, which every API that
//! touches an interpreter's state requires. Every attachment is backed by a
//! guard (a [`Guard`], an [`OwnedGuard`], or the guard an interpreter thread
//! takes for each attach), so an attached thread's interpreter cannot begin
//! finalizing under it, and re-attaching after
//! [`Attached::allow_threads`] cannot fail.
//!
//! # Ensure and release
//!
//! [`ensure`] follows PEP 788 exactly:
//!
//! | case | the calling thread                                               | ensure does                              | release does                                   |
//! |------|------------------------------------------------------------------|------------------------------------------|------------------------------------------------|
//! | 1    | is attached to that interpreter                                  | counts +1 on the attached thread state   | counts −1                                      |
//! | 2    | is not attached, and its own (home) thread state is for it       | re-attaches that thread state, +1        | counts −1, detaches                            |
//! | 3    | otherwise (not attached, or attached to another interpreter)     | detaches the current one, creates a new thread state owned by ensure, attaches it | counts −1; at zero deletes it; re-attaches the previous one |
//!
//! The [`Token`] remembers the previous thread state; releasing it restores
//! that state. CPython's fatal error for a release below zero cannot happen
//! here: a token is consumed by its release. Tokens are released innermost
//! first; [`Token::release`] of an outer token while inner ones are
//! outstanding is a typed error ([`ReleaseError::NotInnermost`]), and
//! dropping one out of order defers its release until the inner ones are
//! released. [`ensure_from_view`] takes a guard from a view and holds it
//! until the token is released.
//!
//! # The per-thread record
//!
//! | field      | meaning                                                                   |
//! |------------|---------------------------------------------------------------------------|
//! | `slots`    | this thread's thread states: interpreter, count, owned-by-ensure           |
//! | `attached` | the slot attached now (its interpreter's GIL is held by this thread)      |
//! | `home`     | the thread's own thread state, the one case 2 re-attaches (CPython's gilstate slot) |
//! | `tokens`   | outstanding tokens, innermost last, each with its previous slot           |
//!
//! The record is a facade thread-local: one per model thread under loom and
//! shuttle, one per OS thread in production. It is touched only by its own
//! thread, so it needs no synchronization; the GILs it takes and releases do
//! the cross-thread work.
//!
//! # Races considered
//!
//! - *Attach vs finalization.* An attachment is guard-backed: the guard is
//!   taken before the GIL, so a finalizer either refused the guard (and the
//!   attach fails with [`GuardError`]) or waits for it. Teardown runs with
//!   the interpreter's GIL held by the finalizer.
//! - *Switching interpreters that share a GIL.* Case 3 releases the current
//!   GIL before taking the new one, so switching between two interpreters
//!   that share the main GIL cannot self-deadlock.
//!
//! Page: `docs/lifecycle.md#thread-states`. Scenarios:
//! `models/lifecycle/thread_states.rs`. Invariants: TS-1 to TS-5 in
//! `docs/invariants.md`.
//!
//! SPIN spec: `proofs/thread_state.pml`, whose inlines and labels are named
//! after these functions (its header has the table): label
//! `thread_state_ensure` for [`ensure`], `thread_state_ensure_from_view`
//! for [`ensure_from_view`], `Token_release` for [`Token::release`],
//! `Attached_allow_threads` for [`Attached::allow_threads`]; inlines
//! `thread_state_ensure_slot`, `thread_state_finish`,
//! `thread_state_attach` and `thread_state_detach` for the private
//! `ensure_slot`, `finish`, `attach` and `detach`. Proofs
//! (`cargo xtask proofs --filter thread_state`):
//! `thread_state_2threads_2ops`, `thread_state_1thread_3ops`,
//! `thread_state_daemon_from_view`, and the must-fail
//! `thread_state_daemon_guard_closed` (CPython's daemon hang) and
//! `thread_state_mutant_{no_restore,keep_owned}_1thread_3ops`.
use crate::guard::{Guard, GuardError, OwnedGuard};
use crate::interp::{Core, Interpreter, InterpreterId, InterpreterState};
use crate::sync::Arc;
use crate::trace::event::{EnsureCase, ThreadStateEvent};
use crate::trace_event;
use crate::View;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;
use std::panic::Location;

crate::sync::thread::thread_local! {
    static THREAD: RefCell<PerThread> = RefCell::new(PerThread::default());
}

#[derive(Default)]
struct PerThread {
    slots: Vec<Option<Slot>>,
    attached: Option<usize>,
    home: Option<usize>,
    tokens: Vec<Entry>,
    next_serial: u64,
    /// xi (issue 5): a heap session (`xi::HeapSession`) is open on the
    /// attached interpreter's heap: its GIL may not be released meanwhile.
    heap_pinned: bool,
}

struct Slot {
    core: Arc<Core>,
    /// Outstanding tokens on this thread state.
    count: usize,
    /// Created by `ensure` (case 3): deleted when its count reaches zero.
    owned: bool,
}

struct Entry {
    serial: u64,
    slot: usize,
    previous: Option<usize>,
    /// Dropped out of order: released once the inner tokens are.
    deferred: bool,
}

impl PerThread {
    fn slot(&self, i: usize) -> &Slot {
        self.slots[i].as_ref().expect("a referenced thread state is alive")
    }

    fn slot_mut(&mut self, i: usize) -> &mut Slot {
        self.slots[i].as_mut().expect("a referenced thread state is alive")
    }

    fn insert(&mut self, slot: Slot) -> usize {
        match self.slots.iter().position(Option::is_none) {
            Some(i) => {
                self.slots[i] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                self.slots.len() - 1
            }
        }
    }

    fn attached_core(&self) -> Option<&Arc<Core>> {
        self.attached.map(|i| &self.slot(i).core)
    }
}

fn with_thread<R>(f: impl FnOnce(&mut PerThread) -> R) -> R {
    THREAD.with(|t| f(&mut t.borrow_mut()))
}

/// Takes `core`'s GIL and records `slot` as attached. The GIL is taken
/// outside the record's borrow: blocking while borrowed would be harmless
/// (only this thread uses it) but the trace recorder may look at it.
fn attach(slot: usize, core: &Core) {
    core.gil.acquire(core.id);
    with_thread(|t| t.attached = Some(slot));
    // xi (issue 5): a thread of the interpreter holds its GIL now: run the
    // pending calls other interpreters queued (releases of their XiData).
    crate::xi::pending::on_attach(core);
}

/// Releases the attached slot's GIL.
fn detach(slot: usize, core: &Core) {
    with_thread(|t| {
        debug_assert_eq!(t.attached, Some(slot));
        // xi (issue 5): a heap session holds the heap that only this GIL
        // protects; releasing the GIL under it would let another thread in.
        assert!(
            !t.heap_pinned,
            "invariant XI-2 violated: {} released its GIL while a heap session was open on this thread",
            core.id
        );
        t.attached = None;
    });
    core.gil.release(core.id);
}

enum Plan {
    Reuse(usize),
    Reattach(usize),
    Create { previous: Option<(usize, Arc<Core>)> },
}

/// Attaches the calling thread to the guarded interpreter
/// (`PyThreadState_Ensure`): see the [module docs](self) for the three
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
    ensure_core(guard.core_arc(), None)
}

/// Attaches the finalizer to the interpreter it finalizes, without a guard
/// (none can be taken once finalization is requested under the drain policy,
/// and none is needed: the finalizer is the one that would wait for it).
pub(crate) fn ensure_finalizer(core: &Arc<Core>) -> Token<'_> {
    ensure_core(core, None)
}

/// Attaches to `core` for a caller that keeps its finalization off by other
/// means (an [`XiView`](crate::xi::XiView)'s owned guard, held across the
/// call by the caller).
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
    Token { serial, core: CoreRef::Borrowed(core), _implicit_guard: hold, done: false, _not_send: PhantomData }
}

fn ensure_arc(core: Arc<Core>, hold: Option<OwnedGuard>) -> Token<'static> {
    let serial = ensure_slot(&core);
    Token { serial, core: CoreRef::Owned(core), _implicit_guard: hold, done: false, _not_send: PhantomData }
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

/// For a trace: the count of the calling thread's thread state `slot`, and
/// whether its record still holds that thread state for `core` (read from
/// the record itself).
fn recorded(slot: usize, core: &Arc<Core>) -> (usize, bool) {
    with_thread(|t| match t.slots.get(slot).and_then(Option::as_ref) {
        Some(s) if Arc::ptr_eq(&s.core, core) => (s.count, true),
        _ => (0, false),
    })
}

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

/// Proof that the calling thread is attached to an interpreter and holds
/// its GIL: what APIs that touch interpreter state require.
///
/// The rules it encodes, each shown failing to compile and then compiling
/// when followed:
///
/// An interpreter's state is reachable only through the proof (a handle or
/// a guard alone does not give it):
///
/// ```compile_fail,E0599
/// let runtime = xinterp::Runtime::new();
/// let guard = runtime.main().guard().unwrap();
/// guard.with_state(|s| s.len()); // error: no method `with_state` on `Guard`
/// ```
///
/// The proof does not outlive the attachment it came from:
///
/// ```compile_fail
/// let runtime = xinterp::Runtime::new();
/// let guard = runtime.main().guard().unwrap();
/// let py = guard.with_gil(|py| py); // error: lifetime may not live long enough
/// py.interpreter_id();
/// ```
///
/// It is not `Send`: it stays on the thread that is attached.
///
/// ```compile_fail,E0277
/// let runtime = xinterp::Runtime::new();
/// let guard = runtime.main().guard().unwrap();
/// guard.with_gil(|py| {
///     // error: `*const ()` cannot be sent between threads safely
///     std::thread::spawn(move || py.interpreter_id());
/// });
/// ```
///
/// While the GIL is released ([`allow_threads`](Attached::allow_threads)),
/// the closure cannot use it either:
///
/// ```compile_fail,E0277
/// let runtime = xinterp::Runtime::new();
/// let guard = runtime.main().guard().unwrap();
/// guard.with_gil(|py| {
///     py.allow_threads(|| py.interpreter_id()); // error: `Attached` is not `Send`
/// });
/// ```
///
/// The same, with the proof used where it is valid, compiles:
///
/// ```
/// let runtime = xinterp::Runtime::new();
/// let guard = runtime.main().guard().unwrap();
/// let len = guard.with_gil(|py| {
///     let id = py.interpreter_id();
///     let doubled = py.allow_threads(move || id.get() * 2); // values cross, proofs do not
///     py.with_state(|s| s.insert("doubled", doubled)).unwrap();
///     py.with_state(|s| s.len()).unwrap() // a value leaves the attachment
/// });
/// assert_eq!(len, 1);
/// ```
#[derive(Clone, Copy)]
pub struct Attached<'a> {
    core: &'a Arc<Core>,
    _not_send: PhantomData<*const ()>,
}

/// An [`Attached`] was used while its interpreter was not the one the
/// calling thread is attached to (an inner [`ensure`] switched to another
/// interpreter, or the thread detached).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotAttached(pub InterpreterId);

impl fmt::Display for NotAttached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the calling thread is not attached to {} right now", self.0)
    }
}

impl std::error::Error for NotAttached {}

impl<'a> Attached<'a> {
    pub(crate) fn new(core: &'a Arc<Core>) -> Self {
        Self { core, _not_send: PhantomData }
    }

    /// The interpreter attached to.
    pub fn interpreter_id(&self) -> InterpreterId {
        self.core.id
    }

    /// The attached interpreter's core (channels reach the runtime's channel
    /// registry through it; xi, its heap).
    pub(crate) fn core(&self) -> &'a Arc<Core> {
        self.core
    }

    /// A handle to the interpreter attached to.
    pub fn interpreter(&self) -> Interpreter {
        Interpreter::from_core(Arc::clone(self.core))
    }

    /// Whether this proof is current: the calling thread is attached to its
    /// interpreter right now.
    pub fn check(&self) -> Result<(), NotAttached> {
        let current = with_thread(|t| t.attached_core().is_some_and(|c| Arc::ptr_eq(c, self.core)));
        if current {
            Ok(())
        } else {
            Err(NotAttached(self.core.id))
        }
    }

    /// Runs `f` on the interpreter's state (its dict), under its GIL.
    pub fn with_state<R>(&self, f: impl FnOnce(&mut InterpreterState) -> R) -> Result<R, NotAttached> {
        self.check()?;
        Ok(self.core.with_state(f))
    }

    /// A guard on the attached interpreter (`PyInterpreterGuard_FromCurrent`).
    #[track_caller]
    pub fn guard(&self) -> Result<Guard<'a>, GuardError> {
        Guard::acquire(self.core, Location::caller())
    }

    /// A view of the attached interpreter (`PyInterpreterView_FromCurrent`).
    pub fn view(&self) -> View {
        View::new(self.core)
    }

    /// Releases the GIL while `f` runs (`Py_BEGIN_ALLOW_THREADS` …
    /// `Py_END_ALLOW_THREADS`), then re-attaches. `f` must be `Send`, so it
    /// cannot capture this proof (or any other). Re-attaching cannot fail:
    /// the attachment is guard-backed.
    pub fn allow_threads<R, F>(&self, f: F) -> R
    where
        F: FnOnce() -> R + Send,
        R: Send,
    {
        let slot = with_thread(|t| t.attached).filter(|_| self.check().is_ok());
        let Some(slot) = slot else {
            // Not attached to this interpreter right now: nothing to release.
            return f();
        };
        detach(slot, self.core);
        trace_event!(ThreadStateEvent::AllowThreadsDetach { interp: self.core.id.0 });
        let result = f();
        attach(slot, self.core);
        trace_event!(ThreadStateEvent::AllowThreadsAttach { interp: self.core.id.0 });
        result
    }
}

impl fmt::Debug for Attached<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attached").field("interpreter", &self.core.id).finish()
    }
}

enum CoreRef<'g> {
    Borrowed(&'g Arc<Core>),
    Owned(Arc<Core>),
}

/// What [`ensure`] returns: the calling thread is attached until it is
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

/// The interpreter the calling thread is attached to, if any
/// (`interpreters.get_current()`).
pub fn current() -> Option<Interpreter> {
    with_thread(|t| t.attached_core().map(|c| Interpreter::from_core(Arc::clone(c))))
}

/// The id of the interpreter the calling thread is attached to, if any.
pub fn current_id() -> Option<InterpreterId> {
    with_thread(|t| t.attached_core().map(|c| c.id))
}

/// Whether the calling thread is attached to `core`, or has an outstanding
/// token on it (either would make a finalization of `core` wait for itself).
pub(crate) fn involves(core: &Arc<Core>) -> bool {
    with_thread(|t| {
        t.attached_core().is_some_and(|c| Arc::ptr_eq(c, core))
            || t.tokens.iter().any(|e| t.slots[e.slot].as_ref().is_some_and(|s| Arc::ptr_eq(&s.core, core)))
    })
}

/// Runs `f` with the calling thread detached from whatever it is attached
/// to, and re-attaches afterwards: for operations that block (a
/// finalization waiting for threads, a channel send waiting for its
/// receiver) and must not hold a GIL meanwhile.
pub(crate) fn detached<R>(f: impl FnOnce() -> R) -> R {
    let current = with_thread(|t| t.attached.map(|a| (a, Arc::clone(&t.slot(a).core))));
    let Some((slot, core)) = current else {
        return f();
    };
    detach(slot, &core);
    let result = f();
    attach(slot, &core);
    result
}

/// Whether the calling thread may touch `heap` right now (xi): attached to
/// the interpreter that owns it (whose GIL it then holds), and no heap
/// session open.
pub(crate) fn heap_access(heap: &crate::xi::heap::Heap) -> HeapAccess {
    with_thread(|t| match t.attached_core() {
        Some(c) if std::ptr::eq(&c.xi.heap, heap) => {
            if t.heap_pinned {
                HeapAccess::Pinned
            } else {
                HeapAccess::Attached
            }
        }
        _ => HeapAccess::Elsewhere,
    })
}

/// What [`heap_access`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HeapAccess {
    /// Attached to the interpreter: its GIL is held by this thread.
    Attached,
    /// Attached to it, but a heap session is open (its `&mut` is live).
    Pinned,
    /// Not attached to it.
    Elsewhere,
}

/// Whether a heap session is open on the calling thread (xi): switching
/// interpreters would release its GIL, which panics (XI-2).
pub(crate) fn heap_pinned() -> bool {
    with_thread(|t| t.heap_pinned)
}

/// Opens or closes a heap session on the calling thread (xi): while open,
/// detaching panics instead of releasing the GIL.
pub(crate) fn set_heap_pinned(pinned: bool) {
    with_thread(|t| t.heap_pinned = pinned);
}

/// Registers the calling thread's own thread state for `core` (an
/// interpreter thread's), which ensure's case 2 re-attaches.
pub(crate) fn set_home(core: &Arc<Core>) {
    with_thread(|t| {
        let s = t.insert(Slot { core: Arc::clone(core), count: 0, owned: false });
        t.home = Some(s);
    });
}
