//! `cargo xtask verify`: every scenario under every backend, one table.
//!
//! The harness inside the models binary does the checking and writes a
//! report per scenario run; this module builds and runs that binary once per
//! backend, makes sure every test actually went through the harness, and
//! gathers the reports into `target/xinterp/report.{md,json}`. The SPIN
//! proofs (`crate::proofs`) run after the scenarios; their table is printed
//! beside the scenarios' and written into the same reports.
use crate::backend::Backend;
use crate::process::{self, Logged};
use crate::proofs::{self, table::Row as ProofRow};
use crate::report::{self, RunReport, NO_REPORT};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How many lines of a failed cargo command's log to print.
const LOG_TAIL: usize = 60;

#[derive(Debug)]
pub struct Options {
    /// The backends to run, in order.
    pub backends: Vec<Backend>,
    /// Only the tests whose name contains this (libtest's own filter), and
    /// only the proofs whose id contains it.
    pub filter: Option<String>,
    pub proofs: Proofs,
}

/// What `verify` does about the SPIN proofs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proofs {
    /// Run them (the default).
    Run,
    /// Report the results `cargo xtask proofs` just left in
    /// `target/xinterp/proofs/results.json` (`ci` runs the proofs as their
    /// own step, first).
    Reuse,
    /// Leave them out (`--no-proofs`).
    Skip,
}

/// What running the scenarios under one backend came to.
struct BackendRun {
    backend: Backend,
    wall: Duration,
    /// Whether every cargo command succeeded (build, listing, tests).
    cargo_ok: bool,
    runs: Vec<RunReport>,
}

/// Where verify keeps its output, under `target/xinterp/`.
struct Paths {
    out: PathBuf,
    runs: PathBuf,
    logs: PathBuf,
}

impl Paths {
    fn new(root: &Path) -> Self {
        let out = root.join("target").join("xinterp");
        Self { runs: out.join("runs"), logs: out.join("logs"), out }
    }
}

pub fn run(root: &Path, options: &Options) -> Result<(), String> {
    let paths = Paths::new(root);
    // Reports from an earlier run must not stand in for a scenario that
    // silently stopped reporting.
    process::fresh_dir(&paths.runs)?;
    process::create_dir(&paths.logs)?;
    let mut results = Vec::new();
    for &backend in &options.backends {
        results.push(run_backend(root, &paths, backend, options.filter.as_deref())?);
    }
    let runs: Vec<RunReport> = results.iter().flat_map(|r| r.runs.iter().cloned()).collect();
    let proof_rows = run_proofs(root, options)?;
    println!();
    print!("{}", report::text_table(&runs));
    if let Some(rows) = &proof_rows {
        println!();
        if rows.is_empty() {
            println!("SPIN proofs: none matches the filter");
        } else {
            print!("{}", proofs::table::text(rows));
        }
    }
    let revision = git_revision(root);
    write_markdown(&paths, &results, &runs, proof_rows.as_deref(), revision.as_deref(), options)?;
    write_json(&paths, &results, &runs, proof_rows.as_deref(), revision.as_deref(), options)?;
    println!();
    println!("reports: {} and {}", paths.out.join("report.md").display(), paths.out.join("report.json").display());
    let scenarios = verdict(&results, &runs);
    let proofs = match &proof_rows {
        Some(rows) if !rows.is_empty() => proofs::verdict(rows, rows.iter().map(|r| r.wall_seconds).sum()),
        _ => Ok(()),
    };
    match (scenarios, proofs) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(a), Err(b)) => Err(format!("{a}; {b}")),
        (Err(e), Ok(())) | (Ok(()), Err(e)) => Err(e),
    }
}

/// The proof rows for the report: `None` when skipped.
fn run_proofs(root: &Path, options: &Options) -> Result<Option<Vec<ProofRow>>, String> {
    match options.proofs {
        Proofs::Skip => Ok(None),
        Proofs::Reuse => proofs::read_results(root).map(Some),
        Proofs::Run => {
            println!("== SPIN proofs ==");
            let proof_options = proofs::Options { filter: options.filter.clone(), bless: false };
            proofs::run_all(root, &proof_options).map(Some)
        }
    }
}

/// Builds and runs the models binary under `backend`, then collects its
/// reports.
fn run_backend(root: &Path, paths: &Paths, backend: Backend, filter: Option<&str>) -> Result<BackendRun, String> {
    let name = backend.name();
    println!("== {name}: building and running scenarios ==");
    let started = Instant::now();
    let log = paths.logs.join(format!("{name}.log"));
    process::truncate(&log)?;

    // Listing first also builds the binary, so a build failure shows up here.
    let expected = match expected_tests(root, backend, filter, &log)? {
        Some(tests) => tests,
        None => {
            println!("[{name}] the models binary did not build or list its tests");
            process::print_log_tail(&log, LOG_TAIL);
            return Ok(BackendRun { backend, wall: started.elapsed(), cargo_ok: false, runs: Vec::new() });
        }
    };

    let mut cmd = backend.models_test(root);
    cmd.env("XINTERP_REPORT_DIR", &paths.runs);
    if let Some(filter) = filter {
        cmd.args(["--", filter]);
    }
    let tests = process::run_logged(cmd, &log, |line| {
        // libtest's per-test lines and its final `test result:` line.
        if line.starts_with("test ") {
            println!("[{name}] {line}");
        }
    })?;
    if !tests.success {
        println!("[{name}] cargo test failed; full log: {}", log.display());
        process::print_log_tail(&log, LOG_TAIL);
    }
    let runs = collect_reports(&paths.runs.join(name), name, &expected)?;
    Ok(BackendRun { backend, wall: started.elapsed(), cargo_ok: tests.success, runs })
}

/// The tests `verify` expects a report from: those listed, minus those
/// marked `#[ignore]` (libtest does not run them, so they cannot report).
/// `None` if cargo failed (typically: the binary did not build).
fn expected_tests(
    root: &Path,
    backend: Backend,
    filter: Option<&str>,
    log: &Path,
) -> Result<Option<Vec<String>>, String> {
    let list = |ignored: bool| -> Result<Logged, String> {
        let mut cmd: Command = backend.models_test(root);
        cmd.arg("--");
        if let Some(filter) = filter {
            cmd.arg(filter);
        }
        cmd.args(["--list", "--format", "terse"]);
        if ignored {
            cmd.arg("--ignored");
        }
        process::run_logged(cmd, log, |_| {})
    };
    let all = list(false)?;
    if !all.success {
        return Ok(None);
    }
    let ignored = list(true)?;
    if !ignored.success {
        return Ok(None);
    }
    let ignored = process::listed_tests(&ignored.stdout);
    Ok(Some(process::listed_tests(&all.stdout).into_iter().filter(|t| !ignored.contains(t)).collect()))
}

/// The reports in `dir`: one per expected test (a placeholder where there is
/// none), then any report whose scenario is not a listed test name (its
/// name and its test path disagree, which `trace` relies on).
fn collect_reports(dir: &Path, backend: &str, expected: &[String]) -> Result<Vec<RunReport>, String> {
    let mut runs = Vec::new();
    for test in expected {
        let path = dir.join(format!("{}.json", stem(test)));
        let run = if path.exists() {
            RunReport::read(&path).unwrap_or_else(|e| RunReport::placeholder(test, backend, "BAD REPORT", e))
        } else {
            RunReport::placeholder(
                test,
                backend,
                NO_REPORT,
                format!(
                    "no report at {}: the test bypassed the harness, or failed before the harness reported",
                    path.display()
                ),
            )
        };
        runs.push(run);
    }
    for path in unexpected_reports(dir, expected)? {
        let run = RunReport::read(&path)
            .unwrap_or_else(|e| RunReport::placeholder(&path.display().to_string(), backend, "BAD REPORT", e));
        runs.push(run);
    }
    Ok(runs)
}

/// Report files in `dir` that belong to no expected test, sorted.
fn unexpected_reports(dir: &Path, expected: &[String]) -> Result<Vec<PathBuf>, String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // No scenario reported at all: the placeholders say so.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("could not list {}: {e}", dir.display())),
    };
    let expected: Vec<String> = expected.iter().map(|t| format!("{}.json", stem(t))).collect();
    let mut extra: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            name.ends_with(".json") && !expected.contains(&name)
        })
        .collect();
    extra.sort();
    Ok(extra)
}

/// The harness's file stem for a scenario.
pub fn stem(scenario: &str) -> String {
    scenario.replace("::", "__")
}

/// `git rev-parse --short HEAD`, if the workspace has a commit.
fn git_revision(root: &Path) -> Option<String> {
    let output = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let revision = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (output.status.success() && !revision.is_empty()).then_some(revision)
}

fn write_markdown(
    paths: &Paths,
    results: &[BackendRun],
    runs: &[RunReport],
    proof_rows: Option<&[ProofRow]>,
    revision: Option<&str>,
    options: &Options,
) -> Result<(), String> {
    let mut md = String::from("# xinterp: scenario verification\n\n");
    md.push_str(&format!(
        "revision: {}; filter: {}; generated by `cargo xtask verify`\n\n",
        revision.unwrap_or("unknown (no commit)"),
        options.filter.as_deref().map_or("none".to_owned(), |f| format!("`{f}`")),
    ));
    md.push_str("| backend | wall time | cargo |\n|---|---:|---|\n");
    for r in results {
        md.push_str(&format!(
            "| {} | {:.1} s | {} |\n",
            r.backend.name(),
            r.wall.as_secs_f64(),
            if r.cargo_ok { "ok" } else { "FAILED" }
        ));
    }
    md.push_str("\n## Runs\n\n");
    md.push_str(&report::markdown_table(runs));
    match proof_rows {
        Some(rows) if !rows.is_empty() => {
            md.push_str("\n## SPIN proofs\n\nLogs and trails: `proofs/results/`, `proofs/trails/`; ");
            md.push_str("what each proof means: `docs/proofs.md`.\n\n");
            md.push_str(&proofs::table::markdown(rows));
        }
        Some(_) => md.push_str("\n## SPIN proofs\n\nNo proof matches the filter.\n"),
        None => md.push_str("\n## SPIN proofs\n\nNot run (`--no-proofs`).\n"),
    }
    let failing: Vec<&RunReport> = runs.iter().filter(|r| !r.ok).collect();
    if !failing.is_empty() {
        md.push_str("\n## Failures\n\n");
        for run in failing {
            md.push_str(&report::markdown_failure(run));
        }
    }
    write(&paths.out.join("report.md"), &md)
}

fn write_json(
    paths: &Paths,
    results: &[BackendRun],
    runs: &[RunReport],
    proof_rows: Option<&[ProofRow]>,
    revision: Option<&str>,
    options: &Options,
) -> Result<(), String> {
    let backends: Vec<Value> = results
        .iter()
        .map(|r| {
            json!({
                "backend": r.backend.name(),
                "wall_s": r.wall.as_secs_f64(),
                "cargo_ok": r.cargo_ok,
            })
        })
        .collect();
    let document = json!({
        "revision": revision,
        "filter": options.filter,
        "backends": backends,
        "runs": runs.iter().map(|r| r.raw.clone()).collect::<Vec<_>>(),
        "proofs": proof_rows.map(|rows| rows.iter().map(ProofRow::to_json).collect::<Vec<_>>()),
    });
    let text = serde_json::to_string_pretty(&document).map_err(|e| format!("could not serialize report.json: {e}"))?;
    write(&paths.out.join("report.json"), &(text + "\n"))
}

fn write(path: &Path, contents: &str) -> Result<(), String> {
    std::fs::write(path, contents).map_err(|e| format!("could not write {}: {e}", path.display()))
}

/// Prints the one-line verdict on success; on failure returns it as the error.
fn verdict(results: &[BackendRun], runs: &[RunReport]) -> Result<(), String> {
    let backends: Vec<&str> = results.iter().map(|r| r.backend.name()).collect();
    let cargo_failed: Vec<&str> = results.iter().filter(|r| !r.cargo_ok).map(|r| r.backend.name()).collect();
    let missing = runs.iter().filter(|r| r.outcome == NO_REPORT).count();
    let failed = runs.iter().filter(|r| !r.ok).count() - missing;
    if cargo_failed.is_empty() && failed == 0 && missing == 0 && !runs.is_empty() {
        println!("verify: OK: {} passed under {}", count(runs.len(), "run"), backends.join(", "));
        return Ok(());
    }
    let mut problems = Vec::new();
    if runs.is_empty() {
        problems.push("no scenario ran (does the filter match any?)".to_owned());
    }
    if failed > 0 {
        problems.push(format!("{failed} of {} failed", count(runs.len(), "run")));
    }
    if missing > 0 {
        problems.push(format!("{} wrote no report", count(missing, "test")));
    }
    if !cargo_failed.is_empty() {
        problems.push(format!("cargo test failed under {}", cargo_failed.join(", ")));
    }
    Err(format!("verify FAILED: {}", problems.join("; ")))
}

/// `1 run`, `2 runs`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
