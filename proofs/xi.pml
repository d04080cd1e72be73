/*
 * xi.pml -- cross-interpreter data and the refcount hand-off: XiData,
 * pending calls, XiView (the cross-interpreter view).
 *
 * Rust:  src/xi/ (data.rs: Attached::share, XiData::into_view,
 *        XiData::release; pending.rs: Pending::push, run, on_attach;
 *        view.rs: XiView::close; heap.rs: the refcounts; mod.rs:
 *        xi::teardown), src/gil.rs. Its //! essay, src/xi/mod.rs, points
 *        back here.
 * Docs:  docs/proofs.md (bounds, simplifications, results, name map);
 *        docs/xi.md (the protocol in prose); docs/invariants.md (XI-1 to
 *        XI-4 cite these proofs).
 *
 * Names follow lifecycle.pml: an inline is named after the Rust function
 * it stands for, in lower case with its type or module (pending_push for
 * Pending::push, pending_run for pending::run); a label at a call site
 * names the Rust function called there, `::` written `_` (XiData_release:).
 *
 *   Promela                             Rust (src/xi/ unless said)
 *   inline gil_acquire, gil_release     Gil::acquire / Gil::release (src/gil.rs)
 *   inline table_incref, table_decref   Table::incref / Table::decref (heap.rs):
 *                                       the plain arithmetic every checked
 *                                       path (Attached::incref / decref,
 *                                       Heap::decref) ends in; the decref
 *                                       that reaches zero frees
 *   label Attached_share                Attached::share (data.rs): incref, the
 *                                       XiData holds a strong reference
 *   label XiData_into_view              XiData::into_view (data.rs), which
 *                                       takes a guard on the owner and calls
 *                                       XiView::open (view.rs); the incref
 *                                       before it is the share of the data
 *                                       the view is made from
 *   inline/label xidata_release         XiData::release (data.rs), from
 *              / XiData_release         another interpreter: a pending call
 *   inline pending_push                 Pending::push (pending.rs); its "owner
 *                                       gone" branch stands for the guard
 *                                       refusal in XiData::release before it
 *   inline pending_run                  pending::run (pending.rs)
 *   label pending_on_attach             pending::on_attach, which
 *                                       thread_state::attach calls: a thread
 *                                       of the owner took its GIL again
 *   label XiView_close                  XiView::close (view.rs)
 *   label Interpreter_finalize          Interpreter::finalize (src/interp/
 *                                       finalize.rs): guards, then teardown
 *   label xi_teardown                   xi::teardown (mod.rs): drains the
 *                                       pending calls (pending::drain_and_close)
 *   proctypes Owner, Receiver,          threads of interpreter 1, of
 *             OwnerFinalizer            interpreter 2, and 1's finalization
 *   check_freed, ALIVE                  ghost: no Rust function
 *
 * Interpreter 1 (A) owns one object; interpreter 2 (B) receives references
 * to it. The refcount is a plain counter: incref and decref are a read and
 * a write, two steps, safe only under the owner's GIL (which serializes
 * every thread of A). Each GIL is a byte (0 free, else pid + 1).
 *
 *   XiData::release: in the owner, decref directly; elsewhere push a
 *     pending call on the owner (a bounded ring; full is an error the
 *     caller sees and retries) which a thread of the owner runs when it
 *     next holds the GIL. If the owner is gone the push fails and the
 *     reference leaks (CPython's behaviour; Rust counts it).
 *   XiData::into_view: takes a guard on the owner (refused once it
 *     finalizes);
 *   XiView::close: detaches from B, attaches to A, decrefs, detaches,
 *     re-attaches to B, drops the guard. The owner does not finalize while
 *     a guard is held (the guard protocol itself is lifecycle.pml's; here
 *     it is a counter the finalizer waits on).
 *
 * Knobs:
 *   BUG_DECREF_UNDER_OWN_GIL  the receiver decrefs the owner's object under
 *                             its own GIL (no pending call).
 *   MUTANT_VIEW_WITHOUT_GUARD an XiView holds no guard on the owner.
 */

#define A 1
#define B 2
#define RING 1                      /* pending-call ring size (CPython: 300) */

byte gil[3];                        /* per interpreter; index 0 unused */
byte rc = 0;                        /* the object's refcount: plain, non-atomic */
bool created = false;
bool freed = false;                 /* ghost */
byte frees = 0;                     /* ghost: how many times it was freed */
bool leaked = false;                /* ghost: a reference was dropped without a decref */
byte ring = 0;                      /* pending decrefs queued on A */
byte guards = 0;                    /* guards on A (held by open views) */
byte open_views = 0;                /* ghost */
bool owner_gone = false;
bool owner_done = false;            /* the owner thread has exited */
byte xidata_out = 0;                /* XiData references made and not yet released */
bool handed = false;                /* the references were handed to B */

inline gil_acquire(i) {
    atomic {
        gil[i] == 0 -> gil[i] = _pid + 1;
        printf("XI|%d|%d|gil.attach|ok|\n", _pid, i)
    }
}

inline gil_release(i) {
    atomic {
        assert(gil[i] == _pid + 1);
        gil[i] = 0;
        printf("XI|%d|%d|gil.detach|ok|\n", _pid, i)
    }
}

/* A touch of the object: never after it is freed. */
#define ALIVE assert(created && !freed)

/* Table::incref / Table::decref (Py_INCREF / Py_DECREF) as a read and a
 * write: the caller must hold the GIL of interpreter `under`; the
 * assertions say whether that was enough (XI-1, XI-3). `tmp` is the
 * caller's scratch. */
inline table_incref(under, tmp) {
    atomic { ALIVE; tmp = rc; printf("XI|%d|%d|refcount.load|for an incref|refcount=%d\n", _pid, under, rc) };
    atomic {
        rc = tmp + 1;
        printf("XI|%d|%d|refcount.incref|object of I1|refcount=%d\n", _pid, under, rc)
    }
}

inline table_decref(under, tmp) {
    atomic { ALIVE; tmp = rc; printf("XI|%d|%d|refcount.load|for a decref|refcount=%d\n", _pid, under, rc) };
    atomic {
        rc = tmp - 1;
        printf("XI|%d|%d|refcount.decref|object of I1|refcount=%d\n", _pid, under, rc);
        if
        :: rc == 0 ->
            freed = true;
            frees++;
            printf("XI|%d|%d|object.free|freed|frees=%d\n", _pid, under, frees);
            assert(frees == 1)                 /* freed exactly once */
        :: else -> skip
        fi
    }
}

/* Pending::push(A, decref): `pushed` false if the ring is full (the
 * caller retries) or the owner is gone (the reference leaks). */
inline pending_push(pushed) {
    atomic {
        if
        :: owner_gone ->
            pushed = true;                     /* nothing to retry: it failed for good */
            leaked = true;
            printf("XI|%d|%d|pendingcalls.push|failed: the owner is gone, the reference leaks|\n", _pid, A)
        :: !owner_gone && ring < RING ->
            ring++;
            pushed = true;
            printf("XI|%d|%d|pendingcalls.push|ok|ring=%d\n", _pid, A, ring)
        :: !owner_gone && ring >= RING ->
            pushed = false;
            printf("XI|%d|%d|pendingcalls.push|full: try again|ring=%d\n", _pid, A, ring)
        fi
    }
}

/* pending::run: by a thread of A holding A's GIL. */
inline pending_run(tmp) {
    assert(gil[A] == _pid + 1);
    do
    :: ring > 0 ->
        atomic { ring--; printf("XI|%d|%d|pendingcalls.run|runs a decref|ring=%d\n", _pid, A, ring) };
        table_decref(A, tmp)
    :: else -> break
    od
}

/* XiData::release, from a thread attached to B. */
inline xidata_release(tmp, pushed) {
#ifdef BUG_DECREF_UNDER_OWN_GIL
    table_decref(B, tmp);                      /* the bug: under B's GIL, racing A's threads */
#else
    pushed = false;
    do
    :: !pushed -> pending_push(pushed)
    :: else -> break
    od;
#endif
    xidata_out--
}

/* The owner's thread: creates the object and hands B one plain XiData
 * reference and, if `with_view`, an XiView (a reference plus a guard on A,
 * taken here, in the owner, at hand-off). If `touch_later` it then uses the
 * object through a temporary reference; it drops its own reference, runs
 * the pending calls once more, and exits. */
proctype Owner(bool with_view; bool touch_later) {
    byte tmp;
    printf("XI-NAME|%d|owner\n", _pid);
    gil_acquire(A);
    atomic { rc = 1; created = true; printf("XI|%d|%d|object.create|ok|refcount=1\n", _pid, A) };
Attached_share:
    table_incref(A, tmp);
    xidata_out++;
    if
    :: with_view ->
XiData_into_view:
        table_incref(A, tmp);
        atomic {
            xidata_out++;
#ifndef MUTANT_VIEW_WITHOUT_GUARD
            guards++;
#endif
            open_views++;
            printf("XI|%d|%d|xiview.open|ok: holds a guard on I1|guards=%d\n", _pid, A, guards)
        }
    :: else -> skip
    fi;
    handed = true;
    gil_release(A);
    gil_acquire(A);
    if
    :: touch_later ->
        table_incref(A, tmp);                  /* a temporary reference */
        atomic { ALIVE; printf("XI|%d|%d|object.use|ok|refcount=%d\n", _pid, A, rc) };
        table_decref(A, tmp)
    :: else -> skip
    fi;
    atomic { ALIVE; printf("XI|%d|%d|object.use|ok|refcount=%d\n", _pid, A, rc) };
    table_decref(A, tmp);                      /* its own reference */
    gil_release(A);
pending_on_attach:
    gil_acquire(A);
    pending_run(tmp);
    gil_release(A);
    owner_done = true
}

/* A thread of B: releases its plain XiData reference (a pending call on A,
 * while its view, if any, still holds A alive), then closes its view. */
proctype Receiver() {
    byte tmp;
    bool pushed;
    printf("XI-NAME|%d|receiver\n", _pid);
    handed;                                    /* the references arrived */
    gil_acquire(B);
XiData_release:
    xidata_release(tmp, pushed);
    if
    :: open_views > 0 ->
XiView_close:
        gil_release(B);
        gil_acquire(A);
        table_decref(A, tmp);
        gil_release(A);
        gil_acquire(B);
        atomic {
#ifndef MUTANT_VIEW_WITHOUT_GUARD
            guards--;
#endif
            open_views--;
            xidata_out--;
            printf("XI|%d|%d|xiview.close|ok: back in I2, guard dropped|guards=%d\n", _pid, B, guards)
        }
    :: else -> skip
    fi;
    gil_release(B)
}

/* The owner's finalization: joins its thread, waits for every guard, then
 * (CPython's _Py_FinishPendingCalls) runs the pending calls left, and the
 * interpreter is gone. */
proctype OwnerFinalizer() {
    byte tmp;
    printf("XI-NAME|%d|finalizer\n", _pid);
Interpreter_finalize:
    atomic {
        guards == 0 && owner_done ->
        owner_gone = true;
        printf("XI|%d|%d|finalize.begin|ok: no guard is held|views=%d\n", _pid, A, open_views);
        assert(open_views == 0)                /* never finalizes with an open view */
    };
xi_teardown:
    gil_acquire(A);
    pending_run(tmp);
    gil_release(A)
}

/* At the end of a run: the object was freed, and no reference leaked. */
inline check_freed() {
    printf("XI|%d|-|object.check|end of the run|refcount=%d freed?=%d leaked?=%d\n", _pid, rc, freed, leaked);
    assert(freed && !leaked)
}
