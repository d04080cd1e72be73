//! Lifecycle events: guards, finalization, interpreters and their threads,
//! GILs, thread states.
//!
//! Each snapshot is read from the real state after the step: the lifecycle
//! [`Word`] decoded from the value the step's own atomic operation returned,
//! a GIL's [`GilState`] read under its lock, a thread's running counts under
//! the threads' lock, a thread state's count and presence read from the
//! calling thread's record. The reference model
//! (`xinterp_check::spec::lifecycle`) replays these events and compares the
//! snapshots with its own state.
use super::Step;
use crate::{FinalizeError, GilMode, GuardError, GuardPolicy, Phase, ThreadKind};
use std::fmt;

/// The lifecycle word, decoded: what the production records after each
/// step that touches it (`phase=running guards=1 finalize-requested`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Word {
    /// The phase.
    pub phase: Phase,
    /// Every counted guard (held, or refused and not yet undone).
    pub guards: usize,
    /// Finalization requested (shown only while running).
    pub requested: bool,
    /// Drain policy: no guard is admitted.
    pub draining: bool,
    /// A finalizer is (about to be) asleep.
    pub waiting: bool,
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "phase={} guards={}", self.phase, self.guards)?;
        if self.requested && self.phase == Phase::Running {
            f.write_str(" finalize-requested")?;
        }
        if self.draining {
            f.write_str(" draining")?;
        }
        if self.waiting {
            f.write_str(" finalizer-waiting")?;
        }
        Ok(())
    }
}

/// A GIL's state under its lock: `gil(I0)=held waiters=2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GilState {
    /// Whose GIL (the main interpreter's, 0, for a shared GIL).
    pub owner: u64,
    /// Held after the step.
    pub held: bool,
    /// Threads blocked waiting for it after the step.
    pub waiters: usize,
}

impl fmt::Display for GilState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.held { "held" } else { "free" };
        write!(f, "gil(I{})={state}", self.owner)?;
        if self.waiters > 0 {
            write!(f, " waiters={}", self.waiters)?;
        }
        Ok(())
    }
}

/// Which of PEP 788's three cases an ensure took.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnsureCase {
    /// 1: already attached to that interpreter: count +1.
    Reuse,
    /// 2: detached, and this thread's own thread state is for it: re-attach.
    Reattach,
    /// 3: otherwise: a new thread state, owned by ensure.
    Create,
}

/// What an `interp.run` found when its claim failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunActivity {
    /// Nothing (never seen by a failed claim).
    Idle,
    /// A run is in progress.
    Running,
    /// A destroy claimed the interpreter.
    Destroying,
}

impl fmt::Display for RunActivity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Idle => "idle",
            Self::Running => "running=true",
            Self::Destroying => "destroying",
        })
    }
}

/// A guard step (PEP 788).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GuardEvent {
    /// `guard.acquire -> ok`.
    Granted {
        /// The interpreter.
        interp: u64,
        /// The word after the increment.
        word: Word,
    },
    /// `guard.acquire -> refused: <phase>`: counted for an instant, then
    /// undone (two actions).
    Refused {
        /// The interpreter.
        interp: u64,
        /// The word after the undo.
        word: Word,
    },
    /// `guard.release -> ok`.
    Released {
        /// The interpreter.
        interp: u64,
        /// The word after the decrement.
        word: Word,
    },
}

impl Step for GuardEvent {
    fn interp(&self) -> Option<u64> {
        match self {
            Self::Granted { interp, .. } | Self::Refused { interp, .. } | Self::Released { interp, .. } => {
                Some(*interp)
            }
        }
    }
    fn op(&self) -> &str {
        match self {
            Self::Granted { .. } | Self::Refused { .. } => "guard.acquire",
            Self::Released { .. } => "guard.release",
        }
    }
    fn fmt_outcome(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Granted { .. } | Self::Released { .. } => f.write_str("ok"),
            Self::Refused { word, .. } => write!(f, "refused: {}", word.phase),
        }
    }
    fn fmt_state(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Granted { word, .. } | Self::Refused { word, .. } | Self::Released { word, .. } => {
                fmt::Display::fmt(word, f)
            }
        }
    }
}

impl From<GuardEvent> for super::EventKind {
    fn from(e: GuardEvent) -> Self {
        Self::Guard(e)
    }
}

/// A step of an interpreter's finalization (`Interpreter::finalize`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FinalizeEvent {
    /// `finalize.request -> refused: the calling thread is attached`.
    RefusedAttached {
        /// The interpreter.
        interp: u64,
    },
    /// `finalize.request -> refused: the calling thread holds N guard(s)`:
    /// borrowed guards on the interpreter, which the finalization would
    /// wait for forever.
    RefusedHoldsGuard {
        /// The interpreter.
        interp: u64,
        /// Borrowed guards the calling thread holds on it.
        guards: usize,
    },
    /// `finalize.request -> ok`.
    Requested {
        /// The interpreter.
        interp: u64,
        /// The word after the request.
        word: Word,
    },
    /// `finalize.request -> refused: the interpreter is already finalizing
    /// or finalized`.
    RefusedAlready {
        /// The interpreter.
        interp: u64,
        /// The word the request found.
        word: Word,
    },
    /// `finalize.threads -> no non-daemon thread runs` (step 1).
    ThreadsWaited {
        /// The interpreter.
        interp: u64,
        /// Daemon threads still running.
        daemons: usize,
    },
    /// `finalize.threads -> timed out: N running`: finalization abandoned.
    ThreadsTimedOut {
        /// The interpreter.
        interp: u64,
        /// Non-daemon threads still running.
        running: usize,
        /// The word after the abandon.
        word: Word,
    },
    /// `finalize.atexit -> ran N callback(s)`, `, M panicked` when some
    /// did (step 2; a panic is caught and the next callback runs).
    AtExit {
        /// The interpreter.
        interp: u64,
        /// Callbacks run.
        ran: usize,
        /// Of those, how many panicked.
        panicked: usize,
    },
    /// `finalize.drain -> ok: no new guard is admitted` (drain policy).
    Drains {
        /// The interpreter.
        interp: u64,
        /// The word after draining began.
        word: Word,
    },
    /// `finalize.wait -> blocked until no guard is held` (step 3).
    Waits {
        /// The interpreter.
        interp: u64,
        /// The word the finalizer goes to sleep on.
        word: Word,
    },
    /// `finalize.wait -> timed out: N guard(s) held`: finalization abandoned.
    WaitTimedOut {
        /// The interpreter.
        interp: u64,
        /// Guards counted at the deadline.
        guards: usize,
        /// The word after the abandon.
        word: Word,
    },
    /// `finalize.begin -> ok: no guard can be taken now`.
    Began {
        /// The interpreter.
        interp: u64,
        /// The word after Running → Finalizing.
        word: Word,
    },
    /// `finalize.subinterpreters -> finalized N`, `, M not finalized` when
    /// some could not be (step 4, main only; the main interpreter goes on).
    Subinterpreters {
        /// The interpreter (the main one).
        interp: u64,
        /// Subinterpreters finalized.
        finalized: usize,
        /// Subinterpreters reported in the result: not finalized, or
        /// finalized with faults of their own.
        failed: usize,
    },
    /// `finalize.teardown -> values dropped: N` (step 5).
    TornDown {
        /// The interpreter.
        interp: u64,
        /// Values its state held.
        values: usize,
    },
    /// `finalize.done -> ok` (step 6).
    Done {
        /// The interpreter.
        interp: u64,
        /// The word after Finalizing → Finalized.
        word: Word,
    },
}

impl FinalizeEvent {
    fn interp_id(&self) -> u64 {
        match self {
            Self::RefusedAttached { interp }
            | Self::RefusedHoldsGuard { interp, .. }
            | Self::Requested { interp, .. }
            | Self::RefusedAlready { interp, .. }
            | Self::ThreadsWaited { interp, .. }
            | Self::ThreadsTimedOut { interp, .. }
            | Self::AtExit { interp, .. }
            | Self::Drains { interp, .. }
            | Self::Waits { interp, .. }
            | Self::WaitTimedOut { interp, .. }
            | Self::Began { interp, .. }
            | Self::Subinterpreters { interp, .. }
            | Self::TornDown { interp, .. }
            | Self::Done { interp, .. } => *interp,
        }
    }

    /// The word the step recorded, if it records one.
    pub fn word(&self) -> Option<&Word> {
        match self {
            Self::Requested { word, .. }
            | Self::RefusedAlready { word, .. }
            | Self::ThreadsTimedOut { word, .. }
            | Self::Drains { word, .. }
            | Self::Waits { word, .. }
            | Self::WaitTimedOut { word, .. }
            | Self::Began { word, .. }
            | Self::Done { word, .. } => Some(word),
            _ => None,
        }
    }
}

impl Step for FinalizeEvent {
    fn interp(&self) -> Option<u64> {
        Some(self.interp_id())
    }
    fn op(&self) -> &str {
        match self {
            Self::RefusedAttached { .. }
            | Self::RefusedHoldsGuard { .. }
            | Self::Requested { .. }
            | Self::RefusedAlready { .. } => "finalize.request",
            Self::ThreadsWaited { .. } | Self::ThreadsTimedOut { .. } => "finalize.threads",
            Self::AtExit { .. } => "finalize.atexit",
            Self::Drains { .. } => "finalize.drain",
            Self::Waits { .. } | Self::WaitTimedOut { .. } => "finalize.wait",
            Self::Began { .. } => "finalize.begin",
            Self::Subinterpreters { .. } => "finalize.subinterpreters",
            Self::TornDown { .. } => "finalize.teardown",
            Self::Done { .. } => "finalize.done",
        }
    }
    fn fmt_outcome(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RefusedAttached { .. } => f.write_str("refused: the calling thread is attached"),
            Self::RefusedHoldsGuard { guards, .. } => write!(f, "refused: the calling thread holds {guards} guard(s)"),
            Self::Requested { .. } | Self::Done { .. } => f.write_str("ok"),
            Self::RefusedAlready { .. } => write!(f, "refused: {}", FinalizeError::AlreadyFinalizing),
            Self::ThreadsWaited { .. } => f.write_str("no non-daemon thread runs"),
            Self::ThreadsTimedOut { running, .. } => write!(f, "timed out: {running} running"),
            Self::AtExit { ran, panicked: 0, .. } => write!(f, "ran {ran} callback(s)"),
            Self::AtExit { ran, panicked, .. } => write!(f, "ran {ran} callback(s), {panicked} panicked"),
            Self::Drains { .. } => f.write_str("ok: no new guard is admitted"),
            Self::Waits { .. } => f.write_str("blocked until no guard is held"),
            Self::WaitTimedOut { guards, .. } => write!(f, "timed out: {guards} guard(s) held"),
            Self::Began { .. } => f.write_str("ok: no guard can be taken now"),
            Self::Subinterpreters { finalized, failed: 0, .. } => write!(f, "finalized {finalized}"),
            Self::Subinterpreters { finalized, failed, .. } => {
                write!(f, "finalized {finalized}, {failed} reported")
            }
            Self::TornDown { values, .. } => write!(f, "values dropped: {values}"),
        }
    }
    fn fmt_state(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ThreadsWaited { daemons, .. } => write!(f, "daemon={daemons}"),
            Self::TornDown { .. } => f.write_str("state=gone"),
            other => other.word().map_or(Ok(()), |w| fmt::Display::fmt(w, f)),
        }
    }
}

impl From<FinalizeEvent> for super::EventKind {
    fn from(e: FinalizeEvent) -> Self {
        Self::Finalize(e)
    }
}

/// An interpreter created, listed, run or destroyed; one of its threads
/// spawned, started, refused an attach, or gone.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InterpEvent {
    /// `interp.create -> ok: Own GIL, CPython policy`.
    Created {
        /// The new interpreter.
        interp: u64,
        /// Own or shared GIL.
        gil: GilMode,
        /// Its guard policy.
        policy: GuardPolicy,
        /// Its word, read before any other thread can find it.
        word: Word,
    },
    /// `interp.list -> N interpreter(s)`.
    Listed {
        /// The ids listed, in order.
        ids: Vec<u64>,
    },
    /// `interp.run -> started`.
    RunStarted {
        /// The interpreter.
        interp: u64,
    },
    /// `interp.run -> refused: already running | being destroyed`.
    RunRefused {
        /// The interpreter.
        interp: u64,
        /// The claim the run's compare-exchange found.
        activity: RunActivity,
    },
    /// `interp.run -> finished | failed`.
    RunEnded {
        /// The interpreter.
        interp: u64,
        /// The closure returned (not panicked, not refused).
        ok: bool,
    },
    /// `interp.destroy -> refused: running`.
    DestroyRefused {
        /// The interpreter.
        interp: u64,
    },
    /// `interp.destroy -> ok | failed`.
    DestroyEnded {
        /// The interpreter.
        interp: u64,
        /// It was destroyed: its finalization completed (perhaps with
        /// faults, such as a panicking at-exit callback).
        ok: bool,
    },
    /// `thread.spawn -> ok: NonDaemon`, with the counts under the lock.
    ThreadSpawned {
        /// The interpreter.
        interp: u64,
        /// Daemon or not.
        kind: ThreadKind,
        /// Non-daemon threads running after it.
        non_daemon: usize,
        /// Daemon threads running after it.
        daemon: usize,
    },
    /// `thread.spawn -> refused: finalizing`.
    SpawnRefused {
        /// The interpreter.
        interp: u64,
    },
    /// `thread.start -> NonDaemon`: the new thread's first step.
    ThreadStarted {
        /// The interpreter.
        interp: u64,
        /// Daemon or not.
        kind: ThreadKind,
    },
    /// `thread.exit -> NonDaemon`, with the counts under the lock.
    ThreadExited {
        /// The interpreter.
        interp: u64,
        /// Daemon or not.
        kind: ThreadKind,
        /// Non-daemon threads running after it.
        non_daemon: usize,
        /// Daemon threads running after it.
        daemon: usize,
    },
    /// `thread.attach -> refused: ...` (follows the thread's refused guard).
    AttachRefused {
        /// The interpreter.
        interp: u64,
        /// Why the guard was refused.
        error: GuardError,
    },
}

impl Step for InterpEvent {
    fn interp(&self) -> Option<u64> {
        match self {
            Self::Listed { .. } => None,
            Self::Created { interp, .. }
            | Self::RunStarted { interp }
            | Self::RunRefused { interp, .. }
            | Self::RunEnded { interp, .. }
            | Self::DestroyRefused { interp }
            | Self::DestroyEnded { interp, .. }
            | Self::ThreadSpawned { interp, .. }
            | Self::SpawnRefused { interp }
            | Self::ThreadStarted { interp, .. }
            | Self::ThreadExited { interp, .. }
            | Self::AttachRefused { interp, .. } => Some(*interp),
        }
    }
    fn op(&self) -> &str {
        match self {
            Self::Created { .. } => "interp.create",
            Self::Listed { .. } => "interp.list",
            Self::RunStarted { .. } | Self::RunRefused { .. } | Self::RunEnded { .. } => "interp.run",
            Self::DestroyRefused { .. } | Self::DestroyEnded { .. } => "interp.destroy",
            Self::ThreadSpawned { .. } | Self::SpawnRefused { .. } => "thread.spawn",
            Self::ThreadStarted { .. } => "thread.start",
            Self::ThreadExited { .. } => "thread.exit",
            Self::AttachRefused { .. } => "thread.attach",
        }
    }
    fn fmt_outcome(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Created { gil, policy, .. } => write!(f, "ok: {gil:?} GIL, {policy:?} policy"),
            Self::Listed { ids } => write!(f, "{} interpreter(s)", ids.len()),
            Self::RunStarted { .. } => f.write_str("started"),
            Self::RunRefused { activity: RunActivity::Destroying, .. } => f.write_str("refused: being destroyed"),
            Self::RunRefused { .. } => f.write_str("refused: already running"),
            Self::RunEnded { ok, .. } => f.write_str(if *ok { "finished" } else { "failed" }),
            Self::DestroyRefused { .. } => f.write_str("refused: running"),
            Self::DestroyEnded { ok, .. } => f.write_str(if *ok { "ok" } else { "failed" }),
            Self::ThreadSpawned { kind, .. } => write!(f, "ok: {kind:?}"),
            Self::SpawnRefused { .. } => f.write_str("refused: finalizing"),
            Self::ThreadStarted { kind, .. } | Self::ThreadExited { kind, .. } => write!(f, "{kind:?}"),
            Self::AttachRefused { error, .. } => write!(f, "refused: {error}"),
        }
    }
    fn fmt_state(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Created { word, .. } => fmt::Display::fmt(word, f),
            Self::Listed { ids } => {
                f.write_str("ids=[")?;
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{id}")?;
                }
                f.write_str("]")
            }
            Self::RunStarted { .. } | Self::DestroyRefused { .. } => f.write_str("running=true"),
            Self::RunRefused { activity, .. } => fmt::Display::fmt(activity, f),
            Self::RunEnded { .. } => f.write_str("running=false"),
            Self::ThreadSpawned { non_daemon, daemon, .. } | Self::ThreadExited { non_daemon, daemon, .. } => {
                write!(f, "non-daemon={non_daemon} daemon={daemon}")
            }
            Self::ThreadStarted { .. } => f.write_str("home thread state set"),
            Self::DestroyEnded { .. } | Self::SpawnRefused { .. } | Self::AttachRefused { .. } => Ok(()),
        }
    }
}

impl From<InterpEvent> for super::EventKind {
    fn from(e: InterpEvent) -> Self {
        Self::Interp(e)
    }
}

/// A GIL step (PEP 684), with the GIL's state read under its lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GilEvent {
    /// `gil.acquire -> blocked: held`: the state before this thread waits.
    Blocked {
        /// The interpreter attached to.
        interp: u64,
        /// The GIL's state.
        gil: GilState,
    },
    /// `gil.acquire -> ok`.
    Acquired {
        /// The interpreter attached to.
        interp: u64,
        /// The GIL's state.
        gil: GilState,
    },
    /// `gil.release -> ok`.
    Released {
        /// The interpreter detached from.
        interp: u64,
        /// The GIL's state.
        gil: GilState,
    },
}

impl GilEvent {
    /// The GIL's state the step recorded.
    pub fn gil(&self) -> &GilState {
        match self {
            Self::Blocked { gil, .. } | Self::Acquired { gil, .. } | Self::Released { gil, .. } => gil,
        }
    }
}

impl Step for GilEvent {
    fn interp(&self) -> Option<u64> {
        match self {
            Self::Blocked { interp, .. } | Self::Acquired { interp, .. } | Self::Released { interp, .. } => {
                Some(*interp)
            }
        }
    }
    fn op(&self) -> &str {
        match self {
            Self::Blocked { .. } | Self::Acquired { .. } => "gil.acquire",
            Self::Released { .. } => "gil.release",
        }
    }
    fn fmt_outcome(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Blocked { .. } => "blocked: held",
            Self::Acquired { .. } | Self::Released { .. } => "ok",
        })
    }
    fn fmt_state(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.gil(), f)
    }
}

impl From<GilEvent> for super::EventKind {
    fn from(e: GilEvent) -> Self {
        Self::Gil(e)
    }
}

/// A thread-state step (PEP 788's ensure and release; `allow_threads`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThreadStateEvent {
    /// `threadstate.ensure -> reused | re-attached | created ...`.
    Ensured {
        /// The interpreter.
        interp: u64,
        /// Which case.
        case: EnsureCase,
        /// The thread state's count afterwards, read from the thread's
        /// record.
        count: usize,
        /// The thread's record holds the thread state afterwards (it
        /// always should).
        present: bool,
    },
    /// `threadstate.release -> ok | deleted the thread state`.
    Released {
        /// The interpreter.
        interp: u64,
        /// The thread state's count afterwards, read from the thread's
        /// record.
        count: usize,
        /// The thread's record still holds the thread state afterwards
        /// (read from the record, not the branch taken): `false` renders
        /// as `deleted the thread state`.
        present: bool,
    },
    /// `threadstate.detach -> allow_threads`.
    AllowThreadsDetach {
        /// The interpreter.
        interp: u64,
    },
    /// `threadstate.attach -> allow_threads ended`.
    AllowThreadsAttach {
        /// The interpreter.
        interp: u64,
    },
}

impl Step for ThreadStateEvent {
    fn interp(&self) -> Option<u64> {
        match self {
            Self::Ensured { interp, .. }
            | Self::Released { interp, .. }
            | Self::AllowThreadsDetach { interp }
            | Self::AllowThreadsAttach { interp } => Some(*interp),
        }
    }
    fn op(&self) -> &str {
        match self {
            Self::Ensured { .. } => "threadstate.ensure",
            Self::Released { .. } => "threadstate.release",
            Self::AllowThreadsDetach { .. } => "threadstate.detach",
            Self::AllowThreadsAttach { .. } => "threadstate.attach",
        }
    }
    fn fmt_outcome(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ensured { case: EnsureCase::Reuse, .. } => "reused the attached thread state",
            Self::Ensured { case: EnsureCase::Reattach, .. } => "re-attached this thread's thread state",
            Self::Ensured { case: EnsureCase::Create, .. } => "created a thread state (owned by ensure)",
            Self::Released { present: true, .. } => "ok",
            Self::Released { present: false, .. } => "deleted the thread state",
            Self::AllowThreadsDetach { .. } => "allow_threads",
            Self::AllowThreadsAttach { .. } => "allow_threads ended",
        })
    }
    fn fmt_state(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ensured { count, .. } | Self::Released { count, .. } => write!(f, "count={count}"),
            Self::AllowThreadsDetach { .. } | Self::AllowThreadsAttach { .. } => Ok(()),
        }
    }
}

impl From<ThreadStateEvent> for super::EventKind {
    fn from(e: ThreadStateEvent) -> Self {
        Self::ThreadState(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::EventKind;

    fn line(kind: impl Into<EventKind>) -> String {
        format!("#1 [t] {}", kind.into())
    }

    fn w(phase: Phase, guards: usize, requested: bool, waiting: bool) -> Word {
        Word { phase, guards, requested, draining: false, waiting }
    }

    /// The text every lifecycle kind renders: the columns the traces (and
    /// the golden files, the README's trace) have always shown.
    #[test]
    fn lifecycle_events_render_as_the_traces_always_showed_them() {
        let cases: [(EventKind, &str); 12] = [
            (
                InterpEvent::Created { interp: 1, gil: GilMode::Own, policy: GuardPolicy::CPython, word: w(Phase::Running, 0, false, false) }
                    .into(),
                "#1 [t] interp 1 interp.create -> ok: Own GIL, CPython policy (phase=running guards=0)",
            ),
            (
                GuardEvent::Granted { interp: 1, word: w(Phase::Running, 1, false, false) }.into(),
                "#1 [t] interp 1 guard.acquire -> ok (phase=running guards=1)",
            ),
            (
                GuardEvent::Refused { interp: 1, word: w(Phase::Finalized, 0, false, false) }.into(),
                "#1 [t] interp 1 guard.acquire -> refused: finalized (phase=finalized guards=0)",
            ),
            (
                FinalizeEvent::Requested { interp: 1, word: w(Phase::Running, 1, true, false) }.into(),
                "#1 [t] interp 1 finalize.request -> ok (phase=running guards=1 finalize-requested)",
            ),
            (
                FinalizeEvent::Waits { interp: 1, word: w(Phase::Running, 1, true, true) }.into(),
                "#1 [t] interp 1 finalize.wait -> blocked until no guard is held (phase=running guards=1 finalize-requested finalizer-waiting)",
            ),
            (
                FinalizeEvent::Began { interp: 1, word: w(Phase::Finalizing, 0, true, false) }.into(),
                "#1 [t] interp 1 finalize.begin -> ok: no guard can be taken now (phase=finalizing guards=0)",
            ),
            (
                FinalizeEvent::TornDown { interp: 1, values: 1 }.into(),
                "#1 [t] interp 1 finalize.teardown -> values dropped: 1 (state=gone)",
            ),
            (
                GilEvent::Acquired { interp: 1, gil: GilState { owner: 1, held: true, waiters: 0 } }.into(),
                "#1 [t] interp 1 gil.acquire -> ok (gil(I1)=held)",
            ),
            (
                ThreadStateEvent::Ensured { interp: 1, case: EnsureCase::Create, count: 1, present: true }.into(),
                "#1 [t] interp 1 threadstate.ensure -> created a thread state (owned by ensure) (count=1)",
            ),
            (
                ThreadStateEvent::Released { interp: 1, count: 0, present: false }.into(),
                "#1 [t] interp 1 threadstate.release -> deleted the thread state (count=0)",
            ),
            (
                ThreadStateEvent::Released { interp: 1, count: 0, present: true }.into(),
                "#1 [t] interp 1 threadstate.release -> ok (count=0)",
            ),
            (
                FinalizeEvent::ThreadsWaited { interp: 1, daemons: 0 }.into(),
                "#1 [t] interp 1 finalize.threads -> no non-daemon thread runs (daemon=0)",
            ),
        ];
        for (kind, text) in cases {
            assert_eq!(line(kind), text);
        }
    }
}
