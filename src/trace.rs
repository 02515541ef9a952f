//! Phase timings on stderr when `GPUCTL_TRACE=1`, for finding where a
//! command spends its time on a real machine (the probe's latency budget
//! is a few milliseconds per phase). `GPUCTL_TRACE=2` adds the wall and CPU
//! time of each driver call that is wrapped in [`timed`].

use std::sync::OnceLock;
use std::time::Instant;

fn start() -> &'static Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now)
}

/// 0: off, 1: phases (`mark`), 2: phases and each timed driver call.
fn level() -> u8 {
    static LEVEL: OnceLock<u8> = OnceLock::new();
    *LEVEL.get_or_init(|| match std::env::var("GPUCTL_TRACE").as_deref() {
        Ok("1") => 1,
        Ok("2") => 2,
        _ => 0,
    })
}

fn enabled() -> bool {
    level() >= 1
}

/// CPU time of the calling thread, in microseconds.
fn thread_cpu_us() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 * 1e6 + t.tv_nsec as f64 / 1e3
}

/// Runs `f`; with `GPUCTL_TRACE=2`, prints its wall and CPU time (user and
/// kernel, this thread): what one driver call costs, for a sampling
/// budget such as monitor's 1% of a core.
pub fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    if level() < 2 {
        return f();
    }
    let (wall, cpu) = (Instant::now(), thread_cpu_us());
    let value = f();
    eprintln!(
        "trace: {:8.2} ms  call {what}: {:.0} us wall, {:.0} us CPU",
        start().elapsed().as_secs_f64() * 1000.0,
        wall.elapsed().as_secs_f64() * 1e6,
        thread_cpu_us() - cpu
    );
    value
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
