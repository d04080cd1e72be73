//! From recorded events to model steps: each protocol event (op, outcome,
//! state) becomes a [`Step`] with what it observed, or `None` for an op no
//! model covers (a witness, a violation, a scenario's own record, a naive
//! known-bug model's own step). Channel and queue events are typed
//! ([`ChannelEvent`]) and replayed as recorded (`channel.rs`);
//! cross-interpreter data events are read in `xi.rs`.
//!
//! The strings parsed here are the ones the protocols record
//! (`grep -rn 'trace_event!' src/`). A covered op with an outcome or state
//! this parser does not know is an error, not a skip: the protocol changed
//! and its model must follow.
use super::channel;
use super::xi::{self, XiStep};
use crate::spec::lifecycle::{EnsureCase, ThreadKey};
use crate::trace::event::ChannelEvent;
use crate::trace::{Custom, Event, EventKind};
use crate::{GilMode, GuardPolicy, Phase, ThreadKind};

/// A lifecycle word as an event recorded it; absent fields are not checked
/// (the naive known-bug models record only some of them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WordSeen {
    /// `phase=`.
    pub phase: Option<Phase>,
    /// `guards=`.
    pub guards: Option<usize>,
    /// `finalize-requested` (only shown while running).
    pub requested: bool,
    /// `draining` (drain policy, at the guard wait).
    pub draining: bool,
    /// `finalizer-waiting`.
    pub waiting: bool,
}

/// A GIL's state as an event recorded it: `gil(I0)=held waiters=1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GilSeen {
    /// Whose GIL.
    pub owner: u64,
    /// Held after the step.
    pub held: bool,
    /// Threads waiting after the step.
    pub waiters: usize,
}

/// One protocol step, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// `guard.acquire -> ok`.
    GuardGranted(WordSeen),
    /// `guard.acquire -> refused: ...`: counted for an instant, then undone
    /// (two actions); the word is the one after the undo.
    GuardRefused(WordSeen),
    /// `guard.release -> ok`.
    GuardReleased(WordSeen),
    /// `finalize.request -> ok`.
    FinalizeRequested(WordSeen),
    /// `finalize.request -> refused: the calling thread is attached`.
    FinalizeRefusedAttached,
    /// `finalize.request -> refused: ... already finalizing ...`.
    FinalizeRefusedAlready(WordSeen),
    /// `finalize.threads -> no non-daemon thread runs`.
    ThreadsWaited {
        /// `daemon=N`: daemon threads still running.
        daemons: Option<usize>,
    },
    /// `finalize.threads -> timed out: N running`.
    ThreadsTimedOut {
        /// Non-daemon threads still running.
        running: usize,
        /// The word after the abandon.
        word: WordSeen,
    },
    /// `finalize.atexit -> ran N callback(s)`.
    AtExitRan,
    /// `finalize.drain -> ok` (drain policy, step 3).
    FinalizeDrains(WordSeen),
    /// `finalize.wait -> blocked until no guard is held`.
    FinalizerWaits(WordSeen),
    /// `finalize.wait -> timed out: N guard(s) held`.
    GuardWaitTimedOut {
        /// Guards counted at the deadline.
        guards: usize,
        /// The word after the abandon.
        word: WordSeen,
    },
    /// `finalize.begin -> ok`.
    FinalizeBegan(WordSeen),
    /// `finalize.subinterpreters -> finalized N`.
    SubinterpretersFinalized,
    /// `finalize.teardown`.
    TornDown,
    /// `finalize.done -> ok`.
    FinalizeDone(WordSeen),
    /// `interp.create -> ok: Own GIL, CPython policy`.
    Created {
        /// Own or shared GIL.
        gil: GilMode,
        /// The policy, when recorded.
        policy: Option<GuardPolicy>,
        /// The initial word.
        word: WordSeen,
    },
    /// `interp.list`, with the ids listed.
    Listed(Vec<u64>),
    /// `interp.run -> started`.
    RunStarted,
    /// `interp.run -> refused: already running`.
    RunRefused {
        /// The claim it met was a destroy's (`destroying`), not a run's.
        destroying: bool,
    },
    /// `interp.run -> finished | failed`.
    RunEnded,
    /// `interp.destroy -> refused: running`.
    DestroyRefusedRunning,
    /// `interp.destroy -> ok | failed`.
    DestroyEnded {
        /// It succeeded.
        ok: bool,
    },
    /// `thread.spawn -> ok: Kind`.
    ThreadSpawned {
        /// Daemon or not.
        kind: ThreadKind,
        /// `non-daemon=N`.
        non_daemon: usize,
        /// `daemon=N`.
        daemon: usize,
    },
    /// `thread.spawn -> refused: finalizing`.
    SpawnRefused,
    /// `thread.start -> Kind`: the new thread's own thread state is set.
    ThreadStarted,
    /// `thread.exit -> Kind`, with the counts after it.
    ThreadExited {
        /// Daemon or not.
        kind: ThreadKind,
        /// `non-daemon=N`.
        non_daemon: usize,
        /// `daemon=N`.
        daemon: usize,
    },
    /// `thread.attach -> refused: ...` (follows the thread's refused guard).
    AttachRefused,
    /// `gil.acquire -> blocked: held`.
    GilBlocked(GilSeen),
    /// `gil.acquire -> ok`.
    GilAcquired(GilSeen),
    /// `gil.release -> ok`.
    GilReleased(GilSeen),
    /// `threadstate.ensure`.
    Ensured {
        /// Which of PEP 788's cases.
        case: EnsureCase,
        /// `count=N` afterwards.
        count: usize,
    },
    /// `threadstate.release`.
    Released {
        /// The thread state was deleted.
        deleted: bool,
        /// `count=N` afterwards.
        count: usize,
    },
    /// `threadstate.detach -> allow_threads`.
    AllowThreadsDetach,
    /// `threadstate.attach -> allow_threads ended`.
    AllowThreadsAttach,
    /// A channel or queue step (`channel.*`, `queue.*`).
    Channel(Box<ChannelEvent>),
    /// A cross-interpreter data step (`heap.*`, `refcount.*`, `xi.*`,
    /// `xiview.*`, `pending.*`).
    Xi(Box<XiStep>),
}

impl Step {
    /// How many atomic actions the step is: a refused guard is counted, and
    /// later uncounted, at two different instants; a run of pending calls
    /// takes the ring before its first call.
    pub fn actions(&self) -> u8 {
        match self {
            Self::GuardRefused(_) => 2,
            Self::Xi(x) => x.actions(),
            _ => 1,
        }
    }

    /// Whether action `action` may take effect before events recorded
    /// ahead of it (so the search may move it earlier). Lifecycle steps
    /// may: an atomic or a lock's change is recorded just after it. Channel
    /// steps may not: they are recorded under the channel's lock, in effect
    /// order; except a channel's creation, recorded just after the registry
    /// lists it (another thread may find it by id and use it first). Xi
    /// steps: see `xi.rs`.
    pub fn movable(&self, action: u8) -> bool {
        match self {
            Self::Channel(c) => channel::is_creation(c),
            Self::Xi(x) => x.movable(action),
            _ => true,
        }
    }

    /// Which model the step changes: steps of different models touch
    /// disjoint state (an xi step reads only its own thread's GIL, and the
    /// finalization its own thread runs), so they commute, and the search
    /// only moves a step ahead of a step of the same model.
    pub fn domain(&self) -> Domain {
        match self {
            Self::Channel(_) => Domain::Channels,
            Self::Xi(_) => Domain::Xi,
            _ => Domain::Lifecycle,
        }
    }
}

/// The model a step belongs to (see [`Step::domain`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// Interpreters, guards, GILs, thread states.
    Lifecycle,
    /// Channels and queues.
    Channels,
    /// Heaps, rings, views.
    Xi,
}

/// An event ready for replay.
#[derive(Clone, Debug)]
pub struct Parsed {
    /// The thread, interned.
    pub thread: ThreadKey,
    /// The interpreter acted on.
    pub interp: Option<u64>,
    /// The step, or `None` when no model covers the op.
    pub step: Option<Step>,
}

/// Whether some model covers `op` (its events are checked, not skipped).
pub fn covered(op: &str) -> bool {
    channel::covers(op) || xi::covers(op) || lifecycle_covers(op)
}

fn lifecycle_covers(op: &str) -> bool {
    matches!(
        op,
        "guard.acquire"
            | "guard.release"
            | "finalize.request"
            | "finalize.threads"
            | "finalize.atexit"
            | "finalize.drain"
            | "finalize.wait"
            | "finalize.begin"
            | "finalize.subinterpreters"
            | "finalize.teardown"
            | "finalize.done"
            | "interp.create"
            | "interp.list"
            | "interp.run"
            | "interp.destroy"
            | "thread.spawn"
            | "thread.attach"
            | "thread.start"
            | "thread.exit"
            | "gil.acquire"
            | "gil.release"
            | "threadstate.ensure"
            | "threadstate.release"
            | "threadstate.detach"
            | "threadstate.attach"
    )
}

/// The step a covered event records, or why it cannot be read.
pub fn step(event: &Event) -> Result<Option<Step>, String> {
    match &event.kind {
        EventKind::Custom(c) => legacy(c),
        EventKind::Guard(e) => match *e {},
        EventKind::Finalize(e) => match *e {},
        EventKind::Interp(e) => match *e {},
        EventKind::Gil(e) => match *e {},
        EventKind::ThreadState(e) => match *e {},
        EventKind::Channel(e) => Ok(Some(Step::Channel(Box::new(e.clone())))),
        EventKind::Xi(e) => match *e {},
        EventKind::Observation(_) | EventKind::Witness(_) | EventKind::Violation(_) => Ok(None),
    }
}

/// A step still recorded as text (being replaced by typed events).
fn legacy(event: &Custom) -> Result<Option<Step>, String> {
    let outcome = event.outcome.as_str();
    let state = event.state.as_str();
    let unknown = || format!("outcome `{outcome}` of `{}` is not one the lifecycle model knows", event.op);
    if xi::covers(&event.op) {
        return Ok(Some(Step::Xi(Box::new(xi::parse(&event.op, event.interp, outcome, state)?))));
    }
    let step = match &*event.op {
        "guard.acquire" if outcome == "ok" => Step::GuardGranted(word(state)?),
        "guard.acquire" if outcome.starts_with("refused:") => Step::GuardRefused(word(state)?),
        "guard.release" if outcome == "ok" => Step::GuardReleased(word(state)?),
        "finalize.request" if outcome == "ok" => Step::FinalizeRequested(word(state)?),
        "finalize.request" if outcome.contains("calling thread is attached") => Step::FinalizeRefusedAttached,
        "finalize.request" if outcome.contains("already finalizing") => Step::FinalizeRefusedAlready(word(state)?),
        "finalize.threads" if outcome.starts_with("no non-daemon") => {
            Step::ThreadsWaited { daemons: field(state, "daemon=")? }
        }
        "finalize.threads" if outcome.starts_with("timed out:") => {
            Step::ThreadsTimedOut { running: leading_number(outcome, "timed out: ")?, word: word(state)? }
        }
        "finalize.atexit" if outcome.starts_with("ran ") => Step::AtExitRan,
        "finalize.drain" if outcome.starts_with("ok") => Step::FinalizeDrains(word(state)?),
        "finalize.wait" if outcome.starts_with("blocked") => Step::FinalizerWaits(word(state)?),
        "finalize.wait" if outcome.starts_with("timed out:") => {
            Step::GuardWaitTimedOut { guards: leading_number(outcome, "timed out: ")?, word: word(state)? }
        }
        "finalize.begin" if outcome.starts_with("ok") => Step::FinalizeBegan(word(state)?),
        "finalize.subinterpreters" => Step::SubinterpretersFinalized,
        "finalize.teardown" => Step::TornDown,
        "finalize.done" if outcome == "ok" => Step::FinalizeDone(word(state)?),
        "interp.create" if outcome.starts_with("ok: ") => created(&outcome["ok: ".len()..], state)?,
        "interp.list" => Step::Listed(ids(state)?),
        "interp.run" if outcome == "started" => Step::RunStarted,
        "interp.run" if outcome.starts_with("refused:") => Step::RunRefused { destroying: state == "destroying" },
        "interp.run" if outcome == "finished" || outcome == "failed" => Step::RunEnded,
        "interp.destroy" if outcome.starts_with("refused: running") => Step::DestroyRefusedRunning,
        "interp.destroy" if outcome == "ok" || outcome == "failed" => Step::DestroyEnded { ok: outcome == "ok" },
        "thread.spawn" if outcome.starts_with("ok: ") => {
            let kind = thread_kind(&outcome["ok: ".len()..]).ok_or_else(unknown)?;
            let (non_daemon, daemon) = thread_counts(state)?;
            Step::ThreadSpawned { kind, non_daemon, daemon }
        }
        "thread.start" if thread_kind(outcome).is_some() => Step::ThreadStarted,
        "thread.exit" => {
            let kind = thread_kind(outcome).ok_or_else(unknown)?;
            let (non_daemon, daemon) = thread_counts(state)?;
            Step::ThreadExited { kind, non_daemon, daemon }
        }
        "thread.spawn" if outcome.starts_with("refused:") => Step::SpawnRefused,
        "thread.attach" if outcome.starts_with("refused:") => Step::AttachRefused,
        "gil.acquire" if outcome == "ok" => Step::GilAcquired(gil(state)?),
        "gil.acquire" if outcome.starts_with("blocked") => Step::GilBlocked(gil(state)?),
        "gil.release" if outcome == "ok" => Step::GilReleased(gil(state)?),
        "threadstate.ensure" => {
            let case = if outcome.starts_with("reused") {
                EnsureCase::Reuse
            } else if outcome.starts_with("re-attached") {
                EnsureCase::Reattach
            } else if outcome.starts_with("created") {
                EnsureCase::Create
            } else {
                return Err(unknown());
            };
            Step::Ensured { case, count: count(state)? }
        }
        "threadstate.release" if outcome == "ok" || outcome.starts_with("deleted") => {
            Step::Released { deleted: outcome.starts_with("deleted"), count: count(state)? }
        }
        "threadstate.detach" => Step::AllowThreadsDetach,
        "threadstate.attach" => Step::AllowThreadsAttach,
        op if lifecycle_covers(op) => return Err(unknown()),
        _ => return Ok(None),
    };
    Ok(Some(step))
}

/// `phase=running guards=1 finalize-requested finalizer-waiting`.
fn word(state: &str) -> Result<WordSeen, String> {
    let mut seen = WordSeen::default();
    for part in state.split_ascii_whitespace() {
        if let Some(phase) = part.strip_prefix("phase=") {
            seen.phase = Some(match phase {
                "running" => Phase::Running,
                "finalizing" => Phase::Finalizing,
                "finalized" => Phase::Finalized,
                other => return Err(format!("unknown phase `{other}` in `{state}`")),
            });
        } else if let Some(n) = part.strip_prefix("guards=") {
            seen.guards = Some(n.parse().map_err(|_| format!("bad guard count in `{state}`"))?);
        } else if part == "finalize-requested" {
            seen.requested = true;
        } else if part == "draining" {
            seen.draining = true;
        } else if part == "finalizer-waiting" {
            seen.waiting = true;
        } else {
            return Err(format!("unknown part `{part}` of the word `{state}`"));
        }
    }
    Ok(seen)
}

/// `gil(I0)=held waiters=2`.
fn gil(state: &str) -> Result<GilSeen, String> {
    let bad = || format!("not a GIL state: `{state}`");
    let rest = state.strip_prefix("gil(I").ok_or_else(bad)?;
    let (owner, rest) = rest.split_once(")=").ok_or_else(bad)?;
    let owner = owner.parse().map_err(|_| bad())?;
    let mut parts = rest.split_ascii_whitespace();
    let held = match parts.next() {
        Some("held") => true,
        Some("free") => false,
        _ => return Err(bad()),
    };
    let waiters = match parts.next() {
        None => 0,
        Some(w) => w.strip_prefix("waiters=").and_then(|n| n.parse().ok()).ok_or_else(bad)?,
    };
    Ok(GilSeen { owner, held, waiters })
}

/// `Own GIL` or `Shared GIL`, then optionally `, CPython policy` / `, Drain policy`.
fn created(what: &str, state: &str) -> Result<Step, String> {
    let (gil_part, policy_part) = match what.split_once(", ") {
        Some((g, p)) => (g, Some(p)),
        None => (what, None),
    };
    let gil = match gil_part {
        "Own GIL" => GilMode::Own,
        "Shared GIL" => GilMode::Shared,
        other => return Err(format!("unknown GIL mode `{other}` in interp.create")),
    };
    let policy = match policy_part {
        None => None,
        Some("CPython policy") => Some(GuardPolicy::CPython),
        Some("Drain policy") => Some(GuardPolicy::Drain),
        Some(other) => return Err(format!("unknown guard policy `{other}` in interp.create")),
    };
    Ok(Step::Created { gil, policy, word: word(state)? })
}

/// `ids=[0, 2]`.
fn ids(state: &str) -> Result<Vec<u64>, String> {
    let bad = || format!("not a listing: `{state}`");
    let inner = state.strip_prefix("ids=[").and_then(|s| s.strip_suffix(']')).ok_or_else(bad)?;
    if inner.is_empty() {
        return Ok(Vec::new());
    }
    inner.split(", ").map(|n| n.parse().map_err(|_| bad())).collect()
}

fn thread_kind(s: &str) -> Option<ThreadKind> {
    match s {
        "NonDaemon" => Some(ThreadKind::NonDaemon),
        "Daemon" => Some(ThreadKind::Daemon),
        _ => None,
    }
}

/// `non-daemon=N daemon=M`.
fn thread_counts(state: &str) -> Result<(usize, usize), String> {
    let non_daemon = field(state, "non-daemon=")?.ok_or_else(|| format!("no `non-daemon=` in `{state}`"))?;
    let daemon = field(state, "daemon=")?.ok_or_else(|| format!("no `daemon=` in `{state}`"))?;
    Ok((non_daemon, daemon))
}

/// `count=N`.
fn count(state: &str) -> Result<usize, String> {
    field(state, "count=")?.ok_or_else(|| format!("no `count=` in `{state}`"))
}

/// The number after `key` in a space-separated state, if present.
fn field(state: &str, key: &str) -> Result<Option<usize>, String> {
    for part in state.split_ascii_whitespace() {
        if let Some(n) = part.strip_prefix(key) {
            return n.parse().map(Some).map_err(|_| format!("bad `{key}` in `{state}`"));
        }
    }
    Ok(None)
}

/// The number that follows `prefix` in `text` (`timed out: 2 guard(s) held`).
fn leading_number(text: &str, prefix: &str) -> Result<usize, String> {
    let rest = text.strip_prefix(prefix).ok_or_else(|| format!("`{text}` does not start with `{prefix}`"))?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().map_err(|_| format!("no number after `{prefix}` in `{text}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_gils_parse() {
        let w = word("phase=running guards=2 finalize-requested finalizer-waiting").unwrap();
        assert_eq!(
            w,
            WordSeen { phase: Some(Phase::Running), guards: Some(2), requested: true, draining: false, waiting: true }
        );
        assert_eq!(word("guards=1").unwrap().phase, None);
        assert!(word("phase=sleeping").is_err());
        assert_eq!(gil("gil(I3)=free").unwrap(), GilSeen { owner: 3, held: false, waiters: 0 });
        assert_eq!(gil("gil(I0)=held waiters=2").unwrap(), GilSeen { owner: 0, held: true, waiters: 2 });
        assert_eq!(ids("ids=[0, 2]").unwrap(), [0, 2]);
        assert_eq!(ids("ids=[]").unwrap(), Vec::<u64>::new());
        assert_eq!(leading_number("timed out: 12 guard(s) held", "timed out: ").unwrap(), 12);
    }
}
