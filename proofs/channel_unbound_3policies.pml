/*
 * channel_unbound_3policies.pml -- bounded wrapper of channel.pml.
 *
 * A thread of interpreter 2 sends items 0, 1, 2 with send_nowait, with the
 * unbound policies replace, error_on_recv and remove; interpreter 2 is then
 * destroyed while a receiver (interpreter 0) takes items; then the channel
 * is closed. Every item is received, received as the UNBOUND marker,
 * received as an error, or removed: accounted for.
 * Spec: channel.pml. Rust: src/channel/core.rs. Page: docs/proofs.md.
 */
#include "channel.pml"

proctype NowaitSender() {
    printf("XI-NAME|%d|sender-i2\n", _pid);
SendChannel_send_nowait:
    sendchannel_send_nowait(0, 2);
    sendchannel_send_nowait(1, 2);
    sendchannel_send_nowait(2, 2)
}

proctype Destroyer() {
    byte k;
    byte j;
    mtype res;
    printf("XI-NAME|%d|main\n", _pid);
    /* interpreter 2's threads are gone before it is destroyed */
    (ledger[2] != unsent);
Chan_clear_interpreter:
    chan_clear_interpreter(2, k, j);
Chan_close:
    chan_close(0, false, res, j)
}

init {
    byte k;
    byte j;
    atomic {
        init_ledger(k);
        policy[0] = replace;
        policy[1] = error_on_recv;
        policy[2] = remove;
        run NowaitSender();
        run Destroyer();
        run Receiver(0, NITEMS)
    }
end_all_done:
    (_nr_pr == 1);                  /* every other thread has returned */
    state_check_ledger(k, j)
}
