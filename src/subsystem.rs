//! What the kernel offers the subsystems built on it (channels, and
//! cross-interpreter data): a state slot per interpreter, per runtime and
//! per thread, and four moments at which the kernel calls them.
//!
//! | hook                           | called from                       | when                                                                      |
//! |--------------------------------|-----------------------------------|---------------------------------------------------------------------------|
//! | [`on_attach`](Subsystem::on_attach) | attaching a thread (`thread_state`) | right after the thread took the interpreter's GIL, outside the per-thread record |
//! | [`on_detach`](Subsystem::on_detach) | detaching a thread (`thread_state`) | right before the thread releases the GIL, with its per-thread slot      |
//! | [`teardown`](Subsystem::teardown)   | finalization, step 5              | attached to the interpreter (the finalizer holds its GIL), before its state is dropped |
//! | [`runtime_dropped`](Subsystem::runtime_dropped) | dropping the [`Runtime`](crate::Runtime) | after the registry let go of the interpreters                 |
//!
//! | slot                                | lives in                     | made                                   |
//! |-------------------------------------|------------------------------|----------------------------------------|
//! | [`InterpSlots`] (`Core::subsystems`) | each interpreter's core      | when the interpreter is created, from its id and config |
//! | [`RuntimeSlots`] (`RuntimeShared::subsystems`) | the runtime's shared part | when the runtime is created     |
//! | [`ThreadSlots`]                     | each thread's thread-state record | on the thread's first use of it    |
//!
//! The set of subsystems is fixed at compile time and wired in one place,
//! the crate root (`crate::Subsystems`); the kernel reaches it only through
//! [`Installed`] below and calls it only through this trait, so no kernel
//! module names a subsystem. The trait itself names nothing the kernel
//! builds on it: the core and the attached proof the hooks receive are
//! associated types the crate root sets, so this file sits below the core
//! that holds its slots (`cargo xtask layers`). Static rather than `dyn`: attaching runs on
//! every GIL acquire, and a static call compiles to the subsystem's code
//! inline, costing what a call by name cost (`docs/performance.md`).
//!
//! # Races considered
//!
//! The hooks run where the kernel's protocol puts them, so they inherit its
//! exclusions: `on_attach` and `on_detach` run holding the interpreter's
//! GIL; `teardown` runs after the interpreter entered Finalizing (no guard
//! is held, none can be taken) and under its GIL; `runtime_dropped` runs
//! when no [`Runtime`](crate::Runtime) handle is left. A hook must not
//! re-enter the per-thread record from `on_detach` (it is borrowed then);
//! `on_attach` may, and may run code that attaches and detaches.
use crate::config::Config;
use crate::interp::InterpreterId;

/// A subsystem built on the kernel (or the crate's set of them).
pub(crate) trait Subsystem {
    /// What each interpreter keeps for it.
    type Interp: Send + Sync;
    /// What each runtime keeps for it.
    type Runtime: Send + Sync;
    /// What each thread keeps for it, beside its thread states.
    type Thread: Default;
    /// The kernel's interpreter core, which the hooks are handed. Named by
    /// the composition root, not here: the interface sits below the core
    /// that holds its slots, and names nothing the kernel builds on it.
    type Core;
    /// The proof that the calling thread is attached (holds the GIL).
    type Attached<'a>;

    /// The slot of a new interpreter.
    fn new_interp(id: InterpreterId, config: &Config) -> Self::Interp;

    /// The slot of a new runtime.
    fn new_runtime() -> Self::Runtime;

    /// The calling thread just took `core`'s GIL.
    fn on_attach(core: &Self::Core);

    /// The calling thread is about to release `core`'s GIL; `thread` is its
    /// slot (the per-thread record is borrowed meanwhile).
    fn on_detach(core: &Self::Core, thread: &Self::Thread);

    /// `core` is being torn down; the finalizer is attached to it (`py`).
    fn teardown(core: &Self::Core, py: Self::Attached<'_>);

    /// The runtime is being dropped; its interpreters are unregistered.
    fn runtime_dropped(runtime: &Self::Runtime);
}

/// The subsystems the crate wires in.
pub(crate) type Installed = crate::Subsystems;
/// Every installed subsystem's per-interpreter state.
pub(crate) type InterpSlots = <Installed as Subsystem>::Interp;
/// Every installed subsystem's per-runtime state.
pub(crate) type RuntimeSlots = <Installed as Subsystem>::Runtime;
/// Every installed subsystem's per-thread state.
pub(crate) type ThreadSlots = <Installed as Subsystem>::Thread;
