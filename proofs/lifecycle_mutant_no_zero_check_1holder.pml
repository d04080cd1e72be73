/*
 * lifecycle_mutant_no_zero_check_1holder.pml -- a mutant of lifecycle.pml, expected to FAIL.
 *
 * Lifecycle_begin_finalizing enters Finalizing without waiting for zero guards: torn down under a holder (assertion).
 * CPython's guard policy; one holder that takes one guard; one finalizer.
 *
 * The runner passes this proof only if SPIN finds the violation: it shows
 * that the property the real protocol passes can fail.
 * Rust: src/interp/lifecycle.rs. Page: docs/proofs.md.
 */
#define DRAIN_POLICY 0
#define MUTANT_NO_ZERO_CHECK
#include "lifecycle.pml"

init {
    atomic {
        run Holder(1, 1);
        run Finalizer(0)
    }
}
