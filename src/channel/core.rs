//! The one implementation both faces share: a FIFO of items under one
//! facade `Mutex`, three `Condvar`s, association records and the ledger.
//! See the [module essay](super) for the state table, the races and the
//! orderings. SPIN spec: `proofs/channel.pml`, whose inlines are named
//! after the functions here (`Chan::take` is `chan_take`, `State::close_now`
//! is `state_close_now`; the table is in its header).
use super::assoc::Associations;
use super::end::End;
use super::errors::{CloseError, RecvError, ReleaseError, SendError};
use super::ledger::Ledger;
use super::unbound::{Payload, Received, UnboundPolicy};
use super::{ChannelId, Status};
use crate::interp::InterpreterId;
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::spin::Spin;
use crate::sync::time::Deadline;
use crate::sync::{Condvar, Mutex, MutexGuard};
use crate::thread_state;
use crate::trace::event::{ChannelEvent, ChannelOp, ChannelState, CloseOutcome, Receipt, SendRefusal};
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

/// How long a send may wait, and for what.
pub(crate) enum SendWait<'d> {
    /// Not at all: enqueue or refuse.
    No,
    /// For space in a bounded queue, until the deadline (then `Full`).
    ForSpace(&'d Deadline),
    /// For a receiver to take *this* item, until the deadline (then the
    /// item is withdrawn: `Timeout`), spinning first as the sender's
    /// interpreter is configured to.
    ForReceipt(&'d Deadline, Spin),
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

/// The buffer capacity (in items) under which it is never shrunk.
const SHRINK_FLOOR: usize = 64;

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
    /// The count last stored in `Chan::changes`.
    published: usize,
    /// A waiter spun (or spins) watching `published` since it was last
    /// stored: the next change must publish a new count.
    watched: bool,
}

/// A channel or queue.
pub(crate) struct Chan<T> {
    pub(crate) id: ChannelId,
    pub(crate) face: Face,
    /// A queue's `maxsize` as given at creation (CPython keeps it as given:
    /// `-10` stays `-10`); the bound in force is `State::maxsize`.
    given_maxsize: isize,
    state: Mutex<State<T>>,
    /// Receivers wait here for an item or a close.
    not_empty: Condvar,
    /// Blocking senders wait here for their item to be settled.
    settled: Condvar,
    /// Putters wait here for space in a bounded queue, or a close.
    not_full: Condvar,
    /// Stored under the lock by the first step a spinning waiter may wait
    /// for (an enqueue, a take, a release, a close, an unbinding) after a
    /// spinner began to watch it; read without the lock by spinners, as a
    /// hint of when to look again. See [`Chan::changed`] and
    /// [`Chan::spin_for_change`].
    changes: AtomicUsize,
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
    /// The state a trace records after a step, read from the fields under
    /// the lock.
    fn snapshot(&self) -> ChannelState {
        ChannelState {
            items: self.items.len(),
            senders_waiting: self.send_waiting,
            receivers_waiting: self.recv_waiting,
            putters_waiting: self.put_waiting,
            status: self.status,
            ends: self.ends.as_ref().map(Associations::snapshot),
        }
    }

    fn full(&self) -> bool {
        self.maxsize > 0 && self.items.len() >= self.maxsize
    }

    /// Gives back the buffer's memory once it is mostly empty (a drain, a
    /// mass unbind, a close): below a quarter full, a buffer larger than
    /// [`SHRINK_FLOOR`] shrinks to twice its items. So its capacity stays
    /// below `max(4 × items, SHRINK_FLOOR)` after every removal, and the
    /// cost is amortized O(1): a shrink to `2n` is followed by at least
    /// `n / 2` removals before the next one.
    fn shrink(&mut self) {
        let capacity = self.items.capacity();
        if capacity > SHRINK_FLOOR && self.items.len() < capacity / 4 {
            self.items.shrink_to((self.items.len() * 2).max(SHRINK_FLOOR));
        }
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
    /// passed before a receiver took it): the removed entry's number and
    /// payload.
    fn withdraw(&mut self, seq: u64) -> Option<(u64, T)> {
        let pos = self.items.iter().position(|i| i.seq == seq)?;
        let item = self.items.remove(pos)?;
        self.shrink();
        match item.payload {
            Payload::Value(value) => {
                self.ledger.withdrawn += 1;
                self.ledger.queued -= 1;
                Some((item.seq, value))
            }
            // A waiting sender's item is never unbound: its interpreter is
            // guarded while the sender waits.
            _ => panic!("invariant CH-1 violated: item #{} of a waiting sender lost its payload", item.seq),
        }
    }

    /// Closes now: every queued item is settled (a waiting sender gets its
    /// item back), dropped, or (a marker) discarded. Returns the payloads to
    /// drop after unlocking, and how many entries left the queue.
    fn close_now(&mut self) -> (Doomed<T>, usize) {
        self.status = Status::Closed;
        let mut doomed = Vec::new();
        let mut removed = 0;
        for item in self.items.drain(..) {
            removed += 1;
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
        self.shrink();
        (doomed, removed)
    }
}

impl<T> Chan<T> {
    /// A new channel, and its state as its creation's trace event records
    /// it (read from the fresh fields, before anyone else can see them).
    pub(crate) fn new(
        id: ChannelId,
        face: Face,
        (maxsize, given_maxsize): (usize, isize),
        unbound: UnboundPolicy,
    ) -> (Self, ChannelState) {
        let state = State {
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
            published: 0,
            watched: false,
        };
        let created = state.snapshot();
        let chan = Self {
            id,
            face,
            given_maxsize,
            state: Mutex::new(state),
            not_empty: Condvar::new(),
            settled: Condvar::new(),
            not_full: Condvar::new(),
            changes: AtomicUsize::new(0),
            handles: AtomicUsize::new(0),
        };
        (chan, created)
    }

    /// A step of this channel by `who`, with the state `st` holds now (the
    /// caller holds the lock: the state is the one the step left).
    fn event(&self, st: &State<T>, who: Option<u64>, op: ChannelOp) -> ChannelEvent {
        ChannelEvent { channel: self.id.get(), queue: self.face == Face::Queue, who, op, state: st.snapshot() }
    }

    /// Tells spinning waiters the state changed, if any spun since the
    /// last time: under the lock, which keeps both the count last published
    /// and whether a waiter watches it (`State::published`,
    /// `State::watched`). So a step that no spinner watches does not touch
    /// the atomic at all (no cache-line transfer in production, no
    /// scheduling point under a model checker), and one that is watched
    /// costs one store. `Relaxed`: the value is a hint of when to take the
    /// lock and look; the lock orders what the spinner then sees.
    fn changed(&self, st: &mut State<T>) {
        if st.watched {
            st.watched = false;
            st.published = st.published.wrapping_add(1);
            self.changes.store(st.published, Ordering::Relaxed);
        }
    }

    /// Spins (bounded, without the lock) until a step changed the state;
    /// the lock again if one did within the spin, `None` (the lock
    /// released) once the spin ran out, or at once when it has no budget.
    /// Either way the caller decides under the lock: this only saves
    /// parking when the change comes within the spin.
    ///
    /// Before it lets the lock go, the spinner marks the count as watched
    /// (`State::watched`), so the next step publishes a new count, and
    /// remembers the count published so far: any step after this one
    /// makes the two differ.
    ///
    /// Each look is a read-modify-write that adds nothing, not a load: an
    /// RMW reads the latest value in the count's modification order, where
    /// a `Relaxed` load may legally return an older one (and loom explores
    /// only such loads: with a plain load it never let the spinner see a
    /// change, so the take in the spin went unchecked). A handful of looks
    /// per spin, spaced by the spin's rounds, so the cache line is taken
    /// from the writer rarely. `Relaxed` (see [`Chan::changed`]): what the
    /// spinner then reads is ordered by the lock it takes.
    fn spin_for_change<'c>(
        &'c self,
        mut st: MutexGuard<'c, State<T>>,
        spin: &mut Spin,
    ) -> Option<MutexGuard<'c, State<T>>> {
        if spin.is_spent() {
            return None;
        }
        st.watched = true;
        let seen = st.published;
        drop(st);
        while spin.round() {
            if self.changes.fetch_add(0, Ordering::Relaxed) != seen {
                return Some(self.state.lock());
            }
        }
        None
    }

    /// Wakes everyone who waits on the channel (it closed).
    fn wake_all(&self, st: &mut State<T>) {
        self.changed(st);
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
            SendWait::ForReceipt(deadline, spin) => self.send_and_wait(who, item, unbound, deadline, spin),
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
            Status::Closed => Some(SendRefusal::Closed),
            Status::Closing => Some(SendRefusal::Closing),
            Status::Open => match st.ends.as_mut().map(|ends| ends.associate(End::Send, who)) {
                Some(Err(_)) => Some(SendRefusal::Released),
                _ if st.full() => Some(SendRefusal::Full),
                _ => None,
            },
        };
        if let Some(refusal) = refusal {
            st.ledger.refused += 1;
            trace_event!(self.event(st, Some(who.get()), ChannelOp::SendRefused(refusal)));
            st.check_ledger(self.id);
            return Err(match refusal {
                SendRefusal::Full => SendError::Full(item),
                SendRefusal::Closed | SendRefusal::Closing | SendRefusal::Released => SendError::Closed(item),
            });
        }
        let seq = st.next_seq;
        st.next_seq += 1;
        let own_policy = unbound;
        let unbound = unbound.unwrap_or(st.unbound);
        st.items.push_back(Item { seq, sender: who, unbound, payload: Payload::Value(item), waiter });
        st.ledger.queued += 1;
        self.changed(st);
        if st.recv_waiting > 0 {
            self.not_empty.notify_one();
        }
        if !waiter {
            // An item's own unbound policy is recorded: the trace validator
            // needs it to know what the item becomes if its sender is
            // destroyed.
            trace_event!(self.event(st, Some(who.get()), ChannelOp::Sent { seq, policy: own_policy }));
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
                trace_event!(self.event(&st, Some(who.get()), ChannelOp::PutBlocked));
            }
            st.put_waiting += 1;
            self.not_full.wait_until(&mut st, deadline);
            st.put_waiting -= 1;
        }
    }

    /// A blocking channel send: queue the item, then wait until a receiver
    /// took it (Ok), the channel closed (Closed, item back), or the deadline
    /// passed (withdrawn: Timeout, item back). It spins first, the GIL still
    /// held: a receiver that takes the item within the spin settles it with
    /// no wake-up and no GIL hand-off. Then it parks, detached.
    fn send_and_wait(
        &self,
        who: InterpreterId,
        item: T,
        unbound: Option<UnboundPolicy>,
        deadline: &Deadline,
        mut spin: Spin,
    ) -> Result<(), SendError<T>> {
        if spin.is_spent() {
            // The sender's interpreter parks at once (`Config::channel_spin`
            // off): the whole step runs detached, as CPython's does, with
            // one visit to the lock before the first wait.
            return thread_state::detached(|| {
                let mut st = self.state.lock();
                let seq = self.queue_waited_for(&mut st, who, item, unbound)?;
                self.park_for_outcome(st, who, seq, deadline)
            });
        }
        let mut st = self.state.lock();
        let seq = self.queue_waited_for(&mut st, who, item, unbound)?;
        loop {
            if let Some(outcome) = self.send_outcome(&mut st, who, seq, deadline) {
                return outcome;
            }
            match self.spin_for_change(st, &mut spin) {
                Some(locked) => st = locked,
                None => break,
            }
        }
        // Nothing yet: park with the caller's GIL released.
        thread_state::detached(|| self.park_for_outcome(self.state.lock(), who, seq, deadline))
    }

    /// Queues a blocking sender's item, which it then waits for: its number.
    fn queue_waited_for(
        &self,
        st: &mut State<T>,
        who: InterpreterId,
        item: T,
        unbound: Option<UnboundPolicy>,
    ) -> Result<u64, SendError<T>> {
        let seq = self.enqueue(st, who, item, unbound, true)?;
        trace_event!(self.event(st, Some(who.get()), ChannelOp::SendBlocked { seq }));
        // Counted from here to its outcome, spinning or parked: what traces
        // show as `senders-waiting`.
        st.send_waiting += 1;
        Ok(seq)
    }

    /// A blocking sender's parked wait for the outcome of item `seq`.
    fn park_for_outcome(
        &self,
        mut st: MutexGuard<'_, State<T>>,
        who: InterpreterId,
        seq: u64,
        deadline: &Deadline,
    ) -> Result<(), SendError<T>> {
        loop {
            if let Some(outcome) = self.send_outcome(&mut st, who, seq, deadline) {
                return outcome;
            }
            self.settled.wait_until(&mut st, deadline);
        }
    }

    /// What a blocking send of item `seq` returns, if it is decided: its
    /// settlement, or (its deadline passed first) its withdrawal.
    fn send_outcome(
        &self,
        st: &mut State<T>,
        who: InterpreterId,
        seq: u64,
        deadline: &Deadline,
    ) -> Option<Result<(), SendError<T>>> {
        // Settled first: an item taken before the deadline was delivered,
        // whatever the clock says now.
        if let Some(i) = st.settled.iter().position(|(s, _)| *s == seq) {
            st.send_waiting -= 1;
            let (settled, settlement) = st.settled.swap_remove(i);
            return Some(match settlement {
                Settlement::Received => {
                    trace_event!(self.event(st, Some(who.get()), ChannelOp::SendDelivered { seq: settled }));
                    Ok(())
                }
                Settlement::Returned(value) => {
                    trace_event!(self.event(st, Some(who.get()), ChannelOp::SendReturned { seq: settled }));
                    Err(SendError::Closed(value))
                }
            });
        }
        if !deadline.has_passed() {
            return None;
        }
        st.send_waiting -= 1;
        let Some((withdrawn, value)) = st.withdraw(seq) else {
            panic!("invariant CH-2 violated: item #{seq} is neither queued nor settled")
        };
        self.after_removal(st);
        trace_event!(self.event(st, Some(who.get()), ChannelOp::SendWithdrawn { seq: withdrawn }));
        st.check_ledger(self.id);
        Some(Err(SendError::Timeout(value)))
    }

    /// After an item left the queue: wake a putter, finish a closing.
    fn after_removal(&self, st: &mut State<T>) {
        if st.put_waiting > 0 {
            self.not_full.notify_one();
        }
        if st.status == Status::Closing && st.items.is_empty() {
            st.status = Status::Closed;
            self.wake_all(st);
            trace_event!(self.event(st, traced_caller(), ChannelOp::Drained));
        }
    }

    // ---------------------------------------------------------------- recv

    /// Receives (gets) the next item for interpreter `who`; `wait` is `None`
    /// for a non-blocking receive; `spin` is how long a wait spins first.
    pub(crate) fn recv(
        &self,
        who: InterpreterId,
        wait: Option<&Deadline>,
        mut spin: Spin,
    ) -> Result<Received<T>, RecvError> {
        let mut st = self.state.lock();
        if let Some(result) = self.take(&mut st, who) {
            return result;
        }
        let Some(deadline) = wait else {
            trace_event!(self.event(&st, Some(who.get()), ChannelOp::RecvEmpty { waiting: false }));
            return Err(RecvError::Empty);
        };
        // Recorded because this look changed the state (it associated the
        // receiver with the recv end): the trace validator must see it.
        trace_event!(self.event(&st, Some(who.get()), ChannelOp::RecvEmpty { waiting: true }));
        // Spin first, the GIL still held: an item (or a close) that comes
        // within the spin is taken without releasing the GIL or parking.
        loop {
            match self.spin_for_change(st, &mut spin) {
                Some(locked) => st = locked,
                None => break,
            }
            if let Some(result) = self.take(&mut st, who) {
                return result;
            }
        }
        // Nothing yet: wait with the caller's GIL released.
        thread_state::detached(|| {
            let mut st = self.state.lock();
            let mut blocked = false;
            loop {
                if let Some(result) = self.take(&mut st, who) {
                    return result;
                }
                if deadline.has_passed() {
                    trace_event!(self.event(&st, Some(who.get()), ChannelOp::RecvTimedOut));
                    return Err(RecvError::Timeout);
                }
                if !blocked {
                    blocked = true;
                    trace_event!(self.event(&st, Some(who.get()), ChannelOp::RecvBlocked));
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
            trace_event!(self.event(st, Some(who.get()), ChannelOp::RecvClosed));
            return Some(Err(RecvError::Closed));
        }
        if let Some(ends) = st.ends.as_mut() {
            if ends.associate(End::Recv, who).is_err() {
                trace_event!(self.event(st, Some(who.get()), ChannelOp::RecvReleased));
                return Some(Err(RecvError::Closed));
            }
        }
        let item = st.items.pop_front()?;
        self.changed(st);
        st.shrink();
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
        trace_event!({
            let receipt = match &result {
                Ok(Received::Item(_)) => Receipt::Item,
                Ok(Received::Unbound(_)) => Receipt::Unbound,
                Err(_) => Receipt::Destroyed,
            };
            self.event(st, Some(who.get()), ChannelOp::Received { seq, sender: sender.get(), receipt })
        });
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
            Status::Closed => Err((CloseError::Closed, CloseOutcome::RefusedClosed)),
            Status::Closing if send_only && !force => Err((CloseError::Closed, CloseOutcome::RefusedClosing)),
            _ if st.items.is_empty() || force => Ok(()),
            _ if send_only => {
                st.status = Status::Closing;
                self.changed(&mut st);
                trace_event!(self.event(&st, who, ChannelOp::Close(CloseOutcome::Closing)));
                return Ok(());
            }
            _ => Err((CloseError::NotEmpty, CloseOutcome::RefusedNotEmpty)),
        };
        match result {
            Err((error, why)) => {
                trace_event!(self.event(&st, who, ChannelOp::Close(why)));
                Err(error)
            }
            Ok(()) => {
                let (doomed, removed) = st.close_now();
                self.wake_all(&mut st);
                trace_event!({
                    let outcome = match removed {
                        0 => CloseOutcome::Empty,
                        items => CloseOutcome::Forced { items, woken: st.send_waiting },
                    };
                    self.event(&st, who, ChannelOp::Close(outcome))
                });
                st.check_ledger(self.id);
                drop(st);
                drop(doomed);
                Ok(())
            }
        }
    }

    /// Releases `who`'s association with each of `ends` (one or both, in
    /// one step); the channel closes when no association remains open on
    /// either end. Refused if closed, or if `who` already released every
    /// end named.
    pub(crate) fn release(&self, who: InterpreterId, ends_named: &[End]) -> Result<(), ReleaseError> {
        let mut st = self.state.lock();
        if st.status == Status::Closed {
            trace_event!(self.event(&st, Some(who.get()), ChannelOp::ReleaseRefusedClosed));
            return Err(ReleaseError::Closed);
        }
        let Some(ends) = st.ends.as_mut() else {
            return Err(ReleaseError::Closed);
        };
        let released = ends_named.iter().filter(|end| ends.release(**end, who).is_ok()).count();
        let Some(&end) = ends_named.last() else {
            return Err(ReleaseError::Closed);
        };
        if released == 0 {
            trace_event!(self.event(&st, Some(who.get()), ChannelOp::ReleaseRefusedAgain { end }));
            return Err(ReleaseError::Closed);
        }
        let closes = ends.open_on(end) == 0 && ends.open_on(end.other()) == 0 && ends.ever_associated();
        let op = |closed| match ends_named {
            [_, _] => ChannelOp::ReleasedBoth { closed },
            _ => ChannelOp::Released { end, closed },
        };
        let doomed = if closes {
            let (doomed, _) = st.close_now();
            self.wake_all(&mut st);
            trace_event!(self.event(&st, Some(who.get()), op(true)));
            doomed
        } else {
            // A receiver of this interpreter blocked in `recv` must see it.
            self.changed(&mut st);
            if ends_named.contains(&End::Recv) && st.recv_waiting > 0 {
                self.not_empty.notify_all();
            }
            trace_event!(self.event(&st, Some(who.get()), op(false)));
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
        self.changed(&mut st);
        st.shrink();
        let had_ends = st.ends.as_mut().is_some_and(|ends| ends.forget(who));
        // As CPython, whose destroyed interpreter's records stay, closed: a
        // channel whose last open association was the destroyed
        // interpreter's closes (its queued items and markers are dropped).
        let closes =
            st.ends.as_ref().is_some_and(|e| had_ends && e.open_on(End::Send) == 0 && e.open_on(End::Recv) == 0);
        if closes {
            doomed.extend(st.close_now().0);
            self.wake_all(&mut st);
        } else {
            if counts[2] > 0 && st.put_waiting > 0 {
                self.not_full.notify_all();
            }
            if st.status == Status::Closing && st.items.is_empty() {
                st.status = Status::Closed;
                self.wake_all(&mut st);
            }
        }
        if counts.iter().any(|c| *c > 0) || had_ends {
            trace_event!(self.event(
                &st,
                Some(who.get()),
                ChannelOp::Unbound {
                    destroyed: who.get(),
                    replaced: counts[0],
                    errored: counts[1],
                    removed: counts[2],
                    closed: closes,
                }
            ));
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

    /// The bound in force (0: unbounded) and the value given at creation.
    pub(crate) fn maxsize(&self) -> (usize, isize) {
        (self.state.lock().maxsize, self.given_maxsize)
    }

    /// The unbound policy of items sent without their own.
    pub(crate) fn unbound_policy(&self) -> UnboundPolicy {
        self.state.lock().unbound
    }

    /// The buffer's capacity, in items (what the shrinking bounds).
    pub(crate) fn capacity(&self) -> usize {
        self.state.lock().items.capacity()
    }

    /// The interpreters associated with `end`; `None` when CPython refuses
    /// to list them: the channel is closed, or `end` is the send end of a
    /// closing channel.
    pub(crate) fn list_interpreters(&self, end: End) -> Option<Vec<InterpreterId>> {
        let st = self.state.lock();
        match st.status {
            Status::Closed => None,
            Status::Closing if end == End::Send => None,
            _ => Some(st.ends.as_ref().map_or_else(Vec::new, |ends| ends.list(end))),
        }
    }

    /// Whether `who` released `end`.
    pub(crate) fn released_by(&self, who: InterpreterId, end: End) -> bool {
        self.state.lock().ends.as_ref().is_some_and(|ends| ends.released(end, who))
    }
}
