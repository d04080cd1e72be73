//! The [`Interpreter`] handle and PEP 554's operations on it: guards and
//! views, `run`, `is_running`, at-exit callbacks and `destroy`.
//!
//! # The activity word
//!
//! Besides its lifecycle word, an interpreter has an `activity` word:
//!
//! | value          | meaning                    | set by                                        |
//! |----------------|----------------------------|-----------------------------------------------|
//! | `IDLE`         | nothing runs or closes     | creation; `run` when done; a failed `destroy` |
//! | `RUNNING_CODE` | a `run` is in progress     | `run`: CAS `IDLE → RUNNING_CODE`              |
//! | `CLOSING`      | a `destroy` has claimed it | `destroy`: CAS `IDLE → CLOSING`               |
//!
//! - [`run(f)`](Interpreter::run) (`Interpreter.exec`/`call`) claims
//!   `RUNNING_CODE`, takes a guard, attaches (switching away from whatever
//!   the thread was attached to), runs `f`, switches back, and stores
//!   `IDLE`. A second `run`, from any thread, while one is in progress is
//!   [`RunError::AlreadyRunning`]. A `run` on an interpreter a `destroy` has
//!   claimed is [`RunError::Unavailable`] (`Finalizing` while the destroy
//!   runs, `Gone` once it returned), as is a refused guard. A panic in `f`
//!   comes back as [`RunError::Failed`] with its message.
//!   [`is_running`](Interpreter::is_running) reads the word.
//! - [`destroy()`](Interpreter::destroy) (`Interpreter.close()`) refuses
//!   the main interpreter ([`DestroyError::Main`], as CPython does), a
//!   calling thread attached to the interpreter
//!   ([`DestroyError::Current`]) or holding a borrowed guard on it
//!   (`DestroyError::Finalize(CurrentThreadHoldsGuard)`: it would wait for
//!   itself), claims `CLOSING` ([`DestroyError::Running`] while a run is in
//!   progress), and finalizes; a finalization that did not complete gives
//!   the claim back (one that completed with faults keeps it: the
//!   interpreter is gone). `destroy_timeout`/`destroy_until` give up at a
//!   deadline like `finalize_timeout`.
//! - `Runtime::list_all` reads the registry and each interpreter's phase
//!   under the registry lock and lists only interpreters still Running. An
//!   interpreter leaves the registry at the end of its finalization, under
//!   the same lock, so a listing never shows an interpreter whose `destroy`
//!   returned before the listing began.
//!
//! # Races considered
//!
//! - *Run against destroy* is decided by the two CASes on the activity
//!   word: whichever claims `IDLE` first wins, and the other is refused.
//!
//! # Orderings
//!
//! Every access to `activity` is `Relaxed`: the word decides who may run or
//! destroy by its modification order, and publishes nothing, because what a
//! run does is already ordered by something else:
//!
//! - a run's closure runs attached, under the interpreter's GIL; the next
//!   run's closure takes the same GIL, whose unlock/lock orders the two;
//! - a destroy finalizes, and finalization begins with the lifecycle word's
//!   `Acquire` CAS, which pairs with the `Release` of the run's guard
//!   (`Lifecycle::release`); teardown then attaches, under the same GIL.
//!
//! The claims' places in the modification order are coherent with those
//! orders: a claim that read the `IDLE` a run stored after its GIL unlock
//! cannot have taken the GIL before that run did. `run_vs_run` and
//! `run_vs_destroy` check RUN-1 and RUN-2 with these `Relaxed` accesses, and
//! every scenario that attaches checks the GIL's ordering of the state.
use super::core::{CLOSING, IDLE, RUNNING_CODE};
use super::{Core, Interpreter, InterpreterId, Phase};
use crate::config::Config;
use crate::guard::{Guard, OwnedGuard};
use crate::guard_error::GuardError;
use crate::sync::atomic::Ordering;
use crate::sync::time::Deadline;
use crate::sync::Arc;
use crate::trace::event::{InterpEvent, Observation, Read, RunActivity};
use crate::trace_event;
use crate::{Attached, FinalizeError, View};
use std::fmt;
use std::panic::{self, AssertUnwindSafe, Location};
use std::time::Duration;

/// Why [`Interpreter::run`] did not return the closure's value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunError {
    /// Another `run` on this interpreter is in progress.
    AlreadyRunning(InterpreterId),
    /// The interpreter is finalizing or gone (being destroyed, or destroyed).
    Unavailable(GuardError),
    /// The closure panicked; the panic stayed in the interpreter and only
    /// this summary crosses back (CPython's `ExecutionFailed` with its
    /// exception summary).
    Failed {
        /// The interpreter it ran in.
        interpreter: InterpreterId,
        /// The panic's message.
        summary: String,
    },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyRunning(id) => write!(f, "{id} is already running"),
            Self::Unavailable(e) => write!(f, "cannot run: {e}"),
            Self::Failed { interpreter, summary } => write!(f, "the code run in {interpreter} failed: {summary}"),
        }
    }
}

impl std::error::Error for RunError {}

/// Why [`Interpreter::destroy`] refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DestroyError {
    /// No interpreter with this id (it may have been destroyed already).
    NotFound(InterpreterId),
    /// A `run` is in progress in it.
    Running(InterpreterId),
    /// The calling thread is attached to it.
    Current(InterpreterId),
    /// It is the main interpreter, which is finalized with the runtime
    /// ([`Runtime::finalize`](crate::Runtime::finalize)), not destroyed: CPython's
    /// `interpreters.destroy(main)` is an `InterpreterError` too.
    Main(InterpreterId),
    /// Finalization failed (another destroy or finalize got there first, the
    /// calling thread holds a guard on it, or it timed out), or completed
    /// with faults ([`FinalizeError::finalized`] says which).
    Finalize(FinalizeError),
}

impl fmt::Display for DestroyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound(id) => write!(f, "{id} not found"),
            Self::Running(id) => write!(f, "{id} is running: it may not be destroyed"),
            Self::Current(id) => write!(f, "cannot destroy {id}: it is the current interpreter"),
            Self::Main(id) => write!(f, "cannot destroy {id}: it is the main interpreter (finalize the runtime)"),
            Self::Finalize(e) => write!(f, "cannot destroy: {e}"),
        }
    }
}

impl std::error::Error for DestroyError {}

impl Interpreter {
    /// Its id.
    pub fn id(&self) -> InterpreterId {
        self.core.id
    }

    /// Its configuration.
    pub fn config(&self) -> &Config {
        &self.core.config
    }

    /// Its phase right now (it may change as soon as this returns).
    pub fn phase(&self) -> Phase {
        let phase = self.core.lifecycle.phase();
        trace_event!(Observation::new(Some(self.core.id.0), Read::Phase(phase)));
        phase
    }

    /// Whether a [`run`](Self::run) is in progress in it
    /// (`Interpreter.is_running()`).
    pub fn is_running(&self) -> bool {
        let running = self.core.is_running_code();
        trace_event!(Observation::new(Some(self.core.id.0), Read::Running(running)));
        running
    }

    /// How many of its threads are running right now: (non-daemon, daemon).
    pub fn threads_running(&self) -> (usize, usize) {
        self.core.threads.running()
    }

    /// Whether this is the main interpreter.
    pub fn is_main(&self) -> bool {
        self.core.id == InterpreterId::MAIN
    }

    /// Takes a guard borrowing this handle: the interpreter cannot begin
    /// finalization until it is dropped. Fails once finalization has begun.
    #[track_caller]
    #[inline]
    pub fn guard(&self) -> Result<Guard<'_>, GuardError> {
        Guard::acquire(&self.core, Location::caller())
    }

    /// Takes a guard that owns its reference to the interpreter.
    #[track_caller]
    pub fn guard_owned(&self) -> Result<OwnedGuard, GuardError> {
        OwnedGuard::acquire(&self.core, Location::caller())
    }

    /// A weak handle that can be promoted to a guard while the interpreter
    /// runs, and stays valid after it is gone.
    pub fn view(&self) -> View {
        View::new(&self.core)
    }

    /// Runs `f` in this interpreter: the calling thread attaches to it
    /// (switching away from whatever it was attached to), runs `f`, and
    /// switches back. The value crosses back; it is `'static`, so nothing
    /// borrowed from the interpreter (which lives as long as the [`Attached`]
    /// proof) can escape. A panic in `f` stays in the interpreter and comes
    /// back as [`RunError::Failed`] with its message.
    ///
    /// A second `run` on the same interpreter while one is in progress, from
    /// any thread, is [`RunError::AlreadyRunning`]; a `run` on an
    /// interpreter being (or already) destroyed is
    /// [`RunError::Unavailable`].
    pub fn run<R, F>(&self, f: F) -> Result<R, RunError>
    where
        F: FnOnce(Attached<'_>) -> R,
        R: Send + 'static,
    {
        let core = &self.core;
        // Relaxed: the claim publishes nothing; the GIL's unlock/lock orders
        // this run's closure after the previous one's (see `# Orderings`).
        if let Err(actual) = core.activity.compare_exchange(IDLE, RUNNING_CODE, Ordering::Relaxed, Ordering::Relaxed) {
            if actual == CLOSING {
                // A destroy claimed it: it is finalizing, or gone once the
                // destroy returned (a claim that fails goes back to idle).
                let error = match self.core.lifecycle.phase() {
                    Phase::Finalized => GuardError::Gone(core.id),
                    _ => GuardError::Finalizing(core.id),
                };
                trace_event!(InterpEvent::RunRefused { interp: core.id.0, activity: activity_of(actual) });
                return Err(RunError::Unavailable(error));
            }
            trace_event!(InterpEvent::RunRefused { interp: core.id.0, activity: activity_of(actual) });
            return Err(RunError::AlreadyRunning(core.id));
        }
        trace_event!(InterpEvent::RunStarted { interp: core.id.0 });
        let result = match self.guard() {
            Err(e) => Err(RunError::Unavailable(e)),
            Ok(guard) => guard.with_gil(|py| {
                panic::catch_unwind(AssertUnwindSafe(|| f(py))).map_err(|payload| RunError::Failed {
                    interpreter: core.id,
                    summary: crate::trace::panic_message(&*payload),
                })
            }),
        };
        // Recorded before the store that ends the run: once `IDLE` is
        // visible a destroy may claim the interpreter and record its whole
        // finalization, and the trace must not show that inside the run
        // (RUN-2's check reads the trace's order).
        trace_event!(InterpEvent::RunEnded { interp: core.id.0, ok: result.is_ok() });
        // Relaxed: the GIL (for the next run) and the guard's Release (for a
        // destroy's finalization) already order this run's work.
        core.activity.store(IDLE, Ordering::Relaxed);
        result
    }

    /// Registers `f` to run, attached, when the interpreter finalizes
    /// (`atexit.register`). Fails once finalization was requested.
    pub fn at_exit(&self, f: impl FnOnce(Attached<'_>) + Send + 'static) -> Result<(), GuardError> {
        // Holding a guard keeps finalization from starting while we push.
        let guard = self.guard()?;
        if self.core.lifecycle.snapshot().requested() {
            return Err(GuardError::Finalizing(self.core.id));
        }
        // The finalizer calls it attached to this interpreter, so the proof
        // it builds from the core is true when it runs.
        self.core.at_exit.lock().push(Box::new(move |core: &Arc<Core>| f(Attached::new(core))));
        drop(guard);
        Ok(())
    }

    /// Destroys the interpreter (`Interpreter.close()`): refuses the main
    /// interpreter ([`DestroyError::Main`]), a `run` in progress, and a
    /// calling thread that is attached to it or holds a guard on it, then
    /// finalizes it, waiting as long as it takes. See
    /// [`finalize`](Self::finalize); [`destroy_timeout`](Self::destroy_timeout)
    /// gives up instead.
    pub fn destroy(&self) -> Result<(), DestroyError> {
        self.destroy_until(&Deadline::never())
    }

    /// [`destroy`](Self::destroy), giving up after `timeout` (production
    /// time; a model has no clock, see [`Deadline`]). On timeout the
    /// interpreter runs on and can be destroyed again.
    pub fn destroy_timeout(&self, timeout: Duration) -> Result<(), DestroyError> {
        self.destroy_until(&Deadline::after(timeout))
    }

    /// [`destroy`](Self::destroy), giving up when `deadline` passes.
    pub fn destroy_until(&self, deadline: &Deadline) -> Result<(), DestroyError> {
        let core = &self.core;
        if core.id == InterpreterId::MAIN {
            return Err(DestroyError::Main(core.id));
        }
        if crate::thread_state::involves(core) {
            return Err(DestroyError::Current(core.id));
        }
        // Before claiming: a refused destroy must not make a concurrent
        // `run` see the interpreter as being destroyed.
        let guards = crate::thread_state::held::held_on(core);
        if guards > 0 {
            return Err(DestroyError::Finalize(FinalizeError::CurrentThreadHoldsGuard { guards }));
        }
        // Relaxed: finalization's Acquire CAS on the lifecycle word orders
        // the last run's guard release before teardown (see `# Orderings`).
        match core.activity.compare_exchange(IDLE, CLOSING, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => {}
            Err(RUNNING_CODE) => {
                trace_event!(InterpEvent::DestroyRefused { interp: core.id.0 });
                return Err(DestroyError::Running(core.id));
            }
            Err(_) => return Err(DestroyError::Finalize(FinalizeError::AlreadyFinalizing)),
        }
        let result = self.finalize_until(deadline).map_err(DestroyError::Finalize);
        let destroyed = match &result {
            Ok(()) => true,
            Err(DestroyError::Finalize(e)) => e.finalized(),
            Err(_) => false,
        };
        if !destroyed {
            // The interpreter runs on (or someone else finalizes it).
            // Relaxed: the failed destroy did nothing a run builds on.
            core.activity.store(IDLE, Ordering::Relaxed);
        }
        trace_event!(InterpEvent::DestroyEnded { interp: core.id.0, ok: destroyed });
        result
    }
}

/// The claim a failed compare-exchange on `activity` found, for the trace.
fn activity_of(activity: usize) -> RunActivity {
    match activity {
        RUNNING_CODE => RunActivity::Running,
        CLOSING => RunActivity::Destroying,
        _ => RunActivity::Idle,
    }
}

impl PartialEq for Interpreter {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.core, &other.core)
    }
}

impl Eq for Interpreter {}

impl fmt::Debug for Interpreter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interpreter").field("id", &self.core.id).field("phase", &self.core.lifecycle.phase()).finish()
    }
}
