/*
 * lifecycle_drain_2requesters.pml -- bounded wrapper of lifecycle.pml:
 * the starvation question, for refused attempts.
 *
 * The drain policy; 2 stream(s) of guard attempts that never end (Requester:
 * unlike a Taker it goes on after a refusal, as new requests keep
 * arriving); one finalizer. Main's design: acquire looks, then counts;
 * once DRAINING is set a refused attempt writes nothing.
 * Rust: src/interp/lifecycle.rs, src/interp/finalize.rs. Page: docs/proofs.md.
 */
#define DRAIN_POLICY 1
#include "lifecycle.pml"

init {
    atomic {
        run Requester(1);
        run Requester(2);
        run Finalizer(0)
    }
}

/* Does finalization complete while refused attempts keep coming? */
ltl finalizes { <> (PHASE(word) == FINALIZED) }
