//! The reference models' transitions: every rule of the three models
//! (lifecycle, channels, cross-interpreter data) crossed with each outcome
//! it can give, e.g. `lifecycle guard.acquire/refused:draining`.
//!
//! The replay (`validate/apply.rs`) names, for every step it accepts, the
//! transition the model took, chosen where the rule decides it (from the
//! model's state and the step's own data, not from text); the accepted
//! order's transitions come back with an allowed [`Verdict`](super::Verdict)
//! ([`Verdict::transitions`](super::Verdict::transitions)), so a report can
//! say which transitions each scenario exercised and which none did.
//!
//! The list is one macro invocation: the [`Transition`] enum and
//! [`Transition::ALL`] come from the same text, so the replay cannot name a
//! transition the list lacks (it names enum variants), and a new rule or
//! outcome is a new variant here.
use std::fmt;
use std::str::FromStr;

/// Which reference model a transition belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// Interpreters, guards, finalization, GILs, thread states
    /// (`spec::lifecycle`).
    Lifecycle,
    /// Channels and queues (`spec::channel`).
    Channel,
    /// Heaps, pending-call rings, views (`spec::xi`).
    Xi,
}

impl Protocol {
    /// Every protocol, in report order.
    pub const ALL: [Protocol; 3] = [Protocol::Lifecycle, Protocol::Channel, Protocol::Xi];

    /// Its name in reports (`lifecycle`, `channel`, `xi`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Lifecycle => "lifecycle",
            Self::Channel => "channel",
            Self::Xi => "xi",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

macro_rules! transitions {
    ($($protocol:ident { $($variant:ident => $rule:literal / $outcome:literal,)* })*) => {
        /// One rule of a reference model with one of its outcomes.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Transition {
            $($(
                #[doc = concat!("`", $rule, "/", $outcome, "`")]
                $variant,
            )*)*
        }

        impl Transition {
            /// Every transition of the three models, grouped by protocol.
            pub const ALL: &'static [Transition] = &[$($(Transition::$variant,)*)*];

            /// The model it belongs to.
            pub fn protocol(self) -> Protocol {
                match self {
                    $($(Self::$variant => Protocol::$protocol,)*)*
                }
            }

            /// The rule (the step the model takes): `guard.acquire`.
            pub fn rule(self) -> &'static str {
                match self {
                    $($(Self::$variant => $rule,)*)*
                }
            }

            /// The outcome: `refused:draining`.
            pub fn outcome(self) -> &'static str {
                match self {
                    $($(Self::$variant => $outcome,)*)*
                }
            }
        }
    };
}

transitions! {
    Lifecycle {
        GuardGranted => "guard.acquire" / "granted",
        GuardGrantedWhileRequested => "guard.acquire" / "granted:finalize-requested",
        GuardRefusedDraining => "guard.acquire" / "refused:draining",
        GuardRefusedFinalizing => "guard.acquire" / "refused:finalizing",
        GuardRefusedFinalized => "guard.acquire" / "refused:finalized",
        GuardReleased => "guard.release" / "ok",
        GuardReleasedLastForFinalizer => "guard.release" / "last:finalizer-waiting",
        FinalizeRequested => "finalize.request" / "ok",
        FinalizeRefusedAttached => "finalize.request" / "refused:attached",
        FinalizeRefusedHoldsGuard => "finalize.request" / "refused:holds-guard",
        FinalizeRefusedAlready => "finalize.request" / "refused:already",
        FinalizeThreadsWaited => "finalize.threads" / "waited",
        FinalizeThreadsTimedOut => "finalize.threads" / "timed-out",
        FinalizeAtExitRan => "finalize.atexit" / "ran",
        FinalizeAtExitPanicked => "finalize.atexit" / "panicked",
        FinalizeDrains => "finalize.drain" / "ok",
        FinalizeWaits => "finalize.wait" / "blocked",
        FinalizeWaitTimedOut => "finalize.wait" / "timed-out",
        FinalizeBegan => "finalize.begin" / "ok",
        FinalizeSubinterpreters => "finalize.subinterpreters" / "all",
        FinalizeSubinterpretersReported => "finalize.subinterpreters" / "some-reported",
        FinalizeTornDown => "finalize.teardown" / "ok",
        FinalizeDone => "finalize.done" / "subinterpreter",
        FinalizeDoneMain => "finalize.done" / "main:runtime",
        InterpCreatedOwnGil => "interp.create" / "own-gil",
        InterpCreatedSharedGil => "interp.create" / "shared-gil",
        InterpListed => "interp.list" / "ok",
        RunStarted => "interp.run" / "started",
        RunRefusedRunning => "interp.run" / "refused:running",
        RunRefusedDestroying => "interp.run" / "refused:destroying",
        RunFinished => "interp.run" / "finished",
        RunFailed => "interp.run" / "failed",
        DestroyRefusedRunning => "interp.destroy" / "refused:running",
        DestroyOk => "interp.destroy" / "ok",
        DestroyFailed => "interp.destroy" / "failed",
        ThreadSpawnedNonDaemon => "thread.spawn" / "non-daemon",
        ThreadSpawnedDaemon => "thread.spawn" / "daemon",
        ThreadSpawnRefused => "thread.spawn" / "refused:finalizing",
        ThreadStarted => "thread.start" / "ok",
        ThreadExitedNonDaemon => "thread.exit" / "non-daemon",
        ThreadExitedDaemon => "thread.exit" / "daemon",
        AttachRefused => "thread.attach" / "refused",
        GilBlocked => "gil.acquire" / "blocked",
        GilAcquired => "gil.acquire" / "ok",
        GilAcquiredRestoring => "gil.acquire" / "ok:restoring-previous",
        GilReleased => "gil.release" / "ok",
        EnsureReuse => "threadstate.ensure" / "reuse",
        EnsureReattach => "threadstate.ensure" / "reattach",
        EnsureCreate => "threadstate.ensure" / "create",
        ReleaseKept => "threadstate.release" / "kept",
        ReleaseDeleted => "threadstate.release" / "deleted",
        ReleaseRestoring => "threadstate.release" / "restores-previous",
        AllowThreadsDetach => "threadstate.detach" / "allow-threads",
        AllowThreadsAttach => "threadstate.attach" / "allow-threads-ended",
    }
    Channel {
        ChannelCreated => "channel.create" / "channel",
        QueueCreated => "channel.create" / "queue",
        Sent => "channel.send" / "ok",
        SendBlocked => "channel.send" / "blocked",
        SendRefusedClosed => "channel.send" / "refused:closed",
        SendRefusedClosing => "channel.send" / "refused:closing",
        SendRefusedReleased => "channel.send" / "refused:released",
        SendRefusedFull => "channel.send" / "refused:full",
        PutBlocked => "queue.put" / "blocked:full",
        SendDelivered => "channel.send" / "delivered",
        SendReturned => "channel.send" / "returned:closed",
        SendWithdrawn => "channel.send" / "withdrawn",
        ReceivedItem => "channel.recv" / "item",
        ReceivedUnbound => "channel.recv" / "unbound-marker",
        ReceivedDestroyed => "channel.recv" / "error-marker",
        RecvEmpty => "channel.recv" / "empty",
        RecvBlocked => "channel.recv" / "blocked",
        RecvTimedOut => "channel.recv" / "timed-out",
        RecvClosed => "channel.recv" / "refused:closed",
        RecvReleased => "channel.recv" / "refused:released",
        CloseEmpty => "channel.close" / "closed:empty",
        CloseForced => "channel.close" / "closed:forced",
        CloseForcedWokeSenders => "channel.close" / "closed:forced-woke-senders",
        CloseClosing => "channel.close" / "closing",
        CloseRefusedClosed => "channel.close" / "refused:closed",
        CloseRefusedClosing => "channel.close" / "refused:closing",
        CloseRefusedNotEmpty => "channel.close" / "refused:not-empty",
        CloseDrained => "channel.close" / "closed:drained",
        ReleasedEnd => "channel.release" / "ok",
        ReleasedEndClosed => "channel.release" / "ok:closed",
        ReleasedBoth => "channel.release" / "both",
        ReleasedBothClosed => "channel.release" / "both:closed",
        ReleaseRefusedClosed => "channel.release" / "refused:closed",
        ReleaseRefusedAgain => "channel.release" / "refused:again",
        UnboundReplaced => "channel.unbound" / "replaced",
        UnboundErrored => "channel.unbound" / "errored",
        UnboundRemoved => "channel.unbound" / "removed",
        UnboundOthersKept => "channel.unbound" / "others-kept",
        UnboundClosed => "channel.unbound" / "closed",
        UnboundNoItems => "channel.unbound" / "records-only",
    }
    Xi {
        Alloc => "heap.alloc" / "ok",
        Incref => "refcount.incref" / "ok",
        Decref => "refcount.decref" / "ok",
        DecrefFreed => "refcount.decref" / "freed",
        RunTake => "pending.run" / "take",
        CallDecref => "pending.call" / "ok",
        CallDecrefFreed => "pending.call" / "freed",
        CallFailed => "pending.call" / "failed:freed",
        Share => "xi.share" / "reference",
        ShareValue => "xi.share" / "value",
        NewObject => "xi.new_object" / "ok",
        ReleaseDirect => "xi.release" / "direct",
        ReleaseOwnerGone => "xi.release" / "refused:owner-gone",
        ReleaseQueued => "xi.release" / "queued",
        ReleaseFull => "xi.release" / "refused:ring-full",
        ReleaseSwitching => "xi.release" / "switching",
        ViewOpen => "xiview.open" / "ok",
        ViewRefused => "xiview.open" / "refused",
        ViewClosing => "xiview.close" / "closing",
        ViewClosed => "xiview.close" / "ok",
        ViewCloseFreed => "xiview.close" / "failed:freed",
        ViewCloseRingFull => "xiview.close" / "failed:ring-full",
        Push => "pending.push" / "ok",
        PushFull => "pending.push" / "full",
        RunDone => "pending.run" / "ran",
        RingClosed => "pending.close" / "ok",
        Teardown => "heap.teardown" / "clean",
        TeardownLeaked => "heap.teardown" / "leaked",
    }
}

impl Transition {
    /// Its place in [`Transition::ALL`] (the bit of a [`TransitionSet`]).
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Transition {
    /// `guard.acquire/refused:draining` (the protocol is implied by the rule).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.rule(), self.outcome())
    }
}

impl FromStr for Transition {
    type Err = String;

    /// The transition its [`Display`](fmt::Display) names.
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.iter().copied().find(|t| t.to_string() == s).ok_or_else(|| format!("no model transition `{s}`"))
    }
}

/// A set of transitions, one bit each (cheap to copy with a model).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TransitionSet([u64; WORDS]);

const WORDS: usize = 4;

impl TransitionSet {
    /// Adds `t`.
    pub fn insert(&mut self, t: Transition) {
        self.0[t.index() / 64] |= 1 << (t.index() % 64);
    }

    /// Whether `t` is in the set.
    pub fn contains(&self, t: Transition) -> bool {
        self.0[t.index() / 64] & (1 << (t.index() % 64)) != 0
    }

    /// Adds every transition of `other`.
    pub fn union_with(&mut self, other: &TransitionSet) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
    }

    /// The transitions, in [`Transition::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = Transition> + '_ {
        Transition::ALL.iter().copied().filter(|t| self.contains(*t))
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.0 == [0; WORDS]
    }
}

impl FromIterator<Transition> for TransitionSet {
    fn from_iter<I: IntoIterator<Item = Transition>>(iter: I) -> Self {
        let mut set = Self::default();
        for t in iter {
            set.insert(t);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The list is the enum: each variant once, at its own index, under a
    /// name of its own that reads back; and the set has a bit for each.
    #[test]
    fn every_transition_is_listed_once_under_its_own_name() {
        assert!(Transition::ALL.len() <= WORDS * 64, "TransitionSet needs more words");
        let mut names = BTreeSet::new();
        for (i, t) in Transition::ALL.iter().enumerate() {
            assert_eq!(t.index(), i, "{t} out of place");
            assert!(names.insert(t.to_string()), "{t} named twice");
            assert_eq!(t.to_string().parse::<Transition>(), Ok(*t));
        }
        let all: TransitionSet = Transition::ALL.iter().copied().collect();
        assert_eq!(all.len(), Transition::ALL.len());
        assert_eq!(all.iter().collect::<Vec<_>>(), Transition::ALL);
        assert!("guard.acquire/nothing".parse::<Transition>().is_err());
    }

    /// Grouped by protocol, in [`Protocol::ALL`]'s order, every protocol
    /// with rules.
    #[test]
    fn transitions_are_grouped_by_protocol() {
        let protocols: Vec<Protocol> = Transition::ALL.iter().map(|t| t.protocol()).collect();
        assert!(protocols.is_sorted());
        for p in Protocol::ALL {
            assert!(protocols.contains(&p), "{p} has no transition");
        }
    }
}
