//! Where held guards were taken, and what a finalization that gave up
//! waiting for them reports.
//!
//! With [`Config::track_guards`](crate::Config::track_guards) on, each
//! interpreter keeps a table of the caller locations that hold guards (one
//! row per location, with how many guards taken there are held), updated
//! under its own lock when a guard is taken or released. A finalization
//! whose deadline passes snapshots it into [`Outstanding`], the leak report
//! CPython cannot give. Without tracking, no table is kept and taking a
//! guard costs no lock.
use crate::interp::InterpreterId;
use std::fmt;
use std::panic::Location;

/// Where held guards were taken, kept when
/// [`Config::track_guards`](crate::Config::track_guards) is on.
#[derive(Debug, Default)]
pub(crate) struct GuardSites {
    sites: crate::sync::Mutex<Vec<GuardSite>>,
}

impl GuardSites {
    pub(crate) fn taken(&self, site: &'static Location<'static>) {
        let mut sites = self.sites.lock();
        match sites.iter_mut().find(|s| std::ptr::eq(s.location, site)) {
            Some(s) => s.held += 1,
            None => sites.push(GuardSite { location: site, held: 1 }),
        }
    }

    pub(crate) fn released(&self, site: &'static Location<'static>) {
        let mut sites = self.sites.lock();
        if let Some(i) = sites.iter().position(|s| std::ptr::eq(s.location, site)) {
            sites[i].held -= 1;
            if sites[i].held == 0 {
                sites.swap_remove(i);
            }
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<GuardSite> {
        let mut sites = self.sites.lock().clone();
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
