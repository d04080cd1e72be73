/*
 * lifecycle_mutant_drain_no_look_1requester.pml -- bounded wrapper of
 * lifecycle.pml: the starvation question, for refused attempts, with
 * acquire counting before it looks (the design main 8d8021e fixed).
 *
 * The drain policy; 1 stream of guard attempts that never end (Requester:
 * unlike a Taker it goes on after a refusal, as new requests keep
 * arriving); one finalizer. Each refused attempt counts for a moment
 * before its undo: SPIN finds the cycle in which the finalizer always
 * looks during one.
 * Rust: src/interp/lifecycle.rs, src/interp/finalize.rs. Page: docs/proofs.md.
 */
#define DRAIN_POLICY 1
#define MUTANT_DRAIN_NO_LOOK
#include "lifecycle.pml"

init {
    atomic {
        run Requester(1);
        run Finalizer(0)
    }
}

/* Does finalization complete while refused attempts keep coming? */
ltl finalizes { <> (PHASE(word) == FINALIZED) }
