//! Channels and queues between interpreters (PEP 554 channels, as CPython's
//! `_interpchannels` implements them, and PEP 734 queues): one core, two
//! faces.
//!
//! # Overview
//!
//! A channel is a FIFO of items with two ends. [`create`] returns a
//! [`RecvChannel`] and a [`SendChannel`]; both are cheap, `Send + Sync`
//! handles that any interpreter may use, pass to a thread, or send through
//! another channel. Using an end *associates* the calling interpreter with
//! it; [`release`](SendChannel::release) drops that association, and the
//! channel closes when no association is left open on either end.
//! [`send`](SendChannel::send) waits until a receiver has taken *that
//! item*, or with [`Nowait`] queues it and returns. A [`Queue`] is the same
//! core with a `maxsize` ([`MaxSize`]), a `put` that returns once the item
//! is queued, and neither association nor close.
//!
//! Each face has one send and one receive: how long it waits is a [`Wait`]
//! (built from [`Nowait`], [`Forever`], a `Duration`, an `Instant` or a
//! [`Deadline`]), and a send's options ([`SendOptions`]) add the item's own
//! unbound policy. See `wait.rs`.
//!
//! Every operation that involves the calling interpreter takes its
//! [`Attached`](crate::Attached) proof: it names the interpreter to
//! associate (and to charge the item to, for the unbound policy), and a
//! blocking operation releases that interpreter's GIL while it waits
//! (`thread_state::detached`), as CPython's channel code does with
//! `Py_BEGIN_ALLOW_THREADS`.
//!
//! Items are any `T: Send + 'static`. Objects cross as
//! [`XiData`](crate::xi::XiData) items: a channel or queue of `XiData` also
//! has CPython's object-level operations (`send_object`, `recv_object`,
//! `put_object`, `get_object`, with the same options: share in the sender, build in the receiver,
//! release in the owner), in `objects.rs`. Ids come from the runtime's registry
//! (`registry.rs`), reached from the attached interpreter's
//! core: unique per [`Runtime`](crate::Runtime), never reused, shared by
//! channels and queues, and tagged with their runtime ([`ChannelId`]).
//!
//! # The state
//!
//! Everything lives under one facade `Mutex` per channel:
//!
//! | field          | meaning                                                              |
//! |----------------|----------------------------------------------------------------------|
//! | `items`        | the FIFO: each item has a number (`#seq`), its sender interpreter, its unbound policy, its payload (a value or a marker) and whether a blocking sender waits for it |
//! | `status`       | [`Status::Open`] → `Closing` (send end closed, draining) → `Closed`; or `Open` → `Closed`. Never back. `Closed` implies `items` is empty |
//! | `ends`         | association records per end (channels only): interpreter, open or released; per end, a hint naming the interpreter last found open there (`assoc.rs`), so a repeated use answers without a scan |
//! | `settled`      | outcomes for blocking senders, by item number: `Received`, or `Returned(item)` by a close |
//! | `*_waiting`    | how many receivers and putters are parked, and how many blocking senders wait for their item, spinning or parked, from `SendBlocked` to their outcome (for traces and to skip needless wake-ups) |
//! | `maxsize`      | 0 for channels and unbounded queues                                  |
//! | `ledger`       | the [`Ledger`]: where every offered payload went (CH-1)              |
//!
//! Beside the lock, one atomic: `changes`, a count that a spinning waiter
//! reads without the lock to know when to look again (see *Spins* below).
//! A spinner marks it *watched* under the lock before it lets the lock go
//! (the `watched` and `published` fields); the next step a waiter may wait
//! for (an enqueue, a take, a release, a close, an unbinding) then stores
//! a new count and clears the mark. A step nobody watches leaves the atomic
//! alone: no cache-line transfer, and no extra scheduling point under a
//! model checker.
//!
//! | condvar     | who waits                          | notified by                                                        |
//! |-------------|------------------------------------|--------------------------------------------------------------------|
//! | `not_empty` | receivers                          | an enqueue (one), a close (all), a release of the receive end (all) |
//! | `settled`   | blocking senders                   | a receive that took a waiting sender's item (all), a close (all)    |
//! | `not_full`  | putters on a full bounded queue    | a receive (one), a close (all)                                     |
//!
//! Traces show the state as
//! `C1 items=1 senders-waiting=1 closing send=[1] recv=[2,-3]` (`-3`:
//! interpreter 3 released that end).
//!
//! | transition                   | by                                  | effect                                                     |
//! |------------------------------|-------------------------------------|------------------------------------------------------------|
//! | enqueue                      | send, put                           | refused (item handed back) if closed, closing, released by the caller, or full; else queued and one receiver woken |
//! | take                         | recv, get                           | pops the head; settles its waiting sender (`Received`) and wakes senders; a marker becomes `Unbound` or `ItemInterpreterDestroyed`; `Closing` and now empty → `Closed` |
//! | withdraw                     | a blocking send past its deadline   | only if its item is not settled: removes it (`Timeout`, item back) |
//! | close (empty, or forced)     | `close_ends`                        | → `Closed`: waiting senders' items `Returned`, others dropped; everyone woken |
//! | close send end, non-empty    | `close_ends(Ends::Send, false)`     | → `Closing`                                                |
//! | release                      | `release`, `release_ends`           | the caller's record on each end named → released; none open on either end → `Closed` as a forced close |
//! | clear interpreter            | interpreter finalization            | its unreceived items follow their unbound policy; its records are removed; if it had one and none is left open → `Closed` |
//!
//! # Spins
//!
//! Parking costs a futex wait and a wake-up, and a receiver also hands its
//! GIL back and forth. So a waiter first spins a bounded while
//! ([`Spin`](crate::sync::spin::Spin): a few microseconds of busy rounds; one round
//! under loom and shuttle, whose look is the checker's scheduling point), its
//! GIL still held (unless its interpreter's
//! [`Config::channel_spin`](crate::Config::channel_spin) is off: then it
//! parks at once, as CPython's waiters do):
//!
//! - a receiver that found the channel open and empty (`RecvEmpty`, waiting)
//!   watches `changes`; when it moves, it takes the lock and calls `take`
//!   again; when the spin runs out, it releases its GIL and parks as before
//!   (`RecvBlocked`);
//! - a blocking sender, its item queued (`SendBlocked`), watches `changes`;
//!   when it moves, it takes the lock and looks for its settlement (and its
//!   deadline) exactly as after a wake-up; when the spin runs out, it
//!   releases its GIL and parks.
//!
//! A spin decides nothing: every decision is the blocking path's, taken
//! under the lock by the same code (`take`, `send_outcome`). A spinner is
//! not counted as parked, so a step may skip the notification it would
//! otherwise send (an enqueue notifies only `recv_waiting` receivers); the
//! spinner loses nothing, because it looks under the lock before it parks,
//! and parks (`Condvar::wait_until`) without releasing the lock in between.
//!
//! # Races considered
//!
//! - *Send timeout vs receive.* Both decide under the lock. A receiver that
//!   pops a waiting sender's item settles it (`Received`) in the same
//!   critical section; the sender, once its deadline passed, looks at the
//!   settlements **before** it withdraws. So either the receiver popped
//!   first (the sender returns `Ok`, even though its deadline passed) or the
//!   sender withdrew first (the item is no longer queued; no receiver can
//!   see it). Never both, never neither (CH-2). The naive version that
//!   returns `Timeout` without withdrawing is `bug_timeout_without_withdrawal`.
//! - *Force-close vs a sender going to sleep.* The sender checks its
//!   settlement and sleeps on `settled` without releasing the lock in
//!   between (`Condvar::wait_until` releases it atomically); a close settles
//!   every waiting sender's item (`Returned`) and notifies `settled` under
//!   the same lock, so the sender either sees the settlement before
//!   sleeping or is asleep when notified (CH-3). Without the notification it
//!   sleeps forever: `bug_force_close_does_not_wake`.
//! - *Close vs receivers.* Every transition to `Closed` empties the queue
//!   and wakes all three condvars; a receiver re-checks the status first.
//! - *Memory.* Every removal (take, withdraw, close, unbind) ends with
//!   `State::shrink`: a buffer above 64 slots and under a quarter full
//!   shrinks to twice its items, so a drained or unbound channel gives its
//!   memory back (`tests/channels_soak.rs`).
//! - *Closing drains.* The transition `Closing` → `Closed` happens in
//!   whichever step empties the queue: a receive, a withdrawal, or an
//!   unbound removal.
//! - *Release vs release.* Both update the records under the lock; exactly
//!   the release that leaves no open association closes the channel (CH-4).
//!   Checking only one end is `bug_release_checks_wrong_end`.
//! - *Interpreter destruction vs a waiting sender.* A sender waits while
//!   attached through a guard, so its interpreter cannot be finalizing: no
//!   waiting sender's item is ever unbound (items with a waiter are skipped,
//!   and `withdraw` asserts it).
//! - *Lost wake-ups between receivers.* Each enqueue wakes one receiver; a
//!   woken receiver always looks at the queue before its deadline, so a
//!   notification is never spent by a receiver that leaves empty-handed
//!   while an item waits.
//! - *GIL and the channel lock.* A blocking step parks only after it has
//!   released the caller's GIL and dropped the channel lock, takes the lock
//!   again detached, and re-takes the GIL after dropping it, so no thread
//!   ever waits for a GIL while holding a channel lock. (Its first look and
//!   its spin hold the GIL and take the lock, as every non-blocking step
//!   does: taking the lock never waits for a GIL.)
//! - *Spin vs close.* A receiver spinning on an empty channel, or a sender
//!   spinning on its queued item, while a close (forced, or by the last
//!   release) empties the queue: the close bumps `changes` and the spinner's
//!   next look under the lock sees `Closed` (the receiver) or its item
//!   `Returned` (the sender), as a parked waiter would after `wake_all`; a
//!   look that misses the bump only spins on and then parks, after looking
//!   under the lock (`channels::spin::recv_vs_close`,
//!   `channels::spin::send_vs_close`).
//! - *Spin vs release.* A release of the spinner's own end needs the
//!   spinner's interpreter's GIL, which the spinner holds: it lands before
//!   the spinner's first look or while it is parked, and the parked path
//!   handles it as before (`channels::spin::recv_vs_release`,
//!   `channels::spin::send_vs_release`). Releases by other interpreters
//!   reach the spinner only through a close (above).
//! - *Spin vs destroy.* The destruction of an item's sender turns it into a
//!   marker under the lock and bumps `changes`: a spinning receiver takes
//!   the item or the marker, once (`channels::spin::recv_vs_destroy`). A
//!   blocking sender's own interpreter cannot be destroyed while it waits
//!   (it is attached, then guarded).
//! - *Association hint vs release and destroy.* The hint is kept under the
//!   lock and cleared by every release and forget of its end, the only
//!   steps that close or remove a record, so it never names a released
//!   association (`channels::spin::recv_vs_release`: a hint left after the
//!   release lets the receiver wait forever, a deadlock the checkers
//!   report; mutation `channel-assoc-hint-survives-release`).
//! - *Payload drops.* Payloads leave the lock before they are dropped (a
//!   payload may be an end of another channel, whose drop takes the
//!   registry lock). Those of `clear_interpreter` are dropped by the
//!   finalizer, attached to the dying interpreter, before its heap is torn
//!   down (finalization step 5): an `XiData` that interpreter owns is
//!   released directly in a live heap (`objects.rs`).
//!
//! # Orderings
//!
//! The channel state is only touched under its facade `Mutex`; the lock's
//! acquire/release pairs order every step after the previous one, and the
//! `Condvar`s are only waited on under it. `changes` is `Relaxed`
//! throughout: it is only written under the lock (a store of the count the
//! lock keeps), and a spinner uses what it reads (a no-op read-modify-write, which reads the
//! latest count: see `Chan::spin_for_change`) only to decide when to take
//! the lock and look; the lock orders what it then sees. The other atomic of this module is
//! a channel's handle count (`registry.rs`), which is `Relaxed` throughout:
//! it only decides whether to look at the registry, whose lock orders the
//! decision. `Deadline::manual`'s flag is `Release`/`Acquire` in the
//! facade (`sync/time.rs`).
//!
//! Page: `docs/channels.md`. Scenarios: `models/channels/`. Invariants:
//! CH-1 to CH-7 in `docs/invariants.md`. Reference model: `xinterp_check::spec::channel`.
//!
//! SPIN spec: `proofs/channel.pml`, whose inlines and labels are named after
//! the functions of `core.rs`; its header and `docs/proofs.md` map the
//! names and list the proofs (`cargo xtask proofs --filter channel`).
mod assoc;
mod core;
mod end;
mod ends;
mod errors;
mod id;
mod ledger;
mod objects;
mod queue;
pub(crate) mod registry;
mod unbound;
mod wait;

/// The deadline a [`Wait`] can wait until (models use [`Deadline::manual`]).
pub use crate::sync::time::Deadline;
pub use end::End;
pub use ends::{create, list_all, Ends, RecvChannel, SendChannel};
pub use errors::{CloseError, ClosedError, LookupError, RecvError, ReleaseError, SendError};
pub use id::{ChannelId, InvalidId};
pub use ledger::{Ledger, Unbalanced};
pub use objects::{RecvObjectError, SendObjectError};
pub use queue::{MaxSize, Queue};
pub use unbound::{Received, UnboundPolicy};
pub use wait::{Forever, Nowait, SendOptions, Wait};

/// Where a channel is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Sends and receives work.
    Open,
    /// The send end was closed while items were queued: new sends fail,
    /// receivers drain the queue, and it closes once empty.
    Closing,
    /// Closed for every interpreter; nothing is queued.
    Closed,
}
