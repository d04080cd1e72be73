//! `cargo xtask ci`'s downstream step: the README's "Writing your own
//! scenario" example, as a user would copy it, in a fresh crate checked by
//! `cargo xinterp verify` under loom, shuttle and stress.
//!
//! The crate is made of the README's own code blocks and nothing else: its
//! `Cargo.toml` is a bare `[package]` header (what `cargo new` writes) plus
//! the section's ```toml block with the dependency paths pointed at this
//! checkout, and its test file (`shutdown.rs` under the crate's `tests`) is the section's ```rust block. No
//! profile, lints or features are added: if the example needs one to
//! compile or pass, the README is wrong and this step fails.
use cargo_xinterp::process;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The README section the example comes from.
const SECTION: &str = "## Writing your own scenario";

/// The first line of the scenario's rust block, naming its file.
const RUST_FILE_LINE: &str = "// tests/shutdown.rs";

/// The example's two code blocks.
#[derive(Debug, PartialEq, Eq)]
pub struct Example {
    /// The dependency block.
    pub toml: String,
    /// The test file.
    pub rust: String,
}

/// The toml and rust blocks of the README's section [`SECTION`].
pub fn extract(readme: &str) -> Result<Example, String> {
    let start = readme.find(SECTION).ok_or_else(|| format!("README.md has no section `{SECTION}`"))?;
    let body = &readme[start + SECTION.len()..];
    let section = body.find("\n## ").map_or(body, |end| &body[..end]);
    let blocks = code_blocks(section);
    let toml =
        blocks.iter().find(|(lang, _)| lang == "toml").ok_or_else(|| format!("`{SECTION}` has no ```toml block"))?;
    let rust = blocks
        .iter()
        .find(|(lang, code)| lang == "rust" && code.starts_with(RUST_FILE_LINE))
        .ok_or_else(|| format!("`{SECTION}` has no ```rust block starting with `{RUST_FILE_LINE}`"))?;
    Ok(Example { toml: toml.1.clone(), rust: rust.1.clone() })
}

/// The fenced code blocks of `markdown`: `(language, code)`.
fn code_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in markdown.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(lang)) => open = Some((lang.trim().to_owned(), String::new())),
            (Some(_), Some(_)) => blocks.extend(open.take()),
            (Some((_, code)), None) => {
                code.push_str(line);
                code.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

/// The dependency block with each `path = "..."` pointed at this checkout:
/// `xinterp` at `root`, `xinterp-check` at `root/xinterp-check`. Any other
/// path dependency is an error (the README would be asking for a crate
/// this checkout does not have).
pub fn rewrite_paths(toml: &str, root: &Path) -> Result<String, String> {
    let mut out = String::new();
    for line in toml.lines() {
        let Some((before, after)) = line.split_once("path = \"") else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let name = before.split('=').next().unwrap_or("").trim();
        let crate_dir = match name {
            "xinterp" => root.to_path_buf(),
            "xinterp-check" => root.join("xinterp-check"),
            other => return Err(format!("the README's dependency `{other}` is not a crate of this checkout")),
        };
        let rest = after.split_once('"').ok_or_else(|| format!("an unterminated path in `{line}`"))?.1;
        out.push_str(&format!("{before}path = {:?}{rest}\n", crate_dir.display().to_string()));
    }
    Ok(out)
}

/// The generated `Cargo.toml`: the `[package]` header `cargo new` writes,
/// plus the README's block (a package of integration tests only needs no
/// `src/`).
fn manifest(dependencies: &str) -> String {
    format!("[package]\nname = \"readme-example\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n{dependencies}")
}

pub fn run(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    let readme_path = root.join("README.md");
    let readme =
        std::fs::read_to_string(&readme_path).map_err(|e| format!("could not read {}: {e}", readme_path.display()))?;
    let example = extract(&readme)?;
    let out = root.join("target").join("xinterp").join("downstream");
    let krate = out.join("crate");
    process::fresh_dir(&krate)?;
    process::create_dir(&krate.join("tests"))?;
    write(&krate.join("Cargo.toml"), &manifest(&rewrite_paths(&example.toml, root)?))?;
    write(&krate.join("tests").join("shutdown.rs"), &example.rust)?;

    let mut build = process::cargo(root, "build");
    build.args(["-p", "cargo-xinterp"]);
    if !process::run_visible(build)? {
        return Err("cargo-xinterp did not build".into());
    }
    let binary = root.join("target").join("debug").join(format!("cargo-xinterp{}", std::env::consts::EXE_SUFFIX));
    // Kept between runs (outside the regenerated crate), so a second ci run
    // rebuilds only the example.
    let target = out.join("target");
    let mut verify = Command::new(&binary);
    verify
        .args(["xinterp", "verify", "--manifest-path"])
        .arg(krate.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS");
    let passed = process::run_visible(verify)?;
    println!("downstream: {:.1} s wall time (crate: {})", started.elapsed().as_secs_f64(), krate.display());
    if passed {
        Ok(())
    } else {
        Err(format!("`cargo xinterp verify` failed on the README's example in {}", krate.display()))
    }
}

fn write(path: &PathBuf, contents: &str) -> Result<(), String> {
    std::fs::write(path, contents).map_err(|e| format!("could not write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const README: &str = "# x\n\n## Writing your own scenario\n\ntext\n\n```toml\n[dependencies]\n\
        xinterp = { path = \"../xinterp\" }\n\n[dev-dependencies]\n\
        xinterp-check = { path = \"../xinterp/xinterp-check\" }\n```\n\n\
        ```rust\n// not this one\n```\n\n```rust\n// tests/shutdown.rs. Run it with:\nfn main() {}\n```\n\n\
        ## A trace\n\n```toml\n[other]\n```\n";

    #[test]
    fn extracts_the_sections_toml_and_shutdown_blocks() {
        let example = extract(README).expect("both blocks");
        assert!(example.toml.starts_with("[dependencies]\n"), "{}", example.toml);
        assert!(example.toml.contains("xinterp-check"));
        assert_eq!(example.rust, "// tests/shutdown.rs. Run it with:\nfn main() {}\n");
    }

    #[test]
    fn a_missing_block_or_section_is_an_error() {
        assert!(extract(&README.replace("```toml\n[dependencies]", "```text\n[dependencies]")).is_err());
        assert!(extract(&README.replace("// tests/shutdown.rs", "// tests/other.rs")).is_err());
        assert!(extract(&README.replace("## Writing your own scenario", "## Elsewhere")).is_err());
    }

    #[test]
    fn only_the_dependency_paths_are_rewritten() {
        let toml = extract(README).unwrap().toml;
        let rewritten = rewrite_paths(&toml, Path::new("/src/xinterp")).unwrap();
        assert_eq!(
            rewritten,
            "[dependencies]\nxinterp = { path = \"/src/xinterp\" }\n\n[dev-dependencies]\n\
             xinterp-check = { path = \"/src/xinterp/xinterp-check\" }\n"
        );
        assert!(rewrite_paths("foo = { path = \"../foo\" }\n", Path::new("/r")).is_err());
    }

    #[test]
    fn the_projects_readme_has_the_example() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
        let example = extract(&readme).expect("README.md's example");
        assert!(example.rust.contains("Scenario::new"), "{}", example.rust);
        rewrite_paths(&example.toml, Path::new("/r")).expect("only this checkout's crates");
    }
}
