//! The verified wipe over [`Context`]: every device buffer a workload held
//! is zeroed and read back as zero on the GPU (`gpuctl_count_nonzero`)
//! before it is freed, so no test data outlives the test.

use crate::device::burn::WipeReport;
use crate::device::compute::{download_u64, Arg, Context, DevPtr, Dim, Stream};
use crate::device::DeviceError;

/// The wipe's check kernel (in the GEMM module; it requires a block of 256).
pub const COUNT_NONZERO: &str = "gpuctl_count_nonzero";
const BLOCK: u32 = 256;

/// Zeroes and verifies each `(pointer, bytes)` of `bufs` after the work
/// queued on `stream`, counting nonzero words into the 8-byte device word
/// `counter`: the buffers, bytes and words that did not read back as zero.
pub fn wipe_each(
    ctx: &dyn Context,
    stream: Stream,
    bufs: &[(DevPtr, u64)],
    counter: DevPtr,
) -> Result<WipeReport, DeviceError> {
    ctx.sync(stream)?;
    let mut report = WipeReport::default();
    for &(ptr, bytes) in bufs {
        ctx.memset(stream, ptr, 0, bytes)?;
        ctx.memset(stream, counter, 0, 8)?;
        let words = bytes / 8;
        let grid = words.div_ceil(u64::from(BLOCK) * 16).clamp(1, 65_535) as u32;
        ctx.launch(
            stream,
            COUNT_NONZERO,
            Dim::new(grid, BLOCK),
            &[Arg::U64(ptr), Arg::U64(words), Arg::U64(counter)],
        )?;
        ctx.sync(stream)?;
        report.nonzero_words += download_u64(ctx, counter, 1)?.first().copied().unwrap_or(0);
        report.buffers += 1;
        report.bytes += bytes;
    }
    report.verified = report.nonzero_words == 0;
    Ok(report)
}
