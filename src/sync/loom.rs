//! loom backend: every interleaving of a scenario is explored.
pub(super) const NAME: &str = "loom";

pub use loom::sync::Arc;

model_backend!(loom);

/// A spawned model thread's stack, in machine words (loom's unit): 1 MiB.
/// loom's default (32 KiB) overflows under a debug build's frames (a test
/// profile at `opt-level = 0`, cargo's default); the scenario's root thread
/// keeps loom's default, which loom does not let us change.
const THREAD_STACK: usize = (1 << 20) / std::mem::size_of::<usize>();

/// The current model thread's name. Reads loom's execution state without
/// creating a branch point.
pub fn current_name() -> Option<String> {
    loom::thread::current().name().map(str::to_owned)
}
