//! The shared core of an interpreter: what handles, guards, views and thread
//! states point at.
use super::lifecycle::Lifecycle;
use super::thread_counts::Threads;
use super::{InterpreterId, InterpreterState};
use crate::config::Config;
use crate::gil::Gil;
use crate::guard_sites::GuardSites;
use crate::runtime::RuntimeShared;
use crate::subsystem::{Installed, InterpSlots, Subsystem};
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::{Arc, Mutex};
use crate::Attached;
use std::fmt;

/// An at-exit callback: runs attached, during finalization.
pub(crate) type AtExit = Box<dyn FnOnce(Attached<'_>) + Send>;

/// What `run` and `destroy` claim, so that they exclude each other.
pub(crate) const IDLE: usize = 0;
pub(crate) const RUNNING_CODE: usize = 1;
pub(crate) const CLOSING: usize = 2;

/// A handle to an interpreter: its core, shared. Cloning it is cheap; it
/// does not keep the interpreter from finalizing (a
/// [`Guard`](crate::Guard) does). Its operations are in `handle.rs`,
/// `threads.rs` and `finalize.rs`; it is defined here, beside what it
/// points at, so that the kernel files that hand out handles (the
/// thread-state record, the attached proof) need only the core.
#[derive(Clone)]
pub struct Interpreter {
    pub(crate) core: Arc<Core>,
}

impl Interpreter {
    pub(crate) fn from_core(core: Arc<Core>) -> Self {
        Self { core }
    }
}

/// The shared core of an interpreter. It outlives teardown (views need the
/// lifecycle word), but its `state` does not.
pub(crate) struct Core {
    pub(crate) id: InterpreterId,
    pub(crate) config: Config,
    pub(crate) lifecycle: Lifecycle,
    /// Its own GIL, or the main interpreter's when the GIL is shared.
    pub(crate) gil: Arc<Gil>,
    /// `None` once torn down. Touched by attached threads (which are
    /// guard-backed) and by the finalizer after it entered Finalizing, under
    /// the GIL; the mutex makes the access safe without `unsafe`.
    state: Mutex<Option<InterpreterState>>,
    /// Where held guards were taken, when the config tracks them.
    pub(crate) guard_sites: Option<GuardSites>,
    pub(crate) threads: Threads,
    pub(crate) at_exit: Mutex<Vec<AtExit>>,
    /// `IDLE`, `RUNNING_CODE` (a `run` is in progress) or `CLOSING` (a
    /// `destroy` claimed it).
    pub(crate) activity: AtomicUsize,
    pub(crate) runtime: Arc<RuntimeShared>,
    /// What the subsystems built on the kernel keep for this interpreter.
    pub(crate) subsystems: InterpSlots,
}

impl Core {
    pub(crate) fn new(id: InterpreterId, config: Config, gil: Arc<Gil>, runtime: Arc<RuntimeShared>) -> Self {
        Self {
            id,
            lifecycle: Lifecycle::new(config.guard_policy),
            gil,
            state: Mutex::new(Some(InterpreterState::default())),
            guard_sites: config.track_guards.then(GuardSites::default),
            threads: Threads::default(),
            at_exit: Mutex::new(Vec::new()),
            activity: AtomicUsize::new(IDLE),
            runtime,
            subsystems: Installed::new_interp(id, &config),
            config,
        }
    }

    /// Runs `f` on the state. Only called by an attached thread (guard-backed)
    /// or the finalizer before teardown: finding it torn down is a protocol
    /// violation.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut InterpreterState) -> R) -> R {
        let mut state = self.state.lock();
        let state =
            state.as_mut().unwrap_or_else(|| panic!("invariant LC-2 violated: {} was torn down while in use", self.id));
        f(state)
    }

    /// Takes the state out (teardown). Called once, by the finalizer.
    pub(crate) fn take_state(&self) -> Option<InterpreterState> {
        self.state.lock().take()
    }

    /// Whether a `run` is in progress.
    pub(crate) fn is_running_code(&self) -> bool {
        // Relaxed: a snapshot for `is_running`; decisions use the CAS.
        self.activity.load(Ordering::Relaxed) == RUNNING_CODE
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("id", &self.id)
            .field("word", &self.lifecycle.snapshot())
            .field("gil", &self.gil.owner())
            .finish_non_exhaustive()
    }
}
