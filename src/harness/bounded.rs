//! [`map_bounded`]: the harness's fail-closed rule for plain per-GPU reads.

use super::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Runs `f` on every item in parallel, each on its own detached thread,
/// and waits at most `timeout` in all. An item whose thread panicked or did
/// not answer in time gets an `Err` saying so, never a default value that
/// could judge as healthy. Returns early when `stop` is set (the rest are
/// then `Err`).
pub fn map_bounded<I, T, F>(
    items: Vec<I>,
    timeout: Duration,
    stop: &AtomicBool,
    f: F,
) -> Vec<Result<T, String>>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(I) -> T + Send + Sync + 'static,
{
    let f = Arc::new(f);
    let (tx, rx) = mpsc::channel();
    let n = items.len();
    for (slot, item) in items.into_iter().enumerate() {
        let (f, tx) = (f.clone(), tx.clone());
        std::thread::spawn(move || {
            report_panics_here();
            let result = catch_unwind(AssertUnwindSafe(|| f(item))).map_err(|p| {
                format!(
                    "the reader thread crashed (a gpuctl bug): {}",
                    panic_text(&p)
                )
            });
            let _ = tx.send((slot, result));
        });
    }
    drop(tx);
    let mut out: Vec<Option<Result<T, String>>> = (0..n).map(|_| None).collect();
    let deadline = Instant::now() + timeout;
    let mut left = n;
    while left > 0 {
        let now = Instant::now();
        if now >= deadline || stop.load(Ordering::Relaxed) {
            break;
        }
        match rx.recv_timeout((deadline - now).min(Duration::from_millis(50))) {
            Ok((slot, result)) => {
                out[slot] = Some(result);
                left -= 1;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let why = if stop.load(Ordering::Relaxed) {
        "interrupted before this GPU answered".to_string()
    } else {
        format!(
            "no answer within {}: a hung driver call or GPU",
            humantime::format_duration(timeout)
        )
    };
    out.into_iter()
        .map(|r| r.unwrap_or_else(|| Err(why.clone())))
        .collect()
}
