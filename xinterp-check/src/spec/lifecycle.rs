//! The sequential reference model of the interpreter lifecycle: the
//! registry, PEP 788's guards, views and finalization (both guard
//! policies), PEP 684's per-interpreter GILs, thread states with
//! ensure/release, `run`/`destroy`, and interpreter threads.
//!
//! # What it models
//!
//! One value, [`Lifecycle`], holds everything the protocols decide on, as
//! plain fields:
//!
//! | part | fields | production counterpart |
//! |---|---|---|
//! | registry | next id, which interpreters are registered, runtime finalized | `Runtime`'s `Registry` |
//! | per interpreter ([`Interp`]) | phase, guards held, finalize requested, finalizer waiting, the finalizer, policy, GIL own/shared, `run` in progress, threads, at-exit callbacks | `Core`: the lifecycle word, `activity`, `Threads`, `at_exit` |
//! | per thread ([`ThreadModel`]) | thread states (count, owned), the attached one, the home one, the token stack, the GIL held | `thread_state`'s per-thread record |
//! | per GIL ([`Gil`]) | holder, waiters | `Gil` |
//!
//! Its operations are the protocols' steps, each a method that either
//! performs the step or says why the protocol does not allow it
//! ([`Disallowed`], naming the invariant). The public API's operations
//! (`create`, `guard`, `finalize`, `run`, ...) are sequences of those steps,
//! with the production's typed results (`GuardError`, `FinalizeError`, ...):
//! see [`api`](self#the-api-as-a-sequential-program).
//!
//! Every rule is written from the semantics (the protocols' module docs,
//! PEP 788 and PEP 684), never by calling the
//! implementation: a guard is admitted only while Running and, under the
//! drain policy, before the finalizer starts draining at the guard wait (LC-1); finalization
//! waits for every guard and enters Finalizing with none counted, after
//! which teardown and done follow, by the one thread whose request won
//! (LC-2, LC-3); a GIL has one holder (GIL-1); ensure follows PEP 788's
//! three cases (TS-1) and release undoes the innermost token (TS-2).
//!
//! # What it abstracts away
//!
//! - **Time and blocking.** Nothing here waits. A finalization that would
//!   wait for a guard nobody else can release is reported the way the
//!   production reports a passed deadline (`GuardsOutstanding`);
//!   [`Lifecycle::finalize_would_wait`] tells a caller that must not block
//!   which finalizations would. A GIL held by another thread is a step
//!   ([`Lifecycle::gil_block`]) in a trace; the sequential API never meets it.
//! - **Memory and objects.** No interpreter state, no values, no `Arc`s: an
//!   interpreter is its id and its fields. Views are just ids.
//! - **Interleaving.** Steps are atomic and happen one at a time. How a
//!   concurrent trace is fitted onto this sequence is the validator's job
//!   ([`super::validate`]).
//! - **Where guards were taken.** `track_guards` is a flag; the caller
//!   locations are not modelled (an outstanding-guards report carries
//!   `Some(vec![])` when tracked).
//! - **Counter overflow** (`TooManyGuards`) is not modelled.
//!
//! # How it is used
//!
//! - `tests/lifecycle_state_machine.rs` drives random sequential programs
//!   through the [API](self#the-api-as-a-sequential-program) and through the
//!   production, and compares results and observable state after every
//!   operation.
//! - [`super::validate`] maps each recorded trace event to a step and
//!   replays the trace, checking the state each event recorded (`guards=N`,
//!   the GIL's holder and waiters, thread-state counts) against the
//!   model's.
//!
//! # The API as a sequential program
//!
//! `lifecycle/api.rs` implements each public operation as the production runs it on
//! one thread: `finalize` is request, close the thread door, run the at-exit
//! callbacks attached, wait for zero guards and enter Finalizing, finalize
//! the subinterpreters (main only), tear down attached, leave the registry.
mod api;
mod interp;
mod threads;

pub use api::{SpawnOutcome, TokenHandle};
pub use interp::{Activity, Admission, Interp, ThreadPermissions};
pub use threads::{EnsureCase, Ensured, Gil, Released, Restore, Slot, ThreadModel, TokenEntry};

use std::collections::BTreeMap;
use std::fmt;
use xinterp::{GilMode, GuardPolicy, Phase};

/// A thread, as the model names it (the validator interns trace thread
/// names; the proptest's thread is 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ThreadKey(pub u32);

impl fmt::Display for ThreadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "thread {}", self.0)
    }
}

/// Why the model does not allow a step: the invariant it would break and
/// what the model expected instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disallowed {
    /// The invariant's id (`LC-1`, `GIL-1`, ...; `docs/spec.md` lists them).
    pub rule: &'static str,
    /// What the model expected.
    pub expected: String,
}

impl Disallowed {
    /// A step `rule` forbids; `expected` says what the model expected.
    pub fn new(rule: &'static str, expected: impl Into<String>) -> Self {
        Self { rule, expected: expected.into() }
    }
}

impl fmt::Display for Disallowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] expected {}", self.rule, self.expected)
    }
}

/// The lifecycle word, decoded: the event type, which the model also uses
/// for its own word.
pub use crate::trace::event::Word;

/// An at-exit callback that ran: it runs attached, while its interpreter's
/// finalization is requested and before the guard wait, so a guard it takes
/// is admitted under both policies (draining starts after at-exit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtExitRun {
    /// The interpreter finalizing.
    pub interp: u64,
    /// The callback's id (the order it was registered in is the caller's).
    pub callback: u32,
    /// What a guard on the interpreter, taken by the callback, gets.
    pub guard: Result<(), xinterp::GuardError>,
}

/// The whole model.
#[derive(Clone, Debug)]
pub struct Lifecycle {
    next_id: u64,
    runtime_finalized: bool,
    /// Every interpreter ever created, registered or not.
    interps: BTreeMap<u64, Interp>,
    threads: BTreeMap<ThreadKey, ThreadModel>,
    /// By owner id: the main interpreter's (shared ones too) and each own one.
    gils: BTreeMap<u64, Gil>,
    /// At-exit callbacks in the order they ran.
    at_exit_log: Vec<AtExitRun>,
}

/// The main interpreter's id.
pub const MAIN: u64 = 0;

impl Lifecycle {
    /// A runtime whose main interpreter has `policy` (`None`: unknown, as
    /// for a trace, where the main interpreter's config is not recorded).
    fn with_main_policy(policy: Option<GuardPolicy>) -> Self {
        let mut interps = BTreeMap::new();
        interps.insert(MAIN, Interp::new(MAIN, MAIN, policy));
        let mut gils = BTreeMap::new();
        gils.insert(MAIN, Gil::default());
        Self { next_id: 1, runtime_finalized: false, interps, threads: BTreeMap::new(), gils, at_exit_log: Vec::new() }
    }

    /// A model for validating a trace: a runtime with its main interpreter,
    /// whose policy and thread permissions are not known yet.
    pub fn for_traces() -> Self {
        Self::with_main_policy(None)
    }

    /// Whether the runtime has been finalized (no interpreter can be created).
    pub fn runtime_finalized(&self) -> bool {
        self.runtime_finalized
    }

    /// The interpreter `id`, if it was ever created.
    pub fn interp(&self, id: u64) -> Option<&Interp> {
        self.interps.get(&id)
    }

    /// Every interpreter ever created, by id.
    pub fn interps(&self) -> impl Iterator<Item = &Interp> {
        self.interps.values()
    }

    pub(crate) fn interp_mut(&mut self, id: u64) -> Result<&mut Interp, Disallowed> {
        self.interps.get_mut(&id).ok_or_else(|| Self::unknown(id))
    }

    pub(crate) fn existing(&self, id: u64) -> Result<&Interp, Disallowed> {
        self.interps.get(&id).ok_or_else(|| Self::unknown(id))
    }

    fn unknown(id: u64) -> Disallowed {
        Disallowed::new("RG-1", format!("interpreter {id} to have been created first (interp.create)"))
    }

    /// A thread's record (empty for a thread not seen yet).
    pub fn thread(&self, t: ThreadKey) -> ThreadModel {
        self.threads.get(&t).cloned().unwrap_or_default()
    }

    pub(crate) fn thread_ref(&self, t: ThreadKey) -> Option<&ThreadModel> {
        self.threads.get(&t)
    }

    pub(crate) fn thread_mut(&mut self, t: ThreadKey) -> &mut ThreadModel {
        self.threads.entry(t).or_default()
    }

    /// A GIL by owner id.
    pub fn gil(&self, owner: u64) -> Option<&Gil> {
        self.gils.get(&owner)
    }

    /// The at-exit callbacks that ran, in order.
    pub fn at_exit_log(&self) -> &[AtExitRun] {
        &self.at_exit_log
    }

    /// Whether finalizing `interp` would wait for thread `t` itself.
    pub fn involves(&self, t: ThreadKey, interp: u64) -> bool {
        self.threads.get(&t).is_some_and(|th| th.involves(interp))
    }

    /// Guards on `interp` that no event records: one per thread restoring
    /// its previous thread state there (see [`Restore`]).
    pub fn phantom_guards(&self, interp: u64) -> usize {
        self.threads.values().filter(|t| t.restore.phantom_guard() == Some(interp)).count()
    }

    /// Threads waiting for `interp`'s GIL.
    pub fn gil_waiters(&self, interp: u64) -> usize {
        self.interps.get(&interp).and_then(|i| self.gils.get(&i.gil)).map_or(0, |g| g.waiters.len())
    }

    /// The main interpreter's finalization is done: no interpreter can be
    /// created any more.
    pub(crate) fn finalize_runtime(&mut self) {
        self.runtime_finalized = true;
    }

    /// The interpreter `current` of thread `t` is attached to.
    pub fn current(&self, t: ThreadKey) -> Option<u64> {
        self.threads.get(&t).and_then(ThreadModel::current_interp)
    }

    /// Registers interpreter `id` (the registry step of `create`): ids are
    /// unique and never reused, and none is created once the runtime is
    /// finalized (RG-1).
    pub fn register(&mut self, id: u64, gil: GilMode, policy: Option<GuardPolicy>) -> Result<(), Disallowed> {
        if self.runtime_finalized {
            return Err(Disallowed::new("RG-1", "no interpreter created once the runtime is finalized"));
        }
        if id == MAIN || self.interps.contains_key(&id) {
            return Err(Disallowed::new("RG-1", format!("a fresh id: {id} was already used")));
        }
        let gil_owner = match gil {
            GilMode::Own => {
                self.gils.insert(id, Gil::default());
                id
            }
            GilMode::Shared => MAIN,
        };
        self.interps.insert(id, Interp::new(id, gil_owner, policy));
        self.next_id = self.next_id.max(id + 1);
        Ok(())
    }

    /// Checks a listing (`interp.list`) against the registry: every listed
    /// interpreter is registered and not finalized, and every registered
    /// interpreter left out has had its finalization requested (RG-1). The
    /// production reads each phase in turn under the registry lock, so an
    /// interpreter entering Finalizing meanwhile may go either way.
    pub fn check_listing(&self, listed: &[u64]) -> Result<(), Disallowed> {
        for id in listed {
            match self.interps.get(id) {
                Some(i) if i.registered && i.phase != Phase::Finalized => {}
                _ => {
                    return Err(Disallowed::new(
                        "RG-1",
                        format!("interpreter {id} not to be listed: it is not registered"),
                    ))
                }
            }
        }
        for i in self.interps.values().filter(|i| i.registered && !listed.contains(&i.id)) {
            if i.phase == Phase::Running && !i.requested {
                return Err(Disallowed::new("RG-1", format!("interpreter {} to be listed: it runs", i.id)));
            }
        }
        Ok(())
    }

    /// An attachment is backed by a guard, and once finalization has begun
    /// only the finalizer attaches (LC-2). The finalizer attaches without a
    /// guard (at-exit callbacks, teardown); a release restoring its previous
    /// thread state counts an unrecorded guard of its own.
    fn check_attach_allowed(&self, t: ThreadKey, interp: &Interp) -> Result<(), Disallowed> {
        let finalizer = interp.finalizer == Some(t);
        let restoring = self.threads.get(&t).and_then(|th| th.restore.phantom_guard()) == Some(interp.id);
        let ok = match interp.phase {
            Phase::Running => interp.held > 0 || finalizer || restoring,
            Phase::Finalizing => finalizer,
            Phase::Finalized => false,
        };
        if ok {
            Ok(())
        } else if interp.phase == Phase::Running {
            Err(Disallowed::new("LC-2", format!("no attach to interpreter {} without a guard held on it", interp.id)))
        } else {
            Err(Disallowed::new(
                "LC-2",
                format!(
                    "no attach to interpreter {} by anyone but its finalizer once it is {}",
                    interp.id, interp.phase
                ),
            ))
        }
    }

    /// Thread `t` takes `interp`'s GIL (GIL-1: it was free; TS-6: `t`
    /// held none; LC-2).
    pub fn gil_acquire(&mut self, t: ThreadKey, interp: u64) -> Result<(), Disallowed> {
        let i = self.existing(interp)?;
        let owner = i.gil;
        self.check_attach_allowed(t, i)?;
        if let Some(held) = self.threads.get(&t).and_then(|th| th.holding) {
            return Err(Disallowed::new("TS-6", format!("a thread attached to interpreter {held} to detach first")));
        }
        let gil = self.gils.get_mut(&owner).expect("every interpreter's GIL exists");
        if let Some(holder) = gil.holder {
            return Err(Disallowed::new("GIL-1", format!("GIL I{owner} to be free: {holder} holds it")));
        }
        gil.holder = Some(t);
        gil.waiters.retain(|w| *w != t);
        let thread = self.thread_mut(t);
        thread.holding = Some(interp);
        thread.blocked_on = None;
        if let Restore::Pending { interp: r, .. } = thread.restore {
            if r == interp {
                thread.restore = Restore::Attached { interp };
            }
        }
        Ok(())
    }

    /// Thread `t` finds `interp`'s GIL held by another thread and waits.
    pub fn gil_block(&mut self, t: ThreadKey, interp: u64) -> Result<(), Disallowed> {
        let owner = self.existing(interp)?.gil;
        if let Some(held) = self.threads.get(&t).and_then(|th| th.holding) {
            return Err(Disallowed::new("TS-6", format!("a thread attached to interpreter {held} to detach first")));
        }
        let gil = self.gils.get_mut(&owner).expect("every interpreter's GIL exists");
        match gil.holder {
            None => return Err(Disallowed::new("GIL-1", format!("GIL I{owner} to be taken at once: it is free"))),
            Some(h) if h == t => {
                return Err(Disallowed::new("GIL-1", format!("no wait for GIL I{owner} by its own holder")));
            }
            Some(_) => {}
        }
        if !gil.waiters.contains(&t) {
            gil.waiters.push(t);
        }
        self.thread_mut(t).blocked_on = Some(owner);
        Ok(())
    }

    /// Thread `t` releases `interp`'s GIL (GIL-1: only its holder does).
    pub fn gil_release(&mut self, t: ThreadKey, interp: u64) -> Result<(), Disallowed> {
        let owner = self.existing(interp)?.gil;
        let gil = self.gils.get_mut(&owner).expect("every interpreter's GIL exists");
        if gil.holder != Some(t) {
            let who = gil.holder.map_or_else(|| "nobody".to_owned(), |h| h.to_string());
            return Err(Disallowed::new("GIL-1", format!("GIL I{owner} released by its holder ({who})")));
        }
        if self.threads.get(&t).and_then(|th| th.holding) != Some(interp) {
            return Err(Disallowed::new("TS-6", format!("the thread to be attached to interpreter {interp}")));
        }
        gil.holder = None;
        self.thread_mut(t).holding = None;
        Ok(())
    }

    /// Thread `t` enters a finalization: it runs detached (its thread state
    /// is put aside). Returns the interpreter it detached from.
    pub fn enter_finalization(&mut self, t: ThreadKey) -> Option<u64> {
        let thread = self.thread_mut(t);
        let current = thread.current.take();
        thread.finalizing.push(current);
        current.and_then(|c| thread.slot_interp(c))
    }

    /// Thread `t` leaves a finalization: its thread state is back. Returns
    /// the interpreter it re-attaches to.
    pub fn leave_finalization(&mut self, t: ThreadKey) -> Option<u64> {
        let thread = self.thread_mut(t);
        let previous = thread.finalizing.pop().flatten();
        thread.current = previous;
        previous.and_then(|c| thread.slot_interp(c))
    }

    /// A one-line description of the model's state, for messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for i in self.interps.values() {
            let mut s = format!("I{} {}", i.id, i.word());
            if let Some(f) = i.finalizer {
                s.push_str(&format!(" finalizer={f}"));
            }
            if let Activity::Running(t) = i.activity {
                s.push_str(&format!(" run-by={t}"));
            }
            if !i.registered {
                s.push_str(" unregistered");
            }
            if i.policy.is_none() {
                s.push_str(" policy=?");
            } else if i.policy == Some(GuardPolicy::Drain) {
                s.push_str(" policy=drain");
            }
            parts.push(s);
        }
        for (owner, gil) in &self.gils {
            if let Some(h) = gil.holder {
                parts.push(format!("GIL I{owner} held by {h}"));
            }
        }
        parts.join("; ")
    }
}
