//! Where held guards were taken, and what a finalization that gave up
//! waiting for them reports.
//!
//! With [`Config::track_guards`](crate::Config::track_guards) on, each
//! interpreter keeps a table of its held guards: one row per guard, its key
//! (the address of the guard's ticket, unique while the guard is held; see
//! `guard_word`) and the caller location that took it, updated under the
//! table's own lock when a guard is taken or released. A finalization whose
//! deadline passes snapshots it into [`Outstanding`] (rows grouped by
//! location), the leak report CPython cannot give. Without tracking, no
//! table is kept, a guard is one word that holds no location, and taking
//! one costs no lock.
use crate::interp::InterpreterId;
use std::fmt;
use std::panic::Location;

/// The held guards of one interpreter and where each was taken, kept when
/// [`Config::track_guards`](crate::Config::track_guards) is on.
#[derive(Debug, Default)]
pub(crate) struct GuardSites {
    held: crate::sync::Mutex<Vec<Held>>,
}

/// One held guard: its ticket's key and where it was taken.
#[derive(Clone, Copy, Debug)]
struct Held {
    key: usize,
    location: &'static Location<'static>,
}

impl GuardSites {
    /// The guard with ticket `key` was taken at `location`.
    pub(crate) fn taken(&self, key: usize, location: &'static Location<'static>) {
        self.held.lock().push(Held { key, location });
    }

    /// The guard with ticket `key` is released.
    pub(crate) fn released(&self, key: usize) {
        let mut held = self.held.lock();
        if let Some(i) = held.iter().position(|h| h.key == key) {
            held.swap_remove(i);
        }
    }

    /// Where the guard with ticket `key` was taken, if it is held.
    pub(crate) fn location_of(&self, key: usize) -> Option<&'static Location<'static>> {
        self.held.lock().iter().find(|h| h.key == key).map(|h| h.location)
    }

    /// The held guards grouped by location, sorted by file, line, column.
    pub(crate) fn snapshot(&self) -> Vec<GuardSite> {
        let held = self.held.lock().clone();
        let mut sites: Vec<GuardSite> = Vec::new();
        for h in held {
            match sites.iter_mut().find(|s| std::ptr::eq(s.location, h.location)) {
                Some(s) => s.held += 1,
                None => sites.push(GuardSite { location: h.location, held: 1 }),
            }
        }
        sites.sort_by_key(|s| (s.location.file(), s.location.line(), s.location.column()));
        sites
    }
}

/// A place in the code that holds guards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardSite {
    /// Where the guards were taken.
    pub location: &'static Location<'static>,
    /// How many guards taken there are held.
    pub held: usize,
}

/// The guards still held when a finalization gave up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outstanding {
    /// The interpreter.
    pub interpreter: InterpreterId,
    /// How many guards were held.
    pub guards: usize,
    /// Where they were taken; `None` when the interpreter does not track
    /// guards ([`Config::track_guards`](crate::Config::track_guards)).
    pub sites: Option<Vec<GuardSite>>,
}

impl fmt::Display for Outstanding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} guard(s) still held on {}", self.guards, self.interpreter)?;
        match &self.sites {
            None => f.write_str(" (enable Config::track_guards to see where they were taken)"),
            Some(sites) => {
                f.write_str(", taken at:")?;
                for site in sites {
                    write!(f, "\n  {} ({} held)", site.location, site.held)?;
                }
                Ok(())
            }
        }
    }
}
