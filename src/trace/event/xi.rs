//! Cross-interpreter data events.
use super::no_events_yet;

/// A cross-interpreter data step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum XiEvent {}

no_events_yet!(XiEvent);
