//! A non-poisoning `Mutex` and a `Condvar` with parking_lot's shape, over
//! whichever backend the build selected.
use super::backend::lock as raw;
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
}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    pub fn new(value: T) -> Self {
        Self { raw: raw::RawMutex::new(value) }
    }

    /// Blocks until the lock is held.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        MutexGuard { raw: Some(raw::lock(&self.raw)) }
    }

    /// Takes the lock if it is free.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        raw::try_lock(&self.raw).map(|g| MutexGuard { raw: Some(g) })
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
