/*
 * thread_state_1thread_3ops.pml -- bounded wrapper of thread_state.pml.
 *
 * One native OS thread (no thread state at first) runs every nested
 * program of at most 3 ensures, up to 2 deep, over
 * ensure(main), guard + ensure(sub), EnsureFromView(sub); a finalizer
 * finalizes sub meanwhile (CPython's guard policy).
 * Spec: thread_state.pml. Rust: src/thread_state/, src/gil.rs. Page: docs/proofs.md.
 */
#define MAX_DEPTH 2
#define MAX_OPS 3
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
        run Finalizer(0)
    }
}


/* Finalization of sub completes once the thread is done with it: an
 * EnsureFromView or guard token delays it, never for ever. */
ltl finalizes { <> (PHASE(word) == FINALIZED) }
