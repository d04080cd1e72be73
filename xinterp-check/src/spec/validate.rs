//! Trace validation: every recorded trace is replayed on the reference
//! models, and the first event no model allows is reported.
//!
//! # How
//!
//! 1. **Take the steps** (`validate/step.rs`): each event's typed kind
//!    ([`crate::trace::EventKind`]) is a model step, with the state it
//!    recorded read from the real state (`guards=N` from the word the
//!    step's own atomic returned, a GIL's holder and waiters, a thread
//!    state's count and whether it still exists, a channel's items, waiting
//!    threads, status and association records under its lock, an object's
//!    refcount and whether its slot was freed, a ring's length and closed
//!    flag, a heap's leaks). Nothing is read from text. Events no model
//!    replays (witnesses, violations, observations, a scenario's own
//!    [`Custom`](xinterp::trace::Custom) steps such as `channel.ledger` and
//!    the naive known-bug models' steps) are counted as *not covered* and
//!    skipped. A typed event whose data the model does not know (an xi
//!    failure it has no rule for) is a failure: the protocol changed and
//!    its model must follow.
//! 2. **Replay** (`validate/search.rs`): the steps are applied to a fresh
//!    combined model (`validate/model.rs`: the
//!    [`Lifecycle`](super::lifecycle::Lifecycle), one
//!    [`ChannelSpec`](super::channel::ChannelSpec) per channel, and the xi
//!    [`Heaps`](super::xi::Heaps)) in recorded order; each step must be
//!    allowed by the model, and the state it recorded must be the model's.
//!    A lifecycle step takes effect (an atomic RMW, a change under a lock)
//!    slightly before it is recorded, so when the recorded order fails, the
//!    replay searches the orders the recording permits (another thread's
//!    next step may have taken effect first). Channel events are recorded
//!    under the channel's lock, in effect order, and never move; of the xi
//!    steps only those recorded after their effect (a push, a ring's take
//!    and close, a view's count) may.
//! 3. **Verdict** ([`Verdict`]): allowed (in recorded order, or reordered,
//!    with the model transitions the accepted order took:
//!    [`Verdict::transitions`], listed in `validate/transition.rs`),
//!    rejected at an event (the deepest any permitted order reached, the
//!    invariant, what the model expected, the model's state before it:
//!    the lifecycle's, the event's channel's, or its owner's heap's), or
//!    undecided (the search budget ran out; reported, not failed).
//!
//! # What the validator accepts that the sequential API never shows
//!
//! - A refused guard is counted in the word for an instant before it is
//!   undone: other threads' events may record that count. A refused
//!   `guard.acquire` is therefore two steps (count, undo) placed
//!   independently.
//! - A release that restores a previous thread state counts an unrecorded
//!   guard while it re-attaches: recorded counts may exceed the model's by
//!   one per such thread.
//! - A destroy's claim on an interpreter is not recorded: `interp.run`
//!   refused as `destroying` is accepted whenever no run is in progress.
//! - The main interpreter's policy is not recorded: the first event only
//!   one policy explains (a guard granted, or refused, after a request)
//!   decides it. Subinterpreters' policies are in `interp.create`.
//! - A blocking channel operation is several events (`blocked`, then what
//!   became of it); the thread counts as waiting in between.
//! - A close's flags (`send`, `force`) are not recorded: each recorded
//!   outcome is produced by one set of flags, and the model must give that
//!   outcome with them.
//! - A run of pending calls records each call's decref and then `pending.run
//!   -> ran N`: the N decrefs just before it, by the same thread, are read
//!   as the run's calls (the first one also takes the whole ring).
//!
//! # Assumptions
//!
//! One runtime per trace (ids are the registry's: a second runtime would
//! reuse them, which is reported as RG-1), and distinct thread names (a
//! thread is its name: two unnamed threads share `main`'s column and
//! would look like one thread).
mod apply;
mod channel;
mod model;
mod search;
mod step;
pub mod transition;
mod xi;

use crate::spec::lifecycle::ThreadKey;
use crate::trace::event::{GuardEvent, InterpEvent};
use crate::trace::Event;
use search::Replayed;
use std::borrow::Cow;
use std::fmt;
use step::{Entry, Step};
pub use transition::{Protocol, Transition, TransitionSet};

/// What replaying one trace came to.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// Events a model covers (checked).
    pub covered: usize,
    /// The ops of the events no model covers (skipped), in order.
    pub uncovered: Vec<Cow<'static, str>>,
    /// The model transitions the accepted replay took (the order the
    /// verdict allowed, not the orders the search rejected); empty unless
    /// allowed.
    pub transitions: TransitionSet,
    /// The result.
    pub outcome: Outcome,
}

/// Whether the model allows a trace.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Allowed; `reordered` when only an order other than the recorded one
    /// (but permitted by it) replays.
    Allowed {
        /// The replay needed a permitted reordering.
        reordered: bool,
    },
    /// An event the model does not allow (boxed: a rejection carries the
    /// whole event and its messages, and is rare).
    Rejected(Box<Rejection>),
    /// The search for a permitted order ran out of budget.
    Undecided,
}

/// The event the model does not allow, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The event.
    pub event: Event,
    /// The invariant (`LC-1`, `GIL-1`, ...).
    pub rule: &'static str,
    /// What the model expected instead.
    pub expected: String,
    /// The model's state before the event.
    pub state: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invariant {} violated (reference model): event {} is not allowed", self.rule, self.event)?;
        writeln!(f, "  expected: {}", self.expected)?;
        write!(f, "  model state before it: {}", self.state)
    }
}

impl Verdict {
    /// The rejection, if the trace was rejected.
    pub fn rejection(&self) -> Option<&Rejection> {
        match &self.outcome {
            Outcome::Rejected(r) => Some(r.as_ref()),
            _ => None,
        }
    }
}

/// Replays `events` on the reference models.
pub fn validate(events: &[Event]) -> Verdict {
    prepare(events).replay(|i| events[i].clone())
}

/// A trace read into model steps, ready to replay: what [`prepare`] keeps
/// of the events (so the harness can read them under the session's lock and
/// replay without it, and without copying them).
#[derive(Clone, Debug)]
pub struct Prepared {
    entries: Vec<Entry>,
    /// Each thread's first event, to name the model's thread keys in a
    /// rejection.
    first_event_of_thread: Vec<usize>,
    covered: usize,
    uncovered: Vec<Cow<'static, str>>,
    /// The first event that could not be read, and why.
    unreadable: Option<(usize, String)>,
}

/// Reads `events` into model steps. Only parses: it does not panic.
pub fn prepare(events: &[Event]) -> Prepared {
    let mut names: Vec<&str> = Vec::new();
    let mut first_event_of_thread = Vec::new();
    let mut entries: Vec<Entry> = Vec::with_capacity(events.len());
    let mut uncovered = Vec::new();
    let mut unreadable = None;
    for (i, event) in events.iter().enumerate() {
        let thread = match names.iter().position(|n| *n == event.thread) {
            Some(k) => k,
            None => {
                names.push(&event.thread);
                first_event_of_thread.push(i);
                names.len() - 1
            }
        };
        let step = match step::step(event) {
            Ok(step) => step,
            Err(why) => {
                unreadable.get_or_insert((i, why));
                None
            }
        };
        if step.is_none() && unreadable.as_ref().is_none_or(|(p, _)| *p != i) {
            uncovered.push(Cow::Owned(event.op().to_owned()));
        }
        entries.push(Entry { thread: ThreadKey(thread as u32), interp: event.interp(), step });
    }
    let covered = events.len() - uncovered.len();
    mark_pending_calls(&mut entries);
    Prepared { entries, first_event_of_thread, covered, uncovered, unreadable }
}

impl Prepared {
    /// Replays the steps; `event(i)` gives event `i` back for a rejection.
    pub fn replay(self, event: impl Fn(usize) -> Event) -> Verdict {
        let Self { entries, first_event_of_thread, covered, uncovered, unreadable } = self;
        if let Some((i, why)) = unreadable.or_else(|| misplaced_attach_refusal(&entries)) {
            let rejection = Rejection {
                event: event(i),
                rule: "TR-2",
                expected: why,
                state: "(not replayed: the trace could not be read)".to_owned(),
            };
            let outcome = Outcome::Rejected(Box::new(rejection));
            return Verdict { covered, uncovered, transitions: TransitionSet::default(), outcome };
        }
        let mut transitions = TransitionSet::default();
        let outcome = match search::replay(&entries) {
            Replayed::InOrder(taken) => {
                transitions = taken;
                Outcome::Allowed { reordered: false }
            }
            Replayed::Reordered(taken) => {
                transitions = taken;
                Outcome::Allowed { reordered: true }
            }
            Replayed::Undecided => Outcome::Undecided,
            Replayed::Rejected { at, why, state } => {
                // The model numbers threads in order of appearance.
                let names: Vec<String> = first_event_of_thread
                    .iter()
                    .enumerate()
                    .map(|(k, i)| format!("thread {k} = {}", event(*i).thread))
                    .collect();
                let state = format!("{state} ({})", names.join(", "));
                let rejection = Rejection { event: event(at), rule: why.rule, expected: why.expected, state };
                Outcome::Rejected(Box::new(rejection))
            }
        };
        Verdict { covered, uncovered, transitions, outcome }
    }
}

/// A run of pending calls records each call's decref (or its failure),
/// then `pending.run -> ran N`: the N decrefs just before it, by the same
/// thread on the same interpreter, become the run's calls, the first of
/// which takes the ring. If there are fewer, they stay plain decrefs and
/// the replay rejects the `pending.run` (no run was taken).
fn mark_pending_calls(entries: &mut [Entry]) {
    use crate::trace::event::XiEvent;
    use xi::RunCall;
    for i in 0..entries.len() {
        let Some(Step::Xi(run)) = &entries[i].step else { continue };
        let XiEvent::RunDone { ran, .. } = run.event else { continue };
        let (thread, owner) = (entries[i].thread, run.event.owner());
        let mut calls = Vec::with_capacity(ran);
        for j in (0..i).rev() {
            if calls.len() == ran {
                break;
            }
            if entries[j].thread != thread {
                continue;
            }
            match &entries[j].step {
                Some(Step::Xi(c))
                    if c.event.owner() == owner
                        && matches!(
                            (&c.event, c.call),
                            (XiEvent::Decref { .. }, None) | (XiEvent::CallFailed { .. }, _)
                        ) =>
                {
                    calls.push(j);
                }
                _ => break,
            }
        }
        if calls.len() != ran {
            continue;
        }
        // `calls` runs backwards: its last element is the run's first call.
        for (k, j) in calls.iter().enumerate() {
            let take = (k + 1 == ran).then_some(ran);
            if let Some(Step::Xi(c)) = &mut entries[*j].step {
                c.call = Some(RunCall { take });
            }
        }
    }
}

/// `thread.attach -> refused` reports the refused guard the same thread
/// recorded just before it, on the same interpreter.
fn misplaced_attach_refusal(entries: &[Entry]) -> Option<(usize, String)> {
    for (i, e) in entries.iter().enumerate() {
        if !matches!(e.step, Some(Step::Interp(InterpEvent::AttachRefused { .. }))) {
            continue;
        }
        let previous = entries[..i].iter().rev().find(|p| p.thread == e.thread);
        let follows_refusal = previous
            .is_some_and(|p| matches!(p.step, Some(Step::Guard(GuardEvent::Refused { .. }))) && p.interp == e.interp);
        if !follows_refusal {
            return Some((i, "a refused attach right after the same thread's refused guard".to_owned()));
        }
    }
    None
}

#[cfg(test)]
mod tests;
