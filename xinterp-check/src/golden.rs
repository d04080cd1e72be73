//! Counterexamples and their committed golden traces.
//!
//! A known bug's counterexample is compared with a golden trace: the
//! violation and the text rendering of its trace, kept as an insta snapshot
//! in `tests/golden/<scenario with :: as __>.<backend>.snap` of the package
//! under test (one per backend: loom and shuttle find different
//! interleavings). A changed trace fails the test; `cargo insta review`
//! shows the difference and accepts or rejects it.
use crate::trace::render;
use crate::trace::Trace;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Once;

/// A failing execution found by a checker.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Counterexample {
    /// The scenario's name.
    pub scenario: String,
    /// `loom`, `shuttle` or `std`.
    pub backend: String,
    /// The bounds in force.
    pub bound: String,
    /// The violation: the first panic message of the failing execution
    /// (an assertion, loom's deadlock or race report, shuttle's deadlock).
    pub message: String,
    /// The failing execution's events, up to the violation.
    pub trace: Trace,
    /// How to replay it.
    pub replay: String,
    /// Which execution failed (1-based).
    pub execution: u64,
    /// Found by a deterministic checker with the scenario's own bounds, so a
    /// golden comparison is meaningful.
    pub reproducible: bool,
}

impl Counterexample {
    /// The violation, the trace as text, and nothing that changes when code
    /// moves (no file names or line numbers): the golden file's content.
    pub fn golden_text(&self) -> String {
        let message = self.message.lines().next().unwrap_or("");
        format!(
            "scenario:  {}\nchecker:   {} ({})\nviolation: {}\n\n{}",
            self.scenario,
            self.backend,
            self.bound,
            message,
            render::text(&self.trace)
        )
    }

    /// The counterexample explained for a failing test's output.
    pub fn explain(&self) -> String {
        format!("violation in execution {}: {}\n\n{}\n", self.execution, self.message, render::text(&self.trace))
    }

    /// The snapshot's name: `<scenario with :: as __>.<backend>`.
    pub fn golden_name(&self) -> String {
        format!("{}.{}", self.scenario.replace("::", "__"), self.backend)
    }

    /// `tests/golden/<golden name>.snap` in the package being tested.
    pub fn golden_path(&self) -> PathBuf {
        golden_dir().join(format!("{}.snap", self.golden_name()))
    }

    /// Compares the counterexample with its golden snapshot
    /// ([`golden_path`](Self::golden_path)), failing the test on a
    /// difference. The snapshot is insta's: a changed or missing trace is
    /// written beside it as `.snap.new` for `cargo insta review` (outside
    /// CI), `INSTA_UPDATE=always` or `XINTERP_BLESS=1` accepts it on the spot.
    ///
    /// Skipped (with a note) when the counterexample is not reproducible:
    /// found under production stress, or with bounds or a seed overridden
    /// from the environment.
    pub fn assert_golden(&self) {
        if !self.reproducible {
            println!(
                "golden comparison skipped for {} under {}: not a deterministic run with the scenario's own bounds",
                self.scenario, self.backend
            );
            return;
        }
        self.assert_snapshot_in(&golden_dir());
    }

    /// Asserts the golden text as the insta snapshot `<golden name>.snap` in
    /// `dir`. The snapshot's path is explicit: insta would otherwise place
    /// it beside this file, in the toolkit, not in the package under test.
    fn assert_snapshot_in(&self, dir: &Path) {
        bless_means_accept();
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(dir);
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.set_description(format!("{} under {}", self.scenario, self.backend));
        settings.bind(|| insta::assert_snapshot!(self.golden_name(), self.golden_text()));
    }
}

/// `tests/golden` in the package being tested (`CARGO_MANIFEST_DIR` as
/// cargo sets it for the test run, not as it was when the toolkit was built).
fn golden_dir() -> PathBuf {
    let root = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from);
    root.join("tests").join("golden")
}

/// `XINTERP_BLESS=1` (which also blesses the SPIN trails of `cargo xtask
/// proofs`) is `INSTA_UPDATE=always` for the golden traces. insta reads its
/// mode from the environment once, at a process's first snapshot assertion,
/// so the variable is set before that, once; an explicit `INSTA_UPDATE` wins.
fn bless_means_accept() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let bless = std::env::var_os("XINTERP_BLESS").is_some_and(|v| v == "1");
        if bless && std::env::var_os("INSTA_UPDATE").is_none() {
            std::env::set_var("INSTA_UPDATE", "always");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Event, EventKind};
    use std::process::Command;

    /// Set in a child run of [`a_golden_comparison_fails_on_a_changed_trace`]
    /// to the snapshot folder it compares in.
    const CHILD_DIR: &str = "XINTERP_GOLDEN_TEST_DIR";
    /// Set in a child run to the outcome its counterexample's step reports.
    const CHILD_OUTCOME: &str = "XINTERP_GOLDEN_TEST_OUTCOME";

    fn counterexample(outcome: &str) -> Counterexample {
        let trace = Trace {
            events: vec![
                Event {
                    seq: 1,
                    thread: "holder".into(),
                    kind: EventKind::from_columns(Some(1), "guard.acquire", outcome.into(), "guards=1".into()),
                },
                Event { seq: 2, thread: "finalizer".into(), kind: EventKind::Violation("deadlock".into()) },
            ],
        };
        Counterexample {
            scenario: "golden::tests::bug".into(),
            backend: "loom".into(),
            bound: "exhaustive".into(),
            message: "deadlock".into(),
            trace,
            replay: "cargo test".into(),
            execution: 1,
            reproducible: true,
        }
    }

    /// Runs this test again in a child process that compares the
    /// counterexample whose step reports `outcome` with the snapshot in
    /// `dir`, under the insta mode `env` sets (the parent's own environment
    /// may be blessing); whether the comparison passed.
    fn compare_in_child(dir: &Path, outcome: &str, env: &[(&str, &str)]) -> bool {
        let mut child = Command::new(std::env::current_exe().expect("the test binary"));
        child
            .args(["golden::tests::a_golden_comparison_fails_on_a_changed_trace", "--exact", "--test-threads", "1"])
            .env(CHILD_DIR, dir)
            .env(CHILD_OUTCOME, outcome)
            .env_remove("XINTERP_BLESS")
            .env_remove("INSTA_UPDATE")
            .env_remove("INSTA_FORCE_PASS")
            .envs(env.iter().copied());
        let output = child.output().expect("run the test binary");
        output.status.success()
    }

    /// The snapshot file's body: what follows insta's metadata block.
    fn body(path: &Path) -> String {
        let text = std::fs::read_to_string(path).expect("the snapshot exists");
        let rest = text.strip_prefix("---\n").expect("insta's metadata block");
        rest[rest.find("\n---\n").expect("the metadata block ends") + 5..].to_owned()
    }

    /// A changed trace fails the comparison and leaves the snapshot as it
    /// was; `XINTERP_BLESS=1` accepts it. Each comparison runs in a child
    /// process, since insta reads its mode once per process.
    #[test]
    fn a_golden_comparison_fails_on_a_changed_trace() {
        if let (Some(dir), Ok(outcome)) = (std::env::var_os(CHILD_DIR), std::env::var(CHILD_OUTCOME)) {
            counterexample(&outcome).assert_snapshot_in(Path::new(&dir));
            return;
        }
        let dir = std::env::temp_dir().join(format!("xinterp-golden-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (original, changed) = (counterexample("ok"), counterexample("timed out"));
        let path = dir.join(format!("{}.snap", original.golden_name()));
        let compare = [("INSTA_UPDATE", "no")];

        assert!(!compare_in_child(&dir, "ok", &compare), "a missing snapshot fails");
        assert!(!path.exists());
        assert!(compare_in_child(&dir, "ok", &[("XINTERP_BLESS", "1")]), "blessing records it");
        assert_eq!(body(&path), original.golden_text(), "the snapshot's body is the golden text");
        assert!(compare_in_child(&dir, "ok", &compare), "the same trace passes");
        assert!(!compare_in_child(&dir, "timed out", &compare), "a changed trace fails");
        assert_eq!(body(&path), original.golden_text(), "a failed comparison changes nothing");
        assert!(compare_in_child(&dir, "timed out", &[("XINTERP_BLESS", "1")]), "blessing accepts the change");
        assert_eq!(body(&path), changed.golden_text());
        assert!(!compare_in_child(&dir, "ok", &compare), "the old trace now differs");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
