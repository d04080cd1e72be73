/*
 * thread_state.pml -- per-thread, per-interpreter thread states:
 * PyThreadState_Ensure / EnsureFromView / Release (PEP 788), attach and
 * detach (PEP 684 per-interpreter GILs).
 *
 * Rust:  src/thread_state/ (ensure, ensure_from_view, Token::release and
 *        the private ensure_slot, finish, attach, detach), src/gil.rs
 *        (Gil::acquire / release, which attach and detach call). The guard
 *        protocol comes from lifecycle.pml (src/interp/lifecycle.rs),
 *        #included below.
 * Docs:  docs/proofs.md (bounds, simplifications, results, name map);
 *        docs/invariants.md (TS-1, TS-2, TS-5, LC-7, LEG-3 cite these proofs).
 *
 * Names follow lifecycle.pml: an inline is named after the Rust function
 * whose body it models, in lower case, with its module or type
 * (thread_state_finish for thread_state::finish); a label at a call site
 * names the Rust function called there, `::` written `_`
 * (thread_state_ensure: for thread_state::ensure, Token_release: for
 * Token::release). Where the Rust call goes through a thin public function
 * to a private one, the label names the public function and the inline the
 * private one; Promela allows no label with an inline's name anyway.
 *
 *   Promela                              Rust (src/thread_state/ unless said)
 *   label thread_state_ensure            thread_state::ensure (also ensure_owned)
 *   label thread_state_ensure_from_view  thread_state::ensure_from_view (a guard
 *                                        from the view, then ensure; the token
 *                                        holds the guard until its release)
 *   inline thread_state_ensure_slot      ensure_slot: the three cases of ensure
 *   label Token_release                  Token::release (and Drop for Token),
 *                                        through release_serial
 *   inline thread_state_finish           finish: count - 1, detach, delete an
 *                                        owned state at zero, restore the
 *                                        previous one
 *   inline thread_state_attach           attach: Gil::acquire (src/gil.rs); the
 *                                        refusal when the interpreter is
 *                                        finalizing stands for the guard
 *                                        refusal that precedes every attach in
 *                                        Rust (GuardError). The pending calls
 *                                        Rust runs there are xi.pml's subject.
 *   inline thread_state_detach           detach: Gil::release
 *   label Attached_allow_threads         Attached::allow_threads
 *   label Guard_close                    Guard::close (src/guard.rs)
 *   labels Lifecycle_acquire,            Lifecycle::acquire / release, reached
 *          Lifecycle_release             through Guard / OwnedGuard (lifecycle.pml)
 *   proctype Thread                      a user thread nesting ensures
 *   proctype Daemon                      a daemon thread (PEP 788's warning)
 *   ts_invariant                         ghost: no Rust function
 *
 * Interpreter 0 is the main interpreter (never finalized here); interpreter
 * 1 is a subinterpreter with the lifecycle of lifecycle.pml (LC_INTERP 1),
 * finalized by a Finalizer process. Each interpreter has its own GIL.
 *
 * For OS thread t and interpreter i there is at most one thread state, with
 * a counter and an `owned` flag (created by ensure, so deleted by the
 * release that brings its counter to zero). ensure(i):
 *   (1) the thread is attached to i              -> counter + 1
 *   (2) it is not, but has a detached state for i -> detach from the current
 *       interpreter (if any), re-attach that state, counter + 1
 *   (3) otherwise                                 -> detach, create, attach,
 *       mark owned, counter = 1
 * and returns a token remembering the previously attached interpreter.
 * release(token): counter - 1 (a release at zero is an error that changes
 * nothing); at zero an owned state is deleted; the previous attachment is
 * restored. EnsureFromView takes a guard first (refused once finalization
 * began) and the matching release closes it last.
 *
 * Knobs:
 *   ATTACH_HANGS_WHEN_FINALIZING  CPython: attaching to an interpreter
 *       that is finalizing blocks the thread for ever. Without it, xinterp:
 *       the attach is refused with a typed error.
 *   MAX_DEPTH, MAX_OPS  bounds of each thread's nested program.
 *   DAEMON_FROM_VIEW    the Daemon process uses EnsureFromView (else: a
 *                       guard, Ensure(guard), then closes the guard).
 *   MUTANT_NO_RESTORE   release does not re-attach the previous state.
 *   MUTANT_KEEP_OWNED   release does not delete an owned state at zero.
 */

#ifndef LC_INTERP
#define LC_INTERP 1
#endif
#define MAIN 0
#define SUB  1
#define NI   2              /* interpreters */
#define NT   2              /* OS threads that ensure */
#define NONE 255            /* attached to no interpreter */

#define TS(t, i) ((t) * NI + (i))

bit  ts_exists[NT * NI];
bit  ts_owned[NT * NI];
byte ts_count[NT * NI];
byte attached[NT];          /* the interpreter each thread is attached to, or NONE */
byte gil[NI];               /* 0 free, else thread index + 1, or FINALIZER_GIL */
byte view_tokens = 0;       /* ghost: EnsureFromView tokens not yet released */

/* The finalizer tears sub down holding sub's GIL, as CPython's does: it
 * waits for the attached thread to detach. (Declared before lifecycle.pml,
 * which expands these in Finalizer.) */
#define FINALIZER_GIL 200
#define TEARDOWN_ENTER atomic { gil[SUB] == 0 -> gil[SUB] = FINALIZER_GIL; printf("XI|%d|%d|gil.attach|ok: the finalizer|gil=finalizer\n", _pid, SUB) }
#define TEARDOWN_EXIT  atomic { gil[SUB] = 0; printf("XI|%d|%d|gil.detach|ok: the finalizer|gil=free\n", _pid, SUB) }


#include "lifecycle.pml"


#ifndef MAX_DEPTH
#define MAX_DEPTH 1
#endif
#ifndef MAX_OPS
#define MAX_OPS 1
#endif

/* token kinds */
#define TOK_MAIN  0         /* ensure(main): no guard needed, main never finalizes here */
#define TOK_GUARD 1         /* a guard on SUB, then ensure(guard); the guard closed after release */
#define TOK_VIEW  2         /* EnsureFromView(SUB): the implicit guard released by release */

/* thread_state::attach: take interpreter i's GIL (Gil::acquire), in one
 * step once it is free. `ok` false: refused at once (xinterp's typed
 * error, which Rust returns from the guard every attach takes first)
 * because the interpreter is finalizing or gone; with
 * ATTACH_HANGS_WHEN_FINALIZING the thread blocks for ever instead, as
 * CPython's take_gil does. */
inline thread_state_attach(t, i, ok) {
    atomic {
        assert(attached[t] == NONE);        /* never two GILs at once */
        if
        :: i == SUB && PHASE(word) != RUNNING ->
#ifdef ATTACH_HANGS_WHEN_FINALIZING
            printf("XI|%d|%d|gil.attach|hangs: finalization has begun|phase=%e\n", _pid, i, PHASE_NAME(word));
            false
#else
            ok = false;
            printf("XI|%d|%d|gil.attach|refused: finalization has begun|phase=%e\n", _pid, i, PHASE_NAME(word))
#endif
        :: !(i == SUB && PHASE(word) != RUNNING) && gil[i] == 0 ->
            gil[i] = t + 1;
            attached[t] = i;
            ok = true;
            printf("XI|%d|%d|gil.attach|ok|gil=thread-%d\n", _pid, i, t);
            /* a thread attaches to SUB only while a guard keeps it alive */
            assert(i != SUB || !torn_down)
        fi
    }
}

/* thread_state::detach: release the GIL (Gil::release), inside the
 * caller's atomic step. */
inline thread_state_detach(t) {
    assert(attached[t] != NONE && gil[attached[t]] == t + 1);
    printf("XI|%d|%d|gil.detach|ok|gil=free\n", _pid, attached[t]);
    gil[attached[t]] = 0;
    attached[t] = NONE
}

/*
 * thread_state::ensure_slot(i), the body of thread_state::ensure ->
 * token (prev); `ok` false if attaching failed.
 * The bookkeeping is thread-local, so each part is one atomic step; the
 * only waits are for a GIL (and, before this, for a guard).
 */
inline thread_state_ensure_slot(t, i, prev, ok) {
    atomic {
        prev = attached[t];
        ok = true;
        if
        :: prev == i ->
            ts_count[TS(t, i)]++;
            printf("XI|%d|%d|threadstate.ensure|(1) already attached: reused|exists?=%d owned?=%d count=%d\n", _pid, i,
                   ts_exists[TS(t, i)], ts_owned[TS(t, i)], ts_count[TS(t, i)])
        :: prev != i && prev != NONE -> thread_state_detach(t)
        :: prev == NONE -> skip
        fi
    };
    if
    :: prev != i ->
        thread_state_attach(t, i, ok);
        atomic {
            if
            :: ok && ts_exists[TS(t, i)] ->
                ts_count[TS(t, i)]++;
                printf("XI|%d|%d|threadstate.ensure|(2) re-attached the thread's detached state|exists?=%d owned?=%d count=%d\n",
                       _pid, i, ts_exists[TS(t, i)], ts_owned[TS(t, i)], ts_count[TS(t, i)])
            :: ok && !ts_exists[TS(t, i)] ->
                ts_exists[TS(t, i)] = 1;
                ts_owned[TS(t, i)] = 1;
                ts_count[TS(t, i)] = 1;
                printf("XI|%d|%d|threadstate.ensure|(3) created, attached, owned|exists?=%d owned?=%d count=%d\n", _pid, i,
                       ts_exists[TS(t, i)], ts_owned[TS(t, i)], ts_count[TS(t, i)])
            :: !ok -> skip
            fi
        };
        /* a failed ensure leaves the thread where it was */
        if
        :: !ok && prev != NONE -> thread_state_attach(t, prev, ok); assert(ok); ok = false
        :: else -> skip
        fi
    :: else -> skip
    fi
}

/* thread_state::finish(token), the body of Token::release: `ok` false for
 * a release at zero (an error: nothing changes; in Rust a token is
 * consumed by its release, so this cannot be called). */
inline thread_state_finish(t, i, prev, ok) {
    atomic {
        if
        :: !ts_exists[TS(t, i)] || ts_count[TS(t, i)] == 0 ->
            ok = false;
            printf("XI|%d|%d|threadstate.release|error: not ensured (counter is zero)|exists?=%d count=%d\n", _pid, i,
                   ts_exists[TS(t, i)], ts_count[TS(t, i)])
        :: else ->
            ok = true;
            assert(attached[t] == i);       /* releases nest inside ensures */
            ts_count[TS(t, i)]--;
            printf("XI|%d|%d|threadstate.release|ok|exists?=%d owned?=%d count=%d\n", _pid, i, ts_exists[TS(t, i)],
                   ts_owned[TS(t, i)], ts_count[TS(t, i)]);
            if
            :: prev != i -> thread_state_detach(t)
            :: else -> skip
            fi;
            if
#ifdef MUTANT_KEEP_OWNED
            :: false ->
#else
            :: ts_count[TS(t, i)] == 0 && ts_owned[TS(t, i)] ->
#endif
                ts_exists[TS(t, i)] = 0;
                ts_owned[TS(t, i)] = 0;
                printf("XI|%d|%d|threadstate.delete|owned state deleted at zero|exists?=0\n", _pid, i)
            :: else -> skip
            fi
        fi
    };
#ifndef MUTANT_NO_RESTORE
    if
    :: ok && prev != i && prev != NONE -> thread_state_attach(t, prev, ok); assert(ok)   /* restoring main cannot fail here */
    :: else -> skip
    fi
#endif
}

/* The invariant after every step of a thread: an owned state never lives
 * with a zero counter (it is deleted exactly when its counter hits zero),
 * and a state exists if the thread is attached through it. */
inline ts_invariant(t) {
    assert(!(ts_owned[TS(t, MAIN)] && ts_count[TS(t, MAIN)] == 0));
    assert(!(ts_owned[TS(t, SUB)] && ts_count[TS(t, SUB)] == 0));
    assert(attached[t] == NONE || ts_exists[TS(t, attached[t])])
}

/*
 * A thread running every nested program of at most MAX_OPS ensures, at
 * most MAX_DEPTH deep, over: ensure(main), guard + ensure(sub), and
 * EnsureFromView(sub). `start` is where it begins: NONE (a native thread)
 * or MAIN (attached through its own, not owned, thread state).
 */
proctype Thread(byte t; byte start) {
    byte tok_prev[MAX_DEPTH];
    byte tok_target[MAX_DEPTH];
    byte tok_kind[MAX_DEPTH];
    byte depth = 0;
    byte ops = 0;
    byte prev;
    byte cur;
    bool ok;
    bool g;
    byte orig_exists_main; byte orig_count_main; byte orig_exists_sub;
    printf("XI-NAME|%d|thread-%d\n", _pid, t);
    if
    :: start == MAIN ->
        atomic { ts_exists[TS(t, MAIN)] = 1; ts_count[TS(t, MAIN)] = 0 };
        thread_state_attach(t, MAIN, ok)
    :: else -> skip
    fi;
    orig_exists_main = ts_exists[TS(t, MAIN)];
    orig_count_main = ts_count[TS(t, MAIN)];
    orig_exists_sub = ts_exists[TS(t, SUB)];
    do
    :: depth < MAX_DEPTH && ops < MAX_OPS ->
        ops++;
        if
        :: true ->                          /* ensure(main) */
thread_state_ensure:
            thread_state_ensure_slot(t, MAIN, prev, ok);
            assert(ok);
            tok_prev[depth] = prev; tok_target[depth] = MAIN; tok_kind[depth] = TOK_MAIN; depth++
        :: true ->                          /* a guard on sub, then ensure(guard) */
Lifecycle_acquire:
            lifecycle_acquire(g, cur);
            if
            :: g ->                         /* thread_state::ensure(&guard): a label names one
                                             * call site per proctype, the one above */
                thread_state_ensure_slot(t, SUB, prev, ok);
                assert(ok);                 /* the guard keeps sub running */
                tok_prev[depth] = prev; tok_target[depth] = SUB; tok_kind[depth] = TOK_GUARD; depth++
            :: else -> skip
            fi
        :: true ->                          /* EnsureFromView(sub) */
thread_state_ensure_from_view:
            lifecycle_acquire(g, cur);
            if
            :: g ->
                view_tokens++;
                thread_state_ensure_slot(t, SUB, prev, ok);
                assert(ok);
                tok_prev[depth] = prev; tok_target[depth] = SUB; tok_kind[depth] = TOK_VIEW; depth++
            :: else ->
                printf("XI|%d|%d|threadstate.ensure_from_view|refused: finalizing|\n", _pid, SUB)
            fi
        fi;
        ts_invariant(t);
        prev = 0; cur = 0; ok = false; g = false      /* dead values: do not let them split states */
    :: depth > 0 ->
        depth--;
Token_release:
        thread_state_finish(t, tok_target[depth], tok_prev[depth], ok);
        assert(ok);
        if
        :: tok_kind[depth] == TOK_GUARD || tok_kind[depth] == TOK_VIEW ->
            if
            :: tok_kind[depth] == TOK_VIEW -> view_tokens--
            :: else -> skip
            fi;
Lifecycle_release:
            lifecycle_release(cur)
        :: else -> skip
        fi;
        ts_invariant(t);
        cur = 0; ok = false;
        tok_prev[depth] = 0; tok_target[depth] = 0; tok_kind[depth] = 0
    :: depth == 0 -> break
    od;
    /* balanced: back where it started */
    assert(attached[t] == start);
    assert(ts_exists[TS(t, MAIN)] == orig_exists_main && ts_count[TS(t, MAIN)] == orig_count_main);
    assert(ts_exists[TS(t, SUB)] == orig_exists_sub && !ts_owned[TS(t, SUB)] && ts_count[TS(t, SUB)] == 0);
    /* a release with no ensure left is an error that changes nothing */
    thread_state_finish(t, SUB, start, ok);
    assert(!ok && attached[t] == start);
    printf("XI|%d|-|thread.exit|back to its original thread state|\n", _pid);
    if
    :: start == MAIN -> thread_state_detach(t)
    :: else -> skip
    fi
}

/*
 * A daemon thread of the sub interpreter, the pattern PEP 788 warns about:
 * it ensures a thread state for sub, closes the guard it ensured with
 * (DAEMON_FROM_VIEW: uses EnsureFromView, whose guard lives until the
 * release), then runs code that detaches and re-attaches
 * (Py_BEGIN/END_ALLOW_THREADS). Finalization may run while it is detached.
 */
proctype Daemon(byte t) {
    byte prev;
    byte cur;
    bool ok;
    bool g;
    printf("XI-NAME|%d|daemon\n", _pid);
#ifdef DAEMON_FROM_VIEW
thread_state_ensure_from_view:              /* its guard, then ensure_slot below */
#else
Lifecycle_acquire:                          /* a guard, then thread_state::ensure(&guard) */
#endif
    lifecycle_acquire(g, cur);
    if
    :: !g -> goto daemon_exit
    :: else -> skip
    fi;
#ifndef DAEMON_FROM_VIEW
thread_state_ensure:
#endif
    thread_state_ensure_slot(t, SUB, prev, ok);
#ifndef DAEMON_FROM_VIEW
Guard_close:
    lifecycle_release(cur);                 /* the guard is closed: nothing holds finalization off */
#endif
Attached_allow_threads:
    atomic { thread_state_detach(t) };
    printf("XI|%d|%d|thread.run|blocking call, GIL released|\n", _pid, SUB);
    thread_state_attach(t, SUB, ok);
    if
    :: !ok ->
        printf("XI|%d|%d|thread.exit|attach refused: the thread exits|\n", _pid, SUB);
        goto daemon_exit
    :: else -> skip
    fi;
Token_release:
    thread_state_finish(t, SUB, prev, ok);
#ifdef DAEMON_FROM_VIEW
Lifecycle_release:                          /* the token's implicit guard, dropped last */
    lifecycle_release(cur);
#endif
daemon_exit:
    skip
}
