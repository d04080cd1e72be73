//! The checking harness: one scenario, three checkers.
//!
//! A scenario is a plain closure written against [`xinterp::sync`]. The same
//! closure runs under whichever backend the build selected:
//!
//! | build               | [`Scenario::check`] runs                       | bound recorded in the report        |
//! |---------------------|------------------------------------------------|-------------------------------------|
//! | `--cfg loom`        | `loom::model::Builder::check`, exhaustive      | preemption bound, branch limit      |
//! | `--cfg shuttle`     | shuttle's PCT, random or DFS scheduler         | scheduler, iterations, depth, seed  |
//! | neither             | N iterations on real OS threads (stress)       | iterations                          |
//!
//! Scenarios assert their **invariants** inside the closure (a panic is a
//! violation) and declare **witnesses**: named interleavings that must be
//! reached at least once. A witness is reached when the execution records an
//! event that matches it: [`reach`] records one by name,
//! [`Scenario::witness_on`] matches a protocol step (`finalize.wait` /
//! `blocked`), and [`Scenario::witness_when`] matches a condition over the
//! whole execution (`finalize.wait` twice, with a granted guard between).
//! Under loom and shuttle, which are deterministic for a given
//! bound or seed, a scenario whose witness was never reached **fails**: a
//! model that never enters the race window proves nothing. Under stress,
//! witnesses are counted and reported, never a cause of a flaky failure.
//!
//! Known bugs run through [`Scenario::expect_bug`]: it passes only if the
//! checker finds a violation, and returns the [`Counterexample`] (trace,
//! message, replay command), which the test compares with a committed golden
//! trace, an insta snapshot ([`Counterexample::assert_golden`]).
//!
//! Every run writes a [`Report`] (executions explored, bound, wall time,
//! witnesses, result) to `$XINTERP_REPORT_DIR/<backend>/` when that variable
//! is set; `cargo xtask verify` collects them into one table.
//!
//! Environment overrides (all optional): `XINTERP_LOOM_PREEMPTIONS` (a number
//! or `none`), `XINTERP_LOOM_MAX_BRANCHES`, `XINTERP_SHUTTLE_SCHEDULER`
//! (`pct`, `random`, `dfs`), `XINTERP_SHUTTLE_ITERATIONS`,
//! `XINTERP_SHUTTLE_DEPTH`, `XINTERP_SEED`, `XINTERP_STRESS_ITERATIONS`,
//! `XINTERP_REPORT_DIR`, `XINTERP_BLESS=1` (accept changed golden traces, as `INSTA_UPDATE=always`),
//! `XINTERP_VALIDATE_EVERY` (validate every n-th execution's trace).
//!
//! Every execution's trace is also replayed on the reference models in
//! [`spec`]: an event they do not allow fails the scenario like an
//! invariant violation (see `validation.rs` and `docs/spec.md`).
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

pub mod spec;
pub mod trace;

mod config;
mod golden;
mod isolate;
mod json;
mod report;
mod run;
mod validation;

pub use config::{LoomBounds, SeedRange, ShuttleConfig, ShuttleScheduler, StressConfig};
pub use golden::Counterexample;
pub use report::{Outcome, Report, SpecCheck, ValidationSummary, WitnessCount};

use crate::trace::{Event, EventKind};
use std::sync::Arc;

/// Whether `value`'s text starts with `prefix`, without rendering it whole.
fn starts_with(value: impl std::fmt::Display, prefix: &str) -> bool {
    struct Prefix<'a> {
        rest: &'a str,
        ok: bool,
    }
    impl std::fmt::Write for Prefix<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let n = s.len().min(self.rest.len());
            if s.as_bytes()[..n] != self.rest.as_bytes()[..n] {
                self.ok = false;
                return Err(std::fmt::Error);
            }
            self.rest = &self.rest[n..];
            if self.rest.is_empty() {
                return Err(std::fmt::Error); // matched: stop rendering
            }
            Ok(())
        }
    }
    let mut p = Prefix { rest: prefix, ok: true };
    if prefix.is_empty() {
        return true;
    }
    let _ = std::fmt::write(&mut p, format_args!("{value}"));
    p.ok && p.rest.is_empty()
}

/// Marks the named witness as reached in the current execution (it records a
/// `witness` event, so the trace shows where).
pub fn reach(witness: &'static str) {
    xinterp::trace::record(EventKind::Witness(witness.into()));
}

/// How a witness is recognised in an execution's events.
#[derive(Clone)]
enum Matcher {
    /// A [`reach`] call with this name.
    Reach,
    /// Some event for which the predicate holds.
    Event(Arc<dyn Fn(&EventKind) -> bool + Send + Sync>),
    /// A condition over the execution's events, in order.
    When(fn(&[Event]) -> bool),
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Reach => "Reach",
            Self::Event(_) => "Event(..)",
            Self::When(_) => "When(..)",
        })
    }
}

/// A named interleaving a scenario must reach.
#[derive(Clone, Debug)]
pub struct Witness {
    /// Its name, as passed to [`reach`] and shown in reports.
    pub name: &'static str,
    /// What it means, in a sentence.
    pub description: &'static str,
    matcher: Matcher,
}

impl Witness {
    fn matches(&self, events: &[Event]) -> bool {
        match self.matcher {
            Matcher::Reach => events.iter().any(|e| e.witness() == Some(self.name)),
            Matcher::Event(ref predicate) => events.iter().any(|e| predicate(&e.kind)),
            Matcher::When(predicate) => predicate(events),
        }
    }
}

/// A named scenario: its witnesses and the bounds each checker runs it with.
#[derive(Clone, Debug)]
pub struct Scenario {
    name: String,
    witnesses: Vec<Witness>,
    loom: LoomBounds,
    shuttle: ShuttleConfig,
    stress: StressConfig,
}

impl Scenario {
    /// A scenario named `name`. By convention the name is the test's path in
    /// its test binary (`lifecycle::guards::guards_vs_finalizer`), so that
    /// `cargo xinterp trace <name>` can re-run it.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        let shuttle = ShuttleConfig::for_scenario(&name);
        Self { name, witnesses: Vec::new(), loom: LoomBounds::default(), shuttle, stress: StressConfig::default() }
    }

    /// Declares a witness reached by [`reach`]`(name)`.
    pub fn witness(mut self, name: &'static str, description: &'static str) -> Self {
        self.witnesses.push(Witness { name, description, matcher: Matcher::Reach });
        self
    }

    /// Declares a witness reached when some recorded event satisfies
    /// `predicate`, a pattern over the typed event (needs tracing: always
    /// on under loom and shuttle, the `trace` feature in production):
    ///
    /// ```
    /// use xinterp_check::Scenario;
    /// use xinterp::trace::EventKind;
    ///
    /// let scenario = Scenario::new("docs::witness_event").witness_event(
    ///     "witnessed",
    ///     "the scenario marked a witness",
    ///     |e| matches!(e, EventKind::Witness(_)),
    /// );
    /// # drop(scenario);
    /// ```
    pub fn witness_event(
        mut self,
        name: &'static str,
        description: &'static str,
        predicate: impl Fn(&EventKind) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.witnesses.push(Witness { name, description, matcher: Matcher::Event(Arc::new(predicate)) });
        self
    }

    /// Declares a witness reached when a protocol step named `op` records
    /// an outcome whose text starts with `outcome`: the short form of
    /// [`witness_event`](Self::witness_event), matching the rendered
    /// columns a trace shows (`"finalize.wait"`, `"blocked"`).
    pub fn witness_on(
        self,
        name: &'static str,
        description: &'static str,
        op: &'static str,
        outcome: &'static str,
    ) -> Self {
        self.witness_event(name, description, move |e| e.op() == op && starts_with(e.outcome(), outcome))
    }

    /// Declares a witness reached when `predicate` holds over the events of
    /// an execution (in the order they were recorded), for interleavings no
    /// single step names: "`finalize.wait` twice", "an attach after
    /// `finalize.request`". Needs tracing, like [`witness_on`](Self::witness_on).
    ///
    /// The predicate sees the whole execution once it has ended, so it may
    /// look at events on every thread; keep it a plain `fn` (no captures),
    /// so that the scenario stays `Clone` and its reports reproducible.
    pub fn witness_when(
        mut self,
        name: &'static str,
        description: &'static str,
        predicate: fn(&[Event]) -> bool,
    ) -> Self {
        self.witnesses.push(Witness { name, description, matcher: Matcher::When(predicate) });
        self
    }

    /// Sets loom's bounds for this scenario.
    pub fn loom(mut self, bounds: LoomBounds) -> Self {
        self.loom = bounds;
        self
    }

    /// Sets shuttle's scheduler, iterations and seed for this scenario.
    pub fn shuttle(mut self, config: ShuttleConfig) -> Self {
        self.shuttle = config;
        self
    }

    /// Sets the production stress iterations for this scenario.
    pub fn stress(mut self, config: StressConfig) -> Self {
        self.stress = config;
        self
    }

    /// The scenario's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs the scenario under the build's checker. Panics (failing the
    /// test) on an invariant violation, with the trace and the replay command,
    /// or, under loom and shuttle, when a witness was never reached.
    #[track_caller]
    pub fn check<F>(self, scenario: F) -> Report
    where
        F: Fn() + Send + Sync + 'static,
    {
        let report = run::run(&self, report::Kind::Model, scenario);
        report.write();
        if let Err(why) = report.verdict() {
            panic!("{why}");
        }
        report
    }

    /// Runs a known-bug scenario: passes only when the checker finds a
    /// violation, and returns it. Under loom and shuttle a bug not found
    /// fails the test; under stress (which may miss it) it returns `None`.
    ///
    /// Under loom the exploration runs in a child process (see
    /// `xinterp_check`'s `isolate` module): loom aborts the process after reporting a
    /// deadlock, and a known bug may be one.
    #[track_caller]
    pub fn expect_bug<F>(self, scenario: F) -> Option<Counterexample>
    where
        F: Fn() + Send + Sync + 'static,
    {
        let report = if cfg!(loom) && !isolate::is_child_for(&self.name) {
            drop(scenario);
            isolate::run_in_child(&self)
        } else {
            run::run(&self, report::Kind::Bug, scenario)
        };
        report.write();
        if let Err(why) = report.verdict() {
            panic!("{why}");
        }
        report.counterexample.clone()
    }
}

/// Runs `scenario` as [`Scenario::new`]`(name).check(scenario)`.
#[track_caller]
pub fn model<F>(name: &str, scenario: F) -> Report
where
    F: Fn() + Send + Sync + 'static,
{
    Scenario::new(name).check(scenario)
}

/// Runs `scenario` as [`Scenario::new`]`(name).expect_bug(scenario)`.
#[track_caller]
pub fn expect_bug<F>(name: &str, scenario: F) -> Option<Counterexample>
where
    F: Fn() + Send + Sync + 'static,
{
    Scenario::new(name).expect_bug(scenario)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(op: &'static str, outcome: &str) -> Event {
        Event { seq: 0, thread: "main".to_owned(), kind: xinterp::trace::Custom::new(Some(1), op, outcome, "").into() }
    }

    fn waited_twice(events: &[Event]) -> bool {
        events.iter().filter(|e| e.op() == "finalize.wait").count() >= 2
    }

    #[test]
    fn a_predicate_witness_matches_a_condition_over_the_whole_execution() {
        let scenario = Scenario::new("check::tests::predicate").witness_when(
            "overtaken",
            "the finalizer slept twice",
            waited_twice,
        );
        let witness = &scenario.witnesses[0];
        let once = [event("finalize.wait", "blocked"), event("guard.acquire", "ok")];
        assert!(!witness.matches(&once), "one wait is not two");
        let twice =
            [event("finalize.wait", "blocked"), event("guard.acquire", "ok"), event("finalize.wait", "blocked")];
        assert!(witness.matches(&twice));
        assert!(!witness.matches(&[]));
    }

    #[test]
    fn step_and_reach_witnesses_match_single_events() {
        let scenario = Scenario::new("check::tests::steps")
            .witness_on("waited", "the finalizer slept", "finalize.wait", "blocked")
            .witness("used", "a holder used the state");
        let used = Event { seq: 0, thread: "main".to_owned(), kind: EventKind::Witness("used".into()) };
        let events = [event("finalize.wait", "blocked until no guard is held"), used];
        assert!(scenario.witnesses.iter().all(|w| w.matches(&events)));
        assert!(scenario.witnesses.iter().all(|w| !w.matches(&[event("finalize.wait", "timed out")])));
        assert!(!scenario.witnesses[0].matches(&[event("finalize.wai", "blocked")]), "the op matches whole");
        assert!(!scenario.witnesses[0].matches(&[event("finalize.wait", "block")]), "a shorter outcome is no match");
    }

    #[test]
    fn prefixes_are_matched_on_the_rendered_text() {
        assert!(starts_with(format_args!("{}{}", "bl", "ocked: x"), "blocked"));
        assert!(starts_with("anything", ""));
        assert!(!starts_with("blo", "blocked"));
        assert!(!starts_with("blOcked", "blocked"));
    }
}
