//! Channel and queue events ([`ChannelEvent`]: `channel.*`, `queue.*`),
//! replayed on one model per channel ([`ChannelSpec`]).
//!
//! Every event of a channel is recorded under that channel's lock, in the
//! same critical section as the change it reports: a channel's events are
//! in effect order, so they are replayed exactly as recorded (the search
//! never moves them; only the creation, recorded just after the registry
//! lists the channel, may move ahead of another thread's first use). Each
//! names the channel and carries its state after the step, read from the
//! channel's fields under its lock (`C1 items=1 senders-waiting=1 closing
//! send=[1] recv=[2,-3]`), which must be the model's.
//!
//! What the sequential model does not have, kept here per channel:
//!
//! - **Blocked threads.** A blocking send records `blocked: item #n
//!   queued` and, later, what became of the item; a blocking receive or
//!   put records `blocked` once and then its outcome. In between the thread
//!   is parked or holds the lock, so every other event of the channel
//!   counts it as waiting: the recorded `senders-waiting`,
//!   `receivers-waiting`, `putters-waiting` are exactly the threads between
//!   those two events, other than the recording one.
//! - **A drain's close.** The receive (or withdrawal) that empties a
//!   closing channel records `channel.close -> closed: drained after
//!   closing` just before its own event, in the same critical section: the
//!   next event of the channel must be that removal, by the same thread.
use super::step::Entry;
use super::transition::{Transition as Tr, TransitionSet};
use crate::spec::channel::{ChannelSpec, Outcome, Payload, Refusal, Settled, Taken};
use crate::spec::lifecycle::{Disallowed, ThreadKey};
use crate::trace::event::{ChannelEnds, ChannelEvent, ChannelOp, ChannelState, CloseOutcome, Receipt};
use std::collections::{BTreeMap, BTreeSet};
use xinterp::channel::{End, Status};

/// Whether the event creates its channel.
pub fn is_creation(e: &ChannelEvent) -> bool {
    matches!(e.op, ChannelOp::Created { .. })
}

/// Whether the event takes an item out of the queue (what a drain's close
/// announces).
fn removes(e: &ChannelEvent) -> bool {
    matches!(e.op, ChannelOp::Received { .. } | ChannelOp::SendWithdrawn { .. })
}

/// One channel of the trace: the model and the threads blocked on it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Chan {
    spec: ChannelSpec,
    /// Blocked senders and the item each waits for.
    senders: BTreeMap<ThreadKey, u64>,
    receivers: BTreeSet<ThreadKey>,
    putters: BTreeSet<ThreadKey>,
    /// A drain's close, announced by this thread with this state: its
    /// removal comes next.
    drain: Option<(ThreadKey, ChannelState)>,
}

/// Every channel and queue of a trace, by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Channels {
    map: BTreeMap<u64, Chan>,
}

impl Channels {
    /// One channel's model state (or every channel's), for messages.
    pub fn describe(&self, id: Option<u64>) -> String {
        let chans: Vec<String> = self
            .map
            .iter()
            .filter(|(c, _)| id.is_none_or(|i| i == **c))
            .map(|(c, chan)| {
                let mut s = format!("C{c} {}", chan.spec);
                let waiting = |what: &str, ts: Vec<ThreadKey>| {
                    let ts: Vec<String> = ts.iter().map(ToString::to_string).collect();
                    format!(" {what}=[{}]", ts.join(", "))
                };
                if !chan.senders.is_empty() {
                    s.push_str(&waiting("blocked-senders", chan.senders.keys().copied().collect()));
                }
                if !chan.receivers.is_empty() {
                    s.push_str(&waiting("blocked-receivers", chan.receivers.iter().copied().collect()));
                }
                if !chan.putters.is_empty() {
                    s.push_str(&waiting("blocked-putters", chan.putters.iter().copied().collect()));
                }
                s
            })
            .collect();
        if chans.is_empty() {
            format!("no channel C{} was created", id.unwrap_or_default())
        } else {
            chans.join("; ")
        }
    }
}

fn rule(rule: &'static str, expected: impl Into<String>) -> Disallowed {
    Disallowed::new(rule, expected)
}

/// Which invariant a refusal (or its absence) is about.
fn refusal_rule(r: Refusal) -> &'static str {
    match r {
        Refusal::Closed | Refusal::Closing => "CH-7",
        Refusal::Released => "CH-4",
        Refusal::Full => "CH-8",
    }
}

fn refusal_text(r: Refusal) -> &'static str {
    match r {
        Refusal::Closed => "a refusal: the channel is closed",
        Refusal::Closing => "a refusal: the channel is closing",
        Refusal::Released => "a refusal: this interpreter released the send end",
        Refusal::Full => "a refusal: the queue is full",
    }
}

/// What the model's receive took, in the trace's words.
fn taken_text(t: Taken) -> String {
    match t {
        Taken::Closed => "`refused: closed`".to_owned(),
        Taken::Released => "`refused: this interpreter released the recv end`".to_owned(),
        Taken::Empty => "nothing: the channel is empty".to_owned(),
        Taken::Item { seq, sender, payload: Payload::Value, .. } => format!("item #{seq} from I{sender}"),
        Taken::Item { seq, sender, payload: Payload::Unbound, .. } => {
            format!("the UNBOUND marker of item #{seq} (I{sender} destroyed)")
        }
        Taken::Item { seq, sender, payload: Payload::Destroyed, .. } => {
            format!("the error marker of item #{seq} (I{sender} destroyed)")
        }
    }
}

/// Applies a channel event of thread `t` (interpreter `e.interp`); the
/// transitions the model took.
pub fn apply(channels: &mut Channels, e: &Entry, step: &ChannelEvent) -> Result<TransitionSet, Disallowed> {
    let t = e.thread;
    let id = step.channel;
    if let ChannelOp::Created { maxsize, policy } = step.op {
        if channels.map.contains_key(&id) {
            return Err(rule("TR-3", format!("a fresh channel id: C{id} exists")));
        }
        let spec = ChannelSpec::new(!step.queue, maxsize, policy);
        let chan =
            Chan { spec, senders: BTreeMap::new(), receivers: BTreeSet::new(), putters: BTreeSet::new(), drain: None };
        // A fresh channel: empty, open, nobody waiting or associated.
        check_seen(&chan, id, t, &step.state)?;
        channels.map.insert(id, chan);
        return Ok(one(if step.queue { Tr::QueueCreated } else { Tr::ChannelCreated }));
    }
    let chan = channels.map.get_mut(&id).ok_or_else(|| rule("TR-2", format!("C{id} to have been created first")))?;
    if step.queue == chan.spec.is_channel {
        let face = if chan.spec.is_channel { "a channel" } else { "a queue" };
        return Err(rule("TR-2", format!("the ops of {face} on C{id}")));
    }
    let who = || e.interp.ok_or_else(|| rule("TR-2", "the event to name its interpreter"));
    let drain = chan.drain.take();
    if let Some((by, _)) = &drain {
        if *by != t || !removes(step) {
            return Err(rule(
                "CH-7",
                format!(
                    "the removal that drained closing C{id}, by {by}, right after its close (same critical section)"
                ),
            ));
        }
    }
    let spec = &mut chan.spec;
    let took = match step.op {
        ChannelOp::Created { .. } => TransitionSet::default(),
        ChannelOp::Sent { seq, policy } => {
            chan.putters.remove(&t);
            let admitted = spec.enqueue(who()?, policy, false);
            check_admitted(admitted, seq)?;
            one(Tr::Sent)
        }
        ChannelOp::SendBlocked { seq } => {
            if chan.senders.contains_key(&t) {
                return Err(rule("TR-2", "one blocking send at a time per thread"));
            }
            let admitted = spec.enqueue(who()?, None, true);
            check_admitted(admitted, seq)?;
            chan.senders.insert(t, seq);
            one(Tr::SendBlocked)
        }
        ChannelOp::SendRefused(r) => {
            chan.putters.remove(&t);
            match spec.enqueue(who()?, None, false) {
                Err(got) if got == r => one(match r {
                    Refusal::Closed => Tr::SendRefusedClosed,
                    Refusal::Closing => Tr::SendRefusedClosing,
                    Refusal::Released => Tr::SendRefusedReleased,
                    Refusal::Full => Tr::SendRefusedFull,
                }),
                Err(got) => return Err(rule(refusal_rule(got), refusal_text(got))),
                Ok(seq) => {
                    return Err(rule(refusal_rule(r), format!("the send admitted (as item #{seq})")));
                }
            }
        }
        ChannelOp::PutBlocked => {
            let full = spec.status == Status::Open && spec.maxsize > 0 && spec.len() >= spec.maxsize;
            if !full || !chan.putters.insert(t) {
                return Err(rule("CH-8", "a put to wait only on a full, open queue"));
            }
            one(Tr::PutBlocked)
        }
        ChannelOp::SendDelivered { seq } | ChannelOp::SendReturned { seq } => {
            let waited = chan.senders.remove(&t);
            if waited != Some(seq) {
                return Err(rule("TR-2", format!("this thread's blocked send of item #{seq} first")));
            }
            let (want, invariant) = match step.op {
                ChannelOp::SendDelivered { .. } => (Settled::Received, "CH-2"),
                _ => (Settled::Returned, "CH-3"),
            };
            match spec.collect(seq) {
                Some(Settled::Received) if want == Settled::Received => one(Tr::SendDelivered),
                Some(Settled::Returned) if want == Settled::Returned => one(Tr::SendReturned),
                Some(Settled::Received) => return Err(rule("CH-2", format!("`ok`: item #{seq} was received"))),
                Some(Settled::Returned) => {
                    return Err(rule("CH-3", format!("`woken by close`: a close handed item #{seq} back")));
                }
                None => {
                    return Err(rule(
                        invariant,
                        format!("the sender to keep waiting: item #{seq} is not settled (still queued)"),
                    ));
                }
            }
        }
        ChannelOp::SendWithdrawn { seq } => {
            let waited = chan.senders.remove(&t);
            if waited != Some(seq) {
                return Err(rule("TR-2", format!("this thread's blocked send of item #{seq} first")));
            }
            if let Some(s) = spec.settlement(seq) {
                let what = if s == Settled::Received { "received" } else { "handed back by a close" };
                return Err(rule("CH-2", format!("the settlement seen first: item #{seq} was {what}")));
            }
            if !spec.withdraw(seq) {
                return Err(rule("CH-2", format!("item #{seq} queued, to withdraw")));
            }
            one(Tr::SendWithdrawn)
        }
        ChannelOp::Received { seq, sender, receipt } => {
            chan.receivers.remove(&t);
            let queued_later = spec.is_queued(seq);
            let taken = spec.take(who()?);
            let payload = match receipt {
                Receipt::Item => Payload::Value,
                Receipt::Unbound => Payload::Unbound,
                Receipt::Destroyed => Payload::Destroyed,
            };
            match taken {
                Taken::Item { seq: s, sender: f, payload: p, .. } if (s, f, p) == (seq, sender, payload) => {
                    one(match payload {
                        Payload::Value => Tr::ReceivedItem,
                        Payload::Unbound => Tr::ReceivedUnbound,
                        Payload::Destroyed => Tr::ReceivedDestroyed,
                    })
                }
                Taken::Item { seq: s, sender: f, .. } if (s, f) == (seq, sender) => {
                    return Err(rule("CH-6", taken_text(taken)));
                }
                Taken::Item { .. } if queued_later => return Err(rule("CH-5", taken_text(taken))),
                Taken::Closed => return Err(rule("CH-7", taken_text(taken))),
                Taken::Released => return Err(rule("CH-4", taken_text(taken))),
                _ => return Err(rule("CH-2", format!("{} (item #{seq} is not queued)", taken_text(taken)))),
            }
        }
        ChannelOp::RecvEmpty { .. } | ChannelOp::RecvBlocked | ChannelOp::RecvTimedOut => {
            let taken = spec.take(who()?);
            if taken != Taken::Empty {
                let invariant = match taken {
                    Taken::Closed => "CH-7",
                    Taken::Released => "CH-4",
                    _ => "CH-2",
                };
                return Err(rule(invariant, taken_text(taken)));
            }
            if step.op == ChannelOp::RecvBlocked {
                if !chan.receivers.insert(t) {
                    return Err(rule("TR-2", "one blocking receive at a time per thread"));
                }
            } else {
                chan.receivers.remove(&t);
            }
            one(match step.op {
                ChannelOp::RecvBlocked => Tr::RecvBlocked,
                ChannelOp::RecvTimedOut => Tr::RecvTimedOut,
                _ => Tr::RecvEmpty,
            })
        }
        ChannelOp::RecvClosed | ChannelOp::RecvReleased => {
            chan.receivers.remove(&t);
            let want = if step.op == ChannelOp::RecvClosed { Taken::Closed } else { Taken::Released };
            let taken = spec.take(who()?);
            if taken != want {
                let invariant = if want == Taken::Closed { "CH-7" } else { "CH-4" };
                return Err(rule(invariant, taken_text(taken)));
            }
            one(if want == Taken::Closed { Tr::RecvClosed } else { Tr::RecvReleased })
        }
        ChannelOp::Close(closed) => {
            let (items, status) = (spec.len(), spec.status);
            // The flags are not recorded: each outcome has one set of flags
            // that can produce it, and the model must give that outcome.
            let (send_only, force, want) = match closed {
                CloseOutcome::Empty => (false, false, Outcome::Ok),
                CloseOutcome::Forced { .. } => (false, true, Outcome::Ok),
                CloseOutcome::Closing => (true, false, Outcome::Ok),
                CloseOutcome::RefusedClosed => (false, false, Outcome::Closed),
                CloseOutcome::RefusedClosing => (true, false, Outcome::Closed),
                CloseOutcome::RefusedNotEmpty => (false, false, Outcome::NotEmpty),
            };
            let expected_status = match closed {
                CloseOutcome::RefusedClosed => status == Status::Closed,
                CloseOutcome::RefusedClosing => status == Status::Closing,
                CloseOutcome::Empty => items == 0,
                CloseOutcome::Forced { items: n, .. } => n > 0 && n == items,
                CloseOutcome::Closing | CloseOutcome::RefusedNotEmpty => items > 0,
            };
            let got = spec.close(send_only, force);
            if !expected_status || got != want {
                let what = match status {
                    Status::Open => "open",
                    Status::Closing => "closing",
                    Status::Closed => "closed",
                };
                let invariant = if status == Status::Closing { "CH-7" } else { "CH-3" };
                return Err(rule(invariant, format!("a close that fits C{id}: {what}, {items} item(s) queued")));
            }
            if let CloseOutcome::Forced { woken, .. } = closed {
                if woken != chan.senders.len() {
                    return Err(rule("CH-3", format!("{} blocked sender(s) woken", chan.senders.len())));
                }
            }
            one(match closed {
                CloseOutcome::Empty => Tr::CloseEmpty,
                CloseOutcome::Forced { woken: 0, .. } => Tr::CloseForced,
                CloseOutcome::Forced { .. } => Tr::CloseForcedWokeSenders,
                CloseOutcome::Closing => Tr::CloseClosing,
                CloseOutcome::RefusedClosed => Tr::CloseRefusedClosed,
                CloseOutcome::RefusedClosing => Tr::CloseRefusedClosing,
                CloseOutcome::RefusedNotEmpty => Tr::CloseRefusedNotEmpty,
            })
        }
        ChannelOp::Drained => {
            if spec.status != Status::Closing || spec.len() != 1 {
                return Err(rule("CH-7", format!("a closing C{id} whose last item is being removed")));
            }
            // Its state is the one after the removal that follows.
            chan.drain = Some((t, step.state.clone()));
            return Ok(one(Tr::CloseDrained));
        }
        ChannelOp::Released { end, closed } => {
            let outcome = spec.release(who()?, end == End::Send);
            released(outcome, closed, spec.status)?;
            one(if closed { Tr::ReleasedEndClosed } else { Tr::ReleasedEnd })
        }
        ChannelOp::ReleasedBoth { closed } => {
            let outcome = spec.release_both(who()?);
            released(outcome, closed, spec.status)?;
            one(if closed { Tr::ReleasedBothClosed } else { Tr::ReleasedBoth })
        }
        ChannelOp::ReleaseRefusedClosed => {
            if spec.status != Status::Closed || spec.release(who()?, true) != Outcome::Closed {
                return Err(rule("CH-4", "the release to proceed: the channel is not closed"));
            }
            one(Tr::ReleaseRefusedClosed)
        }
        ChannelOp::ReleaseRefusedAgain { end } => {
            let w = who()?;
            let again = spec.records(end == End::Send).contains(&(w, false));
            if spec.status == Status::Closed || !again {
                return Err(rule("CH-4", format!("the release to proceed: I{w} has not released that end")));
            }
            one(Tr::ReleaseRefusedAgain)
        }
        ChannelOp::Unbound { destroyed: w, replaced, errored, removed, closed } => {
            if e.interp != Some(w) {
                return Err(rule("TR-2", format!("channel.unbound recorded for I{w}")));
            }
            let cleared = spec.clear_interpreter(w);
            let model = [cleared.replaced, cleared.errored, cleared.removed];
            if !cleared.changed() || model != [replaced, errored, removed] || cleared.closed != closed {
                return Err(rule(
                    "CH-6",
                    format!(
                        "I{w} destroyed: {} replaced by UNBOUND, {} replaced by an error marker, {} removed{}",
                        model[0],
                        model[1],
                        model[2],
                        if cleared.closed { "; no association left: closed" } else { "" }
                    ),
                ));
            }
            unbound_transitions(&cleared)
        }
        // A step newer than these rules fails loudly, not silently.
        ref op => return Err(rule("TR-2", format!("a channel step the model has a rule for, not {op:?}"))),
    };
    check_seen(chan, id, t, &step.state)?;
    if let Some((by, seen)) = drain {
        check_seen(chan, id, by, &seen)?;
    }
    Ok(took)
}

fn one(t: Tr) -> TransitionSet {
    std::iter::once(t).collect()
}

/// What clearing a destroyed interpreter's items did, as transitions: one
/// per policy applied, whether other interpreters' items were queued (and
/// kept as they were), whether the channel closed, or only association
/// records went.
fn unbound_transitions(cleared: &crate::spec::channel::Cleared) -> TransitionSet {
    let mut took = TransitionSet::default();
    for (n, t) in [
        (cleared.replaced, Tr::UnboundReplaced),
        (cleared.errored, Tr::UnboundErrored),
        (cleared.removed, Tr::UnboundRemoved),
        (cleared.others_kept, Tr::UnboundOthersKept),
        (usize::from(cleared.closed), Tr::UnboundClosed),
    ] {
        if n > 0 {
            took.insert(t);
        }
    }
    if cleared.replaced + cleared.errored + cleared.removed == 0 {
        took.insert(Tr::UnboundNoItems);
    }
    took
}

/// A release the trace says succeeded: the model must agree, and agree on
/// whether it closed the channel.
fn released(outcome: Outcome, closed: bool, status: Status) -> Result<(), Disallowed> {
    if outcome != Outcome::Ok {
        return Err(rule("CH-4", "a refusal: the channel is closed or the end was already released"));
    }
    if closed != (status == Status::Closed) {
        let expected = if closed {
            "the channel to stay open: an association is left"
        } else {
            "the channel closed: no association is left"
        };
        return Err(rule("CH-4", expected));
    }
    Ok(())
}

fn check_admitted(admitted: Result<u64, Refusal>, seq: u64) -> Result<(), Disallowed> {
    match admitted {
        Ok(s) if s == seq => Ok(()),
        Ok(s) => Err(rule("TR-3", format!("the item numbered #{s}"))),
        Err(r) => Err(rule(refusal_rule(r), refusal_text(r))),
    }
}

/// The recorded state against the model's, the recording thread `t` not
/// counted as waiting. The production lists association records oldest
/// first, the model by interpreter: they are compared sorted.
fn check_seen(chan: &Chan, id: u64, t: ThreadKey, seen: &ChannelState) -> Result<(), Disallowed> {
    let spec = &chan.spec;
    let model = ChannelState {
        items: spec.len(),
        senders_waiting: chan.senders.keys().filter(|s| **s != t).count(),
        receivers_waiting: chan.receivers.iter().filter(|r| **r != t).count(),
        putters_waiting: chan.putters.iter().filter(|p| **p != t).count(),
        status: spec.status,
        ends: spec.is_channel.then(|| ChannelEnds { send: spec.records(true), recv: spec.records(false) }),
    };
    let sorted = |ends: &ChannelEnds| {
        let (mut send, mut recv) = (ends.send.clone(), ends.recv.clone());
        send.sort_unstable();
        recv.sort_unstable();
        ChannelEnds { send, recv }
    };
    let seen = ChannelState { ends: seen.ends.as_ref().map(sorted), ..seen.clone() };
    if model != seen {
        return Err(rule("TR-3", format!("the state C{id} {model}")));
    }
    Ok(())
}
