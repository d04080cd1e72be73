//! Cross-interpreter data against what a user would otherwise reach for,
//! side by side in one run. Ratios are reported in docs/performance.md.
//!
//! - a GIL-protected plain refcount inc+dec (in a heap session, and through
//!   the per-operation checked API) vs `Arc` clone+drop, both uncontended in
//!   a loop: the seed's claim that atomic refcounts are what per-interpreter
//!   GILs let CPython avoid;
//! - an XiView open+close from another interpreter (the switch to the
//!   owner's GIL and back included);
//! - the release of an XiData by pending call, per message (queue + run),
//!   vs a direct release in the owner;
//! - an object sent to another interpreter and released in its owner, the
//!   XiData handed over through a facade `Mutex` slot, vs an `Arc` sent
//!   through the same slot and through a `crossbeam-channel`;
//! - an object sent through an xinterp channel (`send_object_nowait` in its
//!   owner, `recv_object` in another interpreter: the receiver's copy is
//!   built and dropped there, the data released in the owner by pending
//!   call) vs an `Arc<[u8]>` of the same size sent through a
//!   `crossbeam-channel` and dropped on the other side (and, since
//!   `recv_object` copies, one copied into a `Vec` there too).
// The peers are std's, parking_lot's and crossbeam's own types.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]
// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use xinterp::channel::{self, Forever, Nowait, UnboundPolicy};
use xinterp::sync::{Condvar, Mutex};
use xinterp::xi::XiData;
use xinterp::{Config, Runtime};

fn refcounts(c: &mut Criterion) {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let guard = sub.guard().unwrap();
    let arc = Arc::new(0_u64);
    let mut group = c.benchmark_group("refcount inc+dec");
    guard.with_gil(|py| {
        let obj = py.new_bytes(*b"bench").unwrap();
        group.bench_function("xinterp heap session (plain, GIL held)", |b| {
            py.with_heap(|heap| {
                b.iter(|| {
                    heap.incref(black_box(obj)).unwrap();
                    heap.decref(black_box(obj)).unwrap();
                })
            })
            .unwrap()
        });
        group.bench_function("xinterp checked (GIL proof + thread check per op)", |b| {
            b.iter(|| {
                py.incref(black_box(obj)).unwrap();
                py.decref(black_box(obj)).unwrap();
            })
        });
        py.decref(obj).unwrap();
    });
    group.bench_function("Arc clone+drop", |b| b.iter(|| drop(black_box(Arc::clone(black_box(&arc))))));
    group.finish();

    // The same, over 64 distinct objects: incref all, then decref all. One
    // object in a loop is bound by the store-to-load latency of its own
    // count (each increment waits for the previous write); code touching
    // many objects is bound by throughput, where a plain add and a locked
    // read-modify-write differ most.
    let arcs: Vec<Arc<u64>> = (0..64).map(Arc::new).collect();
    let mut group = c.benchmark_group("refcount inc+dec x64 objects");
    guard.with_gil(|py| {
        let objs: Vec<_> = (0..64).map(|i| py.new_int(i).unwrap()).collect();
        group.bench_function("xinterp heap session (plain, GIL held)", |b| {
            py.with_heap(|heap| {
                b.iter(|| {
                    for &obj in black_box(&objs) {
                        heap.incref(obj).unwrap();
                    }
                    for &obj in black_box(&objs) {
                        heap.decref(obj).unwrap();
                    }
                })
            })
            .unwrap()
        });
        group.bench_function("xinterp checked (GIL proof + thread check per op)", |b| {
            b.iter(|| {
                for &obj in black_box(&objs) {
                    py.incref(obj).unwrap();
                }
                for &obj in black_box(&objs) {
                    py.decref(obj).unwrap();
                }
            })
        });
        for obj in objs {
            py.decref(obj).unwrap();
        }
    });
    group.bench_function("Arc clone all, then drop all", |b| {
        b.iter(|| {
            let clones: [Arc<u64>; 64] = std::array::from_fn(|i| Arc::clone(&black_box(&arcs)[i]));
            drop(black_box(clones));
        })
    });
    group.finish();
}

fn views(c: &mut Criterion) {
    let runtime = Runtime::new();
    // Room for a whole batch of queued releases (the routines below run
    // without attaching to the owner between them).
    let owner = runtime.create_with(Config::isolated().with_pending_calls(1 << 12)).unwrap();
    let receiver = runtime.create().unwrap();
    let og = owner.guard().unwrap();
    let obj = og.with_gil(|py| py.new_bytes(vec![7_u8; 64]).unwrap());
    let mut group = c.benchmark_group("XiView");
    receiver.guard().unwrap().with_gil(|py| {
        group.bench_function("open+close from another interpreter", |b| {
            b.iter_batched(
                || og.with_gil(|py| py.share(obj).unwrap()),
                |data| {
                    let view = data.into_view().unwrap();
                    black_box(view[0]);
                    view.close().unwrap();
                },
                BatchSize::NumIterations(256),
            )
        });
        group.bench_function("XiData new_object (copy) + release by pending call", |b| {
            b.iter_batched(
                || og.with_gil(|py| py.share(obj).unwrap()),
                |data| {
                    let copy = data.new_object(py).unwrap();
                    data.release().unwrap();
                    py.decref(copy).unwrap();
                },
                BatchSize::NumIterations(256),
            )
        });
    });
    group.finish();
}

fn pending(c: &mut Criterion) {
    let runtime = Runtime::new();
    let owner = runtime.create_with(Config::isolated().with_pending_calls(1 << 16)).unwrap();
    let og = owner.guard().unwrap();
    let obj = og.with_gil(|py| py.new_bytes(*b"p").unwrap());
    let mut group = c.benchmark_group("release per message");
    // Batches of at most 4096 messages: the shares are made untimed, then
    // the releases (queued from a thread attached to nothing) and the run
    // at the owner's next attach are timed.
    group.bench_function("by pending call (queue + run at attach)", |b| {
        b.iter_custom(|n| {
            let mut total = Duration::ZERO;
            let mut left = n;
            while left > 0 {
                let batch = left.min(4096);
                left -= batch;
                let datas: Vec<XiData> = og.with_gil(|py| (0..batch).map(|_| py.share(obj).unwrap()).collect());
                let start = Instant::now();
                for data in datas {
                    data.release().unwrap();
                }
                og.with_gil(|py| black_box(py.interpreter_id()));
                total += start.elapsed();
            }
            total
        })
    });
    group.bench_function("direct (attached to the owner)", |b| {
        b.iter_custom(|n| {
            let mut total = Duration::ZERO;
            let mut left = n;
            while left > 0 {
                let batch = left.min(4096);
                left -= batch;
                og.with_gil(|py| {
                    let datas: Vec<XiData> = (0..batch).map(|_| py.share(obj).unwrap()).collect();
                    let start = Instant::now();
                    for data in datas {
                        data.release().unwrap();
                    }
                    total += start.elapsed();
                });
            }
            total
        })
    });
    group.finish();
}

/// A one-slot-per-message hand-over: the facade's `Mutex` and `Condvar`
/// around a queue.
struct Slot<T> {
    queue: Mutex<VecDeque<Option<T>>>,
    ready: Condvar,
}

impl<T> Slot<T> {
    fn new() -> Self {
        Self { queue: Mutex::new(VecDeque::new()), ready: Condvar::new() }
    }
    fn send(&self, item: Option<T>) {
        self.queue.lock().push_back(item);
        self.ready.notify_one();
    }
    fn recv(&self) -> Option<T> {
        let mut queue = self.queue.lock();
        loop {
            if let Some(item) = queue.pop_front() {
                return item;
            }
            self.ready.wait(&mut queue);
        }
    }
}

fn send_and_release(c: &mut Criterion) {
    let runtime = Runtime::new();
    let owner = runtime.create_with(Config::isolated().with_pending_calls(1 << 16)).unwrap();
    let receiver = runtime.create().unwrap();
    let mut group = c.benchmark_group("send to another thread, release in the owner");
    group.bench_function("xinterp XiData via Mutex slot, released by pending call", |b| {
        b.iter_custom(|n| {
            let slot = Arc::new(Slot::<XiData>::new());
            let og = owner.guard_owned().unwrap();
            let rg = receiver.guard_owned().unwrap();
            let consumer = {
                let slot = Arc::clone(&slot);
                std::thread::spawn(move || {
                    rg.with_gil(|_py| {
                        while let Some(data) = slot.recv() {
                            let mut data = data;
                            // A full ring hands the data back: try again.
                            loop {
                                match data.release() {
                                    Ok(_) => break,
                                    Err(rejected) => {
                                        data = rejected.data;
                                        std::thread::yield_now();
                                    }
                                }
                            }
                        }
                    })
                })
            };
            let start = Instant::now();
            og.with_gil(|py| {
                let obj = py.new_bytes(*b"m").unwrap();
                for i in 0..n {
                    slot.send(Some(py.share(obj).unwrap()));
                    if i % 64 == 63 {
                        // Let go of the GIL now and then, as an eval loop
                        // does: re-attaching runs the pending releases.
                        py.allow_threads(|| ());
                    }
                }
                slot.send(None);
                py.decref(obj).unwrap();
            });
            // The owner keeps attaching (running the queued releases) until
            // the receiver has released everything it was sent.
            while !consumer.is_finished() {
                og.with_gil(|py| black_box(py.interpreter_id()));
                std::thread::yield_now();
            }
            consumer.join().unwrap();
            // The last releases run at this attach.
            og.with_gil(|py| black_box(py.heap_stats().unwrap()));
            start.elapsed()
        })
    });
    group.bench_function("Arc via Mutex slot, dropped by the receiver", |b| {
        b.iter_custom(|n| {
            let slot = Arc::new(Slot::<Arc<u64>>::new());
            let consumer = {
                let slot = Arc::clone(&slot);
                std::thread::spawn(move || {
                    while let Some(arc) = slot.recv() {
                        drop(black_box(arc))
                    }
                })
            };
            let start = Instant::now();
            let arc = Arc::new(1_u64);
            for _ in 0..n {
                slot.send(Some(Arc::clone(&arc)));
            }
            slot.send(None);
            consumer.join().unwrap();
            start.elapsed()
        })
    });
    group.bench_function("Arc via crossbeam-channel, dropped by the receiver", |b| {
        b.iter_custom(|n| {
            let (tx, rx) = crossbeam_channel::unbounded::<Arc<u64>>();
            let consumer = std::thread::spawn(move || {
                for arc in rx {
                    drop(black_box(arc));
                }
            });
            let start = Instant::now();
            let arc = Arc::new(1_u64);
            for _ in 0..n {
                tx.send(Arc::clone(&arc)).unwrap();
            }
            drop(tx);
            consumer.join().unwrap();
            start.elapsed()
        })
    });
    group.finish();
}

/// The payload of the channel group: the same bytes on both sides.
const PAYLOAD: usize = 64;

fn object_through_channel(c: &mut Criterion) {
    let runtime = Runtime::new();
    // Room for the releases queued between two of the owner's attaches (it
    // lets go of its GIL every 64 sends); a full ring would still be
    // correct (the receiver switches to the owner), only slower.
    let owner = runtime.create_with(Config::isolated().with_pending_calls(1 << 12)).unwrap();
    let receiver = runtime.create().unwrap();
    let mut group = c.benchmark_group("object through a channel, released in its owner");
    group.bench_function("xinterp send_object_nowait + recv_object (copy, drop, release by pending call)", |b| {
        b.iter_custom(|n| {
            let (rx, tx) = owner.guard().unwrap().with_gil(|py| channel::create::<XiData>(py, UnboundPolicy::Replace));
            let og = owner.guard_owned().unwrap();
            let rg = receiver.guard_owned().unwrap();
            let start = Instant::now();
            let consumer = std::thread::spawn(move || {
                rg.with_gil(|py| {
                    for _ in 0..n {
                        let copy = rx.recv_object(py, Forever).unwrap().into_item().unwrap();
                        py.decref(black_box(copy)).unwrap();
                    }
                })
            });
            og.with_gil(|py| {
                let obj = py.new_bytes(vec![7_u8; PAYLOAD]).unwrap();
                for i in 0..n {
                    tx.send_object(py, obj, Nowait).unwrap();
                    if i % 64 == 63 {
                        // Let go of the GIL now and then, as an eval loop
                        // does: re-attaching runs the queued releases.
                        py.allow_threads(|| ());
                    }
                }
                py.decref(obj).unwrap();
            });
            consumer.join().unwrap();
            // The last releases run at this attach; every object is freed.
            let live = og.with_gil(|py| py.heap_stats().unwrap().live);
            let elapsed = start.elapsed();
            assert_eq!(live, 0, "every object released in its owner");
            elapsed
        })
    });
    group.bench_function("Arc<[u8]> via crossbeam-channel, dropped by the receiver", |b| {
        b.iter_custom(|n| {
            let (tx, rx) = crossbeam_channel::unbounded::<Arc<[u8]>>();
            let start = Instant::now();
            let consumer = std::thread::spawn(move || {
                for bytes in rx {
                    drop(black_box(bytes));
                }
            });
            let bytes: Arc<[u8]> = Arc::from(vec![7_u8; PAYLOAD]);
            for _ in 0..n {
                tx.send(Arc::clone(&bytes)).unwrap();
            }
            drop(tx);
            consumer.join().unwrap();
            start.elapsed()
        })
    });
    group.bench_function("Arc<[u8]> via crossbeam-channel, copied into a Vec by the receiver", |b| {
        b.iter_custom(|n| {
            let (tx, rx) = crossbeam_channel::unbounded::<Arc<[u8]>>();
            let start = Instant::now();
            let consumer = std::thread::spawn(move || {
                for bytes in rx {
                    let copy = bytes.to_vec();
                    drop(bytes);
                    drop(black_box(copy));
                }
            });
            let bytes: Arc<[u8]> = Arc::from(vec![7_u8; PAYLOAD]);
            for _ in 0..n {
                tx.send(Arc::clone(&bytes)).unwrap();
            }
            drop(tx);
            consumer.join().unwrap();
            start.elapsed()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = refcounts, views, pending, send_and_release, object_through_channel
}
criterion_main!(benches);
