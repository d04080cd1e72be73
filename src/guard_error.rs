//! Why a guard could not be taken: a plain value, kept apart from the
//! guards themselves (`guard.rs`) so that the guard events, which record
//! it, sit below the code that takes guards.
use crate::interp::InterpreterId;
use std::fmt;

/// Why a guard could not be taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GuardError {
    /// The interpreter has begun finalizing (under the drain policy: its
    /// finalization was requested): no guard can be taken any more.
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
