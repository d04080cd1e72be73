/*
 * xi_bug_pending_call_after_owner_gone.pml -- known bug, expected to FAIL
 * (assertion).
 *
 * The receiver holds only a plain XiData reference (no view, so no guard);
 * the owner finishes and is finalized first, and the receiver's release, a
 * pending call on the gone owner, fails: the object leaks.
 *
 * Spec: xi.pml. Page: docs/proofs.md. The Rust known bug of the same
 * leak, xi::bug_pending_after_owner_gone (models/xi/naive.rs), loses the
 * call in a check-then-push race instead; the Rust release takes a guard
 * and counts the leak (XiData::release, XiError::OwnerGone).
 */
#include "xi.pml"

init {
    atomic {
        run Owner(false, false);
        run Receiver();
        run OwnerFinalizer()
    }
end_all_done:
    (_nr_pr == 1);
    check_freed()
}
