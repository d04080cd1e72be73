//! Trace validation in the harness: each execution's recorded events are
//! replayed on the reference models (`crate::spec`), and an event no model
//! allows fails the scenario like an invariant violation.
//!
//! | run | what is validated | a rejection |
//! |---|---|---|
//! | model (`check`), loom / shuttle | every execution (or every n-th: `XINTERP_VALIDATE_EVERY`) | fails the execution: its trace is the counterexample |
//! | model, stress with `--features trace` | every iteration (or every n-th) | fails the run |
//! | model, stress without `trace` | nothing: no protocol events are recorded | — |
//! | known bug (`expect_bug`) | only the counterexample, once | reported beside the bug, never instead of it |
//!
//! A model run that fails for another reason (an assertion, a deadlock) also
//! gets the model's verdict on its counterexample: the first event the model
//! refuses is often the cause, several steps before the symptom.
//!
//! Known-bug runs run a deliberately broken protocol (the naive models do
//! not even go through the registry): rejecting their executions would
//! replace the bug they must find. The model's verdict on the
//! counterexample is still worth reading, so it goes into the report.
use super::report::ValidationSummary;
use crate::spec::validate::{self, Outcome, Rejection, TransitionSet};
use crate::trace::session::Session;
use crate::trace::Event;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Validates every `n`-th execution (the first always).
pub(super) fn sample_every() -> u64 {
    match std::env::var("XINTERP_VALIDATE_EVERY") {
        Err(_) => 1,
        Ok(raw) => match raw.parse::<u64>() {
            Ok(n) if n >= 1 => n,
            _ => panic!("XINTERP_VALIDATE_EVERY={raw:?} is not a number >= 1"),
        },
    }
}

#[derive(Default)]
struct Counts {
    validated: u64,
    reordered: u64,
    undecided: u64,
    covered_events: u64,
    uncovered: BTreeMap<Cow<'static, str>, u64>,
    transitions: TransitionSet,
    /// Time spent validating (the harness's overhead).
    spent: Duration,
}

/// The validation tally of one run.
pub(super) struct Validation {
    sample_every: u64,
    counts: Mutex<Counts>,
}

impl Validation {
    pub(super) fn new(sample_every: u64) -> Self {
        Self { sample_every, counts: Mutex::new(Counts::default()) }
    }

    /// Validates execution `execution` (1-based) if it is in the sample;
    /// returns the rejection, if any.
    pub(super) fn check(&self, execution: u64, session: &Session) -> Option<Rejection> {
        if !(execution - 1).is_multiple_of(self.sample_every) {
            return None;
        }
        let started = Instant::now();
        // Read under the session's lock (parsing does not panic), replay
        // without it: if the replay itself panicked, the panic hook must be
        // able to record the failure in the session.
        let prepared = session.with_events(validate::prepare);
        let verdict = prepared.replay(|i| session.with_events(|events| events[i].clone()));
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.spent += started.elapsed();
        counts.validated += 1;
        counts.covered_events += verdict.covered as u64;
        for op in verdict.uncovered {
            *counts.uncovered.entry(op).or_default() += 1;
        }
        counts.transitions.union_with(&verdict.transitions);
        match verdict.outcome {
            Outcome::Allowed { reordered } => {
                counts.reordered += u64::from(reordered);
                None
            }
            Outcome::Undecided => {
                counts.undecided += 1;
                None
            }
            Outcome::Rejected(rejection) => Some(*rejection),
        }
    }

    pub(super) fn summary(&self) -> ValidationSummary {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        ValidationSummary {
            validated: counts.validated,
            sample_every: self.sample_every,
            reordered: counts.reordered,
            undecided: counts.undecided,
            covered_events: counts.covered_events,
            uncovered_events: counts.uncovered.values().sum(),
            uncovered_ops: counts.uncovered.iter().map(|(op, n)| (op.to_string(), *n)).collect(),
            transitions: counts.transitions,
            spent: counts.spent,
        }
    }
}

/// Whether a failure message is the validator's own rejection.
pub(super) fn is_rejection(message: &str) -> bool {
    message.lines().next().is_some_and(|l| l.contains("violated (reference model)"))
}

/// The model's verdict on a counterexample, in a sentence.
pub(super) fn verdict_on_counterexample(events: &[Event]) -> String {
    let verdict = validate::validate(events);
    match verdict.outcome {
        Outcome::Allowed { .. } => {
            format!("the reference model allows all {} covered event(s) before the violation", verdict.covered)
        }
        Outcome::Undecided => "undecided: the reordering search ran out of budget".to_owned(),
        Outcome::Rejected(r) => format!(
            "the reference model rejects event #{} ({} -> {}): [{}] expected {}",
            r.event.seq,
            r.event.op(),
            r.event.outcome(),
            r.rule,
            r.expected
        ),
    }
}
