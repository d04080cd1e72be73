/*
 * lifecycle_mutant_acquire_skips_phase_1holder.pml -- a mutant of lifecycle.pml, expected to FAIL.
 *
 * Lifecycle_acquire does not look at the phase: a guard is granted after finalization began (assertion).
 * CPython's guard policy; one holder that takes one guard; one finalizer.
 *
 * The runner passes this proof only if SPIN finds the violation: it shows
 * that the property the real protocol passes can fail.
 * Rust: src/interp/lifecycle.rs. Page: docs/proofs.md.
 */
#define DRAIN_POLICY 0
#define MUTANT_ACQUIRE_SKIPS_PHASE
#include "lifecycle.pml"

init {
    atomic {
        run Holder(1, 1);
        run Finalizer(0)
    }
}
