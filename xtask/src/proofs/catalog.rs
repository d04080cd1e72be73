//! Every SPIN proof, described in one table: which wrapper spec, which
//! property, what must come of it, and the exact pan options.
//!
//! The options are fixed on purpose: pan's depth-first search is
//! deterministic for a given spec and option set, so the trails of the
//! must-fail proofs are reproducible and can be compared with golden files.

/// What a proof checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Assertions and invalid end states (deadlocks): pan compiled with
    /// `-DSAFETY -DNOCLAIM`, any `ltl` in the spec ignored.
    Safety,
    /// The named `ltl` formula, as an acceptance-cycle search under weak
    /// fairness (`pan -a -f -N name`).
    Ltl(&'static str),
}

/// The violations pan reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    Assertion,
    InvalidEndState,
    AcceptanceCycle,
}

impl Violation {
    pub fn describe(self) -> &'static str {
        match self {
            Violation::Assertion => "assertion violated",
            Violation::InvalidEndState => "invalid end state",
            Violation::AcceptanceCycle => "acceptance cycle",
        }
    }
}

/// What must come of a proof for it to pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// No error in a complete search.
    Holds,
    /// pan must find this violation and write a trail. Known bugs, legacy
    /// protocols, mutants of the real protocol, and the starvation
    /// counterexample.
    Fails(Violation),
}

#[derive(Clone, Copy, Debug)]
pub struct Proof {
    /// The wrapper spec in `proofs/` (it `#include`s the protocol spec).
    pub spec: &'static str,
    pub check: Check,
    pub expect: Expect,
    /// Extra C compiler flags for pan (`-DCOLLAPSE`, `-DVECTORSZ=...`, `-O2`).
    pub cflags: &'static [&'static str],
    /// Extra pan options, e.g. `-E` (ignore invalid end states) for a
    /// bug spec that is about an assertion when a hang is also reachable.
    pub pan_flags: &'static [&'static str],
    /// Maximum search depth (`pan -m`). A holding proof fails if the search
    /// hits it (the search would be incomplete); for a must-fail proof it
    /// also chooses which counterexample is found first.
    pub depth: u32,
    /// Hash table size exponent (`pan -w`).
    pub hash_bits: u32,
    /// pan's memory limit in MB (`-DMEMLIM`).
    pub memory_mb: u32,
    /// One line for the table.
    pub about: &'static str,
}

impl Proof {
    /// `<spec stem>.<property>`: names the log and the work directory.
    pub fn id(&self) -> String {
        format!("{}.{}", self.stem(), self.property())
    }

    /// The spec file name without `.pml`: names the golden trail.
    pub fn stem(&self) -> &'static str {
        self.spec.strip_suffix(".pml").unwrap_or(self.spec)
    }

    pub fn property(&self) -> &'static str {
        match self.check {
            Check::Safety => "safety",
            Check::Ltl(name) => name,
        }
    }

    /// The table's kind column.
    pub fn kind(&self) -> String {
        match (self.check, self.expect) {
            (Check::Safety, Expect::Holds) => "safety".to_owned(),
            (Check::Ltl(_), Expect::Holds) => "liveness-ltl".to_owned(),
            (_, Expect::Fails(v)) => format!("must-fail ({})", v.describe()),
        }
    }

    /// Flags for `cc` when compiling pan.c.
    pub fn compile_flags(&self) -> Vec<String> {
        let mut flags = vec![format!("-DMEMLIM={}", self.memory_mb)];
        if self.check == Check::Safety {
            flags.extend(["-DSAFETY".to_owned(), "-DNOCLAIM".to_owned()]);
        }
        flags.extend(self.cflags.iter().map(|f| (*f).to_owned()));
        if !self.cflags.iter().any(|f| f.starts_with("-O")) {
            // pan.c compiles in ~0.5 s at -O0 and ~2.5 s at -O2; the small
            // models search faster than -O2 compiles.
            flags.push("-O0".to_owned());
        }
        flags
    }

    /// Options for `./pan`.
    pub fn run_flags(&self) -> Vec<String> {
        let mut flags = vec![format!("-m{}", self.depth), format!("-w{}", self.hash_bits)];
        if let Check::Ltl(name) = self.check {
            flags.extend(["-a".to_owned(), "-f".to_owned(), "-N".to_owned(), name.to_owned()]);
        }
        flags.extend(self.pan_flags.iter().map(|f| (*f).to_owned()));
        flags
    }
}

const fn proof(spec: &'static str, check: Check, expect: Expect, about: &'static str) -> Proof {
    Proof { spec, check, expect, cflags: &[], pan_flags: &[], depth: 10_000, hash_bits: 20, memory_mb: 1024, about }
}

const SAFE: Check = Check::Safety;
const HOLDS: Expect = Expect::Holds;
const ASSERTION: Expect = Expect::Fails(Violation::Assertion);
const DEADLOCK: Expect = Expect::Fails(Violation::InvalidEndState);
const CYCLE: Expect = Expect::Fails(Violation::AcceptanceCycle);

/// Every proof, in the order they run (and appear in tables).
pub const PROOFS: &[Proof] = &[
    // ---- lifecycle: the real protocol, both policies ----
    proof(
        "lifecycle_cpython_2holders_2rounds.pml",
        SAFE,
        HOLDS,
        "guards vs finalize (CPython policy): LC-1, LC-2, no deadlock",
    ),
    proof(
        "lifecycle_cpython_2holders_2rounds.pml",
        Check::Ltl("finalizes"),
        HOLDS,
        "finalization completes once the holders are done (CPython policy)",
    ),
    proof(
        "lifecycle_drain_2holders_2rounds.pml",
        SAFE,
        HOLDS,
        "guards vs finalize (drain policy): LC-1, LC-2, no deadlock",
    ),
    proof(
        "lifecycle_drain_2holders_2rounds.pml",
        Check::Ltl("finalizes"),
        HOLDS,
        "finalization completes once the holders are done (drain policy)",
    ),
    proof("lifecycle_cpython_1holder_2finalizers.pml", SAFE, HOLDS, "two finalizers: exactly one returns Ok"),
    // ---- the starvation question ----
    Proof {
        depth: 200,
        ..proof(
            "lifecycle_cpython_2takers.pml",
            Check::Ltl("finalizes"),
            CYCLE,
            "starvation: continuous guard takers keep the finalizer waiting for ever (CPython policy)",
        )
    },
    proof(
        "lifecycle_drain_2takers.pml",
        Check::Ltl("finalizes"),
        HOLDS,
        "no starvation: finalization completes despite continuous guard takers (drain policy)",
    ),
    proof("lifecycle_drain_2takers.pml", SAFE, HOLDS, "continuous guard takers (drain policy): LC-1, LC-2"),
    proof(
        "lifecycle_drain_1requester.pml",
        Check::Ltl("finalizes"),
        HOLDS,
        "no starvation (drain policy, look then fetch_add): refused attempts write nothing once draining",
    ),
    proof(
        "lifecycle_drain_2requesters.pml",
        Check::Ltl("finalizes"),
        HOLDS,
        "no starvation (drain policy, look then fetch_add) with two streams of refused attempts",
    ),
    proof(
        "lifecycle_drain_cas_2requesters.pml",
        Check::Ltl("finalizes"),
        HOLDS,
        "no starvation (drain policy, CAS admission): refused attempts write nothing",
    ),
    // ---- lifecycle mutants: the checks above can fail ----
    proof(
        "lifecycle_mutant_drain_no_look_1requester.pml",
        Check::Ltl("finalizes"),
        CYCLE,
        "mutant (main before 8d8021e): drain-policy acquire counts before it looks; refused attempts starve the finalizer",
    ),
    proof("lifecycle_mutant_no_wakeup_1holder.pml", SAFE, DEADLOCK, "mutant: release never wakes the finalizer"),
    proof(
        "lifecycle_mutant_unlocked_notify_1holder.pml",
        SAFE,
        DEADLOCK,
        "mutant: lost wake-up (notify without the lock)",
    ),
    proof("lifecycle_mutant_acquire_skips_phase_1holder.pml", SAFE, ASSERTION, "mutant: acquire ignores the phase"),
    proof(
        "lifecycle_mutant_no_zero_check_1holder.pml",
        SAFE,
        ASSERTION,
        "mutant: finalize does not wait for zero guards",
    ),
    // ---- thread states: ensure / release / attach / detach ----
    Proof {
        // 2.9 million states: worth -O2 (pan.c compiles in ~3 s) and
        // COLLAPSE compression (235 MB instead of ~400 MB).
        cflags: &["-O2", "-DCOLLAPSE"],
        hash_bits: 24,
        memory_mb: 2048,
        ..proof(
            "thread_state_2threads_2ops.pml",
            SAFE,
            HOLDS,
            "two threads' nested ensures over main and sub vs finalize: back to the start, owned states deleted at zero",
        )
    },
    proof("thread_state_1thread_3ops.pml", SAFE, HOLDS, "one thread, nested ensures up to 3: the same, deeper"),
    proof(
        "thread_state_1thread_3ops.pml",
        Check::Ltl("finalizes"),
        HOLDS,
        "finalization of sub completes once the thread's guard and view tokens are released",
    ),
    proof(
        "thread_state_daemon_from_view.pml",
        SAFE,
        HOLDS,
        "daemon with EnsureFromView: cannot hang at re-attach, even with CPython's attach",
    ),
    proof(
        "thread_state_daemon_from_view.pml",
        Check::Ltl("finalizes"),
        HOLDS,
        "daemon with EnsureFromView: finalization completes",
    ),
    proof(
        "thread_state_daemon_guard_closed.pml",
        SAFE,
        DEADLOCK,
        "known bug: Ensure(guard), close the guard, detach: the daemon hangs at its next attach",
    ),
    proof("thread_state_mutant_no_restore_1thread_3ops.pml", SAFE, ASSERTION, "mutant: release does not restore"),
    proof(
        "thread_state_mutant_keep_owned_1thread_3ops.pml",
        SAFE,
        ASSERTION,
        "mutant: release keeps an owned state at zero",
    ),
    // ---- channels ----
    proof(
        "channel_2senders_timeout_close.pml",
        SAFE,
        HOLDS,
        "send with timeout, send, recv, unforced close: delivered once or withdrawn, ledger balanced",
    ),
    proof(
        "channel_2senders_timeout_close.pml",
        Check::Ltl("woken"),
        HOLDS,
        "a blocked sender is eventually woken (timeout, unforced close)",
    ),
    proof(
        "channel_2senders_force_close.pml",
        SAFE,
        HOLDS,
        "force-close: dropped items accounted for, ledger balanced",
    ),
    proof(
        "channel_2senders_force_close.pml",
        Check::Ltl("woken"),
        HOLDS,
        "a blocked sender is eventually woken (force-close)",
    ),
    proof(
        "channel_unbound_3policies.pml",
        SAFE,
        HOLDS,
        "interpreter destroyed: replace / error / remove, every item accounted for",
    ),
    proof(
        "channel_mutant_withdraw_keeps_closing.pml",
        SAFE,
        DEADLOCK,
        "mutant: a withdrawal that drains a closing channel does not close it",
    ),
    proof(
        "channel_bug_timeout_keeps_item.pml",
        SAFE,
        ASSERTION,
        "known bug: timeout without withdrawal delivers an item whose sender saw Timeout",
    ),
    proof(
        "channel_bug_force_close_no_wake.pml",
        SAFE,
        DEADLOCK,
        "known bug: force-close does not wake the blocked sender",
    ),
    // ---- cross-interpreter data: XiData, pending calls, XiView ----
    proof(
        "xi_view_and_pending_call.pml",
        SAFE,
        HOLDS,
        "XiView + pending-call release: freed exactly once, never touched after, no open view at finalize",
    ),
    proof(
        "xi_view_and_pending_call.pml",
        Check::Ltl("freed_eventually"),
        HOLDS,
        "the object is eventually freed",
    ),
    proof("xi_mutant_view_without_guard.pml", SAFE, ASSERTION, "mutant: an XiView without a guard on the owner"),
    proof(
        "xi_bug_receiver_decref.pml",
        SAFE,
        ASSERTION,
        "known bug: receiver decrefs under its own GIL: use after free",
    ),
    proof(
        "xi_bug_concurrent_decref_leak.pml",
        SAFE,
        ASSERTION,
        "known bug: owner and receiver decref under their own GILs: leak",
    ),
    proof(
        "xi_bug_pending_call_after_owner_gone.pml",
        SAFE,
        ASSERTION,
        "known bug: release by pending call after the owner is gone: leak",
    ),
    // ---- known bugs: the naive lifecycles of models/lifecycle/naive.rs ----
    proof(
        "lifecycle_naive_check_then_increment_1holder.pml",
        SAFE,
        ASSERTION,
        "known bug: acquire checks the phase, then increments (torn down under a holder)",
    ),
    proof(
        "lifecycle_naive_finalize_does_not_wait_1holder.pml",
        SAFE,
        ASSERTION,
        "known bug: finalize does not wait for held guards (torn down under a holder)",
    ),
    // ---- known bugs: CPython's legacy APIs ----
    proof(
        "gilstate_ensure_during_finalization.pml",
        SAFE,
        DEADLOCK,
        "legacy: PyGILState_Ensure during finalization hangs the native thread",
    ),
    Proof {
        // The thread may also come while the interpreter still exists and
        // hang (the spec above); -E sets hangs aside to reach the crash.
        pan_flags: &["-E"],
        ..proof(
            "gilstate_isfinalizing_then_attach.pml",
            SAFE,
            ASSERTION,
            "legacy: Py_IsFinalizing() then attach: attaches to a freed interpreter",
        )
    },
    proof(
        "gilstate_wrong_interpreter.pml",
        SAFE,
        ASSERTION,
        "legacy: PyGILState_Ensure picks the main interpreter: a subinterpreter object decref'd there",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique() {
        let mut ids: Vec<String> = PROOFS.iter().map(Proof::id).collect();
        ids.sort();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len());
    }

    #[test]
    fn each_spec_has_at_most_one_trail() {
        // Golden trails are named after the spec alone.
        for p in PROOFS {
            let failing = PROOFS.iter().filter(|q| q.spec == p.spec && matches!(q.expect, Expect::Fails(_))).count();
            assert!(failing <= 1, "{} has {failing} must-fail proofs", p.spec);
        }
    }

    #[test]
    fn every_spec_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("proofs");
        for p in PROOFS {
            assert!(dir.join(p.spec).is_file(), "proofs/{} is missing", p.spec);
        }
    }

    #[test]
    fn ltl_proofs_run_under_weak_fairness() {
        let p = PROOFS.iter().find(|p| matches!(p.check, Check::Ltl(_))).expect("an ltl proof");
        let flags = p.run_flags();
        assert!(flags.contains(&"-a".to_owned()) && flags.contains(&"-f".to_owned()));
        assert!(!p.compile_flags().contains(&"-DNOCLAIM".to_owned()));
    }
}
