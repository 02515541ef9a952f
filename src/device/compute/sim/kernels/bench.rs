//! References of `kernels/bench.cu`: the pattern write and its check
//! ([`bench_pattern::word`]), the 16-byte copy and the empty kernel.
//! The grid-stride sweeps are visited in ascending order; the check's two
//! atomics leave the sum of the bad words and the largest `k + 1`.

use super::{aligned, unknown, Cost, Launch, Mem};
use crate::device::bench_pattern;

pub fn run(kernel: &str, mem: &mut Mem, launch: &Launch) -> Result<Cost, String> {
    match kernel {
        "gpuctl_bench_write" => write(mem, launch),
        "gpuctl_bench_check" => check(mem, launch),
        "gpuctl_bench_copy" => copy(mem, launch),
        "gpuctl_bench_empty" => launch.threads().map(|_| Cost::default()),
        _ => Err(unknown(kernel)),
    }
}

/// `gpuctl_bench_write(p, nvec, seed)`: word k is `word(seed, k)`.
fn write(mem: &mut Mem, l: &Launch) -> Result<Cost, String> {
    l.threads()?;
    let (p, nvec, seed) = (
        aligned("gpuctl_bench_write", l.u64(0)?, 16)?,
        l.u64(1)?,
        l.u64(2)?,
    );
    for k in 0..2 * nvec {
        mem.w64(p + 8 * k, bench_pattern::word(seed, k))?;
    }
    Ok(Cost {
        bytes: 16 * nvec,
        ..Cost::default()
    })
}

/// `gpuctl_bench_check(p, nvec, seed, out)`: out[0] += words that differ,
/// out[1] = max(out[1], 1 + index of the last that differs).
fn check(mem: &mut Mem, l: &Launch) -> Result<Cost, String> {
    l.threads()?;
    let (p, nvec, seed) = (
        aligned("gpuctl_bench_check", l.u64(0)?, 16)?,
        l.u64(1)?,
        l.u64(2)?,
    );
    let out = aligned("gpuctl_bench_check's out", l.u64(3)?, 8)?;
    let words = (0..2 * nvec)
        .map(|k| mem.r64(p + 8 * k))
        .collect::<Result<Vec<u64>, String>>()?;
    let (bad, last) = bench_pattern::check(&words, 0, seed);
    if bad != 0 {
        let n = mem.r64(out)?;
        mem.w64(out, n.wrapping_add(bad))?;
        let m = mem.r64(out + 8)?;
        mem.w64(out + 8, m.max(last))?;
    }
    Ok(Cost {
        bytes: 16 * nvec,
        ..Cost::default()
    })
}

/// `gpuctl_bench_copy(src, dst, nvec)`: 16-byte vectors, ascending.
fn copy(mem: &mut Mem, l: &Launch) -> Result<Cost, String> {
    l.threads()?;
    let src = aligned("gpuctl_bench_copy's source", l.u64(0)?, 16)?;
    let dst = aligned("gpuctl_bench_copy's destination", l.u64(1)?, 16)?;
    let nvec = l.u64(2)?;
    mem.copy(dst, src, 16 * nvec)?;
    Ok(Cost {
        bytes: 32 * nvec,
        ..Cost::default()
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{launch, mem_with, BASE};
    use super::*;
    use crate::device::compute::{Arg, Dim};

    const DIM: Dim = Dim::new(3, 256);
    const OUT: u64 = BASE + (1 << 20);

    #[test]
    fn write_then_check_counts_a_corrupted_word() {
        let mut mem = mem_with(&[]);
        let (nvec, seed) = (1000u64, 0xfeed);
        let args = [Arg::U64(BASE), Arg::U64(nvec), Arg::U64(seed)];
        let cost = run("gpuctl_bench_write", &mut mem, &launch(DIM, &args)).unwrap();
        assert_eq!(cost.bytes, 16_000);
        // Independent: word k is seed ^ k * golden ratio.
        for k in [0u64, 1, 1999] {
            let want = seed ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            assert_eq!(mem.r64(BASE + 8 * k).unwrap(), want);
        }
        assert_eq!(
            mem.r64(BASE + 16 * nvec).unwrap(),
            0,
            "nothing past the end"
        );
        let check = [
            Arg::U64(BASE),
            Arg::U64(nvec),
            Arg::U64(seed),
            Arg::U64(OUT),
        ];
        run("gpuctl_bench_check", &mut mem, &launch(DIM, &check)).unwrap();
        assert_eq!((mem.r64(OUT).unwrap(), mem.r64(OUT + 8).unwrap()), (0, 0));
        // Two corrupted words: counted, and the last one's index + 1.
        mem.w64(BASE + 8 * 17, 0).unwrap();
        mem.w64(BASE + 8 * 1500, 1).unwrap();
        run("gpuctl_bench_check", &mut mem, &launch(DIM, &check)).unwrap();
        assert_eq!(
            (mem.r64(OUT).unwrap(), mem.r64(OUT + 8).unwrap()),
            (2, 1501)
        );
        // Accumulated across launches, as the atomics do.
        run("gpuctl_bench_check", &mut mem, &launch(DIM, &check)).unwrap();
        assert_eq!(
            (mem.r64(OUT).unwrap(), mem.r64(OUT + 8).unwrap()),
            (4, 1501)
        );
    }

    #[test]
    fn copy_moves_vectors_and_empty_moves_nothing() {
        let mut mem = mem_with(&[]);
        for k in 0..64 {
            mem.w64(BASE + 8 * k, k + 1).unwrap();
        }
        let dst = BASE + 4096;
        let args = [Arg::U64(BASE), Arg::U64(dst), Arg::U64(31)];
        let cost = run("gpuctl_bench_copy", &mut mem, &launch(DIM, &args)).unwrap();
        assert_eq!(cost.bytes, 2 * 31 * 16);
        for k in 0..62 {
            assert_eq!(mem.r64(dst + 8 * k).unwrap(), k + 1);
        }
        assert_eq!(mem.r64(dst + 8 * 62).unwrap(), 0);
        let cost = run("gpuctl_bench_empty", &mut mem, &launch(Dim::new(1, 1), &[])).unwrap();
        assert_eq!(cost, Cost::default());
        let misaligned = [Arg::U64(BASE + 8), Arg::U64(dst), Arg::U64(1)];
        assert!(run("gpuctl_bench_copy", &mut mem, &launch(DIM, &misaligned)).is_err());
    }
}
