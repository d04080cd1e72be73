/*
 * channel_2senders_force_close.pml -- bounded wrapper of channel.pml.
 *
 * Two senders (interpreters 1 and 2) send items 0 and 1 and wait without
 * a timeout; a receiver (interpreter 0) takes at most one item; a closer
 * force-closes the channel: the items left are dropped and accounted for,
 * and their senders are woken with Closed.
 * Spec: channel.pml. Rust: src/channel/core.rs. Page: docs/proofs.md.
 */
#include "channel.pml"

init {
    byte k;
    byte j;
    atomic {
        init_ledger(k);
        run Sender(1, 0, false);
        run Sender(2, 1, false);
        run Receiver(0, 1);
        run Closer(0, true)
    }
end_all_done:
    (_nr_pr == 1);                  /* every other thread has returned */
    state_check_ledger(k, j)
}

ltl woken { [] ((blocked[0] -> <> !blocked[0]) && (blocked[1] -> <> !blocked[1])) }
