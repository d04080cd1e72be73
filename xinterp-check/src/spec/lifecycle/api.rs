//! The public API as a sequential program over the model's steps: what
//! each operation does, and returns, when one thread calls it and no other
//! thread is in the middle of anything (threads an operation starts are
//! joined before it returns).
//!
//! The steps refuse what the protocol forbids ([`Disallowed`]); here, every
//! step is taken only when the operation's own logic allows it, so a
//! refusal means the model contradicts itself and panics.
use super::interp::{Activity, Admission, ThreadPermissions};
use super::threads::{EnsureCase, Restore, ThreadModel};
use super::{Disallowed, Lifecycle, ThreadKey, MAIN};
use xinterp::Outstanding;
use xinterp::{
    Config, ConfigError, CreateError, DestroyError, FinalizeError, FinalizeFaults, GilMode, GuardError, GuardPolicy,
    InterpreterId, NotFound, Phase, ReleaseError, RunError, SpawnError, ThreadKind,
};

/// A token the caller holds: its serial on its thread, and the interpreter
/// of the guard it holds implicitly (`ensure_from_view`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenHandle {
    /// The token's serial on its thread.
    pub serial: u64,
    /// The interpreter it holds a guard on, when taken from a view.
    pub implicit_guard: Option<u64>,
}

/// What `spawn_thread` followed by a join came to: the thread's attach, if
/// it tried one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpawnOutcome {
    /// The attach's result (the interpreter attached to), or `None` when
    /// the thread did not try (it would have waited for a GIL the caller
    /// holds, forever).
    pub attached: Option<Result<InterpreterId, GuardError>>,
}

fn id(n: u64) -> InterpreterId {
    InterpreterId::new(n)
}

/// A step the operation's own logic allowed must be allowed.
#[track_caller]
fn step(result: Result<(), Disallowed>) {
    if let Err(d) = result {
        panic!("the lifecycle model contradicts itself: {d}");
    }
}

/// CPython's constraints on an interpreter config (`Config::validate`'s
/// rules, written out from PEP 684 and `config.rs`'s docs).
pub fn config_error(config: &Config) -> Option<ConfigError> {
    if config.gil == GilMode::Own && config.use_main_obmalloc {
        Some(ConfigError::OwnGilNeedsOwnAllocator)
    } else if !config.use_main_obmalloc && !config.check_multi_interp_extensions {
        Some(ConfigError::OwnAllocatorNeedsExtensionCheck)
    } else if config.allow_daemon_threads && !config.allow_threads {
        Some(ConfigError::DaemonThreadsNeedThreads)
    } else {
        None
    }
}

impl Lifecycle {
    /// A runtime whose main interpreter has `config` (`Runtime::with_main_config`).
    pub fn with_main(config: &Config) -> Result<Self, ConfigError> {
        if let Some(e) = config_error(config) {
            return Err(e);
        }
        let mut model = Self::with_main_policy(Some(config.guard_policy));
        model.configure(MAIN, config);
        Ok(model)
    }

    fn configure(&mut self, interp: u64, config: &Config) {
        let i = self.interps.get_mut(&interp).expect("configured after registering");
        i.permissions =
            Some(ThreadPermissions { threads: config.allow_threads, daemon_threads: config.allow_daemon_threads });
        i.track_guards = config.track_guards;
    }

    /// `Runtime::create_with`.
    pub fn create(&mut self, config: &Config) -> Result<InterpreterId, CreateError> {
        if let Some(e) = config_error(config) {
            return Err(CreateError::InvalidConfig(e));
        }
        if self.runtime_finalized {
            return Err(CreateError::RuntimeFinalized);
        }
        let new = self.next_id;
        step(self.register(new, config.gil, Some(config.guard_policy)));
        self.configure(new, config);
        Ok(id(new))
    }

    /// `Runtime::get`.
    pub fn get(&self, interp: u64) -> Result<InterpreterId, NotFound> {
        match self.interps.get(&interp) {
            Some(i) if i.registered => Ok(id(interp)),
            _ => Err(NotFound(id(interp))),
        }
    }

    /// `Runtime::list_all`: registered and not finalizing, by id.
    pub fn list_all(&self) -> Vec<u64> {
        self.interps.values().filter(|i| i.registered && i.phase == Phase::Running).map(|i| i.id).collect()
    }

    /// `Interpreter::phase`.
    pub fn phase(&self, interp: u64) -> Phase {
        self.interps[&interp].phase
    }

    /// `Interpreter::is_running`: a `run` is in progress.
    pub fn is_running(&self, interp: u64) -> bool {
        matches!(self.interps[&interp].activity, Activity::Running(_))
    }

    /// The guard a view's promotion would get, without taking it.
    pub fn admission(&self, interp: u64) -> Result<(), GuardError> {
        match self.interps[&interp].admission() {
            Admission::Admitted => Ok(()),
            Admission::Refused(e) => Err(e),
            Admission::PolicyDecides => unreachable!("the API model knows every policy"),
        }
    }

    /// `Interpreter::guard`, `View::guard` and their owned forms: counts a
    /// guard if admitted.
    pub fn take_guard(&mut self, interp: u64) -> Result<(), GuardError> {
        self.admission(interp)?;
        step(self.interp_mut(interp).and_then(|i| i.grant_guard()));
        Ok(())
    }

    /// Dropping a guard.
    pub fn drop_guard(&mut self, interp: u64) {
        step(self.interp_mut(interp).and_then(|i| i.release_guard()));
    }

    /// Attaches `t` to `interp` the way ensure does (its GIL steps and its
    /// thread-state step). The caller holds a guard, or is the finalizer.
    fn ensure_attached(&mut self, t: ThreadKey, interp: u64) -> u64 {
        let case = self.thread_mut(t).ensure_case(interp);
        if case == EnsureCase::Create {
            if let Some(previous) = self.current(t) {
                step(self.gil_release(t, previous));
            }
        }
        if case != EnsureCase::Reuse {
            step(self.gil_acquire(t, interp));
        }
        match self.thread_mut(t).ensure(interp, case) {
            Ok(ensured) => ensured.serial,
            Err(d) => panic!("the lifecycle model contradicts itself: {d}"),
        }
    }

    /// `thread_state::ensure(&guard)`: the caller holds a guard on `interp`.
    pub fn ensure(&mut self, t: ThreadKey, interp: u64) -> TokenHandle {
        TokenHandle { serial: self.ensure_attached(t, interp), implicit_guard: None }
    }

    /// `thread_state::ensure_from_view`: a guard, then ensure; the guard is
    /// held until the token goes.
    pub fn ensure_from_view(&mut self, t: ThreadKey, interp: u64) -> Result<TokenHandle, GuardError> {
        self.take_guard(interp)?;
        Ok(TokenHandle { serial: self.ensure_attached(t, interp), implicit_guard: Some(interp) })
    }

    /// `Token::release` (`explicit`) or dropping the token: releases it if
    /// innermost (and every deferred token that uncovers), else defers it;
    /// then the implicit guard goes with the token.
    pub fn release_token(&mut self, t: ThreadKey, token: TokenHandle, explicit: bool) -> Result<(), ReleaseError> {
        let result = self.release_serial(t, token.serial);
        if let Some(interp) = token.implicit_guard {
            self.drop_guard(interp);
        }
        match result {
            Err(ReleaseError::NotInnermost) if !explicit => Ok(()),
            other => other,
        }
    }

    fn release_serial(&mut self, t: ThreadKey, serial: u64) -> Result<(), ReleaseError> {
        let thread = self.thread_mut(t);
        if !thread.is_innermost(serial) {
            thread.defer(serial);
            return Err(ReleaseError::NotInnermost);
        }
        let mut result = Ok(());
        loop {
            if let Err(e) = self.release_innermost(t) {
                result = Err(e);
            }
            if !self.thread_mut(t).innermost_is_deferred() {
                return result;
            }
        }
    }

    /// Releases `t`'s innermost token, detaching and restoring the previous
    /// thread state as `finish` does.
    fn release_innermost(&mut self, t: ThreadKey) -> Result<(), ReleaseError> {
        let released = match self.thread_mut(t).release_innermost() {
            Ok(r) => r,
            Err(d) => panic!("the lifecycle model contradicts itself: {d}"),
        };
        if released.detached {
            step(self.gil_release(t, released.interp));
        }
        let Some((slot, previous)) = released.restore else {
            return Ok(());
        };
        let Some(previous) = previous else {
            return Err(ReleaseError::PreviousGone(None));
        };
        // The restore counts a guard of its own for the length of the
        // re-attach; refused, the thread stays detached.
        if self.interps[&previous].admission() != Admission::Admitted {
            return Err(ReleaseError::PreviousGone(Some(id(previous))));
        }
        self.thread_mut(t).restore = Restore::Pending { slot, interp: previous };
        step(self.gil_acquire(t, previous));
        let thread = self.thread_mut(t);
        thread.current = Some(slot);
        thread.restore = Restore::Idle;
        Ok(())
    }

    /// `Attached::allow_threads` on `interp`'s proof: detaches if `t` is
    /// attached to `interp` right now, runs `f`, re-attaches.
    pub fn allow_threads<R>(&mut self, t: ThreadKey, interp: u64, f: impl FnOnce(&mut Self) -> R) -> R {
        let thread = self.thread_mut(t);
        let Some(slot) = thread.current.filter(|_| thread.current_interp() == Some(interp)) else {
            return f(self);
        };
        step(self.gil_release(t, interp));
        let thread = self.thread_mut(t);
        thread.current = None;
        thread.allowing.push(slot);
        let result = f(self);
        step(self.gil_acquire(t, interp));
        let thread = self.thread_mut(t);
        thread.current = thread.allowing.pop();
        result
    }

    /// `Interpreter::run`: claims the interpreter, takes a guard, attaches,
    /// runs `f` (whose `Err` is a panic's message), switches back. `f` runs
    /// with the calling thread attached.
    pub fn run<R>(
        &mut self,
        t: ThreadKey,
        interp: u64,
        f: impl FnOnce(&mut Self) -> Result<R, String>,
    ) -> Result<R, RunError> {
        let i = self.interps.get_mut(&interp).expect("run on a known interpreter");
        match i.activity {
            Activity::Idle => {}
            Activity::Running(_) => return Err(RunError::AlreadyRunning(id(interp))),
            Activity::Closing => {
                let gone = i.phase == Phase::Finalized;
                return Err(RunError::Unavailable(if gone {
                    GuardError::Gone(id(interp))
                } else {
                    GuardError::Finalizing(id(interp))
                }));
            }
        }
        i.activity = Activity::Running(t);
        let result = match self.take_guard(interp) {
            Err(e) => Err(RunError::Unavailable(e)),
            Ok(()) => {
                let token = self.ensure(t, interp);
                let value = f(self);
                let _ = self.release_token(t, token, false);
                self.drop_guard(interp);
                value.map_err(|summary| RunError::Failed { interpreter: id(interp), summary })
            }
        };
        self.interps.get_mut(&interp).expect("known").activity = Activity::Idle;
        result
    }

    /// `Interpreter::at_exit` with callback `callback`.
    pub fn at_exit(&mut self, interp: u64, callback: u32) -> Result<(), GuardError> {
        self.take_guard(interp)?;
        let requested = self.interps[&interp].requested;
        if !requested {
            self.interps.get_mut(&interp).expect("known").at_exit.push(callback);
        }
        self.drop_guard(interp);
        if requested {
            return Err(GuardError::Finalizing(id(interp)));
        }
        Ok(())
    }

    /// `Interpreter::spawn_thread(kind, ..)` followed by joining the
    /// thread, whose body attaches once (`InterpreterThread::attach`) when
    /// `attach` is set and that would not wait forever for a GIL.
    pub fn spawn_thread(&mut self, interp: u64, kind: ThreadKind, attach: bool) -> Result<SpawnOutcome, SpawnError> {
        let i = self.interps.get_mut(&interp).expect("spawn on a known interpreter");
        let permissions = i.permissions.expect("the API model knows every config");
        if !permissions.threads {
            return Err(SpawnError::ThreadsNotAllowed(id(interp)));
        }
        if kind == ThreadKind::Daemon && !permissions.daemon_threads {
            return Err(SpawnError::DaemonThreadsNotAllowed(id(interp)));
        }
        if i.start_thread(kind).is_err() {
            return Err(SpawnError::Finalizing(id(interp)));
        }
        let worker = ThreadKey(u32::MAX);
        self.threads.insert(worker, ThreadModel::with_home(interp));
        let gil_free = self.gils[&self.interps[&interp].gil].holder.is_none();
        let attached = (attach && gil_free).then(|| {
            self.take_guard(interp)?;
            let token = self.ensure(worker, interp);
            let attached_to = self.current(worker).map(id).expect("attached");
            let _ = self.release_token(worker, token, true);
            self.drop_guard(interp);
            Ok(attached_to)
        });
        self.threads.remove(&worker);
        step(self.interp_mut(interp).and_then(|i| i.end_thread(kind)));
        Ok(SpawnOutcome { attached })
    }

    /// Whether `Interpreter::finalize` by `t` would wait for something only
    /// another thread could end: a guard held, a non-daemon thread running
    /// (also for the subinterpreters the main interpreter finalizes).
    pub fn finalize_would_wait(&self, t: ThreadKey, interp: u64) -> bool {
        let thread = self.thread(t);
        // The request would succeed: the finalization really starts.
        let claimable = |i: &super::Interp| !thread.involves(i.id) && !i.requested && i.phase == Phase::Running;
        let waits = |i: &super::Interp| claimable(i) && (i.held > 0 || i.non_daemon > 0);
        let target = &self.interps[&interp];
        waits(target)
            || (interp == MAIN
                && claimable(target)
                && self.interps.values().any(|i| i.id != MAIN && i.registered && waits(i)))
    }

    /// Whether `Interpreter::destroy` by `t` would wait (it finalizes
    /// without a deadline) rather than refuse or finish.
    pub fn destroy_would_wait(&self, t: ThreadKey, interp: u64) -> bool {
        interp != MAIN
            && !self.involves(t, interp)
            && self.interps[&interp].activity == Activity::Idle
            && self.finalize_would_wait(t, interp)
    }

    /// `Interpreter::finalize_timeout` by thread `t`, where the deadline
    /// passes during any wait (nothing else runs to end one).
    pub fn finalize(&mut self, t: ThreadKey, interp: u64) -> Result<(), FinalizeError> {
        if self.involves(t, interp) {
            return Err(FinalizeError::CurrentThreadAttached);
        }
        if self.interp_mut(interp).and_then(|i| i.request_finalization(t)).is_err() {
            return Err(FinalizeError::AlreadyFinalizing);
        }
        if let Some(attached) = self.enter_finalization(t) {
            step(self.gil_release(t, attached));
        }
        let result = self.finalize_claimed(t, interp);
        if let Some(attached) = self.leave_finalization(t) {
            step(self.gil_acquire(t, attached));
        }
        result
    }

    /// Steps 1 to 6, by the thread whose request succeeded.
    fn finalize_claimed(&mut self, t: ThreadKey, interp: u64) -> Result<(), FinalizeError> {
        // 1. Close the door; the non-daemon threads would be waited for.
        let i = self.interps.get_mut(&interp).expect("known");
        i.threads_closed = true;
        if i.non_daemon > 0 {
            let threads = i.non_daemon;
            step(i.abandon_finalization());
            return Err(FinalizeError::ThreadsOutstanding { threads });
        }
        // 2. At-exit callbacks, attached, newest first; taken even if a
        //    later step gives up.
        let callbacks = std::mem::take(&mut i.at_exit);
        if !callbacks.is_empty() {
            let token = self.ensure(t, interp);
            for callback in callbacks.into_iter().rev() {
                let guard = self.admission(interp);
                self.at_exit_log.push(super::AtExitRun { interp, callback, guard });
            }
            let _ = self.release_token(t, token, true);
        }
        // 3. Zero guards, then Finalizing; a held guard outlasts the deadline.
        let i = self.interps.get_mut(&interp).expect("known");
        if i.held > 0 {
            let guards = i.held;
            let sites = i.track_guards.then(Vec::new);
            step(i.finalizer_waits(0));
            step(i.abandon_finalization());
            return Err(FinalizeError::GuardsOutstanding(Outstanding { interpreter: id(interp), guards, sites }));
        }
        step(i.begin_finalizing());
        // 4. The main interpreter finalizes the others, newest first; one it
        //    cannot finalize is reported, and main goes on.
        let mut faults = FinalizeFaults::default();
        if interp == MAIN {
            let others: Vec<u64> =
                self.interps.values().filter(|i| i.registered && i.id != MAIN).map(|i| i.id).collect();
            for other in others.into_iter().rev() {
                if let Err(error) = self.finalize(t, other) {
                    faults.subinterpreters.push((id(other), error));
                }
            }
        }
        // 5. Teardown, attached.
        let token = self.ensure(t, interp);
        let _ = self.release_token(t, token, true);
        step(self.interp_mut(interp).and_then(|i| i.tear_down()));
        // 6. Leave the registry; the main interpreter's leaving finalizes the runtime.
        step(self.interp_mut(interp).and_then(|i| i.mark_finalized()));
        if interp == MAIN {
            self.runtime_finalized = true;
        }
        if faults.subinterpreters.is_empty() {
            Ok(())
        } else {
            Err(FinalizeError::Faulted(faults))
        }
    }

    /// `Interpreter::destroy` by thread `t`.
    pub fn destroy(&mut self, t: ThreadKey, interp: u64) -> Result<(), DestroyError> {
        if interp == MAIN {
            return Err(DestroyError::Main(id(interp)));
        }
        if self.involves(t, interp) {
            return Err(DestroyError::Current(id(interp)));
        }
        let i = self.interps.get_mut(&interp).expect("destroy on a known interpreter");
        match i.activity {
            Activity::Idle => i.activity = Activity::Closing,
            Activity::Running(_) => return Err(DestroyError::Running(id(interp))),
            Activity::Closing => return Err(DestroyError::Finalize(FinalizeError::AlreadyFinalizing)),
        }
        let result = self.finalize(t, interp).map_err(DestroyError::Finalize);
        if matches!(&result, Err(DestroyError::Finalize(e)) if !e.finalized()) {
            self.interps.get_mut(&interp).expect("known").activity = Activity::Idle;
        }
        result
    }

    /// `Runtime::destroy(id)`: the registered interpreter `interp`, destroyed.
    pub fn destroy_by_id(&mut self, t: ThreadKey, interp: u64) -> Result<(), DestroyError> {
        self.get(interp).map_err(|NotFound(i)| DestroyError::NotFound(i))?;
        self.destroy(t, interp)
    }

    /// The guard policy of `interp`.
    pub fn policy(&self, interp: u64) -> Option<GuardPolicy> {
        self.interps[&interp].policy
    }
}
