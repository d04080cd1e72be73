/*
 * thread_state_mutant_keep_owned_1thread_3ops.pml -- wrapper of thread_state.pml.
 *
 * Mutant, expected to FAIL (assertion): release keeps an owned thread state whose counter reached zero. One native thread, one finalizer.
 * Spec: thread_state.pml. Rust: src/thread_state/, src/gil.rs. Page: docs/proofs.md.
 */
#define MAX_DEPTH 2
#define MAX_OPS 3
#define MUTANT_KEEP_OWNED
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
