//! The sequential reference model of one channel or queue, with its ledger.
//!
//! A plain state machine: no locks, no threads, no waiting. Each [`Op`] is
//! applied atomically and yields an [`Outcome`]; the production
//! implementation, driven through the same operations one at a time, must
//! produce the same outcomes, the same [`Ledger`] and the same [`Status`]
//! (`tests/channel_state_machine.rs` checks it with random sequences).
//!
//! Blocking operations appear in their sequential form: with nobody else
//! running, a blocking send can only time out ([`Op::SendTimeout`]: the item
//! is queued, then withdrawn), and a blocking receive on an empty channel
//! can only time out (the same outcome as [`Op::Recv`]'s `Empty`).
//!
//! The model is written from the semantics in `docs/channels.md`, not from
//! the implementation: it keeps association records as a map, the queue as
//! a `Vec`, and closes by rule.
//!
//! # Steps
//!
//! [`ChannelSpec::apply`] is a sequential program over the model's
//! **steps**, the atomic changes the protocol makes under the channel's
//! lock: [`enqueue`](ChannelSpec::enqueue) (admit and queue an item, for a
//! blocking sender too), [`take`](ChannelSpec::take) (a receive: pop the
//! head, settle its waiting sender), [`withdraw`](ChannelSpec::withdraw) (a
//! waiting sender's deadline passed), [`collect`](ChannelSpec::collect) (a
//! waiting sender picks up what became of its item),
//! [`close`](ChannelSpec::close), [`release`](ChannelSpec::release) and
//! [`clear_interpreter`](ChannelSpec::clear_interpreter). The trace
//! validator (`spec::validate`) replays recorded channel events on the
//! same steps, so a blocked sender, which the sequential API never shows,
//! is checked by the same rules: items are numbered (`#1`, `#2`, ... per
//! channel, in admission order, as traces name them), an item may have a
//! waiting sender, and a close hands such an item back (`returned`)
//! instead of dropping it.
use std::collections::BTreeMap;
use std::fmt;
use xinterp::channel::{Ledger, Status, UnboundPolicy};

/// An interpreter, by a small number.
pub type Interp = u8;

/// One operation on the channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `send_nowait` / `put_nowait` of `value` by `who` (`policy`: the
    /// item's own unbound policy, `None` for the channel's).
    SendNowait {
        /// The sending interpreter.
        who: Interp,
        /// The item.
        value: u32,
        /// The item's unbound policy, if it overrides the channel's.
        policy: Option<UnboundPolicy>,
    },
    /// A blocking `send` that nobody answers before its deadline.
    SendTimeout {
        /// The sending interpreter.
        who: Interp,
        /// The item.
        value: u32,
    },
    /// `try_recv` / `get_nowait` by `who`.
    Recv {
        /// The receiving interpreter.
        who: Interp,
    },
    /// Channel-wide close (channels only).
    Close {
        /// `close(send=True)` alone.
        send_only: bool,
        /// `force=True`.
        force: bool,
    },
    /// `release` of one end by `who` (channels only).
    Release {
        /// The releasing interpreter.
        who: Interp,
        /// The send end (`true`) or the recv end.
        send: bool,
    },
    /// `who` is destroyed.
    Destroy {
        /// The destroyed interpreter.
        who: Interp,
    },
}

/// What an operation came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A send or put queued its item; a close, release or destroy succeeded.
    Ok,
    /// A send was refused because the channel is closed or closing, or the
    /// sender released its send end (the item is handed back).
    RefusedClosed,
    /// A put was refused: the queue is full.
    RefusedFull,
    /// A blocking send timed out and withdrew its item.
    Withdrawn,
    /// A receive got this item.
    Item(u32),
    /// A receive got the UNBOUND marker of an item from this interpreter.
    Unbound(Interp),
    /// A receive consumed an error marker of an item from this interpreter.
    ItemInterpreterDestroyed(Interp),
    /// Nothing to receive.
    Empty,
    /// The channel is closed (receive, close, release), or the receiver
    /// released its recv end.
    Closed,
    /// A close was refused: items are queued.
    NotEmpty,
}

/// What a queued item holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    /// The item as sent.
    Value,
    /// The UNBOUND marker of an item whose sender was destroyed.
    Unbound,
    /// The error marker of an item whose sender was destroyed.
    Destroyed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Item {
    /// Its number in this channel, from 1, in admission order.
    seq: u64,
    sender: u64,
    policy: UnboundPolicy,
    payload: Payload,
    /// Only for `Payload::Value`: the sequential API's value.
    value: u32,
    /// A blocking sender waits for this item to be settled.
    waiter: bool,
}

/// Why a send (or put) was refused; the item goes back to its sender. The
/// same refusals a trace records ([`crate::trace::event::SendRefusal`]).
pub use crate::trace::event::SendRefusal as Refusal;

/// What a receive took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Taken {
    /// The channel is closed.
    Closed,
    /// The receiving interpreter released the recv end.
    Released,
    /// Nothing is queued (the receiver is associated now).
    Empty,
    /// The head of the queue.
    Item {
        /// Its number.
        seq: u64,
        /// The interpreter that sent it.
        sender: u64,
        /// The item, or the marker it became.
        payload: Payload,
        /// The sequential API's value (0 for a marker).
        value: u32,
    },
}

/// What became of a waiting sender's item, once settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// A receiver took it.
    Received,
    /// The channel closed first: the item is handed back.
    Returned,
}

/// What clearing a destroyed interpreter did to one channel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cleared {
    /// Items replaced by the UNBOUND marker.
    pub replaced: usize,
    /// Items replaced by the error marker.
    pub errored: usize,
    /// Items removed.
    pub removed: usize,
    /// Items of other interpreters left queued as they were (the destroyed
    /// interpreter's policy is not theirs).
    pub others_kept: usize,
    /// The interpreter had association records (now removed).
    pub had_records: bool,
    /// No association was left: the channel closed.
    pub closed: bool,
}

impl Cleared {
    /// Whether anything changed (the production records the step only then).
    pub fn changed(&self) -> bool {
        self.replaced + self.errored + self.removed > 0 || self.had_records
    }
}

/// The reference state of one channel (or queue).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelSpec {
    /// Channels keep associations and can be closed; queues do neither.
    pub is_channel: bool,
    /// 0: unbounded.
    pub maxsize: usize,
    /// The channel's default unbound policy.
    pub policy: UnboundPolicy,
    /// Open, closing or closed.
    pub status: Status,
    /// The ledger the implementation must match.
    pub ledger: Ledger,
    items: Vec<Item>,
    /// (interpreter, send end?) → open.
    records: BTreeMap<(u64, bool), bool>,
    /// The next item's number.
    next_seq: u64,
    /// Settled items of waiting senders, until their senders collect them.
    settled: BTreeMap<u64, Settled>,
}

/// The sequential API's interpreter number (the senders it sees are all
/// numbers it gave, so this never saturates there).
fn small(id: u64) -> Interp {
    Interp::try_from(id).unwrap_or(Interp::MAX)
}

impl ChannelSpec {
    /// A new, open, empty channel (`is_channel`) or queue.
    pub fn new(is_channel: bool, maxsize: usize, policy: UnboundPolicy) -> Self {
        Self {
            is_channel,
            maxsize,
            policy,
            status: Status::Open,
            ledger: Ledger::default(),
            items: Vec::new(),
            records: BTreeMap::new(),
            next_seq: 1,
            settled: BTreeMap::new(),
        }
    }

    /// Items queued (markers included).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The interpreters associated with an end now, by number.
    pub fn associated(&self, send: bool) -> Vec<Interp> {
        self.records.iter().filter(|((_, s), open)| *s == send && **open).map(|((i, _), _)| small(*i)).collect()
    }

    /// Every association record of an end, in interpreter order: (interpreter, still open).
    pub fn records(&self, send: bool) -> Vec<(u64, bool)> {
        self.records.iter().filter(|((_, s), _)| *s == send).map(|((i, _), open)| (*i, *open)).collect()
    }

    /// The numbers of the queued items, head first.
    pub fn queued(&self) -> Vec<u64> {
        self.items.iter().map(|i| i.seq).collect()
    }

    /// Whether item `seq` is queued.
    pub fn is_queued(&self, seq: u64) -> bool {
        self.items.iter().any(|i| i.seq == seq)
    }

    /// What became of waiting sender's item `seq`, if it was settled and
    /// not collected yet.
    pub fn settlement(&self, seq: u64) -> Option<Settled> {
        self.settled.get(&seq).copied()
    }

    fn open_on(&self, send: bool) -> usize {
        self.records.iter().filter(|((_, s), open)| *s == send && **open).count()
    }

    /// Closes: waiting senders' items are settled as returned, other items
    /// are dropped (values counted as dropped, markers as markers dropped).
    fn close_now(&mut self) {
        self.status = Status::Closed;
        for item in self.items.drain(..) {
            match item.payload {
                Payload::Value if item.waiter => {
                    self.ledger.returned += 1;
                    self.ledger.queued -= 1;
                    self.settled.insert(item.seq, Settled::Returned);
                }
                Payload::Value => {
                    self.ledger.dropped += 1;
                    self.ledger.queued -= 1;
                }
                _ => {
                    self.ledger.markers_dropped += 1;
                    self.ledger.markers_queued -= 1;
                }
            }
        }
    }

    /// After an item left the queue: a closing channel closes once drained.
    fn after_removal(&mut self) {
        if self.status == Status::Closing && self.items.is_empty() {
            self.status = Status::Closed;
        }
    }

    /// Step: a send (or put) by `who` offers an item (`policy`: its own
    /// unbound policy, `None` for the channel's; `waiter`: a blocking sender
    /// waits for it to be settled). Admitted, it is queued and gets the
    /// next number; refused, it is counted and handed back. A channel
    /// associates an admitted sender with its send end.
    pub fn enqueue(&mut self, who: u64, policy: Option<UnboundPolicy>, waiter: bool) -> Result<u64, Refusal> {
        self.enqueue_value(who, policy, waiter, 0)
    }

    fn enqueue_value(
        &mut self,
        who: u64,
        policy: Option<UnboundPolicy>,
        waiter: bool,
        value: u32,
    ) -> Result<u64, Refusal> {
        self.ledger.offered += 1;
        let refusal = match self.status {
            Status::Closed => Some(Refusal::Closed),
            Status::Closing => Some(Refusal::Closing),
            Status::Open if self.records.get(&(who, true)) == Some(&false) => Some(Refusal::Released),
            Status::Open if self.maxsize > 0 && self.items.len() >= self.maxsize => Some(Refusal::Full),
            Status::Open => None,
        };
        if let Some(r) = refusal {
            self.ledger.refused += 1;
            return Err(r);
        }
        if self.is_channel {
            self.records.entry((who, true)).or_insert(true);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let policy = policy.unwrap_or(self.policy);
        self.items.push(Item { seq, sender: who, policy, payload: Payload::Value, value, waiter });
        self.ledger.queued += 1;
        Ok(seq)
    }

    /// Step: a receive (or get) by `who`. A channel associates the receiver
    /// with its recv end (unless it released it); the head item is taken
    /// (its waiting sender's item is settled as received); a closing
    /// channel closes once drained.
    pub fn take(&mut self, who: u64) -> Taken {
        if self.status == Status::Closed {
            return Taken::Closed;
        }
        if self.is_channel {
            match self.records.get(&(who, false)) {
                Some(false) => return Taken::Released,
                Some(true) => {}
                None => {
                    self.records.insert((who, false), true);
                }
            }
        }
        if self.items.is_empty() {
            return Taken::Empty;
        }
        let item = self.items.remove(0);
        if item.waiter {
            self.settled.insert(item.seq, Settled::Received);
        }
        match item.payload {
            Payload::Value => {
                self.ledger.received += 1;
                self.ledger.queued -= 1;
            }
            Payload::Unbound | Payload::Destroyed => {
                self.ledger.markers_received += 1;
                self.ledger.markers_queued -= 1;
            }
        }
        self.after_removal();
        Taken::Item { seq: item.seq, sender: item.sender, payload: item.payload, value: item.value }
    }

    /// Step: a waiting sender's deadline passed before its item `seq` was
    /// settled: the item leaves the queue and goes back to the sender.
    /// `false` if the item is not queued (it was settled, or never queued).
    pub fn withdraw(&mut self, seq: u64) -> bool {
        let Some(pos) = self.items.iter().position(|i| i.seq == seq && i.waiter) else {
            return false;
        };
        self.items.remove(pos);
        self.ledger.withdrawn += 1;
        self.ledger.queued -= 1;
        self.after_removal();
        true
    }

    /// Step: a waiting sender picks up what became of its item `seq`
    /// (`None`: nothing yet).
    pub fn collect(&mut self, seq: u64) -> Option<Settled> {
        self.settled.remove(&seq)
    }

    /// Step: a channel-wide close (`send_only`: `close(send=True)` alone).
    pub fn close(&mut self, send_only: bool, force: bool) -> Outcome {
        match self.status {
            Status::Closed => Outcome::Closed,
            Status::Closing if send_only && !force => Outcome::Closed,
            _ if self.items.is_empty() || force => {
                self.close_now();
                Outcome::Ok
            }
            _ if send_only => {
                self.status = Status::Closing;
                Outcome::Ok
            }
            _ => Outcome::NotEmpty,
        }
    }

    /// Step: `who` releases its association with an end; the channel
    /// closes when no association is left open on either end.
    pub fn release(&mut self, who: u64, send: bool) -> Outcome {
        if self.status == Status::Closed {
            return Outcome::Closed;
        }
        match self.records.get(&(who, send)) {
            Some(false) => return Outcome::Closed,
            _ => {
                self.records.insert((who, send), false);
            }
        }
        if self.open_on(true) == 0 && self.open_on(false) == 0 {
            self.close_now();
        }
        Outcome::Ok
    }

    /// Step: `who` releases both ends in one step (`release(cid,
    /// send=True, recv=True)`): refused if closed or both were released
    /// already; the channel closes when, both released, no association is
    /// left open.
    pub fn release_both(&mut self, who: u64) -> Outcome {
        if self.status == Status::Closed {
            return Outcome::Closed;
        }
        if self.records.get(&(who, true)) == Some(&false) && self.records.get(&(who, false)) == Some(&false) {
            return Outcome::Closed;
        }
        self.records.insert((who, true), false);
        self.records.insert((who, false), false);
        if self.open_on(true) == 0 && self.open_on(false) == 0 {
            self.close_now();
        }
        Outcome::Ok
    }

    /// Step: interpreter `who` is destroyed. Its unreceived items (not
    /// those a blocking sender waits for: that sender holds a guard on it)
    /// follow their unbound policy, its association records go, and a
    /// channel it had records on closes if none is left open (CPython keeps
    /// the records, closed, so the channel counts as used).
    pub fn clear_interpreter(&mut self, who: u64) -> Cleared {
        let mut cleared = Cleared::default();
        if self.status == Status::Closed {
            return cleared;
        }
        let mut kept = Vec::new();
        for mut item in std::mem::take(&mut self.items) {
            if item.sender != who || item.waiter || item.payload != Payload::Value {
                cleared.others_kept += usize::from(item.sender != who);
                kept.push(item);
                continue;
            }
            self.ledger.unbound += 1;
            self.ledger.queued -= 1;
            item.payload = match item.policy {
                UnboundPolicy::Remove => {
                    cleared.removed += 1;
                    continue;
                }
                UnboundPolicy::Replace => {
                    cleared.replaced += 1;
                    Payload::Unbound
                }
                UnboundPolicy::Error => {
                    cleared.errored += 1;
                    Payload::Destroyed
                }
            };
            self.ledger.markers_made += 1;
            self.ledger.markers_queued += 1;
            kept.push(item);
        }
        self.items = kept;
        cleared.had_records = self.records.keys().any(|(i, _)| *i == who);
        self.records.retain(|(i, _), _| *i != who);
        if cleared.had_records && self.open_on(true) == 0 && self.open_on(false) == 0 {
            self.close_now();
            cleared.closed = true;
        } else {
            self.after_removal();
        }
        cleared
    }

    /// Applies `op` and says what came of it: the sequential API, as a
    /// program over the steps.
    pub fn apply(&mut self, op: Op) -> Outcome {
        match op {
            Op::SendNowait { who, value, policy } => match self.enqueue_value(u64::from(who), policy, false, value) {
                Ok(_) => Outcome::Ok,
                Err(r) => Self::refused(r),
            },
            Op::SendTimeout { who, value } => match self.enqueue_value(u64::from(who), None, true, value) {
                // Queued, never taken (nobody else runs), withdrawn at the deadline.
                Ok(seq) => {
                    self.withdraw(seq);
                    Outcome::Withdrawn
                }
                Err(r) => Self::refused(r),
            },
            Op::Recv { who } => match self.take(u64::from(who)) {
                Taken::Closed | Taken::Released => Outcome::Closed,
                Taken::Empty => Outcome::Empty,
                Taken::Item { sender, payload, value, .. } => match payload {
                    Payload::Value => Outcome::Item(value),
                    Payload::Unbound => Outcome::Unbound(small(sender)),
                    Payload::Destroyed => Outcome::ItemInterpreterDestroyed(small(sender)),
                },
            },
            Op::Close { send_only, force } => self.close(send_only, force),
            Op::Release { who, send } => self.release(u64::from(who), send),
            Op::Destroy { who } => {
                self.clear_interpreter(u64::from(who));
                Outcome::Ok
            }
        }
    }

    fn refused(r: Refusal) -> Outcome {
        match r {
            Refusal::Full => Outcome::RefusedFull,
            Refusal::Closed | Refusal::Closing | Refusal::Released => Outcome::RefusedClosed,
        }
    }
}

impl fmt::Display for ChannelSpec {
    /// `queue=[#2 from I1, #3 from I1 (UNBOUND), #4 from I2 (waited for)] closing
    /// send=[1,-2] recv=[3] settled=[#1 received]`, then the ledger.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self
            .items
            .iter()
            .map(|i| {
                let mut s = format!("#{} from I{}", i.seq, i.sender);
                match i.payload {
                    Payload::Value => {}
                    Payload::Unbound => s.push_str(" (UNBOUND)"),
                    Payload::Destroyed => s.push_str(" (error marker)"),
                }
                if i.waiter {
                    s.push_str(" (waited for)");
                }
                s
            })
            .collect();
        write!(f, "queue=[{}]", items.join(", "))?;
        match self.status {
            Status::Open => {}
            Status::Closing => f.write_str(" closing")?,
            Status::Closed => f.write_str(" closed")?,
        }
        if self.is_channel {
            let side = |send| {
                self.records(send)
                    .iter()
                    .map(|(i, open)| if *open { format!("{i}") } else { format!("-{i}") })
                    .collect::<Vec<_>>()
                    .join(",")
            };
            write!(f, " send=[{}] recv=[{}]", side(true), side(false))?;
        }
        if !self.settled.is_empty() {
            let settled: Vec<String> = self
                .settled
                .iter()
                .map(|(seq, s)| match s {
                    Settled::Received => format!("#{seq} received"),
                    Settled::Returned => format!("#{seq} returned"),
                })
                .collect();
            write!(f, " settled=[{}]", settled.join(", "))?;
        }
        write!(f, "; ledger: {}", self.ledger)
    }
}
