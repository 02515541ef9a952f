//! `bench`'s bandwidth and launch measurements over [`Context`]: HBM copy,
//! read and write kernels from `kernels/bench.cu`, pinned host transfers
//! through the copy engines, and empty kernels replayed from a graph, all
//! timed with events after a warm-up; and the host's launch overhead, one
//! empty kernel launched and waited for at a time on the host's clock. Every buffer holds a per-word
//! pattern with a fresh seed per repetition ([`pattern`]), checked word by
//! word on the GPU after every repetition (d2h: the last one, on the
//! host); a mismatch is [`DeviceError::WrongResult`]. The device buffers
//! are zeroed and verified by `finish` (or on drop) before they are freed.
//!
//! On the simulated GPU the same calls run the kernels' references on host
//! memory, and the events read a clock advanced by the bytes each launch
//! and copy moved: the figures come from this code's own byte counts.

use super::wipe::{wipe_each, Buf};
use crate::device::bench::{BenchConfig, BenchWorker, Timed, Transfer};
use crate::device::bench_pattern::{self as pattern, rep_seed, slot_of, SLOTS, SLOT_BYTES};
use crate::device::burn::WipeReport;
use crate::device::compute::{download_u64, Arg, Context, DevPtr, Dim, Event, Stream};
use crate::device::{mix, CudaApi, DeviceError, QueryError};

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
/// Share of free memory the two device buffers may take (on a real GPU
/// the default 1 GiB each is far below it).
const MEMORY_SHARE: f64 = 0.5;
/// The stream every measurement but the launch one runs on.
const STREAM: Stream = Stream::DEFAULT;

/// Sets up a benchmark worker on the GPU `ctx` opens: buffers sized from
/// its free memory, a pinned host buffer. Errors keep their
/// [`DeviceError`], so out of memory can name who holds it.
pub fn start(
    ctx: Box<dyn Context>,
    config: &BenchConfig,
) -> Result<Box<dyn BenchWorker>, DeviceError> {
    Bench::new(ctx, config).map(|b| Box::new(b) as Box<dyn BenchWorker>)
}

/// [`start`] on `cuda`'s GPU `ordinal` (opened here).
pub fn open(
    cuda: &dyn CudaApi,
    ordinal: u32,
    config: &BenchConfig,
) -> Result<Box<dyn BenchWorker>, QueryError> {
    Ok(start(cuda.open(ordinal)?, config)?)
}

struct Bench {
    a: DevPtr,
    b: DevPtr,
    /// Pinned host memory (freed with the context; host memory, not wiped).
    host: DevPtr,
    host_bytes: u64,
    /// A (bad words, last bad word) pair per repetition (bench_pattern).
    slots: DevPtr,
    /// The wipe's nonzero-word counter.
    wipe_counter: DevPtr,
    device_bytes: u64,
    grid: u32,
    seed: u64,
    /// Testing only (`GPUCTL_BENCH_INJECT=hbm_copy|hbm_read|hbm_write|
    /// host_to_device|device_to_host`): one byte of that transfer's checked
    /// buffer is changed after its first repetition, to prove on a GPU that
    /// the check catches it.
    inject: Option<Transfer>,
    /// Set once the buffers were wiped, so Drop does not repeat it.
    wiped: Option<WipeReport>,
    /// Last: dropped after the wipe in `Drop`, freeing what is left.
    ctx: Box<dyn Context>,
}

/// A device allocation, or out of memory naming `what` and the free memory.
fn alloc(ctx: &dyn Context, bytes: u64, what: &str) -> Result<DevPtr, DeviceError> {
    match ctx.alloc(bytes)? {
        Some(p) => Ok(p),
        None => Err(DeviceError::OutOfMemory {
            step: format!("allocating {what} ({} MiB) failed", bytes >> 20),
            requested_bytes: bytes,
            free_bytes: ctx.mem_info().map(|(f, _)| f).unwrap_or(0),
        }),
    }
}

impl Bench {
    fn new(ctx: Box<dyn Context>, config: &BenchConfig) -> Result<Self, DeviceError> {
        let per_sm = std::env::var("GPUCTL_BENCH_BLOCKS_PER_SM")
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|&v| (1..=4096).contains(&v))
            .unwrap_or(BLOCKS_PER_SM);
        let (free, _) = ctx.mem_info()?;
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
                free_bytes: free,
            });
        }
        // Contents are written by a kernel or a memset before they are read.
        let a = alloc(&*ctx, device_bytes, "buffer A")?;
        let b = alloc(&*ctx, device_bytes, "buffer B")?;
        let slots = alloc(&*ctx, SLOT_BYTES, "result slots")?;
        let wipe_counter = alloc(&*ctx, 8, "wipe counter")?;
        let host = ctx
            .alloc_host(host_bytes)?
            .ok_or_else(|| DeviceError::OutOfMemory {
                step: format!(
                    "allocating {} MiB of pinned host memory failed",
                    host_bytes >> 20
                ),
                requested_bytes: host_bytes,
                free_bytes: 0,
            })?;
        let grid = ctx.props().sm_count.max(1) * per_sm;
        Ok(Bench {
            a,
            b,
            host,
            host_bytes,
            slots,
            wipe_counter,
            device_bytes,
            grid,
            seed: mix::clock_nanos_or(0x5eed),
            inject: std::env::var("GPUCTL_BENCH_INJECT")
                .ok()
                .and_then(|v| serde_json::from_value(serde_json::Value::String(v)).ok()),
            wiped: None,
            ctx,
        })
    }

    fn hbm_dim(&self) -> Dim {
        Dim::new(self.grid, BLOCK)
    }

    fn launch_write(&self, dst: DevPtr, bytes: u64, seed: u64) -> Result<(), DeviceError> {
        self.ctx.launch(
            STREAM,
            "gpuctl_bench_write",
            self.hbm_dim(),
            &[Arg::U64(dst), Arg::U64(bytes / 16), Arg::U64(seed)],
        )
    }

    /// Reads `bytes` of `src` and counts the words that differ from the
    /// pattern of `seed` into the slot of `rep` (bench_pattern).
    fn launch_check(
        &self,
        src: DevPtr,
        bytes: u64,
        seed: u64,
        rep: u32,
    ) -> Result<(), DeviceError> {
        let out = self.slots + 16 * slot_of(rep) as u64;
        self.ctx.launch(
            STREAM,
            "gpuctl_bench_check",
            self.hbm_dim(),
            &[
                Arg::U64(src),
                Arg::U64(bytes / 16),
                Arg::U64(seed),
                Arg::U64(out),
            ],
        )
    }

    fn launch_copy(&self, src: DevPtr, dst: DevPtr, bytes: u64) -> Result<(), DeviceError> {
        let nvec = bytes / 16;
        let blocks = nvec.div_ceil(u64::from(COPY_BLOCK)).min(i32::MAX as u64) as u32;
        self.ctx.launch(
            STREAM,
            "gpuctl_bench_copy",
            Dim::new(blocks.max(1), COPY_BLOCK),
            &[Arg::U64(src), Arg::U64(dst), Arg::U64(nvec)],
        )
    }

    /// The test hook: after repetition 0 of `what`, one byte in the middle
    /// of `buf` (of `bytes`) is overwritten on the stream.
    fn inject(&self, what: Transfer, rep: u32, buf: DevPtr, bytes: u64) -> Result<(), DeviceError> {
        if self.inject != Some(what) || rep != 0 {
            return Ok(());
        }
        self.ctx.memset(STREAM, buf + bytes / 2 + 3, 0x5A, 1)
    }

    /// Waits for the queued work and judges every slot `reps` filled.
    fn judge_slots(&self, reps: u32, bytes: u64, what: &str) -> Result<(), DeviceError> {
        self.ctx.sync(STREAM)?;
        let host = download_u64(&*self.ctx, self.slots, 2 * SLOTS)?;
        pattern::judge(&host, reps, bytes / 8, what)
    }

    /// Warm-up, then `reps` timed runs of `op(rep)` on `stream`, each
    /// between untimed `pre(rep)` and `post(rep)` (warm-ups pass
    /// `u32::MAX`); seconds per rep from the events around `op`.
    fn timed(
        &self,
        stream: Stream,
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
        let mut events: Vec<(Event, Event)> = Vec::with_capacity(reps as usize);
        let queued = (0..reps).try_for_each(|rep| {
            pre(rep)?;
            let start = self.ctx.record(stream)?;
            op(rep)?;
            events.push((start, self.ctx.record(stream)?));
            post(rep)
        });
        let seconds = queued.and_then(|()| {
            self.ctx.sync(stream)?;
            events
                .iter()
                .map(|&(s, e)| Ok(f64::from(self.ctx.elapsed_ms(s, e)?) / 1e3))
                .collect()
        });
        let all: Vec<Event> = events.iter().flat_map(|&(s, e)| [s, e]).collect();
        let _ = self.ctx.release(&all);
        seconds
    }

    /// Zeroes buffers A, B and the result slots and checks on the GPU that
    /// they read back as zero; the result is kept so Drop does not repeat
    /// it.
    fn wipe_all(&mut self) -> Result<WipeReport, DeviceError> {
        if let Some(r) = self.wiped {
            return Ok(r);
        }
        let report = wipe_each(
            &*self.ctx,
            STREAM,
            &[
                Buf {
                    ptr: self.a,
                    bytes: self.device_bytes,
                },
                Buf {
                    ptr: self.b,
                    bytes: self.device_bytes,
                },
                Buf {
                    ptr: self.slots,
                    bytes: SLOT_BYTES,
                },
            ],
            self.wipe_counter,
        )?;
        self.wiped = Some(report);
        Ok(report)
    }

    fn device_to_host(&self, seed: u64, reps: u32) -> Result<Timed, DeviceError> {
        // One seed for the measurement; the pinned buffer is zeroed first,
        // and the last repetition's copy is checked word by word on the
        // host (a host pass per repetition would cost more than the copies).
        let (a, host, bytes) = (self.a, self.host, self.host_bytes);
        self.launch_write(a, bytes, seed)?;
        self.ctx.sync(STREAM)?;
        let mut words = vec![0u64; (bytes / 8) as usize];
        self.ctx.write_host(host, as_bytes(&mut words))?;
        let none = |_: u32| Ok(());
        let seconds = self.timed(
            STREAM,
            reps,
            &none,
            &|_| self.ctx.copy(STREAM, host, a, bytes),
            &none,
        )?;
        self.ctx.read_host(host, as_bytes(&mut words))?;
        if self.inject == Some(Transfer::DeviceToHost) {
            let at = words.len() / 2;
            words[at] ^= 0x5A << 24;
        }
        let (bad, last) = pattern::check(&words, 0, seed);
        if bad > 0 {
            return Err(DeviceError::WrongResult {
                step: "device-to-host copy".into(),
                reason: format!(
                    "{bad} of {} words arrived wrong (last at byte {})",
                    bytes / 8,
                    (last - 1) * 8
                ),
            });
        }
        Ok(Timed {
            seconds,
            bytes_per_rep: bytes,
            verified_bytes: bytes,
        })
    }

    fn transfer_inner(&mut self, what: Transfer, reps: u32) -> Result<Timed, DeviceError> {
        let reps = reps.clamp(1, (SLOTS - 1) as u32);
        let bytes = self.device_bytes;
        let host_bytes = self.host_bytes;
        let (a, b) = (self.a, self.b);
        // A fresh base per measurement, a fresh seed per repetition.
        self.seed = mix::word(self.seed, 1);
        let base = self.seed;
        let seed = |rep: u32| rep_seed(base, rep);
        let none = |_: u32| Ok(());
        self.ctx.memset(STREAM, self.slots, 0, SLOT_BYTES)?;
        let every = |moved: u64, per_rep: u64, seconds: Vec<f64>| Timed {
            seconds,
            bytes_per_rep: per_rep,
            verified_bytes: moved * u64::from(reps),
        };
        match what {
            Transfer::HbmCopy => {
                // Fresh source, timed copy, destination checked.
                let seconds = self.timed(
                    STREAM,
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
                    STREAM,
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
                    STREAM,
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
            Transfer::DeviceToHost => self.device_to_host(seed(0), reps),
            Transfer::HostToDevice => {
                // The pinned buffer holds one seed's pattern (written on
                // the GPU, copied back); B is zeroed before every timed copy
                // and checked after it, so a dropped copy reads as zeros.
                let s = seed(0);
                let host = self.host;
                self.launch_write(a, host_bytes, s)?;
                self.ctx.copy(STREAM, host, a, host_bytes)?;
                let seconds = self.timed(
                    STREAM,
                    reps,
                    &|_| self.ctx.memset(STREAM, b, 0, host_bytes),
                    &|_| self.ctx.copy(STREAM, b, host, host_bytes),
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

    fn kernel_spacing_inner(&mut self, reps: u32, launches: u32) -> Result<Vec<f64>, DeviceError> {
        let launches = launches.max(1);
        // The empty kernels are captured once into a graph and the graph is
        // replayed: each rep then times the GPU taking `launches` kernels
        // back to back, launch to completion, with the host's per-launch
        // cost (3.2-5.2 us on the same H100 from one run to the next, with
        // the CPU's load and clock) out of the figure. Measured this way
        // the figure held at 0.964-0.969 us across processes.
        let stream = self.ctx.stream()?;
        self.ctx.begin_capture(stream)?;
        let queued = (0..launches).try_for_each(|_| {
            self.ctx
                .launch(stream, "gpuctl_bench_empty", Dim::new(1, 1), &[])
        });
        // The capture is ended even when a launch failed, or the stream
        // stays in capture mode.
        let graph = self.ctx.end_capture(stream);
        queued?;
        let graph = graph?;
        let none = |_: u32| Ok(());
        let seconds = self.timed(
            stream,
            reps.clamp(1, 1000),
            &none,
            &|_| self.ctx.replay(stream, graph),
            &none,
        )?;
        Ok(seconds.iter().map(|s| s / f64::from(launches)).collect())
    }

    /// One empty kernel launched, then its stream synchronised, one at a
    /// time: the host's wall clock from before `cuLaunchKernel` to the
    /// return of `cuStreamSynchronize`, what a program waiting for each
    /// small kernel pays. The median of each repetition's launches (a
    /// descheduled thread makes single launches slow, not the median).
    fn launch_overhead_inner(&mut self, reps: u32, launches: u32) -> Result<Vec<f64>, DeviceError> {
        let launches = launches.max(1);
        // A stream of its own, as the reference (benches/floor/launch.cu)
        // launches on.
        let stream = self.ctx.stream()?;
        let once = || -> Result<f64, DeviceError> {
            let start = std::time::Instant::now();
            self.ctx
                .launch(stream, "gpuctl_bench_empty", Dim::new(1, 1), &[])?;
            self.ctx.sync(stream)?;
            Ok(start.elapsed().as_secs_f64())
        };
        for _ in 0..WARMUP {
            once()?;
        }
        (0..reps.clamp(1, 1000))
            .map(|_| {
                let each = (0..launches)
                    .map(|_| once())
                    .collect::<Result<Vec<f64>, DeviceError>>()?;
                crate::model::stats::median(&each).ok_or_else(|| {
                    DeviceError::Invalid("launch overhead: no launch was timed".into())
                })
            })
            .collect()
    }
}

/// The bytes of `words` (to copy a pinned buffer in or out in one call).
fn as_bytes(words: &mut [u64]) -> &mut [u8] {
    let len = std::mem::size_of_val(words);
    // SAFETY: u8 has no alignment or validity requirement; the slice covers
    // exactly the words' memory and borrows it mutably for its lifetime.
    unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), len) }
}

impl BenchWorker for Bench {
    fn detail(&self) -> String {
        format!(
            "device buffers 2 x {} MiB, pinned host buffer {} MiB, read/write grid {} x \
             {BLOCK}, copy a block of {COPY_BLOCK} per 16 KiB",
            self.device_bytes >> 20,
            self.host_bytes >> 20,
            self.grid,
        )
    }

    fn transfer(&mut self, what: Transfer, reps: u32) -> Result<Timed, DeviceError> {
        self.transfer_inner(what, reps)
    }

    fn kernel_spacing(&mut self, reps: u32, launches: u32) -> Result<Vec<f64>, DeviceError> {
        self.kernel_spacing_inner(reps, launches)
    }

    fn launch_overhead(&mut self, reps: u32, launches: u32) -> Result<Vec<f64>, DeviceError> {
        self.launch_overhead_inner(reps, launches)
    }

    fn finish(&mut self) -> Result<WipeReport, DeviceError> {
        self.wipe_all()
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        // Wipe the buffers (verified) if `finish` did not: also after an
        // error. The context then frees them.
        let _ = self.wipe_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::compute::sim::{SimCompute, SimContext, World};
    use crate::device::compute::Props;
    use std::sync::{Arc, Mutex};

    const MIB: u64 = 1 << 20;

    fn gpu(spec: SimCompute) -> Box<dyn Context> {
        let props = Props {
            ordinal: 0,
            name: "sim".into(),
            compute_capability: (9, 0),
            sm_count: 2,
            l2_bytes: 1 << 18,
            total_bytes: spec.memory_bytes,
        };
        let world = Arc::new(Mutex::new(World::new(vec![spec])));
        Box::new(SimContext::open(world, 0, props))
    }

    fn config() -> BenchConfig {
        BenchConfig {
            device_bytes: 1 << 30,
            host_bytes: 256 << 20,
        }
    }

    fn spec() -> SimCompute {
        SimCompute {
            memory_bytes: 6 * MIB,
            hbm_gbps: 2000.0,
            pcie_gbps: 50.0,
            kernel_spacing_us: 0.5,
            ..SimCompute::default()
        }
    }

    #[test]
    fn figures_are_the_workloads_bytes_over_the_simulated_time() {
        let mut w = start(gpu(spec()), &config()).unwrap();
        // Half of 6 MiB over two buffers, whole MiB: 1 MiB each.
        assert!(
            w.detail().starts_with("device buffers 2 x 1 MiB"),
            "{}",
            w.detail()
        );
        let ns = |bytes: f64, gbps: f64| bytes / gbps + 500.0;
        for (what, per_rep, gbps) in [
            (Transfer::HbmCopy, 2 * MIB, 2000.0),
            (Transfer::HbmRead, MIB, 2000.0),
            (Transfer::HbmWrite, MIB, 2000.0),
            (Transfer::HostToDevice, MIB, 50.0),
            (Transfer::DeviceToHost, MIB, 50.0),
        ] {
            let t = w.transfer(what, 4).unwrap();
            assert_eq!(t.bytes_per_rep, per_rep, "{what:?}");
            assert_eq!(t.seconds.len(), 4);
            let want = ns(per_rep as f64, gbps) / 1e9;
            for s in &t.seconds {
                assert!((s / want - 1.0).abs() < 1e-4, "{what:?}: {s} vs {want}");
            }
        }
        // Each empty kernel costs the kernel spacing alone.
        let lat = w.kernel_spacing(3, 50).unwrap();
        assert_eq!(lat.len(), 3);
        for s in lat {
            assert!((s * 1e6 - 0.5).abs() < 1e-4, "{s}");
        }
        // The host's launch and wait, timed on its own clock: a real time,
        // whatever the simulated GPU's spacing.
        let overhead = w.launch_overhead(3, 20).unwrap();
        assert_eq!(overhead.len(), 3);
        assert!(overhead.iter().all(|s| s.is_finite() && *s > 0.0));
        let wipe = w.finish().unwrap();
        assert_eq!((wipe.buffers, wipe.bytes), (3, 2 * MIB + SLOT_BYTES));
        assert!(wipe.verified);
        // Once: a second finish reports the same wipe.
        assert_eq!(w.finish().unwrap(), wipe);
    }

    #[test]
    fn a_stuck_bit_in_a_buffer_fails_the_check_naming_the_byte() {
        // Buffer A is the first allocation, at the arena's start.
        // Bits 3 (stuck at 0) and 4 (stuck at 1) of word 513: a
        // repetition misses it only if its pattern has both already, one in
        // four; 23 launches all miss it about once in 10^14.
        let faulty = SimCompute {
            memory_faults: serde_json::from_value(serde_json::json!([
                {"offset": 4104, "bit": 3, "kind": "stuck0"},
                {"offset": 4104, "bit": 4, "kind": "stuck1"}
            ]))
            .unwrap(),
            ..spec()
        };
        let mut w = start(gpu(faulty), &config()).unwrap();
        let e = w.transfer(Transfer::HbmWrite, 20).unwrap_err();
        assert!(matches!(e, DeviceError::WrongResult { .. }), "{e:?}");
        let text = e.to_string();
        assert!(text.starts_with("device write: "), "{text}");
        // The last (only) wrong word is the faulty one, at its offset.
        assert!(text.contains("(last at byte 4104)"), "{text}");
    }

    #[test]
    fn a_dropped_copy_is_caught_by_the_check() {
        // Copies: H2D prepares the pinned buffer with copy 1, then the
        // warm-ups are 2-4 and the first timed repetition copy 5.
        let dropping = SimCompute {
            drop_copy_at: Some(5),
            ..spec()
        };
        let mut w = start(gpu(dropping), &config()).unwrap();
        let e = w.transfer(Transfer::HostToDevice, 3).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with(
                "host-to-device copy: 131072 of 131072 words read back wrong after repetition 1"
            ),
            "{text}"
        );
        // The buffers are still wiped after the failure.
        assert!(w.finish().unwrap().verified);
    }

    #[test]
    fn too_little_memory_is_out_of_memory_at_sizing() {
        let small = SimCompute {
            memory_bytes: 3 * MIB,
            ..spec()
        };
        let e = start(gpu(small), &config()).err().unwrap();
        assert!(
            matches!(e, DeviceError::OutOfMemory { ref step, free_bytes, .. }
                if step == "sizing the benchmark buffers" && free_bytes == 3 * MIB),
            "{e:?}"
        );
        let tiny = BenchConfig {
            device_bytes: 1000,
            host_bytes: 1000,
        };
        assert!(matches!(
            start(gpu(spec()), &tiny).err().unwrap(),
            DeviceError::Invalid(_)
        ));
    }
}
