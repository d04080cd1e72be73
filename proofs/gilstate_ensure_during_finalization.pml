/*
 * gilstate_ensure_during_finalization.pml -- known bug, expected to FAIL
 * (invalid end state).
 *
 * A native thread calls PyGILState_Ensure while the main interpreter
 * finalizes, and hangs for ever (gh-87135; since 3.14 it hangs instead of
 * exiting). One native thread, the main thread finalizing.
 *
 * Spec: gilstate_legacy.pml. Page: docs/proofs.md.
 */
#include "gilstate_legacy.pml"

proctype NativeThread() {
    printf("XI-NAME|%d|native\n", _pid);
PyGILState_Ensure:
    PyGILState_Ensure_();
    printf("XI|%d|%d|thread.run|calls into Python|\n", _pid, MAIN);
PyGILState_Release:
    PyGILState_Release_()
}

init {
    atomic {
        init_interpreters();
        run MainThread();
        run NativeThread()
    }
}
