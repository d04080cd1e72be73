//! Checks `docs/invariants.md` against what it cites (unit tests only).
//!
//! The catalogue has one `### <ID>` entry per invariant, with fields
//! `- **Scenarios**:`, `- **SPIN**:`, `- **Tests**:`, `- **Mutations**:`,
//! `- **Status**:` (and optionally `- **Known bugs**:`, `- **Enforced by**:`),
//! and an index table whose rows link to the entries. The tests check that:
//!
//! - every proof of `proofs/catalog.rs` and every mutation of `mutants.rs`
//!   is cited by some entry;
//! - every scenario, proof, test and mutation an entry names exists: a
//!   scenario by its `Scenario::new` name in `models/`, a proof by its id, a
//!   test as a `#[test]` function in `tests/`, `src/` or `xinterp-check/src/`, a file by its path;
//! - the index lists exactly the entries, each linked to its anchor, and its
//!   SPIN and mutation marks (✓ or not) agree with the entries' fields.
//!
//! Which backticked names are checked depends on the field and the shape of
//! the name: in Scenarios and Known bugs, names with a `::` that start with a
//! model module (`lifecycle::`, `channels::`, `xi::`, `harness::`); in SPIN
//! and Known bugs, `<stem>.<property>` names; in Tests, snake_case names and
//! paths; in Mutations, kebab-case names. Anything else in backticks (Rust
//! paths, Promela assertions) is prose.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const FIELDS: [&str; 5] = ["Scenarios", "SPIN", "Tests", "Mutations", "Status"];
const MODEL_MODULES: [&str; 4] = ["lifecycle", "channels", "xi", "harness"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("could not read {}: {e}", path.display()))
}

/// `.rs` files under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("could not list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The scenario names of `models/` (`Scenario::new("…")`).
fn scenarios(root: &Path) -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(&root.join("models"), &mut files);
    let mut names = BTreeSet::new();
    for file in files {
        let text = read(&file);
        for (at, _) in text.match_indices("Scenario::new(\"") {
            let rest = &text[at + "Scenario::new(\"".len()..];
            names.insert(rest[..rest.find('"').expect("a closing quote")].to_owned());
        }
    }
    names
}

/// The `#[test]` functions of `tests/`, `src/` and `xinterp-check/src/`.
fn tests(root: &Path) -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(&root.join("tests"), &mut files);
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("xinterp-check/src"), &mut files);
    rust_files(&root.join("benches/tests"), &mut files);
    let mut names = BTreeSet::new();
    for file in files {
        let mut pending = false;
        for line in read(&file).lines() {
            let line = line.trim();
            if line.starts_with("#[test]") {
                pending = true;
            } else if pending {
                if let Some(rest) = line.strip_prefix("fn ").or_else(|| line.strip_prefix("pub fn ")) {
                    names.insert(rest[..rest.find('(').unwrap_or(rest.len())].to_owned());
                    pending = false;
                }
            }
        }
    }
    names
}

/// One `### <ID>` entry: its fields, each a single line of text.
#[derive(Debug)]
struct Entry {
    id: String,
    fields: BTreeMap<String, String>,
}

fn is_id(text: &str) -> bool {
    text.split_once('-').is_some_and(|(group, n)| {
        !group.is_empty()
            && group.chars().all(|c| c.is_ascii_uppercase())
            && !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit())
    })
}

fn entries(doc: &str) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut open = false;
    let mut field: Option<String> = None;
    for line in doc.lines() {
        if line.starts_with('#') {
            field = None;
            open = false;
            if let Some(id) = line.strip_prefix("### ").map(str::trim).filter(|t| is_id(t)) {
                entries.push(Entry { id: id.to_owned(), fields: BTreeMap::new() });
                open = true;
            }
            continue;
        }
        if !open {
            continue;
        }
        let entry = entries.last_mut().expect("an open entry");
        if let Some(rest) = line.strip_prefix("- **") {
            let (name, text) =
                rest.split_once("**:").unwrap_or_else(|| panic!("{}: a field without `**:`: {line}", entry.id));
            entry.fields.insert(name.to_owned(), text.trim().to_owned());
            field = Some(name.to_owned());
        } else if let (Some(name), Some(more)) = (&field, line.strip_prefix("  ")) {
            let text = entry.fields.get_mut(name).expect("the field being read");
            text.push(' ');
            text.push_str(more.trim());
        } else {
            field = None;
        }
    }
    entries
}

/// The backticked spans of `text`.
fn ticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

fn is_scenario_like(token: &str) -> bool {
    token.split_once("::").is_some_and(|(module, _)| MODEL_MODULES.contains(&module))
        && token.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ':')
}

fn is_proof_like(token: &str) -> bool {
    let Some((stem, property)) = token.split_once('.') else { return false };
    !["pml", "rs", "md"].contains(&property)
        && !stem.is_empty()
        && stem.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !property.is_empty()
        && property.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

fn is_test_like(token: &str) -> bool {
    !token.is_empty() && token.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_mutation_like(token: &str) -> bool {
    token.contains('-')
        && token
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
}

struct Catalogue {
    entries: Vec<Entry>,
    doc: String,
}

impl Catalogue {
    fn load() -> Self {
        let doc = read(&root().join("docs/invariants.md"));
        Self { entries: entries(&doc), doc }
    }

    fn field<'a>(entry: &'a Entry, name: &str) -> &'a str {
        entry.fields.get(name).map_or("", String::as_str)
    }

    /// The proof ids an entry cites (SPIN and Known bugs).
    fn proofs(entry: &Entry) -> Vec<&str> {
        ["SPIN", "Known bugs"].iter().flat_map(|f| ticked(Self::field(entry, f))).filter(|t| is_proof_like(t)).collect()
    }

    fn mutations(entry: &Entry) -> Vec<&str> {
        ticked(Self::field(entry, "Mutations")).into_iter().filter(|t| is_mutation_like(t)).collect()
    }
}

#[test]
fn every_proof_and_mutation_is_cited_by_an_invariant() {
    let catalogue = Catalogue::load();
    let proofs: BTreeSet<&str> = catalogue.entries.iter().flat_map(Catalogue::proofs).collect();
    let missing: Vec<String> = crate::proofs::ids().into_iter().filter(|id| !proofs.contains(id.as_str())).collect();
    assert!(missing.is_empty(), "proofs no invariant of docs/invariants.md cites: {missing:?}");
    let mutations: BTreeSet<&str> = catalogue.entries.iter().flat_map(Catalogue::mutations).collect();
    let missing: Vec<&str> = crate::mutants::ids().into_iter().filter(|id| !mutations.contains(id)).collect();
    assert!(missing.is_empty(), "mutations no invariant of docs/invariants.md cites: {missing:?}");
}

#[test]
fn every_name_an_entry_cites_exists() {
    let root = root();
    let catalogue = Catalogue::load();
    assert!(catalogue.entries.len() > 30, "docs/invariants.md: only {} entries parsed", catalogue.entries.len());
    let (scenarios, tests) = (scenarios(&root), tests(&root));
    let proofs: BTreeSet<String> = crate::proofs::ids().into_iter().collect();
    let mutations: BTreeSet<&str> = crate::mutants::ids().into_iter().collect();
    let mut wrong = Vec::new();
    let mut ids = BTreeSet::new();
    for entry in &catalogue.entries {
        let id = &entry.id;
        if !ids.insert(id.as_str()) {
            wrong.push(format!("{id}: a second entry"));
        }
        for field in FIELDS {
            if !entry.fields.contains_key(field) {
                wrong.push(format!("{id}: no `{field}` field"));
            }
        }
        for field in ["Scenarios", "Known bugs"] {
            for name in ticked(Catalogue::field(entry, field)).into_iter().filter(|t| is_scenario_like(t)) {
                if !scenarios.contains(name) {
                    wrong.push(format!("{id}: no scenario `{name}` in models/"));
                }
            }
        }
        for name in Catalogue::proofs(entry) {
            if !proofs.contains(name) {
                wrong.push(format!("{id}: no proof `{name}` in xtask/src/proofs/catalog.rs"));
            }
        }
        for name in ticked(Catalogue::field(entry, "Tests")) {
            if name.contains('/') {
                if !root.join(name).exists() {
                    wrong.push(format!("{id}: no file `{name}`"));
                }
            } else if is_test_like(name) && !tests.contains(name) {
                wrong.push(format!("{id}: no #[test] fn `{name}` in tests/, src/ or xinterp-check/src/"));
            }
        }
        for name in Catalogue::mutations(entry) {
            if !mutations.contains(name) {
                wrong.push(format!("{id}: no mutation `{name}` in xtask/src/mutants.rs"));
            }
        }
    }
    assert!(wrong.is_empty(), "docs/invariants.md cites what does not exist:\n{}", wrong.join("\n"));
}

#[test]
fn the_index_lists_every_entry_with_its_marks() {
    let catalogue = Catalogue::load();
    let by_id: BTreeMap<&str, &Entry> = catalogue.entries.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut listed = BTreeSet::new();
    let mut wrong = Vec::new();
    for line in catalogue.doc.lines().filter(|l| l.starts_with("| [")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // "", "[ID](#anchor)", protocol, invariant, SPIN, mutation, ""
        let Some((id, anchor)) = cells[1].strip_prefix('[').and_then(|c| c.split_once("](#")) else { continue };
        let anchor = anchor.trim_end_matches(')');
        if anchor != id.to_lowercase() {
            wrong.push(format!("{id}: links to #{anchor}"));
        }
        listed.insert(id);
        let Some(entry) = by_id.get(id) else {
            wrong.push(format!("{id}: in the index, but no `### {id}` entry"));
            continue;
        };
        let (spin, mutation) = (cells.get(4).copied().unwrap_or(""), cells.get(5).copied().unwrap_or(""));
        let (has_proof, has_mutation) = (!Catalogue::proofs(entry).is_empty(), !Catalogue::mutations(entry).is_empty());
        if (spin == "✓") != has_proof {
            wrong.push(format!("{id}: the index's SPIN mark `{spin}` disagrees with the entry"));
        }
        if (mutation == "✓") != has_mutation {
            wrong.push(format!("{id}: the index's mutation mark `{mutation}` disagrees with the entry"));
        }
    }
    for id in by_id.keys().filter(|id| !listed.contains(*id)) {
        wrong.push(format!("{id}: an entry the index does not list"));
    }
    assert!(wrong.is_empty(), "docs/invariants.md's index:\n{}", wrong.join("\n"));
}

#[test]
fn the_parser_reads_fields_and_names() {
    let doc = "## G\n\n### AB-1\n\n**Statement.**\n\n- **Scenarios**: `xi::a`,\n  `lifecycle::b::c` and `Core::with_state`\n- **SPIN**: `x_y.safety`, `x.pml`\n\n## Next\n- **Tests**: `t`\n";
    let entries = entries(doc);
    assert_eq!(entries.len(), 1);
    let scenarios = ticked(&entries[0].fields["Scenarios"]);
    assert_eq!(scenarios, ["xi::a", "lifecycle::b::c", "Core::with_state"]);
    assert_eq!(scenarios.iter().filter(|t| is_scenario_like(t)).count(), 2);
    assert_eq!(Catalogue::proofs(&entries[0]), ["x_y.safety"]);
    assert!(!entries[0].fields.contains_key("Tests"), "a field after the entry's end is not its own");
    assert!(is_mutation_like("drain-admits") && !is_mutation_like("--features trace"));
    assert!(is_id("LC-1") && is_id("GIL-12") && !is_id("Lifecycle") && !is_id("LC-"));
}
