/*
 * lifecycle_cpython_1holder_2finalizers.pml -- bounded wrapper of
 * lifecycle.pml.
 *
 * CPython's guard policy; two finalizers race while a holder takes a guard
 * twice. Exactly one finalizer returns Ok.
 * Rust: src/interp/lifecycle.rs, src/interp/mod.rs. Page: docs/proofs.md.
 */
#define DRAIN_POLICY 0
#include "lifecycle.pml"

init {
    atomic {
        run Holder(1, 2);
        run Finalizer(0);
        run Finalizer(1)
    }
    /* both finalizers returned: exactly one succeeded */
    (_nr_pr == 1);
    assert(finalized_ok == 1 && PHASE(word) == FINALIZED)
}
