//! Ctrl-C and SIGTERM for long runs: the first signal asks the run to stop
//! (it then prints a partial report and exits 130); a second one exits at
//! once. Should the partial report not be out within [`EXIT_DEADLINE`] of
//! the first (a driver call stuck where no bound reaches), the process exits
//! 130 anyway: a hang never holds up Ctrl-C beyond 2 s.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long after the first signal the run may take to report and exit.
pub const EXIT_DEADLINE: Duration = Duration::from_millis(1800);

static STOP: AtomicBool = AtomicBool::new(false);

/// The flag long runs poll; set by the first SIGINT/SIGTERM.
pub fn stop_flag() -> &'static AtomicBool {
    &STOP
}

/// Whether a stop was asked for.
pub fn stopped() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// Installs the handler once; an error means signals keep their defaults.
pub fn install() -> Result<(), String> {
    ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            // Second signal: the user means it.
            std::process::exit(crate::exit::INTERRUPTED);
        }
        std::thread::spawn(|| {
            std::thread::sleep(EXIT_DEADLINE);
            // The one write outside app.rs: the process ends here without
            // its report, and the operator must know why.
            let _ = writeln!(
                std::io::stderr(),
                "gpuctl: interrupted; the run did not stop within {} (a driver call is \
                 stuck), exiting without a report",
                humantime::format_duration(EXIT_DEADLINE)
            );
            // SAFETY: _exit ends the process at once; stuck threads are
            // abandoned, as in main.
            unsafe { libc::_exit(crate::exit::INTERRUPTED) }
        });
    })
    .map_err(|e| format!("cannot install the signal handler: {e}"))
}
