//! The cross-interpreter data model at the grain of a concurrent trace:
//! the steps [`XiSpec`](super::XiSpec) groups into one sequential
//! operation, taken one at a time by several threads.
//!
//! [`XiSpec`](super::XiSpec) makes an operation and the attach before it
//! one atomic step ("attach to `at`, run its ring, then decref"), numbers
//! objects in creation order, and never sees a ring being run by one thread
//! while another pushes onto it, or a view closing across a finalization.
//! A trace shows exactly that, so the validator needs the same rules at
//! the grain of the protocol's own steps:
//!
//! | step | rule |
//! |---|---|
//! | [`alloc`](Heaps::alloc) | a fresh object (names are never reused) in a heap not torn down, refcnt 1 |
//! | [`incref`](Heaps::incref) / [`decref`](Heaps::decref) | a live object (XI-1); refcnt ± 1; freed at 0 |
//! | [`share`](Heaps::share) | the data holds one of the object's references (its incref) |
//! | [`release_direct`](Heaps::release_direct), [`release_owner_gone`](Heaps::release_owner_gone) | a data's reference goes (decref'd in the owner, or leaked and counted); [`release_full`](Heaps::release_full), [`release_switching`](Heaps::release_switching): it stays, handed back by a full ring |
//! | [`push`](Heaps::push) | a data's (or a closing view's) reference moves onto the owner's ring; never onto a closed ring, never beyond its capacity |
//! | [`take`](Heaps::take), [`call`](Heaps::call), [`run_done`](Heaps::run_done) | one thread at a time takes the whole ring and runs it: each call decrefs the next queued object, in order, once |
//! | [`open_view`](Heaps::open_view) / [`begin_close`](Heaps::begin_close) / [`end_close`](Heaps::end_close) | a data's reference moves into a view; a close releases it in the owner before the view stops counting |
//! | [`close_ring`](Heaps::close_ring), [`teardown`](Heaps::teardown) | the ring is drained before it closes; no view is open at teardown (XI-4); what is still referenced is reported |
//!
//! Objects are named as traces name them, per owning interpreter
//! (`obj#3.1`: slot 3, generation 1). References the protocol holds are counted
//! per object: by live data (`datas`), by open views (`views`), and by
//! the calls queued on the owner's ring. A user's own extra decref is
//! allowed, as in [`XiSpec`](super::XiSpec): what is checked is the
//! arithmetic (each recorded count is the model's), that no freed object
//! is touched, and that every reference the protocol holds is handed on
//! or released exactly once, where the protocol says.
//!
//! What it leaves to others: which GIL a thread holds, who the finalizer
//! is and its phase (the lifecycle model, which the validator consults
//! for XI-2 and teardown), and values (bytes and ints are not modelled,
//! except that a by-value share holds no reference).
use crate::spec::lifecycle::{Disallowed, ThreadKey};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;

/// An object as traces name it: `obj#index` or `obj#index.generation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjName {
    /// The heap slot.
    pub index: u32,
    /// The slot's generation (bumped when an object in it is freed).
    pub generation: u32,
}

impl fmt::Display for ObjName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.generation == 0 {
            write!(f, "obj#{}", self.index)
        } else {
            write!(f, "obj#{}.{}", self.index, self.generation)
        }
    }
}

/// One object's references.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ObjState {
    /// Strong references; 0 once freed (or torn down).
    pub refcnt: usize,
    /// Live data holding one of them.
    pub datas: usize,
    /// Open views holding one of them.
    pub views: usize,
}

/// A thread running an interpreter's pending calls: the calls it took, in
/// order, not run yet, and how many it took.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Run {
    by: ThreadKey,
    left: VecDeque<ObjName>,
    took: usize,
}

/// One interpreter's heap, ring and views.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Heap {
    /// Every object ever allocated in it.
    objects: BTreeMap<ObjName, ObjState>,
    /// Objects allocated.
    pub allocated: u64,
    /// Objects freed by their last decref.
    pub freed: u64,
    /// Objects shared by value (ints: no reference crosses).
    pub shared_by_value: u64,
    /// Decrefs queued on the ring, oldest first.
    ring: VecDeque<ObjName>,
    /// The ring's capacity, once an event showed it.
    capacity: Option<usize>,
    /// Teardown drained the ring: no call may be queued now.
    ring_closed: bool,
    run: Option<Run>,
    /// Views open on its objects.
    pub open_views: usize,
    /// Torn down by finalization.
    pub torn_down: bool,
}

/// A view being closed by a thread: the reference it releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Closing {
    owner: u64,
    obj: ObjName,
    /// Its reference was released (a decref in the owner, or a queued call).
    released: bool,
}

/// Every heap of a trace, by owner, and what each thread is in the middle of.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Heaps {
    heaps: BTreeMap<u64, Heap>,
    closing: BTreeMap<ThreadKey, Closing>,
    /// Each thread's last successful push, until its release or view close
    /// names it.
    pushed: BTreeMap<ThreadKey, (u64, ObjName)>,
    /// Each thread's last heap operation (alloc, incref, decref): the
    /// share, new-object and direct-release steps name theirs.
    last_op: BTreeMap<ThreadKey, HeapOp>,
}

/// A heap operation a thread made, as the next step may name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeapOp {
    /// `heap.alloc`.
    Alloc(u64, ObjName),
    /// `refcount.incref`, with the count after it.
    Incref(u64, ObjName, usize),
    /// `refcount.decref`, with the count after it.
    Decref(u64, ObjName, usize),
}

impl fmt::Display for HeapOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Alloc(owner, obj) => write!(f, "the alloc of {obj} in I{owner}"),
            Self::Incref(owner, obj, n) => write!(f, "the incref of {obj} in I{owner} (refcnt={n})"),
            Self::Decref(owner, obj, n) => write!(f, "the decref of {obj} in I{owner} (refcnt={n})"),
        }
    }
}

fn xi(rule: &'static str, expected: impl Into<String>) -> Disallowed {
    Disallowed::new(rule, expected)
}

impl Heap {
    fn live(&mut self, owner: u64, obj: ObjName) -> Result<&mut ObjState, Disallowed> {
        if self.torn_down {
            return Err(xi("XI-1", format!("no access to {obj}: the heap of I{owner} was torn down")));
        }
        match self.objects.get_mut(&obj) {
            Some(o) if o.refcnt > 0 => Ok(o),
            Some(_) => Err(xi("XI-1", format!("no access to {obj} of I{owner}: it was freed"))),
            None => Err(xi("XI-1", format!("{obj} to have been allocated in I{owner} first"))),
        }
    }

    fn check_capacity(&mut self, owner: u64, capacity: usize) -> Result<(), Disallowed> {
        match self.capacity {
            None => {
                self.capacity = Some(capacity);
                Ok(())
            }
            Some(c) if c == capacity => Ok(()),
            Some(c) => Err(xi("XI-3", format!("I{owner}'s ring capacity {c}, not {capacity}"))),
        }
    }

    fn check_ring(&self, owner: u64, len: usize) -> Result<(), Disallowed> {
        if self.ring.len() != len {
            return Err(xi("XI-3", format!("I{owner}'s ring to hold {} call(s), not {len}", self.ring.len())));
        }
        Ok(())
    }

    /// Objects alive, and the references they hold.
    fn still_referenced(&self) -> (usize, usize) {
        let live = self.objects.values().filter(|o| o.refcnt > 0);
        live.fold((0, 0), |(n, refs), o| (n + 1, refs + o.refcnt))
    }

    fn describe(&self, owner: u64) -> String {
        let objects: Vec<String> = self
            .objects
            .iter()
            .map(|(name, o)| {
                if o.refcnt == 0 {
                    return format!("{name} freed");
                }
                let mut s = format!("{name} refcnt={}", o.refcnt);
                if o.datas > 0 {
                    s.push_str(&format!(" datas={}", o.datas));
                }
                if o.views > 0 {
                    s.push_str(&format!(" views={}", o.views));
                }
                s
            })
            .collect();
        let ring: Vec<String> = self.ring.iter().map(ToString::to_string).collect();
        let mut s = format!("I{owner} heap [{}] ring=[{}]", objects.join(", "), ring.join(", "));
        if let Some(c) = self.capacity {
            s.push_str(&format!("/{c}"));
        }
        if let Some(run) = &self.run {
            let left: Vec<String> = run.left.iter().map(ToString::to_string).collect();
            s.push_str(&format!(" run by {} (calls left [{}])", run.by, left.join(", ")));
        }
        if self.ring_closed {
            s.push_str(" ring closed");
        }
        if self.open_views > 0 {
            s.push_str(&format!(" open-views={}", self.open_views));
        }
        if self.shared_by_value > 0 {
            s.push_str(&format!(" shared-by-value={}", self.shared_by_value));
        }
        if self.torn_down {
            s.push_str(" torn down");
        }
        s
    }
}

impl Heaps {
    fn heap(&mut self, owner: u64) -> &mut Heap {
        self.heaps.entry(owner).or_default()
    }

    /// The heap of `owner`, if anything happened in it.
    pub fn get(&self, owner: u64) -> Option<&Heap> {
        self.heaps.get(&owner)
    }

    /// An object's state, if it was ever allocated.
    pub fn object(&self, owner: u64, obj: ObjName) -> Option<ObjState> {
        self.heaps.get(&owner).and_then(|h| h.objects.get(&obj)).copied()
    }

    /// Thread `t`'s last heap operation, taken (a step names it once).
    pub fn take_last_op(&mut self, t: ThreadKey) -> Option<HeapOp> {
        self.last_op.remove(&t)
    }

    /// `heap.alloc`: a new object with one reference.
    pub fn alloc(&mut self, t: ThreadKey, owner: u64, obj: ObjName) -> Result<(), Disallowed> {
        let heap = self.heap(owner);
        if heap.torn_down {
            return Err(xi("XI-1", format!("no allocation: the heap of I{owner} was torn down")));
        }
        if heap.objects.contains_key(&obj) {
            return Err(xi("XI-1", format!("a fresh object: {obj} of I{owner} was allocated before")));
        }
        heap.objects.insert(obj, ObjState { refcnt: 1, ..ObjState::default() });
        heap.allocated += 1;
        self.last_op.insert(t, HeapOp::Alloc(owner, obj));
        Ok(())
    }

    /// `refcount.incref`; returns the count after it.
    pub fn incref(&mut self, t: ThreadKey, owner: u64, obj: ObjName) -> Result<usize, Disallowed> {
        let o = self.heap(owner).live(owner, obj)?;
        o.refcnt += 1;
        let n = o.refcnt;
        self.last_op.insert(t, HeapOp::Incref(owner, obj, n));
        Ok(n)
    }

    /// `refcount.decref` by `t`, not as a pending call; returns the count
    /// after it. A thread closing a view on the object releases the view's
    /// reference with it.
    pub fn decref(&mut self, t: ThreadKey, owner: u64, obj: ObjName) -> Result<usize, Disallowed> {
        let n = self.decref_in(owner, obj)?;
        if let Some(c) = self.closing.get_mut(&t) {
            if c.owner == owner && c.obj == obj && !c.released {
                c.released = true;
            }
        }
        self.last_op.insert(t, HeapOp::Decref(owner, obj, n));
        Ok(n)
    }

    fn decref_in(&mut self, owner: u64, obj: ObjName) -> Result<usize, Disallowed> {
        let heap = self.heap(owner);
        let o = heap.live(owner, obj)?;
        o.refcnt -= 1;
        let n = o.refcnt;
        if n == 0 {
            heap.freed += 1;
        }
        Ok(n)
    }

    /// `xi.share` of a bytes object: the data holds a reference (its incref,
    /// `t`'s last heap operation, left `refcnt`).
    pub fn share(&mut self, t: ThreadKey, owner: u64, obj: ObjName, refcnt: usize) -> Result<(), Disallowed> {
        let own = HeapOp::Incref(owner, obj, refcnt);
        if self.take_last_op(t) != Some(own) {
            return Err(xi("XI-3", format!("the share's own reference: {own} just before it")));
        }
        self.heap(owner).live(owner, obj)?.datas += 1;
        Ok(())
    }

    /// `xi.share` of an int: the data holds the value, no reference.
    pub fn share_value(&mut self, owner: u64, obj: ObjName) -> Result<(), Disallowed> {
        let heap = self.heap(owner);
        heap.live(owner, obj)?;
        heap.shared_by_value += 1;
        Ok(())
    }

    /// `xi.new_object`: `t`'s last heap operation allocated the copy in
    /// `at`, from a data of `from` that is still alive.
    pub fn new_object(&mut self, t: ThreadKey, at: u64, obj: ObjName, from: u64) -> Result<(), Disallowed> {
        let own = HeapOp::Alloc(at, obj);
        if self.take_last_op(t) != Some(own) {
            return Err(xi("XI-3", format!("the copy's allocation: {own} just before it")));
        }
        let source = self.heaps.get(&from);
        if !source.is_some_and(|h| h.shared_by_value > 0 || h.objects.values().any(|o| o.datas > 0)) {
            return Err(xi("XI-3", format!("a data of I{from} to copy from: none is alive")));
        }
        Ok(())
    }

    fn take_data(&mut self, owner: u64, obj: ObjName, what: &str) -> Result<(), Disallowed> {
        let o = self.heap(owner).objects.get_mut(&obj);
        match o {
            Some(o) if o.datas > 0 => {
                o.datas -= 1;
                Ok(())
            }
            _ => Err(xi("XI-3", format!("a live data holding a reference to {obj} of I{owner} ({what})"))),
        }
    }

    /// `xi.release -> direct`: `t`'s last heap operation was the data's
    /// decref, in the owner.
    pub fn release_direct(&mut self, t: ThreadKey, owner: u64, obj: ObjName, refcnt: usize) -> Result<(), Disallowed> {
        let own = HeapOp::Decref(owner, obj, refcnt);
        if self.take_last_op(t) != Some(own) {
            return Err(xi("XI-3", format!("the direct release's decref: {own} just before it")));
        }
        self.take_data(owner, obj, "to release directly")
    }

    /// `xi.release -> refused: the owner is finalizing or gone`: the data's
    /// reference can never be released (it leaks, counted).
    pub fn release_owner_gone(&mut self, owner: u64, obj: ObjName) -> Result<(), Disallowed> {
        self.take_data(owner, obj, "whose release finds the owner gone")
    }

    /// `xi.release -> queued`: `t`'s last push was this data's decref.
    pub fn release_queued(&mut self, t: ThreadKey, owner: u64, obj: ObjName) -> Result<(), Disallowed> {
        match self.pushed.remove(&t) {
            Some(p) if p == (owner, obj) => Ok(()),
            _ => Err(xi("XI-3", format!("this thread's push of {obj}'s decref on I{owner}'s ring first"))),
        }
    }

    /// `xi.release -> refused: ring full`: the data is handed back, its
    /// reference still held.
    pub fn release_full(&mut self, owner: u64, obj: ObjName) -> Result<(), Disallowed> {
        let heap = self.heap(owner);
        if heap.objects.get(&obj).is_none_or(|o| o.datas == 0) {
            return Err(xi("XI-3", format!("a live data holding a reference to {obj} of I{owner} (handed back)")));
        }
        match heap.capacity {
            Some(c) if heap.ring.len() >= c => Ok(()),
            _ => Err(xi("XI-3", format!("a push onto I{owner}'s ring: it is not full"))),
        }
    }

    /// `xi.release -> ... switching to its GIL to release directly`: the
    /// data the full ring handed back is still alive; its direct release
    /// follows, in the owner.
    pub fn release_switching(&mut self, owner: u64, obj: ObjName) -> Result<(), Disallowed> {
        if self.object(owner, obj).is_none_or(|o| o.datas == 0) {
            return Err(xi("XI-3", format!("a live data holding a reference to {obj} of I{owner} (to release)")));
        }
        Ok(())
    }

    /// `pending.push -> ok`: a reference to `obj` moves onto `owner`'s ring
    /// (a data's, or the view `t` is closing); the ring then holds `len`.
    pub fn push(
        &mut self,
        t: ThreadKey,
        owner: u64,
        obj: ObjName,
        len: usize,
        capacity: usize,
    ) -> Result<(), Disallowed> {
        let heap = self.heap(owner);
        heap.check_capacity(owner, capacity)?;
        if heap.ring_closed {
            return Err(xi("XI-3", format!("no push: teardown closed I{owner}'s ring (the call would never run)")));
        }
        if heap.ring.len() >= capacity {
            return Err(xi("XI-3", format!("a refusal: I{owner}'s ring is full ({capacity})")));
        }
        heap.ring.push_back(obj);
        let view = self.closing.get_mut(&t).filter(|c| c.owner == owner && c.obj == obj && !c.released);
        match view {
            Some(c) => c.released = true,
            None => self.take_data(owner, obj, "to queue its release")?,
        }
        self.heap(owner).check_ring(owner, len)?;
        self.pushed.insert(t, (owner, obj));
        Ok(())
    }

    /// `pending.push -> refused: the ring is full`.
    pub fn push_full(&mut self, owner: u64, len: usize, capacity: usize) -> Result<(), Disallowed> {
        let heap = self.heap(owner);
        heap.check_capacity(owner, capacity)?;
        if heap.ring_closed {
            return Err(xi("XI-3", format!("no push: teardown closed I{owner}'s ring")));
        }
        if heap.ring.len() < capacity {
            return Err(xi("XI-3", format!("the push to succeed: I{owner}'s ring holds {}", heap.ring.len())));
        }
        heap.check_ring(owner, len)
    }

    /// The start of a run of `owner`'s pending calls by `t`: it takes the
    /// whole ring, which holds exactly `n` calls.
    pub fn take(&mut self, t: ThreadKey, owner: u64, n: usize) -> Result<(), Disallowed> {
        let heap = self.heap(owner);
        if let Some(run) = &heap.run {
            return Err(xi("XI-3", format!("one runner at a time: {} runs I{owner}'s calls", run.by)));
        }
        if heap.ring.len() != n {
            return Err(xi("XI-3", format!("a run of the {} call(s) on I{owner}'s ring, not {n}", heap.ring.len())));
        }
        let left = std::mem::take(&mut heap.ring);
        heap.run = Some(Run { by: t, left, took: n });
        Ok(())
    }

    fn next_call(&mut self, t: ThreadKey, owner: u64, obj: ObjName) -> Result<(), Disallowed> {
        let heap = self.heap(owner);
        let Some(run) = heap.run.as_mut().filter(|r| r.by == t) else {
            return Err(xi("XI-3", format!("a pending call run by a thread that took I{owner}'s ring")));
        };
        match run.left.front() {
            Some(next) if *next == obj => {
                run.left.pop_front();
                Ok(())
            }
            Some(next) => Err(xi("XI-3", format!("the next queued call, the decref of {next}, not of {obj}"))),
            None => Err(xi("XI-3", format!("no call left of the {} taken", run.took))),
        }
    }

    /// A pending call run by `t`: the next call it took decrefs `obj`.
    /// Returns the count after it.
    pub fn call(&mut self, t: ThreadKey, owner: u64, obj: ObjName) -> Result<usize, Disallowed> {
        self.next_call(t, owner, obj)?;
        self.decref_in(owner, obj)
    }

    /// A pending call that failed: its object was already freed (by a
    /// user's extra decref).
    pub fn call_failed(&mut self, t: ThreadKey, owner: u64, obj: ObjName) -> Result<(), Disallowed> {
        self.next_call(t, owner, obj)?;
        match self.object(owner, obj) {
            Some(o) if o.refcnt == 0 => Ok(()),
            _ => Err(xi("XI-3", format!("the call's decref of {obj} to succeed: it is alive"))),
        }
    }

    /// `pending.run -> ran N`: `t` ran every call it took; `left` were
    /// queued meanwhile.
    pub fn run_done(
        &mut self,
        t: ThreadKey,
        owner: u64,
        ran: usize,
        left: usize,
        capacity: usize,
    ) -> Result<(), Disallowed> {
        let heap = self.heap(owner);
        heap.check_capacity(owner, capacity)?;
        match &heap.run {
            Some(run) if run.by == t && run.left.is_empty() && run.took == ran => {}
            Some(run) if run.by == t => {
                return Err(xi(
                    "XI-3",
                    format!("{} call(s) run of the {} taken, not {ran}", run.took - run.left.len(), run.took),
                ));
            }
            _ => return Err(xi("XI-3", format!("{ran} pending call(s) of I{owner} run by this thread first"))),
        }
        heap.run = None;
        heap.check_ring(owner, left)
    }

    /// `pending.close`: teardown drained the ring and closes it.
    pub fn close_ring(&mut self, owner: u64) -> Result<(), Disallowed> {
        let heap = self.heap(owner);
        if heap.run.is_some() || !heap.ring.is_empty() {
            return Err(xi("XI-3", format!("I{owner}'s ring drained before it closes")));
        }
        heap.ring_closed = true;
        Ok(())
    }

    /// `heap.teardown`: no view open (XI-4), the ring drained and closed;
    /// the objects still referenced are reported (`leaked`, `refs`) and
    /// every object goes.
    pub fn teardown(
        &mut self,
        owner: u64,
        leaked: usize,
        refs: usize,
        allocated: u64,
        freed: u64,
    ) -> Result<(), Disallowed> {
        let heap = self.heap(owner);
        if heap.open_views > 0 {
            return Err(xi("XI-4", format!("no view open on I{owner} at teardown: {} are", heap.open_views)));
        }
        if !heap.ring_closed {
            return Err(xi("XI-3", format!("I{owner}'s ring drained and closed before teardown")));
        }
        let (live, held) = heap.still_referenced();
        if (live, held, heap.allocated, heap.freed) != (leaked, refs, allocated, freed) {
            return Err(xi(
                "XI-3",
                format!(
                    "{live} object(s) still referenced (refs={held}), allocated={} freed={}",
                    heap.allocated, heap.freed
                ),
            ));
        }
        for o in heap.objects.values_mut() {
            o.refcnt = 0;
        }
        heap.torn_down = true;
        Ok(())
    }

    /// `xiview.open -> ok`: a data's reference moves into a view; the
    /// owner then counts `views` open views.
    pub fn open_view(&mut self, owner: u64, obj: ObjName, views: usize) -> Result<(), Disallowed> {
        self.heap(owner).live(owner, obj)?;
        self.take_data(owner, obj, "to move into the view")?;
        let heap = self.heap(owner);
        heap.open_views += 1;
        if let Some(o) = heap.objects.get_mut(&obj) {
            o.views += 1;
        }
        if heap.open_views != views {
            return Err(xi("XI-4", format!("{} open view(s) on I{owner}, not {views}", heap.open_views)));
        }
        Ok(())
    }

    /// `xiview.open -> refused`: the data is handed back.
    pub fn view_refused(&mut self, owner: u64, obj: ObjName) -> Result<(), Disallowed> {
        if self.object(owner, obj).is_none_or(|o| o.datas == 0) {
            return Err(xi("XI-3", format!("a live data holding a reference to {obj} of I{owner} (handed back)")));
        }
        Ok(())
    }

    /// `xiview.close -> switching to the owner's GIL`: `t` starts closing a
    /// view on `obj`.
    pub fn begin_close(&mut self, t: ThreadKey, owner: u64, obj: ObjName) -> Result<(), Disallowed> {
        if let Some(c) = self.closing.get(&t) {
            return Err(xi("XI-4", format!("this thread to finish closing its view on {} first", c.obj)));
        }
        let open_elsewhere = self.closing.values().filter(|c| c.owner == owner && c.obj == obj).count();
        if self.object(owner, obj).is_none_or(|o| o.views <= open_elsewhere) {
            return Err(xi("XI-4", format!("an open view on {obj} of I{owner} to close")));
        }
        self.closing.insert(t, Closing { owner, obj, released: false });
        Ok(())
    }

    /// The end of `t`'s close: the view's reference was released in the
    /// owner (`failure: None`), or could not be (`Some`: the object was
    /// already freed, or the ring was full); either way the view stops
    /// counting, and the owner then counts `views`.
    pub fn end_close(
        &mut self,
        t: ThreadKey,
        owner: u64,
        obj: ObjName,
        views: usize,
        failure: Option<CloseFailure>,
    ) -> Result<(), Disallowed> {
        let Some(c) = self.closing.remove(&t).filter(|c| c.owner == owner && c.obj == obj) else {
            return Err(xi("XI-4", format!("this thread's close of a view on {obj} of I{owner} to have begun")));
        };
        if c.released && self.pushed.get(&t) == Some(&(owner, obj)) {
            self.pushed.remove(&t);
        }
        match failure {
            None if !c.released => {
                return Err(xi(
                    "XI-3",
                    format!("the view's reference to {obj} released in I{owner} before the close ends"),
                ));
            }
            None => {}
            Some(_) if c.released => {
                return Err(xi("XI-3", format!("a successful close: the view's reference to {obj} was released")));
            }
            Some(CloseFailure::Freed) if self.object(owner, obj).is_some_and(|o| o.refcnt > 0) => {
                return Err(xi("XI-3", format!("the view's decref of {obj} to succeed: it is alive")));
            }
            Some(CloseFailure::Freed) => {}
            Some(CloseFailure::RingFull) => {
                let heap = self.heap(owner);
                if heap.capacity.is_none_or(|c| heap.ring.len() < c) {
                    return Err(xi(
                        "XI-3",
                        format!("the queued decref of {obj} to succeed: I{owner}'s ring is not full"),
                    ));
                }
            }
        }
        let heap = self.heap(owner);
        heap.open_views = heap.open_views.saturating_sub(1);
        if let Some(o) = heap.objects.get_mut(&obj) {
            o.views = o.views.saturating_sub(1);
        }
        if heap.open_views != views {
            return Err(xi("XI-4", format!("{} open view(s) on I{owner}, not {views}", heap.open_views)));
        }
        Ok(())
    }

    /// A one-line description of one owner's heap (or of all), for messages.
    pub fn describe(&self, owner: Option<u64>) -> String {
        let heaps: Vec<String> =
            self.heaps.iter().filter(|(o, _)| owner.is_none_or(|w| w == **o)).map(|(o, h)| h.describe(*o)).collect();
        let mut s = if heaps.is_empty() { "no heap touched".to_owned() } else { heaps.join("; ") };
        for (t, c) in &self.closing {
            s.push_str(&format!("; {t} closing a view on {} of I{}", c.obj, c.owner));
        }
        s
    }
}

/// Why a view's close could not release its reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseFailure {
    /// The object was already freed (a user's extra decref).
    Freed,
    /// Inside a heap session of the owner the decref is queued, and the
    /// ring was full.
    RingFull,
}
