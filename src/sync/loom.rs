//! loom backend: every interleaving of a scenario is explored.
pub(super) const NAME: &str = "loom";

pub use loom::sync::Arc;

model_backend!(loom);

/// The current model thread's name. Reads loom's execution state without
/// creating a branch point.
pub fn current_name() -> Option<String> {
    loom::thread::current().name().map(str::to_owned)
}
