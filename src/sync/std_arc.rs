//! Production `Arc`: a newtype over std's with the API loom's `Arc` shares,
//! so code written against the facade compiles on every backend.
use std::fmt;
use std::ops::Deref;

/// A production `Arc`.
#[repr(transparent)]
pub struct Arc<T: ?Sized>(std::sync::Arc<T>);

impl<T> Arc<T> {
    /// A new `Arc` holding `value`.
    #[inline]
    pub fn new(value: T) -> Self {
        Self(std::sync::Arc::new(value))
    }

    /// The value, if this is the only strong reference.
    pub fn try_unwrap(this: Self) -> Result<T, Self> {
        std::sync::Arc::try_unwrap(this.0).map_err(Self)
    }
}

impl<T: ?Sized> Arc<T> {
    /// Whether both point to the same allocation.
    #[inline]
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        std::sync::Arc::ptr_eq(&a.0, &b.0)
    }

    /// How many strong references there are.
    pub fn strong_count(this: &Self) -> usize {
        std::sync::Arc::strong_count(&this.0)
    }

    /// The pointer to the value, consuming this reference without
    /// releasing it (loom's `Arc` has the same): for a one-word owner,
    /// which gives it back with [`Arc::from_raw`].
    pub fn into_raw(this: Self) -> *const T {
        std::sync::Arc::into_raw(this.0)
    }

    /// Takes back a reference given up by [`Arc::into_raw`].
    ///
    /// # Safety
    ///
    /// `ptr` came from `Arc::into_raw` and is taken back once.
    #[allow(unsafe_code)]
    pub unsafe fn from_raw(ptr: *const T) -> Self {
        // SAFETY: the caller's contract is std's.
        Self(unsafe { std::sync::Arc::from_raw(ptr) })
    }

    /// A mutable reference, if this is the only reference.
    pub fn get_mut(this: &mut Self) -> Option<&mut T> {
        std::sync::Arc::get_mut(&mut this.0)
    }
}

impl<T: ?Sized> Clone for Arc<T> {
    #[inline]
    fn clone(&self) -> Self {
        Self(std::sync::Arc::clone(&self.0))
    }
}

impl<T: ?Sized> Deref for Arc<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Arc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl<T: Default> Default for Arc<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> From<T> for Arc<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}
