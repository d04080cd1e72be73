//! Deadlines for timed waits, on every backend.
//!
//! loom and shuttle have no clock (their `Condvar::wait_timeout` never times
//! out), so a timeout cannot come from time in a model. A [`Deadline`]
//! therefore passes in one of two ways:
//!
//! | deadline                 | production                         | loom / shuttle                                     |
//! |--------------------------|------------------------------------|----------------------------------------------------|
//! | [`Deadline::after`]      | when the duration has elapsed      | never by itself (a model has no time)              |
//! | [`Deadline::manual`]     | when [`Deadline::expire`] is called | when [`Deadline::expire`] is called                |
//! | [`Deadline::never`]      | never                              | never                                              |
//!
//! A scenario explores a timeout race by giving the waiter a manual deadline
//! and spawning a "timer" thread that calls `expire()`: the checker then
//! tries the expiry at every point of the waiter's life, which is exactly
//! "the timeout may fire at any moment".
//!
//! [`Condvar::wait_until`](super::Condvar::wait_until) waits on a condvar
//! until notified or until the deadline passes. A manual deadline cannot
//! notify the condvar it is waited on (it does not know it), so waits on one
//! poll: in production every millisecond, in models by releasing the lock and
//! yielding (a spin loop, which loom and shuttle schedule fairly enough).
use super::atomic::{AtomicBool, Ordering};
use super::Arc;
use std::fmt;
use std::time::{Duration, Instant};

/// When a timed wait gives up. Cheap to clone; clones share expiry.
#[derive(Clone)]
pub struct Deadline {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Never,
    /// A point in (production) time; models ignore it.
    At(Instant),
    /// Passes when `expire` is called.
    Manual(Arc<AtomicBool>),
}

impl Deadline {
    /// Passes `timeout` from now in production; never in a model.
    pub fn after(timeout: Duration) -> Self {
        match Instant::now().checked_add(timeout) {
            Some(at) => Self { kind: Kind::At(at) },
            None => Self::never(),
        }
    }

    /// Passes at `at` in production; never in a model.
    pub fn at(at: Instant) -> Self {
        Self { kind: Kind::At(at) }
    }

    /// Never passes.
    pub fn never() -> Self {
        Self { kind: Kind::Never }
    }

    /// Passes when [`expire`](Self::expire) is called, on every backend.
    pub fn manual() -> Self {
        Self { kind: Kind::Manual(Arc::new(AtomicBool::new(false))) }
    }

    /// Makes a manual deadline pass. Does nothing to the other kinds.
    pub fn expire(&self) {
        if let Kind::Manual(flag) = &self.kind {
            // Release: pairs with the Acquire load in `has_passed`.
            flag.store(true, Ordering::Release);
        }
    }

    /// Whether the deadline has passed.
    pub fn has_passed(&self) -> bool {
        match &self.kind {
            Kind::Never => false,
            Kind::At(at) => !super::MODEL && Instant::now() >= *at,
            // Acquire: pairs with the Release store in `expire`.
            Kind::Manual(flag) => flag.load(Ordering::Acquire),
        }
    }

    /// How a condvar should wait for it: until an instant, by polling, or
    /// without a limit.
    pub(super) fn wait_kind(&self) -> WaitKind {
        match &self.kind {
            Kind::Never => WaitKind::Forever,
            Kind::At(_) if super::MODEL => WaitKind::Forever,
            Kind::At(at) => WaitKind::Until(*at),
            Kind::Manual(_) => WaitKind::Poll,
        }
    }
}

pub(super) enum WaitKind {
    Forever,
    Until(Instant),
    Poll,
}

/// How long a production wait on a manual deadline sleeps between looks.
pub(super) const POLL: Duration = Duration::from_millis(1);

impl fmt::Debug for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Never => f.write_str("Deadline::never"),
            Kind::At(at) => write!(f, "Deadline::at({at:?})"),
            Kind::Manual(_) => write!(f, "Deadline::manual(passed: {})", self.has_passed()),
        }
    }
}
