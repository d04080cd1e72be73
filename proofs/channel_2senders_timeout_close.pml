/*
 * channel_2senders_timeout_close.pml -- bounded wrapper of channel.pml.
 *
 * sender-0 (interpreter 1) sends item 0 with a timeout; sender-1
 * (interpreter 2) sends item 1 and waits without one; a receiver
 * (interpreter 0) receives until the channel is closed; a closer closes
 * it, unforced (closing, then closed once drained).
 * Spec: channel.pml. Rust: src/channel/core.rs. Page: docs/proofs.md.
 */
#include "channel.pml"

init {
    byte k;
    byte j;
    atomic {
        init_ledger(k);
        run Sender(1, 0, true);
        run Sender(2, 1, false);
        run Receiver(0, NITEMS);
        run Closer(0, false)
    }
end_all_done:
    (_nr_pr == 1);                  /* every other thread has returned */
    state_check_ledger(k, j)
}

/* A blocked sender is eventually woken (delivered, closed or timed out). */
ltl woken { [] ((blocked[0] -> <> !blocked[0]) && (blocked[1] -> <> !blocked[1])) }
