//! The memory test on a real GPU: the driver API, the kernels of
//! `kernels/memtest.cu`, and memory taken in chunks with recovery.
//!
//! Buffers are raw `cuMemAlloc` allocations owned here (not cudarc slices,
//! whose stream-ordered frees may keep memory in a pool): the worker frees
//! them itself on drop, after `wipe` zeroed and verified them.

use super::cuerr::{self, guarded};
use super::memtest::{
    self, Allocation, Fill, MemtestConfig, MemtestSetup, MemtestWorker, Mismatch, Phase,
    PhaseStats, WipeStats, MAX_RECORDS,
};
use super::QueryError;
use crate::kernels;
use cudarc::driver::sys::{self, CUdevice_attribute_enum as Attr, CUresult};
use cudarc::driver::{CudaContext, CudaFunction, CudaStream, LaunchConfig, PushKernelArg};
use cudarc::nvrtc::Ptx;
use std::sync::Arc;
use std::time::Duration;

/// Threads per block; with [`BLOCKS_PER_SM`] blocks per SM, 2048 threads
/// each keeping 4 x 16-byte loads in flight: enough to run at HBM speed.
const BLOCK: u32 = 256;
const BLOCKS_PER_SM: u32 = 8;
/// u64 words of the kernel's `MtLog`: count, recorded, 16 x (address,
/// expected, actual).
const LOG_WORDS: usize = 2 + 3 * MAX_RECORDS;
/// The L2 flush buffer, in L2 sizes: enough to evict every line the last
/// sweep left (the replacement is not strict LRU).
const FLUSH_L2S: u64 = 3;
/// Fills for the sweeps that have no check or no write.
const ZERO: Fill = Fill {
    kind: memtest::Kind::Const,
    p0: 0,
    p1: 0,
    p2: 0,
};

/// A raw device allocation.
struct Chunk {
    ptr: u64,
    bytes: u64,
    /// Byte offset of this chunk within the memory under test.
    offset: u64,
}

pub(super) struct CudaMemtest {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    pass_fn: CudaFunction,
    select_fn: CudaFunction,
    ordered_fn: CudaFunction,
    flip_fn: CudaFunction,
    chunks: Vec<Chunk>,
    log: u64,
    /// The L2 flush buffer: (device address, bytes).
    scratch: (u64, u64),
    grid: u32,
    setup: MemtestSetup,
}

fn err(step: &str, e: CUresult) -> String {
    format!("{step}: {}", cuerr::describe(e))
}

/// Set-up errors stay typed, so the harness can tell a host library or a
/// busy GPU (blamed on neither) from a faulty GPU.
fn qerr(step: &str, e: CUresult) -> QueryError {
    cuerr::cuda_err(step, e).into()
}

pub(super) fn start(ordinal: u32, config: &MemtestConfig) -> Result<CudaMemtest, QueryError> {
    guarded(|| start_inner(ordinal, config))
}

fn start_inner(ordinal: u32, config: &MemtestConfig) -> Result<CudaMemtest, QueryError> {
    let ctx =
        CudaContext::new(ordinal as usize).map_err(|e| qerr("context creation failed", e.0))?;
    let module = ctx
        .load_module(Ptx::from_src(kernels::MEMTEST_PTX))
        .map_err(|e| qerr("module load failed", e.0))?;
    let pass_fn = module
        .load_function(kernels::MEMTEST_PASS_ENTRY)
        .map_err(|e| qerr("kernel lookup failed", e.0))?;
    let flip_fn = module
        .load_function(kernels::MEMTEST_FLIP_ENTRY)
        .map_err(|e| qerr("kernel lookup failed", e.0))?;
    let select_fn = module
        .load_function(kernels::MEMTEST_SELECT_ENTRY)
        .map_err(|e| qerr("kernel lookup failed", e.0))?;
    let ordered_fn = module
        .load_function(kernels::MEMTEST_ORDERED_ENTRY)
        .map_err(|e| qerr("kernel lookup failed", e.0))?;
    let sms = ctx
        .attribute(Attr::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
        .map_err(|e| qerr("device attribute query failed", e.0))?;
    let grid = (sms.max(1) as u32) * BLOCKS_PER_SM;
    let stream = ctx.default_stream();
    ctx.bind_to_thread()
        .map_err(|e| qerr("context bind failed", e.0))?;
    let log = raw_alloc((LOG_WORDS * 8) as u64)
        .map_err(|e| qerr("device allocation failed", e))?
        .ok_or_else(|| {
            // Typed as out of memory so the remedy names who holds it.
            QueryError::from(super::DeviceError::OutOfMemory {
                step: "cuMemAlloc memtest error log".into(),
                requested_bytes: (LOG_WORDS * 8) as u64,
                free_bytes: 0,
            })
        })?;
    let mut worker = CudaMemtest {
        ctx,
        stream,
        pass_fn,
        select_fn,
        ordered_fn,
        flip_fn,
        chunks: Vec::new(),
        log,
        scratch: (0, 0),
        grid,
        setup: MemtestSetup {
            allocation: Allocation::default(),
            detail: format!(
                "memtest sweep kernels, grid {grid} x {BLOCK}, 16-byte accesses, \
                 L2 flushed before each check"
            ),
        },
    };
    worker.zero_log().map_err(QueryError::Failed)?;
    let (free, total) = worker
        .ctx
        .mem_get_info()
        .map_err(|e| qerr("cuMemGetInfo failed", e.0))?;
    let l2 = worker
        .ctx
        .attribute(Attr::CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE)
        .map_err(|e| qerr("device attribute query failed", e.0))?;
    // 64 MiB when the driver does not say (above any L2 so far).
    let l2 = if l2 > 0 { l2 as u64 } else { 64 << 20 };
    let scratch_bytes = (FLUSH_L2S * l2).next_multiple_of(2 << 20);
    let scratch = raw_alloc(scratch_bytes)
        .map_err(|e| qerr("device allocation failed", e))?
        .ok_or_else(|| {
            QueryError::from(super::DeviceError::OutOfMemory {
                step: "cuMemAlloc memtest L2 flush buffer".into(),
                requested_bytes: scratch_bytes,
                free_bytes: free as u64,
            })
        })?;
    worker.scratch = (scratch, scratch_bytes);
    let mut a = Allocation {
        total_bytes: total as u64,
        free_bytes: free as u64,
        target_bytes: memtest::target_bytes(free as u64, config.memory_fraction),
        ..Default::default()
    };
    let chunks = &mut worker.chunks;
    memtest::allocate_with_recovery(
        &mut a,
        |size| match raw_alloc(size) {
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
            Err(e) => Err(err("device allocation failed", e)),
        },
        |attempt| std::thread::sleep(Duration::from_millis(10 << attempt)),
    )
    .map_err(QueryError::Failed)?;
    worker.setup.allocation = a;
    Ok(worker)
}

/// `Ok(None)` when out of memory.
fn raw_alloc(bytes: u64) -> Result<Option<u64>, CUresult> {
    let mut ptr: sys::CUdeviceptr = 0;
    // SAFETY: writes one device pointer; the caller binds the context.
    match unsafe { sys::cuMemAlloc_v2(&mut ptr, bytes as usize) } {
        CUresult::CUDA_SUCCESS => Ok(Some(ptr)),
        CUresult::CUDA_ERROR_OUT_OF_MEMORY => Ok(None),
        e => Err(e),
    }
}

impl CudaMemtest {
    fn bind(&self) -> Result<(), String> {
        self.ctx
            .bind_to_thread()
            .map_err(|e| err("context bind failed", e.0))
    }

    fn zero_log(&self) -> Result<(), String> {
        // SAFETY: `log` is this worker's allocation of LOG_WORDS u64s.
        let r = unsafe { sys::cuMemsetD8_v2(self.log, 0, LOG_WORDS * 8) };
        match r {
            CUresult::CUDA_SUCCESS => Ok(()),
            e => Err(err("clearing the error log failed", e)),
        }
    }

    fn read_log(&self) -> Result<[u64; LOG_WORDS], String> {
        let mut host = [0u64; LOG_WORDS];
        // SAFETY: copies LOG_WORDS u64s from the log into `host`.
        let r = unsafe { sys::cuMemcpyDtoH_v2(host.as_mut_ptr().cast(), self.log, LOG_WORDS * 8) };
        match r {
            CUresult::CUDA_SUCCESS => Ok(host),
            e => Err(err("reading the error log failed", e)),
        }
    }

    /// Launches `phase`'s kernel over one buffer (no wait).
    fn launch(&self, ptr: u64, bytes: u64, phase: &Phase) -> Result<(), String> {
        let (c, w) = (phase.check.unwrap_or(ZERO), phase.write.unwrap_or(ZERO));
        let mode = u32::from(phase.check.is_some())
            | (u32::from(phase.write.is_some()) << 1)
            | (u32::from(phase.ordered) << 2);
        let desc = u32::from(phase.descending);
        let (sel, sel_m, sel_k) = phase.select.abi();
        let (ck, wk) = (c.kind as u32, w.kind as u32);
        let n16 = bytes / 16;
        let blocks = (n16.div_ceil(u64::from(BLOCK)).min(u64::from(self.grid))).max(1) as u32;
        let cfg = LaunchConfig {
            grid_dim: (blocks, 1, 1),
            block_dim: (BLOCK, 1, 1),
            shared_mem_bytes: 0,
        };
        // The ordered walk takes every word; a selection streams.
        let f = if phase.ordered {
            &self.ordered_fn
        } else if phase.select != memtest::Select::All {
            &self.select_fn
        } else {
            &self.pass_fn
        };
        let mut l = self.stream.launch_builder(f);
        l.arg(&ptr)
            .arg(&n16)
            .arg(&mode)
            .arg(&desc)
            .arg(&ck)
            .arg(&c.p0)
            .arg(&c.p1)
            .arg(&c.p2)
            .arg(&wk)
            .arg(&w.p0)
            .arg(&w.p1)
            .arg(&w.p2)
            .arg(&sel)
            .arg(&sel_m)
            .arg(&sel_k)
            .arg(&self.log);
        // SAFETY: the arguments match the sweep kernels' ABI (the
        // LAUNCH comment in kernels/memtest.cu); `ptr` is a live
        // allocation of `bytes` bytes and `log` one MtLog.
        unsafe { l.launch(cfg) }
            .map(|_| ())
            .map_err(|e| err("kernel launch failed", e.0))
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
        let timing = Some(sys::CUevent_flags::CU_EVENT_DEFAULT);
        let start = self
            .ctx
            .new_event(timing)
            .map_err(|e| err("event creation failed", e.0))?;
        let end = self
            .ctx
            .new_event(timing)
            .map_err(|e| err("event creation failed", e.0))?;
        if phase.check.is_some() {
            self.flush_l2()?;
        }
        start
            .record(&self.stream)
            .map_err(|e| err("event record failed", e.0))?;
        let order: Box<dyn Iterator<Item = &Chunk>> = if phase.descending {
            Box::new(self.chunks.iter().rev())
        } else {
            Box::new(self.chunks.iter())
        };
        for chunk in order {
            self.launch(chunk.ptr, chunk.bytes, phase)?;
        }
        end.record(&self.stream)
            .map_err(|e| err("event record failed", e.0))?;
        // A fault in the sweep (Xid, uncorrectable ECC) surfaces here.
        self.stream
            .synchronize()
            .map_err(|e| err("memory test kernel failed", e.0))?;
        let ms = start
            .elapsed_ms(&end)
            .map_err(|e| err("event timing failed", e.0))?;
        Ok(f64::from(ms) / 1e3)
    }

    fn tested(&self) -> u64 {
        self.chunks.iter().map(|c| c.bytes).sum()
    }

    /// The log's count and records, located within the memory under test;
    /// the log is cleared for the next sweep when anything was found.
    fn take_mismatches(&self) -> Result<(u64, Vec<Mismatch>), String> {
        let log = self.read_log()?;
        let count = log[0];
        if count == 0 {
            return Ok((0, Vec::new()));
        }
        let kept = (log[1] as usize).min(MAX_RECORDS);
        let records = (0..kept)
            .map(|i| {
                let (address, expected, actual) = (log[2 + 3 * i], log[3 + 3 * i], log[4 + 3 * i]);
                let offset = self
                    .chunks
                    .iter()
                    .find(|c| address >= c.ptr && address < c.ptr + c.bytes)
                    .map_or(u64::MAX, |c| c.offset + (address - c.ptr));
                Mismatch {
                    offset,
                    address,
                    expected,
                    actual,
                }
            })
            .collect();
        self.zero_log()?;
        Ok((count, records))
    }
}

impl MemtestWorker for CudaMemtest {
    fn setup(&self) -> &MemtestSetup {
        &self.setup
    }

    fn run_phase(&mut self, phase: &Phase) -> Result<PhaseStats, String> {
        self.bind()?;
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
        self.bind()?;
        let chunk = self
            .chunks
            .iter()
            .find(|c| offset >= c.offset && offset + 8 <= c.offset + c.bytes)
            .ok_or_else(|| format!("offset {offset} is beyond the memory under test"))?;
        let address = chunk.ptr + (offset - chunk.offset);
        let mut l = self.stream.launch_builder(&self.flip_fn);
        l.arg(&address).arg(&mask);
        // SAFETY: gpuctl_memtest_flip(u64, u64); `address` is an aligned
        // word inside a live allocation.
        unsafe { l.launch(LaunchConfig::for_num_elems(1)) }
            .map_err(|e| err("kernel launch failed", e.0))?;
        self.stream
            .synchronize()
            .map_err(|e| err("fault injection failed", e.0))?;
        Ok(address)
    }

    fn wipe(&mut self) -> Result<WipeStats, String> {
        self.bind()?;
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

impl Drop for CudaMemtest {
    fn drop(&mut self) {
        if self.ctx.bind_to_thread().is_err() {
            return;
        }
        for c in self.chunks.drain(..) {
            // SAFETY: each pointer came from cuMemAlloc and is freed once.
            let _ = unsafe { sys::cuMemFree_v2(c.ptr) };
        }
        // SAFETY: as above.
        let _ = unsafe { sys::cuMemFree_v2(self.log) };
        if self.scratch.0 != 0 {
            // SAFETY: as above.
            let _ = unsafe { sys::cuMemFree_v2(self.scratch.0) };
        }
    }
}
