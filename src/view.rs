//! Interpreter views (PEP 788's `PyInterpreterView`): weak handles that may
//! be promoted to a guard while the interpreter runs.
//!
//! A view is `Send + Sync`, one pointer wide, and stays valid after the
//! interpreter is gone: promoting it then fails with a typed error.
use crate::interp::{Core, InterpreterId};
use crate::sync::Arc;
use crate::{Guard, GuardError};
use std::fmt;

/// A weak handle to an interpreter.
///
/// ```
/// let runtime = xinterp::Runtime::new();
/// let sub = runtime.create();
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

    /// The viewed interpreter's id.
    pub fn interpreter_id(&self) -> InterpreterId {
        self.core.id
    }

    /// Promotes the view to a guard; fails once finalization has begun.
    pub fn guard(&self) -> Result<Guard, GuardError> {
        Guard::acquire(&self.core)
    }
}

impl fmt::Debug for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("View").field("interpreter", &self.core.id).finish()
    }
}
