//! Channels against what a user would otherwise reach for, side by side in
//! one run: crossbeam-channel, flume and std's mpsc. Ratios are reported in
//! docs/performance.md.
//!
//! - SPSC buffered: one producer, one consumer, an unbounded buffer
//!   (xinterp `send_nowait` + blocking `recv`);
//! - MPMC 2x2: two producers, two consumers, unbounded (std's mpsc has one
//!   receiver, so it sits this one out);
//! - rendezvous: a send returns once its item is received (xinterp's
//!   blocking `send`; crossbeam and flume `bounded(0)`, std `sync_channel(0)`).
//!
//! Every xinterp thread is attached to its own interpreter (own GIL), as
//! in a real multi-interpreter program; blocking steps release that GIL.
//! The time reported is per item.
// The peers are other crates' channels and std's, on plain std threads:
// naming them (and std's thread spawn) is the point of the comparison.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]
// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::time::{Duration, Instant};
use xinterp::channel::{self, Forever, Nowait, UnboundPolicy};
use xinterp::{Interpreter, Runtime};

/// Runs `producers` and `consumers` (each given its share of `n`) on
/// their own threads; the time from start to the last join.
fn run(n: u64, producers: Vec<Box<dyn FnOnce(u64) + Send>>, consumers: Vec<Box<dyn FnOnce(u64) + Send>>) -> Duration {
    let (np, nc) = (producers.len() as u64, consumers.len() as u64);
    let start = Instant::now();
    let mut handles = Vec::new();
    for c in consumers {
        handles.push(std::thread::spawn(move || c(n / nc)));
    }
    for p in producers {
        handles.push(std::thread::spawn(move || p(n / np)));
    }
    for h in handles {
        h.join().unwrap();
    }
    start.elapsed()
}

type Job = Box<dyn FnOnce(u64) + Send>;

fn xinterp_jobs(interps: &[Interpreter], np: usize, nc: usize, rendezvous: bool) -> (Vec<Job>, Vec<Job>) {
    let (rx, tx) = interps[0].guard().unwrap().with_gil(|py| channel::create::<u64>(py, UnboundPolicy::Replace));
    let producers = (0..np)
        .map(|i| {
            let (tx, interp) = (tx.clone(), interps[i].clone());
            Box::new(move |n: u64| {
                interp.guard().unwrap().with_gil(|py| {
                    for k in 0..n {
                        if rendezvous {
                            tx.send(py, k, Forever).unwrap();
                        } else {
                            tx.send(py, k, Nowait).unwrap();
                        }
                    }
                })
            }) as Job
        })
        .collect();
    let consumers = (0..nc)
        .map(|i| {
            let (rx, interp) = (rx.clone(), interps[np + i].clone());
            Box::new(move |n: u64| {
                interp.guard().unwrap().with_gil(|py| {
                    for _ in 0..n {
                        black_box(rx.recv(py, Forever).unwrap());
                    }
                })
            }) as Job
        })
        .collect();
    (producers, consumers)
}

/// Producers and consumers of a peer channel whose ends are `Clone`.
/// `send` and `recv` are generic (not function pointers), so each peer's
/// calls are inlined as they would be in its own benchmark.
fn peer_jobs<S, R>(
    np: usize,
    nc: usize,
    (tx, rx): (S, R),
    send: impl Fn(&S, u64) + Copy + Send + 'static,
    recv: impl Fn(&R) + Copy + Send + 'static,
) -> (Vec<Job>, Vec<Job>)
where
    S: Clone + Send + 'static,
    R: Clone + Send + 'static,
{
    let producers = (0..np)
        .map(|_| {
            let tx = tx.clone();
            Box::new(move |n: u64| (0..n).for_each(|k| send(&tx, k))) as Job
        })
        .collect();
    let consumers = (0..nc)
        .map(|_| {
            let rx = rx.clone();
            Box::new(move |n: u64| (0..n).for_each(|_| recv(&rx))) as Job
        })
        .collect();
    (producers, consumers)
}

fn crossbeam_jobs(np: usize, nc: usize, cap: Option<usize>) -> (Vec<Job>, Vec<Job>) {
    let ends = cap.map_or_else(crossbeam_channel::unbounded, crossbeam_channel::bounded);
    peer_jobs(
        np,
        nc,
        ends,
        |tx, k| tx.send(k).unwrap(),
        |rx| {
            black_box(rx.recv().unwrap());
        },
    )
}

fn flume_jobs(np: usize, nc: usize, cap: Option<usize>) -> (Vec<Job>, Vec<Job>) {
    let ends = cap.map_or_else(flume::unbounded, flume::bounded);
    peer_jobs(
        np,
        nc,
        ends,
        |tx, k| tx.send(k).unwrap(),
        |rx| {
            black_box(rx.recv().unwrap());
        },
    )
}

fn std_jobs(cap: Option<usize>) -> (Vec<Job>, Vec<Job>) {
    let (producer, rx): (Job, _) = match cap {
        None => {
            let (tx, rx) = std::sync::mpsc::channel::<u64>();
            (Box::new(move |n: u64| (0..n).for_each(|k| tx.send(k).unwrap())), rx)
        }
        Some(cap) => {
            let (tx, rx) = std::sync::mpsc::sync_channel::<u64>(cap);
            (Box::new(move |n: u64| (0..n).for_each(|k| tx.send(k).unwrap())), rx)
        }
    };
    let consumer: Job = Box::new(move |n: u64| {
        (0..n).for_each(|_| {
            black_box(rx.recv().unwrap());
        })
    });
    (vec![producer], vec![consumer])
}

fn benches(c: &mut Criterion) {
    let runtime = Runtime::new();
    let interps: Vec<Interpreter> = (0..4).map(|_| runtime.create().unwrap()).collect();

    let mut group = c.benchmark_group("SPSC buffered");
    group.bench_function("xinterp channel", |b| {
        b.iter_custom(|n| {
            let (p, c) = xinterp_jobs(&interps, 1, 1, false);
            run(n, p, c)
        })
    });
    group.bench_function("crossbeam unbounded", |b| {
        b.iter_custom(|n| {
            let (p, c) = crossbeam_jobs(1, 1, None);
            run(n, p, c)
        })
    });
    group.bench_function("flume unbounded", |b| {
        b.iter_custom(|n| {
            let (p, c) = flume_jobs(1, 1, None);
            run(n, p, c)
        })
    });
    group.bench_function("std mpsc channel", |b| {
        b.iter_custom(|n| {
            let (p, c) = std_jobs(None);
            run(n, p, c)
        })
    });
    group.finish();

    let mut group = c.benchmark_group("MPMC 2x2");
    group.bench_function("xinterp channel", |b| {
        b.iter_custom(|n| {
            let (p, c) = xinterp_jobs(&interps, 2, 2, false);
            run(n.max(2) & !1, p, c)
        })
    });
    group.bench_function("crossbeam unbounded", |b| {
        b.iter_custom(|n| {
            let (p, c) = crossbeam_jobs(2, 2, None);
            run(n.max(2) & !1, p, c)
        })
    });
    group.bench_function("flume unbounded", |b| {
        b.iter_custom(|n| {
            let (p, c) = flume_jobs(2, 2, None);
            run(n.max(2) & !1, p, c)
        })
    });
    group.finish();

    let mut group = c.benchmark_group("rendezvous");
    group.bench_function("xinterp channel send", |b| {
        b.iter_custom(|n| {
            let (p, c) = xinterp_jobs(&interps, 1, 1, true);
            run(n, p, c)
        })
    });
    group.bench_function("crossbeam bounded(0)", |b| {
        b.iter_custom(|n| {
            let (p, c) = crossbeam_jobs(1, 1, Some(0));
            run(n, p, c)
        })
    });
    group.bench_function("flume bounded(0)", |b| {
        b.iter_custom(|n| {
            let (p, c) = flume_jobs(1, 1, Some(0));
            run(n, p, c)
        })
    });
    group.bench_function("std sync_channel(0)", |b| {
        b.iter_custom(|n| {
            let (p, c) = std_jobs(Some(0));
            run(n, p, c)
        })
    });
    group.finish();
}

criterion_group! {
    name = channels;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2)).sample_size(20);
    targets = benches
}
criterion_main!(channels);
