/*
 * lifecycle_cpython_2takers.pml -- bounded wrapper of lifecycle.pml: the
 * starvation question.
 *
 * CPython's guard policy (wait until zero, then CAS into Finalizing);
 * two takers that loop acquire -> use -> release for ever, overlapping, and
 * stop only when a guard is refused; one finalizer.
 * Rust: src/interp/lifecycle.rs, src/interp/mod.rs. Page: docs/proofs.md.
 */
#define DRAIN_POLICY 0
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
