//! The `gpuctl` binary: everything lives in the library; this only exits
//! with the code it returns.

use std::io::Write;

/// Whether fd 1 is closed (`>&-`), looked at before Rust's runtime reopens
/// it on /dev/null (which would make the report vanish without an error).
#[used]
#[unsafe(link_section = ".init_array")]
static NOTE_STDOUT: extern "C" fn() = {
    extern "C" fn note() {
        gpuctl::outfile::note_stdout_at_start();
    }
    note
};

fn main() {
    let code = gpuctl::app::main();
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    gpuctl::trace::mark("exiting");
    // Output is flushed and GPU memory already freed by the commands; skip
    // the driver libraries' exit-time teardown, which costs milliseconds a
    // health probe does not have (and can hang on a wedged GPU).
    // SAFETY: _exit ends the process at once; nothing after it runs.
    unsafe { libc::_exit(code) }
}
