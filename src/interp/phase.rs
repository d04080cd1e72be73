//! Where an interpreter is in its life: the phase the lifecycle word
//! (`lifecycle.rs`) encodes, as a plain value that events record.
use std::fmt;

/// Where an interpreter is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Guards may be taken.
    Running,
    /// Finalization has begun: no guard can ever be taken again.
    Finalizing,
    /// Torn down: its state is gone; only views and ids remain.
    Finalized,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Running => "running",
            Self::Finalizing => "finalizing",
            Self::Finalized => "finalized",
        })
    }
}
