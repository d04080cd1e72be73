//! Fitting a concurrent trace onto the sequential model: find an order of
//! the recorded steps that the model allows, among the orders the
//! recording permits.
//!
//! A step takes effect at one instant (an atomic read-modify-write, or a
//! change under a lock) and is recorded a little later, by the same
//! thread, before that thread does anything else. So step `e` of thread `T`
//! took effect after `T`'s previous event was recorded and before `e` was:
//! in the recorded order, only the *next* event of each other thread can
//! have taken effect before `e` without being recorded yet. The replay
//! walks the events in recorded order and, when the model refuses `e`,
//! tries taking such pending steps first (depth first, backtracking). The
//! order it finds is one the threads could have run; if none exists, the
//! trace shows something the protocol does not allow.
//!
//! A step of several actions ([`Step::actions`]: a refused guard is
//! counted, then uncounted) takes them at different instants, all before
//! it is recorded, so a pending step may also fall *between* them: a
//! daemon's refused guard counted while the interpreter is Finalizing,
//! the finalizer's `mark_finalized` (whose `finalize.done` records that
//! transient count), then the daemon's undo, recorded as `refused:
//! finalized` before the `finalize.done`. The full search takes an
//! event's actions one at a time and tries the pending steps at each
//! boundary; the greedy and repair passes only try them before an event.
//!
//! Not every step is recorded after its effect: a channel's events are
//! recorded under its lock, in the same critical section as the change, so
//! they are in effect order and never move; of the xi steps only some may
//! ([`Step::movable`]). Steps of different models (lifecycle, channels,
//! xi) touch disjoint state and commute, so a step is only moved ahead of
//! a step of its own model ([`Step::domain`]).
//!
//! Most traces replay in recorded order (the greedy pass, no copying); most
//! of the others with one pending step moved before each refused event
//! (the repair pass, no backtracking); the full search runs only when both
//! fail, with a budget on the steps it tries. Every order any pass accepts
//! is one the recording permits.
use super::apply::apply;
use super::model::Model;
use super::step::{Entry, Step};
use super::transition::TransitionSet;
use crate::spec::lifecycle::Disallowed;

/// The steps the search may try before giving up (an undecided trace is
/// reported, not failed).
const BUDGET: usize = 200_000;

/// How a replay ended.
#[derive(Debug)]
pub enum Replayed {
    /// In recorded order, with the transitions it took.
    InOrder(TransitionSet),
    /// In an order the recording permits, found by the search, with the
    /// transitions that order took.
    Reordered(TransitionSet),
    /// No permitted order is allowed: the deepest event any order reached,
    /// why it was refused, and the model's state before it.
    Rejected {
        /// Index of the event.
        at: usize,
        /// Why.
        why: Disallowed,
        /// The model's state before the event.
        state: String,
    },
    /// The search ran out of budget.
    Undecided,
}

struct Search<'a> {
    events: &'a [Entry],
    /// Per thread, its events' indices in order.
    by_thread: Vec<Vec<usize>>,
    budget: usize,
    /// The deepest refusal: the event, why, and the model before it
    /// (`None`: the recorded order's, rebuilt only if it is reported).
    deepest: (usize, Disallowed, Option<Model>),
}

/// Replays `events` on a fresh model: in recorded order if it can, with
/// local repairs where an event is refused; else by the full search.
pub fn replay(events: &[Entry]) -> Replayed {
    let threads = events.iter().map(|e| e.thread.0 as usize + 1).max().unwrap_or(0);
    let mut by_thread = vec![Vec::new(); threads];
    for (i, e) in events.iter().enumerate() {
        by_thread[e.thread.0 as usize].push(i);
    }
    let mut search = Search { events, by_thread, budget: BUDGET, deepest: (0, Disallowed::new("", ""), None) };
    let (at, why) = match search.in_order_with_repairs() {
        Ok((false, taken)) => return Replayed::InOrder(taken),
        Ok((true, taken)) => return Replayed::Reordered(taken),
        Err(refused) => refused,
    };
    search.deepest = (at, why, None);
    let mut progress = vec![0_u8; events.len()];
    match search.dfs(0, &Model::for_traces(), None, &mut progress) {
        Some(Some(taken)) => Replayed::Reordered(taken),
        Some(None) => {
            let (at, why, model) = search.deepest;
            let state = model.map_or_else(|| state_before(events, at), |m| m.describe_for(&events[at]));
            Replayed::Rejected { at, why, state }
        }
        None => Replayed::Undecided,
    }
}

fn actions(e: &Entry) -> u8 {
    e.step.as_ref().map_or(0, Step::actions)
}

/// Applies the remaining actions of event `p` to `model`; on failure the
/// model may be half-changed.
fn finish_event(model: &mut Model, events: &[Entry], p: usize, from: u8) -> bool {
    (from..actions(&events[p])).all(|a| apply(model, &events[p], a).is_ok())
}

/// The model's state before event `p` in recorded order (which replays up
/// to `p`), rebuilt: the failed step may have half-changed the greedy one.
fn state_before(events: &[Entry], p: usize) -> String {
    let mut model = Model::for_traces();
    for e in &events[..p] {
        for a in 0..actions(e) {
            let _ = apply(&mut model, e, a);
        }
    }
    model.describe_for(&events[p])
}

impl Search<'_> {
    /// The recorded order, in place, with local repairs: where an event is
    /// refused, let one pending step of another thread take effect just
    /// before it (the common case: a step recorded late), and go on. No
    /// backtracking. `Ok((repaired, transitions taken))`, or the first
    /// event no repair saves.
    fn in_order_with_repairs(&mut self) -> Result<(bool, TransitionSet), (usize, Disallowed)> {
        let events = self.events;
        let mut model = Model::for_traces();
        // Every action taken, in order: the model is rebuilt from it when a
        // refused event half-changed it.
        let mut log: Vec<(usize, u8)> = Vec::with_capacity(events.len() + 8);
        let mut progress = vec![0_u8; events.len()];
        let mut repaired = false;
        for p in 0..events.len() {
            let from = progress[p];
            let total = actions(&events[p]);
            if from == total {
                continue;
            }
            let mut refused = None;
            for a in from..total {
                if let Err(why) = apply(&mut model, &events[p], a) {
                    refused = Some(why);
                    break;
                }
            }
            if let Some(why) = refused {
                model = Model::for_traces();
                for (i, a) in &log {
                    let _ = apply(&mut model, &events[*i], *a);
                }
                let repair = self.pending(p, &progress).into_iter().find_map(|j| {
                    let mut early = model.clone();
                    let a = progress[j];
                    (apply(&mut early, &events[j], a).is_ok() && finish_event(&mut early, events, p, from))
                        .then_some((j, a, early))
                });
                let Some((j, a, fixed)) = repair else { return Err((p, why)) };
                model = fixed;
                log.push((j, a));
                progress[j] += 1;
                repaired = true;
            }
            log.extend((from..total).map(|a| (p, a)));
            progress[p] = total;
        }
        Ok((repaired, model.taken))
    }

    /// Spends one step of the budget; `None` once exhausted.
    fn spend(&mut self) -> Option<()> {
        self.budget = self.budget.checked_sub(1)?;
        Some(())
    }

    fn note(&mut self, at: usize, why: Disallowed, model: &Model) {
        // At the same depth, the search's own state beats the recorded
        // order's rebuilt one.
        if at > self.deepest.0 || (at == self.deepest.0 && self.deepest.2.is_none()) {
            self.deepest = (at, why, Some(model.clone()));
        }
    }

    /// Whether the events from `p` on can be replayed on `model` (with
    /// `progress` actions of each event already applied): the transitions
    /// the whole replay took if so; `None` when the budget ran out. `before`: the model before the actions of event `p`
    /// this branch just took in a row (`None`: `model`), which a refusal
    /// of `p` reports as the state before it.
    fn dfs(
        &mut self,
        mut p: usize,
        model: &Model,
        before: Option<&Model>,
        progress: &mut Vec<u8>,
    ) -> Option<Option<TransitionSet>> {
        let events = self.events;
        let at = p;
        while p < events.len() && progress[p] == actions(&events[p]) {
            p += 1;
        }
        let Some(e) = events.get(p) else { return Some(Some(model.taken)) };
        let before = before.filter(|_| p == at).unwrap_or(model);
        // Take the next action of event `p` now. One action at a time: the
        // actions of a step of several take effect at different instants,
        // all before the step is recorded, so another thread's pending step
        // may fall between them (module docs).
        let a = progress[p];
        self.spend()?;
        let mut now = model.clone();
        match apply(&mut now, e, a) {
            Ok(()) => {
                progress[p] = a + 1;
                if let Some(taken) = self.dfs(p, &now, Some(before), progress)? {
                    return Some(Some(taken));
                }
                progress[p] = a;
            }
            Err(why) => self.note(p, why, before),
        }
        // Or let another thread's pending step take effect first.
        for j in self.pending(p, progress) {
            self.spend()?;
            let mut early = model.clone();
            if apply(&mut early, &events[j], progress[j]).is_ok() {
                progress[j] += 1;
                if let Some(taken) = self.dfs(p, &early, None, progress)? {
                    return Some(Some(taken));
                }
                progress[j] -= 1;
            }
        }
        Some(None)
    }

    /// The next event of each other thread after `p`, if it is a covered
    /// step not yet fully applied whose next action may take effect before
    /// it is recorded ([`Step::movable`]), of the same model as `p` (steps
    /// of different models commute: [`Step::domain`]): the steps that may
    /// have taken effect before event `p` was recorded.
    fn pending(&self, p: usize, progress: &[u8]) -> Vec<usize> {
        let thread = self.events[p].thread.0 as usize;
        let domain = self.events[p].step.as_ref().map(Step::domain);
        self.by_thread
            .iter()
            .enumerate()
            .filter(|(u, _)| *u != thread)
            .filter_map(|(_, indices)| {
                let next = indices[indices.partition_point(|i| *i <= p)..].first().copied()?;
                let e = &self.events[next];
                let movable = e.step.as_ref().is_some_and(|s| s.movable(progress[next]) && Some(s.domain()) == domain);
                (progress[next] < actions(e) && movable).then_some(next)
            })
            .collect()
    }
}
