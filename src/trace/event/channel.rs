//! Channel and queue events (PEP 554 / PEP 734): what a step of a channel
//! or queue did, and a snapshot of the channel it left.
//!
//! Every event but a creation is recorded under the channel's lock, in the
//! same critical section as the change it reports, and its
//! [`ChannelState`] is read from the channel's own fields there (the
//! queue's length, the waiting counters, the status, the association
//! records). A creation's state is read from the fresh channel before it is
//! shared. What an event says was removed (an item withdrawn, received or
//! dropped) is read from what the queue gave up, not from what the caller
//! expected.
//!
//! The columns a trace shows ([`Step`]) are the text the channels always
//! recorded: outcomes such as `ok: item #3 queued` or `blocked: item #1
//! queued, waiting for a receiver`, states such as `C1 items=1
//! senders-waiting=1 closing send=[1] recv=[2,-3]`.
use super::{EventKind, Step};
use crate::channel::{End, Status, UnboundPolicy};
use std::fmt;

/// A channel or queue step: which channel, which face, who took it, what
/// it did, and the channel's state after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelEvent {
    /// The channel's (or queue's) id: `C<id>` in traces.
    pub channel: u64,
    /// The step is a queue's (`queue.*`), not a channel's (`channel.*`).
    pub queue: bool,
    /// The interpreter that took the step; for a close, the calling
    /// thread's interpreter if it is attached to one; for
    /// [`ChannelOp::Unbound`], the destroyed interpreter.
    pub who: Option<u64>,
    /// What the step did.
    pub op: ChannelOp,
    /// The channel after the step.
    pub state: ChannelState,
}

/// What a channel or queue step did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelOp {
    /// `channel.create -> ok: C1, unbound items <policy>`, or
    /// `queue.create -> ok: Q1, maxsize N, unbound items <policy>`.
    Created {
        /// A queue's bound (0: unbounded; always 0 for a channel).
        maxsize: usize,
        /// The channel's unbound policy.
        policy: UnboundPolicy,
    },
    /// `ok: item #n queued` (a non-blocking send, or a put, admitted);
    /// `ok: item #n queued, unbound items <policy>` when the send gave the
    /// item its own unbound policy.
    Sent {
        /// The item's number.
        seq: u64,
        /// Its own unbound policy, if the send gave one.
        policy: Option<UnboundPolicy>,
    },
    /// `blocked: item #n queued, waiting for a receiver` (a blocking
    /// channel send, admitted).
    SendBlocked {
        /// The item's number.
        seq: u64,
    },
    /// `refused: ...`: the item goes back to its sender.
    SendRefused(SendRefusal),
    /// `queue.put -> blocked: full`.
    PutBlocked,
    /// `ok: item #n was received` (a blocked sender, told its item was
    /// taken).
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
        /// The number of the item taken out of the queue.
        seq: u64,
    },
    /// A receive (or get) that took the head of the queue: `ok: item #n
    /// from I<s>`, `ok: UNBOUND marker of item #n (I<s> destroyed)`, or
    /// `error: item #n's sender I<s> was destroyed`.
    Received {
        /// The number of the item taken.
        seq: u64,
        /// Its sender.
        sender: u64,
        /// The item, or the marker it became.
        receipt: Receipt,
    },
    /// `empty` (a non-blocking receive), or `empty: waiting, GIL released`
    /// (a blocking receive's first look, before it waits).
    RecvEmpty {
        /// The receive goes on to wait.
        waiting: bool,
    },
    /// `blocked: empty`.
    RecvBlocked,
    /// `timed out` (a blocking receive's deadline passed).
    RecvTimedOut,
    /// `refused: closed`.
    RecvClosed,
    /// `refused: this interpreter released the recv end`.
    RecvReleased,
    /// A channel-wide close (`channel.close`).
    Close(CloseOutcome),
    /// `channel.close -> closed: drained after closing`: the removal that
    /// emptied a closing channel closed it (its own event follows).
    Drained,
    /// `channel.release -> ok: <end> end released`, with `; the last
    /// association: closed` when it closed the channel.
    Released {
        /// The end released.
        end: End,
        /// It was the last open association: the channel closed.
        closed: bool,
    },
    /// `channel.release -> ok: both ends released`, with `; the last
    /// association: closed` when it closed the channel: one release of both
    /// ends (`release(cid, send=True, recv=True)`).
    ReleasedBoth {
        /// No open association was left: the channel closed.
        closed: bool,
    },
    /// `channel.release -> refused: closed`.
    ReleaseRefusedClosed,
    /// `channel.release -> refused: <end> end already released`.
    ReleaseRefusedAgain {
        /// The end.
        end: End,
    },
    /// `channel.unbound -> I<n> destroyed: A replaced by UNBOUND, B replaced
    /// by an error marker, C removed[; no association left: closed]`: the
    /// interpreter's unreceived items followed their unbound policies, and
    /// its association records went.
    Unbound {
        /// The destroyed interpreter.
        destroyed: u64,
        /// Items replaced by the UNBOUND marker.
        replaced: usize,
        /// Items replaced by the error marker.
        errored: usize,
        /// Items removed.
        removed: usize,
        /// No association was left: the channel closed.
        closed: bool,
    },
}

/// Why a send (or put) was refused; the item goes back to its sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendRefusal {
    /// `refused: closed`.
    Closed,
    /// `refused: closing` (the send end was closed while items were queued).
    Closing,
    /// `refused: this interpreter released the send end`.
    Released,
    /// `refused: full` (a bounded queue).
    Full,
}

/// What a receive took from the head of the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receipt {
    /// The item as sent.
    Item,
    /// The UNBOUND marker of an item whose sender was destroyed.
    Unbound,
    /// The error marker of an item whose sender was destroyed.
    Destroyed,
}

/// What a channel-wide close did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseOutcome {
    /// `ok: closed` (nothing was queued).
    Empty,
    /// `ok: forced, N item(s) dropped or handed back, M sender(s) woken`.
    Forced {
        /// Items the close took out of the queue (dropped, handed back to
        /// their waiting senders, or markers discarded).
        items: usize,
        /// Blocked senders woken.
        woken: usize,
    },
    /// `closing: new sends fail, closes once drained` (the send end, items
    /// queued, not forced).
    Closing,
    /// `refused: already closed`.
    RefusedClosed,
    /// `refused: already closing`.
    RefusedClosing,
    /// `refused: not empty`.
    RefusedNotEmpty,
}

/// A channel's state, read from its fields under its lock: `items=1
/// senders-waiting=1 closing send=[1] recv=[2,-3]` (traces print it after
/// the channel's id, `C1`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelState {
    /// Entries queued (items and markers).
    pub items: usize,
    /// Blocking senders waiting for their item to be settled.
    pub senders_waiting: usize,
    /// Receivers waiting for an item.
    pub receivers_waiting: usize,
    /// Putters waiting for space in a bounded queue.
    pub putters_waiting: usize,
    /// Open, closing or closed.
    pub status: Status,
    /// Both ends' association records (channels only; `None` for a queue).
    pub ends: Option<ChannelEnds>,
}

/// Both ends' association records, oldest first: `send=[1,-2] recv=[3]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelEnds {
    /// The send end's records: (interpreter, still open).
    pub send: Vec<(u64, bool)>,
    /// The receive end's records: (interpreter, still open).
    pub recv: Vec<(u64, bool)>,
}

impl ChannelEvent {
    /// The operation's name: `channel.send`, `queue.put`, ...
    pub fn op_name(&self) -> &'static str {
        use ChannelOp as Op;
        let face = |channel, queue| if self.queue { queue } else { channel };
        match self.op {
            Op::Created { .. } => face("channel.create", "queue.create"),
            Op::Sent { .. }
            | Op::SendBlocked { .. }
            | Op::SendRefused(_)
            | Op::PutBlocked
            | Op::SendDelivered { .. }
            | Op::SendReturned { .. }
            | Op::SendWithdrawn { .. } => face("channel.send", "queue.put"),
            Op::Received { .. }
            | Op::RecvEmpty { .. }
            | Op::RecvBlocked
            | Op::RecvTimedOut
            | Op::RecvClosed
            | Op::RecvReleased => face("channel.recv", "queue.get"),
            Op::Close(_) | Op::Drained => "channel.close",
            Op::Released { .. }
            | Op::ReleasedBoth { .. }
            | Op::ReleaseRefusedClosed
            | Op::ReleaseRefusedAgain { .. } => "channel.release",
            Op::Unbound { .. } => "channel.unbound",
        }
    }
}

impl Step for ChannelEvent {
    fn interp(&self) -> Option<u64> {
        self.who
    }

    fn op(&self) -> &str {
        self.op_name()
    }

    fn fmt_outcome(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ChannelOp as Op;
        match &self.op {
            Op::Created { maxsize, policy } if self.queue => {
                write!(f, "ok: Q{}, maxsize {maxsize}, unbound items {}", self.channel, policy.name())
            }
            Op::Created { policy, .. } => write!(f, "ok: C{}, unbound items {}", self.channel, policy.name()),
            Op::Sent { seq, policy: None } => write!(f, "ok: item #{seq} queued"),
            Op::Sent { seq, policy: Some(policy) } => {
                write!(f, "ok: item #{seq} queued, unbound items {}", policy.name())
            }
            Op::SendBlocked { seq } => write!(f, "blocked: item #{seq} queued, waiting for a receiver"),
            Op::SendRefused(refusal) => fmt::Display::fmt(refusal, f),
            Op::PutBlocked => f.write_str("blocked: full"),
            Op::SendDelivered { seq } => write!(f, "ok: item #{seq} was received"),
            Op::SendReturned { seq } => write!(f, "woken by close: item #{seq} handed back"),
            Op::SendWithdrawn { seq } => write!(f, "timed out: item #{seq} withdrawn"),
            Op::Received { seq, sender, receipt: Receipt::Item } => write!(f, "ok: item #{seq} from I{sender}"),
            Op::Received { seq, sender, receipt: Receipt::Unbound } => {
                write!(f, "ok: UNBOUND marker of item #{seq} (I{sender} destroyed)")
            }
            Op::Received { seq, sender, receipt: Receipt::Destroyed } => {
                write!(f, "error: item #{seq}'s sender I{sender} was destroyed")
            }
            Op::RecvEmpty { waiting: false } => f.write_str("empty"),
            Op::RecvEmpty { waiting: true } => f.write_str("empty: waiting, GIL released"),
            Op::RecvBlocked => f.write_str("blocked: empty"),
            Op::RecvTimedOut => f.write_str("timed out"),
            Op::RecvClosed => f.write_str("refused: closed"),
            Op::RecvReleased => f.write_str("refused: this interpreter released the recv end"),
            Op::Close(close) => fmt::Display::fmt(close, f),
            Op::Drained => f.write_str("closed: drained after closing"),
            Op::Released { end, closed: false } => write!(f, "ok: {} end released", end.name()),
            Op::Released { end, closed: true } => {
                write!(f, "ok: {} end released; the last association: closed", end.name())
            }
            Op::ReleasedBoth { closed: false } => f.write_str("ok: both ends released"),
            Op::ReleasedBoth { closed: true } => f.write_str("ok: both ends released; the last association: closed"),
            Op::ReleaseRefusedClosed => f.write_str("refused: closed"),
            Op::ReleaseRefusedAgain { end } => write!(f, "refused: {} end already released", end.name()),
            Op::Unbound { destroyed, replaced, errored, removed, closed } => write!(
                f,
                "I{destroyed} destroyed: {replaced} {}, {errored} {}, {removed} {}{}",
                UnboundPolicy::Replace.name(),
                UnboundPolicy::Error.name(),
                UnboundPolicy::Remove.name(),
                if *closed { "; no association left: closed" } else { "" }
            ),
        }
    }

    /// `C1 items=1 ...`; a creation shows only `C1 items=0` (what a
    /// creation establishes; the rest of a fresh channel's state is empty).
    fn fmt_state(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if matches!(self.op, ChannelOp::Created { .. }) {
            return write!(f, "C{} items={}", self.channel, self.state.items);
        }
        write!(f, "C{} {}", self.channel, self.state)
    }
}

impl From<ChannelEvent> for EventKind {
    fn from(e: ChannelEvent) -> Self {
        Self::Channel(e)
    }
}

impl fmt::Display for SendRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Closed => "refused: closed",
            Self::Closing => "refused: closing",
            Self::Released => "refused: this interpreter released the send end",
            Self::Full => "refused: full",
        })
    }
}

impl fmt::Display for CloseOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("ok: closed"),
            Self::Forced { items, woken } => {
                write!(f, "ok: forced, {items} item(s) dropped or handed back, {woken} sender(s) woken")
            }
            Self::Closing => f.write_str("closing: new sends fail, closes once drained"),
            Self::RefusedClosed => f.write_str("refused: already closed"),
            Self::RefusedClosing => f.write_str("refused: already closing"),
            Self::RefusedNotEmpty => f.write_str("refused: not empty"),
        }
    }
}

/// `items=1 senders-waiting=1 closing send=[1] recv=[2,-3]`: counters
/// only when non-zero, the status only when not open, the ends only for a
/// channel.
impl fmt::Display for ChannelState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "items={}", self.items)?;
        for (what, n) in [
            ("senders-waiting", self.senders_waiting),
            ("receivers-waiting", self.receivers_waiting),
            ("putters-waiting", self.putters_waiting),
        ] {
            if n > 0 {
                write!(f, " {what}={n}")?;
            }
        }
        match self.status {
            Status::Open => {}
            Status::Closing => f.write_str(" closing")?,
            Status::Closed => f.write_str(" closed")?,
        }
        if let Some(ends) = &self.ends {
            write!(f, " {ends}")?;
        }
        Ok(())
    }
}

/// `send=[1,-2] recv=[3]` (a released record marked `-`).
impl fmt::Display for ChannelEnds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn side(f: &mut fmt::Formatter<'_>, records: &[(u64, bool)]) -> fmt::Result {
            f.write_str("[")?;
            for (k, (interp, open)) in records.iter().enumerate() {
                if k > 0 {
                    f.write_str(",")?;
                }
                if !open {
                    f.write_str("-")?;
                }
                write!(f, "{interp}")?;
            }
            f.write_str("]")
        }
        f.write_str("send=")?;
        side(f, &self.send)?;
        f.write_str(" recv=")?;
        side(f, &self.recv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(op: ChannelOp, state: ChannelState) -> ChannelEvent {
        ChannelEvent { channel: 1, queue: false, who: Some(1), op, state }
    }

    fn columns(e: ChannelEvent) -> (String, String, String) {
        let kind = EventKind::from(e);
        let columns = (kind.op().to_owned(), kind.outcome().to_string(), kind.state().to_string());
        columns
    }

    const OPEN: ChannelState = ChannelState {
        items: 0,
        senders_waiting: 0,
        receivers_waiting: 0,
        putters_waiting: 0,
        status: Status::Open,
        ends: None,
    };

    /// The text forms the production recorded as text before the events
    /// were typed, character for character.
    #[test]
    fn channel_events_render_as_the_traces_always_showed_them() {
        let state = ChannelState {
            items: 1,
            senders_waiting: 1,
            status: Status::Closing,
            ends: Some(ChannelEnds { send: vec![(1, true)], recv: vec![(2, true), (3, false)] }),
            ..OPEN
        };
        let blocked = event(ChannelOp::SendBlocked { seq: 1 }, state);
        assert_eq!(
            columns(blocked),
            (
                "channel.send".to_owned(),
                "blocked: item #1 queued, waiting for a receiver".to_owned(),
                "C1 items=1 senders-waiting=1 closing send=[1] recv=[2,-3]".to_owned()
            )
        );
        let created = ChannelEvent {
            channel: 2,
            queue: true,
            who: Some(0),
            op: ChannelOp::Created { maxsize: 1, policy: UnboundPolicy::Remove },
            state: OPEN,
        };
        assert_eq!(
            columns(created),
            ("queue.create".to_owned(), "ok: Q2, maxsize 1, unbound items removed".to_owned(), "C2 items=0".to_owned())
        );
        let chan_created = event(
            ChannelOp::Created { maxsize: 0, policy: UnboundPolicy::Replace },
            ChannelState { ends: Some(ChannelEnds::default()), ..OPEN },
        );
        assert_eq!(
            columns(chan_created),
            (
                "channel.create".to_owned(),
                "ok: C1, unbound items replaced by UNBOUND".to_owned(),
                "C1 items=0".to_owned()
            )
        );
        let cases: Vec<(ChannelOp, bool, &str, &str)> = vec![
            (ChannelOp::Sent { seq: 3, policy: None }, false, "channel.send", "ok: item #3 queued"),
            (
                ChannelOp::Sent { seq: 4, policy: Some(UnboundPolicy::Replace) },
                true,
                "queue.put",
                "ok: item #4 queued, unbound items replaced by UNBOUND",
            ),
            (ChannelOp::SendRefused(SendRefusal::Closed), false, "channel.send", "refused: closed"),
            (ChannelOp::SendRefused(SendRefusal::Closing), false, "channel.send", "refused: closing"),
            (
                ChannelOp::SendRefused(SendRefusal::Released),
                false,
                "channel.send",
                "refused: this interpreter released the send end",
            ),
            (ChannelOp::SendRefused(SendRefusal::Full), true, "queue.put", "refused: full"),
            (ChannelOp::PutBlocked, true, "queue.put", "blocked: full"),
            (ChannelOp::SendDelivered { seq: 1 }, false, "channel.send", "ok: item #1 was received"),
            (ChannelOp::SendReturned { seq: 1 }, false, "channel.send", "woken by close: item #1 handed back"),
            (ChannelOp::SendWithdrawn { seq: 1 }, false, "channel.send", "timed out: item #1 withdrawn"),
            (
                ChannelOp::Received { seq: 3, sender: 2, receipt: Receipt::Item },
                true,
                "queue.get",
                "ok: item #3 from I2",
            ),
            (
                ChannelOp::Received { seq: 3, sender: 2, receipt: Receipt::Unbound },
                false,
                "channel.recv",
                "ok: UNBOUND marker of item #3 (I2 destroyed)",
            ),
            (
                ChannelOp::Received { seq: 3, sender: 2, receipt: Receipt::Destroyed },
                false,
                "channel.recv",
                "error: item #3's sender I2 was destroyed",
            ),
            (ChannelOp::RecvEmpty { waiting: false }, false, "channel.recv", "empty"),
            (ChannelOp::RecvEmpty { waiting: true }, false, "channel.recv", "empty: waiting, GIL released"),
            (ChannelOp::RecvBlocked, true, "queue.get", "blocked: empty"),
            (ChannelOp::RecvTimedOut, false, "channel.recv", "timed out"),
            (ChannelOp::RecvClosed, false, "channel.recv", "refused: closed"),
            (ChannelOp::RecvReleased, false, "channel.recv", "refused: this interpreter released the recv end"),
            (ChannelOp::Close(CloseOutcome::Empty), false, "channel.close", "ok: closed"),
            (
                ChannelOp::Close(CloseOutcome::Forced { items: 2, woken: 1 }),
                false,
                "channel.close",
                "ok: forced, 2 item(s) dropped or handed back, 1 sender(s) woken",
            ),
            (
                ChannelOp::Close(CloseOutcome::Closing),
                false,
                "channel.close",
                "closing: new sends fail, closes once drained",
            ),
            (ChannelOp::Close(CloseOutcome::RefusedClosed), false, "channel.close", "refused: already closed"),
            (ChannelOp::Close(CloseOutcome::RefusedClosing), false, "channel.close", "refused: already closing"),
            (ChannelOp::Close(CloseOutcome::RefusedNotEmpty), false, "channel.close", "refused: not empty"),
            (ChannelOp::Drained, false, "channel.close", "closed: drained after closing"),
            (ChannelOp::Released { end: End::Send, closed: false }, false, "channel.release", "ok: send end released"),
            (ChannelOp::ReleasedBoth { closed: false }, false, "channel.release", "ok: both ends released"),
            (
                ChannelOp::ReleasedBoth { closed: true },
                false,
                "channel.release",
                "ok: both ends released; the last association: closed",
            ),
            (
                ChannelOp::Released { end: End::Recv, closed: true },
                false,
                "channel.release",
                "ok: recv end released; the last association: closed",
            ),
            (ChannelOp::ReleaseRefusedClosed, false, "channel.release", "refused: closed"),
            (
                ChannelOp::ReleaseRefusedAgain { end: End::Send },
                false,
                "channel.release",
                "refused: send end already released",
            ),
            (
                ChannelOp::Unbound { destroyed: 1, replaced: 0, errored: 1, removed: 2, closed: true },
                false,
                "channel.unbound",
                "I1 destroyed: 0 replaced by UNBOUND, 1 replaced by an error marker, 2 removed; no association left: closed",
            ),
            (
                ChannelOp::Unbound { destroyed: 1, replaced: 1, errored: 0, removed: 0, closed: false },
                false,
                "channel.unbound",
                "I1 destroyed: 1 replaced by UNBOUND, 0 replaced by an error marker, 0 removed",
            ),
        ];
        for (op, queue, name, outcome) in cases {
            let e = ChannelEvent { queue, ..event(op, OPEN) };
            let (got_name, got_outcome, _) = columns(e);
            assert_eq!((got_name.as_str(), got_outcome.as_str()), (name, outcome));
        }
        let queue_state = ChannelState { items: 2, receivers_waiting: 2, putters_waiting: 1, ..OPEN };
        assert_eq!(queue_state.to_string(), "items=2 receivers-waiting=2 putters-waiting=1");
        let closed = ChannelState { status: Status::Closed, ends: Some(ChannelEnds::default()), ..OPEN };
        assert_eq!(closed.to_string(), "items=0 closed send=[] recv=[]");
    }
}
