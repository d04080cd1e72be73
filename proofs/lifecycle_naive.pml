/*
 * lifecycle_naive.pml -- naive lifecycles, for the known-bug specs only:
 * the protocol with one flaw each, as in the Rust known-bug models.
 *
 * Rust:  models/lifecycle/naive.rs (Naive::acquire, release, finalize,
 *        use_state; scenarios lifecycle::bug_check_then_increment and
 *        lifecycle::bug_finalize_does_not_wait). The correct protocol is
 *        proofs/lifecycle.pml (src/interp/lifecycle.rs).
 * Docs:  docs/proofs.md.
 *
 * Phase and guard count are two separate atomics here (the Rust model's
 * two AtomicUsize, all SeqCst), which is what opens the window.
 *   FLAW_CHECK_THEN_INCREMENT  acquire reads the phase, then increments the
 *                              count in a second step; finalize waits for a
 *                              zero count, then sets the phase in another.
 *   FLAW_FINALIZE_DOES_NOT_WAIT  acquire increments, then checks the phase
 *                              (and backs out); finalize does not wait.
 */

#define INTERP 1
mtype = { running, finalizing };

mtype phase = running;
byte guards = 0;
bool torn_down = false;

/* Naive::acquire -> ok */
inline naive_acquire(ok) {
#ifdef FLAW_CHECK_THEN_INCREMENT
    if
    :: phase != running ->
        ok = false;
        printf("XI|%d|%d|guard.acquire|refused: finalizing|phase=%e guards=%d\n", _pid, INTERP, phase, guards)
    :: else ->
        printf("XI|%d|%d|guard.check|phase is running|\n", _pid, INTERP);
        /* FLAW: the finalizer may run between the check and the increment */
        atomic {
            guards++;
            ok = true;
            printf("XI|%d|%d|guard.acquire|ok|guards=%d\n", _pid, INTERP, guards)
        }
    fi
#else
    atomic { guards++ };
    if
    :: phase != running ->
        atomic {
            guards--;
            ok = false;
            printf("XI|%d|%d|guard.acquire|refused: finalizing|phase=%e guards=%d\n", _pid, INTERP, phase, guards)
        }
    :: else ->
        ok = true;
        printf("XI|%d|%d|guard.acquire|ok|phase=%e guards=%d\n", _pid, INTERP, phase, guards)
    fi
#endif
}

/* Naive::use_state */
inline naive_use_state() {
    atomic {
        printf("XI|%d|%d|guard.use|state read and written|\n", _pid, INTERP);
        /* LC-2: never torn down while a guard is held */
        assert(!torn_down)
    }
}

/* Naive::release */
inline naive_release() {
    atomic {
        guards--;
        printf("XI|%d|%d|guard.release|ok|guards=%d\n", _pid, INTERP, guards)
    }
}

/* Naive::finalize */
inline naive_finalize() {
#ifdef FLAW_CHECK_THEN_INCREMENT
    /* waits for zero guards, but the check and the phase change are two steps */
    do
    :: atomic { guards == 0 -> printf("XI|%d|%d|finalize.check|no guard is held|guards=0\n", _pid, INTERP) };
        break
    od;
#endif
    /* FLAW_FINALIZE_DOES_NOT_WAIT: straight on to Finalizing */
    atomic {
        phase = finalizing;
        printf("XI|%d|%d|finalize.begin|ok: no guard can be taken now|phase=finalizing\n", _pid, INTERP)
    };
    atomic {
        torn_down = true;
        printf("XI|%d|%d|finalize.teardown|dropped the state|state=gone\n", _pid, INTERP)
    }
}

proctype Holder() {
    bool ok;
    printf("XI-NAME|%d|holder\n", _pid);
Naive_acquire:
    naive_acquire(ok);
    if
    :: ok ->
Naive_use_state:
        naive_use_state();
Naive_release:
        naive_release()
    :: else -> skip
    fi
}

proctype Finalizer() {
    printf("XI-NAME|%d|finalizer\n", _pid);
Naive_finalize:
    naive_finalize()
}
