//! Known bugs of CPython's legacy thread-state API, for the models only:
//! `PyGILState_Ensure`, `Py_IsFinalizing()`, and PEP 788's
//! Ensure(guard)-then-close-guard daemon pattern. Nothing here is
//! xinterp's production API; each function is a minimal legacy version
//! written against the facade (like `naive.rs`), recording the same kind
//! of trace events, so that loom and shuttle find what goes wrong and the
//! golden traces show it.
//!
//! | scenario                                  | CPython                                                  | violation | the xinterp rule that prevents it |
//! |-------------------------------------------|----------------------------------------------------------|-----------|-----------------------------------|
//! | `bug_gilstate_ensure_hangs_during_finalization` | a native thread calls `PyGILState_Ensure` once finalization began: since 3.14 `take_gil` calls `PyThread_hang_thread()` (gh-87135, gh-124619) | LEG-1 | attaching is guard-backed and a refused guard is a typed error: `ensure_from_view` returns `GuardError`, `InterpreterThread::attach` too |
//! | `bug_is_finalizing_then_attach`           | `if (!Py_IsFinalizing()) { PyGILState_Ensure(); … }`: finalization starts and tears down between the check and the attach | LC-2 | every attach is guard-backed, and a guard is admitted by one RMW on the lifecycle word (`Lifecycle::acquire`): no window between check and attach |
//! | `bug_gilstate_ensure_wrong_interpreter`   | `PyGILState_Ensure` always attaches to the main interpreter, so a subinterpreter's object is released under the main interpreter | LEG-2 | there is no implicit interpreter: `thread_state::ensure(&guard)` / `ensure_from_view(&view)` name it, and `Attached` carries it |
//! | `bug_daemon_guard_closed_then_reattach`   | a daemon thread does `PyThreadState_Ensure(guard)`, closes the guard, detaches (`Py_BEGIN_ALLOW_THREADS`), and hangs at its next attach because the interpreter finalized meanwhile | LEG-3 | a `Token` borrows its guard (closing it first does not compile), `ensure_from_view` holds its own guard until release, and `allow_threads` re-attaches under that guard; `InterpreterThread::attach` takes a guard per attach and returns a typed error |
//!
//! The hang is modelled by [`hang_thread`], which reports the violation
//! "a thread hangs forever" at the point where CPython calls
//! `PyThread_hang_thread()`: that is where liveness is lost. A real block
//! would be a deadlock, which loom reports by aborting the process.
use xinterp::sync::atomic::{AtomicUsize, Ordering};
use xinterp::sync::{thread, Arc, Condvar, Mutex};
use xinterp::trace::custom as record;
use xinterp_check::{LoomBounds, Scenario};

/// A legacy interpreter: its GIL, the finalizing flag `Py_IsFinalizing()`
/// reads, a PEP 788 guard word (bit 0: finalizing; the rest: guards), and
/// its state (`None` once torn down).
struct Interp {
    id: u64,
    gil: Mutex<bool>,
    gil_released: Condvar,
    /// 1 once the finalizer set it (while holding the GIL).
    finalizing: AtomicUsize,
    guards: AtomicUsize,
    state: Mutex<Option<u32>>,
}

const GUARD_FINALIZING: usize = 1;
const ONE_GUARD: usize = 2;

impl Interp {
    fn new(id: u64) -> Arc<Self> {
        Arc::new(Self {
            id,
            gil: Mutex::new(false),
            gil_released: Condvar::new(),
            finalizing: AtomicUsize::new(0),
            guards: AtomicUsize::new(0),
            state: Mutex::new(Some(0)),
        })
    }

    fn trace(&self, op: &'static str, outcome: impl std::fmt::Display, state: impl std::fmt::Display) {
        record(Some(self.id), op, outcome, state);
    }

    /// Takes the GIL (`take_gil`), without the finalization check.
    fn take_gil(&self) {
        let mut held = self.gil.lock();
        while *held {
            self.gil_released.wait(&mut held);
        }
        *held = true;
        self.trace("gil.acquire", "ok", format_args!("gil(I{})=held", self.id));
    }

    /// Releases the GIL (`drop_gil`).
    fn drop_gil(&self) {
        let mut held = self.gil.lock();
        *held = false;
        self.trace("gil.release", "ok", format_args!("gil(I{})=free", self.id));
        self.gil_released.notify_one();
    }

    /// Attaches a thread state (`_PyThreadState_Attach`): takes the GIL,
    /// then, as 3.14's `take_gil` does, hangs the thread if the interpreter
    /// is finalizing (read under the GIL, which the finalizer held when it
    /// set the flag).
    fn attach(&self, invariant: &'static str, who: &'static str) {
        self.take_gil();
        if self.finalizing.load(Ordering::Relaxed) != 0 {
            self.drop_gil();
            hang_thread(self, invariant, who);
        }
    }

    /// Uses the interpreter's state (the thread is attached).
    fn use_state(&self) {
        let mut state = self.state.lock();
        match state.as_mut() {
            Some(v) => *v += 1,
            None => panic!("invariant LC-2 violated: interpreter {} was torn down while in use", self.id),
        }
        self.trace("state.use", "read and written", "");
    }

    /// `Py_IsFinalizing()`: reads the flag without the GIL. An RMW, so it
    /// reads the latest value: the flaw is the window after it, not a
    /// stale read (see `naive.rs`).
    fn is_finalizing(&self) -> bool {
        let finalizing = self.finalizing.fetch_add(0, Ordering::SeqCst) != 0;
        self.trace("Py_IsFinalizing", finalizing, "");
        finalizing
    }

    /// `PyInterpreterGuard_FromView`: one CAS loop, admitted only while not
    /// finalizing (the guard protocol itself is sound here).
    fn guard(&self) -> bool {
        let mut word = self.guards.load(Ordering::SeqCst);
        loop {
            if word & GUARD_FINALIZING != 0 {
                self.trace("guard.acquire", "refused: finalizing", "");
                return false;
            }
            match self.guards.compare_exchange(word, word + ONE_GUARD, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => {
                    self.trace("guard.acquire", "ok", format_args!("guards={}", word / ONE_GUARD + 1));
                    return true;
                }
                Err(actual) => word = actual,
            }
        }
    }

    /// `PyInterpreterGuard_Close`.
    fn close_guard(&self) {
        let before = self.guards.fetch_sub(ONE_GUARD, Ordering::SeqCst);
        self.trace("guard.release", "ok", format_args!("guards={}", before / ONE_GUARD - 1));
    }

    /// `Py_EndInterpreter` / `Py_FinalizeEx`, reduced to what the bugs need:
    /// wait until no guard is held and enter finalizing in one CAS (if
    /// `wait_for_guards`), then, holding the GIL, set the finalizing flag and
    /// tear the state down.
    fn finalize(&self, wait_for_guards: bool) {
        if wait_for_guards {
            while self.guards.compare_exchange(0, GUARD_FINALIZING, Ordering::SeqCst, Ordering::SeqCst).is_err() {
                thread::yield_now();
            }
            self.trace("finalize.begin", "ok: no guard is held", "");
        }
        self.take_gil();
        self.finalizing.store(1, Ordering::Relaxed);
        self.trace("finalize.finalizing", "set under the GIL", "finalizing=1");
        self.state.lock().take();
        self.trace("finalize.teardown", "dropped the state", "state=gone");
        self.drop_gil();
    }
}

/// `PyThread_hang_thread()`: the thread would block forever. Reported as
/// the violation at the point where liveness is lost.
fn hang_thread(interp: &Interp, invariant: &'static str, who: &'static str) -> ! {
    interp.trace("thread.hang", "PyThread_hang_thread()", "blocked forever");
    panic!(
        "invariant {invariant} violated: {who} hangs forever (it attached to interpreter {} after finalization began)",
        interp.id
    )
}

/// An object with an owner interpreter and a refcount that may only be
/// touched under the owner's GIL.
struct Object {
    owner: u64,
    refcount: Mutex<usize>,
}

impl Object {
    /// `Py_DECREF`, by a thread attached to `current`.
    fn decref(&self, current: &Interp) {
        assert!(
            current.id == self.owner,
            "invariant LEG-2 violated: an object owned by interpreter {} was released under interpreter {}",
            self.owner,
            current.id
        );
        let mut refcount = self.refcount.lock();
        *refcount -= 1;
        current.trace("object.decref", "ok", format_args!("owner=I{} refcount={}", self.owner, *refcount));
    }
}

/// The legacy runtime: `PyGILState_Ensure` only knows the main interpreter.
struct Runtime {
    main: Arc<Interp>,
}

impl Runtime {
    /// `PyGILState_Ensure()`: this thread has no thread state, so it gets a
    /// new one for the main interpreter (always), and attaches.
    fn gilstate_ensure(&self, invariant: &'static str, who: &'static str) -> &Interp {
        self.main.trace("PyGILState_Ensure", "new thread state for the main interpreter", "");
        self.main.attach(invariant, who);
        &self.main
    }

    /// `PyGILState_Release()`.
    fn gilstate_release(&self) {
        self.main.drop_gil();
    }
}

/// A native thread calls into Python through `PyGILState_Ensure` while the
/// main thread runs `Py_FinalizeEx`.
fn gilstate_ensure_vs_finalize() {
    let runtime = Arc::new(Runtime { main: Interp::new(0) });
    let native = {
        let runtime = Arc::clone(&runtime);
        thread::spawn_named("native", move || {
            let interp = runtime.gilstate_ensure("LEG-1", "a native thread");
            interp.use_state();
            runtime.gilstate_release();
        })
    };
    let finalizer = {
        let runtime = Arc::clone(&runtime);
        thread::spawn_named("finalizer", move || runtime.main.finalize(false))
    };
    native.join().unwrap();
    finalizer.join().unwrap();
}

/// Known bug: `PyGILState_Ensure` during finalization hangs the native
/// thread (gh-87135; gh-124619 is the crash before 3.14 made it a hang).
/// Found when the native thread attaches after the finalizer set the flag.
///
/// Prevented in xinterp: a thread with no thread state attaches through a
/// guard (`ensure(&guard)`) or a view (`ensure_from_view`), whose
/// promotion fails with `GuardError::Finalizing` / `Gone` instead; see
/// `guards::ensure_from_view_vs_finalizer`, where the refusal is a witness.
///
/// loom: exhaustive (3 threads: main, native, finalizer).
#[test]
fn bug_gilstate_ensure_hangs_during_finalization() {
    let cex = Scenario::new("lifecycle::legacy::bug_gilstate_ensure_hangs_during_finalization")
        .loom(LoomBounds::default())
        .expect_bug(gilstate_ensure_vs_finalize);
    if let Some(cex) = cex {
        assert!(cex.message.contains("invariant LEG-1 violated"), "the violation is LEG-1: {}", cex.message);
        cex.assert_golden();
    }
}

/// A native thread checks `Py_IsFinalizing()`, then attaches without a
/// guard; the finalizer sets the flag and tears down in between.
fn is_finalizing_then_attach() {
    let interp = Interp::new(0);
    let native = {
        let interp = Arc::clone(&interp);
        thread::spawn_named("native", move || {
            if !interp.is_finalizing() {
                // FLAW: nothing keeps finalization from starting here. The
                // thread state it re-attaches was freed with the
                // interpreter, so the attach does not check (and cannot:
                // the flag lives in the freed state too).
                interp.take_gil();
                interp.use_state();
                interp.drop_gil();
            }
        })
    };
    let finalizer = {
        let interp = Arc::clone(&interp);
        thread::spawn_named("finalizer", move || interp.finalize(false))
    };
    native.join().unwrap();
    finalizer.join().unwrap();
}

/// Known bug: the `Py_IsFinalizing()`-then-attach race. The check says
/// "running"; the finalizer tears down; the thread attaches and uses freed
/// state (LC-2).
///
/// Prevented in xinterp: every attach is guard-backed, and the guard is
/// admitted by one RMW on the lifecycle word, so "check" and "hold off
/// finalization" are one step (`Lifecycle::acquire`).
///
/// loom: exhaustive (3 threads: main, native, finalizer).
#[test]
fn bug_is_finalizing_then_attach() {
    let cex = Scenario::new("lifecycle::legacy::bug_is_finalizing_then_attach")
        .loom(LoomBounds::default())
        .expect_bug(is_finalizing_then_attach);
    if let Some(cex) = cex {
        assert!(cex.message.contains("invariant LC-2 violated"), "the violation is LC-2: {}", cex.message);
        cex.assert_golden();
    }
}

/// A subinterpreter's thread makes an object and hands it to a native
/// callback thread, which calls back into Python with `PyGILState_Ensure`
/// and drops its reference.
fn gilstate_ensure_wrong_interpreter() {
    let runtime = Arc::new(Runtime { main: Interp::new(0) });
    let sub = Interp::new(1);
    let handoff: Arc<Mutex<Option<Arc<Object>>>> = Arc::new(Mutex::new(None));
    let sub_thread = {
        let (sub, handoff) = (Arc::clone(&sub), Arc::clone(&handoff));
        thread::spawn_named("sub-thread", move || {
            sub.attach("LEG-1", "the subinterpreter's thread");
            let object = Arc::new(Object { owner: sub.id, refcount: Mutex::new(2) });
            sub.trace("object.new", "ok", "owner=I1 refcount=2");
            *handoff.lock() = Some(Arc::clone(&object));
            sub.trace("object.handoff", "passed to a native callback", "");
            object.decref(&sub);
            sub.drop_gil();
        })
    };
    let native = {
        let (runtime, handoff) = (Arc::clone(&runtime), Arc::clone(&handoff));
        thread::spawn_named("native", move || {
            let object = handoff.lock().take();
            if let Some(object) = object {
                record(None, "callback", "calls into Python with the object", format_args!("owner=I{}", object.owner));
                let current = runtime.gilstate_ensure("LEG-1", "the native thread");
                object.decref(current);
                runtime.gilstate_release();
            }
        })
    };
    sub_thread.join().unwrap();
    native.join().unwrap();
}

/// Known bug: `PyGILState_Ensure` picks the main interpreter, so an object
/// of a subinterpreter is released under the wrong interpreter (its
/// refcount touched under the main GIL, freed with the main allocator).
///
/// Prevented in xinterp: `thread_state::ensure(&guard)` and
/// `ensure_from_view(&view)` name the interpreter; there is no default,
/// and `Attached` tells the code which interpreter it is in.
///
/// loom: exhaustive (3 threads: main, sub-thread, native).
#[test]
fn bug_gilstate_ensure_wrong_interpreter() {
    let cex = Scenario::new("lifecycle::legacy::bug_gilstate_ensure_wrong_interpreter")
        .loom(LoomBounds::default())
        .expect_bug(gilstate_ensure_wrong_interpreter);
    if let Some(cex) = cex {
        assert!(cex.message.contains("invariant LEG-2 violated"), "the violation is LEG-2: {}", cex.message);
        cex.assert_golden();
    }
}

/// A daemon thread takes a guard, attaches with it, closes the guard
/// (PEP 788 allows it: the token does not hold the guard), works, detaches
/// around a blocking call, and re-attaches; the interpreter finalizes.
fn daemon_guard_closed_then_reattach() {
    let interp = Interp::new(1);
    let daemon = {
        let interp = Arc::clone(&interp);
        thread::spawn_named("daemon", move || {
            if !interp.guard() {
                return;
            }
            interp.attach("LEG-3", "the daemon thread"); // PyThreadState_Ensure(guard)
            interp.close_guard(); // FLAW: the guard goes; the thread state stays
            interp.use_state();
            interp.drop_gil(); // Py_BEGIN_ALLOW_THREADS
            interp.trace("threadstate.detach", "blocking call", "");
            interp.attach("LEG-3", "the daemon thread"); // Py_END_ALLOW_THREADS
            interp.use_state();
            interp.drop_gil(); // PyThreadState_Release
        })
    };
    let finalizer = {
        let interp = Arc::clone(&interp);
        thread::spawn_named("finalizer", move || interp.finalize(true))
    };
    daemon.join().unwrap();
    finalizer.join().unwrap();
}

/// Known bug: Ensure(guard) then close the guard: the interpreter may
/// finalize as soon as the guard is closed, and the daemon thread hangs at
/// its next attach (PEP 788's "daemon pattern").
///
/// Prevented in xinterp: a `Token` borrows the guard it was ensured with,
/// so the guard cannot be closed first (it does not compile);
/// `ensure_from_view` holds its guard until the release, so
/// `allow_threads` re-attaches under it; an `InterpreterThread` takes a
/// guard for each attach and gets `GuardError` when refused (scenario
/// `finalization::daemon_and_non_daemon_threads`).
///
/// loom: exhaustive (3 threads: main, daemon, finalizer).
#[test]
fn bug_daemon_guard_closed_then_reattach() {
    let cex = Scenario::new("lifecycle::legacy::bug_daemon_guard_closed_then_reattach")
        .loom(LoomBounds::default())
        .expect_bug(daemon_guard_closed_then_reattach);
    if let Some(cex) = cex {
        assert!(cex.message.contains("invariant LEG-3 violated"), "the violation is LEG-3: {}", cex.message);
        cex.assert_golden();
    }
}
