//! GPU kernels shipped inside the binary, and their host references.
//!
//! The PTX is built from `kernels/*.cu` by `kernels/build.py` (NVRTC 12.2,
//! `compute_80`, `--fmad=false`) and embedded with `include_str!`, so no CUDA
//! toolkit is needed at build or run time: the driver JIT-compiles it for
//! whatever card it meets. The host reference reproduces the self-test kernel
//! bit for bit, so any difference is a fault on the device, never rounding.

use rayon::prelude::*;

/// PTX of `kernels/selftest.cu` (entry point [`SELFTEST_ENTRY`]).
pub const SELFTEST_PTX: &str = include_str!("../kernels/selftest.ptx");

/// PTX of `kernels/gemm.cu`: GEMM, fill, compare and checksum kernels for the
/// burn engine (ABIs in the LAUNCH comment at the top of that file).
pub const GEMM_PTX: &str = include_str!("../kernels/gemm.ptx");

/// PTX of `kernels/bench.cu`: HBM copy/read/write kernels and an empty
/// kernel for `bench` (ABIs in the LAUNCH comment at the top of that file).
pub const BENCH_PTX: &str = include_str!("../kernels/bench.ptx");
/// PTX of `kernels/p2p.cu`: fill, verify, copy, latency and ping-pong
/// kernels for `p2p` (ABIs in the comment at the top of that file).
pub const P2P_PTX: &str = include_str!("../kernels/p2p.ptx");
/// PTX of `kernels/memtest.cu`: the memory test's sweep and fault
/// injection kernels (ABIs in the LAUNCH comment at the top of that file).
pub const MEMTEST_PTX: &str = include_str!("../kernels/memtest.ptx");
/// Check and/or write one pattern over a buffer (streaming, every word).
pub const MEMTEST_PASS_ENTRY: &str = "gpuctl_memtest_pass";
/// The same over the words a selection takes (modulo-N).
pub const MEMTEST_SELECT_ENTRY: &str = "gpuctl_memtest_select";
/// The same, each warp walking its segment in address order.
pub const MEMTEST_ORDERED_ENTRY: &str = "gpuctl_memtest_ordered";
/// Flip bits of one word (fault injection).
pub const MEMTEST_FLIP_ENTRY: &str = "gpuctl_memtest_flip";

/// Name of the self-test kernel inside [`SELFTEST_PTX`].
pub const SELFTEST_ENTRY: &str = "gpuctl_selftest";

/// Threads per block the self-test kernel must be launched with: its
/// shared-memory reduction is written for exactly 256.
pub const SELFTEST_BLOCK: u32 = 256;

/// One element of the self-test, exactly as thread `i` computes it.
///
/// Every step is either wrapping integer arithmetic or a single IEEE f32
/// operation rounded to nearest (the PTX is built with `--fmad=false`, and the
/// kernel's one `fmaf` is `f32::mul_add` here), so the result is bit-exact.
#[inline(always)]
pub fn selftest_element(i: u32, iters: u32, seed: u32) -> u32 {
    let mut x = seed ^ i.wrapping_mul(0x9E37_79B9);
    if x == 0 {
        // xorshift would stay at zero forever.
        x = 1;
    }
    let mut f = (i & 1023) as f32 * 0.001f32;
    for _ in 0..iters {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        f = f.mul_add(0.999f32, (x & 0xFF) as f32 * 0.0001f32);
    }
    x ^ f.to_bits()
}

/// Lanes computed in lock-step: independent chains let the CPU overlap their
/// latencies and the compiler vectorise them (8 x u32/f32 = one AVX2 register).
const LANES: usize = 8;

/// [`selftest_element`] for the consecutive indices `first..first+out.len()`.
#[inline(always)]
fn selftest_run(out: &mut [u32], first: u32, iters: u32, seed: u32) {
    let mut chunks = out.chunks_exact_mut(LANES);
    let mut base = first;
    for chunk in &mut chunks {
        let mut x = [0u32; LANES];
        let mut f = [0f32; LANES];
        for l in 0..LANES {
            let i = base.wrapping_add(l as u32);
            let v = seed ^ i.wrapping_mul(0x9E37_79B9);
            x[l] = if v == 0 { 1 } else { v };
            f[l] = (i & 1023) as f32 * 0.001f32;
        }
        for _ in 0..iters {
            for l in 0..LANES {
                let mut v = x[l];
                v ^= v << 13;
                v ^= v >> 17;
                v ^= v << 5;
                x[l] = v;
                f[l] = f[l].mul_add(0.999f32, (v & 0xFF) as f32 * 0.0001f32);
            }
        }
        for l in 0..LANES {
            chunk[l] = x[l] ^ f[l].to_bits();
        }
        base = base.wrapping_add(LANES as u32);
    }
    for (k, o) in chunks.into_remainder().iter_mut().enumerate() {
        *o = selftest_element(base.wrapping_add(k as u32), iters, seed);
    }
}

/// The same loop compiled with hardware FMA and AVX2: without them
/// `f32::mul_add` is a libm call per step, several times slower. The result is
/// identical (`mul_add` is always one correctly rounded fused operation).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn selftest_run_fma(out: &mut [u32], first: u32, iters: u32, seed: u32) {
    selftest_run(out, first, iters, seed);
}

fn selftest_run_best(out: &mut [u32], first: u32, iters: u32, seed: u32) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports both features, checked just above.
            unsafe { selftest_run_fma(out, first, iters, seed) };
            return;
        }
    }
    selftest_run(out, first, iters, seed);
}

/// Expected `out` (n elements) and `block_sums` (one per block of `block`
/// threads, `ceil(n / block)` of them) of the self-test kernel.
///
/// A block sum is the wrapping u32 sum of its threads' outputs. `block` must
/// match the launch (the kernel requires [`SELFTEST_BLOCK`]); 0 is treated as
/// 1 rather than panicking.
pub fn selftest_reference(n: u32, iters: u32, seed: u32, block: u32) -> (Vec<u32>, Vec<u32>) {
    let block = block.max(1) as usize;
    let mut out = vec![0u32; n as usize];
    // Chunks of whole blocks, so each task also yields its blocks' sums.
    let per_task = block * 16;
    let block_sums: Vec<u32> = out
        .par_chunks_mut(per_task)
        .enumerate()
        .flat_map_iter(|(t, chunk)| {
            selftest_run_best(chunk, (t * per_task) as u32, iters, seed);
            chunk
                .chunks(block)
                .map(|b| b.iter().fold(0u32, |s, &v| s.wrapping_add(v)))
                .collect::<Vec<u32>>()
        })
        .collect();
    (out, block_sums)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_the_ptx_immediates() {
        // The PTX holds 0.001f, 0.0001f and 0.999f as these bit patterns.
        assert_eq!(0.001f32.to_bits(), 0x3A83_126F);
        assert_eq!(0.0001f32.to_bits(), 0x38D1_B717);
        assert_eq!(0.999f32.to_bits(), 0x3F7F_BE77);
        assert!(SELFTEST_PTX.contains(".entry gpuctl_selftest("));
        assert!(SELFTEST_PTX.contains("0f3A83126F"));
        assert!(SELFTEST_PTX.contains("0f38D1B717"));
        assert!(SELFTEST_PTX.contains("0f3F7FBE77"));
    }

    #[test]
    fn reference_is_deterministic() {
        let a = selftest_reference(5000, 64, 0xDEAD_BEEF, 256);
        let b = selftest_reference(5000, 64, 0xDEAD_BEEF, 256);
        assert_eq!(a, b);
    }

    #[test]
    fn block_sums_are_wrapping_sums_of_out() {
        // n not a multiple of the block: the last block is partial.
        let n = 256 * 40 + 77;
        let (out, sums) = selftest_reference(n, 16, 42, 256);
        assert_eq!(out.len(), n as usize);
        assert_eq!(sums.len(), 41);
        for (b, s) in sums.iter().enumerate() {
            let expect = out[b * 256..((b + 1) * 256).min(out.len())]
                .iter()
                .fold(0u32, |a, &v| a.wrapping_add(v));
            assert_eq!(*s, expect, "block {b}");
        }
    }

    #[test]
    fn vectorised_path_matches_scalar_element() {
        // Covers the 8-lane chunks, the remainder, and task boundaries.
        let n = 256 * 16 * 3 + 13;
        let (out, _) = selftest_reference(n, 37, 7, 256);
        for (i, v) in out.iter().enumerate() {
            assert_eq!(*v, selftest_element(i as u32, 37, 7), "element {i}");
        }
    }

    #[test]
    fn seed_changes_output() {
        let (a, sa) = selftest_reference(1024, 8, 1, 256);
        let (b, sb) = selftest_reference(1024, 8, 2, 256);
        assert_ne!(a, b);
        assert_ne!(sa, sb);
        // Nearly every element differs, not just a few.
        let same = a.iter().zip(&b).filter(|(x, y)| x == y).count();
        assert!(same < 8, "{same} equal elements");
    }

    #[test]
    fn hand_computed_first_element() {
        // i = 0, seed = 1, iters = 1:
        //   x = 1 ^ 0 = 1
        //   x ^= x << 13 -> 0x0000_2001
        //   x ^= x >> 17 -> 0x0000_2001 (shifts to 0)
        //   x ^= x << 5  -> 0x0000_2001 ^ 0x0004_0020 = 0x0004_2021
        //   f = fma(0.0, 0.999, (0x21 = 33) * 0.0001f)
        //   33.0f * 0.0001f rounds to 0x3B58_44D0 (= 0.0033f); fma(0, 0.999, p) = p
        //   out = 0x0004_2021 ^ 0x3B58_44D0 = 0x3B5C_64F1
        assert_eq!((33.0f32 * 0.0001f32).to_bits(), 0x3B58_44D0);
        assert_eq!(selftest_element(0, 1, 1), 0x3B5C_64F1);
        let (out, sums) = selftest_reference(1, 1, 1, 256);
        assert_eq!(out, vec![0x3B5C_64F1]);
        assert_eq!(sums, vec![0x3B5C_64F1]);
        // iters = 0 leaves x = seed ^ 0 and f = 0.0 for i = 0.
        assert_eq!(selftest_element(0, 0, 0x1234), 0x1234);
        // seed = 0 at i = 0 starts from x = 1, not 0.
        assert_eq!(selftest_element(0, 0, 0), 1);
    }

    #[test]
    fn matches_independent_exact_arithmetic() {
        // Values from a separate Python model using exact rationals with
        // round-to-nearest-even to f32 at each step (full 256 iterations).
        let n = 132 * 256 * 8;
        assert_eq!(selftest_element(12345, 256, 0xC0FFEE), 0x38EE_A177);
        assert_eq!(selftest_element(n - 1, 256, 0xC0FFEE), 0x9DF0_8CF0);
        let (_, sums) = selftest_reference(4 * 256, 256, 0xC0FFEE, 256);
        assert_eq!(sums[3], 0xB9F2_5264);
    }

    #[test]
    fn zero_block_does_not_panic() {
        let (out, sums) = selftest_reference(3, 1, 1, 0);
        assert_eq!(out.len(), 3);
        assert_eq!(sums.len(), 3);
    }
}
