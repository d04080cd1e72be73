//! One recorded step applied to the model: the model performs the step (or
//! says it is not allowed), then the state the event recorded is compared
//! with the model's. Lifecycle steps are applied here; channel and xi
//! steps in `channel.rs` and `xi.rs`. Each accepted step adds the
//! transition the model took to [`Model::taken`] (`transition.rs`): a
//! lifecycle step's is read from the model before the step.
use super::model::Model;
use super::step::{Entry, Step};
use super::transition::{Transition as Tr, TransitionSet};
use crate::spec::lifecycle::{Activity, Disallowed, Interp, Lifecycle, Restore, ThreadModel, MAIN};
use crate::trace::event::{
    EnsureCase, FinalizeEvent as F, GilEvent as G, GilState, GuardEvent as Gd, InterpEvent as I, RunActivity,
    ThreadStateEvent as T, Word,
};
use xinterp::{GilMode, Phase, ThreadKind};

/// Applies action `action` (0, or 1 for the second action of a two-action
/// step) of event `e` to `model`. On `Err` the model may be half-changed:
/// the caller discards it.
pub fn apply(model: &mut Model, e: &Entry, action: u8) -> Result<(), Disallowed> {
    let took = match &e.step {
        None => return Err(Disallowed::new("TR-2", "a covered event (an uncovered one has no step to apply)")),
        Some(Step::Channel(step)) => super::channel::apply(&mut model.channels, e, step)?,
        Some(Step::Xi(step)) => {
            super::xi::apply(model, e, step, action)?;
            super::xi::transition(step, action).into_iter().collect()
        }
        Some(step) => {
            let took = lifecycle_transition(&model.life, e, step, action);
            apply_lifecycle(&mut model.life, e, step, action)?;
            took.into_iter().collect::<TransitionSet>()
        }
    };
    model.taken.union_with(&took);
    Ok(())
}

/// The transition a lifecycle step takes, read from the model before it
/// (`None` for the second action of a refused guard, its undo). Only
/// meaningful when the step is then accepted.
fn lifecycle_transition(model: &Lifecycle, e: &Entry, step: &Step, action: u8) -> Option<Tr> {
    let it = e.interp.and_then(|i| model.existing(i).ok());
    Some(match step {
        Step::Guard(Gd::Granted { .. }) if it.is_some_and(|it| it.requested) => Tr::GuardGrantedWhileRequested,
        Step::Guard(Gd::Granted { .. }) => Tr::GuardGranted,
        Step::Guard(Gd::Refused { .. }) if action > 0 => return None,
        Step::Guard(Gd::Refused { .. }) => match it.map(|it| it.phase) {
            Some(Phase::Finalized) => Tr::GuardRefusedFinalized,
            Some(Phase::Finalizing) => Tr::GuardRefusedFinalizing,
            _ => Tr::GuardRefusedDraining,
        },
        Step::Guard(Gd::Released { .. }) if it.is_some_and(|it| it.waiting && it.held == 1) => {
            Tr::GuardReleasedLastForFinalizer
        }
        Step::Guard(Gd::Released { .. }) => Tr::GuardReleased,
        Step::Finalize(F::Requested { .. }) => Tr::FinalizeRequested,
        Step::Finalize(F::RefusedAttached { .. }) => Tr::FinalizeRefusedAttached,
        Step::Finalize(F::RefusedHoldsGuard { .. }) => Tr::FinalizeRefusedHoldsGuard,
        Step::Finalize(F::RefusedAlready { .. }) => Tr::FinalizeRefusedAlready,
        Step::Finalize(F::ThreadsWaited { .. }) => Tr::FinalizeThreadsWaited,
        Step::Finalize(F::ThreadsTimedOut { .. }) => Tr::FinalizeThreadsTimedOut,
        Step::Finalize(F::AtExit { panicked: 0, .. }) => Tr::FinalizeAtExitRan,
        Step::Finalize(F::AtExit { .. }) => Tr::FinalizeAtExitPanicked,
        Step::Finalize(F::Drains { .. }) => Tr::FinalizeDrains,
        Step::Finalize(F::Waits { .. }) => Tr::FinalizeWaits,
        Step::Finalize(F::WaitTimedOut { .. }) => Tr::FinalizeWaitTimedOut,
        Step::Finalize(F::Began { .. }) => Tr::FinalizeBegan,
        Step::Finalize(F::Subinterpreters { failed: 0, .. }) => Tr::FinalizeSubinterpreters,
        Step::Finalize(F::Subinterpreters { .. }) => Tr::FinalizeSubinterpretersReported,
        Step::Finalize(F::TornDown { .. }) => Tr::FinalizeTornDown,
        Step::Finalize(F::Done { .. }) if e.interp == Some(MAIN) => Tr::FinalizeDoneMain,
        Step::Finalize(F::Done { .. }) => Tr::FinalizeDone,
        Step::Interp(I::Created { gil: GilMode::Own, .. }) => Tr::InterpCreatedOwnGil,
        Step::Interp(I::Created { .. }) => Tr::InterpCreatedSharedGil,
        Step::Interp(I::Listed { .. }) => Tr::InterpListed,
        Step::Interp(I::RunStarted { .. }) => Tr::RunStarted,
        Step::Interp(I::RunRefused { activity: RunActivity::Destroying, .. }) => Tr::RunRefusedDestroying,
        Step::Interp(I::RunRefused { .. }) => Tr::RunRefusedRunning,
        Step::Interp(I::RunEnded { ok: true, .. }) => Tr::RunFinished,
        Step::Interp(I::RunEnded { .. }) => Tr::RunFailed,
        Step::Interp(I::DestroyRefused { .. }) => Tr::DestroyRefusedRunning,
        Step::Interp(I::DestroyEnded { ok: true, .. }) => Tr::DestroyOk,
        Step::Interp(I::DestroyEnded { .. }) => Tr::DestroyFailed,
        Step::Interp(I::ThreadSpawned { kind: ThreadKind::NonDaemon, .. }) => Tr::ThreadSpawnedNonDaemon,
        Step::Interp(I::ThreadSpawned { .. }) => Tr::ThreadSpawnedDaemon,
        Step::Interp(I::SpawnRefused { .. }) => Tr::ThreadSpawnRefused,
        Step::Interp(I::ThreadStarted { .. }) => Tr::ThreadStarted,
        Step::Interp(I::ThreadExited { kind: ThreadKind::NonDaemon, .. }) => Tr::ThreadExitedNonDaemon,
        Step::Interp(I::ThreadExited { .. }) => Tr::ThreadExitedDaemon,
        Step::Interp(I::AttachRefused { .. }) => Tr::AttachRefused,
        Step::Gil(G::Blocked { .. }) => Tr::GilBlocked,
        Step::Gil(G::Acquired { .. })
            if model
                .thread_ref(e.thread)
                .is_some_and(|t| matches!(t.restore, Restore::Pending { interp, .. } if Some(interp) == e.interp)) =>
        {
            Tr::GilAcquiredRestoring
        }
        Step::Gil(G::Acquired { .. }) => Tr::GilAcquired,
        Step::Gil(G::Released { .. }) => Tr::GilReleased,
        Step::ThreadState(T::Ensured { case: EnsureCase::Reuse, .. }) => Tr::EnsureReuse,
        Step::ThreadState(T::Ensured { case: EnsureCase::Reattach, .. }) => Tr::EnsureReattach,
        Step::ThreadState(T::Ensured { .. }) => Tr::EnsureCreate,
        Step::ThreadState(T::Released { .. })
            if model.thread_ref(e.thread).is_some_and(|t| t.restores_after_innermost()) =>
        {
            Tr::ReleaseRestoring
        }
        Step::ThreadState(T::Released { present: true, .. }) => Tr::ReleaseKept,
        Step::ThreadState(T::Released { .. }) => Tr::ReleaseDeleted,
        Step::ThreadState(T::AllowThreadsDetach { .. }) => Tr::AllowThreadsDetach,
        Step::ThreadState(T::AllowThreadsAttach { .. }) => Tr::AllowThreadsAttach,
        // Rejected by `apply_lifecycle`: no transition.
        _ => return None,
    })
}

fn apply_lifecycle(model: &mut Lifecycle, e: &Entry, step: &Step, action: u8) -> Result<(), Disallowed> {
    let t = e.thread;
    settle_restore(model, e);
    let interp = || e.interp.ok_or_else(|| Disallowed::new("TR-2", "the event to name its interpreter"));
    match step {
        Step::Guard(Gd::Granted { word: seen, .. }) => {
            let i = interp()?;
            model.interp_mut(i)?.grant_guard()?;
            check_word(model, i, seen)
        }
        Step::Guard(Gd::Refused { .. }) if action == 0 => model.interp_mut(interp()?)?.count_refused_guard(),
        Step::Guard(Gd::Refused { word: seen, .. }) => {
            let i = interp()?;
            model.interp_mut(i)?.undo_refused_guard()?;
            check_word(model, i, seen)
        }
        Step::Guard(Gd::Released { word: seen, .. }) => {
            let i = interp()?;
            model.interp_mut(i)?.release_guard()?;
            check_word(model, i, seen)
        }
        Step::Finalize(F::Requested { word: seen, .. }) => {
            let i = interp()?;
            if model.involves(t, i) {
                return Err(Disallowed::new(
                    "LC-3",
                    format!(
                        "the request refused: the thread is attached to interpreter {i} (it would wait for itself)"
                    ),
                ));
            }
            model.interp_mut(i)?.request_finalization(t)?;
            model.enter_finalization(t);
            check_word(model, i, seen)
        }
        Step::Finalize(F::RefusedAttached { .. }) => {
            let i = interp()?;
            if !model.involves(t, i) {
                return Err(Disallowed::new(
                    "LC-3",
                    format!("the request to proceed: the thread is not attached to interpreter {i}"),
                ));
            }
            Ok(())
        }
        Step::Finalize(F::RefusedHoldsGuard { guards, .. }) => {
            // Which thread holds a guard is not recorded (an owned guard
            // may be released by another thread): the refusal must at
            // least name guards that are held.
            let i = interp()?;
            let it = model.existing(i)?;
            if *guards == 0 || *guards > it.held {
                let held = it.held;
                return Err(Disallowed::new(
                    "LC-3",
                    format!("a refusal naming the caller's {guards} guard(s) while {held} are held on interpreter {i}"),
                ));
            }
            Ok(())
        }
        Step::Finalize(F::RefusedAlready { word: seen, .. }) => {
            let i = interp()?;
            let it = model.existing(i)?;
            if !it.requested && it.phase == Phase::Running {
                return Err(Disallowed::new("LC-3", "the request to succeed: no finalization was requested"));
            }
            check_word(model, i, seen)
        }
        Step::Finalize(F::ThreadsWaited { daemons, .. }) => {
            let it = model.interp_mut(interp()?)?;
            it.check_finalizer(t)?;
            if it.phase != Phase::Running || !it.requested {
                return Err(Disallowed::new("LC-3", "finalize.threads while the requested finalization waits"));
            }
            if it.non_daemon != 0 {
                return Err(Disallowed::new(
                    "LC-7",
                    format!("a wait for the {} non-daemon thread(s) running", it.non_daemon),
                ));
            }
            if *daemons != it.daemon {
                return Err(Disallowed::new("LC-7", format!("{} daemon thread(s) running, not {daemons}", it.daemon)));
            }
            it.threads_closed = true;
            Ok(())
        }
        Step::Finalize(F::ThreadsTimedOut { running, word, .. }) => {
            let i = interp()?;
            let it = model.interp_mut(i)?;
            it.check_finalizer(t)?;
            if *running == 0 || *running != it.non_daemon {
                let running_now = it.non_daemon;
                return Err(Disallowed::new(
                    "LC-7",
                    format!("{running_now} non-daemon thread(s) running, not {running}"),
                ));
            }
            it.abandon_finalization()?;
            model.leave_finalization(t);
            check_word(model, i, word)
        }
        Step::Finalize(F::AtExit { ran, panicked, .. }) => {
            let it = model.existing(interp()?)?;
            it.check_finalizer(t)?;
            if it.phase != Phase::Running {
                return Err(Disallowed::new("LC-3", "at-exit callbacks before finalize.begin"));
            }
            // A panicking callback is caught and finalization goes on.
            if panicked > ran {
                return Err(Disallowed::new("LC-3", format!("at most the {ran} callback(s) run to panic")));
            }
            Ok(())
        }
        Step::Finalize(F::Drains { word: seen, .. }) => {
            let i = interp()?;
            let it = model.interp_mut(i)?;
            it.check_finalizer(t)?;
            it.start_draining()?;
            check_word(model, i, seen)
        }
        Step::Finalize(F::Waits { word: seen, .. }) => {
            let i = interp()?;
            let unrecorded = model.phantom_guards(i);
            let it = model.interp_mut(i)?;
            it.check_finalizer(t)?;
            it.finalizer_waits(unrecorded)?;
            check_word(model, i, seen)
        }
        Step::Finalize(F::WaitTimedOut { guards, word, .. }) => {
            let i = interp()?;
            let it = model.interp_mut(i)?;
            it.check_finalizer(t)?;
            if *guards == 0 {
                return Err(Disallowed::new("LC-3", "a guard wait that timed out to report the guards it waited for"));
            }
            it.abandon_finalization()?;
            model.leave_finalization(t);
            check_word(model, i, word)
        }
        Step::Finalize(F::Began { word: seen, .. }) => {
            let i = interp()?;
            let it = model.interp_mut(i)?;
            it.check_finalizer(t)?;
            it.begin_finalizing()?;
            check_word(model, i, seen)
        }
        Step::Finalize(F::Subinterpreters { .. }) => {
            let i = interp()?;
            let it = model.existing(i)?;
            it.check_finalizer(t)?;
            if i != MAIN || it.phase != Phase::Finalizing {
                return Err(Disallowed::new(
                    "LC-3",
                    "only the main interpreter's finalization, once Finalizing, finalizes the others",
                ));
            }
            Ok(())
        }
        Step::Finalize(F::TornDown { .. }) => {
            let it = model.interp_mut(interp()?)?;
            it.check_finalizer(t)?;
            it.tear_down()
        }
        Step::Finalize(F::Done { word: seen, .. }) => {
            let i = interp()?;
            let it = model.interp_mut(i)?;
            it.check_finalizer(t)?;
            it.mark_finalized()?;
            if i == MAIN {
                model.finalize_runtime();
            }
            model.leave_finalization(t);
            check_word(model, i, seen)
        }
        Step::Interp(I::Created { gil, policy, word, .. }) => {
            let i = interp()?;
            model.register(i, *gil, Some(*policy))?;
            check_word(model, i, word)
        }
        Step::Interp(I::Listed { ids }) => model.check_listing(ids),
        Step::Interp(I::RunStarted { .. }) => {
            let it = model.interp_mut(interp()?)?;
            match it.activity {
                Activity::Idle => {
                    it.activity = Activity::Running(t);
                    Ok(())
                }
                Activity::Running(other) => {
                    Err(Disallowed::new("RUN-1", format!("a refusal: a run by {other} is in progress")))
                }
                Activity::Closing => Err(Disallowed::new("RUN-1", "a refusal: the interpreter is being destroyed")),
            }
        }
        Step::Interp(I::RunRefused { activity, .. }) => {
            let it = model.existing(interp()?)?;
            let running = matches!(it.activity, Activity::Running(_));
            // A destroy's claim is not recorded: `destroying` is accepted
            // whenever no run is in progress.
            if running == (*activity == RunActivity::Destroying) {
                let expected = if running {
                    "the state running=true: a run is in progress"
                } else {
                    "the run to start: none is in progress"
                };
                return Err(Disallowed::new("RUN-1", expected));
            }
            Ok(())
        }
        Step::Interp(I::RunEnded { .. }) => {
            let it = model.interp_mut(interp()?)?;
            if it.activity != Activity::Running(t) {
                return Err(Disallowed::new("RUN-1", "the end of a run this thread started"));
            }
            it.activity = Activity::Idle;
            Ok(())
        }
        Step::Interp(I::DestroyRefused { .. }) => {
            let it = model.existing(interp()?)?;
            if !matches!(it.activity, Activity::Running(_)) {
                return Err(Disallowed::new("RUN-1", "the destroy to proceed: no run is in progress"));
            }
            Ok(())
        }
        Step::Interp(I::DestroyEnded { ok, .. }) => {
            let it = model.existing(interp()?)?;
            if *ok && it.phase != Phase::Finalized {
                return Err(Disallowed::new("LC-3", "a destroy to succeed only once the interpreter is finalized"));
            }
            Ok(())
        }
        Step::Interp(I::ThreadSpawned { kind, non_daemon, daemon, .. }) => {
            let it = model.interp_mut(interp()?)?;
            it.start_thread(*kind)?;
            check_thread_counts(it, *non_daemon, *daemon)
        }
        Step::Interp(I::ThreadStarted { .. }) => {
            let i = interp()?;
            let thread = model.thread_mut(t);
            if !thread.slots.is_empty() || thread.holding.is_some() {
                return Err(Disallowed::new("TR-2", "thread.start as a new thread's first step"));
            }
            *thread = ThreadModel::with_home(i);
            Ok(())
        }
        Step::Interp(I::ThreadExited { kind, non_daemon, daemon, .. }) => {
            let it = model.interp_mut(interp()?)?;
            it.end_thread(*kind)?;
            check_thread_counts(it, *non_daemon, *daemon)
        }
        Step::Interp(I::SpawnRefused { .. }) => {
            let it = model.existing(interp()?)?;
            if !it.threads_closed && !it.requested && it.phase == Phase::Running {
                return Err(Disallowed::new("LC-7", "the thread to start: no finalization closed the door"));
            }
            Ok(())
        }
        // Checked by the replay (it follows the thread's refused guard).
        Step::Interp(I::AttachRefused { .. }) => Ok(()),
        Step::Gil(G::Blocked { gil: seen, .. }) => {
            let i = interp()?;
            check_gil_owner(model, i, seen)?;
            let waiting_before = model.gil_waiters(i);
            model.gil_block(t, i)?;
            check_gil(seen, true, waiting_before)
        }
        Step::Gil(G::Acquired { gil: seen, .. }) => {
            let i = interp()?;
            check_gil_owner(model, i, seen)?;
            model.gil_acquire(t, i)?;
            check_gil(seen, true, model.gil_waiters(i))
        }
        Step::Gil(G::Released { gil: seen, .. }) => {
            let i = interp()?;
            check_gil_owner(model, i, seen)?;
            model.gil_release(t, i)?;
            check_gil(seen, false, model.gil_waiters(i))
        }
        Step::ThreadState(T::Ensured { case, count, present, .. }) => {
            let i = interp()?;
            let thread = model.thread_mut(t);
            if thread.holding != Some(i) {
                return Err(Disallowed::new(
                    "TS-1",
                    format!("the thread attached to interpreter {i} (its GIL taken) when ensure returns"),
                ));
            }
            let ensured = thread.ensure(i, *case)?;
            if ensured.count != *count {
                return Err(Disallowed::new("TS-1", format!("count={} after the ensure", ensured.count)));
            }
            if !*present {
                return Err(Disallowed::new("TS-1", "the ensured thread state in the thread's record"));
            }
            Ok(())
        }
        Step::ThreadState(T::Released { count, present, .. }) => {
            let i = interp()?;
            let thread = model.thread_mut(t);
            match thread.innermost_interp() {
                Some(innermost) if innermost == i => {}
                Some(innermost) => {
                    return Err(Disallowed::new(
                        "TS-2",
                        format!("the innermost token (on interpreter {innermost}) released first"),
                    ));
                }
                None => return Err(Disallowed::new("TS-2", "an outstanding token to release")),
            }
            let released = thread.release_innermost()?;
            if released.count != *count || released.deleted == *present {
                let what = if released.deleted { "deleted" } else { "kept" };
                return Err(Disallowed::new("TS-2", format!("count={} and the thread state {what}", released.count)));
            }
            if released.detached && thread.holding == Some(i) {
                return Err(Disallowed::new(
                    "TS-2",
                    format!("the thread detached from interpreter {i} (its GIL released) first"),
                ));
            }
            if let Some((slot, Some(previous))) = released.restore {
                thread.restore = Restore::Pending { slot, interp: previous };
            }
            Ok(())
        }
        Step::ThreadState(T::AllowThreadsDetach { .. }) => {
            let i = interp()?;
            let thread = model.thread_mut(t);
            if thread.holding.is_some() || thread.current_interp() != Some(i) {
                return Err(Disallowed::new(
                    "TS-6",
                    format!("an attached thread of interpreter {i} releasing its GIL first"),
                ));
            }
            let slot = thread.current.take().expect("checked above");
            thread.allowing.push(slot);
            Ok(())
        }
        Step::ThreadState(T::AllowThreadsAttach { .. }) => {
            let i = interp()?;
            let thread = model.thread_mut(t);
            let slot = thread.allowing.pop();
            if thread.holding != Some(i) || slot.and_then(|s| thread.slot_interp(s)) != Some(i) {
                return Err(Disallowed::new(
                    "TS-6",
                    format!("the end of an allow_threads on interpreter {i}, its GIL taken back"),
                ));
            }
            thread.current = slot;
            Ok(())
        }
        Step::Channel(_) | Step::Xi(_) => Err(Disallowed::new("TR-2", "a lifecycle step")),
        // The event enums are `#[non_exhaustive]`; a step newer than these
        // rules fails loudly here (and in this crate's tests), not silently.
        _ => Err(Disallowed::new("TR-2", format!("a step the lifecycle model has a rule for, not {step:?}"))),
    }
}

/// A thread restoring its previous thread state after a release re-attaches
/// to it (its next GIL step) while counting an unrecorded guard; any other
/// step of that thread comes after the restore ended (or was refused).
fn settle_restore(model: &mut Lifecycle, e: &Entry) {
    let Some(thread) = model.thread_ref(e.thread) else { return };
    let keep = match thread.restore {
        Restore::Idle => return,
        Restore::Pending { interp, .. } => {
            matches!(e.step, Some(Step::Gil(G::Acquired { .. } | G::Blocked { .. }))) && e.interp == Some(interp)
        }
        Restore::Attached { .. } => false,
    };
    if keep {
        if let (Restore::Pending { slot, .. }, Some(Step::Gil(G::Acquired { .. }))) = (thread.restore, &e.step) {
            model.thread_mut(e.thread).current = Some(slot);
        }
        return;
    }
    model.thread_mut(e.thread).restore = Restore::Idle;
}

/// The recorded word against the model's: the phase, the flags, and the
/// guard count, which may exceed the model's by guards no event records.
/// The requested and draining flags are compared only while running (once
/// Finalizing the protocol no longer reads them); `finalizer-waiting` always.
fn check_word(model: &Lifecycle, interp: u64, seen: &Word) -> Result<(), Disallowed> {
    let it = model.existing(interp)?;
    let word = it.word();
    let extra = model.phantom_guards(interp);
    let guards_ok = seen.guards >= word.guards && seen.guards <= word.guards + extra;
    let flags_ok = match seen.phase {
        Phase::Running => {
            seen.requested == word.requested && seen.draining == word.draining && seen.waiting == word.waiting
        }
        _ => seen.waiting == word.waiting,
    };
    if seen.phase == word.phase && guards_ok && flags_ok {
        return Ok(());
    }
    let slack = if extra > 0 {
        format!(" (guards up to {} with unrecorded restores)", word.guards + extra)
    } else {
        String::new()
    };
    Err(Disallowed::new("TR-3", format!("the word {word}{slack}")))
}

/// The recorded running-thread counts against the model's.
fn check_thread_counts(it: &Interp, non_daemon: usize, daemon: usize) -> Result<(), Disallowed> {
    if (non_daemon, daemon) != (it.non_daemon, it.daemon) {
        return Err(Disallowed::new("LC-7", format!("non-daemon={} daemon={}", it.non_daemon, it.daemon)));
    }
    Ok(())
}

fn check_gil_owner(model: &Lifecycle, interp: u64, seen: &GilState) -> Result<(), Disallowed> {
    let owner = model.existing(interp)?.gil;
    if owner != seen.owner {
        return Err(Disallowed::new("GIL-1", format!("interpreter {interp} to take GIL I{owner}")));
    }
    Ok(())
}

fn check_gil(seen: &GilState, held: bool, waiters: usize) -> Result<(), Disallowed> {
    if seen.held != held || seen.waiters != waiters {
        let state = if held { "held" } else { "free" };
        return Err(Disallowed::new("GIL-1", format!("GIL I{} {state} with {waiters} waiter(s)", seen.owner)));
    }
    Ok(())
}
