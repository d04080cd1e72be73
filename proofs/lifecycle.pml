/*
 * lifecycle.pml -- the interpreter lifecycle protocol (PEP 788 guards and
 * finalization), under both guard policies.
 *
 * Rust:  src/interp/lifecycle.rs  (Lifecycle::acquire, release, request,
 *                                  begin_finalizing, mark_finalized)
 *        src/interp/finalize.rs   (Interpreter::finalize and its steps)
 * Docs:  docs/proofs.md (bounds, simplifications, results, name map),
 *        docs/lifecycle.md (the protocol in prose).
 *
 * Follows the Rust design at main 6330993: admission by fetch_add (a
 * refused guard is undone by a fetch_sub that behaves like a release),
 * REQUESTED claims the finalizer role (step 0), DRAINING is set at the
 * guard wait (step 3) under the drain policy, Finalizing by a CAS from a
 * word with zero guards, Finalized by a fetch_add on the phase bits.
 *
 * This file is the protocol only: the state word, the inlines that stand
 * for the Rust functions and the proctypes of the threads that use them.
 * An inline is named after its Rust function in lower case
 * (lifecycle_acquire for Lifecycle::acquire); each call site carries the
 * label with the Rust name (Lifecycle_acquire:), because Promela allows no
 * label at the start of an inline body. Interpreter_finalize's steps
 * (wait_for_threads, run_atexit, ...) are labels too. The wrappers
 * `lifecycle_<policy>_<bounds>.pml` #define the policy and the bounds,
 * #include this file and start the processes.
 *
 * Knobs (each wrapper sets what it needs before the #include):
 *   DRAIN_POLICY 0|1       0: CPython's policy (guards are admitted until
 *                          the CAS into Finalizing). 1: drain policy (at the
 *                          guard wait the finalizer sets DRAINING; no guard
 *                          is admitted after that).
 *   ACQUIRE_BY_CAS         acquire by load + CAS (the design before main
 *                          6330993) instead of fetch_add + undo.
 *   MUTANT_DRAIN_NO_LOOK   drain policy: acquire counts without looking
 *                          first (main 6330993..8d8021e), which lets refused
 *                          attempts starve the finalizer.
 *   MUTANT_NO_WAKEUP       release never notifies the waiting finalizer.
 *   MUTANT_UNLOCKED_NOTIFY release notifies without taking the wait lock
 *                          (the classic lost wake-up).
 *   MUTANT_ACQUIRE_SKIPS_PHASE  acquire does not look at the phase.
 *   MUTANT_NO_ZERO_CHECK   begin_finalizing does not wait for zero guards.
 *   TEARDOWN_CHECK         an expression that must hold at teardown (for
 *                          specs that include this one).
 *   TEARDOWN_ENTER / TEARDOWN_EXIT  statements around teardown (the
 *                          thread-state spec takes the interpreter's GIL).
 *
 * Modelling choices (docs/proofs.md lists them all):
 *   - The word is one byte changed only by whole-word atomic steps (load,
 *     fetch_add/sub/or, compare-and-swap). Atomics are sequentially
 *     consistent here; the memory orderings are loom's job.
 *   - The wait lock is a byte (0 free, else owner pid + 1). The condvar is a
 *     per-waiter "asleep" bit: wait sets it and frees the lock in one step
 *     (as a condvar does), then blocks until a notify clears it and the lock
 *     is free again. notify_all clears every bit. A notify that comes before
 *     the waiter sets its bit is lost, exactly as with a real condvar.
 *     No spurious wake-ups (the Rust loop re-reads the word anyway).
 *   - No deadline: finalize_timeout and Lifecycle::abandon are not modelled.
 */

#ifndef DRAIN_POLICY
#define DRAIN_POLICY 0
#endif

/* The interpreter this spec is about, as traces name it. */
#ifndef LC_INTERP
#define LC_INTERP 1
#endif

/* ---- the state word: the Rust layout, in a byte ---- */
#define RUNNING     0
#define FINALIZING  1
#define FINALIZED   2
#define PHASE_MASK  3
#define WAITING     4     /* a finalizer is (about to be) asleep until guards == 0 */
#define REQUESTED   8     /* a finalizer has claimed the interpreter (step 0) */
#define DRAINING    16    /* drain policy: the finalizer waits for guards; none is admitted */
#define ONE_GUARD   32    /* the count lives in bits 5..7: at most 7, refused ones included */
#define MAX_GUARDS  6     /* Rust keeps the count far below the word's capacity; here 6 < 7 */

#define PHASE(w)        ((w) & PHASE_MASK)
#define GUARDS(w)       ((w) / ONE_GUARD)
#define IS_WAITING(w)   (((w) & WAITING) != 0)
#define IS_REQUESTED(w) (((w) & REQUESTED) != 0)
#define IS_DRAINING(w)  (((w) & DRAINING) != 0)

/* Lifecycle::refuse: the bits that refuse a guard. */
#if DRAIN_POLICY
#define REFUSE (PHASE_MASK | DRAINING)
#else
#define REFUSE PHASE_MASK
#endif

/* Whether the word `before` a guard's fetch_add admits it. */
#ifdef MUTANT_ACQUIRE_SKIPS_PHASE
#define ADMITS(before)  (GUARDS(before) < MAX_GUARDS)
#else
#define ADMITS(before)  (((before) & REFUSE) == 0 && GUARDS(before) < MAX_GUARDS)
#endif

/* Phase names (and the drain refusal) for printf's %e. */
mtype = { running, finalizing, finalized, draining };
#define PHASE_NAME(w)    (PHASE(w) == RUNNING -> running : (PHASE(w) == FINALIZING -> finalizing : finalized))
#define REFUSAL_NAME(w)  (PHASE(w) != RUNNING -> PHASE_NAME(w) : draining)

byte word = RUNNING;

/* The wait lock and the condvar `zero_guards` (see the header). */
byte wait_lock = 0;
#define MAX_WAITERS 2
bit  cv_asleep[MAX_WAITERS];

/* ---- ghost state: what the properties talk about, not part of the protocol ---- */
bool fin_begun = false;   /* the CAS into Finalizing succeeded */
bool torn_down = false;   /* the interpreter's state is gone */
byte held = 0;            /* guards admitted and not yet released */
byte nondaemon_alive = 0; /* non-daemon threads still running */
byte finalized_ok = 0;    /* finalizers whose Interpreter_finalize returned Ok */

/* ---- trace lines ----
 * Every protocol step prints one line, in the same atomic step as the
 * transition it reports:  XI|pid|interp|op|outcome|state
 * and every process first prints its name:  XI-NAME|pid|name
 * In the state, keys ending in `?` are flags: `k?=1` renders as `k`, `k?=0`
 * is dropped (the Rust Word's Display order: finalize-requested, draining,
 * finalizer-waiting). Promela has no string concatenation, so each printf
 * spells its format out in full; EV_STATE only supplies the arguments. */
#define EV_STATE(w)  PHASE_NAME(w), GUARDS(w), (IS_REQUESTED(w) && PHASE(w) == RUNNING), IS_DRAINING(w), IS_WAITING(w)

/* ---- the wait lock and the condvar ---- */
inline mutex_lock() {
    atomic { wait_lock == 0 -> wait_lock = _pid + 1 }
}

inline mutex_unlock() {
    assert(wait_lock == _pid + 1);
    wait_lock = 0
}

/* Condvar::wait, in its two halves. condVar_sleep: go to sleep and free
 * the lock in one step (the caller wraps it in an atomic with its trace
 * line, so the trace shows the moment the waiter is really asleep).
 * condVar_rewake: blocks until a notify cleared the bit and the lock is
 * free, then holds the lock again. */
inline condVar_sleep(me) {
    assert(wait_lock == _pid + 1);
    cv_asleep[me] = 1;
    wait_lock = 0
}

inline condVar_rewake(me) {
    atomic { cv_asleep[me] == 0 && wait_lock == 0 -> wait_lock = _pid + 1 }
}

inline condVar_notify_all() {
    atomic { cv_asleep[0] = 0; cv_asleep[1] = 0 }
}

/* Lifecycle::after_uncount: wake a waiting finalizer if a decrement left
 * zero guards with WAITING set (`before` is the word before the fetch_sub). */
inline wake_if_last(before) {
    if
    :: GUARDS(before) == 1 && IS_WAITING(before) ->
#if defined(MUTANT_NO_WAKEUP)
        skip
#elif defined(MUTANT_UNLOCKED_NOTIFY)
        condVar_notify_all();
        printf("XI|%d|%d|finalize.wake|notified (without the lock)|\n", _pid, LC_INTERP)
#else
        mutex_lock();
        condVar_notify_all();
        printf("XI|%d|%d|finalize.wake|notified|\n", _pid, LC_INTERP);
        mutex_unlock()
#endif
    :: else -> skip
    fi
}

/* ---- Lifecycle::acquire's count: fetch_add; admitted if the word before
 *      admits it, else undone by a fetch_sub that may wake the finalizer. ---- */
inline acquire_by_fetch_add(ok, before) {
    atomic {                                     /* fetch_add, Relaxed */
        before = word;
        word = word + ONE_GUARD;
        ok = ADMITS(before);
        if
        :: ok ->
            held++;
            printf("XI|%d|%d|guard.acquire|ok|phase=%e guards=%d finalize-requested?=%d draining?=%d finalizer-waiting?=%d\n",
                   _pid, LC_INTERP, EV_STATE(word));
            /* LC-1: no guard is admitted once finalization has begun */
            assert(!fin_begun)
        :: else ->
            printf("XI|%d|%d|guard.acquire|refused: %e (counted until the undo)|phase=%e guards=%d finalize-requested?=%d draining?=%d finalizer-waiting?=%d\n",
                   _pid, LC_INTERP, REFUSAL_NAME(before), EV_STATE(word))
        fi
    };
    if
    :: !ok ->                                    /* Lifecycle::refused -> uncount */
        atomic {
            before = word;
            word = word - ONE_GUARD;
            printf("XI|%d|%d|guard.undo|ok: the refused guard is uncounted|phase=%e guards=%d finalize-requested?=%d draining?=%d finalizer-waiting?=%d\n",
                   _pid, LC_INTERP, EV_STATE(word));
            assert(GUARDS(before) > 0)
        };
        wake_if_last(before)
    :: else -> skip
    fi
}

/* ---- Lifecycle::acquire. Under the drain policy it first looks at the
 *      word and refuses without counting once DRAINING is set (main
 *      8d8021e: without the look, a stream of refused attempts starves the
 *      finalizer, which MUTANT_DRAIN_NO_LOOK keeps proven). Under CPython's
 *      policy it counts at once.
 *      ACQUIRE_BY_CAS: the earlier design instead (load, then CAS guards+1
 *      only if the word admits it; a refused attempt writes nothing). ---- */
inline lifecycle_acquire(ok, before) {
#ifdef ACQUIRE_BY_CAS
    before = word;                               /* Relaxed load */
    do
    :: ADMITS(before) ->
        atomic {                                 /* compare_exchange */
            if
            :: word == before ->
                word = before + ONE_GUARD;
                ok = true;
                held++;
                printf("XI|%d|%d|guard.acquire|ok|phase=%e guards=%d finalize-requested?=%d draining?=%d finalizer-waiting?=%d\n",
                       _pid, LC_INTERP, EV_STATE(word));
                assert(!fin_begun)
            :: else ->
                before = word;
                ok = false
            fi
        };
        if
        :: ok -> break
        :: else -> skip
        fi
    :: !ADMITS(before) ->
        ok = false;
        printf("XI|%d|%d|guard.acquire|refused: %e|phase=%e guards=%d finalize-requested?=%d draining?=%d finalizer-waiting?=%d\n",
               _pid, LC_INTERP, REFUSAL_NAME(before), EV_STATE(before));
        break
    od
#else
#if DRAIN_POLICY && !defined(MUTANT_DRAIN_NO_LOOK)
    before = word;                               /* the look: Relaxed load */
    ok = ADMITS(before);
    if
    :: !ok ->
        printf("XI|%d|%d|guard.acquire|refused: %e|phase=%e guards=%d finalize-requested?=%d draining?=%d finalizer-waiting?=%d\n",
               _pid, LC_INTERP, REFUSAL_NAME(before), EV_STATE(before))
    :: else ->
        acquire_by_fetch_add(ok, before)
    fi
#else
    acquire_by_fetch_add(ok, before)
#endif
#endif
}

/* ---- Lifecycle::release: fetch_sub; wakes the finalizer at 0 if WAITING ---- */
inline lifecycle_release(before) {
    atomic {                                     /* fetch_sub, Release */
        before = word;
        word = word - ONE_GUARD;
        held--;
        printf("XI|%d|%d|guard.release|ok|phase=%e guards=%d finalize-requested?=%d draining?=%d finalizer-waiting?=%d\n",
               _pid, LC_INTERP, EV_STATE(word));
        /* LC-2: a held guard is never released after finalization began,
         * and a count never goes below zero */
        assert(PHASE(before) == RUNNING && GUARDS(before) > 0)
    };
    wake_if_last(before)
}

/* ---- Lifecycle::request: fetch_or REQUESTED; only the first caller, while
 *      Running, gets Ok (step 0) ---- */
inline lifecycle_request(ok, before) {
    atomic {                                     /* fetch_or, Relaxed */
        before = word;
        word = word | REQUESTED;
        ok = !IS_REQUESTED(before) && PHASE(before) == RUNNING;
        if
        :: ok ->
            printf("XI|%d|%d|finalize.request|ok|phase=%e guards=%d finalize-requested?=%d draining?=%d finalizer-waiting?=%d\n",
                   _pid, LC_INTERP, EV_STATE(word))
        :: else ->
            printf("XI|%d|%d|finalize.request|refused: already finalizing|phase=%e guards=%d finalize-requested?=%d draining?=%d finalizer-waiting?=%d\n",
                   _pid, LC_INTERP, EV_STATE(before))
        fi
    }
}

/* The finalizer reads the word (an Acquire load), and says what it saw. */
inline finalize_check(cur) {
    atomic {
        cur = word;
        printf("XI|%d|%d|finalize.check|read the word|phase=%e guards=%d finalize-requested?=%d draining?=%d finalizer-waiting?=%d\n",
               _pid, LC_INTERP, EV_STATE(cur))
    }
}

/* ---- Lifecycle::begin_finalizing: (drain: set DRAINING), then wait for
 *      zero guards and CAS into Finalizing. Only the requester calls it.
 *      `me` indexes the finalizer's condvar bit. ---- */
inline lifecycle_begin_finalizing(me, ok, cur) {
#if DRAIN_POLICY
    atomic {                                     /* fetch_or, Relaxed */
        word = word | DRAINING;
        printf("XI|%d|%d|finalize.drain|ok: no new guard is admitted|phase=%e guards=%d finalize-requested?=%d draining?=%d finalizer-waiting?=%d\n",
               _pid, LC_INTERP, EV_STATE(word))
    };
#endif
    mutex_lock();
    finalize_check(cur);                         /* Acquire load */
    ok = false;
    do
    :: ok -> break
    :: !ok && PHASE(cur) != RUNNING ->
        /* only the requester gets here, and nobody else leaves Running */
        assert(false)
#ifdef MUTANT_NO_ZERO_CHECK
    :: !ok && PHASE(cur) == RUNNING ->
#else
    :: !ok && PHASE(cur) == RUNNING && GUARDS(cur) == 0 ->
#endif
        atomic {                                 /* compare_exchange, Acquire */
            if
            :: word == cur ->
                word = FINALIZING | REQUESTED;
                fin_begun = true;
                ok = true;
                printf("XI|%d|%d|finalize.begin|ok: no guard can be taken now|phase=%e guards=%d finalize-requested?=%d draining?=%d finalizer-waiting?=%d\n",
                       _pid, LC_INTERP, EV_STATE(word))
            :: else ->
                cur = word;
                printf("XI|%d|%d|finalize.check|CAS lost: the word changed|phase=%e guards=%d finalize-requested?=%d draining?=%d finalizer-waiting?=%d\n",
                       _pid, LC_INTERP, EV_STATE(cur))
            fi
        };
        if
        :: ok -> mutex_unlock()
        :: else -> skip
        fi
    :: !ok && PHASE(cur) == RUNNING && GUARDS(cur) > 0 && !IS_WAITING(cur) ->
        atomic {                                 /* CAS: set WAITING */
            if
            :: word == cur ->
                word = cur | WAITING;
                cur = word
            :: else ->
                cur = word;
                printf("XI|%d|%d|finalize.check|CAS lost: the word changed|phase=%e guards=%d finalize-requested?=%d draining?=%d finalizer-waiting?=%d\n",
                       _pid, LC_INTERP, EV_STATE(cur))
            fi
        }
    :: !ok && PHASE(cur) == RUNNING && GUARDS(cur) > 0 && IS_WAITING(cur) ->
        atomic {
            /* the word as it is when the finalizer falls asleep, not as it
             * last read it: a lost wake-up shows as asleep with 0 guards */
            printf("XI|%d|%d|finalize.wait|blocked until no guard is held|phase=%e guards=%d finalize-requested?=%d draining?=%d finalizer-waiting?=%d\n",
                   _pid, LC_INTERP, EV_STATE(word));
            condVar_sleep(me)
        };
        condVar_rewake(me);
        finalize_check(cur)                      /* Acquire load */
    od
}

/* ---- Lifecycle::mark_finalized: fetch_add on the phase bits ---- */
inline lifecycle_mark_finalized() {
    atomic {
        word = word + 1;                         /* Finalizing (01) -> Finalized (10) */
        printf("XI|%d|%d|finalize.done|ok|phase=%e guards=%d finalize-requested?=%d draining?=%d finalizer-waiting?=%d\n",
               _pid, LC_INTERP, EV_STATE(word))
    }
}

/* A guard holder uses the interpreter's state (Guard::with_state). */
inline guard_use() {
    atomic {
        printf("XI|%d|%d|guard.use|ok|\n", _pid, LC_INTERP);
        /* LC-2: never torn down while a guard is held */
        assert(!torn_down)
    }
}

/* ---- the threads ---- */

/* Interpreter::finalize (src/interp/finalize.rs), with its steps. */
proctype Finalizer(byte me) {
    bool ok;
    byte cur;
    printf("XI-NAME|%d|finalizer-%d\n", _pid, me + 1);
Interpreter_finalize:
Lifecycle_request:
    /* step 0: claim the finalizer role; a second finalizer returns here */
    lifecycle_request(ok, cur);
    if
    :: !ok -> goto finalize_returned
    :: else -> skip
    fi;
wait_for_threads:
    /* step 1: join the non-daemon threads: blocks until none is left */
    nondaemon_alive == 0;
    printf("XI|%d|%d|finalize.threads|no non-daemon thread runs|\n", _pid, LC_INTERP);
run_atexit:
    /* step 2 */
    printf("XI|%d|%d|finalize.atexit|ran 0 callback(s)|\n", _pid, LC_INTERP);
begin_finalizing:
Lifecycle_begin_finalizing:
    /* step 3 */
    lifecycle_begin_finalizing(me, ok, cur);
teardown:
    /* step 5 (step 4 is for the main interpreter only) */
#ifdef TEARDOWN_ENTER
    TEARDOWN_ENTER;                              /* e.g. take the interpreter's GIL */
#endif
    atomic {
        torn_down = true;
        printf("XI|%d|%d|finalize.teardown|ok: state dropped|state=gone\n", _pid, LC_INTERP);
        /* LC-2, from the finalizer's side */
        assert(held == 0);
#ifdef TEARDOWN_CHECK
        /* what an including spec adds (e.g. no EnsureFromView token open) */
        assert(TEARDOWN_CHECK)
#endif
    };
#ifdef TEARDOWN_EXIT
    TEARDOWN_EXIT;
#endif
mark_finalized:
Lifecycle_mark_finalized:
    /* step 6 */
    lifecycle_mark_finalized();
    finalized_ok++;
finalize_returned:
    skip
}

/* A thread that takes a guard `rounds` times (View::guard, use, drop). */
proctype Holder(byte id; byte rounds) {
    bool ok;
    byte cur;
    byte done = 0;
    printf("XI-NAME|%d|holder-%d\n", _pid, id);
    do
    :: done < rounds ->
        lifecycle_acquire(ok, cur);
        if
        :: ok -> guard_use(); lifecycle_release(cur); done++
        :: else -> break
        fi
    :: else -> break
    od
}

/* A thread that takes guards for ever: acquire, use, release, again, until
 * a guard is refused. Two of them overlap, and may keep the count above
 * zero at every moment the finalizer looks. */
proctype Taker(byte id) {
    bool ok;
    byte cur;
    printf("XI-NAME|%d|taker-%d\n", _pid, id);
    do
    :: true ->
Lifecycle_acquire:
        lifecycle_acquire(ok, cur);
        if
        :: ok ->
Guard_use:
            guard_use();
Lifecycle_release:
            lifecycle_release(cur)
        :: else -> break
        fi
    od
}

/* A non-daemon thread of the interpreter: runs, then exits; finalize joins
 * it before anything else. */
proctype NonDaemon(byte id) {
    printf("XI-NAME|%d|thread-%d\n", _pid, id);
    atomic {
        printf("XI|%d|%d|thread.run|ok|\n", _pid, LC_INTERP);
        /* finalize joins non-daemon threads before tearing down */
        assert(!torn_down)
    };
    nondaemon_alive--
}

/* A stream of guard attempts that never ends: each round is a new request
 * (from this thread or any other) that takes a guard, uses it and releases
 * it, or is refused and goes on. Unlike a Taker it does not stop when
 * refused: under the fetch_add design a refused attempt still counts for a
 * moment. */
proctype Requester(byte id) {
    bool ok;
    byte cur;
    printf("XI-NAME|%d|requests-%d\n", _pid, id);
    do
    :: true ->
Lifecycle_acquire:
        lifecycle_acquire(ok, cur);
        if
        :: ok ->
Guard_use:
            guard_use();
Lifecycle_release:
            lifecycle_release(cur)
        :: else -> skip
        fi;
        ok = false; cur = 0
    od
}
