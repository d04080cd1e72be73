//! Interleaving traces at the level of the protocols: interpreters, guards,
//! GILs, channel items and refcounts, not raw atomics.
//!
//! Every protocol step calls [`trace_event!`](crate::trace_event) with a
//! typed [`EventKind`] ([`event`]): the interpreter it acts on, what came of
//! it, and the state it left behind, read from the real state. The event
//! lands in the *session* of the calling thread (see
//! [`session`]): the check harness opens one per scenario, resets it at the
//! start of every execution, and keeps the events of a failing execution as
//! its counterexample.
//!
//! The recorder uses plain `std` primitives, never the facade, so recording
//! adds no schedule points and cannot change what loom or shuttle explore.
//! In production builds without the `trace` feature `trace_event!` expands
//! to nothing: the protocols pay nothing for being traceable.
//!
//! Renderers ([`render`]): a column-per-thread text view, JSON lines, a
//! Mermaid sequence diagram and Chrome trace-event JSON (Perfetto).
#![allow(clippy::disallowed_types)]

pub mod event;
pub mod render;
pub mod session;

pub use event::{Custom, Event, EventKind, Step, VIOLATION_OP, WITNESS_OP};

use std::borrow::Cow;
use std::fmt;

/// A recorded execution: its events, in the order they happened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// The events, `seq` 1, 2, 3, ...
    pub events: Vec<Event>,
}

impl Trace {
    /// The thread names in order of first appearance (the text and Mermaid
    /// renderers' columns).
    pub fn threads(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for e in &self.events {
            if !seen.contains(&e.thread.as_str()) {
                seen.push(&e.thread);
            }
        }
        seen
    }
}

/// Records one event in the calling thread's session, if it has one.
///
/// Public so that scenarios and downstream models can add their own steps to
/// a trace (usually [`custom`]); the protocols in this crate use
/// [`trace_event!`](crate::trace_event), which compiles away in production
/// builds without the `trace` feature.
pub fn record(kind: impl Into<EventKind>) {
    session::with_current(|s| s.push(kind.into()));
}

/// Records a scenario's own step ([`Custom`]): free-form text, shown in the
/// trace, never replayed on a reference model.
pub fn custom(
    interp: Option<u64>,
    op: impl Into<Cow<'static, str>>,
    outcome: impl fmt::Display,
    state: impl fmt::Display,
) {
    if session::active() {
        record(Custom::new(interp, op, outcome, state));
    }
}

/// Records a protocol step: `trace_event!(kind)`, where `kind` is an
/// [`EventKind`] (or converts into one).
///
/// `kind` is only evaluated when tracing is compiled in (`--cfg loom`,
/// `--cfg shuttle`, or the `trace` feature) and the calling thread is in a
/// session; otherwise the macro expands to nothing that runs.
#[macro_export]
#[doc(hidden)]
macro_rules! trace_event {
    ($kind:expr $(,)?) => {
        $crate::__trace_event_impl!($kind)
    };
}

#[cfg(any(loom, shuttle, feature = "trace"))]
#[macro_export]
#[doc(hidden)]
macro_rules! __trace_event_impl {
    ($kind:expr) => {
        if $crate::trace::session::active() {
            $crate::trace::record($kind)
        }
    };
}

#[cfg(not(any(loom, shuttle, feature = "trace")))]
#[macro_export]
#[doc(hidden)]
macro_rules! __trace_event_impl {
    ($kind:expr) => {{
        // Compiled out: nothing is evaluated. The closure keeps the
        // argument type-checked without running it.
        let _ = || {
            let _ = $kind;
        };
    }};
}

/// Whether protocol steps are recorded in this build.
pub const ENABLED: bool = cfg!(any(loom, shuttle, feature = "trace"));
