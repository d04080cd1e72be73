//! Naive lifecycles, for the known-bug models only: each is the real
//! protocol with one flaw, written against the same facade so that loom and
//! shuttle can find what goes wrong, and recording the same trace events.
//!
//! Every atomic is `SeqCst`, and the checks read with an RMW (`fetch_add(0)`),
//! which always sees the latest value: loom models `SeqCst` loads as
//! `Acquire`, so a plain load could read a stale count, a second flaw that
//! would hide the first. The flaw here is the window between two steps, and
//! the counterexample should show exactly that window.
use xinterp::sync::atomic::{AtomicUsize, Ordering};
use xinterp::sync::{thread, Arc, Mutex};
use xinterp::trace::custom as record;
use xinterp_check::{LoomBounds, Scenario};

const RUNNING: usize = 0;
const FINALIZING: usize = 1;

/// The flaw a naive lifecycle has.
#[derive(Clone, Copy, Debug)]
enum Flaw {
    /// `acquire` reads the phase, then increments the count separately.
    CheckThenIncrement,
    /// `finalize` does not wait for held guards.
    FinalizeDoesNotWait,
}

struct Naive {
    flaw: Flaw,
    phase: AtomicUsize,
    guards: AtomicUsize,
    /// The interpreter's state; `None` once torn down.
    state: Mutex<Option<u32>>,
}

const INTERP: Option<u64> = Some(1);

impl Naive {
    fn words(&self, phase: usize, guards: usize) -> String {
        let phase = if phase == RUNNING { "running" } else { "finalizing" };
        format!("phase={phase} guards={guards}")
    }

    fn acquire(&self) -> bool {
        match self.flaw {
            Flaw::CheckThenIncrement => {
                let phase = self.phase.fetch_add(0, Ordering::SeqCst);
                if phase != RUNNING {
                    record(INTERP, "guard.acquire", "refused: finalizing", self.words(phase, 0));
                    return false;
                }
                record(INTERP, "guard.check", "phase is running", "");
                // FLAW: the finalizer may run between the check and this increment.
                let guards = self.guards.fetch_add(1, Ordering::SeqCst) + 1;
                // Only the count: the phase was read before, and may be stale.
                record(INTERP, "guard.acquire", "ok", format!("guards={guards}"));
                true
            }
            Flaw::FinalizeDoesNotWait => {
                let guards = self.guards.fetch_add(1, Ordering::SeqCst) + 1;
                let phase = self.phase.fetch_add(0, Ordering::SeqCst);
                if phase != RUNNING {
                    self.guards.fetch_sub(1, Ordering::SeqCst);
                    record(INTERP, "guard.acquire", "refused: finalizing", self.words(phase, guards - 1));
                    return false;
                }
                record(INTERP, "guard.acquire", "ok", self.words(phase, guards));
                true
            }
        }
    }

    fn release(&self) {
        let guards = self.guards.fetch_sub(1, Ordering::SeqCst) - 1;
        record(INTERP, "guard.release", "ok", format!("guards={guards}"));
    }

    fn finalize(&self) {
        if let Flaw::CheckThenIncrement = self.flaw {
            // Waits for zero guards, but the check and the phase change are
            // two steps, and acquire's check and increment are two more.
            loop {
                let guards = self.guards.fetch_add(0, Ordering::SeqCst);
                if guards == 0 {
                    record(INTERP, "finalize.check", "no guard is held", "guards=0");
                    break;
                }
                record(INTERP, "finalize.wait", "blocked until no guard is held", format!("guards={guards}"));
                thread::yield_now();
            }
        }
        // FinalizeDoesNotWait: FLAW, straight on to Finalizing.
        self.phase.store(FINALIZING, Ordering::SeqCst);
        record(INTERP, "finalize.begin", "ok: no guard can be taken now", "phase=finalizing");
        self.state.lock().take();
        record(INTERP, "finalize.teardown", "dropped the state", "state=gone");
    }

    fn use_state(&self) {
        let mut state = self.state.lock();
        match state.as_mut() {
            Some(v) => *v += 1,
            None => panic!("invariant LC-2 violated: interpreter 1 was torn down while a guard was held"),
        }
        record(INTERP, "guard.use", "state read and written", "");
    }
}

/// One holder promotes and uses the interpreter while a finalizer runs.
fn holder_vs_finalizer(flaw: Flaw) {
    let naive = Arc::new(Naive {
        flaw,
        phase: AtomicUsize::new(RUNNING),
        guards: AtomicUsize::new(0),
        state: Mutex::new(Some(0)),
    });
    let holder = {
        let naive = Arc::clone(&naive);
        thread::spawn_named("holder", move || {
            if naive.acquire() {
                naive.use_state();
                naive.release();
            }
        })
    };
    let finalizer = {
        let naive = Arc::clone(&naive);
        thread::spawn_named("finalizer", move || naive.finalize())
    };
    holder.join().unwrap();
    finalizer.join().unwrap();
}

/// Known bug: acquire checks the phase, then increments the count in a
/// second step (the `Py_IsFinalizing()`-then-attach shape). The finalizer can
/// see zero guards in between, tear the interpreter down, and the holder then
/// uses freed state.
///
/// loom: exhaustive (3 threads: main, holder, finalizer).
#[test]
fn bug_check_then_increment() {
    let cex = Scenario::new("lifecycle::naive::bug_check_then_increment")
        .loom(LoomBounds::default())
        .expect_bug(|| holder_vs_finalizer(Flaw::CheckThenIncrement));
    if let Some(cex) = cex {
        assert!(cex.message.contains("LC-2"), "the violation is LC-2: {}", cex.message);
        cex.assert_golden();
    }
}

/// Known bug: finalize enters Finalizing and tears down without waiting for
/// the guards already held.
///
/// loom: exhaustive (3 threads: main, holder, finalizer).
#[test]
fn bug_finalize_does_not_wait() {
    let cex = Scenario::new("lifecycle::naive::bug_finalize_does_not_wait")
        .loom(LoomBounds::default())
        .expect_bug(|| holder_vs_finalizer(Flaw::FinalizeDoesNotWait));
    if let Some(cex) = cex {
        assert!(cex.message.contains("LC-2"), "the violation is LC-2: {}", cex.message);
        cex.assert_golden();
    }
}
