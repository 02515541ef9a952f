//! `burn --mode mixed`'s HBM stream: two device buffers and a non-blocking
//! CUDA stream beside the GEMM's, so the memory is at full load while the
//! tensor cores are. Every batch writes a fresh per-word pattern
//! ([`crate::device::bench_pattern`]: `gpuctl_bench_write`), copies it back and forth
//! between the buffers with bench's copy kernel, then checks both buffers
//! word by word (`gpuctl_bench_check`). A wrong word is a wrong result of
//! the GPU; a copy that wrote nothing leaves the previous batch's pattern,
//! which fails the check too. The number of copies per batch follows the
//! GEMM's batch time, so the stream stays busy for as long as the GEMM.

use crate::device::cuerr::{cuda_err, de};
use crate::device::devbuf::DevBuf;
use crate::device::{mix, DeviceError};
use crate::kernels;
use cudarc::driver::result as cu;
use cudarc::driver::{
    CudaContext, CudaEvent, CudaFunction, CudaStream, LaunchConfig, PushKernelArg,
};
use cudarc::nvrtc::Ptx;
use std::sync::Arc;

/// Share of the free memory left after the GEMM's buffers that the two
/// streaming buffers take together.
pub const STREAM_SHARE: f64 = 0.5;
/// Each streaming buffer is at most this large (as bench's).
const MAX_BUFFER: u64 = 16 << 30;
/// Each streaming buffer is at least this large, or set-up fails.
const MIN_BUFFER: u64 = 64 << 20;
/// Write and check kernels: 256 threads, 8 blocks per SM (as bench's).
const BLOCK: u32 = 256;
const BLOCKS_PER_SM: u32 = 8;
/// Copy kernel: one uint4 per thread, 1024 threads per block (bench.cu).
const COPY_BLOCK: u32 = 1024;
/// Streaming rate assumed for the first batch, bytes/s (read + written).
const FIRST_GUESS_BPS: f64 = 2e12;
/// Testing only: when set, one byte of a streamed buffer is overwritten
/// in the second batch, to prove a streaming fault fails the GPU.
pub const INJECT_ENV: &str = "GPUCTL_BURN_STREAM_INJECT";

/// One batch's streaming, as measured and checked.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct StreamBatch {
    pub bytes: u64,
    pub bytes_verified: u64,
    pub mismatched_words: u64,
    pub seconds: f64,
}

pub(super) struct HbmStream {
    write: CudaFunction,
    check: CudaFunction,
    copy: CudaFunction,
    a: DevBuf,
    b: DevBuf,
    /// Two (bad words, 1 + last bad index) pairs: one per buffer.
    slots: DevBuf,
    start: CudaEvent,
    end: CudaEvent,
    stream: Arc<CudaStream>,
    grid: u32,
    copies: u32,
    seed: u64,
    round: u64,
    inject: bool,
    /// Work queued and not yet collected.
    pending: bool,
}

impl HbmStream {
    /// Buffers from [`STREAM_SHARE`] of the memory free now (after the
    /// GEMM's), a non-blocking stream, bench's kernels.
    pub(super) fn new(
        ctx: &Arc<CudaContext>,
        sm_count: u32,
        seed: u64,
        batch_seconds: f64,
    ) -> Result<Self, DeviceError> {
        let (free, _) = ctx.mem_get_info().map_err(de("memory query"))?;
        let each = ((free as f64 * STREAM_SHARE / 2.0) as u64).min(MAX_BUFFER) >> 20 << 20;
        if each < MIN_BUFFER {
            return Err(DeviceError::OutOfMemory {
                step: "sizing the HBM stream buffers of --mode mixed".into(),
                requested_bytes: 2 * MIN_BUFFER,
                free_bytes: free as u64,
            });
        }
        let module = ctx
            .load_module(Ptx::from_src(kernels::BENCH_PTX))
            .map_err(de("bench module load"))?;
        let func = |name: &str| {
            module
                .load_function(name)
                .map_err(|e| cuda_err(format!("kernel {name} lookup"), e.0))
        };
        let alloc = |bytes: u64, what: &str| {
            DevBuf::new(ctx, bytes as usize, &format!("cuMemAlloc {what}"))
        };
        let timing = Some(cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT);
        let copies = (batch_seconds * FIRST_GUESS_BPS / (2 * each) as f64).clamp(1.0, 1e5) as u32;
        Ok(Self {
            write: func("gpuctl_bench_write")?,
            check: func("gpuctl_bench_check")?,
            copy: func("gpuctl_bench_copy")?,
            a: alloc(each, "HBM stream buffer A")?,
            b: alloc(each, "HBM stream buffer B")?,
            slots: alloc(32, "HBM stream check slots")?,
            start: ctx.new_event(timing).map_err(de("event creation"))?,
            end: ctx.new_event(timing).map_err(de("event creation"))?,
            stream: ctx.new_stream().map_err(de("HBM stream creation"))?,
            grid: sm_count.max(1) * BLOCKS_PER_SM,
            copies,
            seed,
            round: 0,
            inject: std::env::var_os(INJECT_ENV).is_some_and(|v| !v.is_empty()),
            pending: false,
        })
    }

    /// Device memory held.
    pub(super) fn memory_bytes(&self) -> u64 {
        (self.a.bytes + self.b.bytes + self.slots.bytes) as u64
    }

    /// For the set-up's detail.
    pub(super) fn describe(&self) -> String {
        format!(
            "HBM stream: 2 x {} MiB on a non-blocking stream, copies checked word by word",
            self.a.bytes >> 20
        )
    }

    /// The buffers, for the wipe (after [`HbmStream::idle`]).
    pub(super) fn buffers(&self) -> [&DevBuf; 3] {
        [&self.a, &self.b, &self.slots]
    }

    /// Waits for queued streaming work.
    pub(super) fn idle(&self) -> Result<(), DeviceError> {
        self.stream.synchronize().map_err(de("HBM stream"))
    }

    fn stride_cfg(&self) -> LaunchConfig {
        LaunchConfig {
            grid_dim: (self.grid, 1, 1),
            block_dim: (BLOCK, 1, 1),
            shared_mem_bytes: 0,
        }
    }

    /// Queues one batch: fresh pattern into A, copies A->B->A..., both
    /// buffers checked; returns at once (the GEMM runs meanwhile).
    pub(super) fn launch(&mut self) -> Result<(), DeviceError> {
        self.round += 1;
        let seed = mix::word(self.seed, self.round);
        let bytes = self.a.bytes as u64;
        let nvec = bytes / 16;
        let s = self.stream.cu_stream();
        // SAFETY: the whole 32-byte slots allocation, on this stream.
        unsafe { cu::memset_d8_async(self.slots.ptr, 0, self.slots.bytes, s) }
            .map_err(de("zeroing HBM stream slots"))?;
        self.start
            .record(&self.stream)
            .map_err(de("event record"))?;
        let a = self.a.ptr;
        let mut l = self.stream.launch_builder(&self.write);
        l.arg(&a).arg(&nvec).arg(&seed);
        // SAFETY: gpuctl_bench_write(ulonglong2*, u64 nvec, u64 seed); A
        // holds nvec 16-byte vectors.
        unsafe { l.launch(self.stride_cfg()) }.map_err(de("HBM stream write launch"))?;
        let blocks = nvec.div_ceil(u64::from(COPY_BLOCK)).min(i32::MAX as u64) as u32;
        let copy_cfg = LaunchConfig {
            grid_dim: (blocks.max(1), 1, 1),
            block_dim: (COPY_BLOCK, 1, 1),
            shared_mem_bytes: 0,
        };
        for i in 0..self.copies {
            let (src, dst) = if i % 2 == 0 {
                (self.a.ptr, self.b.ptr)
            } else {
                (self.b.ptr, self.a.ptr)
            };
            let mut l = self.stream.launch_builder(&self.copy);
            l.arg(&src).arg(&dst).arg(&nvec);
            // SAFETY: gpuctl_bench_copy(const uint4*, uint4*, u64 nvec);
            // both buffers hold nvec uint4 and do not overlap.
            unsafe { l.launch(copy_cfg) }.map_err(de("HBM stream copy launch"))?;
        }
        if self.inject && self.round == 2 {
            // SAFETY: one byte inside the live buffer B.
            unsafe { cu::memset_d8_async(self.b.ptr + bytes / 2 + 3, 0x5A, 1, s) }
                .map_err(de("injecting a streaming fault"))?;
        }
        for (i, buf) in [self.a.ptr, self.b.ptr].into_iter().enumerate() {
            let out = self.slots.ptr + 16 * i as u64;
            let mut l = self.stream.launch_builder(&self.check);
            l.arg(&buf).arg(&nvec).arg(&seed).arg(&out);
            // SAFETY: gpuctl_bench_check(const ulonglong2*, u64 nvec, u64
            // seed, u64* out); buf holds nvec vectors, out two u64 of slots.
            unsafe { l.launch(self.stride_cfg()) }.map_err(de("HBM stream check launch"))?;
        }
        self.end.record(&self.stream).map_err(de("event record"))?;
        self.pending = true;
        Ok(())
    }

    /// Waits for the batch's streaming, reads its checks, and sets the next
    /// batch's copies so the stream lasts about `gemm_seconds`.
    pub(super) fn collect(&mut self, gemm_seconds: f64) -> Result<StreamBatch, DeviceError> {
        if !std::mem::take(&mut self.pending) {
            return Ok(StreamBatch::default());
        }
        let mut host = [0u64; 4];
        // SAFETY: host holds the 32 bytes of `slots`.
        unsafe { cu::memcpy_dtoh_async(&mut host[..], self.slots.ptr, self.stream.cu_stream()) }
            .map_err(de("reading HBM stream slots"))?;
        self.idle()?;
        let ms = self
            .start
            .elapsed_ms(&self.end)
            .map_err(de("event timing"))?;
        let seconds = f64::from(ms) / 1e3;
        let bytes = self.a.bytes as u64;
        let moved = bytes * (1 + 2 * u64::from(self.copies) + 2);
        if seconds > 0.0 && gemm_seconds > 0.0 {
            let next = f64::from(self.copies) * gemm_seconds / seconds;
            self.copies = next.round().clamp(1.0, 1e5) as u32;
        }
        Ok(StreamBatch {
            bytes: moved,
            bytes_verified: 2 * bytes,
            mismatched_words: host[0] + host[2],
            seconds,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::kernels;

    #[test]
    fn bench_ptx_has_the_streaming_kernels() {
        for name in [
            "gpuctl_bench_write",
            "gpuctl_bench_check",
            "gpuctl_bench_copy",
        ] {
            assert!(
                kernels::BENCH_PTX.contains(&format!(".entry {name}(")),
                "{name}"
            );
        }
    }

    #[test]
    fn the_host_model_of_the_check_finds_one_wrong_word() {
        let mut w = crate::device::bench_pattern::fill(9, 1024);
        w[500] ^= 4;
        assert_eq!(crate::device::bench_pattern::check(&w, 0, 9), (1, 501));
    }
}
