//! The project's model coverage: `models/coverage.json`, which transitions
//! of the reference models (`xinterp_check::spec::validate::Transition`)
//! the scenarios reached under each checker, and why each one no loom
//! scenario reaches is not reached.
//!
//! `cargo xtask verify` (a whole campaign: no `--filter`, no
//! `--partition`) and `cargo xtask report merge` (of a whole campaign's
//! shards) write the file from their runs' reports
//! (`cargo_xinterp::coverage`); `cargo xtask docs` renders it as the
//! `model-coverage` block of `docs/invariants.md`. The target: every
//! transition reached by at least one loom scenario; each one that is not
//! is listed in [`NOT_REACHED_BY_LOOM`] with the reason, and a test fails
//! on a gap without a reason, or a reason without a gap.
use cargo_xinterp::coverage::Coverage;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use xinterp_check::spec::validate::{Protocol, Transition};

/// Where the project's coverage is recorded.
pub const FILE: &str = "models/coverage.json";

/// The transitions no loom scenario reaches, each with why no model
/// scenario can reach it, and what checks the outcome instead. A
/// transition a scenario could reach does not belong here: it is closed
/// with a scenario.
pub const NOT_REACHED_BY_LOOM: &[(&str, &str)] = &[
    (
        "finalize.atexit/panicked",
        "an at-exit callback must panic, and the harness's panic hook (`xinterp-check/src/run.rs`) fails an \
             execution at its first panic, caught or not; checked in production by `tests/finalize_faults.rs` \
             (`a_panicking_at_exit_callback_is_reported_and_finalization_completes`)",
    ),
    (
        "interp.run/failed",
        "a `run` closure must panic, which fails the execution under the harness (as above); checked in \
             production by `tests/api.rs` (`run_returns_values_and_failures_and_excludes_a_second_run`)",
    ),
    (
        "pending.call/failed:freed",
        "a queued release must find its object already freed, which only a user's extra decref does; under loom \
         and shuttle a use of a freed handle is XI-1, a panic (`Table::stale` in `src/xi/heap.rs`), so the \
         execution fails; in production it is `XiError::Freed`, counted",
    ),
    (
        "xiview.close/failed:freed",
        "the view's object must have been freed under it by a user's extra decref: XI-1, a panic under loom and \
         shuttle (as above); in production the close returns `XiError::Freed`, counted",
    ),
];

/// Records `coverage` as the project's when it covers a whole campaign
/// (`whole`: no filter, every partition); says why not otherwise.
pub fn record(root: &Path, coverage: &Coverage, whole: bool) -> Result<Option<PathBuf>, String> {
    if !whole {
        println!("coverage: a filtered or partial campaign: {FILE} left as it is");
        return Ok(None);
    }
    let dir = root.join("models");
    let written = cargo_xinterp::coverage::write(coverage, &dir)?;
    let path = root.join(FILE);
    if written != path {
        return Err(format!("coverage written to {}, not {FILE}", written.display()));
    }
    Ok(Some(path))
}

/// The recorded coverage; `None` when none was recorded.
pub fn read(root: &Path) -> Result<Option<Coverage>, String> {
    let path = root.join(FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("could not read {FILE}: {e}")),
    };
    let value = serde_json::from_str(&text).map_err(|e| format!("{FILE}: not JSON: {e}"))?;
    Coverage::from_json(&value).map(Some).map_err(|e| format!("{FILE}: {e}"))
}

/// Why `t` is not reached by loom, if [`NOT_REACHED_BY_LOOM`] says.
fn reason(t: Transition) -> Option<&'static str> {
    NOT_REACHED_BY_LOOM.iter().find(|(name, _)| *name == t.to_string()).map(|(_, why)| *why)
}

/// The `model-coverage` block of `docs/invariants.md`.
pub fn docs_table(root: &Path) -> Result<String, String> {
    let Some(coverage) = read(root)? else {
        return Ok(format!("No coverage recorded yet: `{FILE}` is written by a whole `cargo xtask verify`.\n"));
    };
    let mut md = String::from("| protocol | transitions |");
    for b in &coverage.backends {
        let _ = write!(md, " reached by {b} |");
    }
    md.push_str("\n|---|---:|");
    md.push_str(&"---:|".repeat(coverage.backends.len()));
    md.push('\n');
    for p in Protocol::ALL {
        let total = Transition::ALL.iter().filter(|t| t.protocol() == p).count();
        let _ = write!(md, "| {p} | {total} |");
        for b in &coverage.backends {
            let _ = write!(md, " {} |", total - coverage.unreached(p, b).len());
        }
        md.push('\n');
    }
    let gaps: Vec<Transition> = Protocol::ALL.into_iter().flat_map(|p| coverage.unreached(p, "loom")).collect();
    if gaps.is_empty() {
        md.push_str("\nEvery transition is reached by at least one loom scenario.\n");
        return Ok(md);
    }
    let _ = write!(
        md,
        "\nNot reached by any loom scenario ({}), and why no model scenario can reach them:\n\n\
         | transition | reached by | why not |\n|---|---|---|\n",
        gaps.len()
    );
    for t in gaps {
        let others: Vec<String> = coverage
            .backends
            .iter()
            .filter(|b| coverage.reached_by(t, b))
            .map(|b| format!("{b} (`{}`)", coverage.scenarios(t, b)[0]))
            .collect();
        let by = if others.is_empty() { "none".to_owned() } else { others.join(", ") };
        let why = reason(t).unwrap_or("**no reason recorded** (xtask/src/coverage.rs)");
        let _ = writeln!(md, "| `{t}` ({}) | {by} | {why} |", t.protocol());
    }
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// Every transition no loom scenario reached has its reason written
    /// down, and every reason is for a transition loom indeed misses (one
    /// a scenario now reaches must leave the list).
    #[test]
    fn every_transition_loom_misses_has_a_reason() {
        let coverage = read(&root()).unwrap().unwrap_or_else(|| panic!("{FILE} is not recorded"));
        assert!(coverage.backends.iter().any(|b| b == "loom"), "{FILE} has no loom runs");
        let gaps: Vec<String> =
            Protocol::ALL.into_iter().flat_map(|p| coverage.unreached(p, "loom")).map(|t| t.to_string()).collect();
        let without: Vec<&String> = gaps.iter().filter(|t| !NOT_REACHED_BY_LOOM.iter().any(|(n, _)| n == *t)).collect();
        assert!(
            without.is_empty(),
            "transitions no loom scenario reaches, with no reason in NOT_REACHED_BY_LOOM: {without:?}"
        );
        for (name, why) in NOT_REACHED_BY_LOOM {
            assert!(name.parse::<Transition>().is_ok(), "NOT_REACHED_BY_LOOM names `{name}`, not a model transition");
            assert!(
                gaps.iter().any(|g| g == name),
                "`{name}` is reached by loom now: remove it from NOT_REACHED_BY_LOOM"
            );
            assert!(why.len() > 20, "`{name}`: a reason, not `{why}`");
        }
    }
}
