/*
 * lifecycle_drain_2takers.pml -- bounded wrapper of lifecycle.pml: the
 * starvation question.
 *
 * The drain policy (finalize first sets DRAINING; no guard after that);
 * two takers that loop acquire -> use -> release for ever, overlapping, and
 * stop only when a guard is refused; one finalizer.
 * Rust: src/interp/lifecycle.rs, src/interp/mod.rs. Page: docs/proofs.md.
 */
#define DRAIN_POLICY 1
#include "lifecycle.pml"

init {
    atomic {
        run Taker(1);
        run Taker(2);
        run Finalizer(0)
    }
}

/* Does finalization complete with a continuous stream of guards? */
ltl finalizes { <> (PHASE(word) == FINALIZED) }
