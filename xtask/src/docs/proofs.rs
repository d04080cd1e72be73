//! The tables of `docs/proofs.md`: what each wrapper spec runs and what its
//! proofs must come to (from the catalog and the wrappers' headers), the
//! mutants, and the last run's results (from `proofs/results/summary.md`).
//!
//! A wrapper's header is a comment: a title line (`<file> -- <what kind of
//! wrapper>`), a blank line, then the paragraph this table shows (the
//! threads and the bounds), then `Spec:` / `Rust:` / `Page:` lines.
use crate::proofs::catalog::{Check, Expect, Proof, PROOFS};
use std::path::Path;

fn read(root: &Path, path: &str) -> Result<String, String> {
    std::fs::read_to_string(root.join(path)).map_err(|e| format!("could not read {path}: {e}"))
}

/// The spec a wrapper `#include`s.
fn included(wrapper: &str) -> Option<&str> {
    wrapper.lines().find_map(|line| line.trim().strip_prefix("#include \"")?.strip_suffix('"'))
}

/// The protocol specs the wrappers include, in catalog order.
pub fn protocol_specs(root: &Path) -> Result<Vec<String>, String> {
    let mut specs: Vec<String> = Vec::new();
    for proof in PROOFS {
        let text = read(root, &format!("proofs/{}", proof.spec))?;
        let spec = included(&text).ok_or(format!("proofs/{}: no #include", proof.spec))?;
        if !specs.iter().any(|s| s == spec) {
            specs.push(spec.to_owned());
        }
    }
    Ok(specs)
}

/// The paragraph after a header's title: what the wrapper runs.
fn description(header_of: &str, text: &str) -> Result<String, String> {
    let comment = text.split("*/").next().unwrap_or("");
    let lines: Vec<&str> =
        comment.lines().map(|l| l.trim().trim_start_matches("/*").trim_start_matches('*').trim()).collect();
    let start = lines.iter().skip(1).position(|l| l.is_empty()).map(|n| n + 2);
    let paragraph: Vec<&str> = start
        .map(|at| {
            lines[at..]
                .iter()
                .take_while(|l| !l.is_empty() && !["Spec:", "Rust:", "Page:"].iter().any(|p| l.starts_with(p)))
                .copied()
                .collect()
        })
        .unwrap_or_default();
    if paragraph.is_empty() {
        return Err(format!("{header_of}: the header has no paragraph after its title line"));
    }
    Ok(paragraph.join(" ").replace('|', "\\|"))
}

fn expected(proof: &Proof) -> String {
    match proof.expect {
        Expect::Holds => "holds".to_owned(),
        Expect::Fails(violation) => format!("must fail ({})", violation.describe()),
    }
}

fn property(proof: &Proof) -> String {
    match proof.check {
        Check::Safety => "`safety`".to_owned(),
        Check::Ltl(name) => format!("`{name}`"),
    }
}

/// One row per wrapper of `spec`: what it runs, and each proof's property,
/// expected outcome and one line.
pub fn of_spec(root: &Path, spec: &str) -> Result<String, String> {
    let mut out = String::from("| wrapper | runs | proofs |\n|---|---|---|\n");
    let mut wrappers: Vec<&str> = Vec::new();
    for proof in PROOFS {
        if !wrappers.contains(&proof.spec) {
            wrappers.push(proof.spec);
        }
    }
    let mut rows = 0;
    for wrapper in wrappers {
        let path = format!("proofs/{wrapper}");
        let text = read(root, &path)?;
        if included(&text) != Some(spec) {
            continue;
        }
        let proofs: Vec<String> = PROOFS
            .iter()
            .filter(|p| p.spec == wrapper)
            .map(|p| format!("{} {}: {}", property(p), expected(p), p.about.replace('|', "\\|")))
            .collect();
        let stem = wrapper.strip_suffix(".pml").unwrap_or(wrapper);
        out.push_str(&format!("| `{stem}` | {} | {} |\n", description(&path, &text)?, proofs.join("<br>")));
        rows += 1;
    }
    if rows == 0 {
        return Err(format!("no wrapper of the catalog includes {spec}"));
    }
    Ok(out)
}

/// The mutant wrappers: the knob each sets, what must be found.
pub fn mutants(root: &Path) -> Result<String, String> {
    let mut out = String::from("| proof | knob | expected | what it breaks |\n|---|---|---|---|\n");
    for proof in PROOFS.iter().filter(|p| p.spec.contains("_mutant_")) {
        let text = read(root, &format!("proofs/{}", proof.spec))?;
        let knobs: Vec<String> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("#define MUTANT_"))
            .map(|k| format!("`MUTANT_{}`", k.split_whitespace().next().unwrap_or(k)))
            .collect();
        if knobs.is_empty() {
            return Err(format!("proofs/{}: a mutant without a `#define MUTANT_*`", proof.spec));
        }
        let about = proof.about.strip_prefix("mutant: ").unwrap_or(proof.about);
        out.push_str(&format!("| `{}` | {} | {} | {about} |\n", proof.id(), knobs.join(", "), expected(proof)));
    }
    Ok(out)
}

/// The table of the last full run: what each proof found and how big its
/// search was, with the SPIN version. Only what a rerun reproduces: the
/// revision, memory and times of a run live in `proofs/results/summary.md`
/// alone, or every proofs run (a step of `cargo xtask ci`) would make this
/// page stale.
pub fn results(root: &Path) -> Result<String, String> {
    results_of(&read(root, "proofs/results/summary.md")?)
}

/// The columns of the summary a rerun reproduces.
const STABLE_COLUMNS: [&str; 5] = ["proof", "kind", "result", "states", "depth"];

fn results_of(summary: &str) -> Result<String, String> {
    let stamp = summary
        .lines()
        .find(|l| l.starts_with("revision: "))
        .ok_or("proofs/results/summary.md: no `revision:` line")?;
    let spin = stamp.split("; ").nth(1).ok_or("proofs/results/summary.md: no SPIN version after the revision")?;
    let mut rows = summary
        .lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| l.trim().trim_matches('|').split('|').map(str::trim).map(str::to_owned).collect::<Vec<String>>());
    let header = rows.next().ok_or("proofs/results/summary.md: no table")?;
    let columns: Vec<usize> = STABLE_COLUMNS
        .iter()
        .map(|name| {
            header.iter().position(|h| h == name).ok_or(format!("proofs/results/summary.md: no `{name}` column"))
        })
        .collect::<Result<_, _>>()?;
    let pick =
        |row: &[String]| columns.iter().map(|&i| row.get(i).cloned().unwrap_or_default()).collect::<Vec<String>>();
    let mut out = format!(
        "{spin}; the revision, memory and times of the last run are in \
         [`proofs/results/summary.md`](../proofs/results/summary.md):\n\n| {} |\n|---|---|---|---:|---:|\n",
        pick(&header).join(" | ")
    );
    for row in rows.skip(1) {
        out.push_str(&format!("| {} |\n", pick(&row).join(" | ")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_paragraph_ends_at_the_spec_line() {
        let text = "/*\n * w.pml -- bounded wrapper of x.pml.\n *\n * Two holders;\n * one finalizer.\n * Spec: x.pml. Page: docs/proofs.md.\n */\n#include \"x.pml\"\n";
        assert_eq!(description("w.pml", text).unwrap(), "Two holders; one finalizer.");
        assert_eq!(included(text), Some("x.pml"));
        assert!(description("w.pml", "/*\n * w.pml -- no paragraph\n */\n").is_err());
    }

    /// A rerun changes the revision, memory and times, never the table.
    #[test]
    fn the_results_table_keeps_only_what_a_rerun_reproduces() {
        let run = |revision: &str, wall: &str| {
            format!(
                "# SPIN proofs: results\n\nrevision: {revision}; Spin Version 6.5.2; generated by `cargo xtask proofs`.\n\n\
                 | proof | kind | result | states | depth | memory | search | wall |\n\
                 |---|---|---|---:|---:|---:|---:|---:|\n\
                 | a.safety | safety | holds | 27648 | 98 | 10.4 MB | 0.03 s | {wall} |\n"
            )
        };
        let first = results_of(&run("2384ef61b47b", "0.8 s")).unwrap();
        assert_eq!(first, results_of(&run("b89074b91bc3", "1.3 s")).unwrap());
        assert!(first.contains("| a.safety | safety | holds | 27648 | 98 |"), "{first}");
        assert!(!first.contains("10.4 MB") && !first.contains("2384"), "{first}");
        assert!(results_of("| proof |\n").is_err(), "no revision line: refused");
    }

    #[test]
    fn every_wrapper_has_a_paragraph() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for spec in protocol_specs(&root).unwrap() {
            of_spec(&root, &spec).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
