//! The sequential reference model of cross-interpreter data: heaps and
//! refcounts, XiData, pending-call rings, views and finalization, as one
//! plain state machine with no threads and no atomics.
//!
//! It says what the production implementation (`src/xi/`) must do for a
//! sequence of operations made one at a time by one thread.
//! `tests/xi_state_machine.rs` drives both with the same random sequences
//! (proptest-state-machine) and compares every result and counter.
//!
//! Objects, data and views are numbered in creation order (the test maps
//! the numbers to production handles). An operation made "at" an
//! interpreter attaches to it first, which runs its pending calls, exactly
//! as `thread_state::attach` does.
//!
//! | operation | model |
//! |---|---|
//! | [`XiSpec::alloc`] | a new object in `at`'s heap, refcnt 1 |
//! | [`XiSpec::incref`] / [`XiSpec::decref`] | refcnt ± 1 if `at` owns a live object; freed at 0 |
//! | [`XiSpec::share`] | bytes: incref, a new data holding the reference; int: a data with the value only |
//! | [`XiSpec::new_object`] | a copy in `at`'s heap |
//! | [`XiSpec::release`] | direct if `at` is the owner; else owner gone → error, counted, the data consumed; ring full → error, the data kept; else queued |
//! | [`XiSpec::into_view`] | owner gone → error, data kept; int → error, data kept; else the reference moves into a view |
//! | [`XiSpec::close_view`] | attach to the owner, decref there (a user's extra decref may have freed it: an error, counted; the view closes anyway) |
//! | [`XiSpec::finalize`] | open views → refused (finalization would wait); else run the ring, count live objects as leaked, gone |
//!
//! Traces are checked at a finer grain: [`Heaps`] (`xi/heaps.rs`) takes
//! the same rules one protocol step at a time (an incref, a push, a run of
//! the ring, the two halves of a view's close), so that several threads'
//! steps can interleave, as they do in a recorded trace.
mod heaps;

pub use heaps::{CloseFailure, Heap, HeapOp, Heaps, ObjName, ObjState};

use std::collections::VecDeque;
use xinterp::xi::{Released, XiStats};

/// What went wrong, by kind (the production [`XiError`](xinterp::xi::XiError)
/// without its payload).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecError {
    /// The object is not the attached interpreter's.
    WrongInterpreter,
    /// A stale handle.
    Freed,
    /// The owner is finalizing or gone.
    OwnerGone,
    /// The owner's ring is full.
    PendingFull,
    /// The data has no buffer.
    NotABuffer,
    /// Finalization would wait for an open view (the test's finalization
    /// times out).
    ViewsOpen,
}

/// The result of one operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A new object, by number.
    Object(usize),
    /// A refcount after the operation.
    Refcnt(usize),
    /// A new data, by number.
    Data(usize),
    /// A new view, by number.
    View(usize),
    /// How a data was released.
    Released(Released),
    /// The view was closed.
    Closed,
    /// Attached: the attached interpreter's live objects afterwards.
    Live(usize),
    /// Finalized; this many objects leaked at teardown.
    Finalized {
        /// Objects still referenced at teardown.
        leaked: usize,
    },
    /// Refused.
    Error(SpecError),
}

/// An object: its owner, refcount (0 = freed) and contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecObject {
    /// The owning interpreter (an index).
    pub owner: usize,
    /// Strong references; 0 once freed.
    pub refcnt: usize,
    /// Bytes, or `None` for an int.
    pub bytes: Option<Vec<u8>>,
    /// The int's value (ints only).
    pub int: i64,
}

/// A data in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecData {
    /// The owner.
    pub owner: usize,
    /// The object it references (bytes only).
    pub obj: Option<usize>,
    /// The object it was shared from (for `new_object`'s contents).
    pub source: usize,
    /// Still unreleased and not moved into a view.
    pub live: bool,
}

/// One interpreter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecInterp {
    /// Not finalized.
    pub alive: bool,
    /// Queued decrefs (object numbers).
    pub ring: VecDeque<usize>,
    /// Views open on its objects.
    pub open_views: usize,
}

/// The whole model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XiSpec {
    /// Interpreters by index.
    pub interps: Vec<SpecInterp>,
    /// Every object ever allocated, by number.
    pub objects: Vec<SpecObject>,
    /// Every data ever made, by number.
    pub datas: Vec<SpecData>,
    /// Every view ever opened: (object, still open).
    pub views: Vec<(usize, bool)>,
    /// The rings' capacity.
    pub capacity: usize,
    /// The runtime's counters.
    pub stats: XiStats,
    /// The last operation's result.
    pub last: Option<Outcome>,
}

impl XiSpec {
    /// `interps` running interpreters with rings of `capacity`.
    pub fn new(interps: usize, capacity: usize) -> Self {
        Self {
            interps: vec![SpecInterp { alive: true, ring: VecDeque::new(), open_views: 0 }; interps],
            objects: Vec::new(),
            datas: Vec::new(),
            views: Vec::new(),
            capacity,
            stats: XiStats::default(),
            last: None,
        }
    }

    /// Live objects of `interp`.
    pub fn live(&self, interp: usize) -> usize {
        self.objects.iter().filter(|o| o.owner == interp && o.refcnt > 0).count()
    }

    fn done(&mut self, outcome: Outcome) -> Outcome {
        self.last = Some(outcome.clone());
        outcome
    }

    /// A thread attaches to `at`: its pending calls run.
    pub fn attach(&mut self, at: usize) {
        assert!(self.interps[at].alive, "the model only attaches to running interpreters");
        let calls: Vec<usize> = self.interps[at].ring.drain(..).collect();
        if !calls.is_empty() {
            self.stats.pending_ran += calls.len() as u64;
        }
        for obj in calls {
            // A call on an object a user's extra decref already freed fails
            // (the production run traces it and goes on).
            let _ = self.decref_in(obj);
        }
    }

    /// The decref itself; `None` if the object is already freed.
    fn decref_in(&mut self, obj: usize) -> Option<usize> {
        let o = &mut self.objects[obj];
        o.refcnt = o.refcnt.checked_sub(1)?;
        Some(o.refcnt)
    }

    fn check(&self, at: usize, obj: usize) -> Result<(), SpecError> {
        let o = &self.objects[obj];
        if o.owner != at {
            Err(SpecError::WrongInterpreter)
        } else if o.refcnt == 0 {
            Err(SpecError::Freed)
        } else {
            Ok(())
        }
    }

    /// Attach to `at`, then allocate (`bytes`, or an int).
    pub fn alloc(&mut self, at: usize, bytes: Option<Vec<u8>>, int: i64) -> Outcome {
        self.attach(at);
        self.objects.push(SpecObject { owner: at, refcnt: 1, bytes, int });
        let n = self.objects.len() - 1;
        self.done(Outcome::Object(n))
    }

    /// Attach to `at`, then incref.
    pub fn incref(&mut self, at: usize, obj: usize) -> Outcome {
        self.attach(at);
        let outcome = match self.check(at, obj) {
            Err(e) => Outcome::Error(e),
            Ok(()) => {
                self.objects[obj].refcnt += 1;
                Outcome::Refcnt(self.objects[obj].refcnt)
            }
        };
        self.done(outcome)
    }

    /// Attach to `at`, then decref.
    pub fn decref(&mut self, at: usize, obj: usize) -> Outcome {
        self.attach(at);
        let outcome = match self.check(at, obj) {
            Err(e) => Outcome::Error(e),
            Ok(()) => Outcome::Refcnt(self.decref_in(obj).expect("checked")),
        };
        self.done(outcome)
    }

    /// Attach to `at`, then share.
    pub fn share(&mut self, at: usize, obj: usize) -> Outcome {
        self.attach(at);
        let outcome = match self.check(at, obj) {
            Err(e) => Outcome::Error(e),
            Ok(()) => {
                let held = if self.objects[obj].bytes.is_some() {
                    self.objects[obj].refcnt += 1;
                    Some(obj)
                } else {
                    None
                };
                self.datas.push(SpecData { owner: at, obj: held, source: obj, live: true });
                Outcome::Data(self.datas.len() - 1)
            }
        };
        self.done(outcome)
    }

    /// Attach to `at`, then build `at`'s own copy of `data`.
    pub fn new_object(&mut self, at: usize, data: usize) -> Outcome {
        let source = &self.objects[self.datas[data].source];
        let (bytes, int) = (source.bytes.clone(), source.int);
        self.alloc(at, bytes, int)
    }

    /// Release `data` from a thread attached to `at` (or to nothing).
    pub fn release(&mut self, at: Option<usize>, data: usize) -> Outcome {
        if let Some(at) = at {
            self.attach(at);
        }
        let d = self.datas[data].clone();
        assert!(d.live, "the model only releases live data");
        let outcome = match d.obj {
            None => {
                self.datas[data].live = false;
                Outcome::Released(Released::Nothing)
            }
            Some(obj) if at == Some(d.owner) => {
                self.datas[data].live = false;
                match self.decref_in(obj) {
                    Some(_) => Outcome::Released(Released::Direct),
                    None => Outcome::Error(SpecError::Freed),
                }
            }
            Some(obj) => {
                if !self.interps[d.owner].alive {
                    self.datas[data].live = false;
                    self.stats.released_after_owner_gone += 1;
                    Outcome::Error(SpecError::OwnerGone)
                } else if self.interps[d.owner].ring.len() >= self.capacity {
                    self.stats.pending_full += 1;
                    Outcome::Error(SpecError::PendingFull)
                } else {
                    self.datas[data].live = false;
                    self.interps[d.owner].ring.push_back(obj);
                    Outcome::Released(Released::Pending)
                }
            }
        };
        self.done(outcome)
    }

    /// Open a view on `data` (no attach).
    pub fn into_view(&mut self, data: usize) -> Outcome {
        let d = self.datas[data].clone();
        let outcome = match d.obj {
            None => Outcome::Error(SpecError::NotABuffer),
            Some(_) if !self.interps[d.owner].alive => Outcome::Error(SpecError::OwnerGone),
            Some(obj) => {
                self.datas[data].live = false;
                self.interps[d.owner].open_views += 1;
                self.views.push((obj, true));
                Outcome::View(self.views.len() - 1)
            }
        };
        self.done(outcome)
    }

    /// Close `view` from a thread attached to `at` (or to nothing): attach
    /// there, switch to the owner (its pending calls run), decref, switch
    /// back.
    pub fn close_view(&mut self, at: Option<usize>, view: usize) -> Outcome {
        if let Some(at) = at {
            self.attach(at);
        }
        let (obj, open) = self.views[view];
        assert!(open, "the model only closes open views");
        let owner = self.objects[obj].owner;
        self.attach(owner);
        let decref = self.decref_in(obj);
        self.interps[owner].open_views -= 1;
        self.views[view].1 = false;
        match decref {
            Some(_) => self.done(Outcome::Closed),
            // Freed under the view by a user's extra decref: closed anyway,
            // the lost reference reported and counted.
            None => {
                self.stats.dropped_unreleased += 1;
                self.done(Outcome::Error(SpecError::Freed))
            }
        }
    }

    /// Finalize `interp` (from a thread attached to nothing).
    pub fn finalize(&mut self, interp: usize) -> Outcome {
        if self.interps[interp].open_views > 0 {
            return self.done(Outcome::Error(SpecError::ViewsOpen));
        }
        self.attach(interp);
        let leaked: Vec<usize> = (0..self.objects.len())
            .filter(|&o| self.objects[o].owner == interp && self.objects[o].refcnt > 0)
            .collect();
        for &o in &leaked {
            self.objects[o].refcnt = 0;
        }
        self.stats.leaked_at_teardown += leaked.len() as u64;
        self.interps[interp].alive = false;
        self.done(Outcome::Finalized { leaked: leaked.len() })
    }

    /// Attach to `at` and report its live objects.
    pub fn attach_and_count(&mut self, at: usize) -> Outcome {
        self.attach(at);
        let live = self.live(at);
        self.done(Outcome::Live(live))
    }
}
