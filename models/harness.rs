//! The harness's own known bug: a deadlock.
//!
//! loom reports a deadlock by panicking from its scheduler and then aborts
//! the process while unwinding; a known bug that is a deadlock must still be
//! *found* (the test passes) with its golden trace. `check::isolate` runs it
//! in a child process under loom; shuttle reports deadlocks in-process.
use xinterp::check::{LoomBounds, Scenario};
use xinterp::sync::{thread, Arc, Condvar, Mutex};
use xinterp::trace::custom as record;

/// Known bug: a lost wake-up. The waiter checks "ready" once, outside the
/// lock that the notifier sets it under, then sleeps; if the notifier runs
/// in between, nobody wakes the waiter again.
#[test]
fn bug_lost_wakeup_deadlock() {
    let cex = Scenario::new("harness::bug_lost_wakeup_deadlock").loom(LoomBounds::default()).expect_bug(|| {
        let pair = Arc::new((Mutex::new(false), Condvar::new()));
        let notifier = {
            let pair = Arc::clone(&pair);
            thread::spawn_named("notifier", move || {
                *pair.0.lock() = true;
                record(None, "flag.set", "ok", "ready=true");
                pair.1.notify_one();
                record(None, "flag.notify", "ok", "");
            })
        };
        // FLAW: the check and the wait are not under one lock hold.
        let ready = *pair.0.lock();
        record(None, "flag.check", if ready { "ready" } else { "not ready" }, "");
        if !ready {
            let mut guard = pair.0.lock();
            record(None, "flag.wait", "blocked until notified", "");
            pair.1.wait(&mut guard);
        }
        notifier.join().unwrap();
    });
    if let Some(cex) = cex {
        assert!(cex.message.contains("deadlock"), "the violation is a deadlock: {}", cex.message);
        cex.assert_golden();
    }
}
