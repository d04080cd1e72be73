//! The lifecycle word's orderings, with teeth: data that only the word's
//! `Release`/`Acquire` pairs order (`src/interp/lifecycle.rs`, `#
//! Orderings`). Each scenario writes a facade `UnsafeCell` on one thread and
//! reads it on another with nothing but the lifecycle word between them (no
//! GIL, no wait lock on the path loom explores first), so a weakened
//! ordering is a loom data race. `cargo xtask mutants --orderings` weakens
//! each ordering in turn and requires these to fail.
//!
//! Invariant (`docs/invariants.md`): LC-8 (what a guard holder did under
//! its guard happens before teardown and before `finalize` returns; a
//! thread that reads Finalized sees the finalization).
use super::{assert_finalized, spawn_finalizer};
use xinterp::sync::{thread, Arc, UnsafeCell};
use xinterp::{GuardError, Phase, Runtime};
use xinterp_check::{reach, LoomBounds, Scenario};

/// A value written on one thread and read on another, whose accesses loom
/// checks for happens-before.
struct Note(UnsafeCell<Option<u32>>);

// SAFETY: the scenarios' claim is that every write happens before every
// read that could see it (the lifecycle word orders them); under loom every
// access is checked against exactly that, and a violation is the failure.
#[allow(unsafe_code)]
unsafe impl Sync for Note {}

// SAFETY (both accesses): see `impl Sync`: loom reports an access not
// ordered after the others.
#[allow(unsafe_code)]
impl Note {
    fn new() -> Arc<Self> {
        Arc::new(Self(UnsafeCell::new(None)))
    }

    fn write(&self, value: u32) {
        self.0.with_mut(|p| unsafe { *p = Some(value) });
    }

    fn read(&self) -> Option<u32> {
        self.0.with(|p| unsafe { *p })
    }
}

/// A guard holder writes data it owns under its guard, without attaching
/// (no GIL); the finalizer's thread reads it once `finalize` returned.
///
/// Invariant: LC-8 (the holder's write happens before `finalize` returns:
/// the `Release` decrement of `Lifecycle::release` and the `Acquire` CAS
/// into Finalizing; weakening either is a loom data race on the note); the
/// finalizer reads what the holder wrote, or nothing if the holder was
/// refused (LC-1); LC-3 (the finalizer succeeds).
///
/// loom: exhaustive (no preemption bound): 2 threads (main holds the
/// guard, the finalizer).
#[test]
fn guard_holder_writes_before_teardown() {
    Scenario::new("lifecycle::orderings::guard_holder_writes_before_teardown")
        .witness("written", "the holder wrote under its guard; the finalizer read it after finalize returned")
        .witness("refused", "finalization began first: the holder was refused and wrote nothing")
        .witness_event(
            "finalizer_waited",
            "the finalizer slept until the holder's release (the wait lock orders that case too)",
            super::finalizer_waits,
        )
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let sub = runtime.create().unwrap();
            let note = Note::new();
            let finalizer = {
                let (sub, note) = (sub.clone(), Arc::clone(&note));
                thread::spawn_named("finalizer", move || sub.finalize().map(|()| note.read()))
            };
            let written = match sub.guard() {
                Ok(guard) => {
                    // Not attached: only the guard orders this write.
                    note.write(1);
                    drop(guard);
                    reach("written");
                    Some(1)
                }
                Err(GuardError::Finalizing(_) | GuardError::Gone(_)) => {
                    reach("refused");
                    None
                }
                Err(other) => panic!("unexpected refusal: {other}"),
            };
            let read = finalizer.join().unwrap().expect("LC-3: the finalizer must succeed");
            assert_eq!(read, written, "invariant LC-8 violated: the finalizer did not see the holder's write");
            assert_eq!(sub.phase(), Phase::Finalized, "LC-3: finalization must complete");
        });
}

/// An at-exit callback (run by the finalizer, attached) writes a note; a
/// thread that reads the phase Finalized, without attaching, reads it.
///
/// Invariant: LC-8 (whoever sees Finalized sees the finalization: the
/// `Release` `fetch_add` of `Lifecycle::mark_finalized` and the `Acquire`
/// load of `Lifecycle::phase`; weakening either is a loom data race on the
/// note); LC-3 at the end.
///
/// loom: exhaustive (no preemption bound): 2 threads (main observes, the
/// finalizer).
#[test]
fn finalized_phase_publishes_finalization() {
    Scenario::new("lifecycle::orderings::finalized_phase_publishes_finalization")
        .witness("saw_finalized", "the observer read Finalized, then the at-exit callback's note")
        .witness("saw_unfinished", "the observer read the phase before finalization finished")
        .loom(LoomBounds::default())
        .check(|| {
            let runtime = Runtime::new();
            let sub = runtime.create().unwrap();
            let note = Note::new();
            {
                let note = Arc::clone(&note);
                sub.at_exit(move |_| note.write(7)).expect("running");
            }
            let finalizer = spawn_finalizer(&sub);
            if sub.phase() == Phase::Finalized {
                let seen = note.read();
                assert_eq!(
                    seen,
                    Some(7),
                    "invariant LC-8 violated: Finalized read, the at-exit callback's note not seen"
                );
                reach("saw_finalized");
            } else {
                reach("saw_unfinished");
            }
            assert_finalized(&sub, finalizer);
        });
}
