//! The real bandwidth and latency benchmark (`bench`): HBM copy, read and
//! write kernels from `kernels/bench.cu`, pinned host transfers through the
//! copy engines, and empty-kernel launches, all timed with CUDA events after
//! a warm-up, and every byte moved checked afterwards (a mismatch is
//! [`DeviceError::WrongResult`]). The device buffers are [`DevBuf`]s, zeroed
//! and verified by `finish` (or on drop) before they are freed.

use super::bench::{BenchConfig, BenchWorker, Timed, Transfer};
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
use rayon::prelude::*;
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
/// Bytes of each end of a copied buffer compared exactly on the host.
const SPOT_BYTES: usize = 1 << 20;

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
    read: CudaFunction,
    copy: CudaFunction,
    empty: CudaFunction,
    /// `gpuctl_count_nonzero` of the GEMM module, for the verified wipe.
    count_nonzero: CudaFunction,
    a: DevBuf,
    b: DevBuf,
    host: Pinned,
    /// One XOR slot per read repetition.
    slots: DevBuf,
    /// The wipe's nonzero-word counter.
    wipe_counter: DevBuf,
    device_bytes: u64,
    grid: u32,
    stream: Arc<CudaStream>,
    ctx: Arc<CudaContext>,
    seed: u32,
    /// Set once the buffers were wiped, so Drop does not repeat it.
    wiped: Option<WipeReport>,
}

/// XOR of the u32 values 0..n-1 (closed form by n mod 4).
pub fn xor_below(n: u64) -> u32 {
    if n == 0 {
        return 0;
    }
    let m = n - 1;
    (match m % 4 {
        0 => m,
        1 => 1,
        2 => m + 1,
        _ => 0,
    }) as u32
}

/// The u64 at index `k` of a buffer written by `gpuctl_bench_write` with
/// `seed` (little-endian pairs of u32 words `j ^ seed`).
fn pattern_u64(k: u64, seed: u32) -> u64 {
    let lo = ((2 * k) as u32) ^ seed;
    let hi = ((2 * k + 1) as u32) ^ seed;
    u64::from(lo) | (u64::from(hi) << 32)
}

/// The first index of `host` (words `first..` of a buffer written with
/// `seed`) that does not hold the write pattern.
fn first_wrong_word(host: &[u64], first: u64, seed: u32) -> Option<u64> {
    (0..host.len() as u64).find(|&k| host[k as usize] != pattern_u64(first + k, seed))
}

/// Words of `words` (a whole buffer written with `seed`) that do not hold
/// the write pattern, counted in parallel.
fn wrong_words(words: &[u64], seed: u32) -> usize {
    words
        .par_iter()
        .enumerate()
        .filter(|(k, w)| **w != pattern_u64(*k as u64, seed))
        .count()
}

/// Whether the read kernel's XOR of `bytes` of pattern is the expected one;
/// `what` names the transfer in the error.
fn check_xor(got: u32, bytes: u64, what: &str) -> Result<(), DeviceError> {
    let want = xor_below(bytes / 4);
    if got == want {
        Ok(())
    } else {
        Err(DeviceError::WrongResult {
            step: what.to_string(),
            reason: format!(
                "the data read back differs from what was written (XOR {got:08x}, \
                 expected {want:08x}): the GPU corrupted data it moved"
            ),
        })
    }
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
        let slots = alloc(4 * 1024, "result slots")?;
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
        let seed = super::mix::clock_nanos_or(0x5eed) as u32;
        Ok(Bench {
            write: func("gpuctl_bench_write")?,
            read: func("gpuctl_bench_read")?,
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

    fn launch_write(&self, dst: u64, bytes: u64, seed: u32) -> Result<(), DeviceError> {
        let nvec = bytes / 16;
        let mut l = self.stream.launch_builder(&self.write);
        l.arg(&dst).arg(&nvec).arg(&seed);
        // SAFETY: gpuctl_bench_write(uint4*, u64 nvec, u32); dst holds nvec uint4.
        unsafe { l.launch(self.cfg()) }.map_err(de("write kernel launch failed"))?;
        Ok(())
    }

    fn launch_read(&self, src: u64, bytes: u64, slot: u64) -> Result<(), DeviceError> {
        let nvec = bytes / 16;
        let out = self.slots.ptr + 4 * slot;
        let mut l = self.stream.launch_builder(&self.read);
        l.arg(&src).arg(&nvec).arg(&out);
        // SAFETY: gpuctl_bench_read(const uint4*, u64 nvec, u32* out); src
        // holds nvec uint4, out is one u32 inside `slots`; block 256.
        unsafe { l.launch(self.cfg()) }.map_err(de("read kernel launch failed"))?;
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

    /// XOR of `bytes` of `src` through the read kernel, synchronously.
    fn read_xor(&self, src: u64, bytes: u64) -> Result<u32, DeviceError> {
        self.zero_slots()?;
        self.launch_read(src, bytes, 0)?;
        Ok(self.slot_values(1)?[0])
    }

    fn zero_slots(&self) -> Result<(), DeviceError> {
        // SAFETY: the whole slots allocation (4 KiB), on the worker's stream.
        unsafe { cu::memset_d8_async(self.slots.ptr, 0, 4096, self.stream.cu_stream()) }
            .map_err(de("zeroing result slots failed"))
    }

    fn slot_values(&self, n: usize) -> Result<Vec<u32>, DeviceError> {
        let mut host = vec![0u32; n];
        // SAFETY: host holds n u32, slots holds 1024.
        unsafe { cu::memcpy_dtoh_async(&mut host, self.slots.ptr, self.stream.cu_stream()) }
            .map_err(de("reading result slots failed"))?;
        self.stream
            .synchronize()
            .map_err(de("benchmark kernels failed"))?;
        Ok(host)
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

    /// Warm-up, then `reps` timed runs of `op(rep)` on the worker's stream;
    /// seconds per rep.
    fn timed(
        &self,
        reps: u32,
        op: &dyn Fn(u32) -> Result<(), DeviceError>,
    ) -> Result<Vec<f64>, DeviceError> {
        self.timed_on(&self.stream, reps, op)
    }

    /// [`Self::timed`] with the events recorded on `stream` (where `op`
    /// queues its work).
    fn timed_on(
        &self,
        stream: &CudaStream,
        reps: u32,
        op: &dyn Fn(u32) -> Result<(), DeviceError>,
    ) -> Result<Vec<f64>, DeviceError> {
        for _ in 0..WARMUP {
            op(u32::MAX)?;
        }
        let events = self.events(reps)?;
        for (rep, (start, end)) in events.iter().enumerate() {
            start.record(stream).map_err(de("event record failed"))?;
            op(rep as u32)?;
            end.record(stream).map_err(de("event record failed"))?;
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

    /// The first and last [`SPOT_BYTES`] of `buf` match the write pattern;
    /// `what` names the transfer in the error.
    fn spot_check(&self, buf: u64, bytes: u64, seed: u32, what: &str) -> Result<u64, DeviceError> {
        let n = (SPOT_BYTES as u64).min(bytes / 2) / 8;
        let mut checked = 0;
        for first in [0, bytes / 8 - n] {
            let mut host = vec![0u64; n as usize];
            // SAFETY: reads n u64 inside the live buffer of `bytes`.
            unsafe { cu::memcpy_dtoh_sync(&mut host, buf + first * 8) }
                .map_err(de("reading back the copy failed"))?;
            if let Some(k) = first_wrong_word(&host, first, seed) {
                return Err(DeviceError::WrongResult {
                    step: what.to_string(),
                    reason: format!(
                        "the copy is wrong at byte {}: the GPU corrupted data it moved",
                        (first + k) * 8
                    ),
                });
            }
            checked += n * 8;
        }
        Ok(checked)
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
        let reps = reps.clamp(1, 1000);
        let bytes = self.device_bytes;
        let host_bytes = self.host.bytes as u64;
        let (a, b) = (self.a.ptr, self.b.ptr);
        self.seed = self.seed.wrapping_add(0x9E37_79B9);
        let seed = self.seed;
        match what {
            Transfer::HbmCopy => {
                self.launch_write(a, bytes, seed)?;
                let seconds = self.timed(reps, &|_| self.launch_copy(a, b, bytes))?;
                let xor = self.read_xor(b, bytes)?;
                check_xor(xor, bytes, "device copy")?;
                let spot = self.spot_check(b, bytes, seed, "device copy")?;
                Ok(Timed {
                    seconds,
                    bytes_per_rep: 2 * bytes,
                    verified_bytes: bytes + spot,
                })
            }
            Transfer::HbmWrite => {
                let seconds = self.timed(reps, &|_| self.launch_write(a, bytes, seed))?;
                let xor = self.read_xor(a, bytes)?;
                check_xor(xor, bytes, "device write")?;
                let spot = self.spot_check(a, bytes, seed, "device write")?;
                Ok(Timed {
                    seconds,
                    bytes_per_rep: bytes,
                    verified_bytes: bytes + spot,
                })
            }
            Transfer::HbmRead => {
                let reps = reps.min(1000);
                self.launch_write(a, bytes, seed)?;
                self.zero_slots()?;
                // Warm-up reps XOR into slot 1023, which is never checked.
                let seconds = self.timed(reps, &|rep| {
                    self.launch_read(a, bytes, u64::from(rep.min(1023)))
                })?;
                let values = self.slot_values(reps as usize)?;
                for v in values {
                    check_xor(v, bytes, "device read")?;
                }
                Ok(Timed {
                    seconds,
                    bytes_per_rep: bytes,
                    verified_bytes: bytes * u64::from(reps),
                })
            }
            Transfer::DeviceToHost => {
                self.launch_write(a, host_bytes, seed)?;
                let (host_ptr, stream) = (self.host.ptr, self.stream.cu_stream());
                let seconds = self.timed(reps, &|_| {
                    // SAFETY: the pinned buffer holds host_bytes; nothing
                    // reads it until the stream is synchronized.
                    let dst = unsafe {
                        std::slice::from_raw_parts_mut(host_ptr as *mut u8, host_bytes as usize)
                    };
                    // SAFETY: copies host_bytes from the live buffer A.
                    unsafe { cu::memcpy_dtoh_async(dst, a, stream) }
                        .map_err(de("device-to-host copy failed"))
                })?;
                // Every word, on the host, in parallel.
                let bad = wrong_words(self.host.words(), seed);
                if bad > 0 {
                    return Err(DeviceError::WrongResult {
                        step: "device-to-host copy".into(),
                        reason: format!("{bad} of {} words arrived wrong", host_bytes / 8),
                    });
                }
                Ok(Timed {
                    seconds,
                    bytes_per_rep: host_bytes,
                    verified_bytes: host_bytes,
                })
            }
            Transfer::HostToDevice => {
                // The pinned buffer holds the pattern (from a device write
                // copied back): fill it the same way, then send it to B.
                self.launch_write(a, host_bytes, seed)?;
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
                let seconds = self.timed(reps, &|_| {
                    // SAFETY: the pinned buffer holds host_bytes and is not
                    // written while copies are queued.
                    let src = unsafe {
                        std::slice::from_raw_parts(host_ptr as *const u8, host_bytes as usize)
                    };
                    // SAFETY: writes host_bytes into the live buffer B.
                    unsafe { cu::memcpy_htod_async(b, src, stream) }
                        .map_err(de("host-to-device copy failed"))
                })?;
                let xor = self.read_xor(b, host_bytes)?;
                check_xor(xor, host_bytes, "host-to-device copy")?;
                let spot = self.spot_check(b, host_bytes, seed, "host-to-device copy")?;
                Ok(Timed {
                    seconds,
                    bytes_per_rep: host_bytes,
                    verified_bytes: host_bytes + spot,
                })
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
        let seconds = self.timed_on(&stream, reps.clamp(1, 1000), &|_| {
            graph.launch().map_err(de("launching the graph failed"))
        })?;
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
    fn xor_closed_form_matches_a_loop() {
        for n in 0..300u64 {
            let direct = (0..n).fold(0u32, |x, j| x ^ j as u32);
            assert_eq!(xor_below(n), direct, "n = {n}");
        }
    }

    #[test]
    fn pattern_is_words_xor_seed() {
        assert_eq!(pattern_u64(0, 0), 1 << 32);
        assert_eq!(pattern_u64(1, 0xff), (2 ^ 0xff) | ((3u64 ^ 0xff) << 32));
    }

    #[test]
    fn a_wrong_xor_is_a_wrong_result_blamed_on_the_gpu() {
        let bytes = 1 << 20;
        assert!(check_xor(xor_below(bytes / 4), bytes, "device read").is_ok());
        let e = check_xor(xor_below(bytes / 4) ^ 4, bytes, "device read").unwrap_err();
        assert!(matches!(e, DeviceError::WrongResult { .. }), "{e:?}");
        assert_eq!(e.blame(), crate::device::Blame::Gpu);
        assert!(
            e.to_string()
                .starts_with("device read: the data read back differs from what was written"),
            "{e}"
        );
    }

    #[test]
    fn wrong_words_are_found_and_counted() {
        let seed = 0x1234_5678;
        let mut words: Vec<u64> = (0..1000).map(|k| pattern_u64(k, seed)).collect();
        assert_eq!(wrong_words(&words, seed), 0);
        assert_eq!(first_wrong_word(&words[500..], 500, seed), None);
        words[700] ^= 1 << 17;
        words[900] = 0;
        assert_eq!(wrong_words(&words, seed), 2);
        assert_eq!(first_wrong_word(&words[500..], 500, seed), Some(200));
    }

    #[test]
    fn the_wipe_kernel_is_in_the_gemm_ptx() {
        assert!(kernels::GEMM_PTX.contains(".entry gpuctl_count_nonzero("));
    }

    #[test]
    fn bench_ptx_has_the_entry_points() {
        for name in [
            "gpuctl_bench_write",
            "gpuctl_bench_read",
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
