/*
 * lifecycle_drain_cas_2requesters.pml -- bounded wrapper of lifecycle.pml:
 * the starvation question, for refused attempts.
 *
 * The drain policy; 2 stream(s) of guard attempts that never end (Requester:
 * unlike a Taker it goes on after a refusal, as new requests keep
 * arriving); one finalizer. Under the fetch_add design a refused attempt
 * counts for a moment before its undo; this wrapper uses ACQUIRE_BY_CAS
 * (load + CAS, the earlier design), where a refused attempt writes nothing.
 * Rust: src/interp/lifecycle.rs, src/interp/finalize.rs. Page: docs/proofs.md.
 */
#define DRAIN_POLICY 1
#define ACQUIRE_BY_CAS
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
