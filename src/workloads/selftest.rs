//! The compute self-test as a workload over [`Context`]: the kernel
//! `gpuctl_selftest` (`kernels/selftest.cu`) run once with zero iterations
//! (the module load and first launch are paid outside the timed launch),
//! once timed between two events, every element and block sum compared
//! with the host reference ([`kernels::selftest_reference`]), then the GPU
//! kept busy for the caller's period. Probe's compute test and health's
//! self-test both run it; on the simulated GPU the kernel's Rust reference
//! runs on simulated memory, so an injected fault is found by the same
//! comparison.

use crate::device::compute::{Arg, Context, DevPtr, Dim, Stream};
use crate::device::{CudaApi, DeviceError, QueryError, SelfTestOutcome};
use crate::kernels;
use std::time::{Duration, Instant};

/// Self-test size: 8 blocks of 256 threads per SM (on a 132-SM H100 or
/// H200, 270,336 threads), enough to touch every SM.
pub const BLOCKS_PER_SM: u32 = 8;
/// Loop iterations per thread: long enough to exercise the FP32/INT pipes,
/// short enough that the host reference stays in the tens of milliseconds.
pub const SELFTEST_ITERS: u32 = 256;
/// Iterations per busy-phase launch: a few milliseconds on an H100.
const BUSY_ITERS: u32 = 16_384;
const S: Stream = Stream::DEFAULT;

/// Opens CUDA ordinal `ordinal` and runs the self-test on it; the total
/// time includes opening the context.
pub fn run_on(
    cuda: &dyn CudaApi,
    ordinal: u32,
    busy: Duration,
) -> Result<SelfTestOutcome, QueryError> {
    let started = Instant::now();
    let ctx = cuda.open(ordinal)?;
    crate::trace::mark(&format!("self-test: context on CUDA device {ordinal}"));
    let mut outcome = run(ctx.as_ref(), busy)?;
    outcome.total_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(outcome)
}

/// Runs the self-test on an open context and checks every value against
/// the host reference, then keeps the GPU busy for `busy` so callers can
/// sample it under load. Every step's error names it.
pub fn run(ctx: &dyn Context, busy: Duration) -> Result<SelfTestOutcome, QueryError> {
    let started = Instant::now();
    let n = ctx.props().sm_count.max(1) * BLOCKS_PER_SM * kernels::SELFTEST_BLOCK;
    let bufs = Buffers::alloc(ctx, n)?;
    let outcome = bufs.test(ctx, busy, fresh_seed(ctx.props().ordinal));
    bufs.free(ctx);
    let mut outcome = outcome?;
    outcome.total_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(outcome)
}

/// `"{step}: {error}"` as a typed error: the step is kept, and so is the
/// driver's code (whose fault it is).
fn at(step: &'static str) -> impl Fn(DeviceError) -> QueryError {
    move |e| {
        QueryError::Device(match e {
            DeviceError::Cuda {
                step: s,
                code,
                name,
            } => DeviceError::Cuda {
                step: format!("{step}: {s}"),
                code,
                name,
            },
            other => other,
        })
    }
}

/// The kernel's output and block sums.
struct Buffers {
    out: DevPtr,
    sums: DevPtr,
    /// Threads (elements), a whole number of blocks.
    n: u32,
    grid: u32,
}

impl Buffers {
    fn alloc(ctx: &dyn Context, n: u32) -> Result<Self, QueryError> {
        let grid = n.div_ceil(kernels::SELFTEST_BLOCK);
        let take = |bytes: u64| -> Result<DevPtr, QueryError> {
            let p = ctx
                .alloc(bytes)
                .map_err(at("device allocation failed"))?
                .ok_or_else(|| {
                    QueryError::from(DeviceError::OutOfMemory {
                        step: "cuMemAlloc self-test buffers".into(),
                        requested_bytes: bytes,
                        free_bytes: 0,
                    })
                })?;
            ctx.memset(S, p, 0, bytes)
                .map_err(at("device allocation failed"))?;
            Ok(p)
        };
        let out = take(u64::from(n) * 4)?;
        let sums = match take(u64::from(grid) * 4) {
            Ok(s) => s,
            Err(e) => {
                let _ = ctx.free(out);
                return Err(e);
            }
        };
        Ok(Self { out, sums, n, grid })
    }

    fn free(self, ctx: &dyn Context) {
        let _ = ctx.free(self.out);
        let _ = ctx.free(self.sums);
    }

    /// One launch of `gpuctl_selftest(u32* out, u32* block_sums, u32 n,
    /// u32 iters, u32 seed)`, block 256 (required by its reduction).
    fn launch(&self, ctx: &dyn Context, iters: u32, seed: u32) -> Result<(), QueryError> {
        let args = [
            Arg::U64(self.out),
            Arg::U64(self.sums),
            Arg::U32(self.n),
            Arg::U32(iters),
            Arg::U32(seed),
        ];
        let dim = Dim::new(self.grid, kernels::SELFTEST_BLOCK);
        ctx.launch(S, kernels::SELFTEST_ENTRY, dim, &args)
            .map_err(at("kernel launch failed"))
    }

    fn test(
        &self,
        ctx: &dyn Context,
        busy: Duration,
        seed: u32,
    ) -> Result<SelfTestOutcome, QueryError> {
        // Warm-up with zero iterations: pays the JIT / lazy-loading cost
        // outside the timed launch. The timed launch rewrites every output.
        self.launch(ctx, 0, seed)?;
        let start = ctx.record(S).map_err(at("event record failed"))?;
        self.launch(ctx, SELFTEST_ITERS, seed)?;
        let end = ctx.record(S).map_err(at("event record failed"))?;
        crate::trace::mark("self-test: kernel launched");
        // The host reference runs while the GPU works.
        let (want_out, want_sums) =
            kernels::selftest_reference(self.n, SELFTEST_ITERS, seed, kernels::SELFTEST_BLOCK);
        crate::trace::mark("self-test: host reference computed");
        // A fault inside the kernel (Xid, ECC, illegal address) surfaces here.
        ctx.sync(S).map_err(at("kernel execution failed"))?;
        let kernel_ms = f64::from(
            ctx.elapsed_ms(start, end)
                .map_err(at("event timing failed"))?,
        );
        let _ = ctx.release(&[start, end]);
        let got_out = download_u32(ctx, self.out, want_out.len())?;
        let got_sums = download_u32(ctx, self.sums, want_sums.len())?;
        crate::trace::mark("self-test: results read back");
        let mismatches =
            count_mismatches(&got_out, &want_out) + count_mismatches(&got_sums, &want_sums);
        // Keep the GPU busy so callers can sample it under load (idle PCIe
        // links downtrain; throttle reasons only matter when busy). Results
        // of these launches are not checked: the checked launch did that.
        let busy_start = Instant::now();
        while busy_start.elapsed() < busy {
            self.launch(ctx, BUSY_ITERS, seed)?;
            ctx.sync(S).map_err(at("kernel execution failed"))?;
        }
        Ok(SelfTestOutcome {
            mismatches,
            checked: (want_out.len() + want_sums.len()) as u64,
            kernel_ms,
            total_ms: 0.0,
        })
    }
}

fn download_u32(ctx: &dyn Context, src: DevPtr, n: usize) -> Result<Vec<u32>, QueryError> {
    let mut bytes = vec![0u8; n * 4];
    ctx.download(src, &mut bytes)
        .map_err(at("copy to host failed"))?;
    Ok(bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Differing positions, plus any the device did not return at all.
fn count_mismatches(got: &[u32], want: &[u32]) -> u64 {
    let differ = got.iter().zip(want).filter(|(g, w)| g != w).count();
    (differ + want.len().abs_diff(got.len())) as u64
}

/// A different seed each run and GPU, so a stuck-at fault cannot hide
/// behind a cached or precomputed answer (splitmix64 of time and ordinal).
fn fresh_seed(ordinal: u32) -> u32 {
    use crate::device::mix::{clock_nanos_or, splitmix64_finish, GOLDEN};
    let z = splitmix64_finish(clock_nanos_or(0) ^ (u64::from(ordinal) << 56) ^ GOLDEN);
    (z ^ (z >> 32)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_h100_runs_the_same_self_test_as_before() {
        // 132 SMs: the 270,336 threads the GPU figures were taken with.
        assert_eq!(132 * BLOCKS_PER_SM * kernels::SELFTEST_BLOCK, 270_336);
    }

    fn one_sm() -> crate::device::compute::sim::SimContext {
        let props = crate::device::compute::Props {
            ordinal: 0,
            name: "simulated".into(),
            compute_capability: (9, 0),
            sm_count: 1,
            l2_bytes: 1 << 20,
            total_bytes: 1 << 20,
        };
        crate::device::compute::sim::SimContext::standalone(props, 1 << 20)
    }

    #[test]
    fn every_element_and_block_sum_of_a_healthy_gpu_is_checked() {
        let o = run(&one_sm(), Duration::ZERO).unwrap();
        // One SM: 8 blocks of 256 threads, and their 8 sums.
        assert_eq!((o.mismatches, o.checked), (0, 2048 + 8));
        assert!(o.kernel_ms > 0.0);
    }

    #[test]
    fn a_corrupted_output_word_is_found_by_the_comparison() {
        let ctx = one_sm();
        let bufs = Buffers::alloc(&ctx, 2048).unwrap();
        bufs.launch(&ctx, SELFTEST_ITERS, 7).unwrap();
        // A bit of the output flips after the kernel wrote it.
        let word = bufs.out + 8 * 100;
        let world = ctx.world();
        {
            let mut w = world.lock().unwrap();
            let v = w.mem().r64(word).unwrap();
            w.mem().w64(word, v ^ (1 << 40)).unwrap();
        }
        let (want, _) = kernels::selftest_reference(2048, SELFTEST_ITERS, 7, 256);
        let got = download_u32(&ctx, bufs.out, 2048).unwrap();
        assert_eq!(count_mismatches(&got, &want), 1);
        bufs.free(&ctx);
    }

    #[test]
    fn missing_or_differing_elements_count() {
        assert_eq!(count_mismatches(&[1, 2, 3], &[1, 2, 3]), 0);
        assert_eq!(count_mismatches(&[1, 9, 3], &[1, 2, 3]), 1);
        assert_eq!(count_mismatches(&[1], &[1, 2, 3]), 2);
    }
}
