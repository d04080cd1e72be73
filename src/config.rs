//! Interpreter configuration: PEP 684's `PyInterpreterConfig`, the fields
//! that matter for concurrency, validated into typed errors.
//!
//! | field                           | CPython                                | here                                                    |
//! |---------------------------------|----------------------------------------|---------------------------------------------------------|
//! | [`Config::gil`]                 | `gil` (`OWN` / `SHARED`)               | [`GilMode::Own`]: its own GIL; [`GilMode::Shared`]: the main interpreter's |
//! | [`Config::use_main_obmalloc`]   | `use_main_obmalloc`                    | recorded and validated (own GIL needs its own allocator) |
//! | [`Config::check_multi_interp_extensions`] | same                         | recorded and validated                                  |
//! | [`Config::allow_threads`]       | `allow_threads`                        | [`Interpreter::spawn_thread`](crate::Interpreter::spawn_thread) refuses when false |
//! | [`Config::allow_daemon_threads`]| `allow_daemon_threads`                 | daemon threads refused when false                        |
//! | [`Config::guard_policy`]        | (PEP 788 has one policy)               | [`GuardPolicy::CPython`] or [`GuardPolicy::Drain`]      |
//! | [`Config::track_guards`]        | (no equivalent)                        | remember where each guard was taken, for leak reports   |
//! | [`Config::channel_spin`]        | (no equivalent: CPython parks at once) | whether a channel or queue waiter spins before it releases its GIL and parks |
//!
//! The constraints are CPython's (`_PyInterpreterConfig_InitFromDict` and
//! `init_interp_settings`): an own GIL requires `use_main_obmalloc = false`,
//! which requires `check_multi_interp_extensions = true`. A daemon thread is
//! a thread, so `allow_daemon_threads` without `allow_threads` is refused too.
//! Each refusal is a typed [`ConfigError`].
use std::fmt;

/// CPython's pending-call ring capacity (`MAXPENDINGCALLS`): the default of
/// [`Config::pending_calls`].
pub(crate) const PENDING_CALLS: usize = 300;

/// Which GIL an interpreter's threads take when they attach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GilMode {
    /// Its own GIL: its threads run in parallel with other interpreters'.
    Own,
    /// The main interpreter's GIL: it excludes the main interpreter and every
    /// other interpreter that shares it.
    Shared,
}

/// When guards stop being granted during finalization.
///
/// The models and the SPIN proof compare the two: with a steady stream of
/// new guards, CPython's policy can starve the finalizer, the drain policy
/// cannot (see `docs/lifecycle.md#policies`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum GuardPolicy {
    /// PEP 788 as implemented: finalization waits until no guard is held and
    /// then, in one compare-exchange, enters Finalizing; guards are granted
    /// until that moment.
    #[default]
    CPython,
    /// No new guard once the finalizer starts waiting for guards (after the
    /// non-daemon threads finished and the at-exit callbacks ran): the
    /// finalizer waits only for the guards already held.
    Drain,
}

/// How an interpreter is configured. [`Config::isolated`] is the default
/// (CPython's `_PyInterpreterConfig_INIT`); [`Config::legacy`] is CPython's
/// `_PyInterpreterConfig_LEGACY_INIT`, what the main interpreter uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// Own or shared GIL.
    pub gil: GilMode,
    /// Whether it allocates from the main interpreter's object allocator.
    pub use_main_obmalloc: bool,
    /// Whether single-phase-init extension modules are refused.
    pub check_multi_interp_extensions: bool,
    /// Whether it may start threads.
    pub allow_threads: bool,
    /// Whether it may start daemon threads.
    pub allow_daemon_threads: bool,
    /// Whether `fork()` is allowed (recorded; xinterp never forks).
    pub allow_fork: bool,
    /// Whether `exec()` is allowed (recorded; xinterp never execs).
    pub allow_exec: bool,
    /// When finalization stops granting guards.
    pub guard_policy: GuardPolicy,
    /// Remember where each guard was taken (`#[track_caller]`), so that a
    /// finalization that times out can list them. Costs a lock and an
    /// allocation (the guard's ticket) per guard; untracked guards pay neither.
    pub track_guards: bool,
    /// Capacity of the interpreter's pending-call ring: work other
    /// interpreters queue on it, run by the next thread that holds its GIL
    /// (releases of cross-interpreter data). The default is CPython's
    /// `MAXPENDINGCALLS`, 300; a full ring is an error the queuing caller
    /// sees.
    pub pending_calls: usize,
    /// Whether a thread of this interpreter that must wait on a channel or
    /// queue (an empty receive, a blocking send) first spins a few
    /// microseconds, its GIL still held, before it releases the GIL and
    /// parks: an item or receipt that comes within the spin then costs no
    /// futex wake-up and no GIL hand-off. On by default. Off, the waiter
    /// parks at once, as CPython's does: the better choice when threads
    /// outnumber cores, where a spin only burns a core another thread
    /// needs. What the waiter decides is the same either way (see the
    /// `channel` module's *Spins*).
    pub channel_spin: bool,
}

impl Config {
    /// An isolated interpreter: own GIL, own allocator, threads but no
    /// daemon threads, no fork or exec.
    pub const fn isolated() -> Self {
        Self {
            gil: GilMode::Own,
            use_main_obmalloc: false,
            check_multi_interp_extensions: true,
            allow_threads: true,
            allow_daemon_threads: false,
            allow_fork: false,
            allow_exec: false,
            guard_policy: GuardPolicy::CPython,
            track_guards: false,
            pending_calls: PENDING_CALLS,
            channel_spin: true,
        }
    }

    /// A legacy interpreter: the main interpreter's GIL and allocator,
    /// everything allowed.
    pub const fn legacy() -> Self {
        Self {
            gil: GilMode::Shared,
            use_main_obmalloc: true,
            check_multi_interp_extensions: false,
            allow_threads: true,
            allow_daemon_threads: true,
            allow_fork: true,
            allow_exec: true,
            guard_policy: GuardPolicy::CPython,
            track_guards: false,
            pending_calls: PENDING_CALLS,
            channel_spin: true,
        }
    }

    /// This configuration with `gil` set.
    pub const fn with_gil(mut self, gil: GilMode) -> Self {
        self.gil = gil;
        self
    }

    /// This configuration with the guard policy set.
    pub const fn with_guard_policy(mut self, policy: GuardPolicy) -> Self {
        self.guard_policy = policy;
        self
    }

    /// This configuration with guard tracking on or off.
    pub const fn with_track_guards(mut self, track: bool) -> Self {
        self.track_guards = track;
        self
    }

    /// This configuration with channel waits spinning before they park, or
    /// parking at once ([`Config::channel_spin`]).
    pub const fn with_channel_spin(mut self, spin: bool) -> Self {
        self.channel_spin = spin;
        self
    }

    /// This configuration with daemon threads allowed or not.
    pub const fn with_daemon_threads(mut self, allow: bool) -> Self {
        self.allow_daemon_threads = allow;
        self
    }

    /// This configuration with a pending-call ring of `capacity` entries
    /// (models use a small one to reach "full").
    pub const fn with_pending_calls(mut self, capacity: usize) -> Self {
        self.pending_calls = capacity;
        self
    }

    /// This configuration with threads allowed or not.
    pub const fn with_threads(mut self, allow: bool) -> Self {
        self.allow_threads = allow;
        self
    }

    /// Checks CPython's constraints.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.gil == GilMode::Own && self.use_main_obmalloc {
            return Err(ConfigError::OwnGilNeedsOwnAllocator);
        }
        if !self.use_main_obmalloc && !self.check_multi_interp_extensions {
            return Err(ConfigError::OwnAllocatorNeedsExtensionCheck);
        }
        if self.allow_daemon_threads && !self.allow_threads {
            return Err(ConfigError::DaemonThreadsNeedThreads);
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::isolated()
    }
}

/// A configuration CPython would refuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigError {
    /// `gil: Own` with `use_main_obmalloc: true`.
    OwnGilNeedsOwnAllocator,
    /// `use_main_obmalloc: false` with `check_multi_interp_extensions: false`.
    OwnAllocatorNeedsExtensionCheck,
    /// `allow_daemon_threads: true` with `allow_threads: false`.
    DaemonThreadsNeedThreads,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::OwnGilNeedsOwnAllocator => "an interpreter with its own GIL cannot use the main allocator",
            Self::OwnAllocatorNeedsExtensionCheck => {
                "an interpreter with its own allocator must check multi-interpreter extensions"
            }
            Self::DaemonThreadsNeedThreads => "daemon threads cannot be allowed when threads are not",
        })
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_and_the_invalid_combinations_are_refused() {
        assert_eq!(Config::isolated().validate(), Ok(()));
        assert_eq!(Config::legacy().validate(), Ok(()));
        assert_eq!(Config::legacy().with_gil(GilMode::Own).validate(), Err(ConfigError::OwnGilNeedsOwnAllocator));
        let mut c = Config::isolated();
        c.check_multi_interp_extensions = false;
        assert_eq!(c.validate(), Err(ConfigError::OwnAllocatorNeedsExtensionCheck));
        assert_eq!(
            Config::isolated().with_threads(false).with_daemon_threads(true).validate(),
            Err(ConfigError::DaemonThreadsNeedThreads)
        );
        // Shared GIL with an own allocator is allowed, as in CPython.
        assert_eq!(Config::isolated().with_gil(GilMode::Shared).validate(), Ok(()));
    }
}
