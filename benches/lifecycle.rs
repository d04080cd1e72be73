//! Guards and views against what a user would otherwise reach for, side by
//! side in one run. Ratios are reported in docs/performance.md.
//!
//! - guard acquire+release vs `Arc` clone+drop and `parking_lot::RwLock`
//!   read+unlock (a guard is a read lock on finalization);
//! - view→guard vs `Weak::upgrade`+drop (a view is a weak handle);
//! - two threads taking guards on one interpreter vs two threads taking
//!   read locks on one `RwLock` (contention on one cache line);
//! - thread-state ensure+release and attach/detach (`allow_threads`) vs a
//!   `parking_lot::Mutex` lock+unlock (both take and give back a lock: the
//!   GIL).
//! - with the `trace` feature: the same guard acquire+release with no
//!   session (tracing compiled in, nobody listening) and with a session
//!   recording its two typed events (`cargo bench -p xinterp-bench --bench
//!   lifecycle --features trace -- trace`): the cost per recorded event.
// The peers are std's and parking_lot's own types: naming them is the point.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]
// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use xinterp::Runtime;

fn uncontended(c: &mut Criterion) {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let view = sub.view();
    let arc = Arc::new(0_u64);
    let weak = Arc::downgrade(&arc);
    let rwlock = parking_lot::RwLock::new(0_u64);

    let mut group = c.benchmark_group("acquire+release");
    group.bench_function("xinterp Guard", |b| b.iter(|| drop(black_box(sub.guard().unwrap()))));
    group.bench_function("xinterp OwnedGuard", |b| b.iter(|| drop(black_box(sub.guard_owned().unwrap()))));
    group.bench_function("Arc clone+drop", |b| b.iter(|| drop(black_box(Arc::clone(&arc)))));
    group.bench_function("parking_lot RwLock read", |b| b.iter(|| drop(black_box(rwlock.read()))));
    group.finish();

    let mut group = c.benchmark_group("weak promotion");
    group.bench_function("xinterp View::guard", |b| b.iter(|| drop(black_box(view.guard().unwrap()))));
    group.bench_function("Weak::upgrade", |b| b.iter(|| drop(black_box(weak.upgrade().unwrap()))));
    group.finish();
}

fn thread_states(c: &mut Criterion) {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let guard = sub.guard().unwrap();
    let mutex = parking_lot::Mutex::new(0_u64);

    let mut group = c.benchmark_group("GIL round trip");
    group.bench_function("xinterp ensure+release", |b| {
        b.iter(|| drop(black_box(xinterp::thread_state::ensure(&guard))))
    });
    let token = xinterp::thread_state::ensure(&guard);
    let py = token.attached();
    group.bench_function("xinterp allow_threads (detach+attach)", |b| b.iter(|| py.allow_threads(|| black_box(1))));
    group.bench_function("parking_lot Mutex lock+unlock", |b| b.iter(|| drop(black_box(mutex.lock()))));
    group.finish();
    drop(token);
}

/// Runs `op` on two threads at once, `iters` times each; the time is the
/// slower thread's.
fn two_threads(iters: u64, op: impl Fn() + Sync) -> Duration {
    let start = Barrier::new(2);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    let t = Instant::now();
                    for _ in 0..iters {
                        op();
                    }
                    t.elapsed()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).max().unwrap()
    })
}

fn contended(c: &mut Criterion) {
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let rwlock = parking_lot::RwLock::new(0_u64);
    let mut group = c.benchmark_group("2 threads, one interpreter");
    group.bench_function("xinterp Guard", |b| {
        b.iter_custom(|n| two_threads(n, || drop(black_box(sub.guard().unwrap()))))
    });
    group.bench_function("parking_lot RwLock read", |b| {
        b.iter_custom(|n| two_threads(n, || drop(black_box(rwlock.read()))))
    });
    group.finish();
}

/// The recorder's cost: a guard acquire+release records two events
/// (`guard.acquire`, `guard.release`) when a session listens.
#[cfg(feature = "trace")]
fn tracing(c: &mut Criterion) {
    use xinterp_check::trace::session::{enter, Session};
    let runtime = Runtime::new();
    let sub = runtime.create().unwrap();
    let mut group = c.benchmark_group("trace");
    group.bench_function("guard acquire+release, no session", |b| b.iter(|| drop(black_box(sub.guard().unwrap()))));
    let session = Session::new();
    let _entered = enter(Some(session.clone()));
    group.bench_function("guard acquire+release, recording 2 events", |b| {
        b.iter_custom(|n| {
            let mut total = Duration::ZERO;
            // Bounded sessions: clear the events every 10,000 iterations,
            // outside the timed part.
            let mut left = n;
            while left > 0 {
                let batch = left.min(10_000);
                session.reset();
                let started = Instant::now();
                for _ in 0..batch {
                    drop(black_box(sub.guard().unwrap()));
                }
                total += started.elapsed();
                left -= batch;
            }
            total
        })
    });
    group.finish();
}

#[cfg(not(feature = "trace"))]
fn tracing(_: &mut Criterion) {}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = uncontended, contended, thread_states, tracing
}
criterion_main!(benches);
