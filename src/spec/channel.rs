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
use crate::channel::{Ledger, Status, UnboundPolicy};
use std::collections::BTreeMap;

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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Payload {
    Value(u32),
    Unbound,
    Destroyed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Item {
    sender: Interp,
    policy: UnboundPolicy,
    payload: Payload,
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
    records: BTreeMap<(Interp, bool), bool>,
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
        self.records.iter().filter(|((_, s), open)| *s == send && **open).map(|((i, _), _)| *i).collect()
    }

    fn open_on(&self, send: bool) -> usize {
        self.records.iter().filter(|((_, s), open)| *s == send && **open).count()
    }

    /// Closes: items are dropped (values counted as dropped, markers as
    /// markers dropped).
    fn close_now(&mut self) {
        self.status = Status::Closed;
        for item in self.items.drain(..) {
            match item.payload {
                Payload::Value(_) => {
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

    /// Whether a send by `who` would be admitted; counts a refusal.
    fn admit(&mut self, who: Interp) -> Result<(), Outcome> {
        self.ledger.offered += 1;
        let refusal = if self.status != Status::Open || self.records.get(&(who, true)) == Some(&false) {
            Some(Outcome::RefusedClosed)
        } else if self.maxsize > 0 && self.items.len() >= self.maxsize {
            Some(Outcome::RefusedFull)
        } else {
            None
        };
        match refusal {
            Some(r) => {
                self.ledger.refused += 1;
                Err(r)
            }
            None => {
                if self.is_channel {
                    self.records.entry((who, true)).or_insert(true);
                }
                Ok(())
            }
        }
    }

    /// Applies `op` and says what came of it.
    pub fn apply(&mut self, op: Op) -> Outcome {
        match op {
            Op::SendNowait { who, value, policy } => {
                if let Err(r) = self.admit(who) {
                    return r;
                }
                let policy = policy.unwrap_or(self.policy);
                self.items.push(Item { sender: who, policy, payload: Payload::Value(value) });
                self.ledger.queued += 1;
                Outcome::Ok
            }
            Op::SendTimeout { who, .. } => {
                if let Err(r) = self.admit(who) {
                    return r;
                }
                // Queued, never taken, withdrawn at the deadline.
                self.ledger.withdrawn += 1;
                Outcome::Withdrawn
            }
            Op::Recv { who } => {
                if self.status == Status::Closed {
                    return Outcome::Closed;
                }
                if self.is_channel {
                    match self.records.get(&(who, false)) {
                        Some(false) => return Outcome::Closed,
                        Some(true) => {}
                        None => {
                            self.records.insert((who, false), true);
                        }
                    }
                }
                if self.items.is_empty() {
                    return Outcome::Empty;
                }
                let item = self.items.remove(0);
                let outcome = match item.payload {
                    Payload::Value(v) => {
                        self.ledger.received += 1;
                        self.ledger.queued -= 1;
                        Outcome::Item(v)
                    }
                    Payload::Unbound => {
                        self.ledger.markers_received += 1;
                        self.ledger.markers_queued -= 1;
                        Outcome::Unbound(item.sender)
                    }
                    Payload::Destroyed => {
                        self.ledger.markers_received += 1;
                        self.ledger.markers_queued -= 1;
                        Outcome::ItemInterpreterDestroyed(item.sender)
                    }
                };
                if self.status == Status::Closing && self.items.is_empty() {
                    self.status = Status::Closed;
                }
                outcome
            }
            Op::Close { send_only, force } => match self.status {
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
            },
            Op::Release { who, send } => {
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
            Op::Destroy { who } => {
                if self.status == Status::Closed {
                    return Outcome::Ok;
                }
                let mut kept = Vec::new();
                for mut item in std::mem::take(&mut self.items) {
                    if item.sender != who || !matches!(item.payload, Payload::Value(_)) {
                        kept.push(item);
                        continue;
                    }
                    self.ledger.unbound += 1;
                    self.ledger.queued -= 1;
                    item.payload = match item.policy {
                        UnboundPolicy::Remove => continue,
                        UnboundPolicy::Replace => Payload::Unbound,
                        UnboundPolicy::Error => Payload::Destroyed,
                    };
                    self.ledger.markers_made += 1;
                    self.ledger.markers_queued += 1;
                    kept.push(item);
                }
                self.items = kept;
                let had = self.records.keys().any(|(i, _)| *i == who);
                self.records.retain(|(i, _), _| *i != who);
                if had && !self.records.is_empty() && self.open_on(true) == 0 && self.open_on(false) == 0 {
                    self.close_now();
                } else if self.status == Status::Closing && self.items.is_empty() {
                    self.status = Status::Closed;
                }
                Outcome::Ok
            }
        }
    }
}
