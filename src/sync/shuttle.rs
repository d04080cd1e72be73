//! shuttle backend: randomized, PCT and DFS schedules.
pub(super) const NAME: &str = "shuttle";

// shuttle's `Arc` is std's (reference counts need no scheduling); the
// newtype keeps the facade the only place that names it.
#[path = "std_arc.rs"]
mod arc;
pub use arc::Arc;

model_backend!(shuttle);

/// A spawned model thread's stack, in bytes (shuttle's unit): 1 MiB, as
/// under loom, where the default overflows in debug builds.
const THREAD_STACK: usize = 1 << 20;

/// The current task's name. Reads shuttle's execution state without a
/// scheduling decision.
pub fn current_name() -> Option<String> {
    // shuttle names the root task `main-thread`; loom leaves it unnamed and
    // the trace calls it `main`. Same scenario, same column names.
    match shuttle::thread::current().name() {
        Some("main-thread") | None => None,
        Some(name) => Some(name.to_owned()),
    }
}
