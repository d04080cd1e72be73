//! Lifecycle events: guards, finalization, interpreters and their threads,
//! GILs, thread states.
use super::no_events_yet;

/// A guard step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuardEvent {}
/// A finalization step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FinalizeEvent {}
/// An interpreter or thread step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InterpEvent {}
/// A GIL step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GilEvent {}
/// A thread-state step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ThreadStateEvent {}

no_events_yet!(GuardEvent, FinalizeEvent, InterpEvent, GilEvent, ThreadStateEvent);
