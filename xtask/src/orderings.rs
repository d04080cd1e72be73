//! The ordering sweep: a mutant for every atomic ordering in the library
//! that is stronger than `Relaxed`, weakened one step.
//!
//! The house rule: every non-`Relaxed` ordering is needed (a loom scenario
//! catches its weakening) or it is lowered, with a comment naming what
//! orders it instead. This module finds the orderings by reading the source
//! text (every `Ordering::X` inside an atomic method call in `src/`, minus
//! the facade `src/sync/`), generates the weaker mutants, and holds the
//! recorded outcome of each ([`OUTCOMES`]): the loom scenarios that kill it.
//! `cargo test -p xtask` checks that the generated list and the table agree
//! (a new ordering, or one whose code moved, fails it until the table says
//! what kills it); `cargo xtask mutants --orderings` runs the sweep: each
//! mutant applied to a copy of the crate, its killers run under loom, and
//! every survivor is a failure.
//!
//! One step weaker, as the operation allows (what std accepts, so that
//! every mutant compiles and runs):
//!
//! | operation | `SeqCst` | `AcqRel` | `Acquire` | `Release` |
//! |---|---|---|---|---|
//! | load | `Acquire` | — | `Relaxed` | — |
//! | store | `Release` | — | — | `Relaxed` |
//! | read-modify-write, CAS success | `AcqRel` | `Acquire`, `Release` | `Relaxed` | `Relaxed` |
//! | CAS failure (no `Release` part) | `Acquire` | — | `Relaxed` | — |
//!
//! Since Rust 1.64 a CAS's failure ordering may be stronger than its
//! success ordering, so each half is weakened alone. A fence cannot be
//! `Relaxed` (std panics), and an ordering passed to anything but an atomic
//! method cannot be judged from the text: both are refused, so that no
//! ordering escapes the sweep unnoticed.
use std::fmt;
use std::path::Path;

/// The memory orderings, weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    Relaxed,
    Acquire,
    Release,
    AcqRel,
    SeqCst,
}

impl Strength {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "Relaxed" => Self::Relaxed,
            "Acquire" => Self::Acquire,
            "Release" => Self::Release,
            "AcqRel" => Self::AcqRel,
            "SeqCst" => Self::SeqCst,
            _ => return None,
        })
    }
}

impl fmt::Display for Strength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Which ordering argument of which kind of operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Load,
    Store,
    Rmw,
    /// A compare-exchange's (or `fetch_update`'s) ordering when it writes.
    Success,
    /// A compare-exchange's (or `fetch_update`'s) ordering when it only reads.
    Failure,
}

impl Role {
    /// The orderings one step weaker than `from` that this role accepts.
    fn weaker(self, from: Strength) -> Vec<Strength> {
        use Strength::*;
        match (self, from) {
            (Role::Load | Role::Failure, SeqCst) => vec![Acquire],
            (Role::Store, SeqCst) => vec![Release],
            (Role::Rmw | Role::Success, SeqCst) => vec![AcqRel],
            (Role::Rmw | Role::Success, AcqRel) => vec![Acquire, Release],
            (_, Acquire | Release) => vec![Relaxed],
            _ => Vec::new(),
        }
    }
}

/// One ordering argument in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// The file, relative to the workspace root.
    pub file: String,
    /// The function it is in.
    pub function: String,
    /// The atomic method it is passed to.
    pub method: String,
    pub role: Role,
    pub strength: Strength,
    /// 1-based line, for the report.
    pub line: usize,
    /// The byte range of the strength's name (after `Ordering::`).
    span: (usize, usize),
    /// Which of the function's identical (method, role, strength) sites this
    /// is, from 1: what tells two loads in one function apart.
    nth: usize,
}

/// One generated mutant: a site with its ordering weakened to `to`.
#[derive(Clone, Debug)]
pub struct Mutant {
    pub site: Site,
    pub to: Strength,
}

impl Site {
    /// Its name without the ordering, e.g.
    /// `src/interp/lifecycle.rs begin_finalizing: compare_exchange failure`
    /// (`#n` tells apart identical sites of one function, counted among
    /// those with the same ordering).
    pub fn key(&self) -> String {
        let role = match self.role {
            Role::Success => " success",
            Role::Failure => " failure",
            _ => "",
        };
        let nth = if self.nth > 1 { format!(" #{}", self.nth) } else { String::new() };
        format!("{} {}: {}{role}{nth}", self.file, self.function, self.method)
    }
}

impl Mutant {
    /// Its name in [`OUTCOMES`]: stable while the code around it moves
    /// (no line numbers), e.g.
    /// `src/interp/lifecycle.rs release: fetch_sub Release -> Relaxed`.
    pub fn key(&self) -> String {
        format!("{} {} -> {}", self.site.key(), self.site.strength, self.to)
    }

    /// The file's text with this mutant applied.
    pub fn apply(&self, text: &str) -> String {
        let (start, end) = self.site.span;
        format!("{}{}{}", &text[..start], self.to, &text[end..])
    }
}

/// What kills a generated mutant: loom scenarios, each run in its own
/// process, of which every one must fail.
pub struct Outcome {
    pub mutant: &'static str,
    pub killers: &'static [&'static str],
    /// How it fails, for the report.
    pub how: &'static str,
}

/// The recorded outcome of every generated mutant. The orderings that no
/// scenario needed were lowered in the code (each with a comment naming
/// what orders it instead), so they generate no mutant and are not here.
pub const OUTCOMES: &[Outcome] = &[
    Outcome {
        mutant: "src/interp/lifecycle.rs phase: load Acquire -> Relaxed",
        killers: &["lifecycle::orderings::finalized_phase_publishes_finalization"],
        how: "a data race: the at-exit callback's write is not ordered before the observer's read",
    },
    Outcome {
        mutant: "src/interp/lifecycle.rs release: fetch_sub Release -> Relaxed",
        killers: &["lifecycle::orderings::guard_holder_writes_before_teardown"],
        how: "a data race: the holder's write under its guard is not ordered before the finalizer's read",
    },
    Outcome {
        mutant: "src/interp/lifecycle.rs begin_finalizing: compare_exchange success Acquire -> Relaxed",
        killers: &["lifecycle::orderings::guard_holder_writes_before_teardown"],
        how: "a data race: the holder's write under its guard is not ordered before the finalizer's read",
    },
    Outcome {
        mutant: "src/interp/lifecycle.rs mark_finalized: fetch_add Release -> Relaxed",
        killers: &["lifecycle::orderings::finalized_phase_publishes_finalization"],
        how: "a data race: the at-exit callback's write is not ordered before the observer's read",
    },
];

/// An ordering the sweep's scenarios did not need, lowered to `Relaxed` in
/// the code (whose comment names what orders it instead); recorded so that
/// the report and `docs/invariants.md` say what it was and why, and checked
/// to still be `Relaxed` at that site.
pub struct Lowered {
    /// The site's key ([`Site::key`]), now `Relaxed`.
    pub site: &'static str,
    /// The ordering it had.
    pub was: &'static str,
    /// What orders it instead.
    pub why: &'static str,
}

/// Every ordering lowered by the sweep (issue 15).
pub const LOWERED: &[Lowered] = &[
    Lowered {
        site: "src/interp/lifecycle.rs uncount: fetch_sub",
        was: "Release",
        why: "a refused acquire held no guard and publishes nothing; its RMW continues the release sequence of the releases before it",
    },
    Lowered {
        site: "src/interp/lifecycle.rs begin_finalizing: load",
        was: "Acquire",
        why: "the first look only chooses the next step; the Acquire CAS into Finalizing orders the holders' work",
    },
    Lowered {
        site: "src/interp/lifecycle.rs begin_finalizing: compare_exchange failure",
        was: "Acquire",
        why: "a failed CAS into Finalizing only looks again; the successful one acquires",
    },
    Lowered {
        site: "src/interp/lifecycle.rs begin_finalizing: compare_exchange failure #2",
        was: "Acquire",
        why: "a failed CAS setting WAITING only looks again; the wait lock orders the sleep",
    },
    Lowered {
        site: "src/interp/lifecycle.rs begin_finalizing: load #2",
        was: "Acquire",
        why: "the re-read after a timeout: a timed-out finalizer tears nothing down",
    },
    Lowered {
        site: "src/interp/lifecycle.rs begin_finalizing: load #3",
        was: "Acquire",
        why: "the re-read after a wake-up only chooses the next step; the Acquire CAS decides",
    },
    Lowered {
        site: "src/interp/handle.rs run: compare_exchange success",
        was: "Acquire",
        why: "a run's closure runs under the interpreter's GIL, whose unlock/lock orders it after the previous run's",
    },
    Lowered {
        site: "src/interp/handle.rs run: store",
        was: "Release",
        why: "the GIL orders the next run's closure; the guard's Release orders a destroy's finalization",
    },
    Lowered {
        site: "src/interp/handle.rs destroy_until: compare_exchange success",
        was: "Acquire",
        why: "finalization's Acquire CAS on the lifecycle word orders the last run's guard release before teardown",
    },
    Lowered {
        site: "src/interp/handle.rs destroy_until: store",
        was: "Release",
        why: "a failed destroy did nothing a run builds on",
    },
];

/// The library's ordering sites, in file order (`src/**/*.rs` minus
/// `src/sync/`), or what the generator cannot judge.
pub fn library_sites(root: &Path) -> Result<Vec<Site>, String> {
    let mut files = Vec::new();
    collect_rs(&root.join("src"), &mut files)?;
    files.sort();
    let mut sites = Vec::new();
    let mut refused = Vec::new();
    for path in files {
        let relative = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
        if relative.starts_with("src/sync/") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| format!("could not read {relative}: {e}"))?;
        match sites_in(&relative, &text) {
            Ok(found) => sites.extend(found),
            Err(why) => refused.extend(why),
        }
    }
    if refused.is_empty() {
        Ok(sites)
    } else {
        Err(format!("orderings the sweep cannot mutate (see xtask/src/orderings.rs): {}", refused.join("; ")))
    }
}

fn collect_rs(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("could not list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| format!("could not list {}: {e}", dir.display()))?.path();
        if path.is_dir() {
            collect_rs(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// Every mutant of `sites`.
pub fn mutants(sites: &[Site]) -> Vec<Mutant> {
    sites
        .iter()
        .flat_map(|site| site.role.weaker(site.strength).into_iter().map(|to| Mutant { site: site.clone(), to }))
        .collect()
}

/// The ordering sites in one file's text (`Relaxed` ones included: they
/// generate no mutant, but a fence or an unknown callee is refused
/// whatever its ordering).
pub fn sites_in(file: &str, text: &str) -> Result<Vec<Site>, Vec<String>> {
    const TOKEN: &str = "Ordering::";
    let mut sites: Vec<Site> = Vec::new();
    let mut refused = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find(TOKEN) {
        let at = from + found;
        from = at + TOKEN.len();
        let line = text[..at].matches('\n').count() + 1;
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        if text[line_start..at].contains("//") {
            continue; // a comment
        }
        let name_len = text[from..].find(|c: char| !c.is_ascii_alphanumeric() && c != '_').unwrap_or(text.len() - from);
        let Some(strength) = Strength::parse(&text[from..from + name_len]) else {
            continue; // `Ordering::Less` and the like
        };
        let span = (from, from + name_len);
        let Some((method, argument)) = enclosing_call(&text[..at]) else {
            refused.push(format!("{file}:{line}: `{TOKEN}{strength}` outside a call"));
            continue;
        };
        let role = match (method.as_str(), argument) {
            ("load", _) => Role::Load,
            ("store", _) => Role::Store,
            ("compare_exchange" | "compare_exchange_weak", 2) | ("fetch_update", 0) => Role::Success,
            ("compare_exchange" | "compare_exchange_weak", 3) | ("fetch_update", 1) => Role::Failure,
            (
                "swap" | "fetch_add" | "fetch_sub" | "fetch_and" | "fetch_or" | "fetch_xor" | "fetch_nand"
                | "fetch_max" | "fetch_min",
                _,
            ) => Role::Rmw,
            _ => {
                refused.push(format!(
                    "{file}:{line}: `{TOKEN}{strength}` passed to `{method}` (argument {argument}): \
                     not an atomic method the sweep knows"
                ));
                continue;
            }
        };
        let function = enclosing_fn(&text[..at]).unwrap_or_else(|| "<top level>".to_owned());
        let nth = 1 + sites
            .iter()
            .filter(|s| s.function == function && s.method == method && s.role == role && s.strength == strength)
            .count();
        sites.push(Site { file: file.to_owned(), function, method, role, strength, line, span, nth });
    }
    if refused.is_empty() {
        Ok(sites)
    } else {
        Err(refused)
    }
}

/// The method whose argument list the end of `before` is inside, and
/// which argument (from 0).
fn enclosing_call(before: &str) -> Option<(String, usize)> {
    let bytes = before.as_bytes();
    let (mut depth, mut commas) = (0usize, 0usize);
    for i in (0..bytes.len()).rev() {
        match bytes[i] {
            b')' | b']' | b'}' => depth += 1,
            b'[' | b'{' if depth > 0 => depth -= 1,
            b'[' | b'{' => return None,
            b'(' if depth > 0 => depth -= 1,
            b'(' => {
                let name = before[..i].trim_end();
                let start = name.rfind(|c: char| !c.is_ascii_alphanumeric() && c != '_').map_or(0, |j| j + 1);
                return Some((name[start..].to_owned(), commas));
            }
            b',' if depth == 0 => commas += 1,
            _ => {}
        }
    }
    None
}

/// The name of the last `fn` declared before the end of `before`.
fn enclosing_fn(before: &str) -> Option<String> {
    let mut search = before;
    while let Some(at) = search.rfind("fn ") {
        let boundary =
            at == 0 || !search.as_bytes()[at - 1].is_ascii_alphanumeric() && search.as_bytes()[at - 1] != b'_';
        let rest = &search[at + 3..];
        let end = rest.find(|c: char| !c.is_ascii_alphanumeric() && c != '_').unwrap_or(rest.len());
        if boundary && end > 0 {
            return Some(rest[..end].to_owned());
        }
        search = &search[..at];
    }
    None
}

/// The [`LOWERED`] entries that are not a `Relaxed` site any more.
fn check_lowered(sites: &[Site]) -> Vec<String> {
    LOWERED
        .iter()
        .filter(|l| !sites.iter().any(|s| s.key() == l.site && s.strength == Strength::Relaxed))
        .map(|l| format!("{}: recorded as lowered to Relaxed, but no such Relaxed site (update LOWERED)", l.site))
        .collect()
}

/// The ordering table of `docs/invariants.md` (block `orderings`): every
/// generated mutant with its killers, then every lowered ordering.
pub fn docs_table(root: &Path) -> Result<String, String> {
    let sites = library_sites(root)?;
    let all = mutants(&sites);
    check_table(&sites, &all)?;
    let mut out = String::from("| site | ordering | mutant | outcome |\n|---|---|---|---|\n");
    for mutant in &all {
        let outcome = OUTCOMES.iter().find(|o| o.mutant == mutant.key()).ok_or("checked above")?;
        let killers: Vec<String> = outcome.killers.iter().map(|k| format!("`{k}`")).collect();
        out.push_str(&format!(
            "| `{}` | `{}` | → `{}` | killed by {}: {} |\n",
            mutant.site.key(),
            mutant.site.strength,
            mutant.to,
            killers.join(", "),
            outcome.how
        ));
    }
    for lowered in LOWERED {
        out.push_str(&format!(
            "| `{}` | `Relaxed` (was `{}`) | — | lowered: {} |\n",
            lowered.site, lowered.was, lowered.why
        ));
    }
    Ok(out)
}

/// Whether the generated mutants and [`OUTCOMES`] name the same set: the
/// cheap check `cargo test -p xtask` (and so `cargo xtask ci`) runs.
pub fn check_table(sites: &[Site], mutants: &[Mutant]) -> Result<(), String> {
    let generated: Vec<String> = mutants.iter().map(Mutant::key).collect();
    let unrecorded: Vec<&String> =
        generated.iter().filter(|k| !OUTCOMES.iter().any(|o| o.mutant == k.as_str())).collect();
    let stale: Vec<&str> = OUTCOMES.iter().map(|o| o.mutant).filter(|m| !generated.iter().any(|k| k == m)).collect();
    let mut wrong = Vec::new();
    if !unrecorded.is_empty() {
        wrong.push(format!(
            "generated mutants with no recorded outcome (add a killing loom scenario to OUTCOMES, or lower the \
             ordering with a comment naming what orders it): {unrecorded:?}"
        ));
    }
    if !stale.is_empty() {
        wrong.push(format!("recorded outcomes no site generates any more (remove them): {stale:?}"));
    }
    if let Some(empty) = OUTCOMES.iter().find(|o| o.killers.is_empty()) {
        wrong.push(format!("{}: no killer scenario", empty.mutant));
    }
    wrong.extend(check_lowered(sites));
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
use std::sync::atomic::{AtomicUsize, Ordering};
impl Thing {
    fn publish(&self) {
        // Release: pairs with Ordering::Acquire in `read` (a comment: ignored)
        self.flag.store(1, Ordering::Release);
        self.count.fetch_add(1, Ordering::Relaxed);
    }
    fn read(&self) -> usize {
        let a = self.flag.load(Ordering::Acquire);
        let b = self.flag.load(Ordering::Acquire);
        match self.word.compare_exchange(a, f(b, [1, 2]), Ordering::AcqRel, Ordering::SeqCst) {
            Ok(x) => x,
            Err(_) => self.word.swap(0, Ordering::SeqCst),
        }
    }
    fn cmp(&self) -> std::cmp::Ordering { std::cmp::Ordering::Less }
}
"#;

    fn keys(text: &str) -> Vec<String> {
        mutants(&sites_in("src/x.rs", text).unwrap()).iter().map(Mutant::key).collect()
    }

    #[test]
    fn the_generator_finds_each_ordering_and_weakens_it_one_step() {
        assert_eq!(
            keys(SAMPLE),
            [
                "src/x.rs publish: store Release -> Relaxed",
                "src/x.rs read: load Acquire -> Relaxed",
                "src/x.rs read: load #2 Acquire -> Relaxed",
                "src/x.rs read: compare_exchange success AcqRel -> Acquire",
                "src/x.rs read: compare_exchange success AcqRel -> Release",
                "src/x.rs read: compare_exchange failure SeqCst -> Acquire",
                "src/x.rs read: swap SeqCst -> AcqRel",
            ]
        );
        let sites = sites_in("src/x.rs", SAMPLE).unwrap();
        assert_eq!(sites.len(), 7, "the Relaxed fetch_add is a site without mutants: {sites:?}");
        assert_eq!(sites.iter().map(|s| s.line).collect::<Vec<_>>(), [6, 7, 10, 11, 12, 12, 14]);
    }

    #[test]
    fn a_mutant_rewrites_only_its_own_token() {
        let all = mutants(&sites_in("src/x.rs", SAMPLE).unwrap());
        let second_load = all.iter().find(|m| m.key() == "src/x.rs read: load #2 Acquire -> Relaxed").unwrap();
        let mutated = second_load.apply(SAMPLE);
        assert!(mutated.contains("let a = self.flag.load(Ordering::Acquire);"));
        assert!(mutated.contains("let b = self.flag.load(Ordering::Relaxed);"));
        assert_eq!(mutated.len(), SAMPLE.len() + "Relaxed".len() - "Acquire".len());
        let failure = all.iter().find(|m| m.key().contains("failure")).unwrap();
        assert!(failure.apply(SAMPLE).contains("Ordering::AcqRel, Ordering::Acquire)"));
    }

    #[test]
    fn fences_and_unknown_callees_are_refused() {
        let fence = "fn f() { std::sync::atomic::fence(Ordering::SeqCst); }";
        assert!(sites_in("src/f.rs", fence).unwrap_err()[0].contains("`fence`"));
        let helper = "fn f() { load_with(&x, Ordering::Acquire); }";
        assert!(sites_in("src/f.rs", helper).unwrap_err()[0].contains("`load_with`"));
        let bare = "const O: Ordering = Ordering::Acquire;";
        assert!(sites_in("src/f.rs", bare).unwrap_err()[0].contains("outside a call"));
    }

    /// The cheap check of `cargo xtask ci`: every ordering stronger than
    /// Relaxed in the library has a recorded killer, and no recorded
    /// outcome is stale.
    #[test]
    fn every_generated_mutant_has_a_recorded_outcome() {
        let sites = library_sites(&crate::workspace_root()).unwrap();
        let all = mutants(&sites);
        assert!(!all.is_empty(), "the library has orderings stronger than Relaxed: {sites:?}");
        if let Err(why) = check_table(&sites, &all) {
            panic!("{why}");
        }
    }
}
