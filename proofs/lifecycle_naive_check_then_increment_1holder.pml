/*
 * lifecycle_naive_check_then_increment_1holder.pml -- known bug, expected to FAIL:
 * lifecycle_naive.pml with FLAW_CHECK_THEN_INCREMENT; one holder, one finalizer
 * (the Rust scenario lifecycle::bug_check_then_increment).
 * Rust: models/lifecycle/naive.rs. Page: docs/proofs.md.
 */
#define FLAW_CHECK_THEN_INCREMENT
#include "lifecycle_naive.pml"

init {
    atomic {
        run Holder();
        run Finalizer()
    }
}
