//! The `gpuctl` binary: everything lives in the library; this only exits
//! with the code it returns.

fn main() {
    std::process::exit(gpuctl::app::main());
}
