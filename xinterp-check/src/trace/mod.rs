//! Recorded executions: the events of one run of a scenario, and their
//! renderings.
//!
//! The protocols in `xinterp` describe each step as a typed
//! [`EventKind`] and hand it to the calling
//! thread's recorder. The harness installs a [`session::Session`] as that
//! recorder for every scenario: it numbers the steps, notes the thread that
//! took each, resets at the start of every execution, and keeps the events
//! of a failing execution as its counterexample. [`render`] prints a
//! [`Trace`] as a column-per-thread text view, JSON lines, a Mermaid
//! sequence diagram or Chrome trace-event JSON (Perfetto).
#![allow(clippy::disallowed_types)]

pub mod render;
pub mod session;

// The vocabulary is the library's; the toolkit's own modules name it here.
pub(crate) use xinterp::trace::{event, EventKind, ENABLED};

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
    /// What happened.
    pub kind: EventKind,
}

impl Event {
    /// The interpreter acted on, if any.
    pub fn interp(&self) -> Option<u64> {
        self.kind.interp()
    }

    /// The operation's name.
    pub fn op(&self) -> &str {
        self.kind.op()
    }

    /// What came of the step, for display.
    pub fn outcome(&self) -> impl fmt::Display + '_ {
        self.kind.outcome()
    }

    /// The state after the step, for display.
    pub fn state(&self) -> impl fmt::Display + '_ {
        self.kind.state()
    }

    /// The witness this event marks, if it marks one.
    pub fn witness(&self) -> Option<&str> {
        match &self.kind {
            EventKind::Witness(name) => Some(name),
            _ => None,
        }
    }

    /// Whether this event marks a witness declared by a scenario.
    pub fn is_witness(&self) -> bool {
        matches!(self.kind, EventKind::Witness(_))
    }

    /// Whether this event marks the failing step of the execution.
    pub fn is_violation(&self) -> bool {
        matches!(self.kind, EventKind::Violation(_))
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} [{}] {}", self.seq, self.thread, self.kind)
    }
}

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
