/*
 * channel_bug_timeout_keeps_item.pml -- known bug, expected to FAIL
 * (assertion).
 *
 * The send times out but the item is not withdrawn; the receiver then gets
 * an item whose sender was told Timeout (the caller may send it again:
 * delivered twice). One sender with a timeout, one receiver.
 *
 * Spec: channel.pml. Rust: the known bug channels::bug_timeout_without_withdrawal
 * (models/channels/naive.rs). Page: docs/proofs.md.
 */
#define BUG_TIMEOUT_KEEPS_ITEM
#include "channel.pml"

init {
    byte k;
    atomic {
        init_ledger(k);
        run Sender(1, 0, true);
        run Receiver(0, 1)
    }
}
