//! The real bandwidth and latency benchmark (`bench`): HBM copy, read and
//! write kernels from `kernels/bench.cu`, pinned host transfers through the
//! copy engines, and empty-kernel launches, all timed with CUDA events after
//! a warm-up. Every buffer holds a per-word pattern with a fresh seed per
//! repetition ([`bench_pattern`]), checked word by word on the GPU after
//! every repetition (d2h: the last one, on the host); a mismatch is
//! [`DeviceError::WrongResult`]. The device buffers are [`DevBuf`]s, zeroed
//! and verified by `finish` (or on drop) before they are freed.

use super::bench::{BenchConfig, BenchWorker, Timed, Transfer};
use super::bench_pattern::{self as pattern, rep_seed, slot_of, SLOTS, SLOT_BYTES};
use super::burn::WipeReport;
use super::cuerr::{cuda_err, de, guarded, guarded_dev};
use super::devbuf::{wipe_each, DevBuf};
use super::{DeviceError, QueryError};
use crate::kernels;
use cudarc::driver::result as cu;
use cudarc::driver::sys::CUdevice_attribute_enum as Attr;
use cudarc::driver::{
    CudaContext, CudaEvent, CudaFunction, CudaStream, LaunchConfig, PushKernelArg,
};
use cudarc::nvrtc::Ptx;
use std::ffi::c_void;
use std::sync::Arc;

/// Threads per block: the read kernel's reduction is written for 256.
const BLOCK: u32 = 256;
/// Resident blocks per SM for the HBM kernels (8 x 256 threads fill an SM);
/// `GPUCTL_BENCH_BLOCKS_PER_SM` overrides it for tuning.
const BLOCKS_PER_SM: u32 = 8;
/// Threads per block of the copy kernel: one uint4 each, a block per 1024
/// vectors (the fastest shape measured, kernels/bench.cu).
const COPY_BLOCK: u32 = 1024;
/// Untimed launches before the timed ones: clocks ramp, TLBs fill.
const WARMUP: u32 = 3;
/// Share of free memory the two device buffers may take.
const MEMORY_SHARE: f64 = 0.4;

/// Sets up a benchmark worker on `ordinal`. Errors keep their
/// [`DeviceError`], so out of memory can name who holds it.
pub fn start(ordinal: u32, config: &BenchConfig) -> Result<Box<dyn BenchWorker>, QueryError> {
    guarded(|| {
        Bench::new(ordinal, config)
            .map(|w| Box::new(w) as Box<dyn BenchWorker>)
            .map_err(QueryError::from)
    })
}

/// Page-locked host memory (`cuMemHostAlloc`): what lets the copy engines
/// run at the link's speed. Host memory, so not a [`DevBuf`] and not wiped.
struct Pinned {
    ptr: *mut c_void,
    bytes: usize,
    ctx: Arc<CudaContext>,
}

// SAFETY: the pointer is owned by this value alone and used from one thread
// at a time (the worker's).
unsafe impl Send for Pinned {}

impl Pinned {
    /// Allocates `bytes`; `step` names it in an error.
    fn new(ctx: &Arc<CudaContext>, bytes: usize, step: &str) -> Result<Self, DeviceError> {
        ctx.bind_to_thread()
            .map_err(|e| cuda_err(format!("{step}: binding context"), e.0))?;
        // SAFETY: allocates `bytes` of pinned memory in the bound context.
        let ptr = unsafe { cu::malloc_host(bytes, 0) }.map_err(|e| cuda_err(step, e.0))?;
        Ok(Self {
            ptr,
            bytes,
            ctx: ctx.clone(),
        })
    }

    fn words(&self) -> &[u64] {
        // SAFETY: a live allocation of `bytes` (a multiple of 16), aligned
        // to a page; only read while no copy into it is in flight.
        unsafe { std::slice::from_raw_parts(self.ptr as *const u64, self.bytes / 8) }
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        let _ = self.ctx.bind_to_thread();
        // SAFETY: allocated by `new`, freed once, after the stream was idle.
        let _ = unsafe { cu::free_host(self.ptr) };
    }
}

struct Bench {
    write: CudaFunction,
    check: CudaFunction,
    copy: CudaFunction,
    empty: CudaFunction,
    /// `gpuctl_count_nonzero` of the GEMM module, for the verified wipe.
    count_nonzero: CudaFunction,
    a: DevBuf,
    b: DevBuf,
    host: Pinned,
    /// A (bad words, last bad word) pair per repetition (bench_pattern).
    slots: DevBuf,
    /// The wipe's nonzero-word counter.
    wipe_counter: DevBuf,
    device_bytes: u64,
    grid: u32,
    stream: Arc<CudaStream>,
    ctx: Arc<CudaContext>,
    seed: u64,
    /// Testing only (`GPUCTL_BENCH_INJECT=hbm_copy|hbm_read|hbm_write|
    /// host_to_device|device_to_host`): one byte of that transfer's checked buffer is changed after
    /// its first repetition, to prove on a GPU that the check catches it.
    inject: Option<Transfer>,
    /// Set once the buffers were wiped, so Drop does not repeat it.
    wiped: Option<WipeReport>,
}

impl Bench {
    fn new(ordinal: u32, config: &BenchConfig) -> Result<Self, DeviceError> {
        let ctx = CudaContext::new(ordinal as usize).map_err(de("context creation failed"))?;
        let stream = ctx.default_stream();
        let module = ctx
            .load_module(Ptx::from_src(kernels::BENCH_PTX))
            .map_err(de("bench module load failed"))?;
        let func = |name: &str| {
            module
                .load_function(name)
                .map_err(|e| cuda_err(format!("kernel {name} lookup failed"), e.0))
        };
        let sm_count = ctx
            .attribute(Attr::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
            .map_err(de("SM count query failed"))?
            .max(1) as u32;
        let per_sm = std::env::var("GPUCTL_BENCH_BLOCKS_PER_SM")
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|&v| (1..=4096).contains(&v))
            .unwrap_or(BLOCKS_PER_SM);
        let (free, _) = ctx.mem_get_info().map_err(de("memory query failed"))?;
        // Two buffers within the share of free memory, whole MiB, at most
        // 16 GiB each (word indices stay within u32).
        let fit = ((free as f64 * MEMORY_SHARE / 2.0) as u64).min(16 << 30);
        let device_bytes = config.device_bytes.min(fit) >> 20 << 20;
        let host_bytes = config.host_bytes.min(device_bytes) >> 20 << 20;
        if device_bytes == 0 || host_bytes == 0 {
            if config.device_bytes >> 20 == 0 || config.host_bytes >> 20 == 0 {
                return Err(DeviceError::Invalid(format!(
                    "benchmark buffers must be at least 1 MiB (asked for {} and {} bytes)",
                    config.device_bytes, config.host_bytes
                )));
            }
            // The least a run needs: two device buffers of 1 MiB.
            return Err(DeviceError::OutOfMemory {
                step: "sizing the benchmark buffers".into(),
                requested_bytes: 2 << 20,
                free_bytes: free as u64,
            });
        }
        // Contents are written by a kernel or a memset before they are read.
        let alloc = |bytes: u64, what: &str| {
            DevBuf::new(
                &ctx,
                bytes as usize,
                &format!("allocating {what} ({} MiB) failed", bytes >> 20),
            )
        };
        let a = alloc(device_bytes, "buffer A")?;
        let b = alloc(device_bytes, "buffer B")?;
        let slots = alloc(SLOT_BYTES, "result slots")?;
        let wipe_counter = alloc(8, "wipe counter")?;
        let host = Pinned::new(
            &ctx,
            host_bytes as usize,
            &format!(
                "allocating {} MiB of pinned host memory failed",
                host_bytes >> 20
            ),
        )?;
        // The wipe's check kernel comes from the GEMM module (bench.cu has
        // none); loaded after the sizing, so the buffers are sized from the
        // same free memory as without it.
        let count_nonzero = ctx
            .load_module(Ptx::from_src(kernels::GEMM_PTX))
            .map_err(de("GEMM module load failed"))?
            .load_function("gpuctl_count_nonzero")
            .map_err(de("kernel gpuctl_count_nonzero lookup failed"))?;
        let seed = super::mix::clock_nanos_or(0x5eed);
        Ok(Bench {
            write: func("gpuctl_bench_write")?,
            check: func("gpuctl_bench_check")?,
            copy: func("gpuctl_bench_copy")?,
            empty: func("gpuctl_bench_empty")?,
            count_nonzero,
            a,
            b,
            host,
            slots,
            wipe_counter,
            device_bytes,
            grid: sm_count * per_sm,
            stream,
            ctx,
            seed,
            inject: std::env::var("GPUCTL_BENCH_INJECT")
                .ok()
                .and_then(|v| serde_json::from_value(serde_json::Value::String(v)).ok()),
            wiped: None,
        })
    }

    fn cfg(&self) -> LaunchConfig {
        LaunchConfig {
            grid_dim: (self.grid, 1, 1),
            block_dim: (BLOCK, 1, 1),
            shared_mem_bytes: 0,
        }
    }

    fn launch_write(&self, dst: u64, bytes: u64, seed: u64) -> Result<(), DeviceError> {
        let nvec = bytes / 16;
        let mut l = self.stream.launch_builder(&self.write);
        l.arg(&dst).arg(&nvec).arg(&seed);
        // SAFETY: gpuctl_bench_write(ulonglong2*, u64 nvec, u64 seed); dst
        // holds nvec 16-byte vectors.
        unsafe { l.launch(self.cfg()) }.map_err(de("write kernel launch failed"))?;
        Ok(())
    }

    /// Reads `bytes` of `src` and counts the words that differ from the
    /// pattern of `seed` into the slot of `rep` (bench_pattern).
    fn launch_check(&self, src: u64, bytes: u64, seed: u64, rep: u32) -> Result<(), DeviceError> {
        let nvec = bytes / 16;
        let out = self.slots.ptr + 16 * slot_of(rep) as u64;
        let mut l = self.stream.launch_builder(&self.check);
        l.arg(&src).arg(&nvec).arg(&seed).arg(&out);
        // SAFETY: gpuctl_bench_check(const ulonglong2*, u64 nvec, u64 seed,
        // u64* out); src holds nvec vectors, out two u64 inside `slots`.
        unsafe { l.launch(self.cfg()) }.map_err(de("check kernel launch failed"))?;
        Ok(())
    }

    fn launch_copy(&self, src: u64, dst: u64, bytes: u64) -> Result<(), DeviceError> {
        let nvec = bytes / 16;
        let blocks = nvec.div_ceil(u64::from(COPY_BLOCK)).min(i32::MAX as u64) as u32;
        let cfg = LaunchConfig {
            grid_dim: (blocks.max(1), 1, 1),
            block_dim: (COPY_BLOCK, 1, 1),
            shared_mem_bytes: 0,
        };
        let mut l = self.stream.launch_builder(&self.copy);
        l.arg(&src).arg(&dst).arg(&nvec);
        // SAFETY: gpuctl_bench_copy(const uint4*, uint4*, u64 nvec); both
        // buffers hold nvec uint4 and do not overlap; any grid is valid.
        unsafe { l.launch(cfg) }.map_err(de("copy kernel launch failed"))?;
        Ok(())
    }

    /// The test hook: after repetition 0 of `what`, one byte in the middle
    /// of `buf` (of `bytes`) is overwritten on the stream.
    fn inject(&self, what: Transfer, rep: u32, buf: u64, bytes: u64) -> Result<(), DeviceError> {
        if self.inject != Some(what) || rep != 0 {
            return Ok(());
        }
        // SAFETY: one byte inside the live buffer of `bytes`.
        unsafe { cu::memset_d8_async(buf + bytes / 2 + 3, 0x5A, 1, self.stream.cu_stream()) }
            .map_err(de("injecting a fault failed"))
    }

    fn zero_slots(&self) -> Result<(), DeviceError> {
        // SAFETY: the whole slots allocation, on the worker's stream.
        unsafe {
            cu::memset_d8_async(
                self.slots.ptr,
                0,
                SLOT_BYTES as usize,
                self.stream.cu_stream(),
            )
        }
        .map_err(de("zeroing result slots failed"))
    }

    /// Waits for the queued work and judges every slot `reps` filled.
    fn judge_slots(&self, reps: u32, bytes: u64, what: &str) -> Result<(), DeviceError> {
        let mut host = vec![0u64; 2 * SLOTS];
        // SAFETY: host holds 2 * SLOTS u64, as does `slots`.
        unsafe { cu::memcpy_dtoh_async(&mut host, self.slots.ptr, self.stream.cu_stream()) }
            .map_err(de("reading result slots failed"))?;
        self.stream
            .synchronize()
            .map_err(de("benchmark kernels failed"))?;
        pattern::judge(&host, reps, bytes / 8, what)
    }

    fn events(&self, n: u32) -> Result<Vec<(CudaEvent, CudaEvent)>, DeviceError> {
        let timing = Some(cudarc::driver::sys::CUevent_flags::CU_EVENT_DEFAULT);
        (0..n)
            .map(|_| {
                Ok((
                    self.ctx
                        .new_event(timing)
                        .map_err(de("event creation failed"))?,
                    self.ctx
                        .new_event(timing)
                        .map_err(de("event creation failed"))?,
                ))
            })
            .collect()
    }

    /// Warm-up, then `reps` timed runs of `op(rep)` on the worker's stream,
    /// each between untimed `pre(rep)` and `post(rep)` (warm-ups pass
    /// `u32::MAX`); seconds per rep.
    fn timed(
        &self,
        reps: u32,
        pre: &dyn Fn(u32) -> Result<(), DeviceError>,
        op: &dyn Fn(u32) -> Result<(), DeviceError>,
        post: &dyn Fn(u32) -> Result<(), DeviceError>,
    ) -> Result<Vec<f64>, DeviceError> {
        self.timed_on(&self.stream, reps, pre, op, post)
    }

    /// [`Self::timed`] with the events recorded on `stream` (where `op`
    /// queues its work).
    fn timed_on(
        &self,
        stream: &CudaStream,
        reps: u32,
        pre: &dyn Fn(u32) -> Result<(), DeviceError>,
        op: &dyn Fn(u32) -> Result<(), DeviceError>,
        post: &dyn Fn(u32) -> Result<(), DeviceError>,
    ) -> Result<Vec<f64>, DeviceError> {
        for _ in 0..WARMUP {
            pre(u32::MAX)?;
            op(u32::MAX)?;
            post(u32::MAX)?;
        }
        let events = self.events(reps)?;
        for (rep, (start, end)) in events.iter().enumerate() {
            pre(rep as u32)?;
            start.record(stream).map_err(de("event record failed"))?;
            op(rep as u32)?;
            end.record(stream).map_err(de("event record failed"))?;
            post(rep as u32)?;
        }
        stream
            .synchronize()
            .map_err(de("benchmark execution failed"))?;
        events
            .iter()
            .map(|(s, e)| {
                s.elapsed_ms(e)
                    .map(|ms| f64::from(ms) / 1e3)
                    .map_err(de("event timing failed"))
            })
            .collect()
    }

    /// Zeroes buffers A, B and the result slots and checks on the GPU that
    /// they read back as zero; the result is kept so Drop does not repeat
    /// it.
    fn wipe_all(&mut self) -> Result<WipeReport, DeviceError> {
        if let Some(r) = self.wiped {
            return Ok(r);
        }
        let report = wipe_each(
            &self.ctx,
            &self.stream,
            &[&self.a, &self.b, &self.slots],
            &self.count_nonzero,
            self.wipe_counter.ptr,
        )?;
        self.wiped = Some(report);
        Ok(report)
    }
}

impl Bench {
    fn transfer_inner(&mut self, what: Transfer, reps: u32) -> Result<Timed, DeviceError> {
        self.ctx
            .bind_to_thread()
            .map_err(de("binding the context failed"))?;
        let reps = reps.clamp(1, (SLOTS - 1) as u32);
        let bytes = self.device_bytes;
        let host_bytes = self.host.bytes as u64;
        let (a, b) = (self.a.ptr, self.b.ptr);
        // A fresh base per measurement, a fresh seed per repetition.
        self.seed = super::mix::word(self.seed, 1);
        let base = self.seed;
        let seed = |rep: u32| rep_seed(base, rep);
        let none = |_: u32| Ok(());
        self.zero_slots()?;
        let every = |moved: u64, per_rep: u64, seconds: Vec<f64>| Timed {
            seconds,
            bytes_per_rep: per_rep,
            verified_bytes: moved * u64::from(reps),
        };
        match what {
            Transfer::HbmCopy => {
                // Fresh source, timed copy, destination checked.
                let seconds = self.timed(
                    reps,
                    &|r| self.launch_write(a, bytes, seed(r)),
                    &|_| self.launch_copy(a, b, bytes),
                    &|r| {
                        self.inject(what, r, b, bytes)?;
                        self.launch_check(b, bytes, seed(r), r)
                    },
                )?;
                self.judge_slots(reps, bytes, "device copy")?;
                Ok(every(bytes, 2 * bytes, seconds))
            }
            Transfer::HbmWrite => {
                let seconds = self.timed(
                    reps,
                    &none,
                    &|r| self.launch_write(a, bytes, seed(r)),
                    &|r| {
                        self.inject(what, r, a, bytes)?;
                        self.launch_check(a, bytes, seed(r), r)
                    },
                )?;
                self.judge_slots(reps, bytes, "device write")?;
                Ok(every(bytes, bytes, seconds))
            }
            Transfer::HbmRead => {
                // The timed read is the check itself.
                let seconds = self.timed(
                    reps,
                    &|r| {
                        self.launch_write(a, bytes, seed(r))?;
                        self.inject(what, r, a, bytes)
                    },
                    &|r| self.launch_check(a, bytes, seed(r), r),
                    &none,
                )?;
                self.judge_slots(reps, bytes, "device read")?;
                Ok(every(bytes, bytes, seconds))
            }
            Transfer::DeviceToHost => {
                // One seed for the measurement; the pinned buffer is zeroed
                // first, and the last repetition's copy is checked word by
                // word on the host (a host pass per repetition would cost
                // more than the copies).
                let s = seed(0);
                self.launch_write(a, host_bytes, s)?;
                self.stream
                    .synchronize()
                    .map_err(de("benchmark kernels failed"))?;
                // SAFETY: the pinned buffer holds host_bytes; the stream is
                // idle, so no copy into it is in flight.
                unsafe { std::ptr::write_bytes(self.host.ptr as *mut u8, 0, host_bytes as usize) };
                let (host_ptr, stream) = (self.host.ptr, self.stream.cu_stream());
                let seconds = self.timed(
                    reps,
                    &none,
                    &|_| {
                        // SAFETY: the pinned buffer holds host_bytes; nothing
                        // reads it until the stream is synchronized.
                        let dst = unsafe {
                            std::slice::from_raw_parts_mut(host_ptr as *mut u8, host_bytes as usize)
                        };
                        // SAFETY: copies host_bytes from the live buffer A.
                        unsafe { cu::memcpy_dtoh_async(dst, a, stream) }
                            .map_err(de("device-to-host copy failed"))
                    },
                    &none,
                )?;
                if self.inject == Some(what) {
                    // SAFETY: one byte inside the pinned buffer; the stream
                    // is idle (timed() synchronized it).
                    unsafe { *(self.host.ptr as *mut u8).add(host_bytes as usize / 2 + 3) ^= 0x5A }
                }
                let (bad, last) = pattern::check(self.host.words(), 0, s);
                if bad > 0 {
                    return Err(DeviceError::WrongResult {
                        step: "device-to-host copy".into(),
                        reason: format!(
                            "{bad} of {} words arrived wrong (last at byte {})",
                            host_bytes / 8,
                            (last - 1) * 8
                        ),
                    });
                }
                Ok(Timed {
                    seconds,
                    bytes_per_rep: host_bytes,
                    verified_bytes: host_bytes,
                })
            }
            Transfer::HostToDevice => {
                // The pinned buffer holds one seed's pattern (written on
                // the GPU, copied back); B is zeroed before every timed copy
                // and checked after it, so a dropped copy reads as zeros.
                let s = seed(0);
                self.launch_write(a, host_bytes, s)?;
                let host_ptr = self.host.ptr;
                let stream = self.stream.cu_stream();
                {
                    // SAFETY: as in DeviceToHost.
                    let dst = unsafe {
                        std::slice::from_raw_parts_mut(host_ptr as *mut u8, host_bytes as usize)
                    };
                    // SAFETY: copies host_bytes from the live buffer A.
                    unsafe { cu::memcpy_dtoh_async(dst, a, stream) }
                        .map_err(de("preparing the host buffer failed"))?;
                }
                let seconds = self.timed(
                    reps,
                    &|_| {
                        // SAFETY: zeroes host_bytes of the live buffer B.
                        unsafe { cu::memset_d8_async(b, 0, host_bytes as usize, stream) }
                            .map_err(de("zeroing the destination failed"))
                    },
                    &|_| {
                        // SAFETY: the pinned buffer holds host_bytes and is
                        // not written while copies are queued.
                        let src = unsafe {
                            std::slice::from_raw_parts(host_ptr as *const u8, host_bytes as usize)
                        };
                        // SAFETY: writes host_bytes into the live buffer B.
                        unsafe { cu::memcpy_htod_async(b, src, stream) }
                            .map_err(de("host-to-device copy failed"))
                    },
                    &|r| {
                        self.inject(what, r, b, host_bytes)?;
                        self.launch_check(b, host_bytes, s, r)
                    },
                )?;
                self.judge_slots(reps, host_bytes, "host-to-device copy")?;
                Ok(every(host_bytes, host_bytes, seconds))
            }
        }
    }

    fn launch_latency_inner(&mut self, reps: u32, launches: u32) -> Result<Vec<f64>, DeviceError> {
        self.ctx
            .bind_to_thread()
            .map_err(de("binding the context failed"))?;
        let launches = launches.max(1);
        let one = LaunchConfig {
            grid_dim: (1, 1, 1),
            block_dim: (1, 1, 1),
            shared_mem_bytes: 0,
        };
        // The empty kernels are captured once into a CUDA graph and the
        // graph is replayed: each rep then times the GPU taking `launches`
        // kernels back to back, launch to completion, with the host's
        // per-launch cost (3.2-5.2 us on the same H100 from one run to the
        // next, with the CPU's load and clock) out of the figure. Measured
        // this way the figure held at 0.964-0.969 us across processes.
        let stream = self
            .ctx
            .new_stream()
            .map_err(de("creating the launch stream failed"))?;
        stream
            .begin_capture(
                cudarc::driver::sys::CUstreamCaptureMode::CU_STREAM_CAPTURE_MODE_THREAD_LOCAL,
            )
            .map_err(de("starting the graph capture failed"))?;
        let mut queued = Ok(());
        for _ in 0..launches {
            // SAFETY: gpuctl_bench_empty() takes no arguments.
            queued = unsafe { stream.launch_builder(&self.empty).launch(one) }.map(|_| ());
            if queued.is_err() {
                break;
            }
        }
        // The capture is ended even when a launch failed, or the stream
        // stays in capture mode.
        let graph = stream.end_capture(cudarc::driver::sys::CUgraphInstantiate_flags(0));
        queued.map_err(de("empty kernel launch failed"))?;
        let graph = graph
            .map_err(de("building the launch graph failed"))?
            .ok_or_else(|| {
                DeviceError::Invalid(
                    "building the launch graph failed: the capture was empty".into(),
                )
            })?;
        graph
            .upload()
            .map_err(de("uploading the launch graph failed"))?;
        let none = |_: u32| Ok(());
        let seconds = self.timed_on(
            &stream,
            reps.clamp(1, 1000),
            &none,
            &|_| graph.launch().map_err(de("launching the graph failed")),
            &none,
        )?;
        Ok(seconds.iter().map(|s| s / f64::from(launches)).collect())
    }
}

impl BenchWorker for Bench {
    fn detail(&self) -> String {
        format!(
            "device buffers 2 x {} MiB, pinned host buffer {} MiB, read/write grid {} x \
             {BLOCK}, copy a block of {COPY_BLOCK} per 16 KiB",
            self.device_bytes >> 20,
            self.host.bytes >> 20,
            self.grid,
        )
    }

    fn transfer(&mut self, what: Transfer, reps: u32) -> Result<Timed, DeviceError> {
        guarded_dev(|| self.transfer_inner(what, reps))
    }

    fn launch_latency(&mut self, reps: u32, launches: u32) -> Result<Vec<f64>, DeviceError> {
        guarded_dev(|| self.launch_latency_inner(reps, launches))
    }

    fn finish(&mut self) -> Result<WipeReport, DeviceError> {
        guarded_dev(|| self.wipe_all())
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        // Let queued work finish before the buffers go, and wipe them
        // (verified) if `finish` did not: also after an error.
        let _ = self.ctx.bind_to_thread();
        let _ = self.stream.synchronize();
        let _ = guarded_dev(|| self.wipe_all());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wipe_kernel_is_in_the_gemm_ptx() {
        assert!(kernels::GEMM_PTX.contains(".entry gpuctl_count_nonzero("));
    }

    #[test]
    fn bench_ptx_has_the_entry_points() {
        for name in [
            "gpuctl_bench_write",
            "gpuctl_bench_check",
            "gpuctl_bench_copy",
            "gpuctl_bench_empty",
        ] {
            assert!(
                kernels::BENCH_PTX.contains(&format!(".entry {name}(")),
                "{name}"
            );
        }
    }
}
