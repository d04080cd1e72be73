/*
 * gilstate_legacy.pml -- CPython's legacy thread-state APIs, for the
 * known-bug specs only: PyGILState_Ensure / PyGILState_Release,
 * Py_IsFinalizing, take_gil's "hang if finalizing", Py_FinalizeEx.
 * As CPython 3.14 behaves.
 *
 * Rust:  none on purpose: xinterp does not offer these APIs. What replaces
 *        them is src/interp/lifecycle.rs + src/guard.rs + src/view.rs
 *        (guards and views, proofs/lifecycle.pml) and the thread-state
 *        protocol (proofs/thread_state.pml). Docs: docs/proofs.md.
 *
 * Interpreters: 0 is the main interpreter, 1 a subinterpreter (the ids
 * xinterp gives them). A GIL is a byte (0 free, else holder pid + 1). Knobs:
 *   CHECK_FREED_ACCESS   take_gil asserts the interpreter's memory still
 *                        exists (off where a spec is about the hang, so
 *                        the hang is what it finds).
 */

#define MAIN 0
#define SUB  1
#define NINTERP 2
#define NONE 255           /* attached to no interpreter */
#define MAXPROC 6

mtype = { running, finalizing, finalized };

mtype phase[NINTERP];      /* set to running in init_interpreters */
bool  torn_down[NINTERP];
byte  gil[NINTERP];
byte  finalizing_thread[NINTERP];   /* pid + 1 of the thread that finalizes */
byte  attached[MAXPROC];            /* per pid: the interpreter it is attached to, or NONE */

/* ghost: which interpreter owns each object (the allocator it came from) */
#define NOBJ 2
byte owner[NOBJ];
byte refcnt[NOBJ];

inline init_interpreters() {
    byte p = 0;
    phase[MAIN] = running;
    phase[SUB] = running;
    do
    :: p < MAXPROC -> attached[p] = NONE; p++
    :: else -> break
    od
}

/* take_gil: wait for the GIL; a thread that must exit (the interpreter is
 * finalizing and this is not the finalizing thread) drops it and hangs. */
inline take_gil(i) {
#ifdef CHECK_FREED_ACCESS
    atomic {
        printf("XI|%d|%d|gil.attach|touches the interpreter state|phase=%e\n", _pid, i, phase[i]);
        /* the interpreter (its GIL, its state) must still exist */
        assert(!torn_down[i])
    };
#endif
    atomic {
        gil[i] == 0 -> gil[i] = _pid + 1;
        attached[_pid] = i
    };
    if
    :: phase[i] != running && finalizing_thread[i] != _pid + 1 ->
        atomic {
            gil[i] = 0;
            attached[_pid] = NONE;
            printf("XI|%d|%d|gil.attach|hangs: the interpreter is finalizing|phase=%e\n", _pid, i, phase[i])
        };
        false              /* blocks for ever: CPython 3.14 hangs the thread */
    :: else ->
        printf("XI|%d|%d|gil.attach|ok|phase=%e gil=taken\n", _pid, i, phase[i])
    fi
}

inline drop_gil(i) {
    atomic {
        assert(gil[i] == _pid + 1);
        gil[i] = 0;
        attached[_pid] = NONE;
        printf("XI|%d|%d|gil.detach|ok|gil=free\n", _pid, i)
    }
}

/* PyGILState_Ensure: always the main interpreter. */
inline PyGILState_Ensure_() {
    printf("XI|%d|%d|threadstate.ensure|PyGILState_Ensure: the main interpreter, always|\n", _pid, MAIN);
    take_gil(MAIN)
}

inline PyGILState_Release_() {
    drop_gil(MAIN)
}

/* Py_IsFinalizing(): a snapshot, stale as soon as it returns. */
inline Py_IsFinalizing_(result) {
    atomic {
        result = (phase[MAIN] != running);
        printf("XI|%d|%d|interp.is_finalizing|Py_IsFinalizing() returned %d|phase=%e\n", _pid, MAIN, result, phase[MAIN])
    }
}

/* Py_DECREF on an object: only under its owner's GIL is it safe. */
inline Py_DECREF_(obj) {
    atomic {
        refcnt[obj]--;
        printf("XI|%d|%d|refcount.decref|object %d (owner I%d)|refcount=%d\n", _pid, attached[_pid], obj, owner[obj],
               refcnt[obj]);
        /* XI-2: an object's refcount is touched only under its owner's GIL */
        assert(attached[_pid] == owner[obj])
    }
}

/* Py_FinalizeEx, run by the main thread, attached to the main interpreter. */
proctype MainThread() {
    printf("XI-NAME|%d|main\n", _pid);
    take_gil(MAIN);
Py_FinalizeEx:
    atomic {
        phase[MAIN] = finalizing;
        finalizing_thread[MAIN] = _pid + 1;
        printf("XI|%d|%d|finalize.begin|ok|phase=finalizing\n", _pid, MAIN)
    };
    /* it drops the GIL while it waits for threads and runs the last code:
     * a thread blocked on the GIL gets it here */
    drop_gil(MAIN);
    take_gil(MAIN);
teardown:
    atomic {
        torn_down[MAIN] = true;
        phase[MAIN] = finalized;
        printf("XI|%d|%d|finalize.teardown|ok: interpreter freed|phase=finalized state=gone\n", _pid, MAIN)
    };
    drop_gil(MAIN)
}
