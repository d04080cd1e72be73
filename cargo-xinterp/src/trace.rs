//! `trace <test>`: re-run one scenario and print its trace.
//!
//! The harness writes a trace for every scenario that has one to show: the
//! counterexample of a found bug or a failing model, or the witness trace of
//! a passing model (the execution that reached the most witnesses).
use crate::backend::Backend;
use crate::listing;
use crate::package::Project;
use crate::process;
use crate::report::{stem, RunReport};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;
use xinterp::trace::EventKind;
use xinterp_check::trace::render::{render, Format};
use xinterp_check::trace::{Event, Trace};

const LOG_TAIL: usize = 60;

/// Which scenario to trace, how.
#[derive(Debug)]
pub struct Options {
    /// The test's path (by convention, its scenario's name).
    pub scenario: String,
    /// The backend to run it under.
    pub backend: Backend,
    /// How to print the trace.
    pub format: Format,
}

/// Re-runs the test `options.scenario` of `project` under its backend with
/// the report dir set, and prints the trace its report holds.
pub fn run(project: &Project, options: &Options) -> Result<(), String> {
    let Options { scenario, backend, format } = options;
    let reports = project.out.join("trace-runs");
    let logs = project.logs_dir();
    process::fresh_dir(&reports)?;
    process::create_dir(&logs)?;
    let log = logs.join(format!("trace-{}.log", backend.name()));
    process::truncate(&log)?;

    // Progress goes to stderr: stdout is the trace, which for the machine
    // formats is meant to be redirected to a file.
    eprintln!("== {}: building and running {scenario} ==", backend.name());
    let mut cmd = project.cargo(*backend, &["test"]);
    cmd.env("XINTERP_REPORT_DIR", &reports).args(["--", scenario, "--exact"]);
    let tests = process::run_logged(cmd, &log, |line| {
        if line.starts_with("test ") {
            eprintln!("[{}] {line}", backend.name());
        }
    })?;

    let dir = reports.join(backend.name());
    let report_path = dir.join(format!("{}.json", stem(scenario)));
    if !report_path.exists() {
        return Err(no_report(project, *backend, scenario, &tests, &log));
    }
    let report = RunReport::read(&report_path)?;
    let header = header(&report);
    if *format == Format::Text {
        println!("{header}");
    } else {
        eprintln!("{header}");
    }

    let trace_path = dir.join(format!("{}.trace.jsonl", stem(scenario)));
    if !trace_path.exists() {
        return Err(format!(
            "no trace was recorded for `{scenario}` under {} (expected {}): a found bug \
             or a failure leaves its counterexample, a passing model the execution that \
             reached the most witnesses; this run left neither (no witness reached?)",
            backend.name(),
            trace_path.display()
        ));
    }
    let trace = read_trace(&trace_path)?;
    print!("{}", render(&trace, *format));

    if !report.ok {
        return Err(format!("`{scenario}` under {}: {}", backend.name(), report.outcome));
    }
    if !tests.success {
        // The harness was satisfied but the test failed afterwards (say, a
        // counterexample that differs from its golden file).
        process::print_log_tail(&log, LOG_TAIL);
        return Err(format!("the test `{scenario}` failed after its run was reported; full log: {}", log.display()));
    }
    Ok(())
}

/// Why a run left no report: cargo failed, or the name is not a test.
fn no_report(project: &Project, backend: Backend, scenario: &str, tests: &process::Logged, log: &Path) -> String {
    if !tests.success {
        process::print_log_tail(log, LOG_TAIL);
        return format!("`cargo test` failed before `{scenario}` reported; full log: {}", log.display());
    }
    if tests.stdout.iter().any(|l| l.starts_with("running 0 tests")) {
        return format!(
            "no scenario is named `{scenario}`; the scenarios are:\n{}",
            known_scenarios(project, backend, log)
        );
    }
    format!("`{scenario}` ran but wrote no report: it does not go through the harness")
}

/// The test binaries' test names, one per line, indented.
fn known_scenarios(project: &Project, backend: Backend, log: &Path) -> String {
    let mut cmd = project.cargo(backend, &["test"]);
    cmd.args(["--", "--list", "--format", "terse"]);
    match process::run_logged(cmd, log, |_| {}) {
        Ok(listed) if listed.success => listing::libtest_terse(&listed.stdout.join("\n"))
            .iter()
            .map(|t| format!("  {t}"))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => format!("  (could not list them; see {})", log.display()),
    }
}

/// Scenario, backend, bound, outcome, violation, witnesses and replay.
fn header(report: &RunReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "scenario:   {}", report.scenario);
    let _ = writeln!(out, "backend:    {} ({})", report.backend, report.kind);
    let _ = writeln!(out, "bound:      {}", report.bound);
    let _ = writeln!(
        out,
        "outcome:    {} after {} executions in {}",
        report.outcome,
        report.executions,
        crate::report::human_ms(report.wall_ms)
    );
    if let Some(violation) = &report.violation {
        let at = report.failing_execution.map(|n| format!(" (execution {n})")).unwrap_or_default();
        let _ = writeln!(out, "violation{at}: {violation}");
    }
    if !report.witnesses.is_empty() {
        let _ = writeln!(out, "witnesses:");
        let width = report.witnesses.iter().map(|w| w.name.len()).max().unwrap_or(0);
        for w in &report.witnesses {
            let _ = writeln!(out, "  {:<width$} {:>6}x  {}", w.name, w.count, w.description);
        }
    }
    // The harness's replay text runs over several lines: keep them aligned.
    let replay = report.replay.replace('\n', "\n            ");
    let _ = writeln!(out, "replay:     {replay}");
    out
}

/// Reads a `.trace.jsonl` file back into a trace.
fn read_trace(path: &Path) -> Result<Trace, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("could not read {}: {e}", path.display()))?;
    let events = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| parse_event(line).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1)))
        .collect::<Result<_, _>>()?;
    Ok(Trace { events })
}

fn parse_event(line: &str) -> Result<Event, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let text = |key: &str| -> Result<String, String> {
        v.get(key).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| format!("no string `{key}`"))
    };
    let interp = match v.get("interp") {
        None | Some(Value::Null) => None,
        Some(id) => Some(id.as_u64().ok_or("`interp` is not an integer")?),
    };
    Ok(Event {
        seq: v.get("seq").and_then(Value::as_u64).ok_or("no integer `seq`")?,
        thread: text("thread")?,
        kind: EventKind::from_columns(interp, &text("op")?, text("outcome")?, text("state")?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_harness_trace_lines() {
        let e = parse_event(
            r#"{"seq":1,"thread":"holder","interp":1,"op":"guard.acquire","outcome":"ok","state":"phase=running guards=1"}"#,
        )
        .expect("valid event");
        assert_eq!((e.seq, e.interp(), e.op()), (1, Some(1), "guard.acquire"));
        let e = parse_event(r#"{"seq":2,"thread":"main","interp":null,"op":"witness","outcome":"w","state":""}"#)
            .expect("valid event");
        assert!(e.is_witness());
        assert_eq!(e.interp(), None);
        assert!(parse_event(r#"{"seq":2}"#).is_err());
    }
}
