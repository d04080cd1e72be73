//! The runtime: the registry of interpreters, with unique ids never reused.
//! The first interpreter is the main interpreter.
//!
//! | field          | meaning                                                          |
//! |----------------|------------------------------------------------------------------|
//! | `next_id`      | the next id to hand out; only ever incremented                   |
//! | `interpreters` | the interpreters not yet finalized, by id                        |
//! | `finalized`    | the main interpreter finalized: no interpreter can be created    |
//!
//! An interpreter leaves the registry at the end of its finalization, under
//! the registry lock, and [`Runtime::list_all`] reads phases under the same
//! lock, skipping interpreters whose finalization has begun: a listing never
//! shows a finalizing or destroyed interpreter as running.
use crate::config::{Config, ConfigError, GilMode};
use crate::gil::Gil;
use crate::interp::{Core, Interpreter, InterpreterId, Phase, RuntimeShared};
use crate::subsystem::{Installed, Subsystem};
use crate::sync::atomic::Ordering;
use crate::sync::time::Deadline;
use crate::sync::Arc;
use crate::trace::event::InterpEvent;
use crate::trace::event::{Observation, Read};
use crate::trace_event;
use crate::{DestroyError, FinalizeError, View};
use std::fmt;
use std::time::Duration;

/// Owns the interpreters of one process (or one scenario).
///
/// Dropping a `Runtime` does **not** finalize it (CPython finalizes at
/// process exit; here finalization can wait, fail and report, which a
/// `drop` could do neither of: call [`finalize`](Self::finalize) or
/// [`finalize_timeout`](Self::finalize_timeout) first). The drop only lets
/// go of the runtime's registry, so the interpreters are freed once no
/// handle, guard or view points at them. What was handed out keeps
/// working: an [`Interpreter`] handle still takes guards, runs code and
/// finalizes; a guard held across the drop still holds its interpreter; a
/// view still promotes while its interpreter runs. Without the registry,
/// the main interpreter's finalization no longer reaches the
/// subinterpreters: finalize each kept handle. `tests/finalize_faults.rs`
/// checks each of these.
pub struct Runtime {
    shared: Arc<RuntimeShared>,
    main: Interpreter,
}

/// Why an interpreter could not be created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CreateError {
    /// The configuration is one CPython refuses.
    InvalidConfig(ConfigError),
    /// The runtime (its main interpreter) has been finalized.
    RuntimeFinalized,
}

impl fmt::Display for CreateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidConfig(e) => write!(f, "invalid interpreter config: {e}"),
            Self::RuntimeFinalized => f.write_str("the runtime is finalized: no interpreter can be created"),
        }
    }
}

impl std::error::Error for CreateError {}

impl From<ConfigError> for CreateError {
    fn from(e: ConfigError) -> Self {
        Self::InvalidConfig(e)
    }
}

/// No interpreter with this id is registered (never created, or finalized).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotFound(pub InterpreterId);

impl fmt::Display for NotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} not found", self.0)
    }
}

impl std::error::Error for NotFound {}

impl Runtime {
    /// A runtime whose main interpreter (id 0) runs with
    /// [`Config::legacy`], as CPython's does.
    pub fn new() -> Self {
        Self::with_main_config(Config::legacy()).expect("the legacy config is valid")
    }

    /// A runtime whose main interpreter uses `config` (its GIL mode is
    /// irrelevant: the main interpreter's GIL is the main GIL).
    pub fn with_main_config(config: Config) -> Result<Self, ConfigError> {
        config.validate()?;
        let main_gil = Arc::new(Gil::new(InterpreterId::MAIN));
        let shared = Arc::new(RuntimeShared::new(Arc::clone(&main_gil)));
        let core = Arc::new(Core::new(InterpreterId::MAIN, config, main_gil, Arc::clone(&shared)));
        shared.registry.lock().interpreters.insert(InterpreterId::MAIN, Arc::clone(&core));
        Ok(Self { shared, main: Interpreter::from_core(core) })
    }

    /// What every interpreter of this runtime shares.
    pub(crate) fn shared(&self) -> &RuntimeShared {
        &self.shared
    }

    /// The main interpreter.
    pub fn main(&self) -> &Interpreter {
        &self.main
    }

    /// A view of the main interpreter (`PyInterpreterView_FromMain`).
    pub fn main_view(&self) -> View {
        self.main.view()
    }

    /// Creates a subinterpreter with [`Config::isolated`] and a fresh id.
    pub fn create(&self) -> Result<Interpreter, CreateError> {
        self.create_with(Config::isolated())
    }

    /// Creates a subinterpreter with `config` and a fresh id
    /// (`Py_NewInterpreterFromConfig`).
    pub fn create_with(&self, config: Config) -> Result<Interpreter, CreateError> {
        config.validate()?;
        let mut registry = self.shared.registry.lock();
        if registry.finalized {
            return Err(CreateError::RuntimeFinalized);
        }
        // Relaxed: ids only need to be unique, which the RMW guarantees.
        let id = InterpreterId(self.shared.next_id.fetch_add(1, Ordering::Relaxed));
        let gil = match config.gil {
            GilMode::Own => Arc::new(Gil::new(id)),
            GilMode::Shared => Arc::clone(&self.shared.main_gil),
        };
        let core = Arc::new(Core::new(id, config, gil, Arc::clone(&self.shared)));
        registry.interpreters.insert(id, Arc::clone(&core));
        // The word as created: read before the registry's lock is released,
        // while no other thread can find the interpreter yet.
        let word = core.lifecycle.snapshot();
        drop(registry);
        // The GIL mode and the guard policy: trace validation needs both.
        trace_event!(InterpEvent::Created {
            interp: id.0,
            gil: config.gil,
            policy: config.guard_policy,
            word: word.decoded()
        });
        Ok(Interpreter::from_core(core))
    }

    /// The interpreter with this id, if it is registered (not finalized).
    pub fn get(&self, id: InterpreterId) -> Result<Interpreter, NotFound> {
        let registry = self.shared.registry.lock();
        registry.interpreters.get(&id).map(|core| Interpreter::from_core(Arc::clone(core))).ok_or(NotFound(id))
    }

    /// Every interpreter whose finalization has not begun, by id
    /// (`interpreters.list_all()`).
    pub fn list_all(&self) -> Vec<Interpreter> {
        let registry = self.shared.registry.lock();
        let listed: Vec<Interpreter> = registry
            .interpreters
            .values()
            .filter(|core| core.lifecycle.phase() == Phase::Running)
            .map(|core| Interpreter::from_core(Arc::clone(core)))
            .collect();
        drop(registry);
        trace_event!(InterpEvent::Listed { ids: listed.iter().map(|i| i.id().get()).collect() });
        listed
    }

    /// The interpreter the calling thread is attached to
    /// (`interpreters.get_current()`), if any.
    pub fn current(&self) -> Option<Interpreter> {
        crate::thread_state::current()
    }

    /// Destroys the interpreter with this id: see [`Interpreter::destroy`]
    /// (the main interpreter is refused: [`DestroyError::Main`]).
    pub fn destroy(&self, id: InterpreterId) -> Result<(), DestroyError> {
        self.destroy_until(id, &Deadline::never())
    }

    /// [`destroy`](Self::destroy), giving up after `timeout`: see
    /// [`Interpreter::destroy_timeout`].
    pub fn destroy_timeout(&self, id: InterpreterId, timeout: Duration) -> Result<(), DestroyError> {
        self.destroy_until(id, &Deadline::after(timeout))
    }

    /// [`destroy`](Self::destroy), giving up when `deadline` passes.
    pub fn destroy_until(&self, id: InterpreterId, deadline: &Deadline) -> Result<(), DestroyError> {
        let interpreter = self.get(id).map_err(|NotFound(id)| DestroyError::NotFound(id))?;
        interpreter.destroy_until(deadline)
    }

    /// Finalizes the runtime: the main interpreter, which finalizes every
    /// subinterpreter (`Py_FinalizeEx`). See [`Interpreter::finalize`]: a
    /// subinterpreter it could not finalize is reported in
    /// [`FinalizeError::Faulted`] (the runtime is finalized all the same).
    pub fn finalize(&self) -> Result<(), FinalizeError> {
        self.main.finalize()
    }

    /// [`finalize`](Self::finalize), giving up after `timeout` (the one
    /// deadline covers the subinterpreters' finalizations too).
    pub fn finalize_timeout(&self, timeout: Duration) -> Result<(), FinalizeError> {
        self.main.finalize_timeout(timeout)
    }

    /// [`finalize`](Self::finalize), giving up when `deadline` passes.
    pub fn finalize_until(&self, deadline: &Deadline) -> Result<(), FinalizeError> {
        self.main.finalize_until(deadline)
    }

    /// Whether the runtime has been finalized.
    pub fn is_finalized(&self) -> bool {
        let finalized = self.shared.registry.lock().finalized;
        crate::trace_event!(Observation::new(None, Read::RuntimeFinalized(finalized)));
        finalized
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Break the registry → core → runtime cycle: handles that outlive
        // the runtime keep their own references. No finalization: see the
        // type's docs.
        let interpreters = std::mem::take(&mut self.shared.registry.lock().interpreters);
        drop(interpreters);
        // The same for subsystem state that holds handles (channel items).
        Installed::runtime_dropped(&self.shared.subsystems);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let registry = self.shared.registry.lock();
        f.debug_struct("Runtime")
            .field("interpreters", &registry.interpreters.keys().collect::<Vec<_>>())
            .field("finalized", &registry.finalized)
            .finish()
    }
}
