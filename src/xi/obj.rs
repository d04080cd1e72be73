//! A handle to an object in its owner's heap: a plain value, kept apart
//! from the heap (`heap.rs`) so that the events, which record it, sit below
//! the code that counts references.
use crate::interp::InterpreterId;
use std::fmt;

/// A handle to an object in its owner's heap: slot, generation, owner. Like
/// a raw `PyObject *`, it is `Copy`, and counting references is explicit.
///
/// The owner is named by its id, unique within one [`Runtime`](crate::Runtime):
/// a handle used with another runtime's interpreter of the same id names a
/// slot of the wrong heap (a typed error or the wrong object; never a race,
/// since the GIL check compares cores).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Obj {
    pub(super) owner: InterpreterId,
    pub(super) index: u32,
    pub(super) generation: u32,
}

impl Obj {
    /// The interpreter whose heap holds the object.
    pub fn owner(&self) -> InterpreterId {
        self.owner
    }

    /// The heap slot.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The slot's generation when the object was allocated in it.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// A handle from its parts, for hand-made traces in a checker's tests;
    /// it refers to nothing in any heap.
    #[doc(hidden)]
    pub fn from_parts(owner: u64, index: u32, generation: u32) -> Self {
        Self { owner: InterpreterId(owner), index, generation }
    }
}

impl fmt::Display for Obj {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.generation == 0 {
            write!(f, "obj#{}", self.index)
        } else {
            write!(f, "obj#{}.{}", self.index, self.generation)
        }
    }
}

impl fmt::Debug for Obj {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}@I{}", self.owner.0)
    }
}
