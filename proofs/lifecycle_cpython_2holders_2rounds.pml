/*
 * lifecycle_cpython_2holders_2rounds.pml -- bounded wrapper of lifecycle.pml.
 *
 * CPython's guard policy; two holders that each take and release a guard
 * twice; one non-daemon thread; one finalizer.
 * Rust: src/interp/lifecycle.rs, src/interp/mod.rs. Page: docs/proofs.md.
 */
#define DRAIN_POLICY 0
#include "lifecycle.pml"

init {
    atomic {
        nondaemon_alive = 1;
        run NonDaemon(1);
        run Holder(1, 2);
        run Holder(2, 2);
        run Finalizer(0)
    }
}

/* LC-3: finalization completes once every holder has released its guards. */
ltl finalizes { <> (PHASE(word) == FINALIZED) }
