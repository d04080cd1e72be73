/*
 * lifecycle_mutant_unlocked_notify_1holder.pml -- a mutant of lifecycle.pml, expected to FAIL.
 *
 * Lifecycle_release notifies without the wait lock: the notify can fall between the finalizer setting WAITING and going to sleep (lost wake-up, invalid end state).
 * CPython's guard policy; one holder that takes one guard; one finalizer.
 *
 * The runner passes this proof only if SPIN finds the violation: it shows
 * that the property the real protocol passes can fail.
 * Rust: src/interp/lifecycle.rs. Page: docs/proofs.md.
 */
#define DRAIN_POLICY 0
#define MUTANT_UNLOCKED_NOTIFY
#include "lifecycle.pml"

init {
    atomic {
        run Holder(1, 1);
        run Finalizer(0)
    }
}
