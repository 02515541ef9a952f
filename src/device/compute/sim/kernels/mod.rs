//! A Rust reference of every shipped kernel, executed by the simulated
//! GPU on its host memory ([`super::mem::Mem`]) with the launch's own
//! arguments, so the workloads' real fill, check, pattern, verify and
//! checksum logic runs in CI. On a GPU, `kernel_parity` runs each PTX
//! kernel and its reference on the same inputs and compares the outputs.
//!
//! A reference computes what the kernel leaves in memory when it has run
//! to completion; where the kernel's order of work is unspecified (a
//! grid-stride sweep) the reference picks one legal order. It returns the
//! [`Cost`] the simulator's clock charges for it.

mod bench;
mod gemm;
mod memtest;
mod p2p;
mod selftest;

use super::mem::Mem;
use crate::device::compute::{Arg, Dim};

/// What a launch moved and computed, for the simulated clock.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    /// Bytes read plus written in device memory.
    pub bytes: u64,
    /// Floating-point operations (2 per multiply-add).
    pub flops: u64,
    /// Time the kernel waits regardless of traffic (spin kernels), ns.
    pub wait_ns: f64,
}

/// One launch as the reference sees it.
pub struct Launch<'a> {
    /// The CUDA ordinal of the launching device.
    pub device: u32,
    pub dim: Dim,
    pub args: &'a [Arg],
}

impl Launch<'_> {
    /// Argument `i`, or an error naming the kernel's ABI mismatch.
    pub fn arg(&self, i: usize) -> Result<Arg, String> {
        self.args.get(i).copied().ok_or_else(|| {
            format!(
                "launch has {} arguments, argument {i} missing",
                self.args.len()
            )
        })
    }
}

/// Runs the reference of `kernel` on `mem`.
pub fn run(kernel: &str, mem: &mut Mem, launch: &Launch) -> Result<Cost, String> {
    let run = match kernel {
        k if k.starts_with("gpuctl_memtest_") => memtest::run,
        k if k.starts_with("gpuctl_bench_") => bench::run,
        k if k.starts_with("gpuctl_p2p_") => p2p::run,
        "gpuctl_selftest" => selftest::run,
        _ => gemm::run,
    };
    run(kernel, mem, launch)
}

/// The entry points that have a reference (every `extern "C"` kernel of
/// `kernels/*.cu`): the parity check runs each.
pub const ENTRY_POINTS: &[&str] = &[
    "gpuctl_memtest_pass",
    "gpuctl_memtest_select",
    "gpuctl_memtest_ordered",
    "gpuctl_memtest_flip",
    "gpuctl_bench_write",
    "gpuctl_bench_check",
    "gpuctl_bench_copy",
    "gpuctl_bench_empty",
    "gpuctl_p2p_fill",
    "gpuctl_p2p_verify",
    "gpuctl_p2p_copy",
    "gpuctl_p2p_write",
    "gpuctl_p2p_spin",
    "gpuctl_p2p_pingpong",
    "gpuctl_selftest",
    "gpuctl_gemm_bf16",
    "gpuctl_gemm_fp16",
    "gpuctl_gemm_tf32",
    "gpuctl_gemm_f32",
    "gpuctl_gemm_f64",
    "gpuctl_fill_bf16",
    "gpuctl_fill_f16",
    "gpuctl_fill_f32",
    "gpuctl_fill_f64",
    "gpuctl_compare_f32",
    "gpuctl_compare_f64",
    "gpuctl_checksum_mix64",
    "gpuctl_count_nonzero",
];

fn unknown(kernel: &str) -> String {
    format!("no reference for kernel {kernel}")
}
