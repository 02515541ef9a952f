//! Which threads' panics are caught and reported by their owner (the
//! harness's workers, bounded driver calls): on those, the process-wide
//! panic hook (`app.rs`) stays quiet, since the panic becomes a FAIL check
//! or an error that names it. A utility of the device layer (beside `signal`
//! and `trace`): bounded driver calls mark their threads, as the harness does.

thread_local! {
    /// Set on threads whose panics the harness catches and reports as a
    /// FAIL check: the process-wide panic hook then stays quiet.
    static CAUGHT_HERE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a panic on this thread is caught and reported by the harness.
pub fn panic_is_reported() -> bool {
    CAUGHT_HERE.with(|c| c.get())
}

/// Marks this thread's panics as caught and reported (its owner turns a
/// panic into a FAIL check or an error that names it).
pub fn report_panics_here() {
    CAUGHT_HERE.with(|c| c.set(true));
}
