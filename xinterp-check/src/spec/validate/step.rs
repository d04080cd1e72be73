//! From recorded events to model steps: each protocol event becomes a
//! [`Step`] by a plain `match` on its kind, or `None` for an event no model
//! replays (a witness, a violation, an observation, a scenario's own
//! [`Custom`](crate::trace::Custom) step, which is how the naive known-bug
//! models record theirs). The steps *are* the typed events
//! (`crate::trace::event`): the lifecycle's directly, a channel's replayed
//! as recorded (`channel.rs`), an xi step with its place in a run of
//! pending calls (`xi.rs`). No event text is read anywhere.
use super::channel;
use super::xi::{self, XiStep};
use crate::spec::lifecycle::ThreadKey;
use crate::trace::event::{ChannelEvent, FinalizeEvent, GilEvent, GuardEvent, InterpEvent, ThreadStateEvent};
use crate::trace::{Event, EventKind};

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
    Channel(Box<ChannelEvent>),
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
            Self::Channel(c) => channel::is_creation(c),
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
pub struct Entry {
    /// The thread, interned.
    pub thread: ThreadKey,
    /// The interpreter acted on.
    pub interp: Option<u64>,
    /// The step, or `None` when no model covers the op.
    pub step: Option<Step>,
}

/// The step a covered event records, or why it cannot be read.
pub fn step(event: &Event) -> Result<Option<Step>, String> {
    Ok(Some(match &event.kind {
        EventKind::Custom(_) => return Ok(None),
        EventKind::Guard(e) => Step::Guard(*e),
        EventKind::Finalize(e) => Step::Finalize(*e),
        EventKind::Interp(e) => Step::Interp(e.clone()),
        EventKind::Gil(e) => Step::Gil(*e),
        EventKind::ThreadState(e) => Step::ThreadState(*e),
        EventKind::Channel(e) => Step::Channel(Box::new(e.clone())),
        EventKind::Xi(e) => Step::Xi(Box::new(xi::step(e)?)),
        EventKind::Observation(_) | EventKind::Witness(_) | EventKind::Violation(_) => return Ok(None),
        // A kind newer than these rules: uncovered (counted in the report),
        // never a false alarm.
        _ => return Ok(None),
    }))
}
