//! `p2p`'s work between two GPUs over two [`Context`]s: peer access, then
//! verified copies (copy engine, and SM kernels writing through peer
//! pointers when peer access is on) one way each and both ways at once,
//! small-operation latency and a ping-pong through each other's memory.
//!
//! Every copy is verified on the receiving GPU by a kernel that regenerates
//! the pattern (murmur3 fmix64 of seed and word index, a fresh seed per
//! measurement), so a stale, shifted or flipped word is always counted;
//! the destination is cleared before the last timed copy of each one-way
//! measurement, so that copy alone must fill it (a dropped copy reads as
//! zeros). Every wait on the other GPU is bounded by `%globaltimer` inside
//! the kernel, so a broken link ends as an error, never a hang.
//!
//! Errors are text naming the GPU (its CUDA ordinal): `p2p` reports them
//! per pair.

use crate::device::compute::{download_u64, Arg, Context, DevPtr, Dim, Event, Stream};
use crate::device::mix::{clock_nanos_or, splitmix64_finish, GOLDEN};
use crate::device::p2p::{Integrity, P2pConfig, PairMeasurement, PeerAccess};
use crate::device::{ContextHold, CudaApi, DeviceError};

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
const SCRATCH_BYTES: u64 = 256;
const VERIFY_OUT: u64 = 0;
const PINGPONG_OUT: u64 = 16;
const FLAG: u64 = 64;
const LATENCY_WORD: u64 = 128;
/// Share of a GPU's free memory its two copy buffers may take (as bench's).
const MEMORY_SHARE: f64 = 0.4;
/// How the driver says the platform refuses peer access (rather than
/// enabling it failing): `Context::enable_peer`'s answer starts so.
const NOT_ALLOWED: &str = "cuDeviceCanAccessPeer";

/// Checks and enables peer access between `a` and `b`, both ways (already
/// enabled counts as enabled).
pub fn enable(a: &dyn Context, b: &dyn Context) -> Result<PeerAccess, String> {
    let mut access = PeerAccess {
        can_access: [false; 2],
        enable_error: [None, None],
    };
    for (k, (from, to)) in [(a, b), (b, a)].into_iter().enumerate() {
        match on(from, from.enable_peer(to))? {
            Ok(()) => access.can_access[k] = true,
            Err(why) => {
                access.can_access[k] = !why.starts_with(NOT_ALLOWED);
                access.enable_error[k] = Some(why);
            }
        }
    }
    Ok(access)
}

/// The error of a call on `ctx`'s GPU, naming it.
fn on<T>(ctx: &dyn Context, r: Result<T, DeviceError>) -> Result<T, String> {
    r.map_err(|e| format!("GPU {}: {e}", ctx.props().ordinal))
}

/// One GPU's share of a pair: its context, a stream and buffers (freed
/// with the context).
struct Side<'a> {
    ctx: &'a dyn Context,
    stream: Stream,
    src: DevPtr,
    dst: DevPtr,
    scratch: DevPtr,
    grid: u32,
}

impl<'a> Side<'a> {
    fn new(ctx: &'a dyn Context, bytes: u64) -> Result<Self, String> {
        let alloc = |size: u64| match on(ctx, ctx.alloc(size))? {
            Some(p) => Ok(p),
            None => on(
                ctx,
                Err(DeviceError::OutOfMemory {
                    step: format!("allocating {size} bytes"),
                    requested_bytes: size,
                    free_bytes: ctx.mem_info().map(|(f, _)| f).unwrap_or(0),
                }),
            ),
        };
        let stream = on(ctx, ctx.stream())?;
        let side = Side {
            ctx,
            stream,
            src: alloc(bytes)?,
            dst: alloc(bytes)?,
            scratch: alloc(SCRATCH_BYTES)?,
            grid: ctx.props().sm_count.max(1) * 8,
        };
        side.clear_scratch()?;
        Ok(side)
    }

    fn ck<T>(&self, r: Result<T, DeviceError>) -> Result<T, String> {
        on(self.ctx, r)
    }

    fn clear_scratch(&self) -> Result<(), String> {
        self.ck(self.ctx.memset(self.stream, self.scratch, 0, SCRATCH_BYTES))?;
        self.sync()
    }

    fn sync(&self) -> Result<(), String> {
        self.ck(self.ctx.sync(self.stream))
    }

    fn record(&self) -> Result<Event, String> {
        self.ck(self.ctx.record(self.stream))
    }

    fn wait(&self, e: Event) -> Result<(), String> {
        self.ck(self.ctx.wait(self.stream, e))
    }

    fn launch(&self, kernel: &str, dim: Dim, args: &[Arg]) -> Result<(), String> {
        self.ck(self.ctx.launch(self.stream, kernel, dim, args))
    }

    fn grid_dim(&self) -> Dim {
        Dim::new(self.grid, BLOCK)
    }

    fn fill(&self, words: u64, seed: u64) -> Result<(), String> {
        self.launch(
            "gpuctl_p2p_fill",
            self.grid_dim(),
            &[Arg::U64(self.src), Arg::U64(words), Arg::U64(seed)],
        )
    }

    /// Checks `words` words of this GPU's destination against the pattern
    /// of `seed`, on this GPU.
    fn verify(&self, words: u64, seed: u64) -> Result<Integrity, String> {
        let out = self.scratch + VERIFY_OUT;
        self.ck(self.ctx.memset(self.stream, out, 0, 16))?;
        self.launch(
            "gpuctl_p2p_verify",
            self.grid_dim(),
            &[
                Arg::U64(self.dst),
                Arg::U64(words),
                Arg::U64(seed),
                Arg::U64(out),
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
        let v = self.ck(download_u64(self.ctx, self.scratch + offset, 2))?;
        Ok([v[0], v[1]])
    }

    /// Copies `bytes` from this GPU's source to `to`'s destination on this
    /// GPU's stream: by the copy engine, or by the SM copy kernel writing
    /// through the peer pointer.
    fn push(&self, to: &Side, bytes: u64, sm: bool) -> Result<(), String> {
        if sm {
            self.launch(
                "gpuctl_p2p_copy",
                self.grid_dim(),
                &[Arg::U64(self.src), Arg::U64(to.dst), Arg::U64(bytes / 16)],
            )
        } else {
            self.ck(self
                .ctx
                .copy_peer(self.stream, to.ctx, to.dst, self.src, bytes))
        }
    }

    /// Zeroes `to`'s destination between this side's queued work and what
    /// it queues next (the receiver's stream does it, ordered by events
    /// both ways, so no peer access is needed).
    fn clear_peer_dst(&self, to: &Side, bytes: u64) -> Result<(), String> {
        to.wait(self.record()?)?;
        to.ck(to.ctx.memset(to.stream, to.dst, 0, bytes))?;
        self.wait(to.record()?)
    }

    /// Holds this stream for [`SPIN_NS`] so operations queued behind it run
    /// back to back, not at the host's pace.
    fn spin(&self) -> Result<(), String> {
        self.launch("gpuctl_p2p_spin", Dim::new(1, 1), &[Arg::U64(SPIN_NS)])
    }
}

fn elapsed_ms(side: &Side, start: Event, end: Event) -> Result<f64, String> {
    side.ck(side.ctx.elapsed_ms(start, end)).map(f64::from)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite() && *x > 0.0);
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

/// A fresh seed per measurement: a buffer left over from an earlier copy
/// never matches (splitmix64 of the clock and a counter).
fn seed(counter: &mut u64) -> u64 {
    *counter += 1;
    splitmix64_finish(clock_nanos_or(0) ^ counter.wrapping_mul(GOLDEN))
}

fn gbps(bytes: u64, ms: f64) -> f64 {
    bytes as f64 / (ms * 1e-3) / 1e9
}

/// Bytes per copy: `asked`, or less where the two buffers would take more
/// than [`MEMORY_SHARE`] of either GPU's free memory (whole MiB, at least
/// one: too little memory then fails the allocation, naming it).
fn copy_bytes(asked: u64, gpus: &[&dyn Context]) -> Result<u64, String> {
    let mut free = u64::MAX;
    for &g in gpus {
        free = free.min(on(g, g.mem_info())?.0);
    }
    let fit = ((free as f64 * MEMORY_SHARE / 2.0) as u64) >> 20 << 20;
    let bytes = asked.min(fit.max(1 << 20));
    Ok(bytes - bytes % 16)
}

/// Integrity, bandwidth and latency between `a` and `b`; `peer` is whether
/// peer access is enabled both ways ([`enable`]): SM kernels need it.
pub fn measure(
    a: &dyn Context,
    b: &dyn Context,
    peer: bool,
    config: &P2pConfig,
) -> Result<PairMeasurement, String> {
    let bytes = copy_bytes(config.bytes, &[a, b])?;
    let words = bytes / 8;
    let reps = config.repeats.max(1);
    let sides = [Side::new(a, bytes)?, Side::new(b, bytes)?];
    let mut m = PairMeasurement {
        copy_bytes: bytes,
        ..PairMeasurement::default()
    };
    let ordinals = [a.props().ordinal, b.props().ordinal];
    let mut counter = u64::from(ordinals[0]) << 32 | u64::from(ordinals[1]);
    let total = (WARMUP + reps) as usize;

    // SM kernels need peer pointers; without peer access only the copy
    // engine runs (the driver stages through host memory).
    let methods: &[bool] = if peer { &[false, true] } else { &[false] };
    for &sm in methods {
        for dir in 0..2 {
            let (from, to) = (&sides[dir], &sides[1 - dir]);
            let s = seed(&mut counter);
            from.fill(words, s)?;
            from.sync()?;
            to.sync()?;
            // The sender's events time each copy; the last is preceded by
            // clearing the destination (untimed).
            let mut marks: Vec<(Event, Event)> = Vec::with_capacity(total);
            let mut start = from.record()?;
            for i in 0..total {
                if i + 1 == total {
                    from.clear_peer_dst(to, bytes)?;
                    start = from.record()?;
                }
                from.push(to, bytes, sm)?;
                let end = from.record()?;
                marks.push((start, end));
                start = end;
            }
            from.sync()?;
            let times: Vec<f64> = marks[WARMUP as usize..]
                .iter()
                .map(|&(s, e)| elapsed_ms(from, s, e))
                .collect::<Result<_, _>>()?;
            let rate = median(times).map(|ms| gbps(bytes, ms));
            if config.inject_corruption && !sm && dir == 0 {
                // One word inside the destination, after the copies landed.
                let at = to.dst + (words / 3) * 8;
                to.ck(to.ctx.upload(at, &0x0BAD_F00Du32.to_le_bytes()))?;
            }
            let check = to.verify(words, s)?;
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
            side.fill(words, s)?;
            side.sync()?;
        }
        let [sa, sb] = &sides;
        let mut ea = vec![sa.record()?];
        for i in 0..total {
            sb.wait(ea[i])?;
            sa.push(sb, bytes, sm)?;
            sb.push(sa, bytes, sm)?;
            let eb = sb.record()?;
            sa.wait(eb)?;
            ea.push(sa.record()?);
        }
        sa.sync()?;
        sb.sync()?;
        let times: Vec<f64> = (WARMUP as usize..total)
            .map(|i| elapsed_ms(sa, ea[i], ea[i + 1]))
            .collect::<Result<_, _>>()?;
        let rate = median(times).map(|ms| gbps(2 * bytes, ms));
        let checks = [sb.verify(words, seeds[0])?, sa.verify(words, seeds[1])?];
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
        for &kernel in methods {
            let (from, to) = (&sides[dir], &sides[1 - dir]);
            from.spin()?;
            let start = from.record()?;
            for i in 0..LATENCY_OPS {
                if kernel {
                    from.launch(
                        "gpuctl_p2p_write",
                        Dim::new(1, 1),
                        &[Arg::U64(to.scratch + LATENCY_WORD), Arg::U32(i)],
                    )?;
                } else {
                    from.ck(from.ctx.copy_peer(
                        from.stream,
                        to.ctx,
                        to.scratch + LATENCY_WORD,
                        from.scratch + LATENCY_WORD,
                        4,
                    ))?;
                }
            }
            let end = from.record()?;
            from.sync()?;
            let us = elapsed_ms(from, start, end)? * 1e3 / f64::from(LATENCY_OPS);
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
        side.clear_scratch()?;
    }
    // The second GPU waits first, so the first one's opening write is seen.
    for (k, first) in [(1usize, 0u32), (0, 1)] {
        let (me, other) = (&sides[k], &sides[1 - k]);
        me.launch(
            "gpuctl_p2p_pingpong",
            Dim::new(1, 1),
            &[
                Arg::U64(me.scratch + FLAG),
                Arg::U64(other.scratch + FLAG),
                Arg::U32(iters),
                Arg::U32(first),
                Arg::U64(PINGPONG_TIMEOUT_NS),
                Arg::U64(me.scratch + PINGPONG_OUT),
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

/// Primary contexts held for the whole run, one per GPU (CUDA ordinal):
/// a pair's contexts then never tear a GPU's context (and its peer
/// mappings) down between pairs, 100-300 ms each on a real GPU.
pub type Holds = std::sync::Mutex<std::collections::HashMap<u32, ContextHold>>;

/// What one pair came back with: peer access, and the measurement when one
/// was asked for.
pub type PairResult = (PeerAccess, Option<Result<PairMeasurement, String>>);

/// One pair's work on CUDA ordinals `x` and `y`: open both GPUs, check and
/// enable peer access, then `measure` if asked. Opening or enabling that
/// fails is the pair's error; a measurement that fails is its result.
pub fn run_pair(
    cuda: &dyn CudaApi,
    x: u32,
    y: u32,
    measure: Option<&P2pConfig>,
    holds: &Holds,
) -> Result<PairResult, String> {
    let open = |o: u32| -> Result<Box<dyn Context>, String> {
        let mut held = holds.lock().unwrap_or_else(|p| p.into_inner());
        if let std::collections::hash_map::Entry::Vacant(v) = held.entry(o) {
            v.insert(cuda.hold_context(o).map_err(|e| format!("GPU {o}: {e}"))?);
        }
        drop(held);
        cuda.open(o).map_err(|e| format!("GPU {o}: {e}"))
    };
    let (a, b) = (open(x)?, open(y)?);
    let access = enable(&*a, &*b)?;
    let measured = measure.map(|c| self::measure(&*a, &*b, access.enabled(), c));
    Ok((access, measured))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::compute::sim::{SimCompute, SimContext, World};
    use crate::device::compute::Props;
    use std::sync::{Arc, Mutex};

    const MIB: u64 = 1 << 20;

    /// Two simulated GPUs of one world (so each sees the other's memory).
    fn pair(specs: [SimCompute; 2]) -> [Box<dyn Context>; 2] {
        let world = Arc::new(Mutex::new(World::new(specs.to_vec())));
        [0, 1].map(|o| {
            let props = Props {
                ordinal: o,
                name: "sim".into(),
                compute_capability: (9, 0),
                sm_count: 2,
                l2_bytes: 1 << 18,
                total_bytes: 16 * MIB,
            };
            Box::new(SimContext::open(Arc::clone(&world), o, props)) as Box<dyn Context>
        })
    }

    fn spec() -> SimCompute {
        SimCompute {
            peer_gbps: 300.0,
            kernel_spacing_us: 0.25,
            ..SimCompute::default()
        }
    }

    fn config() -> P2pConfig {
        P2pConfig {
            bytes: MIB,
            repeats: 3,
            pingpong_iters: 10,
            inject_corruption: false,
        }
    }

    #[test]
    fn copies_are_verified_and_timed_from_their_own_bytes() {
        let [a, b] = pair([spec(), spec()]);
        let access = enable(&*a, &*b).unwrap();
        assert!(access.enabled());
        let m = measure(&*a, &*b, true, &config()).unwrap();
        // One copy of 1 MiB at 300 GB/s plus the spacing, each way.
        let want = MIB as f64 / (MIB as f64 / 300.0 + 250.0);
        for dir in 0..2 {
            let got = m.ce_gbps[dir].unwrap();
            assert!((got / want - 1.0).abs() < 1e-4, "{got} vs {want}");
            // Verified on the receiver: one-way and both-ways copies.
            assert_eq!(m.integrity_ce[dir].words, 2 * MIB / 8);
            assert_eq!(m.integrity_ce[dir].mismatches, 0);
            assert_eq!(m.integrity_sm[dir].mismatches, 0);
            assert!(m.integrity_sm[dir].words > 0);
        }
        // Both ways at once: the two pushes overlap, twice the bytes.
        let both = m.ce_both_gbps.unwrap();
        assert!((both / (2.0 * want) - 1.0).abs() < 1e-4, "{both}");
        assert!(m.copy_latency_us[0].unwrap() > 0.0);
        assert!(m.pingpong_us.unwrap() > 0.0, "{m:?}");
        assert_eq!(m.pingpong_error, None);
    }

    #[test]
    fn a_dropped_copy_is_an_integrity_failure_of_that_direction() {
        // GPU 0's copies: 2 warm-ups and 3 timed ones to GPU 1; the last
        // one alone fills the cleared destination.
        let dropping = SimCompute {
            drop_copy_at: Some(5),
            ..spec()
        };
        let [a, b] = pair([dropping, spec()]);
        let m = measure(&*a, &*b, true, &config()).unwrap();
        assert_eq!(m.integrity_ce[0].mismatches, MIB / 8, "{m:?}");
        assert_eq!(m.integrity_ce[1].mismatches, 0);
        assert_eq!(m.integrity_sm[0].mismatches, 0);
    }

    #[test]
    fn corruption_injected_for_testing_is_counted() {
        let [a, b] = pair([spec(), spec()]);
        let c = P2pConfig {
            inject_corruption: true,
            ..config()
        };
        let m = measure(&*a, &*b, true, &c).unwrap();
        assert_eq!(m.integrity_ce[0].mismatches, 1);
        assert_eq!(m.integrity_ce[1].mismatches, 0);
    }

    #[test]
    fn no_peer_access_measures_the_copy_engine_only() {
        let refused = SimCompute {
            no_peer_access: vec![0],
            ..spec()
        };
        let [a, b] = pair([spec(), refused]);
        let access = enable(&*a, &*b).unwrap();
        assert_eq!(access.can_access, [true, false]);
        assert!(access.enable_error[1]
            .as_deref()
            .is_some_and(|e| e.starts_with(NOT_ALLOWED)));
        let m = measure(&*a, &*b, access.enabled(), &config()).unwrap();
        assert!(m.ce_gbps[0].is_some() && m.sm_gbps[0].is_none());
        assert_eq!(m.integrity_sm[0].words, 0);
        assert_eq!(m.pingpong_error.as_deref(), Some("needs peer access"));
    }

    #[test]
    fn copies_shrink_to_fit_and_a_lost_gpu_is_an_error_naming_it() {
        let [a, b] = pair([spec(), spec()]);
        // 40% of 16 MiB over two buffers, whole MiB.
        assert_eq!(copy_bytes(1 << 30, &[&*a, &*b]).unwrap(), 3 * MIB);
        assert_eq!(copy_bytes(MIB, &[&*a, &*b]).unwrap(), MIB);
        let lost = SimCompute {
            lost_at_call: Some(1),
            ..spec()
        };
        let [a, b] = pair([spec(), lost]);
        let e = enable(&*a, &*b).unwrap_err();
        assert!(
            e.starts_with("GPU 1: ") && e.contains("CUDA_ERROR_UNKNOWN"),
            "{e}"
        );
    }
}
