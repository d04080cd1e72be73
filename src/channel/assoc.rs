//! Which interpreters are associated with each end of a channel.
//!
//! An interpreter is associated with an end the first time it uses it (a
//! send associates it with the send end, a receive with the receive end),
//! and stays associated until it releases that end or is destroyed. A
//! record is kept per interpreter and end, open or released: an interpreter
//! that released an end cannot use it again (CPython's
//! `_channelends_associate` refuses a closed end).
//!
//! The channel closes when no association is open on either end, once some
//! interpreter has released one (CPython's `_channelends_is_open`: both
//! counts zero, and at least one record). Destroying an interpreter
//! *removes* its records; the channel then closes if that interpreter had a
//! record and no association is left open (CPython keeps the destroyed
//! interpreter's records, closed, with the same effect): a channel whose
//! only user was destroyed is closed for the receivers still to come.
use crate::interp::InterpreterId;
use crate::trace::event::ChannelEnds;

use super::end::End;

#[derive(Clone, Copy, Debug)]
struct Record {
    interp: InterpreterId,
    open: bool,
}

/// The association records of both ends.
#[derive(Debug, Default)]
pub(crate) struct Associations {
    send: Vec<Record>,
    recv: Vec<Record>,
    send_open: usize,
    recv_open: usize,
    /// Per end, the interpreter whose record `associate` last found or made
    /// open: the next `associate` by it answers without a scan (the common
    /// case: one interpreter sends or receives again and again). Cleared by
    /// every release and forget of that end, the only steps that close or
    /// remove a record, so it always names an open record
    /// (`tests/channels.rs`: `released_sender_is_refused_after_using_the_end`).
    open_hint: [Option<InterpreterId>; 2],
}

/// Why an association or release was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct AlreadyReleased;

impl Associations {
    fn end_mut(&mut self, end: End) -> (&mut Vec<Record>, &mut usize) {
        match end {
            End::Send => (&mut self.send, &mut self.send_open),
            End::Recv => (&mut self.recv, &mut self.recv_open),
        }
    }

    fn records(&self, end: End) -> &[Record] {
        match end {
            End::Send => &self.send,
            End::Recv => &self.recv,
        }
    }

    /// How many interpreters are associated (and have not released) on `end`.
    pub(crate) fn open_on(&self, end: End) -> usize {
        match end {
            End::Send => self.send_open,
            End::Recv => self.recv_open,
        }
    }

    /// Whether any record exists (some interpreter used or released an end).
    pub(crate) fn ever_associated(&self) -> bool {
        !self.send.is_empty() || !self.recv.is_empty()
    }

    /// Associates `who` with `end` if it is not yet; refuses if it released
    /// that end. Returns whether a new association was made.
    #[inline]
    pub(crate) fn associate(&mut self, end: End, who: InterpreterId) -> Result<bool, AlreadyReleased> {
        if self.open_hint[end as usize] == Some(who) {
            return Ok(false);
        }
        self.associate_slow(end, who)
    }

    /// [`associate`](Self::associate) by a scan of the records; leaves the
    /// hint on `who` if its record is open.
    fn associate_slow(&mut self, end: End, who: InterpreterId) -> Result<bool, AlreadyReleased> {
        let (records, open) = self.end_mut(end);
        let made = match records.iter().find(|r| r.interp == who) {
            Some(r) if r.open => false,
            Some(_) => return Err(AlreadyReleased),
            None => {
                records.push(Record { interp: who, open: true });
                *open += 1;
                true
            }
        };
        self.open_hint[end as usize] = Some(who);
        Ok(made)
    }

    /// Whether `who` released `end` (so it may not use it).
    pub(crate) fn released(&self, end: End, who: InterpreterId) -> bool {
        self.records(end).iter().any(|r| r.interp == who && !r.open)
    }

    /// Releases `who`'s association with `end`. An interpreter that never
    /// used the end gets a released record (it may not use it afterwards);
    /// releasing twice is refused.
    pub(crate) fn release(&mut self, end: End, who: InterpreterId) -> Result<(), AlreadyReleased> {
        self.open_hint[end as usize] = None;
        let (records, open) = self.end_mut(end);
        match records.iter_mut().find(|r| r.interp == who) {
            Some(r) if r.open => {
                r.open = false;
                *open -= 1;
                Ok(())
            }
            Some(_) => Err(AlreadyReleased),
            None => {
                records.push(Record { interp: who, open: false });
                Ok(())
            }
        }
    }

    /// Removes every record of `who` (its interpreter was destroyed).
    /// Returns whether it had any.
    pub(crate) fn forget(&mut self, who: InterpreterId) -> bool {
        self.open_hint = [None; 2];
        let mut had = false;
        for end in [End::Send, End::Recv] {
            let (records, open) = self.end_mut(end);
            if let Some(i) = records.iter().position(|r| r.interp == who) {
                if records[i].open {
                    *open -= 1;
                }
                records.remove(i);
                had = true;
            }
        }
        had
    }

    /// The interpreters associated with `end` now (not released), oldest first.
    pub(crate) fn list(&self, end: End) -> Vec<InterpreterId> {
        self.records(end).iter().filter(|r| r.open).map(|r| r.interp).collect()
    }

    /// Both ends' records, oldest first, for traces (`send=[1] recv=[-2]`).
    pub(crate) fn snapshot(&self) -> ChannelEnds {
        let side = |records: &[Record]| records.iter().map(|r| (r.interp.get(), r.open)).collect();
        ChannelEnds { send: side(&self.send), recv: side(&self.recv) }
    }
}
