/*
 * thread_state_daemon_guard_closed.pml -- wrapper of thread_state.pml.
 *
 * Known bug, expected to FAIL (invalid end state): a daemon thread takes a guard, Ensure(guard), closes the guard, releases the GIL for a blocking call; sub finalizes meanwhile, and the daemon hangs for ever when it re-attaches (CPython's attach). One daemon, one finalizer.
 * Spec: thread_state.pml. Rust: src/thread_state/, src/gil.rs. Page: docs/proofs.md.
 */
#define ATTACH_HANGS_WHEN_FINALIZING
#include "thread_state.pml"

init {
    byte t;
    atomic {
        t = 0;
        do
        :: t < NT -> attached[t] = NONE; t++
        :: else -> break
        od;
        run Daemon(0);
        run Finalizer(0)
    }
}
