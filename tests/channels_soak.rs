//! Soak test (production mode): 10^6 items through channels, 4 threads on
//! 4 interpreters (2 senders, 2 receivers), with random closes (drained,
//! forced mid-stream), releases and timeouts. After every round the
//! channel's ledger must reconcile exactly with what the threads saw:
//!
//! ```text
//! offered (by the senders)  = ledger.offered
//! received (by receivers)   = ledger.received
//! handed back to senders    = ledger.refused + ledger.withdrawn + ledger.returned
//! offered = received + handed back + ledger.dropped + ledger.unbound + ledger.queued
//! ```
//!
//! `XINTERP_SOAK_ITEMS` overrides the item count.
#![cfg(not(any(loom, shuttle)))]

use std::time::{Duration, Instant};
use xinterp::channel::{self, Ends, Nowait, Received, RecvError, SendError, Status, UnboundPolicy};
use xinterp::sync::atomic::{AtomicBool, Ordering};
use xinterp::sync::{thread, Arc};
use xinterp::{Interpreter, Runtime};

/// xorshift64*: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Default, Debug, Clone, Copy)]
struct SenderTally {
    offered: u64,
    accepted: u64,
    handed_back: u64,
}

#[derive(Clone, Copy, Debug)]
enum Ending {
    /// Senders finish, then the send end is closed: receivers drain.
    Drain,
    /// A forced close while the senders are still sending.
    ForceMidStream,
    /// Everyone releases; the last release closes.
    Releases,
}

fn round(runtime: &Runtime, interps: &[Interpreter], items: u64, seed: u64, ending: Ending) -> (u64, u64) {
    let (rx, tx) = runtime.main().guard().unwrap().with_gil(|py| channel::create::<u64>(py, UnboundPolicy::Replace));
    let stop = Arc::new(AtomicBool::new(false));
    let per_sender = items / 2;
    let senders: Vec<_> = (0..2_u64)
        .map(|s| {
            let (tx, interp, stop) = (tx.clone(), interps[s as usize].clone(), Arc::clone(&stop));
            thread::spawn_named(format!("sender-{s}"), move || {
                let mut rng = Rng(seed ^ (s + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
                let mut tally = SenderTally::default();
                interp.guard().unwrap().with_gil(|py| {
                    for n in 0..per_sender {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let item = (s << 32) | n;
                        tally.offered += 1;
                        // Mostly queued; one in 64 a blocking send with a short
                        // timeout (received, withdrawn, or woken by a close).
                        let result = if rng.below(64) == 0 {
                            tx.send(py, item, Duration::from_micros(rng.below(200)))
                        } else {
                            tx.send(py, item, Nowait)
                        };
                        match result {
                            Ok(()) => tally.accepted += 1,
                            Err(e) => {
                                assert_eq!(e.item(), &item, "CH-1: a failed send hands its own item back");
                                tally.handed_back += 1;
                                if let SendError::Closed(_) = e {
                                    break;
                                }
                            }
                        }
                    }
                    if let Ending::Releases = ending {
                        let _ = tx.release(py);
                    }
                });
                tally
            })
        })
        .collect();
    let receivers: Vec<_> = (0..2_usize)
        .map(|r| {
            let (rx, interp, stop) = (rx.clone(), interps[2 + r].clone(), Arc::clone(&stop));
            thread::spawn_named(format!("receiver-{r}"), move || {
                let mut got = 0_u64;
                let mut last = [None::<u64>; 2];
                interp.guard().unwrap().with_gil(|py| loop {
                    match rx.recv(py, Duration::from_millis(2)) {
                        Ok(Received::Item(item)) => {
                            got += 1;
                            // CH-5: per sender, this receiver sees increasing numbers.
                            let (s, n) = ((item >> 32) as usize, item & 0xffff_ffff);
                            assert!(last[s].is_none_or(|l| l < n), "CH-5: {n} after {:?} from sender {s}", last[s]);
                            last[s] = Some(n);
                        }
                        Ok(Received::Unbound(_)) => panic!("no interpreter is destroyed in this soak"),
                        Err(RecvError::Closed) => return got,
                        Err(RecvError::Timeout) => {
                            if stop.load(Ordering::Relaxed) {
                                if let Ending::Releases = ending {
                                    let _ = rx.release(py);
                                }
                            }
                        }
                        Err(other) => panic!("unexpected receive error: {other}"),
                    }
                })
            })
        })
        .collect();

    match ending {
        Ending::ForceMidStream => {
            thread::yield_now();
            std::thread::sleep(Duration::from_micros(seed % 3000));
            let _ = rx.close_ends(Ends::Both, true);
            stop.store(true, Ordering::Relaxed);
        }
        Ending::Drain | Ending::Releases => {}
    }
    let tallies: Vec<SenderTally> = senders.into_iter().map(|s| s.join().unwrap()).collect();
    match ending {
        Ending::Drain => assert!(matches!(tx.close(false), Ok(()) | Err(channel::CloseError::Closed))),
        Ending::Releases | Ending::ForceMidStream => stop.store(true, Ordering::Relaxed),
    }
    let received: u64 = receivers.into_iter().map(|r| r.join().unwrap()).sum();
    assert_eq!(rx.status(), Status::Closed, "{ending:?}: every round ends closed");

    let ledger = rx.ledger();
    let offered: u64 = tallies.iter().map(|t| t.offered).sum();
    let handed_back: u64 = tallies.iter().map(|t| t.handed_back).sum();
    let accepted: u64 = tallies.iter().map(|t| t.accepted).sum();
    assert!(ledger.is_balanced(), "CH-1: {ledger}");
    assert_eq!(ledger.offered, offered, "{ending:?}: offered: {ledger}");
    assert_eq!(ledger.received, received, "{ending:?}: received: {ledger}");
    assert_eq!(ledger.refused + ledger.withdrawn + ledger.returned, handed_back, "{ending:?}: handed back: {ledger}");
    assert_eq!(offered, accepted + handed_back);
    assert_eq!(
        offered,
        received + handed_back + ledger.dropped + ledger.unbound + ledger.queued,
        "{ending:?}: reconciliation: {ledger}"
    );
    assert_eq!(ledger.queued, 0, "closed channels hold nothing");
    (offered, received)
}

#[test]
fn a_million_items_reconcile_exactly() {
    let total: u64 = std::env::var("XINTERP_SOAK_ITEMS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let per_round = 20_000;
    let runtime = Runtime::new();
    let interps: Vec<Interpreter> = (0..4).map(|_| runtime.create().unwrap()).collect();
    let started = Instant::now();
    let (mut offered, mut received, mut rounds) = (0, 0, 0_u64);
    let endings = [Ending::Drain, Ending::ForceMidStream, Ending::Releases];
    while offered < total {
        let ending = endings[(rounds % 3) as usize];
        let (o, r) = round(&runtime, &interps, per_round, 0x5eed + rounds, ending);
        offered += o;
        received += r;
        rounds += 1;
    }
    println!(
        "soak: {offered} items offered, {received} received, {rounds} rounds, {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The buffer's capacity bound after any removal: a small constant times
/// the live items, or the floor under which it is never shrunk.
fn within_bound(capacity: usize, len: usize) -> bool {
    capacity <= (4 * len).max(64)
}

/// A million items unbound by their sender's destruction (policy Remove),
/// then a million drained by a receiver: after each, the buffer gives its
/// memory back (it once kept ~88 MB until the last handle dropped).
#[test]
fn a_mass_unbind_and_a_drain_shrink_the_buffer() {
    let items: usize = std::env::var("XINTERP_SOAK_ITEMS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let main = runtime.main();
    let (rx, tx) = main.guard().unwrap().with_gil(|py| channel::create::<u64>(py, UnboundPolicy::Remove));
    // main associates with the receive end: the channel outlives `sub`.
    main.guard().unwrap().with_gil(|py| assert_eq!(rx.recv(py, Nowait), Err(RecvError::Empty)));
    sub.guard().unwrap().with_gil(|py| {
        for i in 0..items as u64 {
            tx.send(py, i, Nowait).unwrap();
        }
    });
    let full = rx.buffer_capacity();
    assert!(full >= items, "{full} < {items}");
    sub.destroy().unwrap();
    let unbound = rx.buffer_capacity();
    eprintln!("mass unbind of {items} items: capacity {full} -> {unbound}");
    assert_eq!((rx.len(), rx.ledger().unbound), (0, items as u64));
    assert!(within_bound(unbound, 0), "after the unbind: capacity {unbound} for 0 items");

    main.guard().unwrap().with_gil(|py| {
        for i in 0..items as u64 {
            tx.send(py, i, Nowait).unwrap();
        }
        let full = rx.buffer_capacity();
        for i in 0..items as u64 {
            assert_eq!(rx.recv(py, Nowait), Ok(Received::Item(i)));
            if i % 1024 == 0 {
                let (capacity, len) = (rx.buffer_capacity(), rx.len());
                assert!(within_bound(capacity, len), "mid-drain: capacity {capacity} for {len} items");
            }
        }
        let drained = rx.buffer_capacity();
        eprintln!("drain of {items} items: capacity {full} -> {drained}");
        assert!(within_bound(drained, 0), "after the drain: capacity {drained}");
    });
    assert!(rx.ledger().is_balanced());
}
