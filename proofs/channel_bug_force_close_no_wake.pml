/*
 * channel_bug_force_close_no_wake.pml -- known bug, expected to FAIL
 * (invalid end state).
 *
 * A forced close drops the queued item but does not wake its blocked
 * sender, which waits for ever. One sender without a timeout, one closer
 * (forced).
 *
 * Spec: channel.pml. Rust: the known bug channels::bug_force_close_does_not_wake
 * (models/channels/naive.rs). Page: docs/proofs.md.
 */
#define BUG_FORCE_CLOSE_NO_WAKE
#include "channel.pml"

init {
    byte k;
    atomic {
        init_ledger(k);
        run Sender(1, 0, false);
        run Closer(0, true)
    }
}
