/*
 * xi_bug_concurrent_decref_leak.pml -- known bug, expected to FAIL
 * (assertion).
 *
 * The owner drops its reference under its GIL while the
 * receiver drops its XiData reference under its own GIL; both read 2,
 * both write 1, and the object is never freed (a leak).
 *
 * Spec: xi.pml. Rust: the known bug xi::bug_send_incref_receiver_decref_leak
 * (models/xi/naive.rs). Page: docs/proofs.md.
 */
#define BUG_DECREF_UNDER_OWN_GIL
#include "xi.pml"

init {
    atomic {
        run Owner(false, false);
        run Receiver()
    }
end_all_done:
    (_nr_pr == 1);
    check_freed()
}
