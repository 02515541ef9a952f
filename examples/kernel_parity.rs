//! The kernel parity check on a real GPU: every shipped PTX kernel and its
//! Rust reference (run by a simulated GPU) on the same inputs, every
//! buffer compared (`gpuctl::workloads::parity`). One line per case, or
//! one JSON document with `--json`; exits 0 only if every case matches,
//! 1 if one does not, 2 if it could not run (bad argument, no GPU).
//!
//!     cargo build --release --example kernel_parity
//!     target/release/examples/kernel_parity [--gpu N] [--json]

use gpuctl::device::compute::sim::SimContext;
use gpuctl::device::compute::{cuda, Props};
use gpuctl::workloads::parity;
use std::process::ExitCode;

/// Memory of the simulated reference: every case fits in a few MiB.
const REFERENCE_BYTES: u64 = 64 << 20;

fn usage(json: bool, msg: &str) -> ExitCode {
    if json {
        println!(
            "{}",
            serde_json::json!({ "matched": false, "error": msg, "cases": [] })
        );
    }
    eprintln!("kernel_parity: {msg}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let json = argv.iter().any(|a| a == "--json");
    let mut ordinal = 0u32;
    let mut args = argv.iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => {}
            "--gpu" => match args.next().and_then(|v| v.parse().ok()) {
                Some(n) => ordinal = n,
                None => return usage(json, "--gpu takes a CUDA ordinal (0, 1, ...)"),
            },
            other => {
                return usage(
                    json,
                    &format!("unknown argument {other}: accepted are --gpu N and --json"),
                )
            }
        }
    }
    let gpu = match cuda::open(ordinal) {
        Ok(g) => g,
        Err(e) => return usage(json, &format!("cannot open CUDA device {ordinal}: {e}")),
    };
    let props: Props = gpu.props().clone();
    let reference = SimContext::standalone(props.clone(), REFERENCE_BYTES);
    let cases = parity::run(gpu.as_ref(), &reference);
    let passed = cases.iter().filter(|c| c.matched).count();
    let matched = !cases.is_empty() && passed == cases.len();
    if json {
        let doc = serde_json::json!({
            "device": props.name,
            "ordinal": ordinal,
            "matched": matched,
            "cases": cases,
        });
        println!("{doc}");
    } else {
        for c in &cases {
            println!("{}", parity::line(c));
        }
        println!(
            "{passed} of {} cases match on {} (CUDA device {ordinal})",
            cases.len(),
            props.name
        );
    }
    if matched {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
