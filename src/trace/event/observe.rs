//! Observations: reads of public queries that other threads may race with.
//!
//! A user's check-then-act (`if view.phase() == Running { view.guard() }`)
//! is two steps: the read, and the act on what was read. The act is a
//! protocol step; the read is recorded here, with the value it returned, so
//! a trace shows both halves and where another thread's step fell between
//! them. An observation changes nothing: the reference models do not replay
//! it.
use super::Step;
use crate::channel::Status;
use crate::Phase;
use std::fmt;

/// A read of a public query, and the value it returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// The interpreter whose state was read (none for a channel's).
    pub interp: Option<u64>,
    /// The query and its answer.
    pub read: Read,
}

/// The public queries a trace records, each with the value it returned.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Read {
    /// `View::phase`, `Interpreter::phase`.
    Phase(Phase),
    /// `Interpreter::is_running`: a `run` in progress.
    Running(bool),
    /// `Runtime::is_finalized`.
    RuntimeFinalized(bool),
    /// A channel end's `status`.
    ChannelStatus {
        /// The channel.
        channel: u64,
        /// Its status.
        status: Status,
    },
    /// A channel's `len` / `is_empty`, a queue's `qsize` / `empty` / `full`.
    ChannelLen {
        /// The channel or queue.
        channel: u64,
        /// Items queued.
        len: usize,
    },
}

impl Observation {
    /// An observation of `read` on interpreter `interp`.
    pub fn new(interp: Option<u64>, read: Read) -> Self {
        Self { interp, read }
    }
}

impl From<Observation> for super::EventKind {
    fn from(o: Observation) -> Self {
        Self::Observation(o)
    }
}

impl Step for Observation {
    fn interp(&self) -> Option<u64> {
        self.interp
    }

    fn op(&self) -> &str {
        match self.read {
            Read::Phase(_) => "observe.phase",
            Read::Running(_) => "observe.running",
            Read::RuntimeFinalized(_) => "observe.runtime_finalized",
            Read::ChannelStatus { .. } => "observe.status",
            Read::ChannelLen { .. } => "observe.len",
        }
    }

    fn fmt_outcome(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.read {
            Read::Phase(phase) => write!(f, "read {phase}"),
            Read::Running(running) => write!(f, "read {running}"),
            Read::RuntimeFinalized(done) => write!(f, "read {done}"),
            Read::ChannelStatus { channel, status } => write!(f, "read C{channel} {}", status_name(status)),
            Read::ChannelLen { channel, len } => write!(f, "read C{channel} items={len}"),
        }
    }

    fn fmt_state(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

fn status_name(status: Status) -> &'static str {
    match status {
        Status::Open => "open",
        Status::Closing => "closing",
        Status::Closed => "closed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::EventKind;

    #[test]
    fn observations_render_the_value_read() {
        let e = |read| EventKind::from(Observation::new(Some(1), read));
        assert_eq!(e(Read::Phase(Phase::Running)).to_string(), "interp 1 observe.phase -> read running");
        let len = EventKind::from(Observation::new(None, Read::ChannelLen { channel: 3, len: 2 }));
        assert_eq!(len.to_string(), "observe.len -> read C3 items=2");
        assert!(matches!(len, EventKind::Observation(_)));
    }
}
