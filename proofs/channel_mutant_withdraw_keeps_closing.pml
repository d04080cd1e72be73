/*
 * channel_mutant_withdraw_keeps_closing.pml -- a mutant of channel.pml,
 * expected to FAIL (invalid end state): MUTANT_WITHDRAW_KEEPS_CLOSING,
 * with the threads of channel_2senders_timeout_close.
 *
 * sender-0 (interpreter 1) sends item 0 with a timeout; sender-1
 * (interpreter 2) sends item 1 and waits without one; a receiver
 * (interpreter 0) receives until the channel is closed; a closer closes
 * it, unforced (closing, then closed once drained).
 * Spec: channel.pml. Rust: src/channel/core.rs. Page: docs/proofs.md.
 */
#define MUTANT_WITHDRAW_KEEPS_CLOSING
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

