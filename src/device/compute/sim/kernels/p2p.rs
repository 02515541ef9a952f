//! References of `kernels/p2p.cu`: fill and verify with [`mix::word`],
//! the 16-byte copy (the destination may be a peer's address: memory is
//! unified), the one-word write, the spin and the ping-pong.
//!
//! `gpuctl_p2p_pingpong` needs the peer's kernel running at the same time;
//! a reference runs alone, so it leaves the state both halves leave
//! together, as if the peer ran its half in time: after `iters` round
//! trips the starting GPU's flag holds the last pong (`2 * iters`), the
//! other's the last ping (`2 * iters - 1`), whichever half is launched;
//! `out[0] = 1` (done) and `out[1]` the modelled time, [`HOP_NS`] per
//! one-way trip, which is also the launch's wait. A peer that never
//! answers (out[0] = 2 on a GPU) is not modelled.

use super::{aligned, unknown, Cost, Launch, Mem};
use crate::device::mix;

/// Modelled one-way latency of a flag write seen by the peer, ns
/// (ENGINEERING.md section 1: 2.3 us P2P write latency over NVLink).
pub const HOP_NS: u64 = 2_300;

pub fn run(kernel: &str, mem: &mut Mem, launch: &Launch) -> Result<Cost, String> {
    launch.threads()?;
    match kernel {
        "gpuctl_p2p_fill" => fill(mem, launch),
        "gpuctl_p2p_verify" => verify(mem, launch),
        "gpuctl_p2p_copy" => copy(mem, launch),
        "gpuctl_p2p_write" => {
            let dst = aligned("gpuctl_p2p_write", launch.u64(0)?, 4)?;
            mem.w32(dst, launch.u32(1)?)?;
            Ok(Cost {
                bytes: 4,
                ..Cost::default()
            })
        }
        "gpuctl_p2p_spin" => Ok(Cost {
            wait_ns: launch.u64(0)? as f64,
            ..Cost::default()
        }),
        "gpuctl_p2p_pingpong" => pingpong(mem, launch),
        _ => Err(unknown(kernel)),
    }
}

/// `gpuctl_p2p_fill(buf, n, seed)`: buf[i] = mix(seed, i).
fn fill(mem: &mut Mem, l: &Launch) -> Result<Cost, String> {
    let (buf, n, seed) = (
        aligned("gpuctl_p2p_fill", l.u64(0)?, 8)?,
        l.u64(1)?,
        l.u64(2)?,
    );
    for i in 0..n {
        mem.w64(buf + 8 * i, mix::word(seed, i))?;
    }
    Ok(Cost {
        bytes: 8 * n,
        ..Cost::default()
    })
}

/// `gpuctl_p2p_verify(buf, n, seed, out)`: out[0] += words differing
/// from mix(seed, i); out[1] = max(out[1], 1 + the last one's index).
fn verify(mem: &mut Mem, l: &Launch) -> Result<Cost, String> {
    let (buf, n, seed) = (
        aligned("gpuctl_p2p_verify", l.u64(0)?, 8)?,
        l.u64(1)?,
        l.u64(2)?,
    );
    let out = aligned("gpuctl_p2p_verify's out", l.u64(3)?, 8)?;
    let (mut bad, mut last) = (0u64, 0u64);
    for i in 0..n {
        if mem.r64(buf + 8 * i)? != mix::word(seed, i) {
            bad += 1;
            last = i + 1;
        }
    }
    if bad != 0 {
        let c = mem.r64(out)?;
        mem.w64(out, c.wrapping_add(bad))?;
        let m = mem.r64(out + 8)?;
        mem.w64(out + 8, m.max(last))?;
    }
    Ok(Cost {
        bytes: 8 * n,
        ..Cost::default()
    })
}

/// `gpuctl_p2p_copy(src, dst, n16)`: 16-byte units, ascending.
fn copy(mem: &mut Mem, l: &Launch) -> Result<Cost, String> {
    let src = aligned("gpuctl_p2p_copy's source", l.u64(0)?, 16)?;
    let dst = aligned("gpuctl_p2p_copy's destination", l.u64(1)?, 16)?;
    let n16 = l.u64(2)?;
    mem.copy(dst, src, 16 * n16)?;
    Ok(Cost {
        bytes: 32 * n16,
        ..Cost::default()
    })
}

/// `gpuctl_p2p_pingpong(mine, peer, iters, first, timeout_ns, out)`.
fn pingpong(mem: &mut Mem, l: &Launch) -> Result<Cost, String> {
    let mine = aligned("gpuctl_p2p_pingpong's flag", l.u64(0)?, 4)?;
    let peer = aligned("gpuctl_p2p_pingpong's peer flag", l.u64(1)?, 4)?;
    let (iters, first) = (l.u32(2)?, l.u32(3)? != 0);
    let out = aligned("gpuctl_p2p_pingpong's out", l.u64(5)?, 8)?;
    if iters > 0 {
        let (pong, ping) = (iters.wrapping_mul(2), iters.wrapping_mul(2).wrapping_sub(1));
        // The starter's flag ends with the last pong, the other's with the
        // last ping.
        let (m, p) = if first { (pong, ping) } else { (ping, pong) };
        mem.w32(mine, m)?;
        mem.w32(peer, p)?;
    }
    let ns = 2 * u64::from(iters) * HOP_NS;
    mem.w64(out + 8, ns)?;
    mem.w64(out, 1)?;
    Ok(Cost {
        bytes: 8 * u64::from(iters) + 16,
        wait_ns: ns as f64,
        ..Cost::default()
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{launch, mem_with, BASE};
    use super::*;
    use crate::device::compute::{Arg, Dim};

    const DIM: Dim = Dim::new(2, 256);
    const OUT: u64 = BASE + (1 << 20);

    #[test]
    fn fill_copy_and_verify_count_a_corrupted_word() {
        let mut mem = mem_with(&[]);
        let (n, seed) = (999u64, 42);
        run(
            "gpuctl_p2p_fill",
            &mut mem,
            &launch(DIM, &[Arg::U64(BASE), Arg::U64(n), Arg::U64(seed)]),
        )
        .unwrap();
        // Independent: murmur3 fmix64 of seed ^ i * golden ratio.
        let z = seed ^ 5u64.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        assert_eq!(mem.r64(BASE + 40).unwrap(), mix::fmix64(z));
        assert_eq!(mem.r64(BASE + 8 * n).unwrap(), 0);
        // Copy 500 units (1000 words) to a second buffer, then verify it.
        let dst = BASE + 65536;
        run(
            "gpuctl_p2p_copy",
            &mut mem,
            &launch(DIM, &[Arg::U64(BASE), Arg::U64(dst), Arg::U64(500)]),
        )
        .unwrap();
        let verify = [Arg::U64(dst), Arg::U64(n), Arg::U64(seed), Arg::U64(OUT)];
        run("gpuctl_p2p_verify", &mut mem, &launch(DIM, &verify)).unwrap();
        assert_eq!((mem.r64(OUT).unwrap(), mem.r64(OUT + 8).unwrap()), (0, 0));
        mem.w64(dst + 8 * 3, mem.r64(dst + 8 * 3).unwrap() ^ 1)
            .unwrap();
        mem.w64(dst + 8 * 700, 0).unwrap();
        run("gpuctl_p2p_verify", &mut mem, &launch(DIM, &verify)).unwrap();
        assert_eq!((mem.r64(OUT).unwrap(), mem.r64(OUT + 8).unwrap()), (2, 701));
    }

    #[test]
    fn write_spin_and_pingpong_leave_what_both_gpus_would() {
        let mut mem = mem_with(&[]);
        run(
            "gpuctl_p2p_write",
            &mut mem,
            &launch(Dim::new(1, 1), &[Arg::U64(BASE + 4), Arg::U32(7)]),
        )
        .unwrap();
        assert_eq!(mem.r64(BASE).unwrap(), 7 << 32);
        let spin = run(
            "gpuctl_p2p_spin",
            &mut mem,
            &launch(Dim::new(1, 1), &[Arg::U64(5000)]),
        )
        .unwrap();
        assert_eq!(spin.wait_ns, 5000.0);
        let (a, b) = (BASE + 64, BASE + 128);
        let half = |mine, peer, first| {
            [
                Arg::U64(mine),
                Arg::U64(peer),
                Arg::U32(10),
                Arg::U32(first),
                Arg::U64(1_000_000_000),
                Arg::U64(OUT),
            ]
        };
        // The waiter first, then the starter, as cuda_p2p.rs launches them.
        run(
            "gpuctl_p2p_pingpong",
            &mut mem,
            &launch(Dim::new(1, 1), &half(b, a, 0)),
        )
        .unwrap();
        let cost = run(
            "gpuctl_p2p_pingpong",
            &mut mem,
            &launch(Dim::new(1, 1), &half(a, b, 1)),
        )
        .unwrap();
        assert_eq!(mem.r32(a).unwrap(), 20, "the starter's flag: the last pong");
        assert_eq!(mem.r32(b).unwrap(), 19, "the waiter's flag: the last ping");
        assert_eq!(mem.r64(OUT).unwrap(), 1);
        assert_eq!(mem.r64(OUT + 8).unwrap(), 20 * HOP_NS);
        assert_eq!(cost.wait_ns, (20 * HOP_NS) as f64);
    }
}
