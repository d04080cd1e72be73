//! Production atomics: `#[repr(transparent)]` newtypes over std's, with the
//! methods the crate uses. They exist so that the rest of the crate names
//! only the facade (clippy's `disallowed-types` sees through a re-export).
use std::sync::atomic as std_atomic;
pub use std_atomic::Ordering;

/// An atomic fence.
#[inline]
pub fn fence(order: Ordering) {
    std_atomic::fence(order);
}

macro_rules! atomic_int {
    ($name:ident, $int:ty) => {
        #[doc = concat!("A production `", stringify!($name), "`.")]
        #[derive(Debug, Default)]
        #[repr(transparent)]
        pub struct $name(std_atomic::$name);

        impl $name {
            /// A new atomic holding `v`.
            pub const fn new(v: $int) -> Self {
                Self(std_atomic::$name::new(v))
            }
            /// Loads the value.
            #[inline]
            pub fn load(&self, order: Ordering) -> $int {
                self.0.load(order)
            }
            /// Stores `v`.
            #[inline]
            pub fn store(&self, v: $int, order: Ordering) {
                self.0.store(v, order)
            }
            /// Stores `v`, returning the previous value.
            #[inline]
            pub fn swap(&self, v: $int, order: Ordering) -> $int {
                self.0.swap(v, order)
            }
            /// Stores `new` if the value is `current`.
            #[inline]
            pub fn compare_exchange(
                &self,
                current: $int,
                new: $int,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$int, $int> {
                self.0.compare_exchange(current, new, success, failure)
            }
            /// Stores `new` if the value is `current`; may fail spuriously.
            #[inline]
            pub fn compare_exchange_weak(
                &self,
                current: $int,
                new: $int,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$int, $int> {
                self.0.compare_exchange_weak(current, new, success, failure)
            }
            /// Adds `v`, returning the previous value.
            #[inline]
            pub fn fetch_add(&self, v: $int, order: Ordering) -> $int {
                self.0.fetch_add(v, order)
            }
            /// Subtracts `v`, returning the previous value.
            #[inline]
            pub fn fetch_sub(&self, v: $int, order: Ordering) -> $int {
                self.0.fetch_sub(v, order)
            }
            /// Bitwise-ors `v`, returning the previous value.
            #[inline]
            pub fn fetch_or(&self, v: $int, order: Ordering) -> $int {
                self.0.fetch_or(v, order)
            }
            /// Bitwise-ands `v`, returning the previous value.
            #[inline]
            pub fn fetch_and(&self, v: $int, order: Ordering) -> $int {
                self.0.fetch_and(v, order)
            }
            /// Consumes the atomic.
            pub fn into_inner(self) -> $int {
                self.0.into_inner()
            }
        }
    };
}

atomic_int!(AtomicUsize, usize);
atomic_int!(AtomicU64, u64);

/// A production `AtomicBool`.
#[derive(Debug, Default)]
#[repr(transparent)]
pub struct AtomicBool(std_atomic::AtomicBool);

impl AtomicBool {
    /// A new atomic holding `v`.
    pub const fn new(v: bool) -> Self {
        Self(std_atomic::AtomicBool::new(v))
    }
    /// Loads the value.
    #[inline]
    pub fn load(&self, order: Ordering) -> bool {
        self.0.load(order)
    }
    /// Stores `v`.
    #[inline]
    pub fn store(&self, v: bool, order: Ordering) {
        self.0.store(v, order)
    }
    /// Stores `v`, returning the previous value.
    #[inline]
    pub fn swap(&self, v: bool, order: Ordering) -> bool {
        self.0.swap(v, order)
    }
    /// Stores `new` if the value is `current`.
    #[inline]
    pub fn compare_exchange(
        &self,
        current: bool,
        new: bool,
        success: Ordering,
        failure: Ordering,
    ) -> Result<bool, bool> {
        self.0.compare_exchange(current, new, success, failure)
    }
    /// Consumes the atomic.
    pub fn into_inner(self) -> bool {
        self.0.into_inner()
    }
}
