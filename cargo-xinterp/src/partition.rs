//! Sharding a campaign: `--partition count:k/n` or `hash:k/n`, in
//! cargo-nextest's notation and with its meaning, so a CI matrix of `n`
//! jobs (or `n` machines) each runs one disjoint share of the scenarios and
//! together they run every one.
//!
//! - `count:k/n`: within each test target, the tests in name order are
//!   dealt round-robin; the `i`-th (from 0) goes to shard `i mod n + 1`.
//!   Balanced, but adding a test moves the ones after it.
//! - `hash:k/n`: a test goes to shard `h(name) mod n + 1`, `h` being the
//!   64-bit FNV-1a hash of its name. Stateless: adding a test moves no
//!   other. (nextest hashes with xxHash: the notation and the rules are
//!   nextest's, the buckets are not, which no one relies on since
//!   cargo-xinterp deals the shares itself under either runner.)
//!
//! Partitioning applies after `--filter`, to the tests of each backend's
//! listing; every backend of a shard runs the same share.
use crate::listing::TestCase;
use std::fmt;
use std::str::FromStr;

/// One shard of a campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Partition {
    /// How tests are dealt.
    pub scheme: Scheme,
    /// This shard, from 1.
    pub shard: u64,
    /// How many shards.
    pub total: u64,
}

/// How the tests are dealt to the shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Round-robin within each test target, in name order.
    Count,
    /// By a stable hash of the test's name.
    Hash,
}

impl Partition {
    /// The shares of `cases` this shard runs, in their order. Counting is
    /// per test target, over the tests in name order (whatever order
    /// `cases` lists them in).
    pub fn select(&self, cases: &[TestCase]) -> Vec<TestCase> {
        let mut sorted: Vec<&TestCase> = cases.iter().collect();
        sorted.sort_by(|a, b| (&a.target, &a.name).cmp(&(&b.target, &b.name)));
        let mut chosen: Vec<&TestCase> = Vec::new();
        let mut index_in_target = 0u64;
        let mut target: Option<&str> = None;
        for case in sorted {
            if target != Some(case.target.as_str()) {
                target = Some(case.target.as_str());
                index_in_target = 0;
            }
            if self.bucket(index_in_target, &case.name) == self.shard {
                chosen.push(case);
            }
            index_in_target += 1;
        }
        cases.iter().filter(|c| chosen.contains(c)).cloned().collect()
    }

    /// The shard (from 1) of the test `name`, the `index`-th of its target.
    fn bucket(&self, index: u64, name: &str) -> u64 {
        match self.scheme {
            Scheme::Count => index % self.total + 1,
            Scheme::Hash => fnv1a(name) % self.total + 1,
        }
    }

    /// Whether the proof (or any named item outside the test listing) `id`
    /// is this shard's: by hash under `hash:`, by its place in `all` (name
    /// order) under `count:`.
    pub fn owns(&self, id: &str, all: &[&str]) -> bool {
        let mut sorted = all.to_vec();
        sorted.sort_unstable();
        let index = sorted.iter().position(|x| *x == id).unwrap_or(0) as u64;
        self.bucket(index, id) == self.shard
    }
}

/// 64-bit FNV-1a: stable across runs, machines and Rust versions (std's
/// hasher is not).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

impl FromStr for Partition {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let usage = || format!("`{s}` is not a partition (count:k/n or hash:k/n, 1 <= k <= n)");
        let (scheme, fraction) = s.split_once(':').ok_or_else(usage)?;
        let scheme = match scheme {
            "count" => Scheme::Count,
            "hash" => Scheme::Hash,
            _ => return Err(usage()),
        };
        let (shard, total) = fraction.split_once('/').ok_or_else(usage)?;
        let shard: u64 = shard.parse().map_err(|_| usage())?;
        let total: u64 = total.parse().map_err(|_| usage())?;
        if shard == 0 || shard > total {
            return Err(usage());
        }
        Ok(Self { scheme, shard, total })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Count => "count",
            Scheme::Hash => "hash",
        };
        write!(f, "{scheme}:{}/{}", self.shard, self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cases() -> Vec<TestCase> {
        let mut cases = Vec::new();
        for (target, n) in [("models", 23), ("shutdown", 4), ("empty", 0)] {
            for i in 0..n {
                cases.push(TestCase { target: target.into(), name: format!("mod{}::scenario_{i}", i % 3) });
            }
        }
        // Not in name order: shares do not depend on the listing's order.
        cases.reverse();
        cases
    }

    #[test]
    fn shards_are_disjoint_and_cover_every_test() {
        let all = cases();
        for scheme in [Scheme::Count, Scheme::Hash] {
            for total in 1..5 {
                let shares: Vec<Vec<TestCase>> =
                    (1..=total).map(|shard| Partition { scheme, shard, total }.select(&all)).collect();
                for case in &all {
                    let owners = shares.iter().filter(|share| share.contains(case)).count();
                    assert_eq!(owners, 1, "{case:?} under {scheme:?} of {total}");
                }
                assert_eq!(shares.iter().map(Vec::len).sum::<usize>(), all.len());
            }
        }
    }

    #[test]
    fn counting_deals_round_robin_within_each_target() {
        let all = cases();
        let first = Partition { scheme: Scheme::Count, shard: 1, total: 2 }.select(&all);
        // 23 tests in models: 12 to the first shard; 4 in shutdown: 2.
        assert_eq!(first.iter().filter(|c| c.target == "models").count(), 12);
        assert_eq!(first.iter().filter(|c| c.target == "shutdown").count(), 2);
    }

    #[test]
    fn hashing_is_stateless() {
        let all = cases();
        let partition = Partition { scheme: Scheme::Hash, shard: 2, total: 3 };
        let share = partition.select(&all);
        // Removing tests moves no other test between shards.
        let fewer: Vec<TestCase> = all.iter().skip(5).cloned().collect();
        let share_of_fewer = partition.select(&fewer);
        assert!(share_of_fewer.iter().all(|c| share.contains(c)));
        assert!(share.iter().filter(|c| fewer.contains(c)).all(|c| share_of_fewer.contains(c)));
    }

    #[test]
    fn items_outside_the_listing_are_dealt_the_same_ways() {
        let ids = ["b", "a", "d", "c", "e"];
        for scheme in [Scheme::Count, Scheme::Hash] {
            for total in 1..5 {
                for id in ids {
                    let owners = (1..=total).filter(|&shard| Partition { scheme, shard, total }.owns(id, &ids)).count();
                    assert_eq!(owners, 1, "{id} under {scheme:?} of {total}");
                }
            }
        }
    }

    #[test]
    fn the_notation_is_nextests() {
        let p: Partition = "hash:2/3".parse().unwrap();
        assert_eq!(p, Partition { scheme: Scheme::Hash, shard: 2, total: 3 });
        assert_eq!(p.to_string(), "hash:2/3");
        assert_eq!("count:1/1".parse::<Partition>().unwrap().to_string(), "count:1/1");
        for bad in ["", "count", "count:1", "count:0/2", "count:3/2", "slice:1/2", "hash:a/2", "hash:1/0", "1/2"] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
    }
}
