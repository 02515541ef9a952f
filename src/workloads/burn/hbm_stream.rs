//! `burn --mode mixed`'s HBM stream: two device buffers and a stream of
//! their own beside the GEMM's, so the memory is at full load while the
//! tensor cores are. Every batch writes a fresh per-word pattern
//! ([`crate::device::bench_pattern`]: `gpuctl_bench_write`), copies it back and forth
//! between the buffers with bench's copy kernel, then checks both buffers
//! word by word (`gpuctl_bench_check`). A wrong word is a wrong result of
//! the GPU; a copy that wrote nothing leaves the previous batch's pattern,
//! which fails the check too. The number of copies per batch follows the
//! GEMM's device time per batch, so the stream stays busy for as long as
//! the GEMM.

use crate::device::compute::{download_u64, Arg, Context, Dim, Event, Stream};
use crate::device::{mix, DeviceError};
use crate::workloads::wipe::{alloc, Buf};

/// Share of the free memory left after the GEMM's buffers that the two
/// streaming buffers take together.
pub const STREAM_SHARE: f64 = 0.5;
/// Each streaming buffer is at most this large (as bench's).
const MAX_BUFFER: u64 = 16 << 30;
/// Each streaming buffer is at least this large, or this share of the
/// device where that is less (a simulated GPU of a few MiB), or set-up
/// fails.
const MIN_BUFFER: u64 = 64 << 20;
const MIN_BUFFER_SHARE: u64 = 64;
/// Buffer sizes are whole multiples of this (16-byte vectors, whole pages).
const GRANULE: u64 = 64 << 10;
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
    a: Buf,
    b: Buf,
    /// Two (bad words, 1 + last bad index) pairs: one per buffer.
    slots: Buf,
    stream: Stream,
    grid: u32,
    copies: u32,
    seed: u64,
    round: u64,
    inject: bool,
    /// Work queued and not yet collected: its start and end events.
    pending: Option<(Event, Event)>,
}

impl HbmStream {
    /// Buffers from [`STREAM_SHARE`] of the memory free now (after the
    /// GEMM's) and a stream of their own.
    pub(super) fn new(ctx: &dyn Context, seed: u64) -> Result<Self, DeviceError> {
        let (free, _) = ctx.mem_info()?;
        let each = ((free as f64 * STREAM_SHARE / 2.0) as u64).min(MAX_BUFFER) / GRANULE * GRANULE;
        let least = MIN_BUFFER.min(ctx.props().total_bytes / MIN_BUFFER_SHARE);
        if each < least.max(GRANULE) {
            return Err(DeviceError::OutOfMemory {
                step: "sizing the HBM stream buffers of --mode mixed".into(),
                requested_bytes: 2 * least,
                free_bytes: free,
            });
        }
        let a = alloc(ctx, each, "HBM stream buffer A")?;
        let b = match alloc(ctx, each, "HBM stream buffer B") {
            Ok(b) => b,
            Err(e) => {
                let _ = ctx.free(a.ptr);
                return Err(e);
            }
        };
        let slots = match alloc(ctx, 32, "HBM stream check slots") {
            Ok(s) => s,
            Err(e) => {
                let _ = ctx.free(a.ptr);
                let _ = ctx.free(b.ptr);
                return Err(e);
            }
        };
        let mut h = Self {
            a,
            b,
            slots,
            stream: Stream::DEFAULT,
            grid: ctx.props().sm_count.max(1) * BLOCKS_PER_SM,
            copies: 1,
            seed,
            round: 0,
            inject: std::env::var_os(INJECT_ENV).is_some_and(|v| !v.is_empty()),
            pending: None,
        };
        match ctx.stream() {
            Ok(s) => h.stream = s,
            Err(e) => {
                for buf in h.buffers() {
                    let _ = ctx.free(buf.ptr);
                }
                return Err(e);
            }
        }
        Ok(h)
    }

    /// Sets the first batch's copies so the stream lasts about
    /// `batch_seconds` of device time at [`FIRST_GUESS_BPS`].
    pub(super) fn plan(&mut self, batch_seconds: f64) {
        let per_copy = (2 * self.a.bytes) as f64;
        self.copies = (batch_seconds * FIRST_GUESS_BPS / per_copy).clamp(1.0, 1e5) as u32;
    }

    /// Device memory held.
    pub(super) fn memory_bytes(&self) -> u64 {
        self.a.bytes + self.b.bytes + self.slots.bytes
    }

    /// For the set-up's detail.
    pub(super) fn describe(&self) -> String {
        let size = if self.a.bytes >= 1 << 20 {
            format!("{} MiB", self.a.bytes >> 20)
        } else {
            format!("{} KiB", self.a.bytes >> 10)
        };
        format!("HBM stream: 2 x {size} on a non-blocking stream, copies checked word by word")
    }

    /// The buffers, for the wipe (after [`HbmStream::idle`]).
    pub(super) fn buffers(&self) -> [Buf; 3] {
        [self.a, self.b, self.slots]
    }

    /// Waits for queued streaming work.
    pub(super) fn idle(&self, ctx: &dyn Context) -> Result<(), DeviceError> {
        ctx.sync(self.stream)
    }

    /// Queues one batch: fresh pattern into A, copies A->B->A..., both
    /// buffers checked; returns at once (the GEMM runs meanwhile).
    pub(super) fn launch(&mut self, ctx: &dyn Context) -> Result<(), DeviceError> {
        self.round += 1;
        let seed = mix::word(self.seed, self.round);
        let nvec = self.a.bytes / 16;
        let s = self.stream;
        ctx.memset(s, self.slots.ptr, 0, self.slots.bytes)?;
        let start = ctx.record(s)?;
        let stride = Dim::new(self.grid, BLOCK);
        // gpuctl_bench_write(ulonglong2*, u64 nvec, u64 seed).
        let args = [Arg::U64(self.a.ptr), Arg::U64(nvec), Arg::U64(seed)];
        ctx.launch(s, "gpuctl_bench_write", stride, &args)?;
        let blocks = nvec.div_ceil(u64::from(COPY_BLOCK)).min(i32::MAX as u64) as u32;
        let copy = Dim::new(blocks.max(1), COPY_BLOCK);
        for i in 0..self.copies {
            let (src, dst) = if i % 2 == 0 {
                (self.a.ptr, self.b.ptr)
            } else {
                (self.b.ptr, self.a.ptr)
            };
            // gpuctl_bench_copy(const uint4*, uint4*, u64 nvec).
            let args = [Arg::U64(src), Arg::U64(dst), Arg::U64(nvec)];
            ctx.launch(s, "gpuctl_bench_copy", copy, &args)?;
        }
        if self.inject && self.round == 2 {
            ctx.memset(s, self.b.ptr + self.b.bytes / 2 + 3, 0x5A, 1)?;
        }
        for (i, buf) in [self.a.ptr, self.b.ptr].into_iter().enumerate() {
            let out = self.slots.ptr + 16 * i as u64;
            // gpuctl_bench_check(const ulonglong2*, u64 nvec, u64 seed, u64* out).
            let args = [Arg::U64(buf), Arg::U64(nvec), Arg::U64(seed), Arg::U64(out)];
            ctx.launch(s, "gpuctl_bench_check", stride, &args)?;
        }
        let end = ctx.record(s)?;
        self.pending = Some((start, end));
        Ok(())
    }

    /// Waits for the batch's streaming, reads its checks, and sets the next
    /// batch's copies so the stream lasts about `gemm_seconds` (the GEMM's
    /// device time of the batch).
    pub(super) fn collect(
        &mut self,
        ctx: &dyn Context,
        gemm_seconds: f64,
    ) -> Result<StreamBatch, DeviceError> {
        let Some((start, end)) = self.pending.take() else {
            return Ok(StreamBatch::default());
        };
        self.idle(ctx)?;
        let host = download_u64(ctx, self.slots.ptr, 4)?;
        let ms = ctx.elapsed_ms(start, end)?;
        ctx.release(&[start, end])?;
        let seconds = f64::from(ms) / 1e3;
        let bytes = self.a.bytes;
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
}
