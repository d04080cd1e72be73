//! A non-poisoning `Mutex` and a `Condvar` with parking_lot's shape, over
//! whichever backend the build selected.
use super::backend::lock as raw;
use super::time::{Deadline, WaitKind};
use std::fmt;
use std::ops::{Deref, DerefMut};

/// A mutual-exclusion lock that does not poison: a panic while it is held
/// leaves the data as it was, and the next `lock` takes it.
pub struct Mutex<T> {
    raw: raw::RawMutex<T>,
}

/// The guard of a locked [`Mutex`].
pub struct MutexGuard<'a, T> {
    // `None` only for the instant `Condvar::wait` hands the guard to the
    // backend (loom and shuttle take it by value).
    raw: Option<raw::RawGuard<'a, T>>,
    /// The mutex, to re-take it after a polling wait let it go.
    mutex: &'a raw::RawMutex<T>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    pub fn new(value: T) -> Self {
        Self { raw: raw::RawMutex::new(value) }
    }

    /// Blocks until the lock is held.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        MutexGuard { raw: Some(raw::lock(&self.raw)), mutex: &self.raw }
    }

    /// Takes the lock if it is free.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        raw::try_lock(&self.raw).map(|g| MutexGuard { raw: Some(g), mutex: &self.raw })
    }

    /// Consumes the mutex and returns its data.
    pub fn into_inner(self) -> T {
        raw::into_inner(self.raw)
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mutex").finish_non_exhaustive()
    }
}

impl<T> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.raw.as_ref().expect("guard is only empty inside Condvar::wait")
    }
}

impl<T> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.raw.as_mut().expect("guard is only empty inside Condvar::wait")
    }
}

/// A condition variable used with [`Mutex`].
pub struct Condvar {
    raw: raw::RawCondvar,
}

impl Condvar {
    /// A new condition variable.
    pub fn new() -> Self {
        Self { raw: raw::RawCondvar::new() }
    }

    /// Releases the guard's lock, blocks until notified, and re-takes it.
    /// Wake-ups may be spurious: always wait in a loop that re-checks.
    pub fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
        let taken = guard.raw.take().expect("guard is only empty inside Condvar::wait");
        guard.raw = Some(raw::wait(&self.raw, taken));
    }

    /// Like [`wait`](Self::wait), but gives up once `deadline` has passed.
    /// Returns `true` if the deadline has passed (the caller re-checks its
    /// condition either way: wake-ups may be spurious, and a manual deadline
    /// is polled, so this may return early with `false`). See
    /// [`time`](super::time) for what a deadline means in a model.
    pub fn wait_until<T>(&self, guard: &mut MutexGuard<'_, T>, deadline: &Deadline) -> bool {
        if deadline.has_passed() {
            return true;
        }
        match deadline.wait_kind() {
            WaitKind::Forever => self.wait(guard),
            WaitKind::Until(at) => {
                let taken = guard.raw.take().expect("guard is only empty inside Condvar::wait");
                guard.raw = Some(raw::wait_until(&self.raw, taken, at));
            }
            WaitKind::Poll if super::MODEL => {
                // No clock and no way for `expire` to notify us: let the other
                // threads run (including the one that will expire the
                // deadline or notify), then look again.
                let taken = guard.raw.take().expect("guard is only empty inside Condvar::wait");
                drop(taken);
                super::thread::yield_now();
                guard.raw = Some(raw::lock(guard.mutex));
            }
            WaitKind::Poll => {
                let taken = guard.raw.take().expect("guard is only empty inside Condvar::wait");
                let at = std::time::Instant::now() + super::time::POLL;
                guard.raw = Some(raw::wait_until(&self.raw, taken, at));
            }
        }
        deadline.has_passed()
    }

    /// Wakes one waiter.
    pub fn notify_one(&self) {
        self.raw.notify_one();
    }

    /// Wakes every waiter.
    pub fn notify_all(&self) {
        self.raw.notify_all();
    }
}

impl Default for Condvar {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar").finish_non_exhaustive()
    }
}
