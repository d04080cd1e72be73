//! A bounded spin, on every backend: what a waiter does for a short while
//! before it pays for parking (and, for a channel, for releasing its GIL).
//!
//! [`Spin::round`] waits one round and says whether the budget allows
//! another look. In production a round busy-waits (`spin_loop` hints,
//! doubling each round: 2, 4, … 64, a few microseconds in all). It never
//! yields its time slice: on a loaded machine a `yield_now` may hand the
//! core to other processes for whole scheduler slices (milliseconds), which
//! made a rendezvous hundreds of times slower when it was tried.
//!
//! A waiter whose interpreter turns spinning off
//! ([`Config::channel_spin`](crate::Config::channel_spin)) gets no budget
//! ([`Spin::when`]) and parks at once, on every backend.
//!
//! Under loom and shuttle the budget is one round, which waits for nothing:
//! control goes to the checker at the look that follows (an atomic RMW,
//! where both checkers may switch to any other thread), so the checker
//! tries the look both before and after every step of the others. An
//! explicit `yield_now` there would *narrow* loom's search: loom runs a
//! yielding thread again only once the others cannot move, so the
//! spinner always saw the change it waited for, and the parked path behind
//! the spin was never explored (`channels::rendezvous`' `receiver_waited`
//! witness was never reached when it was tried). The loop is bounded, so
//! neither checker needs the yield to end it.
//!
//! A spin only decides *when to look again*; what it looks at is a hint
//! (see `channel::core`'s `changes`), and the decision is always taken
//! again where it is authoritative (under the lock). Running out of budget
//! is never an error: the caller falls through to its blocking path.
/// All rounds of one spin: in production each busy-waits 2, 4, … 64
/// `spin_loop` hints; under a model checker one round, which waits for
/// nothing (the look after it is the checker's scheduling point).
const ROUNDS: u32 = if super::MODEL { 1 } else { 6 };

/// One bounded spin; see the module docs.
#[derive(Debug, Default)]
pub struct Spin {
    round: u32,
}

impl Spin {
    /// A spin with its whole budget left.
    pub const fn new() -> Self {
        Self { round: 0 }
    }

    /// A spin with its whole budget when `enabled`, else none: the first
    /// [`round`](Self::round) says `false` and the caller parks at once
    /// (an interpreter configured with
    /// [`Config::channel_spin`](crate::Config::channel_spin) off).
    pub const fn when(enabled: bool) -> Self {
        Self { round: if enabled { 0 } else { ROUNDS } }
    }

    /// Whether the budget is spent: the next [`round`](Self::round) would
    /// say `false`.
    pub const fn is_spent(&self) -> bool {
        self.round >= ROUNDS
    }

    /// Waits one round; `false` (without waiting) once the budget is spent.
    #[inline]
    pub fn round(&mut self) -> bool {
        if self.is_spent() {
            return false;
        }
        self.round += 1;
        if !super::MODEL {
            for _ in 0..(1_u32 << self.round) {
                std::hint::spin_loop();
            }
        }
        true
    }
}
