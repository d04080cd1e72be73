//! Files the documentation cites must be in the repository.
//!
//! Scanned: `README.md`, `docs/*.md`, the comments of the Promela specs in
//! `proofs/`, and the comments (rustdoc or not) of every Rust file of the
//! workspace. A citation is a markdown link target (resolved from the
//! citing file's directory) or a path-like word that starts at a top-level
//! directory of the workspace (`src/…`, `xinterp-check/src/…`, `docs/…`,
//! `../models/…`), resolved from the workspace root. Words with a pattern
//! in them (`<proof>`, `*`, `{a,b}`) stand for many files and are skipped.
//! Documents outside the repository are never cited: the names in
//! `OUTSIDE` are reported wherever they appear.
use std::path::{Path, PathBuf};

/// The top-level directories a cited path can start at.
const TOP: [&str; 10] = [
    "src/",
    "xinterp-check/",
    "xtask/",
    "benches/",
    "models/",
    "tests/",
    "proofs/",
    "docs/",
    "cargo-xinterp/",
    ".github/",
];

/// Documents that live outside the repository: citing them is an error.
/// (Spelled in pieces, so that this list is not itself a citation to any
/// search for them.)
const OUTSIDE: [&str; 5] = [
    concat!("DESIGN", ".md"),
    concat!("DESIGN", " §"),
    concat!("..", "/shared"),
    concat!("shared", "/seeds"),
    concat!("shared", "/reference"),
];

/// The directories whose Rust files are scanned.
const RUST_DIRS: [&str; 7] = ["src", "xinterp-check", "xtask/src", "benches", "models", "tests", "cargo-xinterp"];

/// Every citation, in every scanned file, of a file that does not exist, as
/// `file:line: path`.
pub fn broken(root: &Path) -> Vec<String> {
    scan(root).1
}

/// How many citations were checked, and the broken ones.
fn scan(root: &Path) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut broken = Vec::new();
    for (file, comments) in scanned(root) {
        let rel = file.strip_prefix(root).unwrap_or(&file).to_string_lossy().replace('\\', "/");
        let dir = file.parent().unwrap_or(root).to_path_buf();
        for (n, line) in comments {
            for cited in citations(&line) {
                checked += 1;
                if !exists(root, &dir, &cited) {
                    broken.push(format!("{rel}:{n}: {}", cited.text));
                }
            }
            for outside in outside_citations(&line) {
                broken.push(format!("{rel}:{n}: `{outside}` is not in the repository"));
            }
        }
    }
    (checked, broken)
}

/// The documents outside the repository that `line` names.
fn outside_citations(line: &str) -> Vec<&'static str> {
    OUTSIDE.iter().copied().filter(|o| line.contains(o)).collect()
}

/// One cited path.
#[derive(Debug, PartialEq)]
struct Cited {
    text: String,
    /// A markdown link target (relative to the citing file), or a bare word
    /// (relative to the workspace root).
    link: bool,
}

fn exists(root: &Path, dir: &Path, cited: &Cited) -> bool {
    let path = cited.text.split('#').next().unwrap_or("");
    if path.is_empty() {
        return true;
    }
    if cited.link {
        dir.join(path).exists()
    } else {
        let mut rest = path;
        while let Some(up) = rest.strip_prefix("../") {
            rest = up;
        }
        root.join(rest.trim_start_matches("./")).exists()
    }
}

/// The paths `line` cites.
fn citations(line: &str) -> Vec<Cited> {
    let mut out = Vec::new();
    for (at, _) in line.match_indices("](") {
        let target = &line[at + 2..];
        let target = &target[..target.find(')').unwrap_or(target.len())];
        if is_file_link(target) {
            out.push(Cited { text: target.to_owned(), link: true });
        }
    }
    let words = line.split(|c: char| c.is_whitespace() || "`()[],;\"'".contains(c));
    for word in words {
        let word = word.trim_end_matches(['.', ':']);
        let bare = word.trim_start_matches("../").trim_start_matches("./");
        if TOP.iter().any(|top| bare.starts_with(top)) && !is_pattern(word) && !line.contains(&format!("]({word}")) {
            out.push(Cited { text: word.to_owned(), link: false });
        }
    }
    out
}

/// A link target that names a file: not a URL, an anchor or an intra-doc
/// link (`crate::Runtime`, `Self::close`, `self#section`, `pending`).
fn is_file_link(target: &str) -> bool {
    let path = target.split('#').next().unwrap_or("");
    !target.contains("://")
        && !target.contains("::")
        && !path.is_empty()
        && !["self", "crate", "super"].contains(&path)
        && (path.contains('/') || path.contains('.'))
        && !is_pattern(target)
}

fn is_pattern(word: &str) -> bool {
    word.contains(['<', '*', '{', '$', '…']) || word.contains("...")
}

/// Each scanned file with its lines to read (1-based numbers): a markdown
/// page but its fenced code blocks (commands, and the files of a user's
/// crate), the comments of a Rust or Promela file.
fn scanned(root: &Path) -> Vec<(PathBuf, Vec<(usize, String)>)> {
    let mut files = vec![root.join("README.md")];
    files.extend(listed(&root.join("docs"), "md", false));
    files.extend(listed(&root.join("proofs"), "pml", false));
    for dir in RUST_DIRS {
        files.extend(listed(&root.join(dir), "rs", true));
    }
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let numbered = text.lines().enumerate().map(|(n, l)| (n + 1, l));
            let lines: Vec<(usize, String)> = match file.extension().and_then(|e| e.to_str()) {
                Some("rs") => {
                    numbered.filter_map(|(n, l)| l.trim_start().strip_prefix("//").map(|c| (n, c.to_owned()))).collect()
                }
                Some("pml") => comment_lines(&text),
                _ => prose_lines(&text),
            };
            (file, lines)
        })
        .collect()
}

/// The lines of a markdown page outside its fenced code blocks.
fn prose_lines(text: &str) -> Vec<(usize, String)> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push((n + 1, line.to_owned()));
        }
    }
    out
}

/// The lines of a Promela file inside `/* … */`, and the tails after `//`.
fn comment_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut open = false;
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        let mut taken = String::new();
        loop {
            if open {
                match rest.find("*/") {
                    Some(end) => {
                        taken.push_str(&rest[..end]);
                        rest = &rest[end + 2..];
                        open = false;
                    }
                    None => {
                        taken.push_str(rest);
                        break;
                    }
                }
            } else if let Some(start) = rest.find("/*") {
                rest = &rest[start + 2..];
                open = true;
            } else {
                if let Some(tail) = rest.find("//") {
                    taken.push_str(&rest[tail + 2..]);
                }
                break;
            }
        }
        if !taken.trim().is_empty() {
            out.push((n + 1, taken));
        }
    }
    out
}

/// The files with extension `ext` in `dir` (recursively if asked; never
/// into `target/`).
fn listed(dir: &Path, ext: &str, recursive: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if recursive && path.file_name().is_some_and(|n| n != "target") {
                out.extend(listed(&path, ext, true));
            }
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_bare_paths_are_cited_patterns_are_not() {
        let cited = citations(
            "see [core](../src/channel/core.rs#L3), `xinterp-check/src/spec/`, src/gil.rs. and proofs/<x>.pml",
        );
        let texts: Vec<(&str, bool)> = cited.iter().map(|c| (c.text.as_str(), c.link)).collect();
        assert_eq!(
            texts,
            [("../src/channel/core.rs#L3", true), ("xinterp-check/src/spec/", false), ("src/gil.rs", false)]
        );
        assert!(citations("https://example.org/src/x.rs and [a](https://x/src/y.rs)").is_empty());
    }

    #[test]
    fn a_missing_file_is_reported_and_an_existing_one_is_not() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let docs = root.join("docs");
        assert!(exists(&root, &docs, &Cited { text: "../src/gil.rs".into(), link: true }));
        assert!(!exists(&root, &docs, &Cited { text: "../src/check/mod.rs".into(), link: true }));
        assert!(exists(&root, &docs, &Cited { text: "../../src/gil.rs".into(), link: false }));
        assert!(!exists(&root, &docs, &Cited { text: "src/spec/mod.rs".into(), link: false }));
    }

    #[test]
    fn code_blocks_of_a_page_are_not_read() {
        let lines = prose_lines("a\n```rust\n// tests/mine.rs\n```\nb\n");
        assert_eq!(lines, [(1, "a".to_owned()), (5, "b".to_owned())]);
    }

    #[test]
    fn a_document_outside_the_repository_is_named() {
        let line = format!("see {}{} for the design", "DESIGN", ".md");
        assert_eq!(outside_citations(&line), [concat!("DESIGN", ".md")]);
        let line = format!("from {}/{}/seeds/a.md", "..", "shared");
        assert_eq!(outside_citations(&line), [concat!("..", "/shared"), concat!("shared", "/seeds")]);
        assert!(outside_citations("docs/proofs.md says so").is_empty());
    }

    #[test]
    fn promela_comments_are_read() {
        let lines = comment_lines("/* a\n b */ x = 1; // c\ny\n");
        assert_eq!(lines, [(1, " a".to_owned()), (2, " b  c".to_owned())]);
    }

    /// Nothing in the repository cites a file that is not in it.
    #[test]
    fn every_cited_file_exists() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let (checked, broken) = scan(&root);
        assert!(checked > 300, "only {checked} citations found: the scan reads too little");
        assert!(broken.is_empty(), "files cited that are not in the repository:\n{}", broken.join("\n"));
    }
}
