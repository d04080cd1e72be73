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

/// shuttle's scheduler, iteration count and seed (or seeds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShuttleConfig {
    /// The scheduler.
    pub scheduler: ShuttleScheduler,
    /// Executions to run per seed (a known bug stops at the first failure).
    pub iterations: usize,
    /// The scheduler's seed; a scenario's default is derived from its name,
    /// so runs (and golden traces) are reproducible.
    pub seed: u64,
    /// A campaign over many seeds: when set, the scheduler runs
    /// `iterations` executions from each seed of the range in turn, and
    /// `seed` is unused. `None` by default.
    pub seeds: Option<SeedRange>,
}

impl ShuttleConfig {
    /// PCT with depth 3 and 10,000 iterations, seeded from `name`.
    pub fn for_scenario(name: &str) -> Self {
        Self { scheduler: ShuttleScheduler::Pct { depth: 3 }, iterations: 10_000, seed: fnv1a(name), seeds: None }
    }

    /// The seeds the scheduler runs, in order: the range's, or `seed` alone.
    pub fn seed_list(&self) -> SeedRange {
        self.seeds.unwrap_or(SeedRange { start: self.seed, end: self.seed.saturating_add(1) })
    }

    /// This configuration with `XINTERP_SHUTTLE_*`, `XINTERP_SEED` and
    /// `XINTERP_SEEDS` (a range `A..B`) applied. Setting both seed variables
    /// is an error, and so is a seed range for the DFS scheduler (it is not
    /// seeded: every seed would repeat the same schedules).
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
        let seed: Option<u64> = env("XINTERP_SEED");
        let seeds: Option<SeedRange> = env("XINTERP_SEEDS");
        assert!(seed.is_none() || seeds.is_none(), "XINTERP_SEED and XINTERP_SEEDS are both set: choose one");
        let seeds = seeds.or(if seed.is_some() { None } else { self.seeds });
        assert!(
            seeds.is_none() || scheduler != ShuttleScheduler::Dfs,
            "a seed range (XINTERP_SEEDS) does not apply to the dfs scheduler, which is not seeded"
        );
        Self {
            scheduler,
            iterations: env("XINTERP_SHUTTLE_ITERATIONS").unwrap_or(self.iterations),
            seed: seed.unwrap_or(self.seed),
            seeds,
        }
    }
}

/// A range of scheduler seeds, `start..end` (end excluded, never empty): a
/// shuttle campaign runs each in turn. `n` machines share one campaign by
/// each running a [`shard`](Self::shard) of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SeedRange {
    /// The first seed.
    pub start: u64,
    /// One past the last seed.
    pub end: u64,
}

impl SeedRange {
    /// How many seeds.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Never: a range has at least one seed.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// The seeds, in order.
    pub fn iter(&self) -> std::ops::Range<u64> {
        self.start..self.end
    }

    /// Shard `k` of `n` (from 1): the range cut into `n` contiguous pieces
    /// whose lengths differ by at most one; together they are the range,
    /// and no seed is in two. `None` if `k` is not in `1..=n` or a piece
    /// would be empty (more shards than seeds).
    pub fn shard(&self, k: u64, n: u64) -> Option<SeedRange> {
        if k == 0 || k > n || n > self.len() {
            return None;
        }
        let cut = |i: u64| self.start + (u128::from(self.len()) * u128::from(i) / u128::from(n)) as u64;
        Some(SeedRange { start: cut(k - 1), end: cut(k) })
    }
}

impl std::str::FromStr for SeedRange {
    type Err = String;

    /// `A..B` (B excluded, A < B).
    fn from_str(s: &str) -> Result<Self, String> {
        let invalid = || format!("`{s}` is not a seed range `A..B` with A < B");
        let (start, end) = s.split_once("..").ok_or_else(invalid)?;
        let start: u64 = start.trim().parse().map_err(|_| invalid())?;
        let end: u64 = end.trim().parse().map_err(|_| invalid())?;
        if start >= end {
            return Err(invalid());
        }
        Ok(Self { start, end })
    }
}

impl fmt::Display for SeedRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl fmt::Display for ShuttleConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scheduler {
            ShuttleScheduler::Pct { depth } => write!(f, "pct depth={depth}")?,
            ShuttleScheduler::Random => write!(f, "random")?,
            ShuttleScheduler::Dfs => write!(f, "dfs")?,
        }
        match self.seeds {
            Some(seeds) => write!(f, ", iterations<={} per seed, seeds={seeds}", self.iterations),
            None => write!(f, ", iterations<={}, seed={}", self.iterations, self.seed),
        }
    }
}

/// Production stress: the scenario on real OS threads, N times.
///
/// A smoke test of the production build (its real atomics, locks and
/// orderings on real threads), not a proof: loom explores every
/// interleaving within its bound and shuttle 10,000 schedules per seed.
/// Each stress iteration spawns and joins OS threads (about 1 ms), so the
/// default is sized for a verify run on 2 cores, not for coverage; a soak
/// campaign raises it (`XINTERP_STRESS_ITERATIONS`, or `.stress(..)`).
///
/// Stress has no deadlock detector of its own: a watchdog calls an
/// iteration that has not finished after `stall_secs` a deadlock. An
/// iteration takes milliseconds even on a loaded machine, so the default
/// (60 s) is generous; a known bug that *is* a deadlock lowers it for its
/// own scenario, since the watchdog's wait is the whole cost of finding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StressConfig {
    /// How many times the scenario runs.
    pub iterations: usize,
    /// Seconds an iteration may take before the watchdog reports a
    /// deadlock (at least 1).
    pub stall_secs: u64,
}

impl Default for StressConfig {
    /// 2,000 iterations; a deadlock after 60 s.
    fn default() -> Self {
        Self { iterations: 2_000, stall_secs: 60 }
    }
}

impl StressConfig {
    /// This configuration with `XINTERP_STRESS_ITERATIONS` and
    /// `XINTERP_STRESS_STALL_SECS` applied.
    pub fn resolved(self) -> Self {
        Self {
            iterations: env("XINTERP_STRESS_ITERATIONS").unwrap_or(self.iterations),
            stall_secs: env("XINTERP_STRESS_STALL_SECS").unwrap_or(self.stall_secs).max(1),
        }
    }
}

impl fmt::Display for StressConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "iterations={}, OS threads, deadlock after {} s", self.iterations, self.stall_secs)
    }
}

/// FNV-1a: a stable seed from a scenario name (std's hasher is randomized).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_shards_are_disjoint_and_cover_the_range() {
        for range in
            [SeedRange { start: 0, end: 10 }, SeedRange { start: 7, end: 8 }, SeedRange { start: 100, end: 1_000_103 }]
        {
            for n in 1..5 {
                let Some(first) = range.shard(1, n) else {
                    assert!(n > range.len(), "{range} in {n}");
                    continue;
                };
                assert_eq!(first.start, range.start);
                let mut next = range.start;
                for k in 1..=n {
                    let shard = range.shard(k, n).expect("a shard");
                    assert_eq!(shard.start, next, "shard {k}/{n} of {range} starts where {} ended", k - 1);
                    assert!(!shard.is_empty());
                    assert!(shard.len().abs_diff(range.len() / n) <= 1, "balanced");
                    next = shard.end;
                }
                assert_eq!(next, range.end, "the last shard of {n} ends the range");
            }
        }
        let range = SeedRange { start: 0, end: 3 };
        assert_eq!((range.shard(0, 2), range.shard(3, 2), range.shard(1, 4)), (None, None, None));
    }

    #[test]
    fn seed_ranges_parse_and_print() {
        let range: SeedRange = "5..9".parse().unwrap();
        assert_eq!((range, range.len(), range.to_string()), (SeedRange { start: 5, end: 9 }, 4, "5..9".to_owned()));
        assert_eq!(range.iter().collect::<Vec<_>>(), [5, 6, 7, 8]);
        for bad in ["", "5", "9..5", "5..5", "a..b", "-1..3", "1..=3"] {
            assert!(bad.parse::<SeedRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_seed_range_replaces_the_seed_in_the_bound() {
        let mut config = ShuttleConfig::for_scenario("a::b");
        assert!(config.to_string().ends_with(&format!("seed={}", config.seed)));
        assert_eq!(config.seed_list().iter().collect::<Vec<_>>(), [config.seed]);
        config.seeds = Some(SeedRange { start: 0, end: 100 });
        assert_eq!(config.to_string(), "pct depth=3, iterations<=10000 per seed, seeds=0..100");
        assert_eq!(config.seed_list().len(), 100);
    }
}
