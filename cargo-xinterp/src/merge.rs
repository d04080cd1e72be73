//! `report merge`: the `report.json` of each shard of a campaign (`verify
//! --partition k/n`, or `--seed-shard k/n` of one shuttle seed range) made
//! into one report, as if one machine had run the whole campaign.
//!
//! Inputs that are not shares of one campaign are refused (an error), so a
//! merged report never passes for more than was run:
//! - a different report layout (`format`), package, revision, filter or
//!   shuttle iteration count;
//! - a partition of another scheme or shard count, the same shard twice,
//!   a missing shard, or shards beside an unpartitioned report;
//! - a scenario under a backend in two reports, unless both are shuttle runs
//!   of disjoint seed ranges (seed shards): their executions and witness
//!   counts add up, and the run fails if either did;
//! - a proof (any item of a list-valued extra key, such as xtask's
//!   `proofs`) with the same `proof` id in two reports.
//!
//! The merged runs' model coverage ([`crate::coverage`]) is their union: a
//! seed-sharded shuttle run's transitions are both shards'.
//!
//! Warnings (printed; the merge goes on): a report without a revision (not
//! a git checkout: whether the shards ran the same code cannot be checked),
//! and reports written by different versions of the runner (same layout).
use crate::backend::Backend;
use crate::coverage::{self, Coverage};
use crate::partition::Partition;
use crate::report::{self, RunReport};
use crate::verify::{campaign_line, REPORT_FORMAT};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use xinterp_check::spec::validate::Transition;
use xinterp_check::SeedRange;

/// The keys of `report.json` the merge understands; any other key holding
/// a list is an extra section (xtask's `proofs`) and is concatenated.
const KNOWN: [&str; 8] = ["format", "runner", "package", "revision", "filter", "campaign", "backends", "runs"];

/// The merged report.
#[derive(Debug)]
pub struct Merged {
    /// `report.json`'s merged document.
    pub document: Value,
    /// Every run, ordered by backend then scenario.
    pub runs: Vec<RunReport>,
    /// What was odd but not inconsistent.
    pub warnings: Vec<String>,
    /// The model transitions the runs reached (`coverage.json`).
    pub coverage: Coverage,
}

/// Reads the reports at `paths` and merges them.
pub fn merge_files(paths: &[PathBuf]) -> Result<Merged, String> {
    let mut inputs = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|e| format!("could not read {}: {e}", path.display()))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
        inputs.push((path.display().to_string(), value));
    }
    merge(&inputs)
}

/// Merges `(name, report.json)` pairs; `name` is only for messages.
pub fn merge(inputs: &[(String, Value)]) -> Result<Merged, String> {
    let (first_name, first) = inputs.first().ok_or("report merge needs at least one report")?;
    let mut warnings = Vec::new();
    for (name, doc) in inputs {
        if doc["format"].as_u64() != Some(REPORT_FORMAT) {
            return Err(format!(
                "{name}: report layout {} is not {REPORT_FORMAT} (written by another version of the runner)",
                doc["format"]
            ));
        }
        for key in ["package", "revision", "filter"] {
            if doc[key] != first[key] {
                return Err(format!(
                    "{name} and {first_name} differ in `{key}` ({} vs {}): not shares of one campaign",
                    doc[key], first[key]
                ));
            }
        }
        if doc["campaign"]["shuttle_iterations"] != first["campaign"]["shuttle_iterations"] {
            return Err(format!("{name} and {first_name} ran shuttle with different --iterations"));
        }
        if doc["runner"] != first["runner"] {
            warnings.push(format!("{name} was written by {} and {first_name} by {}", doc["runner"], first["runner"]));
        }
    }
    if first["revision"].is_null() {
        warnings.push("the reports name no revision: whether they ran the same code is unchecked".to_owned());
    }
    let partition = check_partitions(inputs)?;
    let seeds = check_seeds(inputs)?;

    let mut runs: BTreeMap<(usize, String), (String, RunReport)> = BTreeMap::new();
    for (name, doc) in inputs {
        for raw in doc["runs"].as_array().ok_or_else(|| format!("{name}: no `runs` array"))? {
            let run = RunReport::parse(&raw.to_string())
                .or_else(|_| placeholder_of(raw))
                .map_err(|e| format!("{name}: a run that cannot be read: {e}"))?;
            let key = (backend_index(&run.backend), run.scenario.clone());
            match runs.remove(&key) {
                None => {
                    runs.insert(key, (name.clone(), run));
                }
                Some((other, earlier)) => {
                    let seed_shards = run.backend == Backend::Shuttle.name() && seeds.is_some();
                    if !seed_shards {
                        return Err(format!(
                            "`{}` under {} is in both {other} and {name}: the shards overlap",
                            run.scenario, run.backend
                        ));
                    }
                    runs.insert(key, (format!("{other} + {name}"), add_seed_shards(earlier, run)));
                }
            }
        }
    }
    let runs: Vec<RunReport> = runs.into_values().map(|(_, run)| run).collect();

    let mut document = Map::new();
    for key in ["format", "runner", "package", "revision", "filter"] {
        document.insert(key.to_owned(), first[key].clone());
    }
    document.insert(
        "campaign".to_owned(),
        json!({
            "partition": partition.map(|(scheme, total)| format!("{scheme}:1..{total}/{total}")),
            "shuttle_iterations": first["campaign"]["shuttle_iterations"],
            "shuttle_seeds": seeds.map(|s| s.to_string()),
            "merged_from": inputs.len(),
        }),
    );
    document.insert("backends".to_owned(), Value::Array(merge_backends(inputs)));
    document.insert("runs".to_owned(), Value::Array(runs.iter().map(|r| r.raw.clone()).collect()));
    for (key, value) in merge_extras(inputs)? {
        document.insert(key, value);
    }
    let coverage = Coverage::of(&runs)?;
    Ok(Merged { document: Value::Object(document), runs, warnings, coverage })
}

/// A failing placeholder (`NO REPORT`, `ABORTED`...) as `report.json` holds it.
fn placeholder_of(raw: &Value) -> Result<RunReport, String> {
    let field = |key: &str| raw[key].as_str().ok_or_else(|| format!("no string `{key}`"));
    let mut run = RunReport::placeholder(
        field("scenario")?,
        field("backend")?,
        field("outcome")?,
        raw["violation"].as_str().unwrap_or("").to_owned(),
    );
    run.raw = raw.clone();
    Ok(run)
}

fn backend_index(name: &str) -> usize {
    Backend::ALL.iter().position(|b| b.name() == name).unwrap_or(Backend::ALL.len())
}

/// Every report's partition must be the same scheme and count, each shard
/// once and none missing; `(scheme, total)` of the campaign, or `None` if
/// none is partitioned.
fn check_partitions(inputs: &[(String, Value)]) -> Result<Option<(String, u64)>, String> {
    let mut seen: Vec<(String, Partition)> = Vec::new();
    for (name, doc) in inputs {
        match doc["campaign"]["partition"].as_str() {
            Some(text) => seen.push((name.clone(), text.parse()?)),
            None if inputs.len() > 1 && inputs.iter().any(|(_, d)| d["campaign"]["partition"].is_string()) => {
                return Err(format!("{name} ran every scenario, the others one partition each"));
            }
            None => {}
        }
    }
    let Some((first_name, first)) = seen.first() else { return Ok(None) };
    for (name, p) in &seen {
        if (p.scheme, p.total) != (first.scheme, first.total) {
            return Err(format!("{name} is partition {p} and {first_name} is {first}: not shards of one campaign"));
        }
        if let Some((other, _)) = seen.iter().find(|(n, q)| n != name && q.shard == p.shard) {
            return Err(format!("{name} and {other} are both partition {p}"));
        }
    }
    let missing: Vec<String> =
        (1..=first.total).filter(|k| !seen.iter().any(|(_, p)| p.shard == *k)).map(|k| k.to_string()).collect();
    if !missing.is_empty() {
        return Err(format!(
            "shard(s) {} of {} missing: the merged report would lack their scenarios",
            missing.join(", "),
            first.total
        ));
    }
    let scheme = first.to_string().split(':').next().unwrap_or("count").to_owned();
    Ok(Some((scheme, first.total)))
}

/// Seed ranges of shuttle seed shards must not overlap; the range they
/// cover together, when they are contiguous (`None` if no report has one).
fn check_seeds(inputs: &[(String, Value)]) -> Result<Option<SeedRange>, String> {
    let mut ranges: Vec<(String, SeedRange)> = Vec::new();
    for (name, doc) in inputs {
        if let Some(text) = doc["campaign"]["shuttle_seeds"].as_str() {
            ranges.push((name.clone(), text.parse()?));
        } else if inputs.iter().any(|(_, d)| d["campaign"]["shuttle_seeds"].is_string()) {
            return Err(format!("{name} ran shuttle at each scenario's own seed, the others over a seed range"));
        }
    }
    ranges.sort_by_key(|(_, r)| r.start);
    for pair in ranges.windows(2) {
        let ((a_name, a), (b_name, b)) = (&pair[0], &pair[1]);
        if b.start < a.end {
            return Err(format!("{a_name} (seeds {a}) and {b_name} (seeds {b}) overlap"));
        }
        if b.start > a.end {
            return Err(format!(
                "seeds {}..{} between {a_name} and {b_name} were run by no report: merge whole ranges",
                a.end, b.start
            ));
        }
    }
    Ok(ranges.first().zip(ranges.last()).map(|((_, a), (_, b))| SeedRange { start: a.start, end: b.end }))
}

/// One shuttle run from two seed shards: executions, time and witness counts
/// add up; it fails if either failed (the first failure's details kept).
fn add_seed_shards(a: RunReport, b: RunReport) -> RunReport {
    let (mut merged, other) = if a.ok || !b.ok { (a, b) } else { (b, a) };
    merged.executions += other.executions;
    merged.wall_ms += other.wall_ms;
    merged.ok = merged.ok && other.ok;
    for w in &mut merged.witnesses {
        w.count += other.witnesses.iter().filter(|o| o.name == w.name).map(|o| o.count).sum::<u64>();
    }
    // The model transitions either shard's executions took.
    if let (Some(mine), Some(theirs)) =
        (merged.raw["spec"]["transitions"].as_array(), other.raw["spec"]["transitions"].as_array())
    {
        let mut union: Vec<String> = mine.iter().chain(theirs).filter_map(|t| t.as_str().map(str::to_owned)).collect();
        union.sort_by_key(|t| t.parse::<Transition>().map_or(usize::MAX, Transition::index));
        union.dedup();
        merged.raw["spec"]["transitions"] = json!(union);
    }
    merged.bound = seeds_in_bound(&merged.bound, &other.bound);
    merged.raw["executions"] = json!(merged.executions);
    merged.raw["wall_ms"] = json!(merged.wall_ms);
    merged.raw["ok"] = json!(merged.ok);
    merged.raw["bound"] = json!(merged.bound);
    if let Some(items) = merged.raw["witnesses"].as_array_mut() {
        for (item, w) in items.iter_mut().zip(&merged.witnesses) {
            item["count"] = json!(w.count);
        }
    }
    merged
}

/// `..., seeds=0..10` and `..., seeds=10..20`: `..., seeds=0..20` when the
/// ranges meet, both listed otherwise.
fn seeds_in_bound(a: &str, b: &str) -> String {
    let split =
        |s: &str| s.rsplit_once("seeds=").and_then(|(head, r)| Some((head.to_owned(), r.parse::<SeedRange>().ok()?)));
    match (split(a), split(b)) {
        (Some((head, x)), Some((_, y))) if x.end == y.start => format!("{head}seeds={}..{}", x.start, y.end),
        (Some((head, x)), Some((_, y))) if y.end == x.start => format!("{head}seeds={}..{}", y.start, x.end),
        (Some((head, x)), Some((_, y))) => format!("{head}seeds={x},{y}"),
        _ => format!("{a} + {b}"),
    }
}

/// Per backend: built everywhere, the longest shard's wall time (what the
/// campaign took on parallel machines) and their sum.
fn merge_backends(inputs: &[(String, Value)]) -> Vec<Value> {
    let mut merged: Vec<(String, bool, f64, f64)> = Vec::new();
    for (_, doc) in inputs {
        for b in doc["backends"].as_array().into_iter().flatten() {
            let name = b["backend"].as_str().unwrap_or("?").to_owned();
            let (built, wall) = (b["built"].as_bool().unwrap_or(false), b["wall_s"].as_f64().unwrap_or(0.0));
            match merged.iter_mut().find(|m| m.0 == name) {
                Some(m) => {
                    m.1 &= built;
                    m.2 = m.2.max(wall);
                    m.3 += wall;
                }
                None => merged.push((name, built, wall, wall)),
            }
        }
    }
    merged.sort_by_key(|m| backend_index(&m.0));
    merged
        .into_iter()
        .map(|(backend, built, wall, total)| json!({"backend": backend, "wall_s": wall, "wall_s_total": total, "built": built}))
        .collect()
}

/// Extra keys: lists are concatenated (an item with a `proof` id twice is
/// an error); anything else is kept from the first report that has it.
fn merge_extras(inputs: &[(String, Value)]) -> Result<Vec<(String, Value)>, String> {
    let mut extras: Vec<(String, Value)> = Vec::new();
    for (name, doc) in inputs {
        let Some(object) = doc.as_object() else { continue };
        for (key, value) in object.iter().filter(|(k, _)| !KNOWN.contains(&k.as_str())) {
            let slot = match extras.iter_mut().find(|(k, _)| k == key) {
                Some((_, slot)) => slot,
                None => {
                    extras.push((key.clone(), Value::Null));
                    &mut extras.last_mut().expect("just pushed").1
                }
            };
            match (slot, value) {
                (Value::Array(items), Value::Array(more)) => {
                    for item in more {
                        if item["proof"].is_string() && items.iter().any(|i| i["proof"] == item["proof"]) {
                            return Err(format!("{name}: `{key}` item {} is in two reports", item["proof"]));
                        }
                        items.push(item.clone());
                    }
                }
                (slot @ Value::Null, value) => *slot = value.clone(),
                _ => {}
            }
        }
    }
    Ok(extras)
}

/// `report.md` for a merged report; `extra` is appended after the runs'
/// table (xtask: the proofs' table).
pub fn markdown(merged: &Merged, extra: &str) -> String {
    let doc = &merged.document;
    let mut md = format!("# {}: scenario verification\n\n", doc["package"].as_str().unwrap_or("?"));
    md.push_str(&format!(
        "revision: {}; filter: {}; merged by `report merge` from {} reports\n\n",
        doc["revision"].as_str().unwrap_or("unknown (no commit)"),
        doc["filter"].as_str().map_or("none".to_owned(), |f| format!("`{f}`")),
        doc["campaign"]["merged_from"],
    ));
    md.push_str(&campaign_line(&doc["campaign"]));
    md.push_str("| backend | wall time (longest shard) | all shards | build |\n|---|---:|---:|---|\n");
    for b in doc["backends"].as_array().into_iter().flatten() {
        let built = if b["built"] == true { "ok" } else { "FAILED" };
        md.push_str(&format!(
            "| {} | {:.1} s | {:.1} s | {built} |\n",
            b["backend"].as_str().unwrap_or("?"),
            b["wall_s"].as_f64().unwrap_or(0.0),
            b["wall_s_total"].as_f64().unwrap_or(0.0)
        ));
    }
    md.push_str("\n## Runs\n\n");
    md.push_str(&report::markdown_table(&merged.runs));
    md.push_str(&merged.coverage.markdown());
    md.push_str(extra);
    let failing: Vec<&RunReport> = merged.runs.iter().filter(|r| !r.ok).collect();
    if !failing.is_empty() {
        md.push_str("\n## Failures\n\n");
        for run in failing {
            md.push_str(&report::markdown_failure(run));
        }
    }
    md
}

/// Writes `report.md`, `report.json` and `coverage.json` into `out`; the
/// first two's paths.
pub fn write(merged: &Merged, extra_markdown: &str, out: &Path) -> Result<[PathBuf; 2], String> {
    std::fs::create_dir_all(out).map_err(|e| format!("could not create {}: {e}", out.display()))?;
    let paths = [out.join("report.md"), out.join("report.json")];
    let json = serde_json::to_string_pretty(&merged.document).map_err(|e| format!("could not serialize: {e}"))?;
    for (path, text) in paths.iter().zip([markdown(merged, extra_markdown), json + "\n"]) {
        std::fs::write(path, text).map_err(|e| format!("could not write {}: {e}", path.display()))?;
    }
    coverage::write(&merged.coverage, out)?;
    Ok(paths)
}

/// Whether every backend built and every run passed (and there is one).
pub fn passed(merged: &Merged) -> bool {
    let built = merged.document["backends"].as_array().into_iter().flatten().all(|b| b["built"] == true);
    built && !merged.runs.is_empty() && merged.runs.iter().all(|r| r.ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::RUNNER_VERSION;

    fn run(scenario: &str, backend: &str, executions: u64, ok: bool, bound: &str) -> Value {
        json!({
            "scenario": scenario, "backend": backend, "kind": "model", "bound": bound,
            "executions": executions, "wall_ms": 1.0, "outcome": if ok { "pass" } else { "FAIL" }, "ok": ok,
            "witnesses": [{"name": "w", "description": "d", "count": executions / 2}],
            "violation": null, "failing_execution": null, "replay": "r",
        })
    }

    fn report(partition: Option<&str>, seeds: Option<&str>, runs: Vec<Value>) -> Value {
        json!({
            "format": REPORT_FORMAT, "runner": RUNNER_VERSION, "package": "p", "revision": "abc1234",
            "filter": null,
            "campaign": {"partition": partition, "shuttle_iterations": null, "shuttle_seeds": seeds},
            "backends": [{"backend": "loom", "wall_s": 2.0, "built": true}],
            "runs": runs,
        })
    }

    fn named(docs: Vec<Value>) -> Vec<(String, Value)> {
        docs.into_iter().enumerate().map(|(i, d)| (format!("shard{}", i + 1), d)).collect()
    }

    #[test]
    fn two_shards_make_one_report() {
        let a = report(Some("hash:1/2"), None, vec![run("x::b", "loom", 4, true, "exhaustive")]);
        let mut b = report(Some("hash:2/2"), None, vec![run("x::a", "loom", 6, true, "exhaustive")]);
        b["proofs"] = json!([{"proof": "p.safety", "ok": true}]);
        let merged = merge(&named(vec![a, b])).expect("merges");
        let names: Vec<&str> = merged.runs.iter().map(|r| r.scenario.as_str()).collect();
        assert_eq!(names, ["x::a", "x::b"], "ordered by backend, then scenario");
        assert!(passed(&merged));
        assert_eq!(merged.document["campaign"]["partition"], "hash:1..2/2");
        assert_eq!(merged.document["backends"][0]["wall_s"], 2.0, "the longest shard");
        assert_eq!(merged.document["backends"][0]["wall_s_total"], 4.0);
        assert_eq!(merged.document["proofs"].as_array().map(Vec::len), Some(1));
        assert!(markdown(&merged, "").contains("merged from 2 reports"));
        assert!(merged.warnings.is_empty());
    }

    #[test]
    fn a_failure_in_one_shard_fails_the_merge() {
        let a = report(Some("count:1/2"), None, vec![run("x::a", "loom", 4, false, "exhaustive")]);
        let b = report(Some("count:2/2"), None, vec![run("x::b", "loom", 4, true, "exhaustive")]);
        let merged = merge(&named(vec![a, b])).expect("merges");
        assert!(!passed(&merged));
        assert!(markdown(&merged, "").contains("## Failures"));
    }

    #[test]
    fn inconsistent_shards_are_refused() {
        let shard = |p: &str, scenario: &str| report(Some(p), None, vec![run(scenario, "loom", 1, true, "e")]);
        let refused = |docs: Vec<Value>, why: &str| {
            let err = merge(&named(docs)).expect_err(why);
            assert!(err.contains(why), "{err}");
        };
        refused(vec![shard("hash:1/2", "a"), shard("hash:2/2", "a")], "the shards overlap");
        refused(vec![shard("hash:1/2", "a"), shard("hash:1/2", "b")], "are both partition hash:1/2");
        refused(vec![shard("hash:1/3", "a"), shard("hash:2/3", "b")], "shard(s) 3 of 3 missing");
        refused(vec![shard("hash:1/2", "a"), shard("count:2/2", "b")], "not shards of one campaign");
        refused(vec![shard("hash:1/2", "a"), report(None, None, vec![])], "ran every scenario");
        let mut other = shard("hash:2/2", "b");
        other["revision"] = json!("def5678");
        refused(vec![shard("hash:1/2", "a"), other], "differ in `revision`");
        let mut old = shard("hash:2/2", "b");
        old.as_object_mut().unwrap().remove("format");
        refused(vec![shard("hash:1/2", "a"), old], "report layout");
        let mut proofs = (shard("hash:1/2", "a"), shard("hash:2/2", "b"));
        proofs.0["proofs"] = json!([{"proof": "p.safety"}]);
        proofs.1["proofs"] = json!([{"proof": "p.safety"}]);
        refused(vec![proofs.0, proofs.1], "is in two reports");
        refused(vec![], "at least one report");
    }

    #[test]
    fn a_different_runner_version_or_no_revision_is_a_warning() {
        let mut a = report(Some("hash:1/2"), None, vec![run("a", "loom", 1, true, "e")]);
        let mut b = report(Some("hash:2/2"), None, vec![run("b", "loom", 1, true, "e")]);
        b["runner"] = json!("cargo-xinterp 0.0.9");
        let merged = merge(&named(vec![a.clone(), b.clone()])).expect("merges");
        assert_eq!(merged.warnings.len(), 1, "{:?}", merged.warnings);
        a["revision"] = Value::Null;
        b["revision"] = Value::Null;
        let merged = merge(&named(vec![a, b])).expect("merges");
        assert!(merged.warnings.iter().any(|w| w.contains("no revision")), "{:?}", merged.warnings);
    }

    #[test]
    fn seed_shards_of_shuttle_add_up() {
        let bound = |s: &str| format!("pct depth=3, iterations<=10 per seed, seeds={s}");
        let a = report(None, Some("0..5"), vec![run("a", "shuttle", 50, true, &bound("0..5"))]);
        let b = report(None, Some("5..10"), vec![run("a", "shuttle", 40, false, &bound("5..10"))]);
        let merged = merge(&named(vec![a.clone(), b.clone()])).expect("merges");
        let both = &merged.runs[0];
        assert_eq!((both.executions, both.ok, both.witnesses[0].count), (90, false, 45));
        assert_eq!(both.bound, bound("0..10"));
        assert_eq!(merged.document["campaign"]["shuttle_seeds"], "0..10");
        assert_eq!(merged.document["runs"][0]["executions"], 90);
        let overlapping = report(None, Some("3..8"), vec![run_value("a")]);
        assert!(merge(&named(vec![a.clone(), overlapping])).unwrap_err().contains("overlap"));
        let gap = report(None, Some("6..10"), vec![run_value("a")]);
        assert!(merge(&named(vec![a.clone(), gap])).unwrap_err().contains("were run by no report"));
        let loom_twice = report(None, Some("5..10"), vec![run("l", "loom", 1, true, "e")]);
        let a_loom = report(None, Some("0..5"), vec![run("l", "loom", 1, true, "e")]);
        assert!(merge(&named(vec![a_loom, loom_twice])).unwrap_err().contains("overlap"));
    }

    /// The model transitions of a seed-sharded run are both shards', in
    /// the models' order; the merged coverage is their union.
    #[test]
    fn seed_shards_unite_their_model_transitions() {
        let bound = |s: &str| format!("pct depth=3, iterations<=10 per seed, seeds={s}");
        let with = |seeds: &str, transitions: &[&str]| {
            let mut r = run("a", "shuttle", 5, true, &bound(seeds));
            r["spec"] = json!({ "mode": "validated", "transitions": transitions });
            report(None, Some(seeds), vec![r])
        };
        let a = with("0..5", &["gil.release/ok", "guard.acquire/granted"]);
        let b = with("5..10", &["gil.acquire/blocked", "guard.acquire/granted"]);
        let merged = merge(&named(vec![a, b])).expect("merges");
        assert_eq!(
            merged.document["runs"][0]["spec"]["transitions"],
            json!(["guard.acquire/granted", "gil.acquire/blocked", "gil.release/ok"])
        );
        assert!(merged.coverage.reached_by(Transition::GilBlocked, "shuttle"));
        let stale = with("10..15", &["gil.acquire/stolen"]);
        assert!(merge(&named(vec![stale])).unwrap_err().contains("gil.acquire/stolen"));
    }

    fn run_value(scenario: &str) -> Value {
        run(scenario, "shuttle", 1, true, "pct depth=3, iterations<=1 per seed, seeds=0..1")
    }
}
