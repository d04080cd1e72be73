//! Attaching and detaching: taking and releasing an interpreter's GIL on
//! behalf of one of the thread's thread states, with the subsystems' hooks
//! at each end, and [`Attached`], the proof that the calling thread is
//! attached.
//!
//! Attaching takes the GIL first and then records the thread state as
//! attached, then lets the subsystems run what waited for a thread of the
//! interpreter (`Subsystem::on_attach`, outside the record's borrow: it
//! may attach and detach itself). Detaching asks the subsystems first
//! (`Subsystem::on_detach`, which may refuse by panicking: an invariant
//! would break), then clears the record, then releases the GIL.
use super::record::with_thread;
use crate::guard::Guard;
use crate::guard_error::GuardError;
use crate::interp::{Core, Interpreter, InterpreterId, InterpreterState};
use crate::subsystem::{Installed, Subsystem};
use crate::sync::Arc;
use crate::trace::event::ThreadStateEvent;
use crate::trace_event;
use crate::View;
use std::fmt;
use std::marker::PhantomData;
use std::panic::Location;

/// Takes `core`'s GIL and records `slot` as attached. The GIL is taken
/// outside the record's borrow: blocking while borrowed would be harmless
/// (only this thread uses it) but the trace recorder may look at it.
/// Inline, as [`detach`]: ensure and release call both from other files,
/// which are other codegen units.
#[inline]
pub(super) fn attach(slot: usize, core: &Core) {
    core.gil.acquire(core.id);
    with_thread(|t| t.attached = Some(slot));
    // Outside the record's borrow: the hook may run code that attaches.
    Installed::on_attach(core);
}

/// Releases the attached slot's GIL.
#[inline]
pub(super) fn detach(slot: usize, core: &Core) {
    with_thread(|t| {
        debug_assert_eq!(t.attached, Some(slot));
        Installed::on_detach(core, &t.subsystems);
        t.attached = None;
    });
    core.gil.release(core.id);
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
/// calling thread is attached to (an inner [`ensure`](super::ensure) switched to another
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

    /// The attached interpreter's core (subsystems reach their state
    /// through it).
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
