//! `cargo xtask proofs`: every SPIN proof in `proofs/`, checked, tabulated
//! and logged.
//!
//! For each proof of the table in [`catalog`]: copy the specs into
//! `target/xinterp/proofs/<proof>/` (spin and pan write their files into the
//! current directory), generate pan with `spin -a`, compile it, run it, and
//! judge the result by what the proof expects: a proof that should hold
//! must finish a complete search with no error; a must-fail proof (a known
//! bug, a legacy protocol, a mutant, the starvation counterexample) must
//! produce its violation and a trail. That trail is replayed with
//! `spin -t`, read back as an xinterp trace, rendered as text and Mermaid,
//! and compared with `proofs/trails/<spec>.{txt,mmd}` (`--bless` or
//! `XINTERP_BLESS=1` rewrites them).
//!
//! Logs go to `proofs/results/<proof>.log` (stamped with the git revision),
//! the table to `proofs/results/summary.md` (on an unfiltered run) and, for
//! `verify`, to `target/xinterp/proofs/results.json`.
pub mod catalog;
mod pan;
pub mod table;
mod tools;
mod trail;

use cargo_xinterp::partition::Partition;
use cargo_xinterp::process;
use catalog::{Check, Expect, Proof, Violation, PROOFS};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use table::Row;
use xinterp_check::trace::render;

/// Every proof's id (`<spec stem>.<property>`), in catalog order: what
/// `docs/invariants.md` must cite (`crate::catalogue`).
#[cfg(test)]
pub fn ids() -> Vec<String> {
    PROOFS.iter().map(Proof::id).collect()
}

#[derive(Debug, Default)]
pub struct Options {
    /// Only the proofs whose id contains this.
    pub filter: Option<String>,
    /// Rewrite the golden trails instead of comparing with them.
    pub bless: bool,
    /// Only this shard's proofs (`verify --partition`), dealt by id as the
    /// scenarios are by name.
    pub partition: Option<Partition>,
}

impl Options {
    /// `XINTERP_BLESS=1` blesses too, as it does for the Rust golden traces.
    pub fn blessing(&self) -> bool {
        self.bless || std::env::var("XINTERP_BLESS").is_ok_and(|v| v == "1")
    }
}

/// Where the proofs live and write.
struct Paths {
    specs: PathBuf,
    trails: PathBuf,
    results: PathBuf,
    work: PathBuf,
}

impl Paths {
    fn new(root: &Path) -> Self {
        let specs = root.join("proofs");
        Self {
            trails: specs.join("trails"),
            results: specs.join("results"),
            work: root.join("target").join("xinterp").join("proofs"),
            specs,
        }
    }
}

/// `cargo xtask proofs`.
pub fn run(root: &Path, options: &Options) -> Result<(), String> {
    let started = Instant::now();
    let rows = run_all(root, options)?;
    if rows.is_empty() {
        return Err(format!("no proof matches the filter `{}`", options.filter.as_deref().unwrap_or("")));
    }
    println!();
    print!("{}", table::text(&rows));
    verdict(&rows, started.elapsed().as_secs_f64())
}

/// Runs the selected proofs; their rows, in catalogue order. Fails only if
/// the tools are missing or a file cannot be written: a failing proof is a
/// row with `ok == false`.
pub fn run_all(root: &Path, options: &Options) -> Result<Vec<Row>, String> {
    let matching: Vec<&Proof> =
        PROOFS.iter().filter(|p| options.filter.as_deref().is_none_or(|f| p.id().contains(f))).collect();
    let ids: Vec<String> = matching.iter().map(|p| p.id()).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let selected: Vec<&Proof> =
        matching.into_iter().filter(|p| options.partition.is_none_or(|s| s.owns(&p.id(), &id_refs))).collect();
    if selected.is_empty() {
        return Ok(Vec::new());
    }
    let tools = tools::ensure()?;
    println!("proofs: {} with cc = {}", tools.spin_version, tools.cc);
    let mut paths = Paths::new(root);
    if let Some(partition) = options.partition {
        // Shards run side by side on one machine must not share pan's
        // working files.
        paths.work = paths.work.join(format!("shard-{}-of-{}", partition.shard, partition.total));
    }
    process::fresh_dir(&paths.work)?;
    process::create_dir(&paths.results)?;
    process::create_dir(&paths.trails)?;
    let revision = revision(root);
    let mut rows = Vec::new();
    for proof in selected {
        let row = run_one(proof, &tools, &paths, &revision, options.blessing())?;
        println!("[proofs] {} ... {} ({:.1} s)", row.proof, row.result, row.wall_seconds);
        rows.push(row);
    }
    if options.filter.is_none() && options.partition.is_none() {
        write(&paths.results.join("summary.md"), &summary(&rows, &revision, &tools))?;
    }
    let json = Value::Array(rows.iter().map(Row::to_json).collect());
    let text = serde_json::to_string_pretty(&json).map_err(|e| format!("could not serialize the results: {e}"))?;
    write(&paths.work.join("results.json"), &(text + "\n"))?;
    Ok(rows)
}

/// Where `run_all` leaves its rows for `verify`.
pub fn results_json(root: &Path) -> PathBuf {
    Paths::new(root).work.join("results.json")
}

/// The rows the last `run_all` left behind.
pub fn read_results(root: &Path) -> Result<Vec<Row>, String> {
    let path = results_json(root);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("could not read {}: {e}", path.display()))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    let items = value.as_array().ok_or_else(|| format!("{}: not an array", path.display()))?;
    items.iter().map(Row::from_json).collect()
}

/// Prints the verdict on success; on failure returns it as the error.
pub fn verdict(rows: &[Row], seconds: f64) -> Result<(), String> {
    let failed: Vec<&str> = rows.iter().filter(|r| !r.ok).map(|r| r.proof.as_str()).collect();
    if failed.is_empty() {
        let noun = if rows.len() == 1 { "proof" } else { "proofs" };
        println!("proofs: OK: {} {noun} as expected in {seconds:.1} s", rows.len());
        Ok(())
    } else {
        Err(format!("proofs FAILED: {} of {}: {}", failed.len(), rows.len(), failed.join(", ")))
    }
}

fn run_one(proof: &Proof, tools: &tools::Tools, paths: &Paths, revision: &str, bless: bool) -> Result<Row, String> {
    let work = paths.work.join(proof.id());
    process::fresh_dir(&work)?;
    copy_specs(&paths.specs, &work)?;
    let mut log = header(proof, revision, tools);
    let (stats, wall, mut result, mut ok) = match pan::run(proof, tools, &work) {
        Ok(run) => {
            log.push_str(&run.transcript);
            let (result, ok) = judge(proof, &run.stats);
            (run.stats, run.wall_seconds, result, ok)
        }
        Err(why) => {
            println!("[proofs] {}: {why}", proof.id());
            log.push_str(&why);
            (pan::Stats::default(), 0.0, format!("FAILED: {}", first_line(&why)), false)
        }
    };
    if let Some(found) = stats.found.as_ref().filter(|_| stats.trail_written) {
        let violation = found.violation.unwrap_or(Violation::Assertion);
        let (replay, trace) = replay(proof, &work, violation)?;
        let _ = write!(log, "$ spin -t -p -T {}\n{replay}\n", proof.spec);
        let golden = golden_text(proof, found, &trace);
        log.push_str("---- the trail as an xinterp trace ----\n");
        log.push_str(&golden);
        if matches!(proof.expect, Expect::Fails(_)) && ok {
            if let Err(why) = check_golden(paths, proof, &golden, &golden_mermaid(proof, found, &trace), bless) {
                result = format!("FAILED: {why}");
                ok = false;
            }
        } else {
            // A proof that should hold failed: show its counterexample.
            println!("[proofs] {} counterexample:\n{golden}", proof.id());
        }
    }
    let _ = write!(log, "\nresult: {result}\n");
    write(&paths.results.join(format!("{}.log", proof.id())), &log)?;
    Ok(Row {
        proof: proof.id(),
        spec: proof.spec.to_owned(),
        kind: proof.kind(),
        result,
        ok,
        states: stats.states_stored,
        depth: stats.depth,
        memory_mb: stats.memory_mb,
        pan_seconds: stats.pan_seconds,
        wall_seconds: wall,
    })
}

/// Whether pan's verdict is what the proof expects: (result text, ok).
fn judge(proof: &Proof, stats: &pan::Stats) -> (String, bool) {
    let found = stats.found.as_ref();
    match proof.expect {
        Expect::Holds if stats.errors == 0 && found.is_none() && !stats.depth_limited => ("holds".into(), true),
        Expect::Holds if stats.errors == 0 && found.is_none() => {
            (format!("FAILED: search incomplete: depth limit -m{} reached", proof.depth), false)
        }
        Expect::Holds => (format!("FAILED: {}", found.map_or("errors reported", |f| f.message.as_str())), false),
        Expect::Fails(wanted) => match found {
            Some(f) if f.violation == Some(wanted) && stats.trail_written => ("fails as expected".into(), true),
            Some(f) => (format!("FAILED: expected {}, found {}", wanted.describe(), f.message), false),
            None => (format!("FAILED: no {} found: the spec no longer produces a trail", wanted.describe()), false),
        },
    }
}

/// Replays the trail: spin's output and the trace read from it.
fn replay(proof: &Proof, work: &Path, violation: Violation) -> Result<(String, xinterp_check::trace::Trace), String> {
    let mut cmd = Command::new("spin");
    cmd.args(["-t", "-p", "-T", proof.spec]).current_dir(work);
    let output = cmd.output().map_err(|e| format!("could not run `spin -t` for {}: {e}", proof.spec))?;
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    let trace = trail::to_trace(&text, violation, work);
    Ok((text, trace))
}

fn golden_header(proof: &Proof, found: &pan::Found) -> String {
    let property = match proof.check {
        Check::Safety => "safety (assertions, end states)".to_owned(),
        Check::Ltl(name) => format!("ltl {name}, weak fairness"),
    };
    // The message without pan's `(at depth N)`: the depth is in the log.
    let message = found.message.split(" (at depth").next().unwrap_or(&found.message);
    format!(
        "spec:      proofs/{}\nproperty:  {property}\nchecker:   spin, pan {}\nviolation: {message}\n",
        proof.spec,
        proof.run_flags().join(" ")
    )
}

fn golden_text(proof: &Proof, found: &pan::Found, trace: &xinterp_check::trace::Trace) -> String {
    format!("{}\n{}", golden_header(proof, found), render::text(trace))
}

fn golden_mermaid(proof: &Proof, found: &pan::Found, trace: &xinterp_check::trace::Trace) -> String {
    let header: String = golden_header(proof, found).lines().map(|l| format!("%% {l}\n")).collect();
    format!("{header}{}", render::mermaid(trace))
}

/// Compares the trail with its golden files, or writes them when blessing.
fn check_golden(paths: &Paths, proof: &Proof, text: &str, mermaid: &str, bless: bool) -> Result<(), String> {
    for (ext, fresh) in [("txt", text), ("mmd", mermaid)] {
        let path = paths.trails.join(format!("{}.{ext}", proof.stem()));
        let committed = std::fs::read_to_string(&path).ok();
        if committed.as_deref() == Some(fresh) {
            continue;
        }
        if bless {
            write(&path, fresh)?;
            println!("[proofs] blessed {}", path.display());
            continue;
        }
        let name = format!("proofs/trails/{}.{ext}", proof.stem());
        return Err(match committed {
            None => format!("no golden trail {name} (run `cargo xtask proofs --bless` to write it)"),
            Some(old) => format!(
                "the trail differs from {name} at line {} (check the log; `--bless` accepts it)",
                old.lines()
                    .zip(fresh.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(old.lines().count().min(fresh.lines().count()))
                    + 1
            ),
        });
    }
    Ok(())
}

fn copy_specs(from: &Path, to: &Path) -> Result<(), String> {
    let entries = std::fs::read_dir(from).map_err(|e| format!("could not list {}: {e}", from.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "pml") {
            let target = to.join(entry.file_name());
            std::fs::copy(&path, &target).map_err(|e| format!("could not copy {}: {e}", path.display()))?;
        }
    }
    Ok(())
}

fn header(proof: &Proof, revision: &str, tools: &tools::Tools) -> String {
    format!(
        "proof:     {}\nspec:      proofs/{}\nkind:      {}\nabout:     {}\nrevision:  {revision}\nspin:      {}\ncc:        {} {}\npan:       {}\n\n",
        proof.id(),
        proof.spec,
        proof.kind(),
        proof.about,
        tools.spin_version,
        tools.cc,
        proof.compile_flags().join(" "),
        proof.run_flags().join(" "),
    )
}

fn summary(rows: &[Row], revision: &str, tools: &tools::Tools) -> String {
    format!(
        "# SPIN proofs: results\n\nrevision: {revision}; {}; generated by `cargo xtask proofs`.\n\
         One log per proof beside this file; docs/proofs.md explains each proof.\n\n{}",
        tools.spin_version,
        table::markdown(rows)
    )
}

/// `git rev-parse HEAD`, marked when the proofs or the runner have
/// uncommitted changes (the logs then describe a tree no commit has).
fn revision(root: &Path) -> String {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").args(args).current_dir(root).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let Some(head) = git(&["rev-parse", "HEAD"]) else { return "unknown (no git commit)".to_owned() };
    let dirty = git(&["status", "--porcelain", "--", "proofs/*.pml", "xtask"]).is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{head} + uncommitted changes to the specs or xtask")
    } else {
        head
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

fn write(path: &Path, contents: &str) -> Result<(), String> {
    std::fs::write(path, contents).map_err(|e| format!("could not write {}: {e}", path.display()))
}
