//! `verify`: every scenario of a package under every backend, one table.
//!
//! The harness inside each test binary does the checking and writes a
//! report per scenario run (`$XINTERP_REPORT_DIR/<backend>/<scenario>.json`);
//! this module builds and lists the tests once per backend, runs each in a
//! process of its own ([`crate::runner`]), gives every listed test a verdict
//! (its report, or why there is none: aborted, crashed, failed before
//! reporting, never went through the harness), and writes
//! `report.{md,json}` and `coverage.json` ([`crate::coverage`]).

use crate::backend::Backend;
use crate::cli::Scenarios;
use crate::coverage::Coverage;
use crate::exit::Verdict;
use crate::listing::TestCase;
use crate::message::{self, BackendSummary};
use crate::package::Project;
use crate::partition::Partition;
use crate::process;
use crate::progress::Progress;
use crate::report::{self, stem, RunReport, NO_REPORT};
use crate::runner::{self, Event, RunnerKind, Status};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use xinterp_check::SeedRange;

/// How many lines of a failed build's log to print.
const LOG_TAIL: usize = 60;

/// How verify reports as it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    /// Progress on stderr, the table and the verdict on stdout.
    Human,
    /// One JSON object per line on stdout (see [`crate::message`]);
    /// progress still on stderr.
    Json,
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// The backends to run, in order.
    pub backends: Vec<Backend>,
    /// Only the tests whose name contains this.
    pub filter: Option<String>,
    /// Which runner gives each test its process.
    pub runner: RunnerKind,
    /// How to report.
    pub format: MessageFormat,
    /// The shard of the scenarios to run (`None`: all of them).
    pub partition: Option<Partition>,
    /// shuttle executions per seed, for every scenario (`None`: each
    /// scenario's own).
    pub iterations: Option<usize>,
    /// The seeds of the shuttle campaign (`None`: each scenario's own seed).
    pub seeds: Option<SeedRange>,
    /// Where runs, logs and reports go instead of the project's default.
    pub out: Option<PathBuf>,
}

impl Options {
    /// The options the shared command-line flags ask for.
    pub fn from_cli(scenarios: &Scenarios, format: MessageFormat) -> Result<Self, String> {
        Ok(Self {
            backends: scenarios.backends(),
            filter: scenarios.filter.clone(),
            runner: scenarios.runner,
            format,
            partition: scenarios.partition,
            iterations: scenarios.iterations,
            seeds: scenarios.seed_range()?,
            out: scenarios.out.clone(),
        })
    }

    /// `project`, writing where these options say.
    pub fn project(&self, project: Project) -> Project {
        match &self.out {
            Some(out) => Project { out: out.clone(), ..project },
            None => project,
        }
    }

    /// What the test processes' harness is told, as environment variables
    /// (the ones `xinterp_check`'s bounds read).
    pub fn harness_env(&self) -> Vec<(&'static str, String)> {
        let mut env = Vec::new();
        if let Some(n) = self.iterations {
            env.push(("XINTERP_SHUTTLE_ITERATIONS", n.to_string()));
        }
        if let Some(seeds) = self.seeds {
            env.push(("XINTERP_SEEDS", seeds.to_string()));
        }
        env
    }

    /// The campaign's settings as `report.json` records them: what `report
    /// merge` compares across shards.
    pub fn campaign_json(&self) -> Value {
        json!({
            "partition": self.partition.map(|p| p.to_string()),
            "shuttle_iterations": self.iterations,
            "shuttle_seeds": self.seeds.map(|s| s.to_string()),
        })
    }
}

/// What running the scenarios under one backend came to.
#[derive(Debug)]
pub struct BackendRun {
    /// The backend.
    pub backend: Backend,
    /// Wall time of its build and runs.
    pub wall: Duration,
    /// Whether its tests built and listed.
    pub built: bool,
    /// A verdict per listed test, then any report no listed test claims.
    pub runs: Vec<RunReport>,
}

/// Every backend's runs.
#[derive(Debug)]
pub struct Verification {
    /// In the order run.
    pub backends: Vec<BackendRun>,
}

impl Verification {
    /// Every run of every backend.
    pub fn runs(&self) -> Vec<RunReport> {
        self.backends.iter().flat_map(|b| b.runs.iter().cloned()).collect()
    }

    /// The overall verdict (and exit code).
    pub fn verdict(&self) -> Verdict {
        Verdict::of(self.backends.iter().any(|b| !b.built), &self.runs())
    }

    /// The one-line verdict: `verify: OK: ...` or `verify FAILED: ...`.
    pub fn verdict_line(&self) -> String {
        let runs = self.runs();
        let names: Vec<&str> = self.backends.iter().map(|r| r.backend.name()).collect();
        if self.verdict() == Verdict::Passed {
            return format!("verify: OK: {} passed under {}", count(runs.len(), "run"), names.join(", "));
        }
        let unbuilt: Vec<&str> = self.backends.iter().filter(|r| !r.built).map(|r| r.backend.name()).collect();
        let missing = runs.iter().filter(|r| !r.ok && !r.has_report()).count();
        let failed = runs.iter().filter(|r| !r.ok).count() - missing;
        let mut problems = Vec::new();
        if runs.is_empty() && unbuilt.is_empty() {
            problems.push("no scenario ran (does the filter match any?)".to_owned());
        }
        if failed > 0 {
            problems.push(format!("{failed} of {} failed", count(runs.len(), "run")));
        }
        if missing > 0 {
            problems
                .push(format!("{} without a report (aborted, crashed or outside the harness)", count(missing, "test")));
        }
        if !unbuilt.is_empty() {
            problems.push(format!("the tests did not build under {}", unbuilt.join(", ")));
        }
        format!("verify FAILED: {}", problems.join("; "))
    }
}

/// Builds and runs `project`'s scenarios under each backend of `options`.
pub fn run_scenarios(project: &Project, options: &Options) -> Result<Verification, String> {
    let runs_dir = project.runs_dir();
    // Reports from an earlier run must not stand in for a scenario that
    // silently stopped reporting.
    process::fresh_dir(&runs_dir)?;
    process::create_dir(&project.logs_dir())?;
    let kind = options.runner.resolve(project.dir());
    let mut backends = Vec::new();
    for &backend in &options.backends {
        backends.push(run_backend(project, options, kind, backend)?);
    }
    Ok(Verification { backends })
}

fn run_backend(project: &Project, options: &Options, kind: RunnerKind, backend: Backend) -> Result<BackendRun, String> {
    let name = backend.name();
    let runner_name = if kind == RunnerKind::Nextest { "cargo nextest" } else { "libtest, a process per test" };
    eprintln!("== {name}: building and listing {} ({runner_name}) ==", project.name);
    let started = Instant::now();
    let logs = project.logs_dir().join(name);
    process::fresh_dir(&logs)?;
    let log = logs.join("cargo.log");
    let filter = options.filter.as_deref();
    let plan = match runner::plan(project, backend, kind, filter, &log) {
        Ok(plan) => plan.partitioned(options.partition).with_env(options.harness_env()),
        Err(why) => {
            eprintln!("[{name}] {why}");
            process::print_log_tail(&log, LOG_TAIL);
            if options.format == MessageFormat::Json {
                println!("{}", message::build_failed(name, &why, &log));
            }
            return Ok(BackendRun { backend, wall: started.elapsed(), built: false, runs: Vec::new() });
        }
    };
    let reports = project.runs_dir();
    let progress = Progress::new(name, plan.cases.len());
    let mut runs = Vec::new();
    let done = AtomicBool::new(false);
    let result = std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(progress.tick_every());
                progress.tick();
            }
        });
        let mut on_event = |event: Event| match event {
            Event::Started(case) => progress.started(&case.label()),
            Event::Finished { case, status, tail } => {
                let run = judge(&case, &status, &tail, &reports, backend);
                progress.finished(&case.label(), run.ok, &run.outcome, run.executions);
                if options.format == MessageFormat::Json {
                    println!("{}", message::scenario(&case, &run));
                }
                // The table lists the tests in their listed order, not in
                // the order they happened to finish.
                let index = plan.cases.iter().position(|c| *c == case).unwrap_or(usize::MAX);
                runs.push((index, run));
            }
        };
        let result = runner::run(project, backend, &plan, filter, &reports, &logs, &mut on_event);
        done.store(true, Ordering::Relaxed);
        result
    });
    progress.finish();
    result?;
    runs.sort_by_key(|(index, _)| *index);
    let mut runs: Vec<RunReport> = runs.into_iter().map(|(_, run)| run).collect();
    let claimed: Vec<String> = plan.cases.iter().map(|c| c.name.clone()).collect();
    for path in unclaimed_reports(&reports.join(name), &claimed)? {
        let run = RunReport::read(&path)
            .unwrap_or_else(|e| RunReport::placeholder(&path.display().to_string(), name, "BAD REPORT", e));
        runs.push(run);
    }
    Ok(BackendRun { backend, wall: started.elapsed(), built: true, runs })
}

/// The verdict of one test: its report, amended by how its process ended,
/// or a failing placeholder saying why there is none.
pub fn judge(case: &TestCase, status: &Status, tail: &str, reports: &Path, backend: Backend) -> RunReport {
    let path = reports.join(backend.name()).join(format!("{}.json", stem(&case.name)));
    let output = |what: &str| format!("{what}; the last lines of its output:\n{tail}");
    if !path.exists() {
        let (outcome, why) = match status {
            Status::Passed => (
                NO_REPORT.to_owned(),
                format!(
                    "no report at {}: the test passed without going through the harness \
                     (not a scenario? pick the scenario targets with --test)",
                    path.display()
                ),
            ),
            Status::Failed => ("FAIL (no report)".to_owned(), output("the test failed before the harness reported")),
            Status::Crashed(signal) => (crash_outcome(signal), output(&format!("the test process died of {signal}"))),
            Status::NotRun => ("NOT RUN".to_owned(), tail.to_owned()),
        };
        return RunReport::placeholder(&case.name, backend.name(), &outcome, why);
    }
    let mut run = match RunReport::read(&path) {
        Ok(run) => run,
        Err(e) => return RunReport::placeholder(&case.name, backend.name(), "BAD REPORT", e),
    };
    let amend = match status {
        _ if !run.ok => None,
        Status::Failed => Some(("FAIL (the test failed after its report)".to_owned(), output("the test failed"))),
        Status::Crashed(signal) => {
            Some((format!("{} after its report", crash_outcome(signal)), output(&format!("died of {signal}"))))
        }
        Status::Passed | Status::NotRun => None,
    };
    if let Some((outcome, why)) = amend {
        run.ok = false;
        run.raw["ok"] = json!(false);
        run.raw["outcome"] = json!(outcome);
        run.raw["violation"] = json!(why);
        run.outcome = outcome;
        run.violation = Some(why);
    }
    run
}

/// `ABORTED (SIGABRT)` for an abort (what loom does on a deadlock),
/// `CRASHED (<signal>)` otherwise.
pub fn crash_outcome(signal: &str) -> String {
    if signal == "SIGABRT" || signal == "ABORT" {
        format!("ABORTED ({signal})")
    } else {
        format!("CRASHED ({signal})")
    }
}

/// Report files in `dir` that belong to no listed test, sorted: a scenario
/// whose name is not its test's path (which `trace` relies on).
fn unclaimed_reports(dir: &Path, claimed: &[String]) -> Result<Vec<PathBuf>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("could not list {}: {e}", dir.display())),
    };
    let claimed: Vec<String> = claimed.iter().map(|t| format!("{}.json", stem(t))).collect();
    let mut extra: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            name.ends_with(".json") && !claimed.contains(&name)
        })
        .collect();
    extra.sort();
    Ok(extra)
}

/// What a caller adds to the reports (xtask: the SPIN proofs).
#[derive(Debug, Default)]
pub struct Extra {
    /// Markdown appended after the runs' table.
    pub markdown: String,
    /// Keys added to `report.json`.
    pub json: Vec<(&'static str, Value)>,
}

/// Writes `report.md`, `report.json` and `coverage.json` under the
/// project's output dir; the first two's paths.
pub fn write_reports(
    project: &Project,
    verification: &Verification,
    options: &Options,
    extra: &Extra,
) -> Result<[PathBuf; 2], String> {
    let revision = git_revision(project.dir());
    let runs = verification.runs();
    let mut md = format!("# {}: scenario verification\n\n", project.name);
    md.push_str(&format!(
        "revision: {}; filter: {}; generated by `{}`\n\n",
        revision.as_deref().unwrap_or("unknown (no commit)"),
        options.filter.as_deref().map_or("none".to_owned(), |f| format!("`{f}`")),
        project.command,
    ));
    md.push_str(&campaign_line(&options.campaign_json()));
    md.push_str("| backend | wall time | build |\n|---|---:|---|\n");
    for r in &verification.backends {
        let built = if r.built { "ok" } else { "FAILED" };
        md.push_str(&format!("| {} | {:.1} s | {built} |\n", r.backend.name(), r.wall.as_secs_f64()));
    }
    md.push_str("\n## Runs\n\n");
    md.push_str(&report::markdown_table(&runs));
    let coverage = Coverage::of(&runs)?;
    md.push_str(&coverage.markdown());
    md.push_str(&extra.markdown);
    let failing: Vec<&RunReport> = runs.iter().filter(|r| !r.ok).collect();
    if !failing.is_empty() {
        md.push_str("\n## Failures\n\n");
        for run in failing {
            md.push_str(&report::markdown_failure(run));
        }
    }
    let backends: Vec<Value> = verification
        .backends
        .iter()
        .map(|r| json!({ "backend": r.backend.name(), "wall_s": r.wall.as_secs_f64(), "built": r.built }))
        .collect();
    let mut document = json!({
        "format": REPORT_FORMAT,
        "runner": RUNNER_VERSION,
        "package": project.name,
        "revision": revision,
        "filter": options.filter,
        "campaign": options.campaign_json(),
        "backends": backends,
        "runs": runs.iter().map(|r| r.raw.clone()).collect::<Vec<_>>(),
    });
    for (key, value) in &extra.json {
        document[*key] = value.clone();
    }
    let text = serde_json::to_string_pretty(&document).map_err(|e| format!("could not serialize report.json: {e}"))?;
    let paths = [project.out.join("report.md"), project.out.join("report.json")];
    write(&paths[0], &md)?;
    write(&paths[1], &(text + "\n"))?;
    crate::coverage::write(&coverage, &project.out)?;
    Ok(paths)
}

/// The version of `report.json`'s layout: `report merge` refuses to merge
/// reports of different layouts.
pub const REPORT_FORMAT: u64 = 1;

/// The runner that wrote a report (`cargo-xinterp <version>`).
pub const RUNNER_VERSION: &str = concat!("cargo-xinterp ", env!("CARGO_PKG_VERSION"));

/// The line of `report.md` saying which share of which campaign it holds
/// (empty for a whole campaign at the scenarios' own bounds).
pub fn campaign_line(campaign: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(p) = campaign["partition"].as_str() {
        parts.push(format!("partition {p}"));
    }
    if let Some(n) = campaign["shuttle_iterations"].as_u64() {
        parts.push(format!("shuttle iterations {n} per seed"));
    }
    if let Some(s) = campaign["shuttle_seeds"].as_str() {
        parts.push(format!("shuttle seeds {s}"));
    }
    if let Some(shards) = campaign["merged_from"].as_u64() {
        parts.push(format!("merged from {shards} reports"));
    }
    if parts.is_empty() {
        return String::new();
    }
    format!("campaign: {}\n\n", parts.join("; "))
}

/// The summary message for `--message-format json`.
pub fn summary_message(verification: &Verification, reports: &[PathBuf; 2]) -> Value {
    let backends: Vec<BackendSummary<'_>> = verification
        .backends
        .iter()
        .map(|b| BackendSummary { backend: b.backend.name(), wall_s: b.wall.as_secs_f64(), built: b.built })
        .collect();
    message::summary(verification.verdict(), &verification.runs(), &backends, [&reports[0], &reports[1]])
}

fn write(path: &Path, contents: &str) -> Result<(), String> {
    std::fs::write(path, contents).map_err(|e| format!("could not write {}: {e}", path.display()))
}

/// `git rev-parse --short HEAD`, if the package is in a git checkout.
fn git_revision(dir: &Path) -> Option<String> {
    let output = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let revision = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (output.status.success() && !revision.is_empty()).then_some(revision)
}

/// `1 run`, `2 runs`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(report: Option<&str>) -> PathBuf {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("cargo-xinterp-judge-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("loom")).unwrap();
        if let Some(text) = report {
            std::fs::write(dir.join("loom").join("a__b.json"), text).unwrap();
        }
        dir
    }

    const PASSING: &str = r#"{"scenario":"a::b","backend":"loom","kind":"model","bound":"exhaustive","executions":7,"wall_ms":1.5,"outcome":"pass","ok":true,"witnesses":[],"violation":null,"failing_execution":null,"replay":"cargo test"}"#;

    fn case() -> TestCase {
        TestCase { target: "models".into(), name: "a::b".into() }
    }

    #[test]
    fn every_way_a_test_can_end_has_a_verdict() {
        let none = dir_with(None);
        let aborted = judge(&case(), &Status::Crashed("SIGABRT".into()), "loom panicked", &none, Backend::Loom);
        assert_eq!((aborted.ok, aborted.outcome.as_str()), (false, "ABORTED (SIGABRT)"));
        assert!(aborted.violation.as_deref().unwrap().contains("loom panicked"));
        let segv = judge(&case(), &Status::Crashed("SIGSEGV".into()), "", &none, Backend::Loom);
        assert_eq!(segv.outcome, "CRASHED (SIGSEGV)");
        let failed = judge(&case(), &Status::Failed, "", &none, Backend::Loom);
        assert_eq!((failed.ok, failed.outcome.as_str()), (false, "FAIL (no report)"));
        let bypassed = judge(&case(), &Status::Passed, "", &none, Backend::Loom);
        assert_eq!((bypassed.ok, bypassed.outcome.as_str()), (false, NO_REPORT));
        let never = judge(&case(), &Status::NotRun, "", &none, Backend::Loom);
        assert_eq!((never.ok, never.outcome.as_str()), (false, "NOT RUN"));

        let reported = dir_with(Some(PASSING));
        let passed = judge(&case(), &Status::Passed, "", &reported, Backend::Loom);
        assert_eq!((passed.ok, passed.executions), (true, 7));
        let late = judge(&case(), &Status::Crashed("SIGABRT".into()), "", &reported, Backend::Loom);
        assert_eq!((late.ok, late.outcome.as_str()), (false, "ABORTED (SIGABRT) after its report"));
        assert_eq!(late.raw["ok"], false, "report.json says so too");
        let _ = std::fs::remove_dir_all(none);
        let _ = std::fs::remove_dir_all(reported);
    }
}
