//! `cargo xtask layers`: the crate's files form no import cycle, and the
//! kernel names neither channels nor cross-interpreter data.
//!
//! The layers, arrows one way: the facade (`src/sync`), events
//! (`src/trace`), the kernel ([`KERNEL`]), then the subsystems built on it
//! (`src/channel`, `src/xi`), then the toolkit. The compiler accepts cycles
//! between modules of one crate, so nothing but this check keeps the arrows
//! pointing one way.
//!
//! # What counts as an edge
//!
//! Every file under `src/` is a node (a module's `mod.rs` and its children
//! are separate nodes). An edge `a -> b` is a path in `a` that names an item
//! defined in `b`: a `use` of `crate::`, `super::`, `self::` (or of a child
//! module by its bare name), an inline path such as `crate::x::f()`, or an
//! inline path through a module imported by `use` (`use crate::x;` then
//! `x::f()`). Comments, doc comments and string literals are not read.
//!
//! Two kinds of lines are not edges, because they are not dependencies:
//!
//! - `mod child;` (the parent declares the child; the child may still use
//!   what the parent defines);
//! - re-exports (`pub use`, `pub(crate) use`): a path that goes through a
//!   re-export is followed to the file that defines the item, so a facade
//!   `mod.rs` is not in the middle of every cycle its children would form.
//!
//! The check is textual, not a compiler: it does not expand macros (a
//! `#[macro_export]` macro resolves to the file that defines it) and does
//! not see a name imported by a glob unless the glob's module defines or
//! re-exports it. Its unit tests pin what it finds.
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt::Write as _;
use std::path::Path;

/// The kernel: files (or directories, ending in `/`) that may not name
/// `crate::channel` or `crate::xi`. Channels and cross-interpreter data plug
/// into the kernel through `src/subsystem.rs`, wired in at the crate root.
pub const KERNEL: &[&str] = &[
    "src/config.rs",
    "src/gil.rs",
    "src/guard.rs",
    "src/guard_error.rs",
    "src/guard_sites.rs",
    "src/guard_word.rs",
    "src/interp/",
    "src/runtime.rs",
    "src/subsystem.rs",
    "src/thread_state/",
    "src/view.rs",
];

/// The crate root declares every module, re-exports the public API and
/// wires the subsystems into the kernel (`crate::Subsystems`): it is above
/// every layer, so what it names is not an edge (what names it is).
const COMPOSITION_ROOT: &str = "src/lib.rs";

/// The modules the kernel may not name.
const ABOVE_KERNEL: &[&str] = &["channel", "xi"];

pub fn run(root: &Path) -> Result<(), String> {
    let sources = read_sources(&root.join("src"))?;
    let report = check(&sources);
    println!("layers: {} files, {} edges", report.files, report.edges);
    if report.problems.is_empty() {
        println!("layers: no cycle; the kernel names neither channels nor xi");
        Ok(())
    } else {
        for problem in &report.problems {
            println!("{problem}");
        }
        Err(format!("layers: {} problem(s)", report.problems.len()))
    }
}

/// What [`check`] found.
#[derive(Debug)]
pub struct Report {
    pub files: usize,
    pub edges: usize,
    /// One line per cycle or forbidden edge, empty when the check passes.
    pub problems: Vec<String>,
}

/// Every `.rs` file under `src`, as (`src/...` path, text), sorted by path.
fn read_sources(src: &Path) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
                let rel = path.strip_prefix(src).expect("under src").to_string_lossy().replace('\\', "/");
                out.push((format!("src/{rel}"), text));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Builds the file graph of `sources` (`src/...` paths) and reports its
/// cycles and the kernel's forbidden edges.
pub fn check(sources: &[(String, String)]) -> Report {
    let krate = Crate::parse(sources);
    let edges = krate.edges();
    let mut problems = Vec::new();
    for cycle in cycles(krate.files.len(), &edges) {
        let mut line = String::from("cycle: ");
        for pair in cycle.windows(2) {
            let (from, to) = (pair[0], pair[1]);
            let why = &edges[&(from, to)];
            let _ = write!(line, "{} (line {}: `{}`) -> ", krate.files[from].path, why.line, why.text);
        }
        line.push_str(&krate.files[cycle[0]].path);
        let component = component_of(cycle[0], &edges);
        if component.len() > cycle.len() - 1 {
            let names: Vec<&str> = component.iter().map(|&f| krate.files[f].path.as_str()).collect();
            let _ = write!(line, "\n  (the cycle is one of those among {} files: {})", names.len(), names.join(", "));
            if std::env::var_os("XTASK_LAYERS_EDGES").is_some() {
                for (&(a, b), why) in edges.range((component[0], 0)..) {
                    if component.contains(&a) && component.contains(&b) {
                        let (a, b) = (&krate.files[a].path, &krate.files[b].path);
                        let _ = write!(line, "\n    {a} -> {b} (line {}: `{}`)", why.line, why.text);
                    }
                }
            }
        }
        problems.push(line);
    }
    for (from, file) in krate.files.iter().enumerate() {
        if !is_kernel(&file.path) {
            continue;
        }
        for r in &file.refs {
            let Some(abs) = krate.absolute(file, r) else { continue };
            let target = krate.resolve(&abs, 0).map(|t| &krate.files[t.file()].path);
            let names_above = abs.first().is_some_and(|m| ABOVE_KERNEL.contains(&m.as_str()))
                || target.is_some_and(|t| ABOVE_KERNEL.iter().any(|m| t.starts_with(&format!("src/{m}/"))));
            if names_above {
                problems.push(format!(
                    "kernel names a subsystem: {} (line {}: `{}`)",
                    krate.files[from].path, r.line, r.text
                ));
            }
        }
    }
    Report { files: krate.files.len(), edges: edges.len(), problems }
}

fn is_kernel(path: &str) -> bool {
    KERNEL.iter().any(|k| if k.ends_with('/') { path.starts_with(k) } else { path == *k })
}

// ---------------------------------------------------------------- tokens

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    Sep,
    Punct(char),
}

/// The tokens of `text` that matter here, with their line numbers; comments,
/// strings and character literals are dropped.
fn tokens(text: &str) -> Vec<(Tok, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            '/' if at(i + 1) == '/' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if at(i + 1) == '*' => {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && at(i + 1) == '*' {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && at(i + 1) == '/' {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        line += usize::from(chars[i] == '\n');
                        i += 1;
                    }
                }
            }
            '"' => i = skip_string(&chars, i + 1, &mut line),
            'r' | 'b' if raw_string_start(&chars, i).is_some() => {
                let (hashes, open) = raw_string_start(&chars, i).expect("checked");
                i = open + 1;
                loop {
                    if i >= chars.len() {
                        break;
                    }
                    if chars[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#') {
                        i += 1 + hashes;
                        break;
                    }
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
            }
            'b' if at(i + 1) == '"' => i = skip_string(&chars, i + 2, &mut line),
            'b' if at(i + 1) == '\'' => i = skip_char(&chars, i + 1),
            '\'' => {
                // A character literal, or a lifetime / label (skipped as one
                // quote: the name that follows is a harmless identifier).
                if at(i + 1) == '\\' || at(i + 2) == '\'' {
                    i = skip_char(&chars, i);
                } else {
                    i += 1;
                }
            }
            ':' if at(i + 1) == ':' => {
                out.push((Tok::Sep, line));
                i += 2;
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let word = word.strip_prefix("r#").map(str::to_owned).unwrap_or(word);
                out.push((Tok::Ident(word), line));
            }
            c if c.is_whitespace() || c.is_ascii_digit() => i += 1,
            c => {
                out.push((Tok::Punct(c), line));
                i += 1;
            }
        }
    }
    out
}

/// Past the closing quote of a string whose body starts at `i`.
fn skip_string(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            c => {
                *line += usize::from(c == '\n');
                i += 1;
            }
        }
    }
    i
}

/// Past the closing quote of a character literal whose opening quote is at
/// `i`.
fn skip_char(chars: &[char], mut i: usize) -> usize {
    i += 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '\'' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// `r"`, `r#"`, `br"`…: the number of hashes and the index of the quote.
fn raw_string_start(chars: &[char], i: usize) -> Option<(usize, usize)> {
    if i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_') {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some((hashes, j))
}

// ---------------------------------------------------------------- files

/// A path written in a file.
#[derive(Clone, Debug)]
struct Ref {
    /// The module the path is written in (the file's, plus inline `mod`s).
    ctx: Vec<String>,
    segments: Vec<String>,
    /// A `use` (whose first segment may be a child module's bare name).
    in_use: bool,
    /// A glob import (`use x::*`): a dependency on the module itself.
    glob: bool,
    line: usize,
    text: String,
}

#[derive(Debug, Default)]
struct File {
    path: String,
    module: Vec<String>,
    refs: Vec<Ref>,
    /// Re-exported names (`pub use`): name -> where it comes from.
    reexports: HashMap<String, Ref>,
    /// Glob re-exports (`pub use x::*`).
    reexport_globs: Vec<Ref>,
    /// Modules imported by name (`use crate::x;`), for inline `x::f()`.
    aliases: HashMap<String, Ref>,
    /// `#[macro_export]` macros defined here (they live at the crate root).
    macros: BTreeSet<String>,
    /// Items defined at the file's top level, for glob re-exports.
    items: BTreeSet<String>,
}

/// The module path of a file under `src/`.
fn module_of(path: &str) -> Vec<String> {
    let rel = path.strip_prefix("src/").unwrap_or(path).trim_end_matches(".rs");
    let mut parts: Vec<String> = rel.split('/').map(str::to_owned).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

impl File {
    fn parse(path: &str, text: &str) -> Self {
        let module = module_of(path);
        let mut file = File { path: path.to_owned(), module: module.clone(), ..File::default() };
        let toks = tokens(text);
        let ident = |i: usize| match toks.get(i) {
            Some((Tok::Ident(w), _)) => Some(w.as_str()),
            _ => None,
        };
        let punct = |i: usize, c: char| matches!(toks.get(i), Some((Tok::Punct(p), _)) if *p == c);
        let sep = |i: usize| matches!(toks.get(i), Some((Tok::Sep, _)));
        // Inline modules: (name, the brace depth inside them).
        let mut inline: Vec<(String, usize)> = Vec::new();
        let mut depth = 0;
        let mut i = 0;
        while i < toks.len() {
            let ctx = || -> Vec<String> {
                let mut c = module.clone();
                c.extend(inline.iter().map(|(n, _)| n.clone()));
                c
            };
            match &toks[i].0 {
                Tok::Punct('{') => {
                    depth += 1;
                    i += 1;
                }
                Tok::Punct('}') => {
                    depth -= 1;
                    if inline.last().is_some_and(|(_, d)| *d > depth) {
                        inline.pop();
                    }
                    i += 1;
                }
                Tok::Ident(w) if w == "mod" && ident(i + 1).is_some() && punct(i + 2, '{') => {
                    inline.push((ident(i + 1).expect("checked").to_owned(), depth + 1));
                    i += 2;
                }
                Tok::Ident(w) if w == "macro_rules" && punct(i + 1, '!') => {
                    let exported = (i.saturating_sub(8)..i).any(|k| ident(k) == Some("macro_export"));
                    if let (true, Some(name)) = (exported, ident(i + 2)) {
                        file.macros.insert(name.to_owned());
                    }
                    i += 2;
                }
                Tok::Ident(w)
                    if inline.is_empty()
                        && matches!(
                            w.as_str(),
                            "fn" | "struct" | "enum" | "trait" | "type" | "const" | "static" | "union"
                        ) =>
                {
                    if let Some(name) = ident(i + 1) {
                        file.items.insert(name.to_owned());
                    }
                    i += 1;
                }
                Tok::Ident(w) if w == "use" => {
                    let public = is_pub_before(&toks, i);
                    let line = toks[i].1;
                    let mut trees = Vec::new();
                    let end = parse_use_tree(&toks, i + 1, Vec::new(), &mut trees);
                    for (segments, alias, glob) in trees {
                        let text = segments.join("::") + if glob { "::*" } else { "" };
                        let r = Ref { ctx: ctx(), segments, in_use: true, glob, line, text };
                        if public {
                            if glob {
                                file.reexport_globs.push(r);
                            } else if let Some(name) = alias {
                                file.reexports.insert(name, r);
                            }
                        } else {
                            if let Some(name) = alias.filter(|_| !r.glob) {
                                file.aliases.insert(name, r.clone());
                            }
                            file.refs.push(r);
                        }
                    }
                    i = end;
                }
                Tok::Ident(w) if sep(i + 1) && w != "Self" => {
                    // `$crate::` is `crate::` as far as the text goes.
                    let line = toks[i].1;
                    let mut segments = vec![w.clone()];
                    let mut j = i + 1;
                    while sep(j) {
                        match ident(j + 1) {
                            Some(next) => {
                                segments.push(next.to_owned());
                                j += 2;
                            }
                            None => break,
                        }
                    }
                    let after_colons = i > 0 && sep(i - 1);
                    if !after_colons {
                        let text = segments.join("::");
                        file.refs.push(Ref { ctx: ctx(), segments, in_use: false, glob: false, line, text });
                    }
                    i = j;
                }
                _ => i += 1,
            }
        }
        file
    }
}

/// Whether the `use` at `i` is a re-export (`pub use`, `pub(crate) use`…).
fn is_pub_before(toks: &[(Tok, usize)], i: usize) -> bool {
    let Some(prev) = i.checked_sub(1) else { return false };
    match &toks[prev].0 {
        Tok::Ident(w) => w == "pub",
        Tok::Punct(')') => {
            let open = (0..prev).rev().find(|&k| toks[k].0 == Tok::Punct('('));
            open.and_then(|k| k.checked_sub(1)).is_some_and(|k| toks[k].0 == Tok::Ident("pub".into()))
        }
        _ => false,
    }
}

/// Parses one use tree from `i`, appending (path, bound name, glob) to
/// `out`; returns the index after the tree (after the `;` at top level).
fn parse_use_tree(
    toks: &[(Tok, usize)],
    mut i: usize,
    prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>, bool)>,
) -> usize {
    let mut path = prefix;
    if matches!(toks.get(i), Some((Tok::Sep, _))) {
        // `use ::std::…`: an extern crate; a leading `::` names no module here.
        path.push("::".into());
        i += 1;
    }
    loop {
        match toks.get(i).map(|t| &t.0) {
            Some(Tok::Ident(w)) => {
                path.push(w.clone());
                i += 1;
                match toks.get(i).map(|t| &t.0) {
                    Some(Tok::Sep) => i += 1,
                    Some(Tok::Ident(a)) if a == "as" => {
                        let alias = match toks.get(i + 1).map(|t| &t.0) {
                            Some(Tok::Ident(name)) if name != "_" => Some(name.clone()),
                            _ => None,
                        };
                        out.push((path, alias, false));
                        return finish_tree(toks, i + 2);
                    }
                    _ => {
                        let mut full = path;
                        let name = full.last().cloned();
                        if name.as_deref() == Some("self") {
                            full.pop();
                            let bound = full.last().cloned();
                            out.push((full, bound, false));
                        } else {
                            out.push((full, name, false));
                        }
                        return finish_tree(toks, i);
                    }
                }
            }
            Some(Tok::Punct('*')) => {
                out.push((path, None, true));
                return finish_tree(toks, i + 1);
            }
            Some(Tok::Punct('{')) => {
                i += 1;
                loop {
                    match toks.get(i).map(|t| &t.0) {
                        Some(Tok::Punct('}')) => return finish_tree(toks, i + 1),
                        Some(Tok::Punct(',')) => i += 1,
                        None => return i,
                        _ => i = parse_use_tree(toks, i, path.clone(), out),
                    }
                }
            }
            _ => return i,
        }
    }
}

/// After a tree: a `;` ends the statement (consumed); `,` and `}` belong to
/// the enclosing group (left).
fn finish_tree(toks: &[(Tok, usize)], i: usize) -> usize {
    if matches!(toks.get(i), Some((Tok::Punct(';'), _))) {
        i + 1
    } else {
        i
    }
}

// ---------------------------------------------------------------- crate

struct Crate {
    files: Vec<File>,
    by_module: HashMap<Vec<String>, usize>,
}

/// What a path resolves to.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    /// The path names a module (whose file is this).
    Module(usize),
    /// The path names an item defined in this file.
    Item(usize),
}

impl Target {
    fn file(self) -> usize {
        match self {
            Target::Module(f) | Target::Item(f) => f,
        }
    }
}

/// Why an edge exists: the first path that made it.
#[derive(Debug)]
struct Why {
    line: usize,
    text: String,
}

impl Crate {
    fn parse(sources: &[(String, String)]) -> Self {
        let files: Vec<File> = sources.iter().map(|(p, t)| File::parse(p, t)).collect();
        let by_module = files.iter().enumerate().map(|(i, f)| (f.module.clone(), i)).collect();
        Crate { files, by_module }
    }

    /// The file of module `m`, or of its nearest ancestor with a file (an
    /// inline module lives in its parent's file).
    fn file_of(&self, m: &[String]) -> Option<usize> {
        (0..=m.len()).rev().find_map(|n| self.by_module.get(&m[..n]).copied())
    }

    /// `r`'s path from the crate root, or `None` for a path outside the
    /// crate (std, a dependency, a local item or variant).
    fn absolute(&self, file: &File, r: &Ref) -> Option<Vec<String>> {
        let first = r.segments.first()?;
        let mut base = r.ctx.clone();
        let mut rest = &r.segments[..];
        match first.as_str() {
            "crate" => {
                base.clear();
                rest = &rest[1..];
            }
            "self" => rest = &rest[1..],
            "super" => {
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
            }
            name => {
                let mut child = r.ctx.clone();
                child.push(name.to_owned());
                if r.in_use && self.by_module.contains_key(&child) {
                    // A child module by its bare name (`pub use handle::X`).
                } else if let Some(alias) = file.aliases.get(name).filter(|_| !r.in_use) {
                    let mut abs = self.absolute(file, alias)?;
                    abs.extend(rest[1..].iter().cloned());
                    return Some(abs);
                } else {
                    return None;
                }
            }
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// Follows `abs` through modules and re-exports to the file that
    /// defines what it names.
    fn resolve(&self, abs: &[String], hops: usize) -> Option<Target> {
        if hops > 16 {
            return None;
        }
        let mut cur: Vec<String> = Vec::new();
        for (i, seg) in abs.iter().enumerate() {
            let mut next = cur.clone();
            next.push(seg.clone());
            if self.by_module.contains_key(&next) {
                cur = next;
                continue;
            }
            let here = self.file_of(&cur)?;
            let file = &self.files[here];
            let rest = &abs[i + 1..];
            if let Some(r) = file.reexports.get(seg) {
                let mut target = self.absolute(file, r)?;
                target.extend(rest.iter().cloned());
                return self.resolve(&target, hops + 1);
            }
            if cur.is_empty() {
                if let Some(m) = self.files.iter().position(|f| f.macros.contains(seg)) {
                    return Some(Target::Item(m));
                }
            }
            for glob in &file.reexport_globs {
                let Some(mut target) = self.absolute(file, glob) else { continue };
                let Some(Target::Module(m)) = self.resolve(&target, hops + 1) else { continue };
                let holder = &self.files[m];
                if holder.items.contains(seg) || holder.reexports.contains_key(seg) {
                    target.push(seg.clone());
                    target.extend(rest.iter().cloned());
                    return self.resolve(&target, hops + 1);
                }
            }
            return Some(Target::Item(here));
        }
        self.file_of(&cur).map(Target::Module)
    }

    /// The file graph: (from, to) -> the first path that made the edge.
    fn edges(&self) -> BTreeMap<(usize, usize), Why> {
        let mut edges = BTreeMap::new();
        for (from, file) in self.files.iter().enumerate() {
            if file.path == COMPOSITION_ROOT {
                continue;
            }
            for r in &file.refs {
                let Some(abs) = self.absolute(file, r) else { continue };
                let to = match self.resolve(&abs, 0) {
                    Some(Target::Item(f)) => f,
                    // A module imported by name is an edge only through the
                    // items used from it (see `aliases`); a glob, or an
                    // inline path that stops at a module, depends on it.
                    Some(Target::Module(f)) if r.glob || !r.in_use => f,
                    _ => continue,
                };
                if to != from {
                    edges.entry((from, to)).or_insert_with(|| Why { line: r.line, text: r.text.clone() });
                }
            }
        }
        edges
    }
}

// ---------------------------------------------------------------- cycles

/// One cycle per strongly connected component of more than one file, as
/// the files in order with the first repeated at the end.
fn cycles(n: usize, edges: &BTreeMap<(usize, usize), Why>) -> Vec<Vec<usize>> {
    let adjacent = adjacency(n, edges);
    let component = strongly_connected(&adjacent);
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for start in 0..n {
        let c = component[start];
        let size = component.iter().filter(|&&x| x == c).count();
        if size < 2 || !seen.insert(c) {
            continue;
        }
        // The shortest way back to `start` inside its component.
        let mut parent = vec![usize::MAX; n];
        let mut queue = VecDeque::from([start]);
        let mut closing = None;
        while let Some(a) = queue.pop_front() {
            for &b in &adjacent[a] {
                if component[b] != c {
                    continue;
                }
                if b == start {
                    closing = Some(a);
                    break;
                }
                if parent[b] == usize::MAX {
                    parent[b] = a;
                    queue.push_back(b);
                }
            }
            if closing.is_some() {
                break;
            }
        }
        // Walk the parents back from the node that closes the cycle.
        let mut cycle = vec![closing.expect("a component of two or more files has a cycle")];
        while *cycle.last().expect("non-empty") != start {
            cycle.push(parent[*cycle.last().expect("non-empty")]);
        }
        cycle.reverse();
        cycle.push(start);
        out.push(cycle);
    }
    out
}

/// Each file's successors.
fn adjacency(n: usize, edges: &BTreeMap<(usize, usize), Why>) -> Vec<Vec<usize>> {
    let mut adjacent = vec![Vec::new(); n];
    for &(a, b) in edges.keys() {
        adjacent[a].push(b);
    }
    adjacent
}

/// The files in `start`'s strongly connected component, sorted.
fn component_of(start: usize, edges: &BTreeMap<(usize, usize), Why>) -> Vec<usize> {
    let n = edges.keys().map(|&(a, b)| a.max(b)).max().map_or(0, |m| m + 1).max(start + 1);
    let component = strongly_connected(&adjacency(n, edges));
    (0..n).filter(|&f| component[f] == component[start]).collect()
}

/// Tarjan's algorithm, iteratively: each node's component number.
fn strongly_connected(adjacent: &[Vec<usize>]) -> Vec<usize> {
    let n = adjacent.len();
    let (mut index, mut low, mut on_stack) = (vec![usize::MAX; n], vec![0; n], vec![false; n]);
    let mut component = vec![usize::MAX; n];
    let (mut next_index, mut next_component) = (0, 0);
    let mut stack = Vec::new();
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work = vec![(root, 0)];
        while let Some((v, child)) = work.pop() {
            if child == 0 {
                index[v] = next_index;
                low[v] = next_index;
                next_index += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = adjacent[v].get(child) {
                work.push((v, child + 1));
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component[w] = next_component;
                    if w == v {
                        break;
                    }
                }
                next_component += 1;
            }
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
        }
    }
    component
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(files: &[(&str, &str)]) -> Vec<(String, String)> {
        files.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())).collect()
    }

    #[test]
    fn a_synthetic_cycle_is_found_and_printed() {
        let report = check(&sources(&[
            ("src/lib.rs", "mod a;\nmod b;\nmod c;\n"),
            ("src/a.rs", "use crate::b::B;\npub struct A;\n"),
            ("src/b.rs", "pub struct B;\nfn f() { crate::c::g(); }\n"),
            ("src/c.rs", "pub fn g() {}\nfn h(_: super::a::A) {}\n"),
        ]));
        assert_eq!(report.problems.len(), 1, "{report:?}");
        assert_eq!(
            report.problems[0],
            "cycle: src/a.rs (line 1: `crate::b::B`) -> src/b.rs (line 2: `crate::c::g`) -> src/c.rs (line 2: `super::a::A`) -> src/a.rs"
        );
    }

    #[test]
    fn a_kernel_file_naming_xi_is_found() {
        let report = check(&sources(&[
            ("src/lib.rs", "mod runtime;\npub mod xi;\n"),
            ("src/runtime.rs", "pub struct Runtime { stats: crate::xi::Stats }\n"),
            ("src/xi/mod.rs", "pub struct Stats;\n"),
        ]));
        assert_eq!(report.problems, ["kernel names a subsystem: src/runtime.rs (line 1: `crate::xi::Stats`)"]);
    }

    #[test]
    fn a_kernel_file_naming_channels_through_a_module_import_is_found() {
        let report = check(&sources(&[
            ("src/lib.rs", "pub mod interp;\npub mod channel;\n"),
            ("src/interp/mod.rs", "mod finalize;\n"),
            ("src/interp/finalize.rs", "use crate::channel;\nfn f() { channel::clear(); }\n"),
            ("src/channel/mod.rs", "pub fn clear() {}\n"),
        ]));
        assert_eq!(report.problems.len(), 2, "{report:?}");
        assert!(report.problems.iter().all(|p| p.starts_with("kernel names a subsystem: src/interp/finalize.rs")));
    }

    #[test]
    fn re_exports_mod_declarations_comments_and_strings_are_not_edges() {
        // mod.rs declares and re-exports its children, which use what it
        // defines: no cycle. Comments and strings naming paths are ignored.
        let report = check(&sources(&[
            ("src/lib.rs", "pub mod interp;\npub use interp::Core;\n"),
            ("src/interp/mod.rs", "mod core;\npub use self::core::Core;\npub struct Id;\n"),
            (
                "src/interp/core.rs",
                "use super::Id;\n/// [`crate::interp::Core`]\n// crate::xi::X\npub struct Core(Id);\nconst S: &str = \"crate::interp::Core\";\n",
            ),
            ("src/runtime.rs", "use crate::Core;\n"),
        ]));
        assert!(report.problems.is_empty(), "{report:?}");
        assert_eq!(report.edges, 2, "core -> interp/mod.rs (Id), runtime -> core (through two re-exports)");
    }

    #[test]
    fn the_composition_root_names_without_making_edges() {
        let report = check(&sources(&[
            ("src/lib.rs", "mod runtime;\npub mod xi;\npub(crate) struct Wired(crate::xi::State);\n"),
            ("src/runtime.rs", "pub struct Runtime(crate::Wired);\n"),
            ("src/xi/mod.rs", "pub struct State(crate::runtime::Runtime);\n"),
        ]));
        assert!(report.problems.is_empty(), "{report:?}");
    }

    #[test]
    fn a_macro_resolves_to_the_file_that_exports_it() {
        let report = check(&sources(&[
            ("src/lib.rs", "pub mod trace;\nmod gil;\n"),
            ("src/trace/mod.rs", "#[macro_export]\nmacro_rules! trace_event { () => { $crate::gil::f() } }\n"),
            ("src/gil.rs", "pub fn f() { crate::trace_event!(); }\n"),
        ]));
        assert_eq!(report.problems.len(), 1, "{report:?}");
        assert!(report.problems[0].starts_with("cycle: "), "{report:?}");
    }
}
