//! A bounded spin, on every backend: what a waiter does for a short while
//! before it pays for parking (and, for a channel, for releasing its GIL).
//!
//! [`Spin::round`] waits one round and says whether the budget allows
//! another look. In production a round busy-waits (`spin_loop` hints,
//! doubling each round: 2, 4, … 64, a few microseconds in all). It never
//! yields its time slice: on a loaded machine a `yield_now` may hand the
//! core to other processes for whole scheduler slices (milliseconds), which
//! made a rendezvous hundreds of times slower when it was tried. Under
//! loom and shuttle a round *is* a yield to the checker, and the budget is
//! one round: the same loop, whose every look is a point where the checker
//! may run anyone else, with no extra branching for it to explore beyond
//! that look.
//!
//! A spin only decides *when to look again*; what it looks at is a hint
//! (see `channel::core`'s `changes`), and the decision is always taken
//! again where it is authoritative (under the lock). Running out of budget
//! is never an error: the caller falls through to its blocking path.
use super::thread;

/// All rounds of one spin: in production each busy-waits 2, 4, … 64
/// `spin_loop` hints; under a model checker one round, a yield.
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

    /// Waits one round; `false` (without waiting) once the budget is spent.
    #[inline]
    pub fn round(&mut self) -> bool {
        if self.round >= ROUNDS {
            return false;
        }
        self.round += 1;
        if super::MODEL {
            thread::yield_now();
        } else {
            for _ in 0..(1_u32 << self.round) {
                std::hint::spin_loop();
            }
        }
        true
    }
}
