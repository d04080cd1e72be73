//! From recorded events to model steps: each protocol event becomes a
//! [`Step`], or `None` for an op no model covers (a witness, a violation, a
//! scenario's own [`Custom`] record, a naive known-bug model's own step).
//! Lifecycle events (guards, finalization, interpreters and their threads,
//! GILs, thread states) are typed: their steps *are* the events
//! (`crate::trace::event::lifecycle`), matched here, never read from text.
//! Cross-interpreter data events are typed too ([`XiEvent`]
//! (crate::trace::event::XiEvent)) and become steps in `xi.rs` by a plain
//! match. Channel and queue events are still read from text in
//! `channel.rs`.
//!
//! A covered op with an outcome or state the text parsers do not know is
//! an error, not a skip: the protocol changed and its model must follow.
use super::channel::{self, ChannelStep};
use super::xi::{self, XiStep};
use crate::spec::lifecycle::ThreadKey;
use crate::trace::event::{FinalizeEvent, GilEvent, GuardEvent, InterpEvent, ThreadStateEvent};
use crate::trace::{Custom, Event, EventKind};

/// One protocol step, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A guard step.
    Guard(GuardEvent),
    /// A finalization step.
    Finalize(FinalizeEvent),
    /// An interpreter or interpreter-thread step.
    Interp(InterpEvent),
    /// A GIL step.
    Gil(GilEvent),
    /// A thread-state step.
    ThreadState(ThreadStateEvent),
    /// A channel or queue step (`channel.*`, `queue.*`).
    Channel(Box<ChannelStep>),
    /// A cross-interpreter data step (`heap.*`, `refcount.*`, `xi.*`,
    /// `xiview.*`, `pending.*`).
    Xi(Box<XiStep>),
}

impl Step {
    /// How many atomic actions the step is: a refused guard is counted, and
    /// later uncounted, at two different instants; a run of pending calls
    /// takes the ring before its first call.
    pub fn actions(&self) -> u8 {
        match self {
            Self::Guard(GuardEvent::Refused { .. }) => 2,
            Self::Xi(x) => x.actions(),
            _ => 1,
        }
    }

    /// Whether action `action` may take effect before events recorded
    /// ahead of it (so the search may move it earlier). Lifecycle steps
    /// may: an atomic or a lock's change is recorded just after it. Channel
    /// steps may not: they are recorded under the channel's lock, in effect
    /// order; except a channel's creation, recorded just after the registry
    /// lists it (another thread may find it by id and use it first). Xi
    /// steps: see `xi.rs`.
    pub fn movable(&self, action: u8) -> bool {
        match self {
            Self::Channel(c) => c.is_creation(),
            Self::Xi(x) => x.movable(action),
            _ => true,
        }
    }

    /// Which model the step changes: steps of different models touch
    /// disjoint state (an xi step reads only its own thread's GIL, and the
    /// finalization its own thread runs), so they commute, and the search
    /// only moves a step ahead of a step of the same model.
    pub fn domain(&self) -> Domain {
        match self {
            Self::Channel(_) => Domain::Channels,
            Self::Xi(_) => Domain::Xi,
            _ => Domain::Lifecycle,
        }
    }
}

/// The model a step belongs to (see [`Step::domain`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// Interpreters, guards, GILs, thread states.
    Lifecycle,
    /// Channels and queues.
    Channels,
    /// Heaps, rings, views.
    Xi,
}

/// An event ready for replay.
#[derive(Clone, Debug)]
pub struct Parsed {
    /// The thread, interned.
    pub thread: ThreadKey,
    /// The interpreter acted on.
    pub interp: Option<u64>,
    /// The step, or `None` when no model covers the op.
    pub step: Option<Step>,
}

/// Whether some model covers `op` (its events are checked, not skipped).
pub fn covered(op: &str) -> bool {
    channel::covers(op) || xi::covers(op) || lifecycle_covers(op)
}

fn lifecycle_covers(op: &str) -> bool {
    matches!(
        op,
        "guard.acquire"
            | "guard.release"
            | "finalize.request"
            | "finalize.threads"
            | "finalize.atexit"
            | "finalize.drain"
            | "finalize.wait"
            | "finalize.begin"
            | "finalize.subinterpreters"
            | "finalize.teardown"
            | "finalize.done"
            | "interp.create"
            | "interp.list"
            | "interp.run"
            | "interp.destroy"
            | "thread.spawn"
            | "thread.attach"
            | "thread.start"
            | "thread.exit"
            | "gil.acquire"
            | "gil.release"
            | "threadstate.ensure"
            | "threadstate.release"
            | "threadstate.detach"
            | "threadstate.attach"
    )
}

/// The step a covered event records, or why it cannot be read.
pub fn step(event: &Event) -> Result<Option<Step>, String> {
    Ok(Some(match &event.kind {
        EventKind::Custom(c) => return legacy(c),
        EventKind::Guard(e) => Step::Guard(*e),
        EventKind::Finalize(e) => Step::Finalize(*e),
        EventKind::Interp(e) => Step::Interp(e.clone()),
        EventKind::Gil(e) => Step::Gil(*e),
        EventKind::ThreadState(e) => Step::ThreadState(*e),
        EventKind::Channel(e) => match *e {},
        EventKind::Xi(e) => Step::Xi(Box::new(xi::step(e)?)),
        EventKind::Observation(_) | EventKind::Witness(_) | EventKind::Violation(_) => return Ok(None),
    }))
}

/// A step still recorded as text (being replaced by typed events): channel
/// steps. A lifecycle or xi op recorded as [`Custom`] text is a scenario's
/// own step (a naive known-bug model's): not covered.
fn legacy(event: &Custom) -> Result<Option<Step>, String> {
    let outcome = event.outcome.as_str();
    let state = event.state.as_str();
    if channel::covers(&event.op) {
        return Ok(Some(Step::Channel(Box::new(channel::parse(&event.op, outcome, state)?))));
    }
    Ok(None)
}
