/*
 * lifecycle_naive_finalize_does_not_wait_1holder.pml -- known bug, expected to FAIL:
 * lifecycle_naive.pml with FLAW_FINALIZE_DOES_NOT_WAIT; one holder, one finalizer
 * (the Rust scenario lifecycle::bug_finalize_does_not_wait).
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
