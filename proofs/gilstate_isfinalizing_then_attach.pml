/*
 * gilstate_isfinalizing_then_attach.pml -- known bug, expected to FAIL
 * (assertion).
 *
 * A native thread checks Py_IsFinalizing(), sees false, and attaches; the
 * main thread finalizes and frees the interpreter in between, so the
 * attach touches freed memory (gh-124619). One native thread, the main
 * thread finalizing. Run with pan -E, because the same race reaches the
 * hang of gilstate_ensure_during_finalization first.
 *
 * Spec: gilstate_legacy.pml. Page: docs/proofs.md.
 */
#define CHECK_FREED_ACCESS
#include "gilstate_legacy.pml"

proctype NativeThread() {
    bool saw_finalizing;
    printf("XI-NAME|%d|native\n", _pid);
Py_IsFinalizing:
    Py_IsFinalizing_(saw_finalizing);
    if
    :: saw_finalizing -> skip
    :: else ->
PyGILState_Ensure:
        PyGILState_Ensure_();
PyGILState_Release:
        PyGILState_Release_()
    fi
}

init {
    atomic {
        init_interpreters();
        run MainThread();
        run NativeThread()
    }
}
