//! The three checkers the scenarios run under, and how cargo selects each.
use crate::process;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// `--cfg loom`: exhaustive exploration within each scenario's bounds.
    Loom,
    /// `--cfg shuttle`: shuttle's seeded randomized scheduler.
    Shuttle,
    /// Neither: production code on OS threads, many iterations (stress).
    Std,
}

impl Backend {
    /// Every backend, in the order `verify` runs them.
    pub const ALL: [Backend; 3] = [Backend::Loom, Backend::Shuttle, Backend::Std];

    /// The name the harness uses for the backend, in reports and their
    /// directory (`$XINTERP_REPORT_DIR/<name>/`).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Loom => "loom",
            Backend::Shuttle => "shuttle",
            Backend::Std => "std",
        }
    }

    /// RUSTFLAGS selecting the backend. Every build in a backend's target dir
    /// uses exactly these, so clippy, `verify` and `trace` never invalidate
    /// each other's artifacts.
    fn rustflags(self) -> Option<&'static str> {
        match self {
            Backend::Loom => Some("--cfg loom"),
            Backend::Shuttle => Some("--cfg shuttle"),
            Backend::Std => None,
        }
    }

    /// A target dir per backend: switching cfgs in one dir rebuilds the world.
    pub fn target_dir(self, root: &Path) -> PathBuf {
        let dir = match self {
            Backend::Loom => "loom",
            Backend::Shuttle => "shuttle",
            Backend::Std => "stress",
        };
        root.join("target").join(dir)
    }

    /// `cargo <subcommand>` building for this backend.
    pub fn cargo(self, root: &Path, subcommand: &str) -> Command {
        let mut cmd = process::cargo(root, subcommand);
        cmd.env("CARGO_TARGET_DIR", self.target_dir(root));
        if let Some(flags) = self.rustflags() {
            cmd.env("RUSTFLAGS", flags);
        }
        cmd
    }

    /// `cargo test --test models` for this backend. The production build
    /// needs the `trace` feature, or its witnesses could never be observed
    /// (loom and shuttle builds always record).
    pub fn models_test(self, root: &Path) -> Command {
        let mut cmd = self.cargo(root, "test");
        cmd.args(["--test", "models"]);
        if self == Backend::Std {
            cmd.args(["--features", "trace"]);
        }
        cmd
    }
}

impl FromStr for Backend {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Backend::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| format!("unknown backend `{s}` (loom, shuttle, std)"))
    }
}
