//! Channel and queue events.
use super::no_events_yet;

/// A channel or queue step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChannelEvent {}

no_events_yet!(ChannelEvent);
