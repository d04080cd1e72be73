//! How long a send or receive may wait: one type, [`Wait`], built by
//! conversion from what the caller has at hand, and the send's options,
//! [`SendOptions`] (a wait and, per item, an unbound policy).
//!
//! | the caller passes          | [`Wait`]            | a channel send                 | a queue put / any receive            |
//! |----------------------------|---------------------|--------------------------------|--------------------------------------|
//! | [`Nowait`]                 | `Nowait`            | queues the item and returns    | refuses at once (`Full` / `Empty`)   |
//! | [`Forever`]                | `Forever`           | waits for a receiver, no limit | waits, no limit                      |
//! | a [`Duration`]             | `Until(deadline)`   | waits that long                | waits that long                      |
//! | an [`Instant`]             | `Until(deadline)`   | waits until then               | waits until then                     |
//! | a [`Deadline`]             | `Until(deadline)`   | until it passes (models: [`Deadline::manual`]) | until it passes      |
//!
//! Not waiting and a timeout are one choice, so CPython's `ValueError` for
//! a non-blocking send given a timeout cannot be written:
//!
//! ```compile_fail
//! use xinterp::channel::{Nowait, SendOptions};
//! use std::time::Duration;
//! let _ = SendOptions::new(Nowait).timeout(Duration::from_secs(1)); // no such method
//! ```
use super::unbound::UnboundPolicy;
use crate::sync::time::Deadline;
use std::time::{Duration, Instant};

/// Do not wait: CPython's `send_nowait`, `recv_nowait`, `put_nowait`,
/// `get_nowait` (`block=False`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Nowait;

/// Wait as long as it takes: CPython's `timeout=None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Forever;

/// How long an operation may wait; see the module docs of
/// [`channel`](crate::channel). Build it from [`Nowait`], [`Forever`], a
/// [`Duration`], an [`Instant`] or a [`Deadline`].
#[derive(Clone, Debug, Default)]
pub enum Wait {
    /// Do not wait.
    Nowait,
    /// No limit.
    #[default]
    Forever,
    /// Until the deadline passes.
    Until(Deadline),
}

impl Wait {
    /// The deadline to wait until, or `None` not to wait.
    pub(crate) fn into_deadline(self) -> Option<Deadline> {
        match self {
            Self::Nowait => None,
            Self::Forever => Some(Deadline::never()),
            Self::Until(deadline) => Some(deadline),
        }
    }
}

impl From<Nowait> for Wait {
    fn from(_: Nowait) -> Self {
        Self::Nowait
    }
}

impl From<Forever> for Wait {
    fn from(_: Forever) -> Self {
        Self::Forever
    }
}

impl From<Duration> for Wait {
    fn from(timeout: Duration) -> Self {
        Self::Until(Deadline::after(timeout))
    }
}

impl From<Instant> for Wait {
    fn from(at: Instant) -> Self {
        Self::Until(Deadline::at(at))
    }
}

impl From<Deadline> for Wait {
    fn from(deadline: Deadline) -> Self {
        Self::Until(deadline)
    }
}

impl From<&Deadline> for Wait {
    /// A clone: it shares the original's expiry (a manual deadline expired
    /// later still ends the wait).
    fn from(deadline: &Deadline) -> Self {
        Self::Until(deadline.clone())
    }
}

/// A send's (or put's) options: how long it may wait, and this item's own
/// unbound policy (else the channel's). Anything a [`Wait`] is built from
/// converts into it, so `tx.send(py, item, Nowait)` and
/// `tx.send(py, item, SendOptions::new(Duration::from_secs(1)).unbound(UnboundPolicy::Remove))`
/// are the same method.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct SendOptions {
    pub(crate) wait: Wait,
    pub(crate) unbound: Option<UnboundPolicy>,
}

impl SendOptions {
    /// Options that wait as `wait` says, with the channel's unbound policy.
    pub fn new(wait: impl Into<Wait>) -> Self {
        Self { wait: wait.into(), unbound: None }
    }

    /// This item's own unbound policy (CPython's `unbound=` keyword).
    pub fn unbound(self, policy: UnboundPolicy) -> Self {
        Self { unbound: Some(policy), ..self }
    }
}

macro_rules! options_from {
    ($($t:ty),*) => {$(
        impl From<$t> for SendOptions {
            fn from(wait: $t) -> Self {
                Self::new(wait)
            }
        }
    )*};
}

options_from!(Wait, Nowait, Forever, Duration, Instant, Deadline, &Deadline);
