//! The harness's own known bug: a deadlock.
//!
//! loom reports a deadlock by panicking from its scheduler and then aborts
//! the process while unwinding; a known bug that is a deadlock must still be
//! *found* (the test passes) with its golden trace. `xinterp_check`'s `isolate` module runs it
//! in a child process under loom; shuttle reports deadlocks in-process.
use xinterp::sync::{thread, Arc, Condvar, Mutex};
use xinterp::trace::custom as record;
use xinterp_check::{LoomBounds, Scenario, StressConfig};

/// Known bug: a lost wake-up. The waiter checks "ready" once, outside the
/// lock that the notifier sets it under, then sleeps; if the notifier runs
/// in between, nobody wakes the waiter again.
#[test]
fn bug_lost_wakeup_deadlock() {
    let cex = Scenario::new("harness::bug_lost_wakeup_deadlock")
        .loom(LoomBounds::default())
        // Under stress the watchdog's wait is the cost of finding it: 5 s.
        .stress(StressConfig { stall_secs: 5, ..StressConfig::default() })
        .expect_bug(|| {
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

/// A debug build's deep frames overflow loom's 32 KiB root stack. The
/// harness names the overflow and its fix instead of reporting loom's
/// non-string panic payload as the violation. The recursion is only deep
/// enough for loom's root stack (256 KiB of frames): loom only.
#[cfg(loom)]
#[test]
fn a_stack_overflow_is_named_with_its_fix() {
    fn deep(depth: u32) -> u8 {
        let frame = std::hint::black_box([depth as u8; 4096]);
        if depth == 0 {
            frame[0]
        } else {
            frame[1].wrapping_add(deep(depth - 1))
        }
    }
    let cex =
        Scenario::new("harness::a_stack_overflow_is_named_with_its_fix").loom(LoomBounds::default()).expect_bug(|| {
            record(None, "recurse", "64 frames of 4 KiB", "");
            std::hint::black_box(deep(std::hint::black_box(64)));
        });
    let cex = cex.expect("loom finds the overflow");
    assert!(cex.message.contains("overflowed its stack"), "named as a stack overflow: {}", cex.message);
    assert!(cex.message.contains("opt-level"), "with its fix: {}", cex.message);
}
