//! Why a finalization did not complete, or completed with faults: plain
//! values, kept apart from the lifecycle word (`lifecycle.rs`) and the
//! finalization steps (`finalize.rs`) so that the events, which record
//! them, sit below both.
use super::InterpreterId;
use std::fmt;

/// Why a finalization did not complete cleanly.
///
/// Every variant but [`Faulted`](Self::Faulted) means the interpreter was
/// *not* finalized: it runs on (see [`finalized`](Self::finalized)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FinalizeError {
    /// Another call already began (or finished) finalizing this interpreter.
    AlreadyFinalizing,
    /// The calling thread is attached to this interpreter (or holds a
    /// thread-state token on it): it would wait for itself.
    CurrentThreadAttached,
    /// The calling thread holds this many borrowed [`Guard`](crate::Guard)s
    /// on the interpreter: finalization waits until no guard is held, so it
    /// would wait for itself forever. Nothing was started; drop the guards
    /// first. (An [`OwnedGuard`](crate::OwnedGuard) can be released by any
    /// thread, so it is not counted as the caller's: a finalization waiting
    /// for one the caller holds needs a deadline.)
    CurrentThreadHoldsGuard {
        /// Borrowed guards the calling thread holds on the interpreter.
        guards: usize,
    },
    /// The deadline passed while guards were still held. Finalization was
    /// abandoned and the interpreter runs on; at-exit callbacks that already
    /// ran are not run again.
    GuardsOutstanding(crate::guard_sites::Outstanding),
    /// The deadline passed while non-daemon threads were still running;
    /// finalization was abandoned and the interpreter runs on.
    ThreadsOutstanding {
        /// How many non-daemon threads were still running.
        threads: usize,
    },
    /// Finalization completed (the interpreter is Finalized, and for the
    /// main interpreter the runtime is finalized), but not cleanly: see
    /// [`FinalizeFaults`]. Reported after the fact, as CPython's `atexit` prints a
    /// callback's exception and `Py_FinalizeEx` goes on.
    Faulted(FinalizeFaults),
}

impl FinalizeError {
    /// Whether the interpreter was finalized all the same (only
    /// [`Faulted`](Self::Faulted)); otherwise it runs on, or someone else
    /// finalizes it ([`AlreadyFinalizing`](Self::AlreadyFinalizing)).
    pub fn finalized(&self) -> bool {
        matches!(self, Self::Faulted(_))
    }
}

/// What went wrong in a finalization that completed
/// ([`FinalizeError::Faulted`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FinalizeFaults {
    /// How many at-exit callbacks panicked. Each panic was caught; the
    /// callbacks after it still ran.
    pub at_exit_panicked: usize,
    /// The first panicking callback's message (callbacks run newest first).
    pub first_panic: Option<String>,
    /// The subinterpreters the main interpreter's finalization could not
    /// finalize, each with why, newest first. They were left as they were:
    /// still registered and Running (a guard on one, for instance, is still
    /// honoured), so each can be finalized or destroyed later, by handle or
    /// through `Runtime::get`/`Runtime::destroy`.
    pub subinterpreters: Vec<(InterpreterId, FinalizeError)>,
}

impl FinalizeFaults {
    /// Whether nothing went wrong.
    pub(crate) fn is_empty(&self) -> bool {
        self.at_exit_panicked == 0 && self.subinterpreters.is_empty()
    }
}

impl fmt::Display for FinalizeFaults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if self.at_exit_panicked > 0 {
            write!(f, "{} at-exit callback(s) panicked", self.at_exit_panicked)?;
            if let Some(first) = &self.first_panic {
                write!(f, " (first: {first})")?;
            }
            sep = "; ";
        }
        for (id, error) in &self.subinterpreters {
            write!(f, "{sep}{id} was not finalized: {error}")?;
            sep = "; ";
        }
        Ok(())
    }
}

impl fmt::Display for FinalizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyFinalizing => f.write_str("the interpreter is already finalizing or finalized"),
            Self::CurrentThreadAttached => {
                f.write_str("cannot finalize the interpreter the calling thread is attached to")
            }
            Self::CurrentThreadHoldsGuard { guards } => {
                write!(f, "cannot finalize: the calling thread holds {guards} guard(s) on the interpreter")
            }
            Self::GuardsOutstanding(outstanding) => write!(f, "timed out waiting for guards: {outstanding}"),
            Self::ThreadsOutstanding { threads } => {
                write!(f, "timed out waiting for {threads} non-daemon thread(s) to finish")
            }
            Self::Faulted(faults) => write!(f, "finalized, with faults: {faults}"),
        }
    }
}

impl std::error::Error for FinalizeError {}
