//! Ctrl-C and SIGTERM for every command but `probe`, from before the GPUs
//! are enumerated: the first signal asks the run to stop (it then prints a
//! partial report and exits 130); a second one exits at once (`_exit`).
//! Should the partial report not be out within [`EXIT_DEADLINE`] of the
//! first (a driver call stuck where no bound reaches), the process prints a
//! fallback report and exits 130 anyway: a hang never holds up Ctrl-C
//! beyond 2 s.
//! `probe` is different: Docker and Kubernetes send SIGTERM when it
//! takes too long, and a probe must then answer 1 (unhealthy), never 143.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long after the first signal the run may take to report and exit.
pub const EXIT_DEADLINE: Duration = Duration::from_millis(1800);
use std::sync::OnceLock;

/// What `probe` prints when a signal ends it, rendered before the handler
/// is installed so the handler only writes bytes.
static PROBE_ANSWER: OnceLock<Vec<u8>> = OnceLock::new();

extern "C" fn probe_signalled(_signal: libc::c_int) {
    if let Some(answer) = PROBE_ANSWER.get() {
        // SAFETY: write(2) and _exit(2) are async-signal-safe; the buffer
        // is immutable once set.
        unsafe {
            libc::write(libc::STDOUT_FILENO, answer.as_ptr().cast(), answer.len());
        }
    }
    // SAFETY: ends the process at once, as a signal's default action would.
    unsafe { libc::_exit(crate::exit::CHECK_FAILED) }
}

/// For `probe`: SIGTERM, SIGINT and SIGHUP print `answer` on stdout and
/// exit 1 (unhealthy) instead of the signal's default (143, 130, 129).
pub fn probe_answers_signals(answer: Vec<u8>) {
    let _ = PROBE_ANSWER.set(answer);
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SAFETY: installs a handler that only calls async-signal-safe
        // functions.
        unsafe {
            libc::signal(
                signal,
                probe_signalled as extern "C" fn(libc::c_int) as libc::sighandler_t,
            );
        }
    }
}

static STOP: AtomicBool = AtomicBool::new(false);

/// The flag long runs poll; set by the first SIGINT/SIGTERM.
pub fn stop_flag() -> &'static AtomicBool {
    &STOP
}

/// Whether a stop was asked for.
pub fn stopped() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// Set by whoever writes the report first: the run (`claim_stdout`) or the
/// watchdog, so a report is never written twice.
static STDOUT_CLAIMED: AtomicBool = AtomicBool::new(false);

/// Claims stdout for the report; false when the watchdog already wrote its
/// fallback report (the run must then write nothing more).
pub fn claim_stdout() -> bool {
    !STDOUT_CLAIMED.swap(true, Ordering::SeqCst)
}

/// Installs the handler once; an error means signals keep their defaults.
/// Installed before the GPUs are enumerated (a hung NVML must not turn
/// SIGTERM into a silent 143). `fallback` is the report the watchdog prints
/// on stdout should the run not report within [`EXIT_DEADLINE`], rendered
/// now so a stuck run still leaves valid output.
pub fn install(fallback: Vec<u8>) -> Result<(), String> {
    ctrlc::set_handler(move || {
        if STOP.swap(true, Ordering::SeqCst) {
            // Second signal: the user means it. _exit, as in main: no
            // driver teardown, no waiting for stuck threads.
            // SAFETY: _exit ends the process at once.
            unsafe { libc::_exit(crate::exit::INTERRUPTED) }
        }
        let fallback = fallback.clone();
        std::thread::spawn(move || {
            std::thread::sleep(EXIT_DEADLINE);
            if claim_stdout() {
                // The one write outside app.rs: the run is stuck, and
                // `--json` consumers still get a valid report.
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(&fallback);
                let _ = out.flush();
                let _ = writeln!(
                    std::io::stderr(),
                    "gpuctl: interrupted; the run did not stop within {} (a driver call is \
                     stuck), exiting without the GPUs' results",
                    humantime::format_duration(EXIT_DEADLINE)
                );
            } else {
                // The run is writing its report: give it a moment more.
                std::thread::sleep(Duration::from_millis(500));
            }
            // SAFETY: _exit ends the process at once; stuck threads are
            // abandoned, as in main.
            unsafe { libc::_exit(crate::exit::INTERRUPTED) }
        });
    })
    .map_err(|e| format!("cannot install the signal handler: {e}"))
}

/// SIGHUP does nothing (ctrlc's `termination` feature would stop on it):
/// `monitor` runs as a daemon, where a hang-up must not end it.
pub fn ignore_hangup() {
    // SAFETY: setting a signal's disposition to SIG_IGN has no
    // preconditions and installs no code.
    unsafe {
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
    }
}
