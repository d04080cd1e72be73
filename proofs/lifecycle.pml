/*
 * lifecycle.pml -- the interpreter lifecycle protocol (PEP 788 guards and
 * finalization), under both guard policies.
 *
 * Rust:  src/interp/lifecycle.rs  (Lifecycle::acquire, release, request,
 *                                  begin_finalizing, mark_finalized)
 *        src/interp/mod.rs        (Interpreter::finalize and its steps)
 * Docs:  docs/proofs.md (bounds, simplifications, results, name map),
 *        docs/lifecycle.md (the protocol in prose).
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
 *   DRAIN_POLICY 0|1       0: CPython's policy (wait until zero, then CAS
 *                          into Finalizing; guards are granted while the
 *                          finalizer waits). 1: drain policy (finalize first
 *                          sets DRAINING; no guard is granted after that).
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
 *   - The word is one byte read and written only by whole-word steps: a
 *     load, a store, or a compare-and-swap that is one atomic step. Atomics
 *     are sequentially consistent here; the memory orderings are loom's job.
 *   - The wait lock is a byte (0 free, else owner pid + 1). The condvar is a
 *     per-waiter "asleep" bit: wait sets it and frees the lock in one step
 *     (as a condvar does), then blocks until a notify clears it and the lock
 *     is free again. notify_all clears every bit. A notify that comes before
 *     the waiter sets its bit is lost, exactly as with a real condvar.
 *     No spurious wake-ups (the Rust loop re-reads the word anyway).
 *   - compare_exchange_weak's spurious failure is not modelled (it only
 *     retries).
 */

#ifndef DRAIN_POLICY
#define DRAIN_POLICY 0
#endif

/* The interpreter this spec is about, as traces name it. */
#ifndef LC_INTERP
#define LC_INTERP 1
#endif

/* ---- the state word (bit layout of the spec, not necessarily of Rust) ---- */
#define RUNNING     0
#define FINALIZING  1
#define FINALIZED   2
#define PHASE_MASK  3
#define WAITING     4     /* a finalizer is (about to be) asleep until guards == 0 */
#define DRAINING    8     /* drain policy: finalization requested, no new guard */
#define ONE_GUARD   16    /* the guard count lives in bits 4..7 */
#define MAX_GUARDS  15

#define PHASE(w)        ((w) & PHASE_MASK)
#define GUARDS(w)       ((w) / ONE_GUARD)
#define IS_WAITING(w)   (((w) & WAITING) != 0)
#define IS_DRAINING(w)  (((w) & DRAINING) != 0)

/* Whether acquire may count a guard on a word that reads `w`. */
#ifdef MUTANT_ACQUIRE_SKIPS_PHASE
#define ADMITS(w)  (GUARDS(w) < MAX_GUARDS)
#else
#define ADMITS(w)  (PHASE(w) == RUNNING && !(DRAIN_POLICY && IS_DRAINING(w)) && GUARDS(w) < MAX_GUARDS)
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
bool fin_begun = false;   /* a finalizer's CAS into Finalizing succeeded */
bool torn_down = false;   /* the interpreter's state is gone */
byte held = 0;            /* guards granted and not yet released */
byte nondaemon_alive = 0; /* non-daemon threads still running */
byte finalized_ok = 0;    /* finalizers whose Interpreter_finalize returned Ok */

/* ---- trace lines ----
 * Every protocol step prints one line, in the same atomic step as the
 * transition it reports:  XI|pid|interp|op|outcome|state
 * and every process first prints its name:  XI-NAME|pid|name
 * In the state, keys ending in `?` are flags: `k?=1` renders as `k`, `k?=0`
 * is dropped. Promela has no string concatenation, so each printf spells
 * its format out in full; EV_STATE only supplies the arguments. */
#define EV_STATE(w)  PHASE_NAME(w), GUARDS(w), IS_WAITING(w), IS_DRAINING(w)

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

/* ---- Lifecycle::acquire: CAS guards+1, only while the word admits it ---- */
inline lifecycle_acquire(ok, cur) {
    cur = word;                                  /* Relaxed load */
    do
    :: ADMITS(cur) ->
        atomic {                                 /* compare_exchange */
            if
            :: word == cur ->
                word = cur + ONE_GUARD;
                ok = true;
                held++;
                printf("XI|%d|%d|guard.acquire|ok|phase=%e guards=%d finalizer-waiting?=%d draining?=%d\n", _pid, LC_INTERP, EV_STATE(word));
                /* no guard may be granted once finalization has begun */
                assert(!fin_begun)
            :: else ->
                cur = word;
                ok = false
            fi
        };
        if
        :: ok -> break
        :: else -> skip
        fi
    :: !ADMITS(cur) ->
        ok = false;
        printf("XI|%d|%d|guard.acquire|refused: %e|phase=%e guards=%d finalizer-waiting?=%d draining?=%d\n", _pid, LC_INTERP,
               REFUSAL_NAME(cur), EV_STATE(cur));
        break
    od
}

/* ---- Lifecycle::release: guards-1; wakes the finalizer at 0 if WAITING ---- */
inline lifecycle_release(before) {
    atomic {                                     /* fetch_sub, Release */
        before = word;
        word = word - ONE_GUARD;
        held--;
        printf("XI|%d|%d|guard.release|ok|phase=%e guards=%d finalizer-waiting?=%d draining?=%d\n", _pid, LC_INTERP, EV_STATE(word));
        /* LC-2: finalization never begins while a guard is held */
        assert(PHASE(before) == RUNNING && GUARDS(before) > 0)
    };
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

/* ---- Lifecycle::request (drain policy): set DRAINING while Running ---- */
inline lifecycle_request() {
    atomic {                                     /* CAS loop as one step */
        if
        :: PHASE(word) == RUNNING -> word = word | DRAINING
        :: else -> skip
        fi;
        printf("XI|%d|%d|finalize.request|ok: no new guard from now on|phase=%e guards=%d finalizer-waiting?=%d draining?=%d\n", _pid, LC_INTERP,
               EV_STATE(word))
    }
}

/* The finalizer reads the word (an Acquire load), and says what it saw. */
inline finalize_check(cur) {
    atomic {
        cur = word;
        printf("XI|%d|%d|finalize.check|read the word|phase=%e guards=%d finalizer-waiting?=%d draining?=%d\n", _pid, LC_INTERP,
               EV_STATE(cur))
    }
}

/* ---- Lifecycle::begin_finalizing: wait for zero guards, then CAS into
 *      Finalizing. `me` indexes the finalizer's condvar bit. ---- */
inline lifecycle_begin_finalizing(me, ok, cur) {
    mutex_lock();
    finalize_check(cur);                         /* Acquire load */
    do
    :: PHASE(cur) != RUNNING ->
        ok = false;
        printf("XI|%d|%d|finalize.begin|refused: already finalizing|phase=%e guards=%d finalizer-waiting?=%d draining?=%d\n", _pid, LC_INTERP,
               EV_STATE(cur));
        mutex_unlock();
        break
#ifdef MUTANT_NO_ZERO_CHECK
    :: PHASE(cur) == RUNNING ->
#else
    :: PHASE(cur) == RUNNING && GUARDS(cur) == 0 ->
#endif
        atomic {                                 /* compare_exchange, Acquire */
            if
            :: word == cur ->
                word = FINALIZING;
                fin_begun = true;
                ok = true;
                printf("XI|%d|%d|finalize.begin|ok: no guard can be taken now|phase=%e guards=%d finalizer-waiting?=%d draining?=%d\n", _pid,
                       LC_INTERP, EV_STATE(word))
            :: else ->
                ok = false;
                cur = word;
                printf("XI|%d|%d|finalize.check|CAS lost: the word changed|phase=%e guards=%d finalizer-waiting?=%d draining?=%d\n", _pid,
                       LC_INTERP, EV_STATE(cur))
            fi
        };
        if
        :: ok -> mutex_unlock(); break
        :: else -> skip
        fi
    :: PHASE(cur) == RUNNING && GUARDS(cur) > 0 && !IS_WAITING(cur) ->
        atomic {                                 /* CAS: set WAITING */
            if
            :: word == cur ->
                word = cur | WAITING;
                cur = word
            :: else ->
                cur = word;
                printf("XI|%d|%d|finalize.check|CAS lost: the word changed|phase=%e guards=%d finalizer-waiting?=%d draining?=%d\n", _pid,
                       LC_INTERP, EV_STATE(cur))
            fi
        }
    :: PHASE(cur) == RUNNING && GUARDS(cur) > 0 && IS_WAITING(cur) ->
        atomic {
            /* the word as it is when the finalizer falls asleep, not as it
             * last read it: a lost wake-up shows as asleep with 0 guards */
            printf("XI|%d|%d|finalize.wait|blocked until no guard is held|phase=%e guards=%d finalizer-waiting?=%d draining?=%d\n", _pid, LC_INTERP,
                   EV_STATE(word));
            condVar_sleep(me)
        };
        condVar_rewake(me);
        finalize_check(cur)                      /* Acquire load */
    od
}

/* ---- Lifecycle::mark_finalized: Finalizing -> Finalized ---- */
inline lifecycle_mark_finalized() {
    atomic {
        word = FINALIZED;
        printf("XI|%d|%d|finalize.done|ok|phase=%e guards=%d finalizer-waiting?=%d draining?=%d\n", _pid, LC_INTERP, EV_STATE(word))
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

/* Interpreter::finalize, with the steps in CPython's order. */
proctype Finalizer(byte me) {
    bool ok;
    byte cur;
    printf("XI-NAME|%d|finalizer-%d\n", _pid, me + 1);
Interpreter_finalize:
wait_for_threads:
    /* joins the non-daemon threads: blocks until none is left */
    nondaemon_alive == 0;
    printf("XI|%d|%d|finalize.threads|ok: no non-daemon thread left|\n", _pid, LC_INTERP);
run_atexit:
    printf("XI|%d|%d|finalize.atexit|ok|\n", _pid, LC_INTERP);
#if DRAIN_POLICY
Lifecycle_request:
    lifecycle_request();
#endif
begin_finalizing:
Lifecycle_begin_finalizing:
    lifecycle_begin_finalizing(me, ok, cur);
    if
    :: !ok -> goto finalize_returned
    :: else -> skip
    fi;
teardown:
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
