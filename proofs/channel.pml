/*
 * channel.pml -- a cross-interpreter channel (PEP 554 channels as CPython's
 * _interpchannels implements them; PEP 734 queues share the core).
 *
 * Rust:  src/channel/core.rs (Chan and its State: the one core both faces
 *        share), reached from src/channel/ends.rs (SendChannel,
 *        RecvChannel). Its //! essay, src/channel/mod.rs, points back here.
 * Docs:  docs/proofs.md (bounds, simplifications, results, name map);
 *        docs/channels.md (the protocol in prose); docs/invariants.md
 *        (CH-1, CH-2, CH-3, CH-6, CH-7 cite these proofs).
 *
 * Names follow lifecycle.pml: an inline is named after the Rust function
 * it stands for, in lower case with its type (chan_take for Chan::take);
 * each call site carries the label with the Rust name, `::` written `_`
 * (Chan_recv:).
 *
 *   Promela                               Rust (src/channel/core.rs unless said)
 *   inline chan_enqueue                   Chan::enqueue (admit and queue, or
 *                                         refuse: the payload is handed back)
 *   inline/label sendchannel_send_nowait  SendChannel::send_nowait (ends.rs):
 *            / SendChannel_send_nowait    Chan::send with SendWait::No
 *   inline/label chan_send_and_wait       Chan::send_and_wait, which
 *            / Chan_send_and_wait         SendChannel::send reaches through
 *                                         Chan::send (SendWait::ForReceipt)
 *   label State_withdraw                  State::withdraw (the deadline passed
 *                                         before the item was settled)
 *   inline chan_after_removal             Chan::after_removal (a closing
 *                                         channel that is now empty closes)
 *   inline/label chan_recv / Chan_recv    Chan::recv with a deadline that never
 *                                         passes (RecvChannel::recv(py, None))
 *   inline chan_take                      Chan::take (pop the head, settle its
 *                                         sender, markers, after_removal)
 *   inline/label chan_close / Chan_close  Chan::close(send_only = true, force)
 *                                         (SendChannel::close(force))
 *   inline state_close_now                State::close_now (forced: every item
 *                                         returned or dropped, senders woken)
 *   inline/label chan_clear_interpreter   Chan::clear_interpreter (interpreter
 *            / Chan_clear_interpreter     finalization, through the registry)
 *   inline state_check_ledger             State::check_ledger (Rust: after every
 *                                         step; here at the end of a run)
 *   queue_remove, init_ledger             VecDeque::remove; ghost set-up
 *   proctypes Sender, Receiver, Closer    threads of the wrappers
 *
 * One channel. Every channel operation runs under the channel's mutex, so
 * each is one atomic step here. A blocking send enqueues its item and waits
 * until *that item* is received (or the channel is force-closed, or it
 * times out: then the item is withdrawn unless already taken). The wait is
 * a blocking guard on the item's `done` flag, which recv and force-close
 * set while holding the mutex (they notify under it, so no wake-up can be
 * lost); a timeout is a nondeterministic choice while waiting. Rust's
 * waiters spin a bounded while before they park (src/channel/mod.rs,
 * "Spins"): a spin only looks again under the mutex, so a spin and a park
 * are the same blocking guard here.
 *
 * The ledger: every item is in exactly one state, and the final check
 * accounts for all of them. Nothing is silently lost or duplicated.
 *
 * Knobs:
 *   BUG_TIMEOUT_KEEPS_ITEM   on timeout the sender reports Timeout but
 *                            leaves the item queued (no withdrawal).
 *   BUG_FORCE_CLOSE_NO_WAKE  a forced close drops the items but does not
 *                            wake their blocked senders.
 *   MUTANT_WITHDRAW_KEEPS_CLOSING  a withdrawal that drains a closing
 *                            channel leaves it closing (the receiver waits
 *                            for ever).
 */

#define NITEMS 4

/* ledger states: queued and unbound items are in the queue; the others
 * are final (unbound: its interpreter was destroyed while it was queued). */
mtype = { unsent, queued, unbound, received, recv_marker, recv_error, withdrawn, dropped, returned, removed };
/* channel states and send/recv outcomes */
mtype = { open, closing, closed, ok, timed_out, refused_closed, not_empty };
/* unbound policies */
mtype = { replace, error_on_recv, remove };

mtype ledger[NITEMS];
mtype policy[NITEMS];
byte  sender_interp[NITEMS];
bool  done[NITEMS];            /* the blocked sender of this item may return */
mtype send_outcome[NITEMS];    /* what its send returned */
bool  blocked[NITEMS];         /* ghost: a sender is blocked on this item */

mtype chan_state = open;
byte  queue[NITEMS];           /* FIFO of item ids */
byte  qlen = 0;

/* Loops use a scratch byte `k` (and `j`) the calling proctype declares:
 * a variable declared in an inline is declared once per proctype, so an
 * inline used twice could not declare its own. */
inline init_ledger(k) {
    k = 0;
    do
    :: k < NITEMS -> ledger[k] = unsent; policy[k] = replace; k++
    :: else -> break
    od;
    k = 0
}

/* Removes queue[at], keeping the order of the rest (under the mutex). */
inline queue_remove(at, j) {
    j = at;
    do
    :: j + 1 < qlen -> queue[j] = queue[j + 1]; j++
    :: else -> break
    od;
    qlen--;
    queue[qlen] = 0;
    j = 0
}

/* Chan::enqueue: queue, or refuse with Closed (the payload is handed
 * back). `res` says which. */
inline chan_enqueue(item, interp, res) {
    if
    :: chan_state == open ->
        assert(ledger[item] == unsent);
        queue[qlen] = item;
        qlen++;
        ledger[item] = queued;
        sender_interp[item] = interp;
        res = ok
    :: else ->
        ledger[item] = returned;
        res = refused_closed
    fi
}

/* Chan::after_removal: a closing channel that an item's leaving drained
 * is closed now (in the caller's atomic step). */
inline chan_after_removal() {
    if
    :: chan_state == closing && qlen == 0 -> chan_state = closed
    :: else -> skip
    fi
}

/* SendChannel::send_nowait: Chan::send with SendWait::No, i.e. the lock
 * and Chan::enqueue. */
inline sendchannel_send_nowait(item, interp) {
    atomic {
        chan_enqueue(item, interp, send_outcome[item]);
        printf("XI|%d|%d|channel.send_nowait|item %d: %e|state=%e queued=%d\n", _pid, interp, item, send_outcome[item],
               chan_state, qlen)
    }
}

/* Chan::send_and_wait (SendChannel::send; `may_time_out`: with a
 * timeout). Returns through send_outcome[item]. */
inline chan_send_and_wait(item, interp, may_time_out, k, j) {
    atomic {
        chan_enqueue(item, interp, send_outcome[item]);
        printf("XI|%d|%d|channel.send|item %d: %e, waiting until it is received|state=%e queued=%d\n", _pid, interp, item,
               send_outcome[item], chan_state, qlen);
        blocked[item] = (send_outcome[item] == ok)
    };
    if
    :: blocked[item] ->                          /* enqueued: wait (send_outcome may change under us) */
        if
        :: atomic {
               done[item] ->                     /* woken: delivered or force-closed */
               blocked[item] = false;
               printf("XI|%d|%d|channel.send|item %d: woken, %e|state=%e queued=%d\n", _pid, interp, item,
                      send_outcome[item], chan_state, qlen)
           }
        :: may_time_out && !done[item] ->
State_withdraw:
            atomic {                             /* the deadline passed: withdraw unless settled */
                blocked[item] = false;
                if
                :: done[item] ->
                    printf("XI|%d|%d|channel.send|item %d: timed out but already %e: %e|state=%e queued=%d\n", _pid,
                           interp, item, ledger[item], send_outcome[item], chan_state, qlen)
                :: else ->
                    send_outcome[item] = timed_out;
#ifdef BUG_TIMEOUT_KEEPS_ITEM
                    printf("XI|%d|%d|channel.send|item %d: timeout (the item stays queued)|state=%e queued=%d\n", _pid,
                           interp, item, chan_state, qlen)
#else
                    k = 0;
                    do
                    :: queue[k] == item -> break
                    :: else -> k++
                    od;
                    queue_remove(k, j);
                    k = 0;
                    ledger[item] = withdrawn;
                    /* a closing channel that this drains is closed now, as
                     * when a recv drains it (found by SPIN: without this the
                     * receiver waits for ever on a closing, empty channel) */
#ifndef MUTANT_WITHDRAW_KEEPS_CLOSING
                    chan_after_removal();
#endif
                    printf("XI|%d|%d|channel.withdraw|item %d: timeout, withdrawn|state=%e queued=%d\n", _pid,
                           interp, item, chan_state, qlen)
#endif
                fi
            }
        fi
    :: else -> skip
    fi
}

/* Chan::take, once the matter is decided (an item, or closed): `got` =
 * item + 1, or 0 for Closed. An unbound item arrives as the UNBOUND marker
 * (policy replace) or as an ItemInterpreterDestroyed error (policy
 * error_on_recv). */
inline chan_take(interp, got, j) {
    if
    :: qlen > 0 ->
        got = queue[0] + 1;
        queue_remove(0, j);
        printf("XI|%d|%d|channel.recv|takes item %d (%e; its sender was told %e)|state=%e queued=%d\n", _pid, interp,
               got - 1, ledger[got - 1], send_outcome[got - 1], chan_state, qlen);
        /* delivered exactly once, and never after its sender saw Timeout */
        assert(ledger[got - 1] == queued || ledger[got - 1] == unbound);
        assert(send_outcome[got - 1] != timed_out);
        if
        :: ledger[got - 1] == queued -> ledger[got - 1] = received
        :: ledger[got - 1] == unbound && policy[got - 1] == replace -> ledger[got - 1] = recv_marker
        :: ledger[got - 1] == unbound && policy[got - 1] == error_on_recv -> ledger[got - 1] = recv_error
        fi;
        done[got - 1] = true;                /* wakes its blocked sender (notify under the mutex) */
        chan_after_removal();
        printf("XI|%d|%d|channel.recv|item %d: %e|state=%e queued=%d\n", _pid, interp, got - 1, ledger[got - 1],
               chan_state, qlen)
    :: else ->
        got = 0;
        printf("XI|%d|%d|channel.recv|closed|state=%e queued=%d\n", _pid, interp, chan_state, qlen)
    fi
}

/* Chan::recv (RecvChannel::recv with no timeout): blocks until an item or
 * close, then takes. */
inline chan_recv(interp, got, j) {
    atomic {
        qlen > 0 || chan_state == closed ->
        chan_take(interp, got, j)
    }
}

/* Chan::clear_interpreter(interp): each item the destroyed interpreter
 * sent that is still queued follows its unbound policy. (Its threads are
 * gone, so none of them is blocked in send.) */
inline chan_clear_interpreter(interp, k, j) {
    atomic {
        k = 0;
        do
        :: k < qlen && sender_interp[queue[k]] == interp && policy[queue[k]] == remove ->
            ledger[queue[k]] = removed;
            queue_remove(k, j)
        :: k < qlen && sender_interp[queue[k]] == interp && policy[queue[k]] != remove ->
            ledger[queue[k]] = unbound;
            k++
        :: k < qlen && sender_interp[queue[k]] != interp -> k++
        :: k >= qlen -> break
        od;
        k = 0;
        if
        :: chan_state == closing && qlen == 0 -> chan_state = closed
        :: else -> skip
        fi;
        printf("XI|%d|%d|interp.destroy|its queued items follow their unbound policy|state=%e queued=%d\n", _pid, interp,
               chan_state, qlen)
    }
}

/* State::close_now, forced: every queued item dropped and accounted for,
 * its blocked sender woken with Closed (Rust counts a waiting sender's item
 * `returned`, handed back with Closed; the spec counts it `dropped`). */
inline state_close_now(j) {
    do
    :: qlen > 0 ->
        ledger[queue[0]] = dropped;
        send_outcome[queue[0]] = refused_closed;
#ifndef BUG_FORCE_CLOSE_NO_WAKE
        done[queue[0]] = true;                   /* wake its sender with Closed */
#endif
        queue_remove(0, j)
    :: else -> break
    od;
    chan_state = closed
}

/* Chan::close(send_only = true, force) (SendChannel::close): empty ->
 * closed; non-empty -> closing (new sends fail, closed once drained).
 * `force`: State::close_now. */
inline chan_close(interp, force, res, j) {
    atomic {
        if
        :: chan_state == closed ->
            res = refused_closed
        :: chan_state != closed && (qlen == 0 || !force) ->
            if
            :: qlen == 0 -> chan_state = closed
            :: else -> chan_state = closing
            fi;
            res = ok
        :: chan_state != closed && qlen > 0 && force ->
            state_close_now(j);
            res = ok
        fi;
        printf("XI|%d|%d|channel.close|close(force=%d): %e|state=%e queued=%d\n", _pid, interp, force, res, chan_state, qlen)
    }
}

/* State::check_ledger's recount, at the end of a run: every item sent is
 * accounted for, and the queue holds exactly the items the ledger says are
 * queued. */
inline state_check_ledger(k, j) {
    k = 0;
    j = 0;
    do
    :: k < NITEMS ->
        if
        :: ledger[k] == queued || ledger[k] == unbound -> j++
        :: else -> skip
        fi;
        k++
    :: else -> break
    od;
    printf("XI|%d|-|channel.ledger|every item accounted for|state=%e queued=%d\n", _pid, chan_state, qlen);
    assert(j == qlen);
    assert(chan_state != closed || qlen == 0)
}

/* ---- the threads ---- */

/* A thread of interpreter `interp` that sends `item` and waits until it is
 * received (with a timeout if `may_time_out`). */
proctype Sender(byte interp; byte item; bool may_time_out) {
    byte k;
    byte j;
    printf("XI-NAME|%d|sender-%d\n", _pid, item);
Chan_send_and_wait:
    chan_send_and_wait(item, interp, may_time_out, k, j)
}

/* A thread of interpreter `interp` that receives until the channel is
 * closed (at most `max` items). */
proctype Receiver(byte interp; byte max) {
    byte got;
    byte n = 0;
    byte j;
    printf("XI-NAME|%d|receiver\n", _pid);
    do
    :: n < max ->
Chan_recv:
        chan_recv(interp, got, j);
        if
        :: got == 0 -> break
        :: else -> n++
        fi
    :: else -> break
    od
}

/* A thread that closes the channel, forced or not. */
proctype Closer(byte interp; bool force) {
    mtype res;
    byte j;
    printf("XI-NAME|%d|closer\n", _pid);
Chan_close:
    chan_close(interp, force, res, j)
}
