//! `--message-format json`: one JSON object per line on stdout, for CI.
//!
//! - `{"type":"scenario", "backend", "target", "test", "scenario", "ok",
//!   "outcome", "executions", "wall_ms", "violation", "report"}` as each
//!   scenario finishes (`report`: the harness's whole report, or null when
//!   the test left none);
//! - `{"type":"build", "backend", "ok":false, "error", "log"}` when a
//!   backend's tests do not build;
//! - `{"type":"summary", "verdict", "exit_code", "passed", "failed",
//!   "backends":[{"backend","wall_s","built"}], "report_md", "report_json"}`
//!   last.
use crate::exit::Verdict;
use crate::listing::TestCase;
use crate::report::RunReport;
use serde_json::{json, Value};
use std::path::Path;

/// One scenario's verdict.
pub fn scenario(case: &TestCase, run: &RunReport) -> Value {
    json!({
        "type": "scenario",
        "backend": run.backend,
        "target": case.target,
        "test": case.name,
        "scenario": run.scenario,
        "ok": run.ok,
        "outcome": run.outcome,
        "executions": run.executions,
        "wall_ms": run.wall_ms,
        "violation": run.violation,
        "report": if run.has_report() { run.raw.clone() } else { Value::Null },
    })
}

/// A backend whose tests did not build.
pub fn build_failed(backend: &str, error: &str, log: &Path) -> Value {
    json!({ "type": "build", "backend": backend, "ok": false, "error": error, "log": log })
}

/// A backend's part of the summary.
pub struct BackendSummary<'a> {
    /// Its name.
    pub backend: &'a str,
    /// Wall time of its build and runs.
    pub wall_s: f64,
    /// Whether its tests built.
    pub built: bool,
}

/// The final line.
pub fn summary(verdict: Verdict, runs: &[RunReport], backends: &[BackendSummary<'_>], reports: [&Path; 2]) -> Value {
    let passed = runs.iter().filter(|r| r.ok).count();
    json!({
        "type": "summary",
        "verdict": verdict.name(),
        "exit_code": verdict.code(),
        "passed": passed,
        "failed": runs.len() - passed,
        "backends": backends
            .iter()
            .map(|b| json!({ "backend": b.backend, "wall_s": b.wall_s, "built": b.built }))
            .collect::<Vec<_>>(),
        "report_md": reports[0],
        "report_json": reports[1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = r#"{"scenario":"joins","backend":"loom","kind":"model","bound":"exhaustive","executions":7,"wall_ms":1.5,"outcome":"pass","ok":true,"witnesses":[],"violation":null,"failing_execution":null,"replay":"cargo test"}"#;

    #[test]
    fn a_scenario_message_is_one_line_of_json_with_its_verdict() {
        let case = TestCase { target: "scenarios".into(), name: "joins".into() };
        let run = RunReport::parse(REPORT).unwrap();
        let line = scenario(&case, &run).to_string();
        assert!(!line.contains('\n'));
        let back: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["type"], "scenario");
        assert_eq!((back["ok"].as_bool(), back["executions"].as_u64()), (Some(true), Some(7)));
        assert_eq!(back["report"]["bound"], "exhaustive");
        let aborted = RunReport::placeholder("aborts", "loom", "ABORTED (SIGABRT)", "tail".into());
        let back = scenario(&TestCase { target: "scenarios".into(), name: "aborts".into() }, &aborted);
        assert_eq!((back["ok"].as_bool(), back["outcome"].as_str()), (Some(false), Some("ABORTED (SIGABRT)")));
        assert_eq!(back["report"], Value::Null);
    }

    #[test]
    fn the_summary_counts_and_names_the_exit_code() {
        let runs = [
            RunReport::parse(REPORT).unwrap(),
            RunReport::placeholder("aborts", "loom", "ABORTED (SIGABRT)", "tail".into()),
        ];
        let backends = [BackendSummary { backend: "loom", wall_s: 1.0, built: true }];
        let line = summary(Verdict::ScenarioFailed, &runs, &backends, [Path::new("r.md"), Path::new("r.json")]);
        assert_eq!((line["passed"].as_u64(), line["failed"].as_u64()), (Some(1), Some(1)));
        assert_eq!(line["exit_code"], 1);
        assert_eq!(line["verdict"], "scenario failed");
        assert_eq!(line["backends"][0]["built"], true);
    }
}
