//! One interpreter as the reference model sees it: the lifecycle word taken
//! apart into plain fields, its finalizer, its `run` claim and its threads.
use super::{Disallowed, ThreadKey, Word};
use xinterp::{GuardError, GuardPolicy, InterpreterId, Phase, ThreadKind};

/// What `run` and `destroy` have claimed (the production `activity` word).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    /// Neither.
    Idle,
    /// A `run` by this thread is in progress.
    Running(ThreadKey),
    /// A `destroy` claimed it; a successful destroy never gives it back.
    Closing,
}

/// Which threads the interpreter's config allows; unknown when a trace is
/// validated (configs are not recorded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadPermissions {
    /// `Config::allow_threads`.
    pub threads: bool,
    /// `Config::allow_daemon_threads`.
    pub daemon_threads: bool,
}

/// Whether a guard would be admitted right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Yes.
    Admitted,
    /// No, with the error the caller gets.
    Refused(GuardError),
    /// Finalization was requested while the interpreter runs, and the
    /// policy is not known (a trace of the main interpreter): CPython's
    /// policy admits, the drain policy refuses.
    PolicyDecides,
}

/// One interpreter.
#[derive(Clone, Debug)]
pub struct Interp {
    /// Its id.
    pub id: u64,
    /// Whose GIL it takes: its own id, or 0 (the main interpreter's) when shared.
    pub gil: u64,
    /// The guard policy; `None` while unknown (see [`Admission::PolicyDecides`]).
    pub policy: Option<GuardPolicy>,
    /// Which threads it may start; `None` while unknown.
    pub permissions: Option<ThreadPermissions>,
    /// Whether it remembers where guards were taken.
    pub track_guards: bool,
    /// Running, Finalizing or Finalized.
    pub phase: Phase,
    /// In the registry: created, and its finalization not yet done.
    pub registered: bool,
    /// Guards held (granted and not yet released).
    pub held: usize,
    /// Refused acquisitions counted in the word and not yet undone. Only a
    /// trace has them: the production word counts a refused guard for an
    /// instant before undoing it, and other threads may see that instant.
    pub transient: usize,
    /// A finalizer has claimed the interpreter.
    pub requested: bool,
    /// Drain policy: the finalizer reached the guard wait (step 3) and no
    /// guard is admitted any more.
    pub draining: bool,
    /// The finalizer is (about to be) asleep until the guard count is zero.
    pub waiting: bool,
    /// The thread whose request succeeded, until its finalization ends.
    pub finalizer: Option<ThreadKey>,
    /// Its state has been dropped.
    pub torn_down: bool,
    /// The finalizer closed the door to new threads.
    pub threads_closed: bool,
    /// Non-daemon threads running (started and not yet finished).
    pub non_daemon: usize,
    /// Daemon threads running.
    pub daemon: usize,
    /// Registered at-exit callbacks, oldest first (their ids).
    pub at_exit: Vec<u32>,
    /// `run` / `destroy` claims.
    pub activity: Activity,
}

impl Interp {
    pub(super) fn new(id: u64, gil: u64, policy: Option<GuardPolicy>) -> Self {
        Self {
            id,
            gil,
            policy,
            permissions: None,
            track_guards: false,
            phase: Phase::Running,
            registered: true,
            held: 0,
            transient: 0,
            requested: false,
            draining: false,
            waiting: false,
            finalizer: None,
            torn_down: false,
            threads_closed: false,
            non_daemon: 0,
            daemon: 0,
            at_exit: Vec::new(),
            activity: Activity::Idle,
        }
    }

    /// Its id as the crate spells it.
    pub fn interpreter_id(&self) -> InterpreterId {
        InterpreterId::new(self.id)
    }

    /// The lifecycle word as the production decodes it: every counted
    /// guard, refused or not.
    pub fn word(&self) -> Word {
        Word {
            phase: self.phase,
            guards: self.held + self.transient,
            requested: self.requested,
            draining: self.draining,
            waiting: self.waiting,
        }
    }

    /// Whether a guard is admitted now (LC-1): only while Running, and under
    /// the drain policy only until the finalizer starts draining (step 3).
    pub fn admission(&self) -> Admission {
        match self.phase {
            Phase::Finalized => Admission::Refused(GuardError::Gone(self.interpreter_id())),
            Phase::Finalizing => Admission::Refused(GuardError::Finalizing(self.interpreter_id())),
            Phase::Running if self.draining => Admission::Refused(GuardError::Finalizing(self.interpreter_id())),
            Phase::Running => Admission::Admitted,
        }
    }

    /// Learns the policy from a decision only one policy makes.
    pub(super) fn learn_policy(&mut self, policy: GuardPolicy) {
        if self.policy.is_none() {
            self.policy = Some(policy);
        }
    }

    /// Counts a granted guard, if the word admits one.
    pub fn grant_guard(&mut self) -> Result<(), Disallowed> {
        match self.admission() {
            Admission::Admitted => {}
            Admission::PolicyDecides => self.learn_policy(GuardPolicy::CPython),
            Admission::Refused(_) => {
                return Err(Disallowed::new("LC-1", format!("a refusal: {}", self.why_refused())));
            }
        }
        self.held += 1;
        Ok(())
    }

    /// A refused acquisition counts itself for an instant: the word must
    /// refuse it.
    pub fn count_refused_guard(&mut self) -> Result<(), Disallowed> {
        match self.admission() {
            Admission::Refused(_) => {}
            Admission::PolicyDecides => self.learn_policy(GuardPolicy::Drain),
            Admission::Admitted => {
                return Err(Disallowed::new("LC-1", "the guard to be granted: the interpreter runs and admits guards"));
            }
        }
        self.transient += 1;
        Ok(())
    }

    /// Undoes a refused acquisition's count.
    pub fn undo_refused_guard(&mut self) -> Result<(), Disallowed> {
        if self.transient == 0 {
            return Err(Disallowed::new("LC-2", "no refused acquisition in flight to undo"));
        }
        self.transient -= 1;
        Ok(())
    }

    /// Releases a held guard. Finalization cannot have begun: it waits for
    /// every guard (LC-2).
    pub fn release_guard(&mut self) -> Result<(), Disallowed> {
        if self.held == 0 {
            return Err(Disallowed::new("LC-2", "no guard held to release"));
        }
        if self.phase != Phase::Running {
            return Err(Disallowed::new("LC-2", "no guard held once finalization began"));
        }
        self.held -= 1;
        Ok(())
    }

    fn why_refused(&self) -> String {
        match self.phase {
            Phase::Running => "the finalizer is draining (drain policy)".to_owned(),
            phase => format!("the interpreter is {phase}"),
        }
    }

    /// Claims the finalizer role (step 0).
    pub fn request_finalization(&mut self, by: ThreadKey) -> Result<(), Disallowed> {
        if self.requested || self.phase != Phase::Running {
            return Err(Disallowed::new("LC-3", "AlreadyFinalizing: finalization was already requested or done"));
        }
        self.requested = true;
        self.finalizer = Some(by);
        Ok(())
    }

    /// Only the thread whose request succeeded takes the finalization steps.
    pub fn check_finalizer(&self, thread: ThreadKey) -> Result<(), Disallowed> {
        match self.finalizer {
            Some(f) if f == thread => Ok(()),
            Some(f) => Err(Disallowed::new("LC-3", format!("only the finalizer ({f}) to take finalization steps"))),
            None => Err(Disallowed::new("LC-3", "a finalize.request first: no finalization is in progress")),
        }
    }

    /// The finalizer stops admitting guards (drain policy, step 3).
    pub fn start_draining(&mut self) -> Result<(), Disallowed> {
        self.check_running_finalization()?;
        if self.policy == Some(GuardPolicy::CPython) {
            return Err(Disallowed::new("LC-1", "draining only under the drain policy"));
        }
        if self.draining {
            return Err(Disallowed::new("LC-3", "one drain per finalization"));
        }
        self.policy = Some(GuardPolicy::Drain);
        self.draining = true;
        Ok(())
    }

    /// The finalizer goes to sleep until no guard is held (step 3).
    /// `unrecorded` guards may be counted that no event shows (a thread
    /// restoring its previous thread state counts one).
    pub fn finalizer_waits(&mut self, unrecorded: usize) -> Result<(), Disallowed> {
        self.check_running_finalization()?;
        if self.held + self.transient + unrecorded == 0 {
            return Err(Disallowed::new("LC-3", "finalize.begin: no guard is counted, nothing to wait for"));
        }
        self.waiting = true;
        Ok(())
    }

    /// Running, zero guards → Finalizing, in one step (step 3).
    pub fn begin_finalizing(&mut self) -> Result<(), Disallowed> {
        self.check_running_finalization()?;
        let counted = self.held + self.transient;
        if counted != 0 {
            return Err(Disallowed::new(
                "LC-2",
                format!("finalization to wait: {counted} guard(s) counted ({} held)", self.held),
            ));
        }
        self.phase = Phase::Finalizing;
        self.waiting = false;
        self.draining = false;
        Ok(())
    }

    fn check_running_finalization(&self) -> Result<(), Disallowed> {
        if self.phase != Phase::Running || !self.requested {
            return Err(Disallowed::new("LC-3", "a requested finalization of a running interpreter"));
        }
        Ok(())
    }

    /// A finalization that gave up (a deadline passed): the interpreter runs
    /// on and admits guards and threads again.
    pub fn abandon_finalization(&mut self) -> Result<(), Disallowed> {
        self.check_running_finalization()?;
        self.requested = false;
        self.draining = false;
        self.waiting = false;
        self.finalizer = None;
        self.threads_closed = false;
        Ok(())
    }

    /// Drops the interpreter's state (step 5): only once Finalizing, and
    /// never while a guard is held (LC-2).
    pub fn tear_down(&mut self) -> Result<(), Disallowed> {
        if self.phase != Phase::Finalizing || self.torn_down {
            return Err(Disallowed::new("LC-2", "teardown once, after finalize.begin"));
        }
        if self.held != 0 {
            return Err(Disallowed::new("LC-2", format!("no teardown while {} guard(s) are held", self.held)));
        }
        self.torn_down = true;
        Ok(())
    }

    /// Leaves the registry and becomes Finalized (step 6).
    pub fn mark_finalized(&mut self) -> Result<(), Disallowed> {
        if self.phase != Phase::Finalizing || !self.torn_down {
            return Err(Disallowed::new("LC-3", "finalize.done after finalize.teardown"));
        }
        self.phase = Phase::Finalized;
        self.registered = false;
        self.finalizer = None;
        Ok(())
    }

    /// A thread of `kind` finished.
    pub fn end_thread(&mut self, kind: ThreadKind) -> Result<(), Disallowed> {
        let count = match kind {
            ThreadKind::NonDaemon => &mut self.non_daemon,
            ThreadKind::Daemon => &mut self.daemon,
        };
        if *count == 0 {
            return Err(Disallowed::new("LC-7", format!("a {kind:?} thread running to finish")));
        }
        *count -= 1;
        Ok(())
    }

    /// Whether a thread of `kind` may start now; counts it if so.
    pub fn start_thread(&mut self, kind: ThreadKind) -> Result<(), Disallowed> {
        if self.threads_closed || self.phase != Phase::Running {
            return Err(Disallowed::new("LC-7", "a refusal: finalization closed the door to new threads"));
        }
        match kind {
            ThreadKind::NonDaemon => self.non_daemon += 1,
            ThreadKind::Daemon => self.daemon += 1,
        }
        Ok(())
    }
}
