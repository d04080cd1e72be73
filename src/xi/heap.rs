//! Object heaps: each interpreter's objects, with plain (non-atomic)
//! reference counts that only its GIL protects.
//!
//! This is the "protected by the GIL" half of the refcount hand-off: CPython's
//! `Py_INCREF` is an ordinary post-increment, correct only because every
//! thread that touches an object's `ob_refcnt` holds the GIL of the
//! interpreter that owns it. With one GIL per interpreter (PEP 684), a
//! refcount touched under *another* interpreter's GIL is a data race: the
//! use-after-free and leak interleavings of `models/xi/naive.rs`.
//!
//! Here the whole heap (slots, refcounts, free list) is one table in a facade
//! [`UnsafeCell`]: under loom, whose cell checks every access for races, an
//! access not ordered by the owner's GIL is reported as a data race. The rule
//! is enforced three ways:
//!
//! | layer | what | where |
//! |---|---|---|
//! | types | every operation needs an [`Attached`] proof (not `Send`, cannot outlive its attachment) | `impl Attached` below |
//! | run time | the proof must be current and its interpreter the owner: [`XiError::NotAttached`], [`XiError::WrongInterpreter`] | `Heap::checked` |
//! | models | internal paths (pending calls, direct release, view close) trust their caller; under shuttle they assert XI-2, under loom the race detector checks them | `Heap::with_table` |
//!
//! # The state
//!
//! | field | meaning | touched |
//! |---|---|---|
//! | `slots[i].generation` | bumped when slot `i` is freed; a handle with an older one is stale | under the owner's GIL |
//! | `slots[i].refcnt` | strong references to the object; 0 = free slot | under the owner's GIL |
//! | `slots[i].value` | bytes (a shared buffer) or an int; `None` when free | under the owner's GIL |
//! | `free` | free slot indexes, reused LIFO | under the owner's GIL |
//! | `live`, `allocated`, `freed` | counts (`live = allocated - freed`) | under the owner's GIL |
//! | `torn_down` | the owner finalized: every access is use-after-free | by the finalizer, under the GIL |
//!
//! | transition | by | effect |
//! |---|---|---|
//! | alloc | [`Attached::new_bytes`], [`Attached::new_int`], [`HeapSession::new_bytes`] | a free slot (or a new one), `refcnt = 1` |
//! | incref | [`Attached::incref`], [`HeapSession::incref`], sharing ([`Attached::share`]) | `refcnt + 1` |
//! | decref | [`Attached::decref`], [`HeapSession::decref`], a pending call, a direct release, a view's close | `refcnt - 1`; at 0 the value is dropped, the generation bumped, the slot freed |
//! | teardown | finalization step 5 (`xi::teardown`) | the pending-call ring is drained first; XI-4 is asserted (`open_views == 0`); every value dropped; objects still referenced are counted in `XiStats::leaked_at_teardown` (a leak report, not silence) |
//!
//! # Handles
//!
//! An [`Obj`] is `Copy`: a slot index, its generation and the owner's id,
//! like a raw `PyObject *`. It is `Send` because it is only a name: nothing
//! can be done with it without the owner's GIL. Reference counting is
//! explicit, as in CPython's C API; a handle used after its object was freed
//! is detected in every backend by the generation ([`XiError::Freed`]), and
//! under loom and shuttle it is the invariant violation XI-1 (a panic), so a
//! model that frees too early fails.
//!
//! # Heap sessions
//!
//! Each checked operation asks whether the calling thread is attached to
//! the owner: one compare against a thread-local that caches the yes
//! (`access`'s *The cached answer*), the thread-state record read only on a
//! miss. [`Attached::with_heap`] checks once and hands out a
//! [`HeapSession`] holding `&mut` to the table: inc/dec inside it are plain
//! arithmetic, which is what CPython's refcounting costs. While it is open
//! the thread may not release the GIL: detaching panics (XI-2), like a
//! `RefCell` borrowed twice, and the checked operations and every internal
//! path refuse with [`XiError::HeapBusy`], so `&mut` is never aliased.
//!
//! # Races considered
//!
//! - *Refcount under the wrong GIL.* Refused at run time by the checks;
//!   the protocol (XiData release, pending calls, views) never does it, and
//!   the models show it: loom's race detector and shuttle's XI-2 assertion
//!   fail the mutation `xi-release-without-switching`.
//! - *A stale proof.* An [`Attached`] is `Copy` and may outlive an inner
//!   `ensure` that switched the thread to another interpreter: the check
//!   looks at the thread's attachment now, not at the proof.
//! - *Free vs a view reading the buffer.* A view holds a strong reference,
//!   so the object cannot be freed under it while the protocol holds; the
//!   buffer itself is a facade `Arc`, so even a user's extra `decref` cannot
//!   make a view read freed memory (memory safety never rests on refcounts
//!   being right, only XI-1/XI-3 do).
//! - *Teardown vs a late access.* Teardown runs after Finalizing began,
//!   under the GIL; a later access finds `torn_down` (XI-1 in models). No
//!   protocol path can get there: releases and views go through guards.
//!
//! # Orderings
//!
//! No atomics: the owner's GIL (a facade mutex) orders every access to the
//! table. Its unlock by one holder happens before its lock by the next, so
//! each access sees the previous holder's writes; that is the `// SAFETY:`
//! argument of the one `unsafe` dereference, and loom checks it.
//!
//! # `unsafe`
//!
//! The crate denies `unsafe_code`; this module has two local exceptions.
//! `unsafe impl Sync for Heap` shares the heap although its table is an
//! `UnsafeCell`: the table is reached only through `with_table_unchecked`,
//! whose callers hold the owner's GIL (checked by `Heap::checked` for the
//! API, by `Heap::with_table` for internal paths). The `&mut *table` in
//! `with_table_unchecked` is ordered after every earlier access by the GIL
//! mutex, and no other `&mut` is live because a heap session makes every
//! other door refuse and detaching panic. Every `xi::` scenario checks both
//! under loom, whose `UnsafeCell` reports two accesses not ordered by
//! happens-before; the mutation `xi-release-without-switching` is such an
//! access, and loom reports it.
use super::access;
use super::XiError;
use crate::interp::{Core, InterpreterId};
use crate::sync::{Arc, UnsafeCell};
use crate::thread_state;
use crate::trace::event::XiEvent;
use crate::trace_event;
use crate::Attached;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

pub use super::obj::Obj;

/// An immutable byte buffer, shared without copying by the object that owns
/// it and the views on it.
#[derive(Clone)]
pub struct Bytes(Arc<Vec<u8>>);

impl PartialEq for Bytes {
    fn eq(&self, other: &Self) -> bool {
        self[..] == other[..]
    }
}

impl Eq for Bytes {}

impl Bytes {
    fn new(data: Vec<u8>) -> Self {
        Self(Arc::new(data))
    }

    pub(crate) fn copy_of(other: &Self) -> Self {
        Self::new(other.0.to_vec())
    }

    /// Whether both share one buffer (a view on an object shares its
    /// owner's buffer).
    pub fn same_buffer(a: &Self, b: &Self) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b{:?}", String::from_utf8_lossy(&self.0))
    }
}

/// What an object holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A bytes object: its buffer can be shared with a view.
    Bytes(Bytes),
    /// An int: crosses by value, with no object reference (CPython's
    /// int/float/bool/None cross-interpreter data).
    Int(i64),
}

struct Slot {
    generation: u32,
    refcnt: usize,
    value: Option<Value>,
}

/// The heap's state, touched only under the owner's GIL.
struct Table {
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
    allocated: u64,
    freed: u64,
    torn_down: bool,
}

/// What a heap looks like, for tests and reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapStats {
    /// Objects alive now.
    pub live: usize,
    /// Objects ever allocated.
    pub allocated: u64,
    /// Objects freed (their last reference went).
    pub freed: u64,
    /// The heap was torn down (its interpreter finalized).
    pub torn_down: bool,
}

/// What teardown found still referenced.
pub(crate) struct Leaks {
    /// Objects live after the teardown (read from the emptied table).
    pub(crate) live: usize,
    pub(crate) objects: usize,
    pub(crate) references: usize,
    pub(crate) allocated: u64,
    pub(crate) freed: u64,
}

/// An interpreter's object heap.
pub(crate) struct Heap {
    owner: InterpreterId,
    table: UnsafeCell<Table>,
}

// SAFETY: the table (the only non-`Sync` part) is reached only through
// `Heap::with_table_unchecked`, whose callers hold the owner's GIL (checked
// by `checked` for the public API and by `with_table` for internal paths), so
// two threads never access it without the GIL ordering them. loom's
// `UnsafeCell` checks exactly this in every xi scenario.
#[allow(unsafe_code)]
unsafe impl Sync for Heap {}

/// The caller holds the owner's GIL (internal: constructed where the
/// protocol puts the thread in the owner, and checked in models).
#[derive(Clone, Copy)]
pub(crate) struct GilHeld<'a> {
    core: &'a Core,
}

impl<'a> GilHeld<'a> {
    /// The calling thread is attached to `core` by the protocol's
    /// construction (a pending call, a direct release, a view's close,
    /// teardown). `Heap::with_table` checks it in models.
    pub(crate) fn checked(core: &'a Core) -> Self {
        Self { core }
    }
}

impl Heap {
    pub(crate) fn new(owner: InterpreterId) -> Self {
        Self {
            owner,
            table: UnsafeCell::new(Table {
                slots: Vec::new(),
                free: Vec::new(),
                live: 0,
                allocated: 0,
                freed: 0,
                torn_down: false,
            }),
        }
    }

    /// The one `unsafe` door to the table. `f` must not call back into this
    /// heap (it is always crate code, or a user closure inside a pinned
    /// session whose other doors refuse).
    #[inline]
    fn with_table_unchecked<R>(&self, f: impl FnOnce(&mut Table) -> R) -> R {
        self.table.with_mut(|table| {
            // SAFETY: every caller holds the owner's GIL (see `impl Sync`):
            // the GIL mutex's unlock/lock orders this access after every
            // earlier one, and no other `&mut` to the table is live, because
            // a heap session (the only long-lived one) makes every other door
            // refuse (`HeapAccess::Pinned`) and makes detaching panic.
            #[allow(unsafe_code)]
            let table = unsafe { &mut *table };
            f(table)
        })
    }

    /// The door for internal paths, which hold the owner's GIL by the
    /// protocol's construction. Refuses inside a heap session (no aliasing
    /// `&mut`). A caller not attached to the owner is a protocol bug (XI-2):
    /// shuttle and production panic; under loom the access goes ahead and
    /// loom's race detector reports it, which is the check the `UnsafeCell`
    /// is there for.
    fn with_table<R>(&self, gil: GilHeld<'_>, f: impl FnOnce(&mut Table) -> R) -> Result<R, XiError> {
        debug_assert!(std::ptr::eq(&gil.core.subsystems.xi.heap, self), "a GIL proof for another heap");
        match heap_access(self) {
            HeapAccess::Attached => {}
            HeapAccess::Pinned => return Err(XiError::HeapBusy(self.owner)),
            HeapAccess::Elsewhere => {
                if !cfg!(loom) {
                    panic!(
                        "invariant XI-2 violated: the heap of {} touched by a thread not holding its GIL (attached to {})",
                        self.owner,
                        thread_state::current_id().map_or_else(|| "nothing".to_owned(), |id| id.to_string())
                    );
                }
            }
        }
        Ok(self.with_table_unchecked(f))
    }

    /// The door for the public API: `py` must be current and attached to
    /// the owner.
    #[inline]
    fn checked<R>(&self, py: &Attached<'_>, f: impl FnOnce(&mut Table) -> R) -> Result<R, XiError> {
        match heap_access(self) {
            HeapAccess::Attached => Ok(self.with_table_unchecked(f)),
            HeapAccess::Pinned => Err(XiError::HeapBusy(self.owner)),
            HeapAccess::Elsewhere => Err(match py.check() {
                Err(_) => XiError::NotAttached(py.interpreter_id()),
                Ok(()) => XiError::WrongInterpreter { owner: self.owner, attached: py.interpreter_id() },
            }),
        }
    }

    /// Decrefs, freeing at zero. Returns the count left.
    pub(crate) fn decref(&self, gil: GilHeld<'_>, obj: Obj) -> Result<usize, XiError> {
        let (refcnt, freed) = self.with_table(gil, |t| t.decref(obj))??;
        trace_decref(obj, refcnt, &freed);
        drop(freed);
        Ok(refcnt)
    }

    /// Frees every object; returns what was still referenced.
    pub(crate) fn teardown(&self, gil: GilHeld<'_>) -> Leaks {
        let (leaks, values) = self
            .with_table(gil, |t| {
                let mut values = Vec::new();
                let mut leaks = Leaks { live: 0, objects: 0, references: 0, allocated: t.allocated, freed: t.freed };
                for slot in &mut t.slots {
                    if let Some(v) = slot.value.take() {
                        leaks.objects += 1;
                        leaks.references += slot.refcnt;
                        slot.refcnt = 0;
                        values.push(v);
                    }
                }
                t.live = 0;
                t.torn_down = true;
                leaks.live = t.live;
                (leaks, values)
            })
            .expect("the finalizer holds no heap session");
        drop(values);
        leaks
    }

    fn stats_of(t: &Table) -> HeapStats {
        HeapStats { live: t.live, allocated: t.allocated, freed: t.freed, torn_down: t.torn_down }
    }
}

impl Table {
    fn stale(&self, obj: Obj) -> XiError {
        let error = if self.torn_down { XiError::HeapGone(obj.owner) } else { XiError::Freed(obj) };
        if crate::sync::MODEL {
            panic!("invariant XI-1 violated: use after free: {obj} of {} ({error})", obj.owner);
        }
        error
    }

    #[inline]
    fn slot(&mut self, obj: Obj) -> Result<&mut Slot, XiError> {
        // A live slot has a nonzero count (0 = free, see the state table):
        // the count is the field the operation touches anyway, where the
        // value's tag would be one more load.
        let live = match self.slots.get(obj.index as usize) {
            Some(s) => s.generation == obj.generation && s.refcnt != 0 && !self.torn_down,
            None => false,
        };
        if !live {
            return Err(self.stale(obj));
        }
        Ok(&mut self.slots[obj.index as usize])
    }

    /// Returns the new object and its refcount, read from its slot.
    fn alloc(&mut self, owner: InterpreterId, value: Value) -> Result<(Obj, usize), XiError> {
        if self.torn_down {
            return Err(XiError::HeapGone(owner));
        }
        let index = match self.free.pop() {
            Some(i) => i,
            None => {
                let i = u32::try_from(self.slots.len()).expect("fewer than 2^32 object slots");
                self.slots.push(Slot { generation: 0, refcnt: 0, value: None });
                i
            }
        };
        let slot = &mut self.slots[index as usize];
        slot.refcnt = 1;
        slot.value = Some(value);
        let refcnt = slot.refcnt;
        let obj = Obj { owner, index, generation: slot.generation };
        self.live += 1;
        self.allocated += 1;
        Ok((obj, refcnt))
    }

    #[inline]
    fn incref(&mut self, obj: Obj) -> Result<usize, XiError> {
        let slot = self.slot(obj)?;
        slot.refcnt = slot.refcnt.checked_add(1).ok_or(XiError::Overflow(obj))?;
        Ok(slot.refcnt)
    }

    /// Returns the count left (read from the slot) and, once the slot
    /// released the object, its value to drop (outside the table's borrow).
    #[inline]
    fn decref(&mut self, obj: Obj) -> Result<(usize, Option<Value>), XiError> {
        let slot = self.slot(obj)?;
        slot.refcnt -= 1;
        if slot.refcnt > 0 {
            return Ok((slot.refcnt, None));
        }
        let value = slot.value.take();
        slot.generation = slot.generation.wrapping_add(1);
        // A slot whose generation wrapped is retired: an old handle could
        // otherwise match it again.
        if slot.generation != 0 {
            self.free.push(obj.index);
        }
        self.live -= 1;
        self.freed += 1;
        Ok((0, value))
    }
}

/// Records a decref: the count left and whether the slot released the
/// object (its value taken: `freed` is that value).
fn trace_decref(obj: Obj, refcnt: usize, freed: &Option<Value>) {
    trace_event!(XiEvent::Decref { obj, refcnt, freed: freed.is_some() });
}

/// Refcount operations, for the thread attached to the owner.
impl<'a> Attached<'a> {
    #[inline]
    fn heap(&self) -> &'a Heap {
        &self.core().subsystems.xi.heap
    }

    /// The heap of the interpreter `obj` belongs to, if this proof is
    /// current and attached to it.
    #[inline]
    fn owner_heap(&self, obj: Obj) -> Result<&'a Heap, XiError> {
        if obj.owner != self.interpreter_id() {
            return Err(XiError::WrongInterpreter { owner: obj.owner, attached: self.interpreter_id() });
        }
        Ok(self.heap())
    }

    /// A new bytes object in the attached interpreter's heap, with one
    /// reference (the caller's).
    pub fn new_bytes(&self, data: impl Into<Vec<u8>>) -> Result<Obj, XiError> {
        self.new_object(Value::Bytes(Bytes::new(data.into()))).map(|(obj, _)| obj)
    }

    /// A new int object, with one reference.
    pub fn new_int(&self, value: i64) -> Result<Obj, XiError> {
        self.new_object(Value::Int(value)).map(|(obj, _)| obj)
    }

    pub(crate) fn new_object(&self, value: Value) -> Result<(Obj, usize), XiError> {
        let owner = self.interpreter_id();
        let (obj, refcnt) = self.heap().checked(self, |t| t.alloc(owner, value))??;
        trace_event!(XiEvent::Alloc { obj, refcnt });
        Ok((obj, refcnt))
    }

    /// `Py_INCREF`: one more reference. Returns the new count.
    #[inline]
    pub fn incref(&self, obj: Obj) -> Result<usize, XiError> {
        let refcnt = self.owner_heap(obj)?.checked(self, |t| t.incref(obj))??;
        trace_event!(XiEvent::Incref { obj, refcnt });
        Ok(refcnt)
    }

    /// `Py_DECREF`: one reference fewer; the object is freed when the count
    /// reaches zero. Returns the count left.
    #[inline]
    pub fn decref(&self, obj: Obj) -> Result<usize, XiError> {
        let (refcnt, freed) = self.owner_heap(obj)?.checked(self, |t| t.decref(obj))??;
        trace_decref(obj, refcnt, &freed);
        drop(freed);
        Ok(refcnt)
    }

    /// The object's reference count.
    pub fn refcnt(&self, obj: Obj) -> Result<usize, XiError> {
        self.owner_heap(obj)?.checked(self, |t| t.slot(obj).map(|s| s.refcnt))?
    }

    /// Whether `obj` is alive (a stale handle is `false`, never an error,
    /// in every backend: this is how a test asks).
    pub fn is_alive(&self, obj: Obj) -> Result<bool, XiError> {
        self.owner_heap(obj)?.checked(self, |t| {
            t.slots.get(obj.index as usize).is_some_and(|s| s.generation == obj.generation && s.value.is_some())
        })
    }

    /// The object's value (a bytes value shares the object's buffer).
    pub fn value(&self, obj: Obj) -> Result<Value, XiError> {
        self.owner_heap(obj)?.checked(self, |t| t.slot(obj).map(|s| s.value.clone().expect("live")))?
    }

    /// The attached interpreter's heap counts.
    pub fn heap_stats(&self) -> Result<HeapStats, XiError> {
        self.heap().checked(self, |t| Heap::stats_of(t))
    }

    /// Runs `f` with the attached interpreter's heap borrowed once: inside,
    /// refcount operations are plain arithmetic with no thread-local lookup.
    /// While the session is open the thread must not release the GIL
    /// (`allow_threads`, or an `ensure` that switches interpreters, panic
    /// with XI-2), and the other heap operations on this thread refuse with
    /// [`XiError::HeapBusy`].
    ///
    /// ```
    /// let runtime = xinterp::Runtime::new();
    /// let sub = runtime.create()?;
    /// let guard = sub.guard()?;
    /// guard.with_gil(|py| {
    ///     let obj = py.new_bytes(*b"spam")?;
    ///     py.with_heap(|heap| {
    ///         heap.incref(obj)?;
    ///         heap.decref(obj)
    ///     })??;
    ///     assert_eq!(py.decref(obj)?, 0);
    ///     Ok::<(), xinterp::xi::XiError>(())
    /// })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_heap<R>(&self, f: impl FnOnce(&mut HeapSession<'_>) -> R) -> Result<R, XiError> {
        let heap = self.heap();
        let owner = self.interpreter_id();
        match heap_access(heap) {
            HeapAccess::Attached => {}
            HeapAccess::Pinned => return Err(XiError::HeapBusy(owner)),
            HeapAccess::Elsewhere => return Err(XiError::NotAttached(owner)),
        }
        struct Unpin;
        impl Drop for Unpin {
            fn drop(&mut self) {
                access::set_heap_pinned(false);
            }
        }
        access::set_heap_pinned(true);
        let _unpin = Unpin;
        Ok(heap.with_table_unchecked(|table| f(&mut HeapSession { table, owner, _not_send: PhantomData })))
    }
}

/// The attached interpreter's heap, borrowed for a batch of operations
/// ([`Attached::with_heap`]). Not `Send`; the GIL stays held while it lives.
pub struct HeapSession<'s> {
    table: &'s mut Table,
    owner: InterpreterId,
    _not_send: PhantomData<*const ()>,
}

impl HeapSession<'_> {
    #[inline]
    fn own(&self, obj: Obj) -> Result<(), XiError> {
        if obj.owner == self.owner {
            Ok(())
        } else {
            Err(XiError::WrongInterpreter { owner: obj.owner, attached: self.owner })
        }
    }

    /// A new bytes object with one reference.
    pub fn new_bytes(&mut self, data: impl Into<Vec<u8>>) -> Result<Obj, XiError> {
        let (obj, refcnt) = self.table.alloc(self.owner, Value::Bytes(Bytes::new(data.into())))?;
        trace_event!(XiEvent::Alloc { obj, refcnt });
        Ok(obj)
    }

    /// `Py_INCREF`.
    #[inline]
    pub fn incref(&mut self, obj: Obj) -> Result<usize, XiError> {
        self.own(obj)?;
        let refcnt = self.table.incref(obj)?;
        trace_event!(XiEvent::Incref { obj, refcnt });
        Ok(refcnt)
    }

    /// `Py_DECREF`; frees at zero.
    #[inline]
    pub fn decref(&mut self, obj: Obj) -> Result<usize, XiError> {
        self.own(obj)?;
        let (refcnt, freed) = self.table.decref(obj)?;
        trace_decref(obj, refcnt, &freed);
        drop(freed);
        Ok(refcnt)
    }

    /// The object's reference count.
    pub fn refcnt(&mut self, obj: Obj) -> Result<usize, XiError> {
        self.own(obj)?;
        self.table.slot(obj).map(|s| s.refcnt)
    }

    /// The heap's counts.
    pub fn stats(&self) -> HeapStats {
        Heap::stats_of(self.table)
    }
}

impl fmt::Debug for HeapSession<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeapSession").field("owner", &self.owner).field("stats", &self.stats()).finish()
    }
}

/// What [`heap_access`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HeapAccess {
    /// Attached to the interpreter: its GIL is held by this thread.
    Attached,
    /// Attached to it, but a heap session is open (its `&mut` is live).
    Pinned,
    /// Not attached to it.
    Elsewhere,
}

/// Whether the calling thread may touch `heap` right now: attached to the
/// interpreter that owns it (whose GIL it then holds), and no heap session
/// open.
#[inline]
pub(crate) fn heap_access(heap: &Heap) -> HeapAccess {
    // The cached yes (`access`'s module docs); a miss asks the record.
    if access::may_touch(heap) {
        // Under the models (and in debug builds) the yes is checked against
        // the record, the fact it caches: a cache left stale (a detach or a
        // session that did not clear it) fails every scenario that reaches
        // it, under shuttle as under loom, before the heap is touched.
        if crate::sync::MODEL || cfg!(debug_assertions) {
            let recorded = recorded_access(heap);
            assert!(
                recorded == HeapAccess::Attached,
                "invariant XI-2 violated: the cached attachment lets this thread touch the heap of {}, its record says {recorded:?}",
                heap.owner
            );
        }
        return HeapAccess::Attached;
    }
    recorded_access(heap)
}

/// [`heap_access`] as the thread-state record answers it.
fn recorded_access(heap: &Heap) -> HeapAccess {
    thread_state::with_subsystems(|attached, slots| match attached {
        Some(c) if std::ptr::eq(&c.subsystems.xi.heap, heap) => {
            if slots.xi.heap_pinned {
                HeapAccess::Pinned
            } else {
                HeapAccess::Attached
            }
        }
        _ => HeapAccess::Elsewhere,
    })
}
