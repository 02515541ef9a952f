//! Ctrl-C and SIGTERM for long runs: the first signal asks the run to stop
//! (it then prints a partial report and exits 130); a second one exits at
//! once.

use std::sync::atomic::{AtomicBool, Ordering};

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
