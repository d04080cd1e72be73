//! Naive channels, for the known-bug models only: each is the real
//! protocol's shape (one mutex, condvars, the same trace steps) with one
//! flaw, written against the same facade so that loom and shuttle can find
//! what goes wrong. Interpreters are plain ids here: the flaws are in the
//! channel, not in attaching.
//!
//! The models check the invariants the real scenarios check; where the
//! check needs to know what a sender was told (CH-2), the model writes that
//! down beside the item, which is instrumentation, not protocol.
use std::collections::VecDeque;
use xinterp::sync::time::Deadline;
use xinterp::sync::{thread, Arc, Condvar, Mutex};
use xinterp::trace::custom as record;

const SENDER: Option<u64> = Some(1);
const RECEIVER: Option<u64> = Some(2);

struct Item {
    seq: u64,
    value: u32,
    /// What the sender was told (instrumentation for CH-2).
    sender_told_timeout: bool,
}

#[derive(Default)]
struct State {
    items: VecDeque<Item>,
    /// Items taken by a receiver, for their waiting senders.
    taken: Vec<u64>,
    closed: bool,
}

impl State {
    fn describe(&self) -> String {
        format!("C1 items={}{}", self.items.len(), if self.closed { " closed" } else { "" })
    }
}

#[derive(Default)]
struct Naive {
    state: Mutex<State>,
    /// Receivers wait for items.
    not_empty: Condvar,
    /// Senders wait for their item to be taken.
    taken: Condvar,
}

/// The sender and the receiver's outcomes.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    Timeout,
    Closed,
}

impl Naive {
    /// A blocking send. FLAW (with `withdraw == false`): on timeout the
    /// sender returns `Timeout` and leaves its item queued.
    fn send(&self, value: u32, deadline: &Deadline) -> Outcome {
        let mut st = self.state.lock();
        let seq = 1;
        st.items.push_back(Item { seq, value, sender_told_timeout: false });
        self.not_empty.notify_one();
        record(SENDER, "channel.send", "blocked: item #1 queued, waiting for a receiver", st.describe());
        loop {
            if st.taken.contains(&seq) {
                record(SENDER, "channel.send", "ok: item #1 was received", st.describe());
                return Outcome::Ok;
            }
            if st.closed {
                record(SENDER, "channel.send", "woken by close", st.describe());
                return Outcome::Closed;
            }
            if deadline.has_passed() {
                // FLAW: no withdrawal. The item stays queued; the sender is
                // told Timeout anyway.
                if let Some(item) = st.items.iter_mut().find(|i| i.seq == seq) {
                    item.sender_told_timeout = true;
                }
                record(SENDER, "channel.send", "timed out (item #1 left queued)", st.describe());
                return Outcome::Timeout;
            }
            self.taken.wait_until(&mut st, deadline);
        }
    }

    fn recv(&self, deadline: &Deadline) -> Outcome {
        let mut st = self.state.lock();
        loop {
            if let Some(item) = st.items.pop_front() {
                st.taken.push(item.seq);
                self.taken.notify_all();
                record(RECEIVER, "channel.recv", format_args!("ok: item #{} from I1", item.seq), st.describe());
                if item.sender_told_timeout {
                    panic!(
                        "invariant CH-2 violated: item #{} (value {}) was delivered after its sender was told Timeout",
                        item.seq, item.value
                    );
                }
                return Outcome::Ok;
            }
            if deadline.has_passed() {
                record(RECEIVER, "channel.recv", "timed out", st.describe());
                return Outcome::Timeout;
            }
            self.not_empty.wait_until(&mut st, deadline);
        }
    }

    /// A forced close. FLAW: drops the items without waking the sender that
    /// waits for one of them.
    fn force_close(&self) {
        let mut st = self.state.lock();
        let dropped = st.items.len();
        st.items.clear();
        st.closed = true;
        // FLAW: no `self.taken.notify_all()`.
        record(None, "channel.close", format_args!("ok: forced, {dropped} item(s) dropped"), st.describe());
    }
}

/// A sender with a deadline, a receiver with the same deadline, and main
/// as the timer.
pub fn timeout_vs_recv() {
    let naive = Arc::new(Naive::default());
    let deadline = Deadline::manual();
    let sender = {
        let (naive, deadline) = (Arc::clone(&naive), deadline.clone());
        thread::spawn_named("sender", move || naive.send(7, &deadline))
    };
    let receiver = {
        let (naive, deadline) = (Arc::clone(&naive), deadline.clone());
        thread::spawn_named("receiver", move || naive.recv(&deadline))
    };
    deadline.expire();
    sender.join().unwrap();
    receiver.join().unwrap();
}

/// A sender blocked in `send` while a closer force-closes the channel.
/// The closer has its own thread: shuttle's PCT scheduler rarely preempts
/// the spawning thread right after a spawn, so a close by main would almost
/// always come first.
pub fn force_close_vs_sender() {
    let naive = Arc::new(Naive::default());
    let sender = {
        let naive = Arc::clone(&naive);
        thread::spawn_named("sender", move || naive.send(3, &Deadline::never()))
    };
    let closer = {
        let naive = Arc::clone(&naive);
        thread::spawn_named("closer", move || naive.force_close())
    };
    closer.join().unwrap();
    let told = sender.join().unwrap();
    assert_eq!(told, Outcome::Closed, "invariant CH-3 violated: the sender was not woken by the close");
}

/// Association counts per end.
#[derive(Default)]
struct Ends {
    /// (interpreter, open) per end.
    send: Vec<(u64, bool)>,
    recv: Vec<(u64, bool)>,
    closed: bool,
}

impl Ends {
    fn open(list: &[(u64, bool)]) -> usize {
        list.iter().filter(|(_, open)| *open).count()
    }

    fn describe(&self) -> String {
        let side = |l: &[(u64, bool)]| {
            l.iter().map(|(i, open)| if *open { i.to_string() } else { format!("-{i}") }).collect::<Vec<_>>().join(",")
        };
        format!(
            "C1 send=[{}] recv=[{}]{}",
            side(&self.send),
            side(&self.recv),
            if self.closed { " closed" } else { "" }
        )
    }

    /// Releases `who`'s association with the send end (`send`) or the recv
    /// end. FLAW: decides whether the channel closes from the other end's
    /// count only.
    fn release(&mut self, who: u64, send: bool) {
        let interp = Some(who);
        let end = if send { "send" } else { "recv" };
        if self.closed {
            record(interp, "channel.release", "refused: closed", self.describe());
            panic!("invariant CH-4 violated: interpreter {who} is still associated with the {end} end, but the channel was closed under it");
        }
        let (mine, other) = if send { (&mut self.send, &self.recv) } else { (&mut self.recv, &self.send) };
        if let Some(record) = mine.iter_mut().find(|(i, _)| *i == who) {
            record.1 = false;
        }
        // FLAW: the released end's own count is not looked at.
        let closes = Self::open(other) == 0;
        if closes {
            self.closed = true;
            record(
                interp,
                "channel.release",
                format_args!("ok: {end} end released; the other end has none: closed"),
                self.describe(),
            );
        } else {
            record(interp, "channel.release", format_args!("ok: {end} end released"), self.describe());
        }
    }
}

/// Interpreters 1 and 2 are associated with the send end, 3 with the recv
/// end; each releases on its own thread.
pub fn releases() {
    let ends = Arc::new(Mutex::new(Ends { send: vec![(1, true), (2, true)], recv: vec![(3, true)], closed: false }));
    let threads: Vec<_> = [("release-a1", 1, true), ("release-a2", 2, true), ("release-b", 3, false)]
        .into_iter()
        .map(|(name, who, send)| {
            let ends = Arc::clone(&ends);
            thread::spawn_named(name, move || ends.lock().release(who, send))
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
