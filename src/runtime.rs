//! The runtime: the registry of interpreters, with unique ids never reused.
//! The first interpreter is the main interpreter.
use crate::interp::{Core, Interpreter, InterpreterId};
use crate::sync::atomic::{AtomicU64, Ordering};
use crate::sync::{Arc, Mutex};
use crate::View;

/// Owns the interpreters of one process (or one scenario).
#[derive(Debug)]
pub struct Runtime {
    next_id: AtomicU64,
    interpreters: Mutex<Vec<Arc<Core>>>,
    main: Interpreter,
}

impl Runtime {
    /// A runtime with its main interpreter (id 0) running.
    pub fn new() -> Self {
        let main = Arc::new(Core::new(InterpreterId(0)));
        Self {
            next_id: AtomicU64::new(1),
            interpreters: Mutex::new(vec![Arc::clone(&main)]),
            main: Interpreter::from_core(main),
        }
    }

    /// The main interpreter.
    pub fn main(&self) -> &Interpreter {
        &self.main
    }

    /// A view of the main interpreter (`PyInterpreterView_FromMain`).
    pub fn main_view(&self) -> View {
        self.main.view()
    }

    /// Creates a subinterpreter with a fresh id.
    pub fn create(&self) -> Interpreter {
        // Relaxed: ids only need to be unique, which the RMW guarantees.
        let id = InterpreterId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let core = Arc::new(Core::new(id));
        self.interpreters.lock().push(Arc::clone(&core));
        crate::trace_event!(Some(id.0), "interp.create", "ok", "phase=running guards=0");
        Interpreter::from_core(core)
    }

    /// The interpreter with this id, if the runtime has one.
    pub fn get(&self, id: InterpreterId) -> Option<Interpreter> {
        self.interpreters.lock().iter().find(|core| core.id == id).map(|core| Interpreter::from_core(Arc::clone(core)))
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Self::new()
    }
}
