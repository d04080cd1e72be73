//! Without the `trace` feature the protocols record nothing (TR-1): this
//! package builds xinterp as an embedder does, without the toolkit, whose
//! dev-dependency turns tracing on in the root package's own tests.
//!
//! The recorder here is the library's hook itself, so the test needs no
//! toolkit: with tracing compiled out, an entered recorder hears nothing
//! from the protocols, while a scenario's own `trace::custom` step, which is
//! not compiled out, still reaches it (the hook works; the protocol's calls
//! are gone).
#![allow(clippy::disallowed_types)]

use std::sync::{Arc, Mutex};
use xinterp::trace::{self, EventKind, Recorder};
use xinterp::Runtime;

#[derive(Default)]
struct Ops(Mutex<Vec<String>>);

impl Recorder for Ops {
    fn record(&self, kind: EventKind) {
        self.0.lock().unwrap().push(kind.op().to_owned());
    }
}

#[test]
fn protocol_steps_follow_the_trace_feature() {
    let ops = Arc::new(Ops::default());
    let _entered = trace::enter(Some(ops.clone()));
    let runtime = Runtime::new();
    drop(runtime.main().guard().unwrap());
    trace::custom(None, "scenario.step", "ok", "");
    let seen = ops.0.lock().unwrap().clone();
    if trace::ENABLED {
        assert_eq!(seen, ["guard.acquire", "guard.release", "scenario.step"]);
    } else {
        assert_eq!(seen, ["scenario.step"], "a protocol step was recorded with tracing compiled out");
    }
}

/// Tracing is compiled in exactly when this package asks for it. Run this
/// package on its own (`cargo test -p xinterp-bench`, as `cargo xtask ci`
/// does): in a `--workspace` build cargo unifies the toolkit's `trace`
/// feature into every package, and this test says so.
#[test]
fn an_embedders_build_compiles_tracing_out() {
    assert_eq!(
        trace::ENABLED,
        cfg!(feature = "trace"),
        "tracing is compiled in without this package's `trace` feature: a dev-dependency on the \
         toolkit leaked into an embedder's build (or this ran in a `--workspace` build: run \
         `cargo test -p xinterp-bench` alone)"
    );
}
