/*
 * lifecycle_drain_2holders_2rounds.pml -- bounded wrapper of lifecycle.pml.
 *
 * The drain policy (finalize first sets DRAINING); two holders that each take and release a guard
 * twice; one non-daemon thread; one finalizer.
 * Rust: src/interp/lifecycle.rs, src/interp/mod.rs. Page: docs/proofs.md.
 */
#define DRAIN_POLICY 1
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
