//! What a trace is replayed on: the lifecycle model, one channel model per
//! channel, and the xi model, side by side in one value the search can
//! copy.
use super::channel::Channels;
use super::step::{Entry, Step};
use super::transition::TransitionSet;
use crate::spec::lifecycle::Lifecycle;
use crate::spec::xi::Heaps;

/// The combined model of a trace.
#[derive(Clone, Debug)]
pub struct Model {
    /// Interpreters, guards, finalization, GILs, thread states.
    pub life: Lifecycle,
    /// Channels and queues, by id.
    pub channels: Channels,
    /// Heaps, rings and views, by owner.
    pub xi: Heaps,
    /// The transitions the steps applied so far took (copied with the
    /// model, so a replay's accepted order carries its own).
    pub taken: TransitionSet,
}

impl Model {
    /// A fresh model for a trace.
    pub fn for_traces() -> Self {
        Self {
            life: Lifecycle::for_traces(),
            channels: Channels::default(),
            xi: Heaps::default(),
            taken: TransitionSet::default(),
        }
    }

    /// The part of the state an event is about, for a rejection: its
    /// channel, its owner's heap, or the lifecycle.
    pub fn describe_for(&self, e: &Entry) -> String {
        match &e.step {
            Some(Step::Channel(c)) => self.channels.describe(Some(c.channel)),
            Some(Step::Xi(x)) => self.xi.describe(Some(x.event.owner())),
            _ => self.life.describe(),
        }
    }
}
