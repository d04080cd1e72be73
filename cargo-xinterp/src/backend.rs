//! The three checkers a scenario runs under, and how cargo selects each.
use crate::process;
use std::path::Path;
use std::process::Command;
use std::str::FromStr;

/// A checker: which `--cfg` the crate and its scenarios are built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Backend {
    /// `--cfg loom`: exhaustive exploration within each scenario's bounds.
    Loom,
    /// `--cfg shuttle`: shuttle's seeded randomized scheduler.
    Shuttle,
    /// Neither: production code on OS threads, many iterations (stress).
    Std,
}

impl Backend {
    /// Every backend, in the order `verify` runs them (the cheap exhaustive
    /// checker first).
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

    /// `cargo <subcommand>` run in `dir`, building for this backend into
    /// `target_dir` (a target dir per backend: switching cfgs in one dir
    /// rebuilds the world).
    ///
    /// Under loom the test profile is optimized (`opt-level = 1`): loom
    /// explores thousands of executions, and a debug build's deep frames are
    /// what once overflowed loom's root stack. The harness sizes that stack
    /// itself now, so this is for speed; a crate's own `[profile.test]`
    /// gives way to it for this build only.
    pub fn cargo(self, dir: &Path, target_dir: &Path, subcommand: &str) -> Command {
        let mut cmd = process::cargo(dir, subcommand);
        cmd.env("CARGO_TARGET_DIR", target_dir);
        if let Some(flags) = self.rustflags() {
            cmd.env("RUSTFLAGS", flags);
        }
        if self == Backend::Loom {
            cmd.env("CARGO_PROFILE_TEST_OPT_LEVEL", "1");
        }
        cmd
    }

    /// `backends` in the canonical order, each once; all of them when empty.
    pub fn canonical(backends: &[Backend]) -> Vec<Backend> {
        if backends.is_empty() {
            return Backend::ALL.to_vec();
        }
        Backend::ALL.into_iter().filter(|b| backends.contains(b)).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_order_whatever_the_flags_said() {
        assert_eq!(Backend::canonical(&[]), Backend::ALL.to_vec());
        assert_eq!(Backend::canonical(&[Backend::Std, Backend::Loom, Backend::Std]), vec![Backend::Loom, Backend::Std]);
    }

    #[test]
    fn loom_builds_optimized_in_their_own_dir() {
        let cmd = Backend::Loom.cargo(Path::new("."), Path::new("t/loom"), "test");
        let env: Vec<(String, String)> = cmd
            .get_envs()
            .filter_map(|(k, v)| Some((k.to_string_lossy().into_owned(), v?.to_string_lossy().into_owned())))
            .collect();
        assert!(env.contains(&("RUSTFLAGS".into(), "--cfg loom".into())), "{env:?}");
        assert!(env.contains(&("CARGO_PROFILE_TEST_OPT_LEVEL".into(), "1".into())), "{env:?}");
        assert!(env.contains(&("CARGO_TARGET_DIR".into(), "t/loom".into())), "{env:?}");
        let std = Backend::Std.cargo(Path::new("."), Path::new("t/std"), "test");
        assert!(!std.get_envs().any(|(k, v)| k == "RUSTFLAGS" && v.is_some()));
    }
}
