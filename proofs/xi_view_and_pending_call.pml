/*
 * xi_view_and_pending_call.pml -- bounded wrapper of xi.pml.
 *
 * The owner (interpreter 1) hands a plain XiData reference and an XiView
 * to a receiver thread of interpreter 2, uses the object once more through
 * a temporary reference, drops its own, and exits; the receiver releases
 * the XiData through a pending call while the view keeps the owner alive,
 * then closes the view; the owner is finalized meanwhile.
 * Spec: xi.pml. Rust: src/xi/. Page: docs/proofs.md.
 */
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

/* XI-3: the object is eventually freed. */
ltl freed_eventually { <> freed }
