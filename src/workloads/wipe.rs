//! The verified wipe of a workload's device buffers before they are freed:
//! each is zeroed, then `gpuctl_count_nonzero` counts the 64-bit words that
//! did not read back as zero, so no test data outlives the test unnoticed.

use crate::device::burn::WipeReport;
use crate::device::compute::{download_u64, Arg, Context, DevPtr, Dim, Stream};
use crate::device::DeviceError;

/// A device allocation a workload holds: its address and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buf {
    pub ptr: DevPtr,
    pub bytes: u64,
}

impl Buf {
    /// No allocation (yet).
    pub const NONE: Buf = Buf { ptr: 0, bytes: 0 };
}

/// Allocates `bytes` on `ctx`; out of memory is
/// [`DeviceError::OutOfMemory`] with the free memory at that moment, its
/// step naming the buffer (`cuMemAlloc result buffer 3`).
pub fn alloc(ctx: &dyn Context, bytes: u64, what: &str) -> Result<Buf, DeviceError> {
    match ctx.alloc(bytes)? {
        Some(ptr) => Ok(Buf { ptr, bytes }),
        None => Err(DeviceError::OutOfMemory {
            step: format!("cuMemAlloc {what}"),
            requested_bytes: bytes,
            free_bytes: ctx.mem_info().map_or(0, |(free, _)| free),
        }),
    }
}

/// Zeroes and verifies each of `bufs` after the work queued on `stream`;
/// `counter` is an 8-byte device word the count may use.
pub fn wipe_each(
    ctx: &dyn Context,
    stream: Stream,
    bufs: &[Buf],
    counter: DevPtr,
) -> Result<WipeReport, DeviceError> {
    ctx.sync(stream)?;
    let mut report = WipeReport::default();
    for buf in bufs {
        ctx.memset(stream, buf.ptr, 0, buf.bytes)?;
        ctx.memset(stream, counter, 0, 8)?;
        let words = buf.bytes / 8;
        // Block 256 as the kernel requires; any grid (grid-stride loop).
        let grid = words.div_ceil(256 * 16).clamp(1, 65_535) as u32;
        ctx.launch(
            stream,
            "gpuctl_count_nonzero",
            Dim::new(grid, 256),
            &[Arg::U64(buf.ptr), Arg::U64(words), Arg::U64(counter)],
        )?;
        ctx.sync(stream)?;
        report.nonzero_words += download_u64(ctx, counter, 1)?.first().copied().unwrap_or(0);
        report.buffers += 1;
        report.bytes += buf.bytes;
    }
    report.verified = report.nonzero_words == 0;
    Ok(report)
}
