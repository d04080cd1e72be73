//! Interpreter views (PEP 788's `PyInterpreterView`): weak handles that may
//! be promoted to a guard while the interpreter runs.
//!
//! A view is `Send + Sync`, one pointer wide, and stays valid after the
//! interpreter is gone: promoting it then fails with a typed error. Closing
//! (dropping) a view only frees memory, as in CPython.
use crate::guard::{Guard, OwnedGuard};
use crate::guard_error::GuardError;
use crate::interp::{Core, InterpreterId, Phase};
use crate::sync::Arc;
use crate::trace::event::{Observation, Read};
use std::fmt;
use std::panic::Location;

/// A weak handle to an interpreter.
///
/// ```
/// let runtime = xinterp::Runtime::new();
/// let sub = runtime.create()?;
/// let view = sub.view();
/// assert!(view.guard().is_ok());
/// sub.finalize()?;
/// assert_eq!(view.guard().unwrap_err(), xinterp::GuardError::Gone(sub.id()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct View {
    core: Arc<Core>,
}

impl View {
    pub(crate) fn new(core: &Arc<Core>) -> Self {
        Self { core: Arc::clone(core) }
    }

    pub(crate) fn core(&self) -> &Arc<Core> {
        &self.core
    }

    /// The viewed interpreter's id.
    pub fn interpreter_id(&self) -> InterpreterId {
        self.core.id
    }

    /// The viewed interpreter's phase right now.
    pub fn phase(&self) -> Phase {
        let phase = self.core.lifecycle.phase();
        crate::trace_event!(Observation::new(Some(self.core.id.0), Read::Phase(phase)));
        phase
    }

    /// Promotes the view to a guard borrowing it
    /// (`PyInterpreterGuard_FromView`); fails once finalization has begun.
    #[track_caller]
    #[inline]
    pub fn guard(&self) -> Result<Guard<'_>, GuardError> {
        Guard::acquire(&self.core, Location::caller())
    }

    /// Promotes the view to a guard that owns its reference, for handing to
    /// another thread.
    #[track_caller]
    pub fn guard_owned(&self) -> Result<OwnedGuard, GuardError> {
        OwnedGuard::acquire(&self.core, Location::caller())
    }
}

impl fmt::Debug for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("View").field("interpreter", &self.core.id).finish()
    }
}
