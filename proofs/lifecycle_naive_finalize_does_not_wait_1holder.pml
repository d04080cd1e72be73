/*
 * lifecycle_naive_finalize_does_not_wait_1holder.pml -- known bug, expected to FAIL
 * (assertion).
 *
 * lifecycle_naive.pml with FLAW_FINALIZE_DOES_NOT_WAIT: finalize does not wait for held guards: the holder uses a torn-down state (LC-2).
 * One holder, one finalizer (the Rust scenario lifecycle::naive::bug_finalize_does_not_wait).
 *
 * Rust: models/lifecycle/naive.rs. Page: docs/proofs.md.
 */
#define FLAW_FINALIZE_DOES_NOT_WAIT
#include "lifecycle_naive.pml"

init {
    atomic {
        run Holder();
        run Finalizer()
    }
}
