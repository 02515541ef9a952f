//! The simulated backend's HBM stream for `burn --mode mixed`: each batch
//! really fills a small destination with bench's per-word pattern and
//! checks it with the host's model of `gpuctl_bench_check`, so a fixture's
//! streaming fault goes through the same check the GPU's words would.

use super::bench_pattern;
use super::burn::BatchResult;

/// Words of the small destination the simulation really checks.
const SIM_WORDS: u64 = 4096;

/// Adds one batch's streaming to `r`: bytes moved at `gbps` (read plus
/// written) over the batch, the destination's bytes verified, and the wrong
/// words found (one corrupted word when `corrupt`).
pub(super) fn add_batch(r: &mut BatchResult, gbps: f64, seed: u64, corrupt: bool) {
    let mut words = bench_pattern::fill(seed, SIM_WORDS);
    if corrupt {
        if let Some(w) = words.get_mut((SIM_WORDS / 2) as usize) {
            *w ^= 1 << 17;
        }
    }
    let (bad, _) = bench_pattern::check(&words, 0, seed);
    let seconds = r.batch_seconds;
    let moved = (gbps.max(0.0) * 1e9 * seconds) as u64 / 32 * 32;
    r.stream_bytes = moved;
    r.stream_bytes_verified = moved / 2;
    r.stream_mismatched_words = bad;
    r.stream_seconds = seconds;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupted_word_is_found_by_the_pattern_check() {
        let mut r = BatchResult {
            batch_seconds: 0.5,
            ..BatchResult::default()
        };
        add_batch(&mut r, 2000.0, 7, false);
        assert_eq!(r.stream_mismatched_words, 0);
        assert_eq!(r.stream_bytes, 1_000_000_000_000);
        assert_eq!(r.stream_bytes_verified, r.stream_bytes / 2);
        add_batch(&mut r, 2000.0, 7, true);
        assert_eq!(r.stream_mismatched_words, 1);
    }
}
