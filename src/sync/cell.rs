//! `UnsafeCell` with loom's `with`/`with_mut` shape. Under loom every access
//! is checked for data races (two accesses, one a write, not ordered by
//! happens-before); in production it is a plain `core::cell::UnsafeCell`.

#[cfg(loom)]
pub use loom::cell::UnsafeCell;

#[cfg(not(loom))]
mod plain {
    /// A plain `UnsafeCell` with the closure-based API loom checks.
    #[derive(Debug, Default)]
    pub struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        /// Wraps `value`.
        pub const fn new(value: T) -> Self {
            Self(core::cell::UnsafeCell::new(value))
        }

        /// Runs `f` with a shared raw pointer to the contents.
        pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Runs `f` with a mutable raw pointer to the contents.
        pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }

        /// Consumes the cell.
        pub fn into_inner(self) -> T {
            self.0.into_inner()
        }
    }
}

#[cfg(not(loom))]
pub use plain::UnsafeCell;
