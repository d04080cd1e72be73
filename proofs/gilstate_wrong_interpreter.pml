/*
 * gilstate_wrong_interpreter.pml -- known bug, expected to FAIL
 * (assertion).
 *
 * A subinterpreter's thread hands an object to a native thread; the native thread uses PyGILState_Ensure, which attaches it to
 * the *main* interpreter, and releases the object there: its refcount is
 * touched (and it would be freed) under the wrong interpreter.
 * One subinterpreter thread, one native thread.
 *
 * Spec: gilstate_legacy.pml. Page: docs/proofs.md.
 */
#include "gilstate_legacy.pml"

chan handoff = [1] of { byte };

proctype SubThread() {
    printf("XI-NAME|%d|sub-thread\n", _pid);
    take_gil(SUB);
    atomic {
        owner[0] = SUB;
        refcnt[0] = 2;       /* its own reference + the one it hands over */
        printf("XI|%d|%d|object.create|object 0|refcount=2\n", _pid, SUB)
    };
    handoff ! 0;
    drop_gil(SUB)
}

proctype NativeThread() {
    byte obj;
    printf("XI-NAME|%d|native\n", _pid);
    handoff ? obj;
PyGILState_Ensure:
    PyGILState_Ensure_();
Py_DECREF:
    Py_DECREF_(obj);
PyGILState_Release:
    PyGILState_Release_()
}

init {
    atomic {
        init_interpreters();
        run SubThread();
        run NativeThread()
    }
}
