//! What `bench` writes into its bandwidth buffers and how it checks them,
//! as the host's model of `gpuctl_bench_write` / `gpuctl_bench_check`
//! (kernels/bench.cu): word k of a buffer holds [`word`]`(seed, k)`,
//! with a fresh seed for every repetition ([`rep_seed`]). The unit tests
//! show the property the GPU relies on: zeros, stale data, dropped and
//! misdirected writes are all caught, where the old XOR of `j ^ seed`
//! words was blind to them.

use super::mix;
use super::DeviceError;
use rayon::prelude::*;

/// Result slots: one (bad words, 1 + index of the last bad word) pair per
/// repetition, up to this many repetitions; warm-up launches share the
/// last slot (checked too).
pub const SLOTS: usize = 1024;
/// Bytes of the result slots on the device.
pub const SLOT_BYTES: u64 = (SLOTS * 16) as u64;

/// The seed of repetition `rep` of a measurement seeded `base` (warm-ups
/// pass `u32::MAX`): every repetition writes other values, so one that
/// wrote nothing leaves the previous one's words, which fail the check.
pub fn rep_seed(base: u64, rep: u32) -> u64 {
    mix::word(base, u64::from(rep) + 1)
}

/// Word `k` of a buffer written with `seed`: the seed XOR `k` times an odd
/// constant (`gpuctl_word` in kernels/bench.cu). A word-by-word comparison
/// needs only that every word differ from its neighbours (the multiply is a
/// bijection), from the same word of another repetition (the seed changes)
/// and from zero; one multiply keeps the GPU's verifying read at memory
/// speed, where fmix64's three made it ALU-bound on an H100.
pub fn word(seed: u64, k: u64) -> u64 {
    seed ^ k.wrapping_mul(mix::GOLDEN)
}

/// The slot of repetition `rep` (warm-ups: the last).
pub fn slot_of(rep: u32) -> usize {
    (rep as usize).min(SLOTS - 1)
}

/// The host's `gpuctl_bench_write`: `n` words of the pattern.
pub fn fill(seed: u64, n: u64) -> Vec<u64> {
    (0..n).map(|k| word(seed, k)).collect()
}

/// The host's `gpuctl_bench_check` over words `first..` of a buffer:
/// (words that differ, 1 + index of the last that differs, or 0).
pub fn check(words: &[u64], first: u64, seed: u64) -> (u64, u64) {
    words
        .par_iter()
        .enumerate()
        .map(|(k, w)| {
            let k = first + k as u64;
            if *w == word(seed, k) {
                (0, 0)
            } else {
                (1, k + 1)
            }
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1.max(b.1)))
}

/// Judges the slots a measurement filled (pairs as the kernel left them):
/// the first repetition with a wrong word is a [`DeviceError::WrongResult`]
/// naming the transfer, the count and the last wrong byte.
pub fn judge(slots: &[u64], reps: u32, words: u64, what: &str) -> Result<(), DeviceError> {
    let used = (0..reps as usize).chain(std::iter::once(SLOTS - 1));
    for s in used {
        let (bad, last) = (
            slots.get(2 * s).copied().unwrap_or(0),
            slots.get(2 * s + 1).copied().unwrap_or(0),
        );
        if bad > 0 {
            let which = if s == SLOTS - 1 {
                "a warm-up".to_string()
            } else {
                format!("repetition {}", s + 1)
            };
            return Err(DeviceError::WrongResult {
                step: what.to_string(),
                reason: format!(
                    "{bad} of {words} words read back wrong after {which} (last at byte {}): \
                     the GPU lost or corrupted data it moved",
                    last.saturating_sub(1) * 8
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: u64 = 1 << 17; // 1 MiB of words

    /// The pattern and XOR check this replaced: u32 word j = j ^ seed,
    /// and the XOR of all of them compared with a closed form.
    fn old_xor_passes(words32: &[u32], seed: u32) -> bool {
        let want = (0..words32.len() as u32).fold(0, |x, j| x ^ (j ^ seed));
        words32.iter().fold(0, |x, w| x ^ w) == want
    }

    #[test]
    fn the_old_xor_check_was_blind_to_zeros_and_stale_data() {
        let seed = 0x1234_5678;
        let n32 = (2 * N) as usize;
        // An all-zero buffer and one left over from another seed both
        // "pass": a whole MiB of j ^ seed XORs to zero whatever the seed.
        assert!(old_xor_passes(&vec![0; n32], seed));
        let stale: Vec<u32> = (0..n32 as u32).map(|j| j ^ 0xdead_beef).collect();
        assert!(old_xor_passes(&stale, seed));
    }

    #[test]
    fn zeros_stale_dropped_and_misdirected_writes_are_caught() {
        let seed = rep_seed(42, 3);
        let good = fill(seed, N);
        assert_eq!(check(&good, 0, seed), (0, 0));
        // Nothing written: zeros.
        assert_eq!(check(&vec![0; N as usize], 0, seed).0, N);
        // Nothing written this repetition: the previous one's words.
        let stale = fill(rep_seed(42, 2), N);
        assert_eq!(check(&stale, 0, seed).0, N);
        // One 16-byte write dropped in the middle.
        let mut dropped = good.clone();
        dropped[1000] = stale[1000];
        dropped[1001] = stale[1001];
        assert_eq!(check(&dropped, 0, seed), (2, 1002));
        // A block written one vector too far (misdirected).
        let mut shifted = good.clone();
        shifted.copy_within(4096..8192, 4098);
        assert_eq!(check(&shifted, 0, seed).0, 4096);
        // One low bit.
        let mut flipped = good;
        flipped[N as usize - 1] ^= 1;
        assert_eq!(check(&flipped, 0, seed), (1, N));
        // A window of a buffer is checked at its own offset.
        assert_eq!(check(&fill(seed, N)[100..200], 100, seed), (0, 0));
    }

    #[test]
    fn every_repetition_has_its_own_seed() {
        let seeds: Vec<u64> = (0..1000).map(|r| rep_seed(7, r)).collect();
        let mut d = seeds.clone();
        d.sort_unstable();
        d.dedup();
        assert_eq!(d.len(), seeds.len());
        assert_ne!(rep_seed(7, u32::MAX), rep_seed(7, 0));
        assert_eq!(slot_of(u32::MAX), SLOTS - 1);
    }

    #[test]
    fn a_wrong_repetition_or_warm_up_fails_naming_it() {
        let mut slots = vec![0u64; 2 * SLOTS];
        assert!(judge(&slots, 5, 100, "device copy").is_ok());
        slots[2 * 3] = 2;
        slots[2 * 3 + 1] = 11;
        let e = judge(&slots, 5, 100, "device copy").unwrap_err();
        assert_eq!(e.blame(), crate::device::Blame::Gpu);
        let text = e.to_string();
        assert!(text.contains("2 of 100 words"), "{text}");
        assert!(text.contains("repetition 4"), "{text}");
        assert!(text.contains("byte 80"), "{text}");
        // Slots past the repetitions are not read, but warm-ups are.
        let mut slots = vec![0u64; 2 * SLOTS];
        slots[2 * 10] = 1;
        assert!(judge(&slots, 5, 100, "x").is_ok());
        slots[2 * (SLOTS - 1)] = 1;
        assert!(judge(&slots, 5, 100, "x")
            .unwrap_err()
            .to_string()
            .contains("warm-up"));
    }

    #[test]
    fn the_kernel_mixes_as_the_host_does() {
        // The kernel's gpuctl_word must compute `word`, or every check on
        // the GPU would fail.
        let src = include_str!("../../kernels/bench.cu");
        assert!(
            src.contains("return seed ^ (i * 0x9E3779B97F4A7C15ull);"),
            "gpuctl_word changed"
        );
        assert_eq!(mix::GOLDEN, 0x9E37_79B9_7F4A_7C15);
        assert_eq!(word(7, 0), 7);
        assert_eq!(word(0, 1), mix::GOLDEN);
    }
}
