//! Cross-interpreter data events (`heap.*`, `refcount.*`, `xi.*`,
//! `xiview.*`, `pending.*`) read into steps of the xi model
//! ([`Heaps`](crate::spec::xi::Heaps)), with the lifecycle model consulted
//! for what xi leaves to it.
//!
//! Heap events (alloc, incref, decref, a pending call, teardown) are
//! recorded by a thread holding the owner's GIL, right after the change:
//! per owner they are in effect order and are replayed as recorded. A few
//! steps are recorded a little after their effect, with nothing else
//! recorded by that thread in between, so the search may let them take
//! effect earlier: a push (recorded after the ring's lock is dropped), a
//! ring's close, a view's open and close (the owner's view count is an
//! atomic), and the *take* of a run (the runner takes the whole ring, then
//! records each call's decref).
//!
//! Checked against the lifecycle model:
//!
//! - **XI-2.** Every heap event's thread holds the owner's GIL (it is
//!   attached to the owner), as the GIL steps recorded it.
//! - **Teardown.** The ring's close and the heap's teardown are the
//!   finalizer's, once finalization began.
use super::model::Model;
use super::parse::Parsed;
use crate::spec::lifecycle::Disallowed;
use crate::spec::xi::{CloseFailure, ObjName};
use crate::Phase;

/// One xi step, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum XiOp {
    /// `heap.alloc`.
    Alloc,
    /// `refcount.incref`.
    Incref,
    /// `refcount.decref` (`freed` when the count reached 0).
    Decref,
    /// A decref recorded by a run of pending calls (the `pending.run` that
    /// follows names how many): `take` is `Some(n)` for the run's first
    /// call, whose first action is the take of the whole ring (`n` calls).
    Call {
        /// The run's size, on its first call.
        take: Option<usize>,
    },
    /// `pending.call -> failed: <obj> was freed ...`, a call of a run.
    CallFailed {
        /// The run's size, on its first call.
        take: Option<usize>,
    },
    /// `xi.share -> ok: the data holds a strong reference`.
    Share,
    /// `xi.share -> ok: by value, no reference`.
    ShareValue,
    /// `xi.new_object -> ok: copied from I<n>`.
    NewObject {
        /// The data's owner.
        from: u64,
    },
    /// `xi.release -> direct: in the owner`.
    ReleaseDirect,
    /// `xi.release -> refused: the owner is finalizing or gone ...`.
    ReleaseOwnerGone,
    /// `xi.release -> queued as a pending call on I<n>`.
    ReleaseQueued,
    /// `xi.release -> refused: I<n>'s pending-call ring is full ...`.
    ReleaseFull,
    /// `xi.release -> I<n>'s ring is full: switching to its GIL to release
    /// directly` (a receive of an object: the handed-back data is released
    /// in the owner after a switch).
    ReleaseSwitching,
    /// `xiview.open -> ok`.
    ViewOpen,
    /// `xiview.open -> refused`.
    ViewRefused,
    /// `xiview.close -> <how>: switching to the owner's GIL`.
    ViewClosing,
    /// `xiview.close -> ok` or `failed: ...`.
    ViewClosed {
        /// Why the reference could not be released, if it could not.
        failure: Option<CloseFailure>,
    },
    /// `pending.push -> ok: decref <obj>`.
    Push,
    /// `pending.push -> refused: the ring is full`.
    PushFull,
    /// `pending.run -> ran N call(s)`.
    RunDone {
        /// Calls run.
        ran: usize,
    },
    /// `pending.close`.
    RingClosed,
    /// `heap.teardown`.
    Teardown {
        /// Objects still referenced.
        leaked: usize,
        /// Their references.
        refs: usize,
        /// `allocated=`.
        allocated: u64,
        /// `freed=`.
        freed: u64,
    },
}

/// An xi event: the step and what it recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XiStep {
    /// What happened.
    pub op: XiOp,
    /// The object named (`obj#3.1`), if any.
    pub obj: Option<ObjName>,
    /// The owning interpreter (`owner=I<n>`, or the event's interpreter).
    pub owner: Option<u64>,
    /// `refcnt=N`.
    pub refcnt: Option<usize>,
    /// `views=N`.
    pub views: Option<usize>,
    /// `ring=len/capacity`.
    pub ring: Option<(usize, usize)>,
}

impl XiStep {
    /// How many atomic actions the step is: a run's first call is the
    /// take of the ring, then the call.
    pub fn actions(&self) -> u8 {
        match self.op {
            XiOp::Call { take: Some(_) } | XiOp::CallFailed { take: Some(_) } => 2,
            _ => 1,
        }
    }

    /// Whether action `action` may take effect before the events recorded
    /// ahead of it (see the module docs).
    pub fn movable(&self, action: u8) -> bool {
        match self.op {
            XiOp::Push | XiOp::RingClosed | XiOp::ViewOpen | XiOp::ViewClosed { .. } => true,
            XiOp::Call { take: Some(_) } | XiOp::CallFailed { take: Some(_) } => action == 0,
            _ => false,
        }
    }
}

/// Whether `op` is an xi op this module reads.
pub fn covers(op: &str) -> bool {
    matches!(
        op,
        "heap.alloc"
            | "refcount.incref"
            | "refcount.decref"
            | "xi.share"
            | "xi.new_object"
            | "xi.release"
            | "xiview.open"
            | "xiview.close"
            | "pending.push"
            | "pending.call"
            | "pending.run"
            | "pending.close"
            | "heap.teardown"
    )
}

/// `obj#3` or `obj#3.1`.
pub fn obj_name(s: &str) -> Option<ObjName> {
    let rest = s.strip_prefix("obj#")?;
    let (index, generation) = match rest.split_once('.') {
        Some((i, g)) => (i.parse().ok()?, g.parse().ok()?),
        None => (rest.parse().ok()?, 0),
    };
    Some(ObjName { index, generation })
}

/// `I<n>` at the start of `s`, and the rest.
fn interp_prefix(s: &str) -> Option<(u64, &str)> {
    let rest = s.strip_prefix('I')?;
    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    Some((rest[..end].parse().ok()?, &rest[end..]))
}

/// The step an xi event records; `Err` for an outcome or state the model
/// does not know.
pub fn parse(op: &str, interp: Option<u64>, outcome: &str, state: &str) -> Result<XiStep, String> {
    let unknown = || format!("outcome `{outcome}` of `{op}` is not one the xi model knows");
    let bad = || format!("not an xi state: `{state}` (of `{op} -> {outcome}`)");
    let mut step = XiStep { op: XiOp::Alloc, obj: None, owner: None, refcnt: None, views: None, ring: None };
    let mut teardown = (None, None, None);
    // `Some(obj#0@I1)`: a data's object as its `Debug` shows it (the
    // switching release and its refusal record it so).
    if let Some(inner) = state.strip_prefix("Some(").and_then(|s| s.strip_suffix(')')) {
        let (name, owner) = inner.split_once('@').ok_or_else(bad)?;
        step.obj = Some(obj_name(name).ok_or_else(bad)?);
        match interp_prefix(owner) {
            Some((n, "")) => step.owner = Some(n),
            _ => return Err(bad()),
        }
    }
    let words = if step.obj.is_some() && step.owner.is_some() { "" } else { state };
    for (k, part) in words.split_ascii_whitespace().enumerate() {
        if k == 0 && part.starts_with("obj#") {
            step.obj = Some(obj_name(part).ok_or_else(bad)?);
        } else if let Some(n) = part.strip_prefix("refcnt=") {
            step.refcnt = Some(n.parse().map_err(|_| bad())?);
        } else if let Some(n) = part.strip_prefix("views=") {
            step.views = Some(n.parse().map_err(|_| bad())?);
        } else if let Some(o) = part.strip_prefix("owner=") {
            match interp_prefix(o) {
                Some((n, "")) => step.owner = Some(n),
                _ => return Err(bad()),
            }
        } else if let Some(r) = part.strip_prefix("ring=") {
            if r != "closed" {
                let (len, cap) = r.split_once('/').ok_or_else(bad)?;
                step.ring = Some((len.parse().map_err(|_| bad())?, cap.parse().map_err(|_| bad())?));
            }
        } else if let Some(n) = part.strip_prefix("live=") {
            if n != "0" {
                return Err(bad());
            }
        } else if let Some(n) = part.strip_prefix("allocated=") {
            teardown.0 = Some(n.parse::<u64>().map_err(|_| bad())?);
        } else if let Some(n) = part.strip_prefix("freed=") {
            teardown.1 = Some(n.parse::<u64>().map_err(|_| bad())?);
        } else if let Some(n) = part.strip_prefix("leaked=") {
            teardown.2 = Some(n.parse::<usize>().map_err(|_| bad())?);
        } else {
            return Err(bad());
        }
    }
    step.owner = step.owner.or(interp);
    let (obj, refcnt, ring) = (step.obj.is_some(), step.refcnt.is_some(), step.ring.is_some());
    step.op = match (op, outcome) {
        ("heap.alloc", "ok") if obj && step.refcnt == Some(1) => XiOp::Alloc,
        ("refcount.incref", "ok") if obj && refcnt => XiOp::Incref,
        ("refcount.decref", "ok") if obj && refcnt => XiOp::Decref,
        ("refcount.decref", "freed: the last reference went") if obj && step.refcnt == Some(0) => XiOp::Decref,
        ("xi.share", "ok: the data holds a strong reference") if obj && refcnt => XiOp::Share,
        ("xi.share", "ok: by value, no reference") if obj => XiOp::ShareValue,
        ("xi.new_object", o) if obj && step.refcnt == Some(1) => {
            match o.strip_prefix("ok: copied from ").and_then(interp_prefix) {
                Some((from, "")) => XiOp::NewObject { from },
                _ => return Err(unknown()),
            }
        }
        ("xi.release", "direct: in the owner") if obj && refcnt => XiOp::ReleaseDirect,
        ("xi.release", "refused: the owner is finalizing or gone (the reference leaks; counted)") if obj => {
            XiOp::ReleaseOwnerGone
        }
        ("xi.release", o) if obj && o.starts_with("queued as a pending call on I") => {
            match o.strip_prefix("queued as a pending call on ").and_then(interp_prefix) {
                Some((n, "")) if Some(n) == step.owner => XiOp::ReleaseQueued,
                _ => return Err(unknown()),
            }
        }
        ("xi.release", o) if obj && o.ends_with("'s ring is full: switching to its GIL to release directly") => {
            match interp_prefix(o) {
                Some((n, "'s ring is full: switching to its GIL to release directly")) if Some(n) == step.owner => {
                    XiOp::ReleaseSwitching
                }
                _ => return Err(unknown()),
            }
        }
        ("xi.release", o) if obj && o.starts_with("refused: I") => {
            match o.strip_prefix("refused: ").and_then(interp_prefix) {
                Some((n, "'s pending-call ring is full (data handed back)")) if Some(n) == step.owner => {
                    XiOp::ReleaseFull
                }
                _ => return Err(unknown()),
            }
        }
        ("xiview.open", "ok: holds the object and a guard on its owner") if obj && step.views.is_some() => {
            XiOp::ViewOpen
        }
        ("xiview.open", "refused: the owner is finalizing or gone") if obj => XiOp::ViewRefused,
        (
            "xiview.close",
            "explicit: switching to the owner's GIL" | "implicit (dropped): switching to the owner's GIL",
        ) if obj => XiOp::ViewClosing,
        ("xiview.close", "ok: released in the owner; dropping the guard") if obj && step.views.is_some() => {
            XiOp::ViewClosed { failure: None }
        }
        ("xiview.close", o) if obj && step.views.is_some() && o.starts_with("failed: ") => {
            let why = o.strip_prefix("failed: ").and_then(|w| w.strip_suffix("; dropping the guard"));
            let failure = match why {
                Some(w) if w.ends_with(" was freed: the handle outlived its object") => CloseFailure::Freed,
                Some(w) if w.starts_with("the pending-call ring of ") && w.ends_with(" is full") => {
                    CloseFailure::RingFull
                }
                _ => return Err(unknown()),
            };
            XiOp::ViewClosed { failure: Some(failure) }
        }
        ("pending.push", o) if ring && o.starts_with("ok: decref ") => {
            step.obj = Some(o.strip_prefix("ok: decref ").and_then(obj_name).ok_or_else(unknown)?);
            XiOp::Push
        }
        ("pending.push", "refused: the ring is full") if ring => XiOp::PushFull,
        ("pending.call", o) if o.starts_with("failed: ") && state.is_empty() => {
            let rest = o.strip_prefix("failed: ").unwrap_or_default();
            match rest.split_once(' ') {
                Some((name, "was freed: the handle outlived its object")) => {
                    step.obj = Some(obj_name(name).ok_or_else(unknown)?);
                }
                _ => return Err(unknown()),
            }
            XiOp::CallFailed { take: None }
        }
        ("pending.run", o) if ring && o.starts_with("ran ") => {
            let n = o.strip_prefix("ran ").and_then(|r| r.strip_suffix(" call(s)")).and_then(|n| n.parse().ok());
            XiOp::RunDone { ran: n.ok_or_else(unknown)? }
        }
        ("pending.close", "drained: no call can be queued now") if state == "ring=closed" => XiOp::RingClosed,
        ("heap.teardown", o) => {
            let (Some(allocated), Some(freed), Some(leaked)) = teardown else { return Err(bad()) };
            let refs = if o.starts_with("no object left (ran ") && o.ends_with(" pending call(s))") {
                0
            } else {
                let rest = o.strip_prefix("leaked: ").ok_or_else(unknown)?;
                let (n, rest) = rest.split_once(' ').ok_or_else(unknown)?;
                let refs = rest
                    .strip_prefix("object(s) still referenced (refs=")
                    .and_then(|r| r.strip_suffix(')'))
                    .and_then(|r| r.parse().ok())
                    .ok_or_else(unknown)?;
                if n.parse::<usize>().ok() != Some(leaked) {
                    return Err(bad());
                }
                refs
            };
            if (leaked == 0) != (refs == 0) {
                return Err(unknown());
            }
            XiOp::Teardown { leaked, refs, allocated, freed }
        }
        _ => return Err(unknown()),
    };
    if step.owner.is_none() {
        return Err(format!("`{op} -> {outcome}` names no owner"));
    }
    Ok(step)
}

fn rule(rule: &'static str, expected: impl Into<String>) -> Disallowed {
    Disallowed::new(rule, expected)
}

/// XI-2: thread `e.thread` holds `owner`'s GIL (is attached to it).
fn check_attached(model: &Model, e: &Parsed, owner: u64) -> Result<(), Disallowed> {
    let holding = model.life.thread_ref(e.thread).and_then(|t| t.holding);
    if holding != Some(owner) {
        let now = holding.map_or_else(|| "to nothing".to_owned(), |h| format!("to interpreter {h}"));
        return Err(rule("XI-2", format!("the thread attached to I{owner} (holding its GIL), not {now}")));
    }
    Ok(())
}

/// The ring's close and the teardown: by the finalizer, once Finalizing.
fn check_finalizing(model: &Model, e: &Parsed, owner: u64) -> Result<(), Disallowed> {
    let it = model.life.existing(owner)?;
    it.check_finalizer(e.thread)?;
    if it.phase != Phase::Finalizing {
        return Err(rule("XI-4", format!("I{owner}'s teardown once its finalization began (phase {})", it.phase)));
    }
    Ok(())
}

/// Applies action `action` of an xi event.
pub fn apply(model: &mut Model, e: &Parsed, step: &XiStep, action: u8) -> Result<(), Disallowed> {
    let t = e.thread;
    let owner = step.owner.ok_or_else(|| rule("TR-2", "the event to name the owner"))?;
    let obj = || step.obj.ok_or_else(|| rule("TR-2", "the event to name its object"));
    let refcnt_is = |n: usize| match step.refcnt {
        Some(r) if r != n => Err(rule("XI-3", format!("refcnt={n} after the step"))),
        _ => Ok(()),
    };
    let heaps = &mut model.xi;
    match step.op {
        XiOp::Alloc => {
            check_attached(model, e, owner)?;
            model.xi.alloc(t, owner, obj()?)
        }
        XiOp::Incref => {
            check_attached(model, e, owner)?;
            let n = model.xi.incref(t, owner, obj()?)?;
            refcnt_is(n)
        }
        XiOp::Decref => {
            check_attached(model, e, owner)?;
            let n = model.xi.decref(t, owner, obj()?)?;
            refcnt_is(n)
        }
        XiOp::Call { take: Some(n) } | XiOp::CallFailed { take: Some(n) } if action == 0 => heaps.take(t, owner, n),
        XiOp::Call { .. } => {
            check_attached(model, e, owner)?;
            let n = model.xi.call(t, owner, obj()?)?;
            refcnt_is(n)
        }
        XiOp::CallFailed { .. } => {
            check_attached(model, e, owner)?;
            model.xi.call_failed(t, owner, obj()?)
        }
        XiOp::Share => heaps.share(t, owner, obj()?, step.refcnt.unwrap_or_default()),
        XiOp::ShareValue => heaps.share_value(owner, obj()?),
        XiOp::NewObject { from } => heaps.new_object(t, owner, obj()?, from),
        XiOp::ReleaseDirect => heaps.release_direct(t, owner, obj()?, step.refcnt.unwrap_or_default()),
        XiOp::ReleaseOwnerGone => heaps.release_owner_gone(owner, obj()?),
        XiOp::ReleaseQueued => heaps.release_queued(t, owner, obj()?),
        XiOp::ReleaseFull => heaps.release_full(owner, obj()?),
        XiOp::ReleaseSwitching => heaps.release_switching(owner, obj()?),
        XiOp::ViewOpen => heaps.open_view(owner, obj()?, step.views.unwrap_or_default()),
        XiOp::ViewRefused => heaps.view_refused(owner, obj()?),
        XiOp::ViewClosing => heaps.begin_close(t, owner, obj()?),
        XiOp::ViewClosed { failure } => heaps.end_close(t, owner, obj()?, step.views.unwrap_or_default(), failure),
        XiOp::Push => {
            let (len, cap) = step.ring.unwrap_or_default();
            heaps.push(t, owner, obj()?, len, cap)
        }
        XiOp::PushFull => {
            let (len, cap) = step.ring.unwrap_or_default();
            heaps.push_full(owner, len, cap)
        }
        XiOp::RunDone { ran } => {
            let (left, cap) = step.ring.unwrap_or_default();
            heaps.run_done(t, owner, ran, left, cap)
        }
        XiOp::RingClosed => {
            check_finalizing(model, e, owner)?;
            model.xi.close_ring(owner)
        }
        XiOp::Teardown { leaked, refs, allocated, freed } => {
            check_finalizing(model, e, owner)?;
            check_attached(model, e, owner)?;
            model.xi.teardown(owner, leaked, refs, allocated, freed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xi_events_parse() {
        let s =
            parse("refcount.decref", Some(1), "freed: the last reference went", "obj#3.2 refcnt=0 owner=I1").unwrap();
        assert_eq!((s.op.clone(), s.obj, s.owner, s.refcnt), (XiOp::Decref, obj_name("obj#3.2"), Some(1), Some(0)));
        assert_eq!(obj_name("obj#3.2"), Some(ObjName { index: 3, generation: 2 }));
        let q = parse("xi.release", Some(2), "queued as a pending call on I1", "obj#0 owner=I1").unwrap();
        assert_eq!((q.op, q.owner), (XiOp::ReleaseQueued, Some(1)));
        let p = parse("pending.push", Some(1), "ok: decref obj#4", "ring=1/300").unwrap();
        assert_eq!((p.op, p.obj, p.ring), (XiOp::Push, obj_name("obj#4"), Some((1, 300))));
        let t = parse(
            "heap.teardown",
            Some(1),
            "leaked: 1 object(s) still referenced (refs=2)",
            "live=0 allocated=3 freed=2 leaked=1",
        )
        .unwrap();
        assert_eq!(t.op, XiOp::Teardown { leaked: 1, refs: 2, allocated: 3, freed: 2 });
        let f = parse("pending.call", Some(1), "failed: obj#0 was freed: the handle outlived its object", "").unwrap();
        assert_eq!((f.op, f.obj), (XiOp::CallFailed { take: None }, obj_name("obj#0")));
        let c = parse(
            "xiview.close",
            Some(1),
            "failed: the pending-call ring of interpreter 1 is full; dropping the guard",
            "obj#0 owner=I1 views=0",
        )
        .unwrap();
        assert_eq!(c.op, XiOp::ViewClosed { failure: Some(CloseFailure::RingFull) });
        let w = parse(
            "xi.release",
            Some(2),
            "I1's ring is full: switching to its GIL to release directly",
            "Some(obj#4.1@I1)",
        )
        .unwrap();
        assert_eq!((w.op, w.obj, w.owner), (XiOp::ReleaseSwitching, obj_name("obj#4.1"), Some(1)));
        let g = parse(
            "xi.release",
            Some(1),
            "refused: the owner is finalizing or gone (the reference leaks; counted)",
            "Some(obj#0@I1)",
        )
        .unwrap();
        assert_eq!((g.op, g.owner), (XiOp::ReleaseOwnerGone, Some(1)));
        assert!(parse(
            "xi.release",
            Some(1),
            "I1's ring is full: switching to its GIL to release directly",
            "Some(obj#0)"
        )
        .is_err());
        assert!(parse("refcount.decref", Some(1), "read", "obj#0 refcnt=2 owner=I1").is_err());
        assert!(parse("heap.alloc", Some(1), "ok", "obj#0 refcnt=2 owner=I1").is_err());
        assert!(parse("xi.share", None, "ok: by value, no reference", "obj#x").is_err());
    }
}
