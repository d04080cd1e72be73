//! Channel and queue events (`channel.*`, `queue.*`) read into steps of
//! the channel model ([`ChannelSpec`]), and replayed on one model per
//! channel.
//!
//! Every event of a channel is recorded under that channel's lock, in the
//! same critical section as the change it reports: a channel's events are
//! in effect order, so they are replayed exactly as recorded (the search
//! never moves them; only the creation, recorded just after the registry
//! lists the channel, may move ahead of another thread's first use). Each names the channel and records its state after
//! the step (`C1 items=1 senders-waiting=1 closing send=[1] recv=[2,-3]`),
//! which must be the model's.
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
use super::parse::Parsed;
use crate::channel::{Status, UnboundPolicy};
use crate::spec::channel::{ChannelSpec, Outcome, Payload, Refusal, Settled, Taken};
use crate::spec::lifecycle::{Disallowed, ThreadKey};
use std::collections::{BTreeMap, BTreeSet};

/// Both ends' association records: (interpreter, still open), sorted.
pub type Ends = (Vec<(u64, bool)>, Vec<(u64, bool)>);

/// A channel's state as an event recorded it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelSeen {
    /// `C<id>`.
    pub id: u64,
    /// `items=N`.
    pub items: usize,
    /// `senders-waiting=N`.
    pub senders_waiting: usize,
    /// `receivers-waiting=N`.
    pub receivers_waiting: usize,
    /// `putters-waiting=N`.
    pub putters_waiting: usize,
    /// `closing`, `closed`, or neither.
    pub status: Option<Status>,
    /// `send=[1,-2] recv=[3]`, sorted by interpreter (channels only).
    pub ends: Option<Ends>,
}

/// What a receive got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Got {
    /// `ok: item #n from I<s>`.
    Item,
    /// `ok: UNBOUND marker of item #n (I<s> destroyed)`.
    Unbound,
    /// `error: item #n's sender I<s> was destroyed`.
    Destroyed,
}

/// The recorded outcome of a close.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseSeen {
    /// `ok: closed` (nothing queued).
    Empty,
    /// `ok: forced, N item(s) dropped or handed back, M sender(s) woken`.
    Forced {
        /// Items queued before the close.
        items: usize,
        /// Blocked senders woken.
        woken: usize,
    },
    /// `closing: ...` (send end, items queued, not forced).
    Closing,
    /// `refused: already closed`.
    RefusedClosed,
    /// `refused: already closing`.
    RefusedClosing,
    /// `refused: not empty`.
    RefusedNotEmpty,
}

/// One channel or queue step, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelOp {
    /// `channel.create` / `queue.create`.
    Created {
        /// A queue (no associations, no close).
        queue: bool,
        /// A queue's bound (0: unbounded).
        maxsize: usize,
        /// The channel's unbound policy.
        policy: UnboundPolicy,
    },
    /// `ok: item #n queued` (a non-blocking send or put; `policy`: the
    /// item's own unbound policy, when the send gave one).
    Sent {
        /// The item's number.
        seq: u64,
        /// Its own unbound policy.
        policy: Option<UnboundPolicy>,
    },
    /// `blocked: item #n queued, waiting for a receiver`.
    SendBlocked {
        /// The item's number.
        seq: u64,
    },
    /// `refused: ...`.
    SendRefused(Refusal),
    /// `queue.put -> blocked: full`.
    PutBlocked,
    /// `ok: item #n was received` (a blocked sender).
    SendDelivered {
        /// The item's number.
        seq: u64,
    },
    /// `woken by close: item #n handed back`.
    SendReturned {
        /// The item's number.
        seq: u64,
    },
    /// `timed out: item #n withdrawn`.
    SendWithdrawn {
        /// The item's number.
        seq: u64,
    },
    /// A receive that took the head item.
    Received {
        /// The item's number.
        seq: u64,
        /// Its sender.
        sender: u64,
        /// The item, or a marker.
        got: Got,
    },
    /// `empty` (non-blocking), or `empty: waiting, GIL released` (a
    /// blocking receive's first look, before it waits).
    RecvEmpty,
    /// `blocked: empty`.
    RecvBlocked,
    /// `timed out`.
    RecvTimedOut,
    /// `refused: closed`.
    RecvClosed,
    /// `refused: this interpreter released the recv end`.
    RecvReleased,
    /// `channel.close`.
    Close(CloseSeen),
    /// `channel.close -> closed: drained after closing`.
    Drained,
    /// `channel.release -> ok: <end> end released[; the last association: closed]`.
    Released {
        /// The send end.
        send: bool,
        /// It was the last association: the channel closed.
        closed: bool,
    },
    /// `channel.release -> refused: closed`.
    ReleaseRefusedClosed,
    /// `channel.release -> refused: <end> end already released`.
    ReleaseRefusedAgain {
        /// The send end.
        send: bool,
    },
    /// `channel.unbound -> I<n> destroyed: ...`.
    Unbound {
        /// The destroyed interpreter.
        who: u64,
        /// Items replaced by UNBOUND, by an error marker, removed.
        counts: [usize; 3],
        /// No association left: closed.
        closed: bool,
    },
}

/// A channel event: the step and the state it recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelStep {
    /// The op is a queue's (`queue.*`).
    pub queue_op: bool,
    /// What happened.
    pub op: ChannelOp,
    /// The state after it.
    pub seen: ChannelSeen,
}

impl ChannelStep {
    /// Whether the step creates the channel.
    pub fn is_creation(&self) -> bool {
        matches!(self.op, ChannelOp::Created { .. })
    }

    /// Whether the step takes an item out of the queue (what a drain's
    /// close announces).
    fn removes(&self) -> bool {
        matches!(self.op, ChannelOp::Received { .. } | ChannelOp::SendWithdrawn { .. })
    }
}

/// Whether `op` is a channel or queue op this module reads.
pub fn covers(op: &str) -> bool {
    matches!(
        op,
        "channel.create"
            | "channel.send"
            | "channel.recv"
            | "channel.close"
            | "channel.release"
            | "channel.unbound"
            | "queue.create"
            | "queue.put"
            | "queue.get"
    )
}

/// The step a channel event records; `Err` for an outcome or state the
/// model does not know.
pub fn parse(op: &str, outcome: &str, state: &str) -> Result<ChannelStep, String> {
    let unknown = || format!("outcome `{outcome}` of `{op}` is not one the channel model knows");
    let queue_op = op.starts_with("queue.");
    let op = match op {
        "channel.create" | "queue.create" => created(outcome, queue_op).ok_or_else(unknown)?,
        "channel.send" | "queue.put" => send(outcome, queue_op).ok_or_else(unknown)?,
        "channel.recv" | "queue.get" => recv(outcome).ok_or_else(unknown)?,
        "channel.close" => close(outcome).ok_or_else(unknown)?,
        "channel.release" => release(outcome).ok_or_else(unknown)?,
        "channel.unbound" => unbound(outcome).ok_or_else(unknown)?,
        _ => return Err(unknown()),
    };
    Ok(ChannelStep { queue_op, op, seen: seen(state)? })
}

fn policy(name: &str) -> Option<UnboundPolicy> {
    [UnboundPolicy::Replace, UnboundPolicy::Error, UnboundPolicy::Remove].into_iter().find(|p| p.name() == name)
}

/// The number at the start of `s` and the rest.
fn number(s: &str) -> Option<(u64, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    Some((s[..end].parse().ok()?, &s[end..]))
}

/// `ok: C1, unbound items <policy>` / `ok: Q1, maxsize N, unbound items <policy>`.
fn created(outcome: &str, queue: bool) -> Option<ChannelOp> {
    let rest = outcome.strip_prefix(if queue { "ok: Q" } else { "ok: C" })?;
    let (_, rest) = number(rest)?;
    let (maxsize, rest) = match rest.strip_prefix(", maxsize ") {
        Some(r) if queue => {
            let (n, r) = number(r)?;
            (usize::try_from(n).ok()?, r)
        }
        _ if queue => return None,
        _ => (0, rest),
    };
    let policy = policy(rest.strip_prefix(", unbound items ")?)?;
    Some(ChannelOp::Created { queue, maxsize, policy })
}

fn item(outcome: &str, prefix: &str, suffix: &str) -> Option<u64> {
    let (seq, rest) = number(outcome.strip_prefix(prefix)?)?;
    (rest == suffix).then_some(seq)
}

fn send(outcome: &str, queue: bool) -> Option<ChannelOp> {
    if let Some(rest) = outcome.strip_prefix("ok: item #") {
        let (seq, rest) = number(rest)?;
        if let Some(own) = rest.strip_prefix(" queued, unbound items ") {
            return Some(ChannelOp::Sent { seq, policy: Some(policy(own)?) });
        }
        if rest == " queued" {
            return Some(ChannelOp::Sent { seq, policy: None });
        }
        return (rest == " was received").then_some(ChannelOp::SendDelivered { seq });
    }
    if let Some(seq) = item(outcome, "blocked: item #", " queued, waiting for a receiver") {
        return Some(ChannelOp::SendBlocked { seq });
    }
    if let Some(seq) = item(outcome, "woken by close: item #", " handed back") {
        return Some(ChannelOp::SendReturned { seq });
    }
    if let Some(seq) = item(outcome, "timed out: item #", " withdrawn") {
        return Some(ChannelOp::SendWithdrawn { seq });
    }
    Some(match outcome {
        "refused: closed" => ChannelOp::SendRefused(Refusal::Closed),
        "refused: closing" => ChannelOp::SendRefused(Refusal::Closing),
        "refused: this interpreter released the send end" => ChannelOp::SendRefused(Refusal::Released),
        "refused: full" => ChannelOp::SendRefused(Refusal::Full),
        "blocked: full" if queue => ChannelOp::PutBlocked,
        _ => return None,
    })
}

fn recv(outcome: &str) -> Option<ChannelOp> {
    let sender = |s: &str, suffix: &str| -> Option<u64> {
        let (n, rest) = number(s.strip_prefix('I')?)?;
        (rest == suffix).then_some(n)
    };
    if let Some(rest) = outcome.strip_prefix("ok: item #") {
        let (seq, rest) = number(rest)?;
        return Some(ChannelOp::Received { seq, sender: sender(rest.strip_prefix(" from ")?, "")?, got: Got::Item });
    }
    if let Some(rest) = outcome.strip_prefix("ok: UNBOUND marker of item #") {
        let (seq, rest) = number(rest)?;
        let from = sender(rest.strip_prefix(" (")?, " destroyed)")?;
        return Some(ChannelOp::Received { seq, sender: from, got: Got::Unbound });
    }
    if let Some(rest) = outcome.strip_prefix("error: item #") {
        let (seq, rest) = number(rest)?;
        let from = sender(rest.strip_prefix("'s sender ")?, " was destroyed")?;
        return Some(ChannelOp::Received { seq, sender: from, got: Got::Destroyed });
    }
    Some(match outcome {
        "empty" | "empty: waiting, GIL released" => ChannelOp::RecvEmpty,
        "blocked: empty" => ChannelOp::RecvBlocked,
        "timed out" => ChannelOp::RecvTimedOut,
        "refused: closed" => ChannelOp::RecvClosed,
        "refused: this interpreter released the recv end" => ChannelOp::RecvReleased,
        _ => return None,
    })
}

fn close(outcome: &str) -> Option<ChannelOp> {
    if let Some(rest) = outcome.strip_prefix("ok: forced, ") {
        let (items, rest) = number(rest)?;
        let (woken, rest) = number(rest.strip_prefix(" item(s) dropped or handed back, ")?)?;
        return (rest == " sender(s) woken").then_some(ChannelOp::Close(CloseSeen::Forced {
            items: usize::try_from(items).ok()?,
            woken: usize::try_from(woken).ok()?,
        }));
    }
    Some(match outcome {
        "ok: closed" => ChannelOp::Close(CloseSeen::Empty),
        "closing: new sends fail, closes once drained" => ChannelOp::Close(CloseSeen::Closing),
        "refused: already closed" => ChannelOp::Close(CloseSeen::RefusedClosed),
        "refused: already closing" => ChannelOp::Close(CloseSeen::RefusedClosing),
        "refused: not empty" => ChannelOp::Close(CloseSeen::RefusedNotEmpty),
        "closed: drained after closing" => ChannelOp::Drained,
        _ => return None,
    })
}

fn release(outcome: &str) -> Option<ChannelOp> {
    let end = |s: &str| match s {
        "send" => Some(true),
        "recv" => Some(false),
        _ => None,
    };
    if outcome == "refused: closed" {
        return Some(ChannelOp::ReleaseRefusedClosed);
    }
    if let Some(rest) = outcome.strip_prefix("refused: ") {
        return Some(ChannelOp::ReleaseRefusedAgain { send: end(rest.strip_suffix(" end already released")?)? });
    }
    let rest = outcome.strip_prefix("ok: ")?;
    let (which, closed) = match rest.strip_suffix(" end released; the last association: closed") {
        Some(which) => (which, true),
        None => (rest.strip_suffix(" end released")?, false),
    };
    Some(ChannelOp::Released { send: end(which)?, closed })
}

/// `I1 destroyed: 1 replaced by UNBOUND, 0 replaced by an error marker, 0 removed[; no association left: closed]`.
fn unbound(outcome: &str) -> Option<ChannelOp> {
    let (who, rest) = number(outcome.strip_prefix('I')?)?;
    let mut rest = rest.strip_prefix(" destroyed: ")?;
    let mut counts = [0; 3];
    for (k, p) in [UnboundPolicy::Replace, UnboundPolicy::Error, UnboundPolicy::Remove].into_iter().enumerate() {
        if k > 0 {
            rest = rest.strip_prefix(", ")?;
        }
        let (n, r) = number(rest)?;
        counts[k] = usize::try_from(n).ok()?;
        rest = r.strip_prefix(' ')?.strip_prefix(p.name())?;
    }
    let closed = match rest {
        "" => false,
        "; no association left: closed" => true,
        _ => return None,
    };
    Some(ChannelOp::Unbound { who, counts, closed })
}

/// `C1 items=1 senders-waiting=1 closing send=[1] recv=[2,-3]`.
fn seen(state: &str) -> Result<ChannelSeen, String> {
    let bad = || format!("not a channel state: `{state}`");
    let mut parts = state.split_ascii_whitespace();
    let id = parts.next().and_then(|c| c.strip_prefix('C')).and_then(|n| n.parse().ok()).ok_or_else(bad)?;
    let mut seen = ChannelSeen { id, ..ChannelSeen::default() };
    let mut items = None;
    let (mut send, mut recv) = (None, None);
    for part in parts {
        let count = |v: &str| v.parse::<usize>().map_err(|_| bad());
        if let Some(n) = part.strip_prefix("items=") {
            items = Some(count(n)?);
        } else if let Some(n) = part.strip_prefix("senders-waiting=") {
            seen.senders_waiting = count(n)?;
        } else if let Some(n) = part.strip_prefix("receivers-waiting=") {
            seen.receivers_waiting = count(n)?;
        } else if let Some(n) = part.strip_prefix("putters-waiting=") {
            seen.putters_waiting = count(n)?;
        } else if part == "closing" {
            seen.status = Some(Status::Closing);
        } else if part == "closed" {
            seen.status = Some(Status::Closed);
        } else if let Some(list) = part.strip_prefix("send=") {
            send = Some(records(list).ok_or_else(bad)?);
        } else if let Some(list) = part.strip_prefix("recv=") {
            recv = Some(records(list).ok_or_else(bad)?);
        } else {
            return Err(bad());
        }
    }
    seen.items = items.ok_or_else(bad)?;
    seen.ends = match (send, recv) {
        (Some(s), Some(r)) => Some((s, r)),
        (None, None) => None,
        _ => return Err(bad()),
    };
    Ok(seen)
}

/// `[1,-2]` → `[(1, open), (2, released)]`, sorted.
fn records(list: &str) -> Option<Vec<(u64, bool)>> {
    let inner = list.strip_prefix('[')?.strip_suffix(']')?;
    if inner.is_empty() {
        return Some(Vec::new());
    }
    let mut records: Vec<(u64, bool)> = inner
        .split(',')
        .map(|r| match r.strip_prefix('-') {
            Some(n) => n.parse().ok().map(|n| (n, false)),
            None => r.parse().ok().map(|n| (n, true)),
        })
        .collect::<Option<_>>()?;
    records.sort_unstable();
    Some(records)
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
    drain: Option<(ThreadKey, ChannelSeen)>,
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

/// Applies a channel event of thread `t` (interpreter `e.interp`).
pub fn apply(channels: &mut Channels, e: &Parsed, step: &ChannelStep) -> Result<(), Disallowed> {
    let t = e.thread;
    let id = step.seen.id;
    if let ChannelOp::Created { queue, maxsize, policy } = step.op {
        if channels.map.contains_key(&id) {
            return Err(rule("TR-3", format!("a fresh channel id: C{id} exists")));
        }
        let spec = ChannelSpec::new(!queue, maxsize, policy);
        channels.map.insert(
            id,
            Chan { spec, senders: BTreeMap::new(), receivers: BTreeSet::new(), putters: BTreeSet::new(), drain: None },
        );
        if step.seen.items != 0 || step.seen.status.is_some() {
            return Err(rule("TR-3", format!("C{id} empty and open when created")));
        }
        return Ok(());
    }
    let chan = channels.map.get_mut(&id).ok_or_else(|| rule("TR-2", format!("C{id} to have been created first")))?;
    if step.queue_op == chan.spec.is_channel {
        let face = if chan.spec.is_channel { "a channel" } else { "a queue" };
        return Err(rule("TR-2", format!("the ops of {face} on C{id}")));
    }
    let who = || e.interp.ok_or_else(|| rule("TR-2", "the event to name its interpreter"));
    let drain = chan.drain.take();
    if let Some((by, _)) = &drain {
        if *by != t || !step.removes() {
            return Err(rule(
                "CH-7",
                format!(
                    "the removal that drained closing C{id}, by {by}, right after its close (same critical section)"
                ),
            ));
        }
    }
    let spec = &mut chan.spec;
    match step.op {
        ChannelOp::Created { .. } => {}
        ChannelOp::Sent { seq, policy } => {
            chan.putters.remove(&t);
            let admitted = spec.enqueue(who()?, policy, false);
            check_admitted(admitted, seq)?;
        }
        ChannelOp::SendBlocked { seq } => {
            if chan.senders.contains_key(&t) {
                return Err(rule("TR-2", "one blocking send at a time per thread"));
            }
            let admitted = spec.enqueue(who()?, None, true);
            check_admitted(admitted, seq)?;
            chan.senders.insert(t, seq);
        }
        ChannelOp::SendRefused(r) => {
            chan.putters.remove(&t);
            match spec.enqueue(who()?, None, false) {
                Err(got) if got == r => {}
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
                Some(s) if s == want => {}
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
        }
        ChannelOp::Received { seq, sender, got } => {
            chan.receivers.remove(&t);
            let queued_later = spec.is_queued(seq);
            let taken = spec.take(who()?);
            let payload = match got {
                Got::Item => Payload::Value,
                Got::Unbound => Payload::Unbound,
                Got::Destroyed => Payload::Destroyed,
            };
            match taken {
                Taken::Item { seq: s, sender: f, payload: p, .. } if (s, f, p) == (seq, sender, payload) => {}
                Taken::Item { seq: s, sender: f, .. } if (s, f) == (seq, sender) => {
                    return Err(rule("CH-6", taken_text(taken)));
                }
                Taken::Item { .. } if queued_later => return Err(rule("CH-5", taken_text(taken))),
                Taken::Closed => return Err(rule("CH-7", taken_text(taken))),
                Taken::Released => return Err(rule("CH-4", taken_text(taken))),
                _ => return Err(rule("CH-2", format!("{} (item #{seq} is not queued)", taken_text(taken)))),
            }
        }
        ChannelOp::RecvEmpty | ChannelOp::RecvBlocked | ChannelOp::RecvTimedOut => {
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
        }
        ChannelOp::RecvClosed | ChannelOp::RecvReleased => {
            chan.receivers.remove(&t);
            let want = if step.op == ChannelOp::RecvClosed { Taken::Closed } else { Taken::Released };
            let taken = spec.take(who()?);
            if taken != want {
                let invariant = if want == Taken::Closed { "CH-7" } else { "CH-4" };
                return Err(rule(invariant, taken_text(taken)));
            }
        }
        ChannelOp::Close(closed) => {
            let (items, status) = (spec.len(), spec.status);
            // The flags are not recorded: each outcome has one set of flags
            // that can produce it, and the model must give that outcome.
            let (send_only, force, want) = match closed {
                CloseSeen::Empty => (false, false, Outcome::Ok),
                CloseSeen::Forced { .. } => (false, true, Outcome::Ok),
                CloseSeen::Closing => (true, false, Outcome::Ok),
                CloseSeen::RefusedClosed => (false, false, Outcome::Closed),
                CloseSeen::RefusedClosing => (true, false, Outcome::Closed),
                CloseSeen::RefusedNotEmpty => (false, false, Outcome::NotEmpty),
            };
            let expected_status = match closed {
                CloseSeen::RefusedClosed => status == Status::Closed,
                CloseSeen::RefusedClosing => status == Status::Closing,
                CloseSeen::Empty => items == 0,
                CloseSeen::Forced { items: n, .. } => n > 0 && n == items,
                CloseSeen::Closing | CloseSeen::RefusedNotEmpty => items > 0,
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
            if let CloseSeen::Forced { woken, .. } = closed {
                if woken != chan.senders.len() {
                    return Err(rule("CH-3", format!("{} blocked sender(s) woken", chan.senders.len())));
                }
            }
        }
        ChannelOp::Drained => {
            if spec.status != Status::Closing || spec.len() != 1 {
                return Err(rule("CH-7", format!("a closing C{id} whose last item is being removed")));
            }
            // Its state is the one after the removal that follows.
            chan.drain = Some((t, step.seen.clone()));
            return Ok(());
        }
        ChannelOp::Released { send, closed } => {
            if spec.release(who()?, send) != Outcome::Ok {
                return Err(rule("CH-4", "a refusal: the channel is closed or the end was already released"));
            }
            if closed != (spec.status == Status::Closed) {
                let expected = if closed {
                    "the channel to stay open: an association is left"
                } else {
                    "the channel closed: no association is left"
                };
                return Err(rule("CH-4", expected));
            }
        }
        ChannelOp::ReleaseRefusedClosed => {
            if spec.status != Status::Closed || spec.release(who()?, true) != Outcome::Closed {
                return Err(rule("CH-4", "the release to proceed: the channel is not closed"));
            }
        }
        ChannelOp::ReleaseRefusedAgain { send } => {
            let w = who()?;
            let again = spec.records(send).contains(&(w, false));
            if spec.status == Status::Closed || !again {
                return Err(rule("CH-4", format!("the release to proceed: I{w} has not released that end")));
            }
        }
        ChannelOp::Unbound { who: w, counts, closed } => {
            if e.interp != Some(w) {
                return Err(rule("TR-2", format!("channel.unbound recorded for I{w}")));
            }
            let cleared = spec.clear_interpreter(w);
            let model = [cleared.replaced, cleared.errored, cleared.removed];
            if !cleared.changed() || model != counts || cleared.closed != closed {
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
        }
    }
    check_seen(chan, t, &step.seen)?;
    if let Some((by, seen)) = drain {
        check_seen(chan, by, &seen)?;
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
/// counted as waiting.
fn check_seen(chan: &Chan, t: ThreadKey, seen: &ChannelSeen) -> Result<(), Disallowed> {
    let spec = &chan.spec;
    let senders = chan.senders.keys().filter(|s| **s != t).count();
    let receivers = chan.receivers.iter().filter(|r| **r != t).count();
    let putters = chan.putters.iter().filter(|p| **p != t).count();
    let status = match spec.status {
        Status::Open => None,
        s => Some(s),
    };
    let ends = spec.is_channel.then(|| (spec.records(true), spec.records(false)));
    let model = ChannelSeen {
        id: seen.id,
        items: spec.len(),
        senders_waiting: senders,
        receivers_waiting: receivers,
        putters_waiting: putters,
        status,
        ends,
    };
    if model != *seen {
        return Err(rule("TR-3", format!("the state {}", render(&model))));
    }
    Ok(())
}

/// A state as the production renders it (ends sorted).
fn render(s: &ChannelSeen) -> String {
    let mut out = format!("C{} items={}", s.id, s.items);
    for (what, n) in [
        ("senders-waiting", s.senders_waiting),
        ("receivers-waiting", s.receivers_waiting),
        ("putters-waiting", s.putters_waiting),
    ] {
        if n > 0 {
            out.push_str(&format!(" {what}={n}"));
        }
    }
    match s.status {
        Some(Status::Closing) => out.push_str(" closing"),
        Some(Status::Closed) => out.push_str(" closed"),
        _ => {}
    }
    if let Some((send, recv)) = &s.ends {
        let side = |records: &[(u64, bool)]| {
            records
                .iter()
                .map(|(i, open)| if *open { format!("{i}") } else { format!("-{i}") })
                .collect::<Vec<_>>()
                .join(",")
        };
        out.push_str(&format!(" send=[{}] recv=[{}]", side(send), side(recv)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_events_parse() {
        let s =
            parse("channel.send", "blocked: item #12 queued, waiting for a receiver", "C3 items=1 send=[1,-4] recv=[]")
                .unwrap();
        assert_eq!(s.op, ChannelOp::SendBlocked { seq: 12 });
        assert_eq!(s.seen.ends, Some((vec![(1, true), (4, false)], vec![])));
        let q = parse("queue.create", "ok: Q2, maxsize 1, unbound items removed", "C2 items=0").unwrap();
        assert_eq!(q.op, ChannelOp::Created { queue: true, maxsize: 1, policy: UnboundPolicy::Remove });
        let u = parse(
            "channel.unbound",
            "I1 destroyed: 0 replaced by UNBOUND, 1 replaced by an error marker, 2 removed; no association left: closed",
            "C1 items=1 closed send=[] recv=[]",
        )
        .unwrap();
        assert_eq!(u.op, ChannelOp::Unbound { who: 1, counts: [0, 1, 2], closed: true });
        let r = parse("channel.recv", "error: item #3's sender I2 was destroyed", "C1 items=0 receivers-waiting=2")
            .unwrap();
        assert_eq!(r.op, ChannelOp::Received { seq: 3, sender: 2, got: Got::Destroyed });
        assert_eq!(r.seen.receivers_waiting, 2);
        let f = parse(
            "channel.close",
            "ok: forced, 2 item(s) dropped or handed back, 1 sender(s) woken",
            "C1 items=0 closed",
        )
        .unwrap();
        assert_eq!(f.op, ChannelOp::Close(CloseSeen::Forced { items: 2, woken: 1 }));
        let own = parse("queue.put", "ok: item #4 queued, unbound items replaced by UNBOUND", "C1 items=1").unwrap();
        assert_eq!(own.op, ChannelOp::Sent { seq: 4, policy: Some(UnboundPolicy::Replace) });
        assert!(parse("channel.send", "ok: item #1 queued quickly", "C1 items=1").is_err());
        assert!(parse("channel.recv", "ok: item #1 from I1", "C1 items=x").is_err());
        assert!(parse("queue.put", "refused: maybe", "C1 items=0").is_err());
    }
}
