/*
 * lifecycle_naive_check_then_increment_1holder.pml -- known bug, expected to FAIL
 * (assertion).
 *
 * lifecycle_naive.pml with FLAW_CHECK_THEN_INCREMENT: acquire checks the phase, then increments; finalize checks for zero, then sets the phase: the holder uses a torn-down state (LC-2).
 * One holder, one finalizer (the Rust scenario lifecycle::naive::bug_check_then_increment).
 *
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
