//! `cargo xtask bench`: the criterion benchmarks of `benches/` (package
//! `xinterp-bench`) in one run, and the table of ratios against the speed
//! targets, read from criterion's own results rather than its output.
//!
//! One run: the previous results (`target/criterion`) are removed first, so
//! every figure of the table comes from this run. The load average
//! (`/proc/loadavg`) is read before and after, since the machine may be
//! shared. The channel benchmarks (threads handing items to threads, the
//! noisiest) run twice, with more samples, and the table shows both runs
//! and their spread; their ratio is taken from the first.
//!
//! Figures are the **median** of criterion's estimates
//! (`<group>/<function>/new/estimates.json`, `median.point_estimate`): on a
//! shared machine a few preempted samples move the mean more than the
//! median. A ratio is xinterp's time divided by its peer's, so lower is
//! better for xinterp.
//!
//! A full run writes `benches/results/summary.md` and regenerates the
//! `performance-results` block of `docs/performance.md` from it (as `cargo
//! xtask docs` does, which checks it). `--quick` (short measurements) only
//! prints the table: the page's figures come from full runs.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where a full run's table is kept (the source of the page's block).
pub const SUMMARY: &str = "benches/results/summary.md";

#[derive(Debug, Default)]
pub struct Options {
    /// Short measurements; prints the table and writes nothing.
    pub quick: bool,
}

/// One `cargo bench` invocation: a bench target, a criterion filter, and
/// the measurement settings (criterion's command-line flags, which override
/// the benchmark's own config).
struct Invocation {
    bench: &'static str,
    filter: &'static str,
    full: &'static [&'static str],
}

/// The guard and refcount benchmarks: one run, 3 s of measurement each.
const LIFECYCLE: Invocation =
    Invocation { bench: "lifecycle", filter: "", full: &["--warm-up-time", "1", "--measurement-time", "3"] };
const REFCOUNTS: Invocation =
    Invocation { bench: "xi", filter: "refcount", full: &["--warm-up-time", "1", "--measurement-time", "3"] };
/// Channels: run twice; 40 samples over 8 s each (the spread of two runs
/// with the benchmark's own 20 samples over 2 s was above 15 %).
const CHANNELS: Invocation = Invocation {
    bench: "channels",
    filter: "",
    full: &["--warm-up-time", "1", "--measurement-time", "8", "--sample-size", "40"],
};
const QUICK: &[&str] = &["--warm-up-time", "0.2", "--measurement-time", "0.5", "--sample-size", "10"];

/// A benchmark's id: criterion's group and function names.
type Id = (String, String);

fn id(group: &str, function: &str) -> Id {
    (group.to_owned(), function.to_owned())
}

pub fn run(root: &Path, options: &Options) -> Result<(), String> {
    let criterion = root.join("target").join("criterion");
    if criterion.exists() {
        std::fs::remove_dir_all(&criterion).map_err(|e| format!("could not clear {}: {e}", criterion.display()))?;
    }
    let load_before = loadavg()?;
    let started = std::time::Instant::now();
    bench(root, &LIFECYCLE, options)?;
    bench(root, &REFCOUNTS, options)?;
    bench(root, &CHANNELS, options)?;
    let first = read_results(&criterion)?;
    bench(root, &CHANNELS, options)?;
    let second = read_results(&criterion)?;
    let load_after = loadavg()?;
    let run = Run {
        date: today()?,
        quick: options.quick,
        load_before,
        load_after,
        minutes: started.elapsed().as_secs_f64() / 60.0,
        first,
        second,
        sizes: Sizes::of_this_build(),
    };
    let table = run.table()?;
    println!("{table}");
    if options.quick {
        println!("[bench] --quick: nothing written ({SUMMARY} and docs/performance.md come from full runs)");
        return Ok(());
    }
    let summary = root.join(SUMMARY);
    if let Some(dir) = summary.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("could not create {}: {e}", dir.display()))?;
    }
    std::fs::write(&summary, &table).map_err(|e| format!("could not write {SUMMARY}: {e}"))?;
    println!("[bench] wrote {SUMMARY}");
    crate::docs::run(root, &crate::docs::Options { check: false })
}

fn bench(root: &Path, invocation: &Invocation, options: &Options) -> Result<(), String> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root).args(["bench", "-p", "xinterp-bench", "--bench", invocation.bench, "--"]);
    if !invocation.filter.is_empty() {
        cmd.arg(invocation.filter);
    }
    cmd.args(if options.quick { QUICK } else { invocation.full });
    eprintln!("[bench] {cmd:?}");
    let status = cmd.status().map_err(|e| format!("could not run cargo bench: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo bench --bench {} failed: {status}", invocation.bench))
    }
}

/// The median time in ns of every benchmark under `dir` (criterion's
/// `**/new/benchmark.json` names it, the `estimates.json` beside it has
/// the figures).
fn read_results(dir: &Path) -> Result<BTreeMap<Id, f64>, String> {
    let mut results = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        let entries = std::fs::read_dir(&path).map_err(|e| format!("could not read {}: {e}", path.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| e.to_string())?.path();
            if entry.is_dir() {
                stack.push(entry);
            } else if entry.file_name().is_some_and(|n| n == "benchmark.json")
                && entry.parent().and_then(Path::file_name).is_some_and(|n| n == "new")
            {
                let (key, median) = read_one(&entry)?;
                results.insert(key, median);
            }
        }
    }
    if results.is_empty() {
        return Err(format!("no criterion results under {}", dir.display()));
    }
    Ok(results)
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("could not read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// A `benchmark.json`'s id and the median of the `estimates.json` beside it.
fn read_one(benchmark: &Path) -> Result<(Id, f64), String> {
    let meta = read_json(benchmark)?;
    let group = meta["group_id"].as_str().ok_or(format!("{}: no group_id", benchmark.display()))?;
    let function = meta["function_id"].as_str().unwrap_or("");
    let estimates = read_json(&benchmark.with_file_name("estimates.json"))?;
    let median = estimates["median"]["point_estimate"]
        .as_f64()
        .ok_or(format!("{}: no median point estimate", benchmark.display()))?;
    Ok((id(group, function), median))
}

fn loadavg() -> Result<String, String> {
    let text = std::fs::read_to_string("/proc/loadavg").map_err(|e| format!("could not read /proc/loadavg: {e}"))?;
    Ok(text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

fn today() -> Result<String, String> {
    let out = Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]).output().map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `size_of` the one-word types, in words, as this build lays them out.
struct Sizes {
    guard: usize,
    owned_guard: usize,
    view: usize,
}

impl Sizes {
    fn of_this_build() -> Self {
        let word = std::mem::size_of::<usize>();
        Self {
            guard: std::mem::size_of::<xinterp::Guard<'_>>() / word,
            owned_guard: std::mem::size_of::<xinterp::OwnedGuard>() / word,
            view: std::mem::size_of::<xinterp::View>() / word,
        }
    }
}

/// What one `cargo xtask bench` measured.
struct Run {
    date: String,
    quick: bool,
    load_before: String,
    load_after: String,
    minutes: f64,
    /// Every benchmark, the channels' first run included.
    first: BTreeMap<Id, f64>,
    /// The same after the channels' second run (only they changed).
    second: BTreeMap<Id, f64>,
    sizes: Sizes,
}

/// A row of the table: xinterp's benchmark against a peer's, and the
/// highest ratio (xinterp / peer) that meets the target.
struct Target {
    what: &'static str,
    ours: (&'static str, &'static str),
    peer: (&'static str, &'static str),
    peer_name: &'static str,
    max_ratio: f64,
    target: &'static str,
    /// Thread-to-thread: measured twice.
    twice: bool,
}

const TARGETS: &[Target] = &[
    Target {
        what: "SPSC unbounded",
        ours: ("SPSC buffered", "xinterp channel"),
        peer: ("SPSC buffered", "crossbeam unbounded"),
        peer_name: "crossbeam-channel",
        max_ratio: 1.0,
        target: "<= 1.0x",
        twice: true,
    },
    Target {
        what: "SPSC unbounded",
        ours: ("SPSC buffered", "xinterp channel"),
        peer: ("SPSC buffered", "std mpsc channel"),
        peer_name: "std mpsc",
        max_ratio: 1.0 / 1.5,
        target: "<= 0.67x (1.5x as fast)",
        twice: true,
    },
    Target {
        what: "MPMC 2x2",
        ours: ("MPMC 2x2", "xinterp channel"),
        peer: ("MPMC 2x2", "crossbeam unbounded"),
        peer_name: "crossbeam-channel",
        max_ratio: 1.0,
        target: "<= 1.0x",
        twice: true,
    },
    Target {
        what: "rendezvous",
        ours: ("rendezvous", "xinterp channel send"),
        peer: ("rendezvous", "crossbeam bounded(0)"),
        peer_name: "crossbeam-channel",
        max_ratio: 1.0,
        target: "<= 1.0x",
        twice: true,
    },
    Target {
        what: "rendezvous",
        ours: ("rendezvous", "xinterp channel send"),
        peer: ("rendezvous", "std sync_channel(0)"),
        peer_name: "std mpsc",
        max_ratio: 1.0 / 1.5,
        target: "<= 0.67x (1.5x as fast)",
        twice: true,
    },
    Target {
        what: "refcount inc+dec, 64 objects: heap session",
        ours: ("refcount inc+dec x64 objects", "xinterp heap session (plain, GIL held)"),
        peer: ("refcount inc+dec x64 objects", "Arc clone all, then drop all"),
        peer_name: "Arc",
        max_ratio: 1.0 / 3.0,
        target: "<= 0.33x (3x as fast)",
        twice: false,
    },
    Target {
        what: "refcount inc+dec, 64 objects: checked per operation",
        ours: ("refcount inc+dec x64 objects", "xinterp checked (GIL proof + thread check per op)"),
        peer: ("refcount inc+dec x64 objects", "Arc clone all, then drop all"),
        peer_name: "Arc",
        max_ratio: 1.0,
        target: "<= 1.0x",
        twice: false,
    },
    Target {
        what: "guard acquire+release",
        ours: ("acquire+release", "xinterp Guard"),
        peer: ("acquire+release", "Arc clone+drop"),
        peer_name: "Arc clone+drop",
        max_ratio: 1.0,
        target: "<= 1.0x",
        twice: false,
    },
    Target {
        what: "guard acquire+release",
        ours: ("acquire+release", "xinterp Guard"),
        peer: ("acquire+release", "parking_lot RwLock read"),
        peer_name: "parking_lot RwLock read",
        max_ratio: 1.0,
        target: "<= 1.0x",
        twice: false,
    },
    Target {
        what: "View::guard",
        ours: ("weak promotion", "xinterp View::guard"),
        peer: ("weak promotion", "Weak::upgrade"),
        peer_name: "Weak::upgrade",
        max_ratio: 1.5,
        target: "<= 1.5x",
        twice: false,
    },
];

/// `ns` as criterion would print it.
fn time(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.1} ns")
    }
}

impl Run {
    fn get(&self, results: &BTreeMap<Id, f64>, (group, function): (&str, &str)) -> Result<f64, String> {
        results.get(&id(group, function)).copied().ok_or(format!("no result for `{group}/{function}` in this run"))
    }

    /// The markdown table (and its header lines), ending in a newline.
    fn table(&self) -> Result<String, String> {
        let mut out = String::new();
        let mode = if self.quick { "quick run (`--quick`: 0.5 s per benchmark)" } else { "full run" };
        let _ = writeln!(out, "`cargo xtask bench`, {mode} of {} ({:.0} min).", self.date, self.minutes);
        let _ = writeln!(
            out,
            "Load average (1, 5, 15 min) before: {}; after: {} (2 cores).",
            self.load_before, self.load_after
        );
        let _ = writeln!(
            out,
            "Figures: criterion's median; ratio = xinterp's time / the peer's (lower is better for xinterp)."
        );
        let _ = writeln!(out);
        let _ = writeln!(out, "| operation | xinterp | peer | peer time | ratio | target | met? |");
        let _ = writeln!(out, "|---|---:|---|---:|---:|---|---|");
        let mut spreads: Vec<((&str, &str), f64, f64)> = Vec::new();
        for t in TARGETS {
            let ours = self.get(&self.first, t.ours)?;
            let peer = self.get(&self.first, t.peer)?;
            let ratio = ours / peer;
            let met = if ratio <= t.max_ratio { "met" } else { "**missed**" };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {ratio:.2}x | {} | {met} |",
                t.what,
                time(ours),
                t.peer_name,
                time(peer),
                t.target
            );
            if t.twice {
                for key in [t.ours, t.peer] {
                    if !spreads.iter().any(|(k, ..)| *k == key) {
                        let (a, b) = (self.get(&self.first, key)?, self.get(&self.second, key)?);
                        spreads.push((key, a, b));
                    }
                }
            }
        }
        let one = |n: usize| if n == 1 { "met" } else { "**missed**" };
        let _ = writeln!(
            out,
            "| size of `Guard` / `OwnedGuard` / `View` | {} / {} / {} word(s) | | | | 1 word each | {} |",
            self.sizes.guard,
            self.sizes.owned_guard,
            self.sizes.view,
            one(self.sizes.guard.max(self.sizes.owned_guard).max(self.sizes.view))
        );
        let _ = writeln!(out);
        let _ = writeln!(out, "The thread-to-thread benchmarks, run twice (the table's ratios are the first run's):");
        let _ = writeln!(out);
        let _ = writeln!(out, "| benchmark | first run | second run | spread | within 15 %? |");
        let _ = writeln!(out, "|---|---:|---:|---:|---|");
        for ((group, function), a, b) in spreads {
            let spread = (a - b).abs() / a.min(b);
            let within = if spread <= 0.15 { "yes" } else { "**no**" };
            let _ = writeln!(
                out,
                "| {group} / {function} | {} | {} | {:.1} % | {within} |",
                time(a),
                time(b),
                spread * 100.0
            );
        }
        Ok(out)
    }
}

/// What the block says before any full run was recorded: no figures.
pub const NO_RUN_YET: &str =
    "No full `cargo xtask bench` run is recorded yet (`benches/results/summary.md` is absent): \
the table of ratios against the speed targets appears here once one is.\n";

/// The `performance-results` block of `docs/performance.md`: the last full
/// run's table, as `cargo xtask bench` wrote it, or [`NO_RUN_YET`].
pub fn results_block(root: &Path) -> Result<String, String> {
    let path: PathBuf = root.join(SUMMARY);
    match std::fs::read_to_string(&path) {
        Ok(table) => Ok(table),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(NO_RUN_YET.to_owned()),
        Err(e) => Err(format!("could not read {SUMMARY}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(scale: impl Fn(&str) -> f64) -> Run {
        let mut first = BTreeMap::new();
        for t in TARGETS {
            first.insert(id(t.ours.0, t.ours.1), 10.0 * scale(t.ours.1));
            first.insert(id(t.peer.0, t.peer.1), 10.0);
        }
        let second = first.iter().map(|(k, v)| (k.clone(), v * 1.1)).collect();
        Run {
            date: "2026-12-03 21:00 UTC".into(),
            quick: false,
            load_before: "0.1 0.2 0.3".into(),
            load_after: "0.4 0.5 0.6".into(),
            minutes: 5.0,
            first,
            second,
            sizes: Sizes { guard: 1, owned_guard: 1, view: 1 },
        }
    }

    #[test]
    fn the_table_says_met_and_missed_from_the_ratios() {
        // Every xinterp figure at 0.9x its peer: the 1.0x targets are met,
        // the 0.67x and 0.33x ones missed, the 1.5x one met.
        let table = run_with(|_| 0.9).table().unwrap();
        let row = |what: &str, peer: &str| {
            table.lines().find(|l| l.starts_with(&format!("| {what} |")) && l.contains(peer)).unwrap().to_owned()
        };
        assert!(row("SPSC unbounded", "crossbeam-channel").ends_with("| 0.90x | <= 1.0x | met |"));
        assert!(row("SPSC unbounded", "std mpsc").ends_with("**missed** |"));
        assert!(row("refcount inc+dec, 64 objects: heap session", "Arc").ends_with("**missed** |"));
        assert!(row("View::guard", "Weak::upgrade").ends_with("| met |"));
        assert!(table.contains("| 1 / 1 / 1 word(s) | | | | 1 word each | met |"));
        // Both channel runs are shown, 10 % apart.
        assert!(table.contains("| SPSC buffered / xinterp channel | 9.0 ns | 9.9 ns | 10.0 % | yes |"), "{table}");
        assert!(table.contains("before: 0.1 0.2 0.3; after: 0.4 0.5 0.6"));
    }

    #[test]
    fn a_missing_benchmark_is_an_error_not_a_blank() {
        let mut run = run_with(|_| 1.0);
        run.first.remove(&id("rendezvous", "std sync_channel(0)"));
        assert!(run.table().unwrap_err().contains("rendezvous/std sync_channel(0)"));
    }

    #[test]
    fn the_block_says_when_no_full_run_is_recorded() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-block-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(results_block(&dir).unwrap(), NO_RUN_YET);
        let summary = dir.join(SUMMARY);
        std::fs::create_dir_all(summary.parent().unwrap()).unwrap();
        std::fs::write(&summary, "| a table |\n").unwrap();
        let block = results_block(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(block, "| a table |\n");
    }

    #[test]
    fn criterion_results_are_read_from_its_files() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-{}", std::process::id()));
        let new = dir.join("acquire+release").join("xinterp Guard").join("new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(new.join("benchmark.json"), r#"{"group_id":"acquire+release","function_id":"xinterp Guard"}"#)
            .unwrap();
        std::fs::write(
            new.join("estimates.json"),
            r#"{"mean":{"point_estimate":5.5},"median":{"point_estimate":5.25}}"#,
        )
        .unwrap();
        let results = read_results(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(results.get(&id("acquire+release", "xinterp Guard")), Some(&5.25));
    }
}
