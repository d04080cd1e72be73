//! Finalization guards (PEP 788's `PyInterpreterGuard`).
//!
//! A guard is a read lock on an interpreter's finalization: while any guard
//! is held, finalization waits; once finalization has begun, no guard can be
//! taken. Dropping the guard releases it. A guard is one pointer wide.
//!
//! The protocol lives in [`crate::interp::lifecycle`]; this is its safe face.
use crate::interp::{Core, InterpreterId, InterpreterState, Phase};
use crate::sync::Arc;
use crate::trace_event;
use std::fmt;

/// Holds off an interpreter's finalization until dropped.
///
/// ```
/// let runtime = xinterp::Runtime::new();
/// let sub = runtime.create();
/// let guard = sub.guard()?;
/// guard.with_state(|state| state.insert("answer", 42_u32));
/// drop(guard); // now `sub.finalize()` can proceed
/// sub.finalize()?;
/// assert!(sub.guard().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A dropped guard cannot be used:
///
/// ```compile_fail
/// let runtime = xinterp::Runtime::new();
/// let guard = runtime.main().guard().unwrap();
/// drop(guard);
/// guard.with_state(|_| ()); // error: use of moved value
/// ```
#[must_use = "a guard released at once protects nothing"]
pub struct Guard {
    core: Arc<Core>,
}

/// Why a guard could not be taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardError {
    /// The interpreter has begun finalizing: no guard can be taken any more.
    Finalizing(InterpreterId),
    /// The interpreter is gone (finalized and torn down).
    Gone(InterpreterId),
    /// The guard count would overflow.
    TooManyGuards(InterpreterId),
}

impl fmt::Display for GuardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Finalizing(id) => write!(f, "{id} has begun finalizing: no guard can be taken"),
            Self::Gone(id) => write!(f, "{id} is gone"),
            Self::TooManyGuards(id) => write!(f, "{id} has too many guards"),
        }
    }
}

impl std::error::Error for GuardError {}

impl Guard {
    pub(crate) fn acquire(core: &Arc<Core>) -> Result<Self, GuardError> {
        use crate::interp::lifecycle::Refusal;
        let id = core.trace_id();
        match core.lifecycle.acquire() {
            Ok(word) => {
                trace_event!(id, "guard.acquire", "ok", word);
                Ok(Self { core: Arc::clone(core) })
            }
            Err((refusal, word)) => {
                let error = match refusal {
                    Refusal::NotRunning(Phase::Finalized) => GuardError::Gone(core.id),
                    Refusal::NotRunning(_) => GuardError::Finalizing(core.id),
                    Refusal::TooManyGuards => GuardError::TooManyGuards(core.id),
                };
                trace_event!(id, "guard.acquire", format_args!("refused: {}", word.phase()), word);
                Err(error)
            }
        }
    }

    /// The guarded interpreter's id.
    pub fn interpreter_id(&self) -> InterpreterId {
        self.core.id
    }

    /// Runs `f` on the interpreter's state, which the guard keeps alive.
    pub fn with_state<R>(&self, f: impl FnOnce(&mut InterpreterState) -> R) -> R {
        self.core.with_state(f)
    }

    /// Releases the guard (the same as dropping it; reads better at call sites).
    pub fn close(self) {}
}

impl Drop for Guard {
    fn drop(&mut self) {
        let word = self.core.lifecycle.release();
        trace_event!(self.core.trace_id(), "guard.release", "ok", word);
    }
}

impl fmt::Debug for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard").field("interpreter", &self.core.id).finish()
    }
}
