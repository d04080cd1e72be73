/*
 * xi_mutant_view_without_guard.pml -- a mutant of xi.pml, expected to
 * FAIL (assertion): MUTANT_VIEW_WITHOUT_GUARD, the threads of
 * xi_view_and_pending_call.
 *
 * The owner (interpreter 1) hands a plain XiData reference and an XiView
 * to a receiver thread of interpreter 2, uses the object once more through
 * a temporary reference, drops its own, and exits; the receiver releases
 * the XiData through a pending call while the view keeps the owner alive,
 * then closes the view; the owner is finalized meanwhile.
 * Spec: xi.pml. Rust: src/xi/. Page: docs/proofs.md.
 */
#define MUTANT_VIEW_WITHOUT_GUARD
#include "xi.pml"

init {
    atomic {
        run Owner(true, true);
        run Receiver();
        run OwnerFinalizer()
    }
end_all_done:
    (_nr_pr == 1);
    check_freed()
}

