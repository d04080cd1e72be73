//! Observations: reads of public queries that other threads may race with.
use super::no_events_yet;

/// A racy read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observation {}

no_events_yet!(Observation);
