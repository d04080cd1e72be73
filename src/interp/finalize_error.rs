//! Why a finalization did not complete: a plain value, kept apart from
//! the lifecycle word (`lifecycle.rs`) and the finalization steps
//! (`finalize.rs`) so that the events, which record it, sit below both.
use std::fmt;

/// Why a finalization did not complete.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FinalizeError {
    /// Another call already began (or finished) finalizing this interpreter.
    AlreadyFinalizing,
    /// The calling thread is attached to this interpreter (or holds a guard
    /// on it through a thread-state token): it would wait for itself.
    CurrentThreadAttached,
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
}

impl fmt::Display for FinalizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AlreadyFinalizing => f.write_str("the interpreter is already finalizing or finalized"),
            Self::CurrentThreadAttached => {
                f.write_str("cannot finalize the interpreter the calling thread is attached to")
            }
            Self::GuardsOutstanding(outstanding) => write!(f, "timed out waiting for guards: {outstanding}"),
            Self::ThreadsOutstanding { threads } => {
                write!(f, "timed out waiting for {threads} non-daemon thread(s) to finish")
            }
        }
    }
}

impl std::error::Error for FinalizeError {}
