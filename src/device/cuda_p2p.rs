//! Real peer-to-peer work between two GPUs, on the raw driver API.
//!
//! cudarc has no wrapper for peer access, and its stream-ordered buffers
//! record events per buffer that would sit inside the timed loops, so this
//! module uses `cudarc::driver::sys` directly: primary contexts, one
//! created stream per GPU, plain `cuMemAlloc` buffers freed on drop.
//!
//! Every copy is verified on the receiving GPU by a kernel that regenerates
//! the pattern (murmur3 fmix64 of seed and word index, a fresh seed per
//! copy), so a stale, shifted or flipped word is always counted. Every wait
//! on the other GPU is bounded by `%globaltimer` inside the kernel, so a
//! broken link ends as an error, never a hang.

use super::cuerr::{describe, guarded};
use super::p2p::{Integrity, P2pConfig, PairMeasurement, PeerAccess};
use super::QueryError;
use crate::kernels;
use cudarc::driver::sys::{self, CUresult};
use std::ffi::{c_void, CString};

/// Warm-up copies before the timed ones (first-touch, link training).
const WARMUP: u32 = 2;
/// Small operations per latency measurement: few enough that the host
/// queues them all without filling the stream's command buffer.
const LATENCY_OPS: u32 = 500;
/// Long enough for the host to queue [`LATENCY_OPS`] operations behind it.
const SPIN_NS: u64 = 30_000_000;
/// A ping-pong wait longer than this is a broken link, not a slow one.
const PINGPONG_TIMEOUT_NS: u64 = 2_000_000_000;
/// Threads per block for the grid-stride kernels.
const BLOCK: u32 = 256;
/// Scratch layout per GPU (bytes): verify result, ping-pong result, flags.
const SCRATCH_BYTES: usize = 256;
const VERIFY_OUT: u64 = 0;
const PINGPONG_OUT: u64 = 16;
const FLAG: u64 = 64;
const LATENCY_WORD: u64 = 128;

fn ck(r: CUresult, what: &str) -> Result<(), String> {
    match r {
        CUresult::CUDA_SUCCESS => Ok(()),
        e => Err(format!("{what}: {}", describe(e))),
    }
}

/// The primary context of `ordinal`, retained. It is never released: the
/// process ends right after the command, and releasing the last reference
/// would tear the context down (and its peer mappings) between pairs.
fn primary(ordinal: u32) -> Result<(sys::CUdevice, sys::CUcontext), String> {
    let mut dev: sys::CUdevice = 0;
    // SAFETY: writes one CUdevice.
    ck(
        unsafe { sys::cuDeviceGet(&mut dev, ordinal as i32) },
        &format!("cuDeviceGet({ordinal})"),
    )?;
    let mut ctx: sys::CUcontext = std::ptr::null_mut();
    // SAFETY: writes one context handle for a valid device.
    ck(
        unsafe { sys::cuDevicePrimaryCtxRetain(&mut ctx, dev) },
        &format!("GPU {ordinal}: context creation"),
    )?;
    Ok((dev, ctx))
}

fn bind(ctx: sys::CUcontext) -> Result<(), String> {
    // SAFETY: a retained primary context.
    ck(unsafe { sys::cuCtxSetCurrent(ctx) }, "cuCtxSetCurrent")
}

pub fn enable(a: u32, b: u32) -> Result<PeerAccess, QueryError> {
    guarded(|| enable_inner(a, b).map_err(QueryError::Failed))
}

fn enable_inner(a: u32, b: u32) -> Result<PeerAccess, String> {
    let (da, ca) = primary(a)?;
    let (db, cb) = primary(b)?;
    let mut can_access = [false; 2];
    let mut enable_error: [Option<String>; 2] = [None, None];
    for (k, (from_dev, from_ctx, to_dev, to_ctx)) in
        [(da, ca, db, cb), (db, cb, da, ca)].into_iter().enumerate()
    {
        let mut can = 0;
        // SAFETY: writes one int for two valid devices.
        ck(
            unsafe { sys::cuDeviceCanAccessPeer(&mut can, from_dev, to_dev) },
            "cuDeviceCanAccessPeer",
        )?;
        can_access[k] = can != 0;
        if !can_access[k] {
            enable_error[k] =
                Some("cuDeviceCanAccessPeer says the platform does not allow it".into());
            continue;
        }
        bind(from_ctx)?;
        // SAFETY: the current context is `from`'s; `to_ctx` is retained.
        match unsafe { sys::cuCtxEnablePeerAccess(to_ctx, 0) } {
            CUresult::CUDA_SUCCESS | CUresult::CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED => {}
            e => enable_error[k] = Some(format!("cuCtxEnablePeerAccess: {}", describe(e))),
        }
    }
    Ok(PeerAccess {
        can_access,
        enable_error,
    })
}

pub fn measure(a: u32, b: u32, config: &P2pConfig) -> Result<PairMeasurement, QueryError> {
    guarded(|| measure_inner(a, b, config).map_err(QueryError::Failed))
}

/// One GPU's share of a pair: context, stream, kernels and buffers.
struct Side {
    ordinal: u32,
    ctx: sys::CUcontext,
    stream: sys::CUstream,
    module: sys::CUmodule,
    fill: sys::CUfunction,
    verify: sys::CUfunction,
    copy: sys::CUfunction,
    write: sys::CUfunction,
    spin: sys::CUfunction,
    pingpong: sys::CUfunction,
    sms: u32,
    src: u64,
    dst: u64,
    scratch: u64,
    events: Vec<sys::CUevent>,
}

impl Side {
    fn new(ordinal: u32, bytes: u64) -> Result<Self, String> {
        let (dev, ctx) = primary(ordinal)?;
        bind(ctx)?;
        let at = |what: &str| format!("GPU {ordinal}: {what}");
        let mut side = Side {
            ordinal,
            ctx,
            stream: std::ptr::null_mut(),
            module: std::ptr::null_mut(),
            fill: std::ptr::null_mut(),
            verify: std::ptr::null_mut(),
            copy: std::ptr::null_mut(),
            write: std::ptr::null_mut(),
            spin: std::ptr::null_mut(),
            pingpong: std::ptr::null_mut(),
            sms: 0,
            src: 0,
            dst: 0,
            scratch: 0,
            events: Vec::new(),
        };
        let mut sms = 0;
        // SAFETY: writes one int.
        ck(
            unsafe {
                sys::cuDeviceGetAttribute(
                    &mut sms,
                    sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
                    dev,
                )
            },
            &at("SM count"),
        )?;
        side.sms = sms.max(1) as u32;
        // A non-blocking stream: never serialised with the legacy stream.
        // SAFETY: writes one stream handle in the current context.
        ck(
            unsafe {
                sys::cuStreamCreate(
                    &mut side.stream,
                    sys::CUstream_flags::CU_STREAM_NON_BLOCKING as u32,
                )
            },
            &at("stream creation"),
        )?;
        let ptx = CString::new(kernels::P2P_PTX).map_err(|_| at("PTX has a NUL byte"))?;
        // SAFETY: a NUL-terminated PTX image; the driver JIT-compiles it.
        ck(
            unsafe { sys::cuModuleLoadData(&mut side.module, ptx.as_ptr().cast()) },
            &at("p2p module load"),
        )?;
        for (slot, name) in [
            (&mut side.fill, "gpuctl_p2p_fill"),
            (&mut side.verify, "gpuctl_p2p_verify"),
            (&mut side.copy, "gpuctl_p2p_copy"),
            (&mut side.write, "gpuctl_p2p_write"),
            (&mut side.spin, "gpuctl_p2p_spin"),
            (&mut side.pingpong, "gpuctl_p2p_pingpong"),
        ] {
            let cname = CString::new(name).map_err(|_| at("kernel name"))?;
            // SAFETY: a loaded module and a NUL-terminated name.
            ck(
                unsafe { sys::cuModuleGetFunction(slot, side.module, cname.as_ptr()) },
                &at(&format!("kernel {name} lookup")),
            )?;
        }
        for (slot, size) in [
            (&mut side.src, bytes as usize),
            (&mut side.dst, bytes as usize),
            (&mut side.scratch, SCRATCH_BYTES),
        ] {
            // SAFETY: plain allocation in the current context; freed on drop.
            ck(
                unsafe { sys::cuMemAlloc_v2(slot, size) },
                &at(&format!("allocating {size} bytes")),
            )?;
        }
        // SAFETY: zeroes the scratch area just allocated.
        ck(
            unsafe { sys::cuMemsetD32_v2(side.scratch, 0, SCRATCH_BYTES / 4) },
            &at("clearing scratch"),
        )?;
        Ok(side)
    }

    fn bind(&self) -> Result<(), String> {
        bind(self.ctx)
    }

    fn at(&self, what: &str) -> String {
        format!("GPU {}: {what}", self.ordinal)
    }

    fn sync(&self) -> Result<(), String> {
        // SAFETY: a live stream of this side.
        ck(
            unsafe { sys::cuStreamSynchronize(self.stream) },
            &self.at("work on the GPU failed"),
        )
    }

    /// `n` timing events in this side's context (destroyed on drop).
    fn events(&mut self, n: usize) -> Result<Vec<sys::CUevent>, String> {
        self.bind()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let mut e: sys::CUevent = std::ptr::null_mut();
            // SAFETY: writes one event handle in the current context.
            ck(
                unsafe { sys::cuEventCreate(&mut e, 0) },
                &self.at("event creation"),
            )?;
            self.events.push(e);
            out.push(e);
        }
        Ok(out)
    }

    fn record(&self, e: sys::CUevent) -> Result<(), String> {
        self.bind()?;
        // SAFETY: an event of this context and this side's stream.
        ck(
            unsafe { sys::cuEventRecord(e, self.stream) },
            &self.at("cuEventRecord"),
        )
    }

    fn wait(&self, e: sys::CUevent) -> Result<(), String> {
        self.bind()?;
        // SAFETY: waiting on another context's event is allowed.
        ck(
            unsafe { sys::cuStreamWaitEvent(self.stream, e, 0) },
            &self.at("cuStreamWaitEvent"),
        )
    }

    fn launch(
        &self,
        f: sys::CUfunction,
        grid: u32,
        block: u32,
        params: &mut [*mut c_void],
    ) -> Result<(), String> {
        self.bind()?;
        // SAFETY: `params` points at values matching the kernel's ABI
        // (kernels/p2p.cu), alive for the call; the driver copies them.
        ck(
            unsafe {
                sys::cuLaunchKernel(
                    f,
                    grid,
                    1,
                    1,
                    block,
                    1,
                    1,
                    0,
                    self.stream,
                    params.as_mut_ptr(),
                    std::ptr::null_mut(),
                )
            },
            &self.at("kernel launch"),
        )
    }

    fn grid(&self) -> u32 {
        self.sms * 8
    }

    fn fill(&self, buf: u64, words: u64, seed: u64) -> Result<(), String> {
        let (mut buf, mut words, mut seed) = (buf, words, seed);
        self.launch(
            self.fill,
            self.grid(),
            BLOCK,
            &mut [
                (&mut buf as *mut u64).cast(),
                (&mut words as *mut u64).cast(),
                (&mut seed as *mut u64).cast(),
            ],
        )
    }

    /// Checks `words` words at `buf` (in this GPU's memory) against the
    /// pattern of `seed`, on this GPU.
    fn verify(&self, buf: u64, words: u64, seed: u64) -> Result<Integrity, String> {
        self.bind()?;
        let mut out = self.scratch + VERIFY_OUT;
        // SAFETY: 16 bytes inside the scratch area, on this side's stream.
        ck(
            unsafe { sys::cuMemsetD32Async(out, 0, 4, self.stream) },
            &self.at("clearing the verify result"),
        )?;
        let (mut buf, mut n, mut seed) = (buf, words, seed);
        self.launch(
            self.verify,
            self.grid(),
            BLOCK,
            &mut [
                (&mut buf as *mut u64).cast(),
                (&mut n as *mut u64).cast(),
                (&mut seed as *mut u64).cast(),
                (&mut out as *mut u64).cast(),
            ],
        )?;
        let result = self.read_u64x2(VERIFY_OUT)?;
        Ok(Integrity {
            words,
            mismatches: result[0],
        })
    }

    /// Two words of scratch, after this side's stream drains.
    fn read_u64x2(&self, offset: u64) -> Result<[u64; 2], String> {
        self.sync()?;
        self.bind()?;
        let mut host = [0u64; 2];
        // SAFETY: 16 bytes into a 16-byte host array from inside scratch.
        ck(
            unsafe {
                sys::cuMemcpyDtoH_v2(
                    host.as_mut_ptr().cast(),
                    self.scratch + offset,
                    std::mem::size_of_val(&host),
                )
            },
            &self.at("reading a result"),
        )?;
        Ok(host)
    }

    /// Copies `bytes` from this GPU's source to `to`'s destination on this
    /// GPU's stream: by the copy engine, or by the SM copy kernel writing
    /// through the peer pointer.
    fn push(&self, to: &Side, bytes: u64, sm: bool) -> Result<(), String> {
        if sm {
            let (mut src, mut dst, mut n16) = (self.src, to.dst, bytes / 16);
            self.launch(
                self.copy,
                self.grid(),
                BLOCK,
                &mut [
                    (&mut src as *mut u64).cast(),
                    (&mut dst as *mut u64).cast(),
                    (&mut n16 as *mut u64).cast(),
                ],
            )
        } else {
            self.bind()?;
            // SAFETY: both buffers hold `bytes`; contexts retained.
            ck(
                unsafe {
                    sys::cuMemcpyPeerAsync(
                        to.dst,
                        to.ctx,
                        self.src,
                        self.ctx,
                        bytes as usize,
                        self.stream,
                    )
                },
                &self.at("cuMemcpyPeerAsync"),
            )
        }
    }

    /// Holds this stream for [`SPIN_NS`] so operations queued behind it run
    /// back to back, not at the host's pace.
    fn spin(&self) -> Result<(), String> {
        let mut ns = SPIN_NS;
        self.launch(self.spin, 1, 1, &mut [(&mut ns as *mut u64).cast()])
    }
}

impl Drop for Side {
    fn drop(&mut self) {
        if bind(self.ctx).is_err() {
            return;
        }
        // SAFETY: handles created by `new`/`events` in this context, each
        // released once; the stream is drained first so no queued work uses
        // a freed buffer. Errors here cannot be acted on.
        unsafe {
            if !self.stream.is_null() {
                let _ = sys::cuStreamSynchronize(self.stream);
            }
            for &e in &self.events {
                let _ = sys::cuEventDestroy_v2(e);
            }
            for p in [self.src, self.dst, self.scratch] {
                if p != 0 {
                    let _ = sys::cuMemFree_v2(p);
                }
            }
            if !self.stream.is_null() {
                let _ = sys::cuStreamDestroy_v2(self.stream);
            }
            if !self.module.is_null() {
                let _ = sys::cuModuleUnload(self.module);
            }
        }
    }
}

fn elapsed_ms(start: sys::CUevent, end: sys::CUevent) -> Result<f64, String> {
    let mut ms = 0f32;
    // SAFETY: two recorded, completed events of one context.
    ck(
        unsafe { sys::cuEventElapsedTime(&mut ms, start, end) },
        "cuEventElapsedTime",
    )?;
    Ok(f64::from(ms))
}

/// The median of the times that measured something (finite, above zero).
fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite() && *x > 0.0);
    crate::model::stats::median(&v)
}

/// A fresh seed per copy: a buffer left over from an earlier copy never
/// matches (splitmix64 of the clock and a counter).
fn seed(counter: &mut u64) -> u64 {
    use super::mix::{clock_nanos_or, splitmix64_finish, GOLDEN};
    *counter += 1;
    splitmix64_finish(clock_nanos_or(0) ^ counter.wrapping_mul(GOLDEN))
}

fn gbps(bytes: u64, ms: f64) -> f64 {
    bytes as f64 / (ms * 1e-3) / 1e9
}

fn measure_inner(a: u32, b: u32, config: &P2pConfig) -> Result<PairMeasurement, String> {
    let bytes = config.bytes - config.bytes % 16;
    let words = bytes / 8;
    let reps = config.repeats.max(1);
    let peer = enable_inner(a, b)?.enabled();
    let mut sides = [Side::new(a, bytes)?, Side::new(b, bytes)?];
    let mut m = PairMeasurement::default();
    let mut counter = u64::from(a) << 32 | u64::from(b);

    // SM kernels need peer pointers; without peer access only the copy
    // engine runs (the driver stages through host memory).
    let methods: &[bool] = if peer { &[false, true] } else { &[false] };
    for &sm in methods {
        for dir in 0..2 {
            let (from, to) = (&sides[dir], &sides[1 - dir]);
            let s = seed(&mut counter);
            from.fill(from.src, words, s)?;
            from.sync()?;
            to.sync()?;
            let total = (WARMUP + reps) as usize;
            // Events of the sending side: its stream does the timing.
            let evs = sides[dir].events(total + 1)?;
            let (from, to) = (&sides[dir], &sides[1 - dir]);
            from.bind()?;
            from.record(evs[0])?;
            for &e in &evs[1..] {
                from.push(to, bytes, sm)?;
                from.record(e)?;
            }
            from.sync()?;
            let times: Vec<f64> = (WARMUP as usize..total)
                .map(|i| elapsed_ms(evs[i], evs[i + 1]))
                .collect::<Result<_, _>>()?;
            let rate = median(times).map(|ms| gbps(bytes, ms));
            if config.inject_corruption && !sm && dir == 0 {
                to.bind()?;
                // SAFETY: one word inside the destination buffer.
                ck(
                    unsafe { sys::cuMemsetD32_v2(to.dst + (words / 3) * 8, 0x0BAD_F00D, 1) },
                    "injecting corruption",
                )?;
            }
            let check = to.verify(to.dst, words, s)?;
            if sm {
                m.sm_gbps[dir] = rate;
                m.integrity_sm[dir].add(&check);
            } else {
                m.ce_gbps[dir] = rate;
                m.integrity_ce[dir].add(&check);
            }
        }
        // Both directions at once: each GPU pushes on its own stream, the
        // two streams handshake with events at every repetition, and GPU
        // a's events time the whole.
        let seeds = [seed(&mut counter), seed(&mut counter)];
        for (side, s) in sides.iter().zip(seeds) {
            side.fill(side.src, words, s)?;
            side.sync()?;
        }
        let total = (WARMUP + reps) as usize;
        let ea = sides[0].events(total + 1)?;
        let eb = sides[1].events(total)?;
        let [sa, sb] = &sides;
        sa.record(ea[0])?;
        for i in 0..total {
            sb.wait(ea[i])?;
            sa.push(sb, bytes, sm)?;
            sb.push(sa, bytes, sm)?;
            sb.record(eb[i])?;
            sa.wait(eb[i])?;
            sa.record(ea[i + 1])?;
        }
        sa.sync()?;
        sb.sync()?;
        let times: Vec<f64> = (WARMUP as usize..total)
            .map(|i| elapsed_ms(ea[i], ea[i + 1]))
            .collect::<Result<_, _>>()?;
        let rate = median(times).map(|ms| gbps(2 * bytes, ms));
        let checks = [
            sb.verify(sb.dst, words, seeds[0])?,
            sa.verify(sa.dst, words, seeds[1])?,
        ];
        for (dir, check) in checks.iter().enumerate() {
            if sm {
                m.integrity_sm[dir].add(check);
            } else {
                m.integrity_ce[dir].add(check);
            }
        }
        if sm {
            m.sm_both_gbps = rate;
        } else {
            m.ce_both_gbps = rate;
        }
    }

    // Latency: small operations queued behind a spinning kernel, so they
    // run back to back; time per operation from the sender's events.
    for dir in 0..2 {
        let kinds: &[bool] = if peer { &[false, true] } else { &[false] };
        for &kernel in kinds {
            let evs = sides[dir].events(2)?;
            let (from, to) = (&sides[dir], &sides[1 - dir]);
            from.spin()?;
            from.record(evs[0])?;
            for i in 0..LATENCY_OPS {
                if kernel {
                    let (mut dst, mut value) = (to.scratch + LATENCY_WORD, i);
                    from.launch(
                        from.write,
                        1,
                        1,
                        &mut [
                            (&mut dst as *mut u64).cast(),
                            (&mut value as *mut u32).cast(),
                        ],
                    )?;
                } else {
                    from.bind()?;
                    // SAFETY: 4 bytes inside both scratch areas.
                    ck(
                        unsafe {
                            sys::cuMemcpyPeerAsync(
                                to.scratch + LATENCY_WORD,
                                to.ctx,
                                from.scratch + LATENCY_WORD,
                                from.ctx,
                                4,
                                from.stream,
                            )
                        },
                        &from.at("cuMemcpyPeerAsync (latency)"),
                    )?;
                }
            }
            from.record(evs[1])?;
            from.sync()?;
            let us = elapsed_ms(evs[0], evs[1])? * 1e3 / f64::from(LATENCY_OPS);
            if kernel {
                m.write_latency_us[dir] = Some(us);
            } else {
                m.copy_latency_us[dir] = Some(us);
            }
        }
    }

    if peer {
        match pingpong(&sides, config.pingpong_iters.max(1)) {
            Ok(us) => m.pingpong_us = Some(us),
            Err(e) => m.pingpong_error = Some(e),
        }
    } else {
        m.pingpong_error = Some("needs peer access".into());
    }
    Ok(m)
}

/// Half the round trip of a counter bounced between the two GPUs'
/// memories, in microseconds; both kernels give up after
/// [`PINGPONG_TIMEOUT_NS`].
fn pingpong(sides: &[Side; 2], iters: u32) -> Result<f64, String> {
    for side in sides {
        side.sync()?;
        side.bind()?;
        // SAFETY: flag and result words inside scratch.
        ck(
            unsafe { sys::cuMemsetD32_v2(side.scratch, 0, SCRATCH_BYTES / 4) },
            &side.at("clearing the ping-pong flags"),
        )?;
    }
    // The second GPU waits first, so the first one's opening write is seen.
    for (k, first) in [(1usize, 0u32), (0, 1)] {
        let (me, other) = (&sides[k], &sides[1 - k]);
        let (mut mine, mut peer, mut n, mut f, mut timeout, mut out) = (
            me.scratch + FLAG,
            other.scratch + FLAG,
            iters,
            first,
            PINGPONG_TIMEOUT_NS,
            me.scratch + PINGPONG_OUT,
        );
        me.launch(
            me.pingpong,
            1,
            1,
            &mut [
                (&mut mine as *mut u64).cast(),
                (&mut peer as *mut u64).cast(),
                (&mut n as *mut u32).cast(),
                (&mut f as *mut u32).cast(),
                (&mut timeout as *mut u64).cast(),
                (&mut out as *mut u64).cast(),
            ],
        )?;
    }
    let first = sides[0].read_u64x2(PINGPONG_OUT)?;
    let second = sides[1].read_u64x2(PINGPONG_OUT)?;
    if first[0] != 1 || second[0] != 1 {
        return Err(format!(
            "ping-pong timed out after {} s: a write through the link was never seen",
            PINGPONG_TIMEOUT_NS / 1_000_000_000
        ));
    }
    Ok(first[1] as f64 / f64::from(iters) / 2.0 / 1e3)
}
