//! Counterexamples and their committed golden traces.
use crate::trace::render;
use crate::trace::Trace;
use std::path::PathBuf;

/// A failing execution found by a checker.
#[derive(Clone, Debug)]
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

    /// `tests/golden/<scenario with :: as __>.<backend>.txt` in the package
    /// being tested.
    pub fn golden_path(&self) -> PathBuf {
        let root = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from);
        root.join("tests").join("golden").join(format!("{}.{}.txt", self.scenario.replace("::", "__"), self.backend))
    }

    /// Compares the counterexample with its committed golden file, failing
    /// the test on a difference. `XINTERP_BLESS=1` writes the file instead.
    ///
    /// Skipped (with a note) when the counterexample is not reproducible:
    /// found under production stress, or with bounds or a seed overridden
    /// from the environment.
    #[track_caller]
    pub fn assert_golden(&self) {
        if !self.reproducible {
            println!(
                "golden comparison skipped for {} under {}: not a deterministic run with the scenario's own bounds",
                self.scenario, self.backend
            );
            return;
        }
        let path = self.golden_path();
        let actual = self.golden_text();
        if std::env::var_os("XINTERP_BLESS").is_some_and(|v| v == "1") {
            std::fs::create_dir_all(path.parent().expect("golden files live in a folder"))
                .expect("create tests/golden");
            std::fs::write(&path, &actual).expect("write the golden trace");
            println!("blessed {}", path.display());
            return;
        }
        let expected = match std::fs::read_to_string(&path) {
            Ok(s) => s,
            Err(e) => panic!(
                "no golden trace at {} ({e}).\nThe counterexample was:\n{actual}\nRun with XINTERP_BLESS=1 to record it.",
                path.display()
            ),
        };
        if expected != actual {
            panic!(
                "the counterexample of {} under {} differs from {}.\n--- expected\n{expected}\n--- actual\n{actual}\nIf the change is intended, re-run with XINTERP_BLESS=1.",
                self.scenario,
                self.backend,
                path.display()
            );
        }
    }
}
