//! Interpreters: identity, the lifecycle word, and the state finalization
//! tears down.
//!
//! This is the seed of the lifecycle protocol (PEP 788): an interpreter runs
//! until someone finalizes it; finalization waits until no
//! [`Guard`](crate::Guard) is held, then enters Finalizing atomically (no
//! guard can be taken afterwards), tears the interpreter's state down, and
//! marks it Finalized. [`lifecycle`] has the state word and its essay.
//!
//! Page: `docs/lifecycle.md`. Scenarios: `models/lifecycle/`.
use crate::sync::{Arc, Mutex};
use crate::trace_event;
use crate::{Guard, GuardError, View};
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;

pub mod lifecycle;

use lifecycle::Lifecycle;
pub use lifecycle::{FinalizeError, Phase};

/// An interpreter's id: unique within its [`Runtime`](crate::Runtime), never
/// reused. The main interpreter is 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InterpreterId(pub(crate) u64);

impl InterpreterId {
    /// The id as a number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for InterpreterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "interpreter {}", self.0)
    }
}

/// What an interpreter owns while it runs, and what finalization tears
/// down: its dictionary of named values (CPython's interpreter dict). Values
/// are dropped at teardown, in the finalizing thread.
#[derive(Default)]
pub struct InterpreterState {
    dict: BTreeMap<String, Box<dyn Any + Send>>,
}

impl InterpreterState {
    /// Stores `value` under `key`, returning the previous value if any.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Any + Send) -> Option<Box<dyn Any + Send>> {
        self.dict.insert(key.into(), Box::new(value))
    }

    /// The value under `key`, if it is a `T`.
    pub fn get<T: Any>(&self, key: &str) -> Option<&T> {
        self.dict.get(key)?.downcast_ref()
    }

    /// The value under `key`, mutably, if it is a `T`.
    pub fn get_mut<T: Any>(&mut self, key: &str) -> Option<&mut T> {
        self.dict.get_mut(key)?.downcast_mut()
    }

    /// Removes the value under `key`.
    pub fn remove(&mut self, key: &str) -> Option<Box<dyn Any + Send>> {
        self.dict.remove(key)
    }

    /// How many values are stored.
    pub fn len(&self) -> usize {
        self.dict.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }
}

impl fmt::Debug for InterpreterState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterpreterState").field("keys", &self.dict.keys().collect::<Vec<_>>()).finish()
    }
}

/// The shared core of an interpreter; handles, guards and views all point
/// here. It outlives teardown (views need the lifecycle word), but its
/// `state` does not.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) id: InterpreterId,
    pub(crate) lifecycle: Lifecycle,
    /// `None` once torn down. Only touched by guard holders and by the
    /// finalizer after it entered Finalizing, which guards exclude.
    state: Mutex<Option<InterpreterState>>,
}

impl Core {
    pub(crate) fn new(id: InterpreterId) -> Self {
        Self { id, lifecycle: Lifecycle::new(), state: Mutex::new(Some(InterpreterState::default())) }
    }

    /// Runs `f` on the state. Only called with a guard held, which keeps the
    /// state alive: finding it torn down is a protocol violation.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut InterpreterState) -> R) -> R {
        let mut state = self.state.lock();
        let state = state
            .as_mut()
            .unwrap_or_else(|| panic!("invariant LC-2 violated: {} was torn down while a guard was held", self.id));
        f(state)
    }

    pub(crate) fn trace_id(&self) -> Option<u64> {
        Some(self.id.0)
    }
}

/// A handle to an interpreter. Cloning it is cheap; it does not keep the
/// interpreter from finalizing (a [`Guard`] does).
#[derive(Clone, Debug)]
pub struct Interpreter {
    pub(crate) core: Arc<Core>,
}

impl Interpreter {
    pub(crate) fn from_core(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// Its id.
    pub fn id(&self) -> InterpreterId {
        self.core.id
    }

    /// Its phase right now (it may change as soon as this returns).
    pub fn phase(&self) -> Phase {
        self.core.lifecycle.phase()
    }

    /// Takes a guard: the interpreter cannot begin finalization until it is
    /// dropped. Fails once finalization has begun.
    pub fn guard(&self) -> Result<Guard, GuardError> {
        Guard::acquire(&self.core)
    }

    /// A weak handle that can be promoted to a guard while the interpreter
    /// runs, and stays valid after it is gone.
    pub fn view(&self) -> View {
        View::new(&self.core)
    }

    /// Finalizes the interpreter: waits until no guard is held, enters
    /// Finalizing atomically (no guard can be taken from then on), tears its
    /// state down (dropping every value it holds) and marks it Finalized.
    ///
    /// Blocks for as long as a guard is held; a guard never dropped blocks it
    /// forever, as in CPython.
    pub fn finalize(&self) -> Result<(), FinalizeError> {
        let core = &self.core;
        let id = core.trace_id();
        let entered = core.lifecycle.begin_finalizing(|word| {
            trace_event!(id, "finalize.wait", "blocked until no guard is held", word);
        });
        match entered {
            Ok(word) => trace_event!(id, "finalize.begin", "ok: no guard can be taken now", word),
            Err((error, word)) => {
                trace_event!(id, "finalize.begin", format_args!("refused: {error}"), word);
                return Err(error);
            }
        }
        // Teardown: take the state out under the lock, drop it outside.
        let state = core.state.lock().take();
        let values = state.as_ref().map_or(0, InterpreterState::len);
        drop(state);
        trace_event!(id, "finalize.teardown", format_args!("values dropped: {values}"), "state=gone");
        let word = core.lifecycle.mark_finalized();
        trace_event!(id, "finalize.done", "ok", word);
        Ok(())
    }
}
