//! The event vocabulary: every protocol step is recorded as typed data.
//!
//! An [`EventKind`] has one variant per protocol (guards, finalization,
//! interpreters and their threads, GILs, thread states, channels and
//! queues, cross-interpreter data), plus the harness's own marks (a
//! witness reached, the failing step), a user's racy read of a public
//! query ([`Observation`]) and a scenario's own step ([`Custom`]).
//!
//! Each protocol variant carries what the step did (an outcome enum) and a
//! snapshot of the state it left, read from the real state (the lifecycle
//! word the step's own atomic operation produced, a channel's fields under
//! its lock, an object's refcount in its heap). The reference models in
//! the checking toolkit (`xinterp-check`) replay these values directly; its
//! renderers print them through their `Display` impls.
//! Nothing reads event text back.
//!
//! Every kind answers four questions ([`Step`]): the interpreter it acted on,
//! the operation's name (`guard.acquire`), what came of it, and the state
//! after it; a trace's text columns are those answers.
use std::borrow::Cow;
use std::fmt;

mod channel;
mod lifecycle;
mod observe;
mod xi;

pub use channel::*;
pub use lifecycle::*;
pub use observe::*;
pub use xi::*;

/// What a recorded step was: one variant per protocol, and the harness's
/// own marks.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// A finalization guard or a view's promotion (PEP 788).
    Guard(GuardEvent),
    /// A step of an interpreter's finalization.
    Finalize(FinalizeEvent),
    /// An interpreter created, listed, run or destroyed; a thread spawned,
    /// started, attached or gone.
    Interp(InterpEvent),
    /// A GIL taken, waited for or released (PEP 684).
    Gil(GilEvent),
    /// A thread state ensured, released, detached or re-attached.
    ThreadState(ThreadStateEvent),
    /// A channel or queue step (PEP 554 / PEP 734).
    Channel(ChannelEvent),
    /// A cross-interpreter data step: heaps and refcounts, shares and
    /// releases, pending calls, cross-interpreter views.
    Xi(XiEvent),
    /// A read of a public query that other threads may race with (a
    /// view's phase, a channel's length): one half of a check-then-act.
    Observation(Observation),
    /// A witness the scenario declared was reached
    /// (`xinterp_check::reach`).
    Witness(Cow<'static, str>),
    /// The failing step of the execution: the whole failure message.
    Violation(String),
    /// A step of a scenario's own (a naive known-bug model, a user's
    /// model): free-form text, never replayed on a reference model.
    Custom(Custom),
}

/// What every event kind answers: the columns of a trace.
pub trait Step {
    /// The interpreter acted on, if any.
    fn interp(&self) -> Option<u64>;
    /// The operation, `protocol.step` (`guard.acquire`, `finalize.wait`).
    fn op(&self) -> &str;
    /// Writes what came of it (`ok`, `refused: finalizing`, `blocked`).
    fn fmt_outcome(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
    /// Writes the relevant state after the step (`phase=running
    /// guards=1`); nothing when the step has none.
    fn fmt_state(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

/// A scenario's own step: free-form text, shown in traces like any other,
/// and never replayed on a reference model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Custom {
    /// The interpreter acted on, if any.
    pub interp: Option<u64>,
    /// The operation's name (`flag.set`, `object.use`).
    pub op: Cow<'static, str>,
    /// What came of it.
    pub outcome: String,
    /// The state after it (may be empty).
    pub state: String,
}

impl Custom {
    /// A custom step; `outcome` and `state` are rendered now.
    pub fn new(
        interp: Option<u64>,
        op: impl Into<Cow<'static, str>>,
        outcome: impl fmt::Display,
        state: impl fmt::Display,
    ) -> Self {
        Self { interp, op: op.into(), outcome: outcome.to_string(), state: state.to_string() }
    }
}

impl Step for Custom {
    fn interp(&self) -> Option<u64> {
        self.interp
    }
    fn op(&self) -> &str {
        &self.op
    }
    fn fmt_outcome(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.outcome)
    }
    fn fmt_state(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.state)
    }
}

impl From<Custom> for EventKind {
    fn from(c: Custom) -> Self {
        Self::Custom(c)
    }
}

/// The op of a [`EventKind::Witness`] event.
pub const WITNESS_OP: &str = "witness";
/// The op of a [`EventKind::Violation`] event.
pub const VIOLATION_OP: &str = "violation";

impl EventKind {
    /// Rebuilds a kind from its rendered columns, for a trace read back
    /// from text it was rendered to (a child process's record, a saved
    /// JSON trace, a SPIN trail): the harness's marks come back as
    /// themselves, every other step as display-only [`Custom`] text, which
    /// no reference model replays.
    pub fn from_columns(interp: Option<u64>, op: &str, outcome: String, state: String) -> Self {
        match op {
            WITNESS_OP => Self::Witness(Cow::Owned(outcome)),
            VIOLATION_OP => Self::Violation(outcome),
            _ => Self::Custom(Custom { interp, op: Cow::Owned(op.to_owned()), outcome, state }),
        }
    }

    fn as_step(&self) -> Option<&dyn Step> {
        Some(match self {
            Self::Guard(e) => e,
            Self::Finalize(e) => e,
            Self::Interp(e) => e,
            Self::Gil(e) => e,
            Self::ThreadState(e) => e,
            Self::Channel(e) => e,
            Self::Xi(e) => e,
            Self::Observation(e) => e,
            Self::Custom(e) => e,
            Self::Witness(_) | Self::Violation(_) => return None,
        })
    }

    /// The interpreter acted on, if any.
    pub fn interp(&self) -> Option<u64> {
        self.as_step().and_then(Step::interp)
    }

    /// The operation's name (`guard.acquire`; `witness`, `violation`).
    pub fn op(&self) -> &str {
        match self {
            Self::Witness(_) => WITNESS_OP,
            Self::Violation(_) => VIOLATION_OP,
            other => other.as_step().map_or("", Step::op),
        }
    }

    /// What came of the step, for display (a witness's name, a violation's
    /// whole message).
    pub fn outcome(&self) -> impl fmt::Display + '_ {
        Outcome(self)
    }

    /// The state after the step, for display (empty when it has none).
    pub fn state(&self) -> impl fmt::Display + '_ {
        State(self)
    }
}

struct Outcome<'a>(&'a EventKind);

/// One line: `interp 1 guard.acquire -> ok (phase=running guards=1)`, the
/// interpreter (if any), the op, what came of it and the state after it (if
/// the step reports one). A recorded event prefixes its number and thread.
impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(id) = self.interp() {
            write!(f, "interp {id} ")?;
        }
        write!(f, "{} -> {}", self.op(), self.outcome())?;
        let state = self.state().to_string();
        if !state.is_empty() {
            write!(f, " ({state})")?;
        }
        Ok(())
    }
}

impl fmt::Display for Outcome<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            EventKind::Witness(name) => f.write_str(name),
            EventKind::Violation(message) => f.write_str(message),
            other => other.as_step().map_or(Ok(()), |s| s.fmt_outcome(f)),
        }
    }
}

struct State<'a>(&'a EventKind);

impl fmt::Display for State<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.as_step().map_or(Ok(()), |s| s.fmt_state(f))
    }
}
