//! The crate under check: where cargo runs, which test targets hold the
//! scenarios, and where each backend builds and the reports go.
use crate::backend::Backend;
use crate::process;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A package whose tests use xinterp-check, and where its runs go.
#[derive(Clone, Debug)]
pub struct Project {
    /// The package's name, in the reports' titles.
    pub name: String,
    /// The package's `Cargo.toml`; every cargo command names it.
    pub manifest: PathBuf,
    /// The test targets (`[[test]]` names) holding scenarios.
    pub tests: Vec<String>,
    /// Features the production (stress) build turns on.
    pub std_features: Vec<String>,
    /// The target dir of each backend, in [`Backend::ALL`] order.
    pub target_dirs: [PathBuf; 3],
    /// Where `runs/`, `logs/` and `report.{md,json}` go.
    pub out: PathBuf,
    /// The command named in the reports as their generator.
    pub command: String,
}

impl Project {
    /// The package of `manifest` (or of the current directory), every test
    /// target of it unless `tests` names some, building each backend into
    /// `<target dir>/xinterp/<backend>`.
    pub fn locate(manifest: Option<&Path>, tests: &[String]) -> Result<Self, String> {
        let manifest = match manifest {
            Some(path) => path.canonicalize().map_err(|e| format!("no manifest at {}: {e}", path.display()))?,
            None => locate_manifest()?,
        };
        let mut cmd = process::cargo(manifest.parent().unwrap_or(Path::new(".")), "metadata");
        cmd.args(["--no-deps", "--format-version", "1", "--manifest-path"]).arg(&manifest);
        let metadata = json_output(cmd)?;
        let package = metadata["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["manifest_path"].as_str().is_some_and(|m| Path::new(m) == manifest))
            .ok_or_else(|| {
                format!(
                    "{} is a virtual workspace manifest, not a package: run in a package's directory \
                     or pass --manifest-path <package>/Cargo.toml",
                    manifest.display()
                )
            })?;
        let name = package["name"].as_str().unwrap_or("the package").to_owned();
        let declared = test_targets(package);
        let tests = select_tests(&declared, tests)?;
        let target = metadata["target_directory"].as_str().ok_or("cargo metadata gave no target_directory")?;
        let out = Path::new(target).join("xinterp");
        let target_dirs = Backend::ALL.map(|b| out.join(b.name()));
        Ok(Self {
            name,
            manifest,
            tests,
            std_features: Vec::new(),
            target_dirs,
            out,
            command: "cargo xinterp verify".into(),
        })
    }

    /// The directory of the package (where cargo and its tests run).
    pub fn dir(&self) -> &Path {
        self.manifest.parent().unwrap_or(Path::new("."))
    }

    /// The target dir `backend` builds into.
    pub fn target_dir(&self, backend: Backend) -> &Path {
        let index = Backend::ALL.iter().position(|b| *b == backend).unwrap_or(0);
        &self.target_dirs[index]
    }

    /// `cargo <subcommand...> --manifest-path <manifest> --test <t>...` for
    /// `backend`, with the production build's features.
    pub fn cargo(&self, backend: Backend, subcommand: &[&str]) -> Command {
        let (first, rest) = subcommand.split_first().map_or(("test", &[][..]), |(f, r)| (*f, r));
        let mut cmd = backend.cargo(self.dir(), self.target_dir(backend), first);
        cmd.args(rest).arg("--manifest-path").arg(&self.manifest);
        for test in &self.tests {
            cmd.args(["--test", test]);
        }
        if backend == Backend::Std && !self.std_features.is_empty() {
            cmd.args(["--features", &self.std_features.join(",")]);
        }
        cmd
    }

    /// Where the harness writes its reports (`$XINTERP_REPORT_DIR`).
    pub fn runs_dir(&self) -> PathBuf {
        self.out.join("runs")
    }

    /// Where the cargo and test logs go.
    pub fn logs_dir(&self) -> PathBuf {
        self.out.join("logs")
    }
}

/// The `Cargo.toml` cargo picks in the current directory.
fn locate_manifest() -> Result<PathBuf, String> {
    let mut cmd = process::cargo(Path::new("."), "locate-project");
    cmd.args(["--message-format", "plain"]);
    let output = cmd.output().map_err(|e| format!("could not run cargo locate-project: {e}"))?;
    if !output.status.success() {
        return Err(format!("no Cargo.toml here or above: {}", String::from_utf8_lossy(&output.stderr).trim()));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
}

fn json_output(mut cmd: Command) -> Result<Value, String> {
    let line = process::describe(&cmd);
    let output = cmd.output().map_err(|e| format!("could not run `{line}`: {e}"))?;
    if !output.status.success() {
        return Err(format!("`{line}` failed: {}", String::from_utf8_lossy(&output.stderr).trim()));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("`{line}` printed no JSON: {e}"))
}

/// The names of a `cargo metadata` package's integration test targets.
pub fn test_targets(package: &Value) -> Vec<String> {
    package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["kind"].as_array().is_some_and(|kinds| kinds.iter().any(|k| k == "test")))
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect()
}

/// The targets asked for (all declared ones when none), each checked to exist.
pub fn select_tests(declared: &[String], asked: &[String]) -> Result<Vec<String>, String> {
    if asked.is_empty() {
        if declared.is_empty() {
            return Err("the package has no test targets (tests/*.rs or [[test]]): nothing to verify".into());
        }
        return Ok(declared.to_vec());
    }
    match asked.iter().find(|t| !declared.contains(t)) {
        Some(unknown) => Err(format!("no test target `{unknown}`; the package has: {}", declared.join(", "))),
        None => Ok(asked.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn test_targets_are_the_integration_tests_only() {
        let package = json!({"targets": [
            {"name": "mylib", "kind": ["lib"]},
            {"name": "shutdown", "kind": ["test"]},
            {"name": "bench", "kind": ["bench"]},
            {"name": "models", "kind": ["test"]},
        ]});
        assert_eq!(test_targets(&package), ["shutdown", "models"]);
    }

    #[test]
    fn selected_targets_must_exist() {
        let declared = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(select_tests(&declared, &[]).unwrap(), declared);
        assert_eq!(select_tests(&declared, &["b".to_owned()]).unwrap(), ["b"]);
        assert!(select_tests(&declared, &["c".to_owned()]).unwrap_err().contains("no test target `c`"));
        assert!(select_tests(&[], &[]).is_err());
    }
}
