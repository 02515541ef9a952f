//! The integer mixers that gpuctl's kernels and their host models share, and
//! the clock seed: one definition each, so the host reproduces bit for bit
//! what a kernel computes, and every fresh seed is made the same way.

use std::time::{SystemTime, UNIX_EPOCH};

/// The golden-ratio increment of splitmix64 (also the checksum's index
/// multiplier, kernels/gemm.cu CHECKSUM_GOLDEN).
pub const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// murmur3's 64-bit finaliser: a bijection with full avalanche.
pub fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    k ^= k >> 33;
    k = k.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    k ^= k >> 33;
    k
}

/// Word `i` of a verified buffer written with `seed`: [`fmix64`] of
/// `seed ^ i * GOLDEN`, exactly as `gpuctl_mix` in kernels/p2p.cu and
/// kernels/bench.cu computes it. Nonlinear and position-dependent, so a
/// zero, a stale word (another seed) or a word at the wrong place never
/// matches.
pub fn word(seed: u64, i: u64) -> u64 {
    fmix64(seed ^ i.wrapping_mul(GOLDEN))
}

/// splitmix64's output step (its finaliser) applied to `z`.
pub fn splitmix64_finish(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Nanoseconds since the Unix epoch, or `fallback` on a clock set before
/// it: a seed that differs from one run to the next.
pub fn clock_nanos_or(fallback: u64) -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixers_match_their_reference_values() {
        // murmur3 fmix64(1) and splitmix64's first output from state 0.
        assert_eq!(fmix64(1), 0xB456_BCFC_34C2_CB2C);
        assert_eq!(splitmix64_finish(GOLDEN), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn the_clock_seed_moves() {
        let a = clock_nanos_or(0);
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert!(clock_nanos_or(0) > a);
    }
}
