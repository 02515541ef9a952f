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

    /// Argument `i` as a u64 (a pointer or a 64-bit size).
    pub fn u64(&self, i: usize) -> Result<u64, String> {
        self.arg(i).map(Arg::u64)
    }

    /// Argument `i` as a u32.
    pub fn u32(&self, i: usize) -> Result<u32, String> {
        self.arg(i).map(Arg::u32)
    }

    /// Threads of the launch (grid x block); a launch without any is
    /// refused, as the driver refuses it.
    pub fn threads(&self) -> Result<u64, String> {
        let t = u64::from(self.dim.grid) * u64::from(self.dim.block);
        if t == 0 {
            return Err(format!(
                "invalid launch: grid {} x block {}",
                self.dim.grid, self.dim.block
            ));
        }
        Ok(t)
    }

    /// Refuses a block other than `block` for kernels whose shared-memory
    /// reduction or tiling is written for exactly that many threads.
    pub fn require_block(&self, kernel: &str, block: u32) -> Result<(), String> {
        self.threads()?;
        if self.dim.block != block {
            return Err(format!(
                "{kernel} needs blocks of {block} threads, launched with {}",
                self.dim.block
            ));
        }
        Ok(())
    }
}

/// Refuses a pointer not aligned to `align` bytes (a misaligned access
/// faults on a GPU).
fn aligned(what: &str, ptr: u64, align: u64) -> Result<u64, String> {
    if ptr % align != 0 {
        return Err(format!(
            "misaligned address {ptr:#x} for {what} (needs {align})"
        ));
    }
    Ok(ptr)
}

/// Reads `n` little-endian elements of `bytes` (2, 4 or 8) bytes from
/// `addr`, word by word where they are packed in aligned words.
fn read_elems(mem: &Mem, addr: u64, bytes: u32, n: u64) -> Result<Vec<u64>, String> {
    let per = u64::from(8 / bytes);
    let mut out = Vec::with_capacity(n as usize);
    let mut i = 0;
    while i < n {
        let a = addr + i * u64::from(bytes);
        if a % 8 == 0 && i + per <= n {
            let w = mem.r64(a)?;
            for e in 0..per {
                out.push(if bytes == 8 {
                    w
                } else {
                    (w >> (e * u64::from(bytes) * 8)) & ((1u64 << (bytes * 8)) - 1)
                });
            }
            i += per;
        } else {
            out.push(mem.read(a, bytes)?);
            i += 1;
        }
    }
    Ok(out)
}

/// Writes elements of `bytes` (2, 4 or 8) bytes from `addr` on, one
/// aligned word at a time where whole words are covered (a store never
/// touches bytes outside its elements).
fn write_elems(mem: &mut Mem, addr: u64, bytes: u32, values: &[u64]) -> Result<(), String> {
    let per = (8 / bytes) as usize;
    let mask = if bytes == 8 {
        u64::MAX
    } else {
        (1u64 << (bytes * 8)) - 1
    };
    let mut i = 0;
    while i < values.len() {
        let a = addr + i as u64 * u64::from(bytes);
        if a % 8 == 0 && i + per <= values.len() {
            let w = values[i..i + per]
                .iter()
                .enumerate()
                .fold(0u64, |w, (e, &v)| {
                    w | ((v & mask) << (e as u32 * bytes * 8))
                });
            mem.w64(a, w)?;
            i += per;
        } else {
            mem.write(a, bytes, values[i])?;
            i += 1;
        }
    }
    Ok(())
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::device::compute::sim::mem::{device_base, Arena, MemoryFault};

    /// Device 0's first address in [`mem_with`]'s memory.
    pub const BASE: u64 = device_base(0);

    /// One device of 2 MiB with `faults`.
    pub fn mem_with(faults: &[MemoryFault]) -> Mem {
        Mem {
            devices: vec![Arena::new(2 << 20, faults)],
            host: Default::default(),
        }
    }

    pub fn launch(dim: Dim, args: &[Arg]) -> Launch<'_> {
        Launch {
            device: 0,
            dim,
            args,
        }
    }

    #[test]
    fn every_entry_point_has_a_reference() {
        let mut mem = mem_with(&[]);
        for k in ENTRY_POINTS {
            // No arguments: every reference refuses, none as unknown.
            if let Err(e) = run(k, &mut mem, &launch(Dim::new(1, 256), &[])) {
                assert_ne!(e, unknown(k), "{k}");
            }
        }
        assert_eq!(
            run("gpuctl_nope", &mut mem, &launch(Dim::new(1, 1), &[])),
            Err(unknown("gpuctl_nope"))
        );
        // Every entry point of the shipped PTX is listed.
        let mut shipped: Vec<&str> = crate::device::compute::Module::ALL
            .iter()
            .flat_map(|m| m.ptx().split(".entry ").skip(1))
            .filter_map(|s| s.split('(').next())
            .map(str::trim)
            .collect();
        shipped.sort_unstable();
        let mut listed = ENTRY_POINTS.to_vec();
        listed.sort_unstable();
        assert_eq!(shipped, listed);
    }
}
