/*
 * lifecycle_drain_1requester.pml -- bounded wrapper of lifecycle.pml:
 * the starvation question, for refused attempts.
 *
 * The drain policy; 1 stream of guard attempts that never end (Requester:
 * unlike a Taker it goes on after a refusal, as new requests keep
 * arriving); one finalizer. Under the fetch_add design a refused attempt
 * counts for a moment before its undo.
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
