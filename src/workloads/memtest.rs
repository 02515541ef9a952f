//! The memory test as a workload over [`Context`]: the kernels of
//! `kernels/memtest.cu` launched by name, memory taken in chunks with
//! recovery ([`memtest::allocate_with_recovery`]), an L2 flush before every
//! check, the error log read back after each checking sweep, and the
//! verified wipe. The same code runs on a GPU and on the simulated one,
//! where the kernels' Rust references find the fixture's memory faults.
//!
//! The chunks are taken first, so on the simulated GPU the memory under
//! test starts at the device's first byte and a fault declared at a byte
//! offset is reported at that offset; the error log and the flush buffer
//! are reserved out of the free memory the target is computed from.

use crate::device::compute::{download_u64, Arg, Context, DevPtr, Dim, Stream};
use crate::device::memtest::{
    self, Allocation, Fill, MemtestConfig, MemtestSetup, MemtestWorker, Mismatch, Phase,
    PhaseStats, WipeStats, MAX_RECORDS,
};
use crate::device::{DeviceError, QueryError};
use crate::kernels;
use std::time::Duration;

/// Threads per block; with [`BLOCKS_PER_SM`] blocks per SM, 2048 threads
/// each keeping 4 x 16-byte loads in flight: enough to run at HBM speed.
const BLOCK: u32 = 256;
const BLOCKS_PER_SM: u32 = 8;
/// u64 words of the kernel's `MtLog`: count, recorded, 16 x (address,
/// expected, actual).
const LOG_WORDS: usize = 2 + 3 * MAX_RECORDS;
const LOG_BYTES: u64 = (LOG_WORDS * 8) as u64;
/// The L2 flush buffer, in L2 sizes: enough to evict every line the last
/// sweep left (the replacement is not strict LRU).
const FLUSH_L2S: u64 = 3;
/// The L2 size assumed when the driver does not say (above any L2 so far).
const L2_UNKNOWN: u64 = 64 << 20;
/// Fills for the sweeps that have no check or no write.
const ZERO: Fill = Fill {
    kind: memtest::Kind::Const,
    p0: 0,
    p1: 0,
    p2: 0,
};
const S: Stream = Stream::DEFAULT;

/// A device allocation of the memory under test.
struct Chunk {
    ptr: DevPtr,
    bytes: u64,
    /// Byte offset of this chunk within the memory under test.
    offset: u64,
}

struct ContextMemtest {
    ctx: Box<dyn Context>,
    chunks: Vec<Chunk>,
    log: DevPtr,
    /// The L2 flush buffer: (device address, bytes).
    scratch: (DevPtr, u64),
    grid: u32,
    setup: MemtestSetup,
}

/// `"{step}: {error}"`, the worker's error line.
fn at(step: &'static str) -> impl Fn(DeviceError) -> String {
    move |e| format!("{step}: {e}")
}

/// Bytes of the L2 flush buffer for an L2 of `l2` bytes (0: unknown).
fn scratch_bytes(l2: u64) -> u64 {
    let l2 = if l2 > 0 { l2 } else { L2_UNKNOWN };
    (FLUSH_L2S * l2).next_multiple_of(2 << 20)
}

/// Sets up a memory test on `ctx`: as much of the free memory as `config`
/// asks for (with allocation recovery), the error log and the L2 flush
/// buffer. Set-up errors stay typed ([`QueryError::Device`]), so the
/// harness can tell a host library or a busy GPU from a faulty GPU.
pub fn start(
    ctx: Box<dyn Context>,
    config: &MemtestConfig,
) -> Result<Box<dyn MemtestWorker>, QueryError> {
    let props = ctx.props().clone();
    let grid = props.sm_count.max(1) * BLOCKS_PER_SM;
    let scratch_len = scratch_bytes(props.l2_bytes);
    let (free_now, total) = ctx.mem_info()?;
    // The log and the flush buffer come out of the free memory first.
    let free = free_now.saturating_sub(scratch_len + LOG_BYTES.next_multiple_of(256));
    let mut worker = ContextMemtest {
        ctx,
        chunks: Vec::new(),
        log: 0,
        scratch: (0, 0),
        grid,
        setup: MemtestSetup {
            allocation: Allocation {
                total_bytes: total,
                free_bytes: free,
                target_bytes: memtest::target_bytes(free, config.memory_fraction),
                ..Default::default()
            },
            detail: format!(
                "memtest sweep kernels, grid {grid} x {BLOCK}, 16-byte accesses, \
                 L2 flushed before each check"
            ),
        },
    };
    let mut a = worker.setup.allocation.clone();
    let (ctx, chunks) = (&worker.ctx, &mut worker.chunks);
    memtest::allocate_with_recovery(
        &mut a,
        |size| match ctx.alloc(size) {
            Ok(Some(ptr)) => {
                let offset = chunks.last().map_or(0, |c: &Chunk| c.offset + c.bytes);
                chunks.push(Chunk {
                    ptr,
                    bytes: size,
                    offset,
                });
                Ok(true)
            }
            Ok(None) => Ok(false),
            Err(e) => Err(at("device allocation failed")(e)),
        },
        |attempt| std::thread::sleep(Duration::from_millis(10 << attempt)),
    )
    .map_err(QueryError::Failed)?;
    worker.setup.allocation = a;
    let oom = |step: &str, requested_bytes: u64| {
        // Typed as out of memory so the remedy names who holds it.
        QueryError::from(DeviceError::OutOfMemory {
            step: step.into(),
            requested_bytes,
            free_bytes: free_now,
        })
    };
    worker.log = worker
        .ctx
        .alloc(LOG_BYTES)?
        .ok_or_else(|| oom("cuMemAlloc memtest error log", LOG_BYTES))?;
    let scratch = worker
        .ctx
        .alloc(scratch_len)?
        .ok_or_else(|| oom("cuMemAlloc memtest L2 flush buffer", scratch_len))?;
    worker.scratch = (scratch, scratch_len);
    worker.zero_log().map_err(QueryError::Failed)?;
    Ok(Box::new(worker))
}

impl ContextMemtest {
    fn zero_log(&self) -> Result<(), String> {
        self.ctx
            .memset(S, self.log, 0, LOG_BYTES)
            .map_err(at("clearing the error log failed"))
    }

    /// Launches `phase`'s kernel over one buffer (no wait).
    fn launch(&self, ptr: DevPtr, bytes: u64, phase: &Phase) -> Result<(), String> {
        let n16 = bytes / 16;
        let blocks = (n16.div_ceil(u64::from(BLOCK)).min(u64::from(self.grid))).max(1) as u32;
        let args = phase.kernel_args(ptr, bytes, self.log);
        self.ctx
            .launch(S, phase.kernel(), Dim::new(blocks, BLOCK), &args)
            .map_err(at("kernel launch failed"))
    }

    /// Writes the scratch buffer (3x L2): the previous sweep's dirty lines
    /// are written back and evicted, so the next check reads HBM, also
    /// right after a direction reversal. Not timed with the sweep.
    fn flush_l2(&self) -> Result<(), String> {
        let fill = Phase::sweep(memtest::Pattern::ZerosOnes, None, Some(ZERO));
        self.launch(self.scratch.0, self.scratch.1, &fill)
    }

    /// Launches one sweep over every chunk (top chunk first when
    /// descending) and returns the device time, seconds.
    fn sweep(&self, phase: &Phase) -> Result<f64, String> {
        if phase.check.is_some() {
            self.flush_l2()?;
        }
        let start = self.ctx.record(S).map_err(at("event record failed"))?;
        let order: Box<dyn Iterator<Item = &Chunk>> = if phase.descending {
            Box::new(self.chunks.iter().rev())
        } else {
            Box::new(self.chunks.iter())
        };
        for chunk in order {
            self.launch(chunk.ptr, chunk.bytes, phase)?;
        }
        let end = self.ctx.record(S).map_err(at("event record failed"))?;
        // A fault in the sweep (Xid, uncorrectable ECC) surfaces here.
        self.ctx.sync(S).map_err(at("memory test kernel failed"))?;
        let ms = self
            .ctx
            .elapsed_ms(start, end)
            .map_err(at("event timing failed"))?;
        let _ = self.ctx.release(&[start, end]);
        Ok(f64::from(ms) / 1e3)
    }

    fn tested(&self) -> u64 {
        self.chunks.iter().map(|c| c.bytes).sum()
    }

    /// The log's count and records, located within the memory under test;
    /// the log is cleared for the next sweep when anything was found.
    fn take_mismatches(&self) -> Result<(u64, Vec<Mismatch>), String> {
        let log = download_u64(self.ctx.as_ref(), self.log, LOG_WORDS)
            .map_err(at("reading the error log failed"))?;
        let count = log[0];
        if count == 0 {
            return Ok((0, Vec::new()));
        }
        let kept = (log[1] as usize).min(MAX_RECORDS);
        let records = (0..kept)
            .map(|i| {
                let (address, expected, actual) = (log[2 + 3 * i], log[3 + 3 * i], log[4 + 3 * i]);
                Mismatch {
                    offset: self.offset_of(address),
                    address,
                    expected,
                    actual,
                }
            })
            .collect();
        self.zero_log()?;
        Ok((count, records))
    }

    /// Byte offset of a device address within the memory under test
    /// (`u64::MAX` outside it).
    fn offset_of(&self, address: DevPtr) -> u64 {
        self.chunks
            .iter()
            .find(|c| address >= c.ptr && address < c.ptr + c.bytes)
            .map_or(u64::MAX, |c| c.offset + (address - c.ptr))
    }
}

impl MemtestWorker for ContextMemtest {
    fn setup(&self) -> &MemtestSetup {
        &self.setup
    }

    fn run_phase(&mut self, phase: &Phase) -> Result<PhaseStats, String> {
        let seconds = self.sweep(phase)?;
        let (mismatches, records) = if phase.check.is_some() {
            self.take_mismatches()?
        } else {
            (0, Vec::new())
        };
        let (bytes_read, bytes_written) = phase.bytes(self.tested());
        Ok(PhaseStats {
            bytes_read,
            bytes_written,
            seconds,
            mismatches,
            records,
        })
    }

    fn flip(&mut self, offset: u64, mask: u64) -> Result<u64, String> {
        let chunk = self
            .chunks
            .iter()
            .find(|c| offset >= c.offset && offset + 8 <= c.offset + c.bytes)
            .ok_or_else(|| format!("offset {offset} is beyond the memory under test"))?;
        let address = chunk.ptr + (offset - chunk.offset);
        // gpuctl_memtest_flip(u64 word_address, u64 mask), one thread.
        self.ctx
            .launch(
                S,
                kernels::MEMTEST_FLIP_ENTRY,
                Dim::new(1, 1),
                &[Arg::U64(address), Arg::U64(mask)],
            )
            .map_err(at("kernel launch failed"))?;
        self.ctx.sync(S).map_err(at("fault injection failed"))?;
        Ok(address)
    }

    fn wipe(&mut self) -> Result<WipeStats, String> {
        let p = memtest::Pattern::ZerosOnes;
        // Whatever an interrupted phase left in the log is not the wipe's.
        self.zero_log()?;
        self.sweep(&Phase::sweep(p, None, Some(ZERO)))?;
        self.sweep(&Phase::sweep(p, Some(ZERO), None))?;
        let (mismatches, _) = self.take_mismatches()?;
        Ok(WipeStats {
            bytes: self.tested(),
            mismatches,
        })
    }
}

impl Drop for ContextMemtest {
    fn drop(&mut self) {
        for c in self.chunks.drain(..) {
            let _ = self.ctx.free(c.ptr);
        }
        for p in [self.log, self.scratch.0] {
            if p != 0 {
                let _ = self.ctx.free(p);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flush_buffer_is_three_l2s_in_whole_pages() {
        assert_eq!(scratch_bytes(50 << 20), 150 << 20);
        assert_eq!(scratch_bytes(256 << 10), 2 << 20);
        assert_eq!(scratch_bytes(0), 192 << 20);
    }
}
