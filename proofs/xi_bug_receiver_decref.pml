/*
 * xi_bug_receiver_decref.pml -- known bug, expected to FAIL (assertion).
 *
 * The receiver decrefs the owner's object under its own GIL; its plain
 * read-and-write interleaves with the owner's incref of a temporary
 * reference, an update is lost, the count reaches zero while the owner
 * still holds a reference, and the owner touches a freed object.
 *
 * Spec: xi.pml. Rust: the known bug xi::bug_receiver_decref_use_after_free
 * (models/xi/naive.rs). Page: docs/proofs.md.
 */
#define BUG_DECREF_UNDER_OWN_GIL
#include "xi.pml"

init {
    atomic {
        run Owner(false, true);
        run Receiver()
    }
}
