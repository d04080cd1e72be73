//! The bounds each checker runs a scenario with, and their environment
//! overrides. Every bound in force is written into the report.
use std::fmt;

fn env<T: std::str::FromStr>(key: &str) -> Option<T> {
    let raw = std::env::var(key).ok()?;
    match raw.parse() {
        Ok(v) => Some(v),
        Err(_) => panic!("{key}={raw:?} is not valid"),
    }
}

/// loom's bounds. loom explores every interleaving within them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoomBounds {
    /// At most this many preemptions per execution; `None` is exhaustive.
    pub preemption_bound: Option<usize>,
    /// loom's per-execution branch limit (`LOOM_MAX_BRANCHES`).
    pub max_branches: usize,
}

impl Default for LoomBounds {
    /// Exhaustive (no preemption bound), loom's default branch limit.
    fn default() -> Self {
        Self { preemption_bound: None, max_branches: 1_000 }
    }
}

impl LoomBounds {
    /// Bounded to `n` preemptions per execution.
    pub fn preemptions(n: usize) -> Self {
        Self { preemption_bound: Some(n), ..Self::default() }
    }

    /// These bounds, with `XINTERP_LOOM_PREEMPTIONS` / `XINTERP_LOOM_MAX_BRANCHES` applied.
    pub fn resolved(self) -> Self {
        let preemption_bound = match std::env::var("XINTERP_LOOM_PREEMPTIONS").ok().as_deref() {
            None => self.preemption_bound,
            Some("none") => None,
            Some(n) => Some(n.parse().unwrap_or_else(|_| panic!("XINTERP_LOOM_PREEMPTIONS={n:?} is not valid"))),
        };
        Self { preemption_bound, max_branches: env("XINTERP_LOOM_MAX_BRANCHES").unwrap_or(self.max_branches) }
    }
}

impl fmt::Display for LoomBounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.preemption_bound {
            Some(n) => write!(f, "preemptions<={n}")?,
            None => write!(f, "exhaustive")?,
        }
        write!(f, ", branches<={}", self.max_branches)
    }
}

/// Which shuttle scheduler explores the scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShuttleScheduler {
    /// Probabilistic concurrency testing with this bug depth.
    Pct {
        /// The number of priority change points, plus one.
        depth: usize,
    },
    /// Uniformly random scheduling.
    Random,
    /// Depth-first enumeration (exhaustive when iterations allow).
    Dfs,
}

/// shuttle's scheduler, iteration count and seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShuttleConfig {
    /// The scheduler.
    pub scheduler: ShuttleScheduler,
    /// Executions to run (a known bug stops at the first failure).
    pub iterations: usize,
    /// The scheduler's seed; a scenario's default is derived from its name,
    /// so runs (and golden traces) are reproducible.
    pub seed: u64,
}

impl ShuttleConfig {
    /// PCT with depth 3 and 10,000 iterations, seeded from `name`.
    pub fn for_scenario(name: &str) -> Self {
        Self { scheduler: ShuttleScheduler::Pct { depth: 3 }, iterations: 10_000, seed: fnv1a(name) }
    }

    /// This configuration with `XINTERP_SHUTTLE_*` and `XINTERP_SEED` applied.
    pub fn resolved(self) -> Self {
        let depth = match self.scheduler {
            ShuttleScheduler::Pct { depth } => depth,
            _ => 3,
        };
        let depth = env("XINTERP_SHUTTLE_DEPTH").unwrap_or(depth);
        let scheduler = match std::env::var("XINTERP_SHUTTLE_SCHEDULER").ok().as_deref() {
            None => match self.scheduler {
                ShuttleScheduler::Pct { .. } => ShuttleScheduler::Pct { depth },
                other => other,
            },
            Some("pct") => ShuttleScheduler::Pct { depth },
            Some("random") => ShuttleScheduler::Random,
            Some("dfs") => ShuttleScheduler::Dfs,
            Some(other) => panic!("XINTERP_SHUTTLE_SCHEDULER={other:?} is not pct, random or dfs"),
        };
        Self {
            scheduler,
            iterations: env("XINTERP_SHUTTLE_ITERATIONS").unwrap_or(self.iterations),
            seed: env("XINTERP_SEED").unwrap_or(self.seed),
        }
    }
}

impl fmt::Display for ShuttleConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scheduler {
            ShuttleScheduler::Pct { depth } => write!(f, "pct depth={depth}")?,
            ShuttleScheduler::Random => write!(f, "random")?,
            ShuttleScheduler::Dfs => write!(f, "dfs")?,
        }
        write!(f, ", iterations<={}, seed={}", self.iterations, self.seed)
    }
}

/// Production stress: the scenario on real OS threads, N times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StressConfig {
    /// How many times the scenario runs.
    pub iterations: usize,
}

impl Default for StressConfig {
    fn default() -> Self {
        Self { iterations: 10_000 }
    }
}

impl StressConfig {
    /// This configuration with `XINTERP_STRESS_ITERATIONS` applied.
    pub fn resolved(self) -> Self {
        Self { iterations: env("XINTERP_STRESS_ITERATIONS").unwrap_or(self.iterations) }
    }
}

impl fmt::Display for StressConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "iterations={}, OS threads", self.iterations)
    }
}

/// FNV-1a: a stable seed from a scenario name (std's hasher is randomized).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
