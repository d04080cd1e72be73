//! Interpreters: identity, configuration, the lifecycle word, their
//! threads, and the operations PEP 554's `interpreters` module offers, as
//! concurrency sees them.
//!
//! An interpreter runs until someone finalizes it. Finalization
//! (`finalize.rs`) waits for the interpreter's non-daemon threads, runs its
//! at-exit callbacks, waits until no [`Guard`](crate::Guard) is held and
//! enters Finalizing atomically (no guard can be taken afterwards), tears the
//! interpreter's state down under its GIL, and marks it Finalized.
//! [`lifecycle`] has the state word and its essay.
//!
//! Page: `docs/lifecycle.md`. Scenarios: `models/lifecycle/`. SPIN spec:
//! `proofs/lifecycle.pml`.
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;

mod core;
mod finalize;
mod finalize_error;
mod handle;
pub mod lifecycle;
mod phase;
mod thread_counts;
mod thread_kind;
mod threads;

pub use self::core::Interpreter;
pub(crate) use self::core::{Core, RuntimeShared};
pub use handle::{DestroyError, RunError};
pub use lifecycle::{FinalizeError, FinalizeFaults, Phase};
pub use thread_kind::ThreadKind;
pub use threads::{InterpreterThread, SpawnError};

/// An interpreter's id: unique within its [`Runtime`](crate::Runtime), never
/// reused. The main interpreter is 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InterpreterId(pub(crate) u64);

impl InterpreterId {
    /// The main interpreter's id.
    pub const MAIN: Self = Self(0);

    /// The id with number `id`, as CPython shows it (`interp.id`). It names
    /// whichever interpreter has that number in the runtime where it is
    /// looked up; a lookup of a number never handed out answers `NotFound`.
    pub const fn new(id: u64) -> Self {
        Self(id)
    }

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
