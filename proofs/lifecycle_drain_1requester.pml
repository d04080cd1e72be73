/*
 * lifecycle_drain_1requester.pml -- bounded wrapper of lifecycle.pml:
 * the starvation question, for refused attempts.
 *
 * The drain policy; 1 stream of guard attempts that never end (Requester:
 * unlike a Taker it goes on after a refusal, as new requests keep
 * arriving); one finalizer. Acquire looks before it counts, so once
 * DRAINING is set a refused attempt writes nothing (see
 * lifecycle_mutant_drain_no_look_1requester.pml for the version that
 * counts first and starves the finalizer).
 * Rust: src/interp/lifecycle.rs, src/interp/finalize.rs. Page: docs/proofs.md.
 */
#define DRAIN_POLICY 1
#include "lifecycle.pml"

init {
    atomic {
        run Requester(1);
        run Finalizer(0)
    }
}

/* Does finalization complete while refused attempts keep coming? */
ltl finalizes { <> (PHASE(word) == FINALIZED) }
