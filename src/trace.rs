//! Phase timings on stderr when `GPUCTL_TRACE=1`, for finding where a
//! command spends its time on a real machine (the probe's latency budget
//! is a few milliseconds per phase).

use std::sync::OnceLock;
use std::time::Instant;

fn start() -> &'static Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now)
}

fn enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("GPUCTL_TRACE").is_some_and(|v| v == "1"))
}

/// Starts the clock; call first thing in `main`.
pub fn init() {
    start();
}

/// Prints `trace: <ms since start> <what>` when tracing is on.
pub fn mark(what: &str) {
    if enabled() {
        eprintln!(
            "trace: {:8.2} ms  {what}",
            start().elapsed().as_secs_f64() * 1000.0
        );
    }
}
