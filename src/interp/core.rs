//! The shared core of an interpreter (what handles, guards, views and thread
//! states point at) and the registry of a runtime's cores.
//!
//! The two point at each other: the registry holds every live core, and
//! each core holds its registry (the main interpreter's finalization
//! finalizes the others through it, and every finalization ends by leaving
//! it). Mutually recursive types share a file, so the kernel's import graph
//! stays acyclic. What a runtime *does* with its registry (create, list,
//! finalize) is in `runtime.rs` and `finalize.rs`, above this file.
use super::lifecycle::Lifecycle;
use super::thread_counts::Threads;
use super::{InterpreterId, InterpreterState};
use crate::config::Config;
use crate::gil::Gil;
use crate::guard_sites::GuardSites;
use crate::subsystem::{Installed, InterpSlots, RuntimeSlots, Subsystem};
use crate::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use crate::sync::{Arc, Mutex};
use std::collections::BTreeMap;
use std::fmt;

/// An at-exit callback, given the core of the interpreter it is registered
/// on. The finalizer calls it attached to that interpreter (step 2 of
/// `finalize.rs`); `Interpreter::at_exit` wraps the user's closure, which
/// takes the attached proof, so that the core need not name the proof
/// (which points back at the core).
pub(crate) type AtExit = Box<dyn FnOnce(&Arc<Core>) + Send>;

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

/// What every interpreter of a runtime shares: the registry of its cores.
pub(crate) struct RuntimeShared {
    pub(crate) next_id: AtomicU64,
    pub(crate) registry: Mutex<Registry>,
    /// The main interpreter's GIL, which shared-GIL interpreters take.
    pub(crate) main_gil: Arc<Gil>,
    /// What the subsystems built on the kernel keep for the runtime.
    pub(crate) subsystems: RuntimeSlots,
}

/// The interpreters not yet finalized, and whether the runtime is.
#[derive(Default)]
pub(crate) struct Registry {
    pub(crate) interpreters: BTreeMap<InterpreterId, Arc<Core>>,
    pub(crate) finalized: bool,
}

impl RuntimeShared {
    /// A registry with no interpreter yet; the next id is 1 (the main
    /// interpreter, 0, is registered by its creator).
    pub(crate) fn new(main_gil: Arc<Gil>) -> Self {
        Self {
            next_id: AtomicU64::new(1),
            registry: Mutex::new(Registry::default()),
            main_gil,
            subsystems: Installed::new_runtime(),
        }
    }

    /// Step 6 of a finalization: the interpreter leaves the registry; the
    /// main interpreter's leaving finalizes the runtime.
    pub(crate) fn interpreter_finalized(&self, core: &Core) {
        let mut registry = self.registry.lock();
        registry.interpreters.remove(&core.id);
        if core.id == InterpreterId::MAIN {
            registry.finalized = true;
        }
    }
}

impl fmt::Debug for RuntimeShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeShared").finish_non_exhaustive()
    }
}
