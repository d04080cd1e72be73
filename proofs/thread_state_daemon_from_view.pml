/*
 * thread_state_daemon_from_view.pml -- wrapper of thread_state.pml.
 *
 * The same daemon with EnsureFromView: its implicit guard lives until the release, so finalization waits and the re-attach cannot hang, even with CPython's attach. Holds (safety, and finalization completes).
 * Spec: thread_state.pml. Rust: src/thread_state/, src/gil.rs. Page: docs/proofs.md.
 */
#define ATTACH_HANGS_WHEN_FINALIZING
#define DAEMON_FROM_VIEW
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
        run Daemon(0);
        run Finalizer(0)
    }
}

ltl finalizes { <> (PHASE(word) == FINALIZED) }
