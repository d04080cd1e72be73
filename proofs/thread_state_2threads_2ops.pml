/*
 * thread_state_2threads_2ops.pml -- bounded wrapper of thread_state.pml.
 *
 * Two OS threads: thread-0 starts as a native thread (no thread state),
 * thread-1 attached to the main interpreter through its own thread state.
 * Each runs every nested program of at most 2 ensures (so up to 2 deep), over
 * ensure(main), guard + ensure(sub), EnsureFromView(sub); a finalizer
 * finalizes sub meanwhile (CPython's guard policy).
 * Spec: thread_state.pml. Rust: src/thread_state/, src/gil.rs. Page: docs/proofs.md.
 */
#define MAX_DEPTH 2
#define MAX_OPS 2
#define TEARDOWN_CHECK (view_tokens == 0)
#include "thread_state.pml"

init {
    byte t;
    atomic {
        t = 0;
        do
        :: t < NT -> attached[t] = NONE; t++
        :: else -> break
        od;
        run Thread(0, NONE);
        run Thread(1, MAIN);
        run Finalizer(0)
    }
}

