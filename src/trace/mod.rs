//! Interleaving traces at the level of the protocols: interpreters, guards,
//! GILs, channel items and refcounts, not raw atomics.
//!
//! Every protocol step calls [`trace_event!`](crate::trace_event) with the
//! interpreter it acts on, the operation, its outcome and the state it left
//! behind. The event lands in the *session* of the calling thread (see
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

pub mod render;
pub mod session;

use std::borrow::Cow;
use std::fmt;

/// One protocol step, as it appears in a trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Position in the execution, from 1.
    pub seq: u64,
    /// The thread that took the step: its name, or `main` for an unnamed
    /// thread (the scenario's root is unnamed; name the threads you spawn
    /// with `sync::thread::spawn_named`, or their steps share main's column).
    pub thread: String,
    /// The interpreter acted on, if any.
    pub interp: Option<u64>,
    /// The operation, `protocol.step` (`guard.acquire`, `finalize.wait`).
    pub op: Cow<'static, str>,
    /// What came of it (`ok`, `refused: finalizing`, `blocked`).
    pub outcome: String,
    /// The relevant state after the step (`phase=running guards=1`).
    pub state: String,
}

impl Event {
    /// Whether this event marks a witness declared by a scenario.
    pub fn is_witness(&self) -> bool {
        self.op == WITNESS_OP
    }

    /// Whether this event marks the failing step of the execution.
    pub fn is_violation(&self) -> bool {
        self.op == session::VIOLATION_OP
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} [{}]", self.seq, self.thread)?;
        if let Some(id) = self.interp {
            write!(f, " interp {id}")?;
        }
        write!(f, " {} -> {}", self.op, self.outcome)?;
        if !self.state.is_empty() {
            write!(f, " ({})", self.state)?;
        }
        Ok(())
    }
}

/// The op of the event that [`crate::check::reach`] records.
pub const WITNESS_OP: &str = "witness";

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
/// Public so that scenarios and downstream models can add their own steps to a
/// trace; the protocols in this crate use [`trace_event!`](crate::trace_event),
/// which compiles away in production builds without the `trace` feature.
pub fn record(
    interp: Option<u64>,
    op: impl Into<Cow<'static, str>>,
    outcome: impl fmt::Display,
    state: impl fmt::Display,
) {
    session::with_current(|s| s.push(interp, op.into(), outcome.to_string(), state.to_string()));
}

/// Records a protocol step: `trace_event!(interp_id, "op", outcome, state)`.
///
/// `outcome` and `state` are any `Display` values and are only evaluated
/// when tracing is compiled in (`--cfg loom`, `--cfg shuttle`, or the `trace`
/// feature) and the calling thread is in a session.
#[macro_export]
#[doc(hidden)]
macro_rules! trace_event {
    ($interp:expr, $op:expr, $outcome:expr, $state:expr $(,)?) => {
        $crate::__trace_event_impl!($interp, $op, $outcome, $state)
    };
}

#[cfg(any(loom, shuttle, feature = "trace"))]
#[macro_export]
#[doc(hidden)]
macro_rules! __trace_event_impl {
    ($interp:expr, $op:expr, $outcome:expr, $state:expr) => {
        if $crate::trace::session::active() {
            $crate::trace::record($interp, $op, $outcome, $state)
        }
    };
}

#[cfg(not(any(loom, shuttle, feature = "trace")))]
#[macro_export]
#[doc(hidden)]
macro_rules! __trace_event_impl {
    ($interp:expr, $op:expr, $outcome:expr, $state:expr) => {{
        // Compiled out: nothing is evaluated. The closure keeps the
        // arguments type-checked without running them.
        let _ = || {
            let _ = (&$interp, &$op, &$outcome, &$state);
        };
    }};
}

/// Whether protocol steps are recorded in this build.
pub const ENABLED: bool = cfg!(any(loom, shuttle, feature = "trace"));
