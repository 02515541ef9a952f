//! Raw device buffers for workloads that fill most of a GPU's memory (burn,
//! and later memtest and p2p): allocation that reports out-of-memory as
//! such, and a verified wipe so no test data outlives the test.

use super::burn::WipeReport;
use super::cuerr::{cuda_err, de, is_oom};
use super::DeviceError;
use cudarc::driver::result as cu;
use cudarc::driver::{CudaContext, CudaFunction, CudaStream, LaunchConfig, PushKernelArg};
use std::cell::Cell;
use std::sync::Arc;

/// A plain device allocation (`cuMemAlloc` / `cuMemFree`) rather than
/// cudarc's stream-ordered pool: a pool keeps freed memory reserved while the
/// context lives, and cuBLASLt's runtime keeps the primary context alive, so
/// a finished burn would hold tens of GiB until the process exits.
pub struct DevBuf {
    pub ptr: u64,
    pub bytes: usize,
    ctx: Arc<CudaContext>,
    /// Set once a verified wipe ran; otherwise Drop zeroes (unverified).
    wiped: Cell<bool>,
}

impl DevBuf {
    /// Allocates `bytes` in `ctx`. Out of memory is
    /// [`DeviceError::OutOfMemory`] with the free memory at that moment;
    /// `step` names the buffer ("cuMemAlloc result buffer 3").
    pub fn new(ctx: &Arc<CudaContext>, bytes: usize, step: &str) -> Result<Self, DeviceError> {
        ctx.bind_to_thread()
            .map_err(|e| cuda_err(format!("{step}: binding context"), e.0))?;
        // SAFETY: plain allocation in the current (just bound) context;
        // contents are undefined until the owner writes them.
        match unsafe { cu::malloc_sync(bytes) } {
            Ok(ptr) => Ok(Self {
                ptr,
                bytes,
                ctx: ctx.clone(),
                wiped: Cell::new(false),
            }),
            Err(e) if is_oom(e.0) => Err(DeviceError::OutOfMemory {
                step: step.to_string(),
                requested_bytes: bytes as u64,
                free_bytes: ctx.mem_get_info().map(|(f, _)| f as u64).unwrap_or(0),
            }),
            Err(e) => Err(cuda_err(step, e.0)),
        }
    }

    /// Whether a verified wipe has run on this buffer.
    pub fn is_wiped(&self) -> bool {
        self.wiped.get()
    }

    /// Zeroes the buffer and checks, on the GPU, that every word reads back
    /// as zero. `count_nonzero` is `gpuctl_count_nonzero` from the GEMM PTX
    /// and `counter` an 8-byte device word it may use. Returns the number of
    /// 64-bit words that did not read back as zero (0 = verified).
    pub fn wipe(
        &self,
        stream: &CudaStream,
        count_nonzero: &CudaFunction,
        counter: u64,
    ) -> Result<u64, DeviceError> {
        let s = stream.cu_stream();
        // SAFETY: the whole live allocation and one u64 counter, both on the
        // caller's stream; the kernel only reads the buffer.
        unsafe {
            cu::memset_d8_async(self.ptr, 0, self.bytes, s)
                .map_err(|e| cuda_err("wipe: zeroing buffer", e.0))?;
            cu::memset_d8_async(counter, 0, 8, s)
                .map_err(|e| cuda_err("wipe: zeroing counter", e.0))?;
        }
        let words = (self.bytes / 8) as u64;
        let (buf, mut l) = (self.ptr, stream.launch_builder(count_nonzero));
        l.arg(&buf).arg(&words).arg(&counter);
        let cfg = LaunchConfig {
            grid_dim: (words.div_ceil(256 * 16).clamp(1, 65_535) as u32, 1, 1),
            block_dim: (256, 1, 1),
            shared_mem_bytes: 0,
        };
        // SAFETY: gpuctl_count_nonzero(const u64* p, u64 nwords, u64* out),
        // block 256 as it requires; p holds nwords words.
        unsafe { l.launch(cfg) }.map_err(|e| cuda_err("wipe: verify kernel launch", e.0))?;
        let mut host = [0u64; 1];
        // SAFETY: one u64 from the counter, ordered after the kernel.
        unsafe { cu::memcpy_dtoh_async(&mut host, counter, s) }
            .map_err(|e| cuda_err("wipe: reading counter", e.0))?;
        stream
            .synchronize()
            .map_err(|e| cuda_err("wipe: verify", e.0))?;
        self.wiped.set(true);
        Ok(host[0])
    }
}

impl Drop for DevBuf {
    fn drop(&mut self) {
        let _ = self.ctx.bind_to_thread();
        if !self.wiped.get() {
            // Last resort on error paths (no stream or kernel at hand):
            // zero it anyway so no test data is left for the next owner.
            // SAFETY: the whole live allocation; synchronous.
            let _ = unsafe { cu::memset_d8_sync(self.ptr, 0, self.bytes) };
        }
        // SAFETY: allocated by `new`, freed once; the owner synchronized the
        // stream first, so no queued work still uses it.
        let _ = unsafe { cu::free_sync(self.ptr) };
    }
}

/// Zeroes and verifies each of `bufs` (after the work queued on `stream`):
/// the buffers, bytes and words that did not read back as zero. What burn's
/// and bench's workers run before they free their memory.
pub fn wipe_each(
    ctx: &Arc<CudaContext>,
    stream: &CudaStream,
    bufs: &[&DevBuf],
    count_nonzero: &CudaFunction,
    counter: u64,
) -> Result<WipeReport, DeviceError> {
    ctx.bind_to_thread().map_err(de("binding the context"))?;
    stream
        .synchronize()
        .map_err(de("queued work before wipe"))?;
    let mut report = WipeReport::default();
    for buf in bufs {
        report.nonzero_words += buf.wipe(stream, count_nonzero, counter)?;
        report.buffers += 1;
        report.bytes += buf.bytes as u64;
    }
    report.verified = report.nonzero_words == 0;
    Ok(report)
}
