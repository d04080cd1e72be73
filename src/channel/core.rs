//! The one implementation both faces share: a FIFO of items under one
//! facade `Mutex`, three `Condvar`s, association records and the ledger.
//! See the [module essay](super) for the state table, the races and the
//! orderings. SPIN spec: `proofs/channel.pml`, whose inlines are named
//! after the functions here (`Chan::take` is `chan_take`, `State::close_now`
//! is `state_close_now`; the table is in its header).
use super::assoc::{Associations, End};
use super::errors::{CloseError, RecvError, ReleaseError, SendError};
use super::ledger::Ledger;
use super::unbound::{Payload, Received, UnboundPolicy};
use super::{ChannelId, Status};
use crate::interp::InterpreterId;
use crate::sync::atomic::AtomicUsize;
use crate::sync::time::Deadline;
use crate::sync::{Condvar, Mutex};
use crate::thread_state;
use crate::trace_event;
use std::collections::VecDeque;

/// Which face a core wears: names its trace steps and whether it keeps
/// associations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Face {
    /// PEP 554 channel: association, release, close, blocking send.
    Channel,
    /// PEP 734 queue: maxsize, put/get; no association, no close.
    Queue,
}

impl Face {
    fn send_op(self) -> &'static str {
        match self {
            Self::Channel => "channel.send",
            Self::Queue => "queue.put",
        }
    }

    fn recv_op(self) -> &'static str {
        match self {
            Self::Channel => "channel.recv",
            Self::Queue => "queue.get",
        }
    }
}

/// How long a send may wait, and for what.
#[derive(Clone, Copy)]
pub(crate) enum SendWait<'d> {
    /// Not at all: enqueue or refuse.
    No,
    /// For space in a bounded queue, until the deadline (then `Full`).
    ForSpace(&'d Deadline),
    /// For a receiver to take *this* item, until the deadline (then the
    /// item is withdrawn: `Timeout`).
    ForReceipt(&'d Deadline),
}

/// One queued item.
struct Item<T> {
    /// Its number in this channel, from 1: how traces and withdrawals name it.
    seq: u64,
    sender: InterpreterId,
    unbound: UnboundPolicy,
    payload: Payload<T>,
    /// A blocking sender waits for this item to be settled.
    waiter: bool,
}

/// What became of a waiting sender's item.
enum Settlement<T> {
    /// A receiver took it.
    Received,
    /// The channel closed first; the item goes back to its sender.
    Returned(T),
}

/// Everything under the channel's lock.
struct State<T> {
    items: VecDeque<Item<T>>,
    /// 0: unbounded.
    maxsize: usize,
    status: Status,
    /// `None` for queues, which keep no associations.
    ends: Option<Associations>,
    unbound: UnboundPolicy,
    next_seq: u64,
    /// Outcomes of waiting senders' items, until their senders pick them up.
    settled: Vec<(u64, Settlement<T>)>,
    recv_waiting: usize,
    send_waiting: usize,
    put_waiting: usize,
    ledger: Ledger,
}

/// A channel or queue.
pub(crate) struct Chan<T> {
    pub(crate) id: ChannelId,
    pub(crate) face: Face,
    state: Mutex<State<T>>,
    /// Receivers wait here for an item or a close.
    not_empty: Condvar,
    /// Blocking senders wait here for their item to be settled.
    settled: Condvar,
    /// Putters wait here for space in a bounded queue, or a close.
    not_full: Condvar,
    /// Live handles (ends, queue objects); the registry forgets the channel
    /// when this reaches 0. See `registry.rs`.
    pub(crate) handles: AtomicUsize,
}

/// The calling thread's interpreter, for steps that take no `py` (a close):
/// looked up only when steps are recorded.
fn traced_caller() -> Option<u64> {
    if crate::trace::ENABLED {
        thread_state::current_id().map(InterpreterId::get)
    } else {
        None
    }
}

/// Payloads to drop once the lock is released: a payload's `Drop` may be
/// anything (an end of another channel, which takes the registry lock).
type Doomed<T> = Vec<T>;

impl<T> State<T> {
    fn describe(&self, id: ChannelId) -> String {
        let mut s = format!("C{} items={}", id.get(), self.items.len());
        if self.send_waiting > 0 {
            s.push_str(&format!(" senders-waiting={}", self.send_waiting));
        }
        if self.recv_waiting > 0 {
            s.push_str(&format!(" receivers-waiting={}", self.recv_waiting));
        }
        if self.put_waiting > 0 {
            s.push_str(&format!(" putters-waiting={}", self.put_waiting));
        }
        match self.status {
            Status::Open => {}
            Status::Closing => s.push_str(" closing"),
            Status::Closed => s.push_str(" closed"),
        }
        if let Some(ends) = &self.ends {
            s.push(' ');
            s.push_str(&ends.describe());
        }
        s
    }

    fn full(&self) -> bool {
        self.maxsize > 0 && self.items.len() >= self.maxsize
    }

    /// CH-1, checked after every step in debug builds; under a model checker
    /// the `queued` counters are also recounted from the queue itself.
    fn check_ledger(&self, id: ChannelId) {
        if cfg!(debug_assertions) {
            if let Err(why) = self.ledger.check() {
                panic!("{why} (C{})", id.get());
            }
        }
        if crate::sync::MODEL {
            let values = self.items.iter().filter(|i| i.payload.is_value()).count() as u64;
            let markers = self.items.len() as u64 - values;
            if values != self.ledger.queued || markers != self.ledger.markers_queued {
                panic!(
                    "invariant CH-1 violated: C{} holds {values} item(s) and {markers} marker(s), the ledger says {} and {}",
                    id.get(),
                    self.ledger.queued,
                    self.ledger.markers_queued
                );
            }
        }
    }

    /// Takes a waiting sender's item back out of the queue (its deadline
    /// passed before a receiver took it).
    fn withdraw(&mut self, seq: u64) -> Option<T> {
        let pos = self.items.iter().position(|i| i.seq == seq)?;
        let item = self.items.remove(pos)?;
        match item.payload {
            Payload::Value(value) => {
                self.ledger.withdrawn += 1;
                self.ledger.queued -= 1;
                Some(value)
            }
            // A waiting sender's item is never unbound: its interpreter is
            // guarded while the sender waits.
            _ => panic!("invariant CH-1 violated: item #{seq} of a waiting sender lost its payload"),
        }
    }

    /// Closes now: every queued item is settled (a waiting sender gets its
    /// item back), dropped, or (a marker) discarded. Returns the payloads to
    /// drop after unlocking.
    fn close_now(&mut self) -> Doomed<T> {
        self.status = Status::Closed;
        let mut doomed = Vec::new();
        for item in self.items.drain(..) {
            match item.payload {
                Payload::Value(value) if item.waiter => {
                    self.ledger.returned += 1;
                    self.ledger.queued -= 1;
                    self.settled.push((item.seq, Settlement::Returned(value)));
                }
                Payload::Value(value) => {
                    self.ledger.dropped += 1;
                    self.ledger.queued -= 1;
                    doomed.push(value);
                }
                Payload::Unbound | Payload::Destroyed => {
                    self.ledger.markers_dropped += 1;
                    self.ledger.markers_queued -= 1;
                }
            }
        }
        doomed
    }
}

impl<T> Chan<T> {
    pub(crate) fn new(id: ChannelId, face: Face, maxsize: usize, unbound: UnboundPolicy) -> Self {
        Self {
            id,
            face,
            state: Mutex::new(State {
                items: VecDeque::new(),
                maxsize,
                status: Status::Open,
                ends: (face == Face::Channel).then(Associations::default),
                unbound,
                next_seq: 1,
                settled: Vec::new(),
                recv_waiting: 0,
                send_waiting: 0,
                put_waiting: 0,
                ledger: Ledger::default(),
            }),
            not_empty: Condvar::new(),
            settled: Condvar::new(),
            not_full: Condvar::new(),
            handles: AtomicUsize::new(0),
        }
    }

    /// Wakes everyone who waits on the channel (it closed).
    fn wake_all(&self) {
        self.not_empty.notify_all();
        self.settled.notify_all();
        self.not_full.notify_all();
    }

    // ---------------------------------------------------------------- send

    /// Sends (puts) `item` from interpreter `who`. See [`SendWait`].
    pub(crate) fn send(
        &self,
        who: InterpreterId,
        item: T,
        unbound: Option<UnboundPolicy>,
        wait: SendWait<'_>,
    ) -> Result<(), SendError<T>> {
        match wait {
            SendWait::No => {
                let mut st = self.state.lock();
                self.enqueue(&mut st, who, item, unbound, false).map(|_| ())
            }
            SendWait::ForSpace(deadline) => {
                let mut st = self.state.lock();
                if !st.full() || st.status != Status::Open {
                    return self.enqueue(&mut st, who, item, unbound, false).map(|_| ());
                }
                drop(st);
                // Full: wait for space with the caller's GIL released.
                thread_state::detached(|| self.put_when_space(who, item, unbound, deadline))
            }
            SendWait::ForReceipt(deadline) => {
                // The sender always waits: release its GIL for the whole step.
                thread_state::detached(|| self.send_and_wait(who, item, unbound, deadline))
            }
        }
    }

    /// Admits and queues `item`, or refuses it (handing it back). Counts it.
    fn enqueue(
        &self,
        st: &mut State<T>,
        who: InterpreterId,
        item: T,
        unbound: Option<UnboundPolicy>,
        waiter: bool,
    ) -> Result<u64, SendError<T>> {
        st.ledger.offered += 1;
        let refusal = match st.status {
            Status::Closed => Some((SendError::Closed(()), "refused: closed")),
            Status::Closing => Some((SendError::Closed(()), "refused: closing")),
            Status::Open => match st.ends.as_mut().map(|ends| ends.associate(End::Send, who)) {
                Some(Err(_)) => Some((SendError::Closed(()), "refused: this interpreter released the send end")),
                _ if st.full() => Some((SendError::Full(()), "refused: full")),
                _ => None,
            },
        };
        if let Some((kind, why)) = refusal {
            st.ledger.refused += 1;
            trace_event!(Some(who.get()), self.face.send_op(), why, st.describe(self.id));
            st.check_ledger(self.id);
            return Err(match kind {
                SendError::Closed(()) => SendError::Closed(item),
                SendError::Full(()) => SendError::Full(item),
                SendError::Timeout(()) => SendError::Timeout(item),
            });
        }
        let seq = st.next_seq;
        st.next_seq += 1;
        let own_policy = unbound;
        let unbound = unbound.unwrap_or(st.unbound);
        st.items.push_back(Item { seq, sender: who, unbound, payload: Payload::Value(item), waiter });
        st.ledger.queued += 1;
        if st.recv_waiting > 0 {
            self.not_empty.notify_one();
        }
        if !waiter {
            // An item's own unbound policy is recorded: the trace validator
            // needs it to know what the item becomes if its sender is
            // destroyed.
            trace_event!(
                Some(who.get()),
                self.face.send_op(),
                match own_policy {
                    Some(policy) => format!("ok: item #{seq} queued, unbound items {}", policy.name()),
                    None => format!("ok: item #{seq} queued"),
                },
                st.describe(self.id)
            );
        }
        st.check_ledger(self.id);
        Ok(seq)
    }

    /// A blocking put on a full bounded queue.
    fn put_when_space(
        &self,
        who: InterpreterId,
        item: T,
        unbound: Option<UnboundPolicy>,
        deadline: &Deadline,
    ) -> Result<(), SendError<T>> {
        let mut st = self.state.lock();
        let mut blocked = false;
        loop {
            if !st.full() || st.status != Status::Open || deadline.has_passed() {
                // Enqueue, or refuse: full at the deadline is PEP 734's QueueFull.
                return self.enqueue(&mut st, who, item, unbound, false).map(|_| ());
            }
            if !blocked {
                blocked = true;
                trace_event!(Some(who.get()), self.face.send_op(), "blocked: full", st.describe(self.id));
            }
            st.put_waiting += 1;
            self.not_full.wait_until(&mut st, deadline);
            st.put_waiting -= 1;
        }
    }

    /// A blocking channel send: queue the item, then wait until a receiver
    /// took it (Ok), the channel closed (Closed, item back), or the deadline
    /// passed (withdrawn: Timeout, item back).
    fn send_and_wait(
        &self,
        who: InterpreterId,
        item: T,
        unbound: Option<UnboundPolicy>,
        deadline: &Deadline,
    ) -> Result<(), SendError<T>> {
        let mut st = self.state.lock();
        let seq = self.enqueue(&mut st, who, item, unbound, true)?;
        trace_event!(
            Some(who.get()),
            self.face.send_op(),
            format_args!("blocked: item #{seq} queued, waiting for a receiver"),
            st.describe(self.id)
        );
        loop {
            // Settled first: an item taken before the deadline was delivered,
            // whatever the clock says now.
            if let Some(i) = st.settled.iter().position(|(s, _)| *s == seq) {
                let (_, settlement) = st.settled.swap_remove(i);
                return match settlement {
                    Settlement::Received => {
                        trace_event!(
                            Some(who.get()),
                            self.face.send_op(),
                            format_args!("ok: item #{seq} was received"),
                            st.describe(self.id)
                        );
                        Ok(())
                    }
                    Settlement::Returned(value) => {
                        trace_event!(
                            Some(who.get()),
                            self.face.send_op(),
                            format_args!("woken by close: item #{seq} handed back"),
                            st.describe(self.id)
                        );
                        Err(SendError::Closed(value))
                    }
                };
            }
            if deadline.has_passed() {
                let Some(value) = st.withdraw(seq) else {
                    panic!("invariant CH-2 violated: item #{seq} is neither queued nor settled")
                };
                self.after_removal(&mut st);
                trace_event!(
                    Some(who.get()),
                    self.face.send_op(),
                    format_args!("timed out: item #{seq} withdrawn"),
                    st.describe(self.id)
                );
                st.check_ledger(self.id);
                return Err(SendError::Timeout(value));
            }
            st.send_waiting += 1;
            self.settled.wait_until(&mut st, deadline);
            st.send_waiting -= 1;
        }
    }

    /// After an item left the queue: wake a putter, finish a closing.
    fn after_removal(&self, st: &mut State<T>) {
        if st.put_waiting > 0 {
            self.not_full.notify_one();
        }
        if st.status == Status::Closing && st.items.is_empty() {
            st.status = Status::Closed;
            self.wake_all();
            trace_event!(traced_caller(), "channel.close", "closed: drained after closing", st.describe(self.id));
        }
    }

    // ---------------------------------------------------------------- recv

    /// Receives (gets) the next item for interpreter `who`; `wait` is `None`
    /// for a non-blocking receive.
    pub(crate) fn recv(&self, who: InterpreterId, wait: Option<&Deadline>) -> Result<Received<T>, RecvError> {
        let mut st = self.state.lock();
        if let Some(result) = self.take(&mut st, who) {
            return result;
        }
        let Some(deadline) = wait else {
            trace_event!(Some(who.get()), self.face.recv_op(), "empty", st.describe(self.id));
            return Err(RecvError::Empty);
        };
        // Recorded because this look changed the state (it associated the
        // receiver with the recv end): the trace validator must see it.
        trace_event!(Some(who.get()), self.face.recv_op(), "empty: waiting, GIL released", st.describe(self.id));
        drop(st);
        // Nothing yet: wait with the caller's GIL released.
        thread_state::detached(|| {
            let mut st = self.state.lock();
            let mut blocked = false;
            loop {
                if let Some(result) = self.take(&mut st, who) {
                    return result;
                }
                if deadline.has_passed() {
                    trace_event!(Some(who.get()), self.face.recv_op(), "timed out", st.describe(self.id));
                    return Err(RecvError::Timeout);
                }
                if !blocked {
                    blocked = true;
                    trace_event!(Some(who.get()), self.face.recv_op(), "blocked: empty", st.describe(self.id));
                }
                st.recv_waiting += 1;
                self.not_empty.wait_until(&mut st, deadline);
                st.recv_waiting -= 1;
            }
        })
    }

    /// Takes the next item if the matter is decided (an item, a marker, or
    /// closed); `None` when the channel is open and empty.
    fn take(&self, st: &mut State<T>, who: InterpreterId) -> Option<Result<Received<T>, RecvError>> {
        if st.status == Status::Closed {
            trace_event!(Some(who.get()), self.face.recv_op(), "refused: closed", st.describe(self.id));
            return Some(Err(RecvError::Closed));
        }
        if let Some(ends) = st.ends.as_mut() {
            if ends.associate(End::Recv, who).is_err() {
                trace_event!(
                    Some(who.get()),
                    self.face.recv_op(),
                    "refused: this interpreter released the recv end",
                    st.describe(self.id)
                );
                return Some(Err(RecvError::Closed));
            }
        }
        let item = st.items.pop_front()?;
        if item.waiter {
            st.settled.push((item.seq, Settlement::Received));
            self.settled.notify_all();
        }
        let (seq, sender) = (item.seq, item.sender);
        let result = match item.payload {
            Payload::Value(value) => {
                st.ledger.received += 1;
                st.ledger.queued -= 1;
                Ok(Received::Item(value))
            }
            Payload::Unbound => {
                st.ledger.markers_received += 1;
                st.ledger.markers_queued -= 1;
                Ok(Received::Unbound(sender))
            }
            Payload::Destroyed => {
                st.ledger.markers_received += 1;
                st.ledger.markers_queued -= 1;
                Err(RecvError::ItemInterpreterDestroyed(sender))
            }
        };
        self.after_removal(st);
        trace_event!(
            Some(who.get()),
            self.face.recv_op(),
            match &result {
                Ok(Received::Item(_)) => format!("ok: item #{seq} from I{}", sender.get()),
                Ok(Received::Unbound(_)) => format!("ok: UNBOUND marker of item #{seq} (I{} destroyed)", sender.get()),
                Err(_) => format!("error: item #{seq}'s sender I{} was destroyed", sender.get()),
            },
            st.describe(self.id)
        );
        st.check_ledger(self.id);
        Some(result)
    }

    // ---------------------------------------------------------- close/release

    /// Channel-wide close (CPython's `channel_close(send, recv, force)`):
    /// `send_only` is `close(send=True)` without `recv=True`.
    pub(crate) fn close(&self, send_only: bool, force: bool) -> Result<(), CloseError> {
        let who = traced_caller();
        let mut st = self.state.lock();
        let result = match st.status {
            Status::Closed => Err((CloseError::Closed, "refused: already closed")),
            Status::Closing if send_only && !force => Err((CloseError::Closed, "refused: already closing")),
            _ if st.items.is_empty() || force => Ok(()),
            _ if send_only => {
                st.status = Status::Closing;
                trace_event!(
                    who,
                    "channel.close",
                    "closing: new sends fail, closes once drained",
                    st.describe(self.id)
                );
                return Ok(());
            }
            _ => Err((CloseError::NotEmpty, "refused: not empty")),
        };
        match result {
            Err((error, why)) => {
                trace_event!(who, "channel.close", why, st.describe(self.id));
                Err(error)
            }
            Ok(()) => {
                let (items, waiting) = (st.items.len(), st.send_waiting);
                let doomed = st.close_now();
                self.wake_all();
                trace_event!(
                    who,
                    "channel.close",
                    if items == 0 {
                        "ok: closed".to_owned()
                    } else {
                        format!("ok: forced, {items} item(s) dropped or handed back, {waiting} sender(s) woken")
                    },
                    st.describe(self.id)
                );
                st.check_ledger(self.id);
                drop(st);
                drop(doomed);
                Ok(())
            }
        }
    }

    /// Releases `who`'s association with `end`; the channel closes when no
    /// association remains open on either end.
    pub(crate) fn release(&self, who: InterpreterId, end: End) -> Result<(), ReleaseError> {
        let mut st = self.state.lock();
        if st.status == Status::Closed {
            trace_event!(Some(who.get()), "channel.release", "refused: closed", st.describe(self.id));
            return Err(ReleaseError::Closed);
        }
        let Some(ends) = st.ends.as_mut() else {
            return Err(ReleaseError::Closed);
        };
        if ends.release(end, who).is_err() {
            trace_event!(
                Some(who.get()),
                "channel.release",
                format_args!("refused: {} end already released", end.name()),
                st.describe(self.id)
            );
            return Err(ReleaseError::Closed);
        }
        let closes = ends.open_on(end) == 0 && ends.open_on(end.other()) == 0 && ends.ever_associated();
        let doomed = if closes {
            let doomed = st.close_now();
            self.wake_all();
            trace_event!(
                Some(who.get()),
                "channel.release",
                format_args!("ok: {} end released; the last association: closed", end.name()),
                st.describe(self.id)
            );
            doomed
        } else {
            // A receiver of this interpreter blocked in `recv` must see it.
            if end == End::Recv && st.recv_waiting > 0 {
                self.not_empty.notify_all();
            }
            trace_event!(
                Some(who.get()),
                "channel.release",
                format_args!("ok: {} end released", end.name()),
                st.describe(self.id)
            );
            Vec::new()
        };
        st.check_ledger(self.id);
        drop(st);
        drop(doomed);
        Ok(())
    }

    /// Interpreter `who` is being destroyed: its associations go, and its
    /// unreceived items follow their unbound policies.
    pub(crate) fn clear_interpreter(&self, who: InterpreterId) {
        let mut st = self.state.lock();
        if st.status == Status::Closed {
            return;
        }
        let mut doomed = Vec::new();
        let mut counts = [0_usize; 3];
        let mut kept = VecDeque::with_capacity(st.items.len());
        let items = std::mem::take(&mut st.items);
        for mut item in items {
            // A waiting sender holds a guard on its interpreter, which
            // therefore cannot be finalizing: its items are never here.
            if item.sender != who || item.waiter || !item.payload.is_value() {
                kept.push_back(item);
                continue;
            }
            st.ledger.unbound += 1;
            st.ledger.queued -= 1;
            let marker = match item.unbound {
                UnboundPolicy::Replace => Payload::Unbound,
                UnboundPolicy::Error => Payload::Destroyed,
                UnboundPolicy::Remove => {
                    counts[2] += 1;
                    if let Payload::Value(value) = item.payload {
                        doomed.push(value);
                    }
                    continue;
                }
            };
            counts[usize::from(item.unbound == UnboundPolicy::Error)] += 1;
            st.ledger.markers_made += 1;
            st.ledger.markers_queued += 1;
            if let Payload::Value(value) = std::mem::replace(&mut item.payload, marker) {
                doomed.push(value);
            }
            kept.push_back(item);
        }
        st.items = kept;
        let had_ends = st.ends.as_mut().is_some_and(|ends| ends.forget(who));
        let closes = st
            .ends
            .as_ref()
            .is_some_and(|e| had_ends && e.ever_associated() && e.open_on(End::Send) == 0 && e.open_on(End::Recv) == 0);
        if closes {
            doomed.extend(st.close_now());
            self.wake_all();
        } else {
            if counts[2] > 0 && st.put_waiting > 0 {
                self.not_full.notify_all();
            }
            if st.status == Status::Closing && st.items.is_empty() {
                st.status = Status::Closed;
                self.wake_all();
            }
        }
        if counts.iter().any(|c| *c > 0) || had_ends {
            trace_event!(
                Some(who.get()),
                "channel.unbound",
                format_args!(
                    "I{} destroyed: {} {}, {} {}, {} {}{}",
                    who.get(),
                    counts[0],
                    UnboundPolicy::Replace.name(),
                    counts[1],
                    UnboundPolicy::Error.name(),
                    counts[2],
                    UnboundPolicy::Remove.name(),
                    if closes { "; no association left: closed" } else { "" }
                ),
                st.describe(self.id)
            );
        }
        st.check_ledger(self.id);
        drop(st);
        drop(doomed);
    }

    // ---------------------------------------------------------------- reads

    pub(crate) fn status(&self) -> Status {
        self.state.lock().status
    }

    pub(crate) fn ledger(&self) -> Ledger {
        self.state.lock().ledger
    }

    pub(crate) fn len(&self) -> usize {
        self.state.lock().items.len()
    }

    pub(crate) fn maxsize(&self) -> usize {
        self.state.lock().maxsize
    }

    pub(crate) fn list_interpreters(&self, end: End) -> Vec<InterpreterId> {
        self.state.lock().ends.as_ref().map_or_else(Vec::new, |ends| ends.list(end))
    }

    /// Whether `who` released `end`.
    pub(crate) fn released_by(&self, who: InterpreterId, end: End) -> bool {
        self.state.lock().ends.as_ref().is_some_and(|ends| ends.released(end, who))
    }
}
