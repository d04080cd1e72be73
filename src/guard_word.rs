//! A guard's one word: the interpreter it guards and, when the interpreter
//! tracks guards, the guard's identity in its table of held guards.
//!
//! An untracked guard is only its core: a [`Guard`](crate::Guard) is the
//! borrowed `&Arc<Core>` it was taken from, an
//! [`OwnedGuard`](crate::OwnedGuard) the strong reference it owns (an
//! `Arc` turned into its pointer). Taking and releasing either costs the
//! lifecycle word's two RMWs and nothing else.
//!
//! A tracked guard (the interpreter's config has
//! [`track_guards`](crate::Config::track_guards) on, which never changes
//! after creation) is a **ticket**: a boxed `Arc<Core>` of its own, whose
//! address, unique while the guard is held, is the guard's key in
//! `guard_sites`, where its caller location is kept. So the location
//! costs the guard no second word, and a release finds its own row.
//!
//! | guard | untracked word | tracked word |
//! |---|---|---|
//! | `Guard<'a>` ([`BorrowedWord`]) | the `&'a Arc<Core>` it borrows | a ticket |
//! | `OwnedGuard` ([`OwnedWord`]) | `Arc::into_raw` of its strong reference | a ticket |
//!
//! A ticket's pointer has its low bit set (free: a `Core` and an
//! `Arc<Core>` are at least 8-aligned), so a word says by itself what it
//! holds and what its drop frees. One more word is a ticket: the
//! [`Guard`](crate::Guard) an [`OwnedGuard::guard`](crate::OwnedGuard::guard)
//! lends, since an owned word has no `Arc<Core>` in memory to borrow (that
//! convenience costs an allocation; taking a guard from a handle, a view
//! or an attachment does not).
//!
//! # `unsafe`
//!
//! The crate denies `unsafe_code`; this module is a local exception, as
//! the heap's table is (`xi::heap`): a word is a raw pointer, which is what
//! makes it one word whatever it holds. Each `unsafe` block says why it
//! holds; the invariant they share is that a word is built only by its
//! constructors (`untracked`, `ticket`, `OwnedWord::new`),
//! dropped once, and never copied (neither type is `Clone`). Every guard
//! test and scenario runs through these words, tracked ones in
//! `tests/api.rs` (the leak reports) and `tests/lifecycle_state_machine.rs`.
#![allow(unsafe_code)]
use crate::interp::Core;
use crate::sync::Arc;
use std::marker::PhantomData;
use std::mem::{align_of, ManuallyDrop};
use std::ptr::NonNull;

/// A tracked guard's own strong reference to its core, at an address no
/// other held guard has.
type Ticket = Box<Arc<Core>>;

/// A ticket for `core` and the key its address gives.
fn new_ticket(core: &Arc<Core>) -> NonNull<Arc<Core>> {
    NonNull::from(Box::leak(Ticket::new(Arc::clone(core))))
}

/// The low bit of a word that is a ticket.
const TICKET: usize = 1;

// The bit is free in every pointer a word holds.
const _: () = assert!(align_of::<Core>() > TICKET && align_of::<Arc<Core>>() > TICKET);

/// The ticket `ptr` is, if its low bit says so.
#[inline]
fn as_ticket<T>(ptr: NonNull<T>) -> Option<*mut Arc<Core>> {
    let ptr = ptr.as_ptr();
    (ptr.addr() & TICKET != 0).then(|| ptr.map_addr(|a| a & !TICKET).cast::<Arc<Core>>())
}

/// A ticket's pointer with the low bit set.
#[inline]
fn tagged<T>(ticket: NonNull<Arc<Core>>) -> NonNull<T> {
    let ptr = ticket.as_ptr().map_addr(|a| a | TICKET).cast::<T>();
    NonNull::new(ptr).expect("a tagged pointer is not null")
}

/// The word of a [`Guard<'a>`](crate::Guard): the `Arc<Core>` it borrows
/// for `'a`, or a ticket it owns, with the low bit set.
pub(crate) struct BorrowedWord<'a> {
    ptr: NonNull<Arc<Core>>,
    _borrows: PhantomData<&'a Arc<Core>>,
}

// SAFETY: the word is either a `&'a Arc<Core>` or a `Box<Arc<Core>>`, and
// both are `Send` and `Sync` when `Arc<Core>` is `Send + Sync` (the bound).
unsafe impl Send for BorrowedWord<'_> where Arc<Core>: Send + Sync {}
// SAFETY: as `Send`.
unsafe impl Sync for BorrowedWord<'_> where Arc<Core>: Send + Sync {}

impl<'a> BorrowedWord<'a> {
    /// `core` itself: the word of an untracked guard (the caller has
    /// looked at the config).
    #[inline]
    pub(crate) fn untracked(core: &'a Arc<Core>) -> Self {
        Self { ptr: NonNull::from(core), _borrows: PhantomData }
    }

    /// A ticket: the word of a guard on an interpreter that tracks guards,
    /// and, whatever the config, of a guard taken from an [`OwnedWord`],
    /// which has no `Arc<Core>` of its own to lend.
    pub(crate) fn ticket(core: &Arc<Core>) -> Self {
        Self { ptr: tagged(new_ticket(core)), _borrows: PhantomData }
    }

    /// The guarded core.
    #[inline]
    pub(crate) fn core(&self) -> &Arc<Core> {
        match as_ticket(self.ptr) {
            // SAFETY: this word's ticket, made by `ticket` and freed
            // only in `drop`.
            Some(ticket) => unsafe { &*ticket },
            // SAFETY: the `&'a Arc<Core>` this word borrows, alive for
            // `'a`, which outlives `self`.
            None => unsafe { self.ptr.as_ref() },
        }
    }

    /// The key of this guard in its interpreter's table of held guards
    /// (meaningful when the interpreter tracks guards: the ticket's
    /// address, unique while the guard is held).
    #[inline]
    pub(crate) fn key(&self) -> usize {
        self.ptr.as_ptr().addr()
    }

    /// The key, if this word is a ticket (only a ticket can have a row in
    /// the table: an untracked release need not look).
    #[inline]
    pub(crate) fn ticket_key(&self) -> Option<usize> {
        as_ticket(self.ptr).map(|_| self.key())
    }
}

impl Drop for BorrowedWord<'_> {
    #[inline]
    fn drop(&mut self) {
        if let Some(ticket) = as_ticket(self.ptr) {
            free_ticket(ticket);
        }
    }
}

/// Frees a word's ticket. Out of line, so that an untracked word's drop
/// (a test of the low bit) is all a guard's drop inlines.
#[cold]
#[inline(never)]
fn free_ticket(ticket: *mut Arc<Core>) {
    // SAFETY: a ticket made with `Box::leak` by `new_ticket`, passed here
    // only by the `drop` of the one word that holds it.
    drop(unsafe { Ticket::from_raw(ticket) });
}

/// The word of an [`OwnedGuard`](crate::OwnedGuard): a strong reference to
/// its core, as `Arc::into_raw` gives it (untracked), or a ticket with the
/// low bit set (tracked).
pub(crate) struct OwnedWord {
    ptr: NonNull<u8>,
}

// SAFETY: the word is an `Arc<Core>` or a `Box<Arc<Core>>`, both `Send`
// and `Sync` when `Arc<Core>` is `Send + Sync` (the bound).
unsafe impl Send for OwnedWord where Arc<Core>: Send + Sync {}
// SAFETY: as `Send`.
unsafe impl Sync for OwnedWord where Arc<Core>: Send + Sync {}

impl OwnedWord {
    /// A strong reference to `core`, in a ticket when its interpreter
    /// tracks guards.
    #[inline]
    pub(crate) fn new(core: &Arc<Core>) -> Self {
        let ptr = match core.guard_sites {
            None => Arc::into_raw(Arc::clone(core)).cast_mut().cast::<u8>(),
            Some(_) => return Self { ptr: tagged(new_ticket(core)) },
        };
        Self { ptr: NonNull::new(ptr).expect("an Arc's pointer is not null") }
    }

    /// The ticket, when this word is one.
    #[inline]
    fn ticket(&self) -> Option<*mut Arc<Core>> {
        as_ticket(self.ptr)
    }

    /// The guarded core.
    #[inline]
    pub(crate) fn core(&self) -> &Core {
        match self.ticket() {
            // SAFETY: a ticket made by `new`, freed only in `drop`.
            Some(ticket) => unsafe { &*ticket },
            // SAFETY: the strong reference `new` gave up with
            // `Arc::into_raw`, taken back only in `drop`: the core is alive.
            None => unsafe { &*self.ptr.as_ptr().cast::<Core>() },
        }
    }

    /// Another strong reference to the guarded core.
    pub(crate) fn core_arc(&self) -> Arc<Core> {
        match self.ticket() {
            // SAFETY: as in `core`.
            Some(ticket) => Arc::clone(unsafe { &*ticket }),
            None => {
                // SAFETY: as in `core`; the reference taken back is never
                // dropped (`ManuallyDrop`), so this word still owns it.
                let own = ManuallyDrop::new(unsafe { Arc::from_raw(self.ptr.as_ptr().cast::<Core>()) });
                Arc::clone(&own)
            }
        }
    }

    /// The key of this guard in its interpreter's table of held guards
    /// (meaningful when the interpreter tracks guards).
    pub(crate) fn key(&self) -> usize {
        self.ptr.as_ptr().addr()
    }

    /// The key, if this word is a ticket.
    #[inline]
    pub(crate) fn ticket_key(&self) -> Option<usize> {
        self.ticket().map(|_| self.key())
    }
}

impl Drop for OwnedWord {
    #[inline]
    fn drop(&mut self) {
        match self.ticket() {
            Some(ticket) => free_ticket(ticket),
            // SAFETY: the reference `new` gave up with `Arc::into_raw`;
            // taken back once, here.
            None => drop(unsafe { Arc::from_raw(self.ptr.as_ptr().cast::<Core>()) }),
        }
    }
}
