//! An end of a channel: a plain value, kept apart from the association
//! records (`assoc.rs`) so that the channel events, which record it, sit
//! below the code that associates interpreters with ends.

/// An end of a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum End {
    /// The send end.
    Send,
    /// The receive end.
    Recv,
}

impl End {
    /// The other end.
    pub(crate) fn other(self) -> Self {
        match self {
            Self::Send => Self::Recv,
            Self::Recv => Self::Send,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Recv => "recv",
        }
    }
}
