//! Known bugs run in a child process under loom.
//!
//! When loom finds a deadlock it panics from inside its scheduler; its own
//! guards then panic again while unwinding, and the process aborts. A known
//! bug that *is* a deadlock (a lost wake-up, a force-close that does not wake
//! its senders) would take the whole test binary down with it, and a test
//! that passes only when the bug is found could never pass.
//!
//! So under loom, [`Scenario::expect_bug`](super::Scenario::expect_bug)
//! re-runs its own test in a child process (`<test binary> <scenario>
//! --exact`, with `XINTERP_ISOLATED=<scenario>` and a private report
//! directory). The child explores in-process as usual; whether it returns
//! or aborts, the harness has written the counterexample (the panic hook
//! its report, counterexample included, the moment the violation is
//! detected, before any abort), and the parent reads that report back. The parent then reports, compares goldens
//! and fails or passes exactly as an in-process run would.
//!
//! By convention a scenario's name is its test's path in the test binary
//! (`channels::bug_force_close_without_wake`), which is what the child is
//! asked to run; a scenario whose name is not a test path cannot be isolated,
//! and the parent reports the bug as missed with the child's output.
use super::report::{Kind, Outcome, Report, SpecCheck};
use super::run;
use super::validation;
use super::Scenario;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Set in the child to the scenario it must run in-process.
const CHILD_ENV: &str = "XINTERP_ISOLATED";

/// Whether this process is the isolated child running `scenario`.
pub(super) fn is_child_for(scenario: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|s| s == scenario)
}

/// Runs the known-bug `scenario` in a child process and reports what it found.
pub(super) fn run_in_child(scenario: &Scenario) -> Report {
    let plan = run::plan(scenario);
    let dir = private_dir();
    let started = Instant::now();
    let output = std::env::current_exe().and_then(|exe| {
        Command::new(exe)
            .args([scenario.name(), "--exact", "--nocapture", "--test-threads", "1"])
            .env(CHILD_ENV, scenario.name())
            .env("XINTERP_REPORT_DIR", &dir)
            .output()
    });
    let wall = started.elapsed();
    let stem = scenario.name().replace("::", "__");
    let backend = xinterp::sync::BACKEND;
    let child = read_report(&dir.join(backend).join(format!("{stem}.json")));
    let _ = std::fs::remove_dir_all(&dir);
    let executions = child.as_ref().map(|r| r.executions);

    let counterexample = match child.and_then(|r| r.counterexample) {
        Some(cex) => Some(cex),
        None => {
            // No violation recorded: say what the child printed, since a
            // child that never ran the scenario also lands here.
            match &output {
                Ok(out) => eprintln!(
                    "isolated run of {} recorded no violation; its output:\n{}{}",
                    scenario.name(),
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
                Err(e) => eprintln!("could not start the isolated run of {}: {e}", scenario.name()),
            }
            None
        }
    };
    Report {
        scenario: scenario.name().to_owned(),
        backend: backend.to_owned(),
        kind: Kind::Bug,
        bound: plan.bound,
        executions: counterexample.as_ref().map_or(executions.unwrap_or(0), |c| c.execution),
        wall,
        witnesses: Vec::new(),
        outcome: if counterexample.is_some() { Outcome::BugFound } else { Outcome::BugMissed },
        replay: format!(
            "{}\n  (the harness runs this known bug in a child process: see xinterp-check/src/isolate.rs)",
            plan.replay
        ),
        // Known-bug executions are not validated (they run a broken protocol
        // on purpose); the model's verdict on the counterexample is, as in
        // an in-process run.
        spec: SpecCheck::KnownBug,
        spec_on_counterexample: counterexample
            .as_ref()
            .filter(|c| crate::trace::ENABLED && !validation::is_rejection(&c.message))
            .map(|c| validation::verdict_on_counterexample(&c.trace.events)),
        counterexample,
        witness_trace: None,
    }
}

/// A fresh directory for one child's reports.
fn private_dir() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("xinterp-isolated-{}-{n}", std::process::id()))
}

/// The child's report, if it wrote one.
fn read_report(path: &Path) -> Option<Report> {
    let text = std::fs::read_to_string(path).ok()?;
    match Report::from_json(&text) {
        Ok(report) => Some(report),
        Err(e) => panic!("the isolated run wrote an unreadable report at {}: {e}", path.display()),
    }
}
