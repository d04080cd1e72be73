//! Channel ids: numbered per runtime as CPython numbers them, and tagged
//! with their runtime so that two runtimes' ids never alias.
use crate::Attached;
use std::fmt;

/// A channel's (or queue's) id: unique within its runtime, never reused,
/// and bound to that runtime. The number CPython shows ([`get`](Self::get))
/// restarts at 1 in every runtime, so the id also carries its runtime's
/// process-unique tag: another runtime's lookup of it answers
/// [`LookupError::NotFound`](super::LookupError::NotFound), never its own channel of the same number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChannelId {
    /// The runtime's registry tag (`crate::sync::process_unique`).
    runtime: u64,
    raw: u64,
}

impl ChannelId {
    pub(crate) fn new(runtime: u64, raw: u64) -> Self {
        Self { runtime, raw }
    }

    /// The id as a number (what CPython's `ChannelID.__int__` shows).
    pub fn get(self) -> u64 {
        self.raw
    }

    /// The id numbered `raw` in the calling interpreter's runtime: how an
    /// integer received from Python becomes an id (CPython's
    /// `channel_id_converter`). A negative number is [`InvalidId`]
    /// (CPython's `ValueError`); a number never handed out is an id all the
    /// same, which a lookup answers with [`LookupError::NotFound`](super::LookupError::NotFound).
    pub fn from_raw(py: Attached<'_>, raw: i64) -> Result<Self, InvalidId> {
        let raw = u64::try_from(raw).map_err(|_| InvalidId::Negative(raw))?;
        Ok(Self::new(py.core().runtime.subsystems.channels.tag(), raw))
    }

    pub(crate) fn runtime(self) -> u64 {
        self.runtime
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "channel {}", self.raw)
    }
}

/// Why a number is not a channel id ([`ChannelId::from_raw`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidId {
    /// Ids are non-negative (CPython: `ValueError: channel ID must be a
    /// non-negative int`).
    Negative(i64),
}

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Negative(raw) => write!(f, "channel ID must be a non-negative int, got {raw}"),
        }
    }
}

impl std::error::Error for InvalidId {}
