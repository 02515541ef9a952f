//! Reference of `kernels/selftest.cu`: `out[i]` is
//! [`kernels::selftest_element`] for every thread below `n`, and each
//! block's sum is written, 0 for a block past `n` (its threads add zeros).

use super::{aligned, unknown, write_elems, Cost, Launch, Mem};
use crate::kernels::{self, SELFTEST_BLOCK, SELFTEST_ENTRY};

pub fn run(kernel: &str, mem: &mut Mem, launch: &Launch) -> Result<Cost, String> {
    if kernel != SELFTEST_ENTRY {
        return Err(unknown(kernel));
    }
    launch.require_block(kernel, SELFTEST_BLOCK)?;
    let out = aligned("gpuctl_selftest's out", launch.u64(0)?, 4)?;
    let sums = aligned("gpuctl_selftest's block sums", launch.u64(1)?, 4)?;
    let (n, iters, seed) = (launch.u32(2)?, launch.u32(3)?, launch.u32(4)?);
    let grid = u64::from(launch.dim.grid);
    // Threads past the grid never run: their elements stay as they were.
    let covered = u64::from(n).min(grid * u64::from(SELFTEST_BLOCK)) as u32;
    let (values, block_sums) = kernels::selftest_reference(covered, iters, seed, SELFTEST_BLOCK);
    let values: Vec<u64> = values.into_iter().map(u64::from).collect();
    write_elems(mem, out, 4, &values)?;
    let block_sums: Vec<u64> = (0..grid as usize)
        .map(|b| block_sums.get(b).copied().map_or(0, u64::from))
        .collect();
    write_elems(mem, sums, 4, &block_sums)?;
    Ok(Cost {
        bytes: 4 * (u64::from(covered) + grid),
        // Per iteration one multiply and one fused multiply-add.
        flops: 3 * u64::from(covered) * u64::from(iters),
        wait_ns: 0.0,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{launch, mem_with, BASE};
    use super::*;
    use crate::device::compute::{Arg, Dim};

    #[test]
    fn out_and_block_sums_are_the_kernels() {
        let mut mem = mem_with(&[]);
        let (out, sums) = (BASE, BASE + (1 << 20));
        let n = 600u32; // 3 blocks, the last partial; a 4th past n
        let args = [
            Arg::U64(out),
            Arg::U64(sums),
            Arg::U32(n),
            Arg::U32(256),
            Arg::U32(0xC0FFEE),
        ];
        for w in 0..2 {
            mem.w64(sums + 8 * w, u64::MAX).unwrap();
        }
        run(SELFTEST_ENTRY, &mut mem, &launch(Dim::new(4, 256), &args)).unwrap();
        let got: Vec<u32> = (0..u64::from(n))
            .map(|i| mem.r32(out + 4 * i).unwrap())
            .collect();
        for (i, v) in got.iter().enumerate() {
            assert_eq!(*v, kernels::selftest_element(i as u32, 256, 0xC0FFEE));
        }
        assert_eq!(mem.r32(out + 4 * 600).unwrap(), 0, "nothing past n");
        for b in 0..3usize {
            let want = got[b * 256..((b + 1) * 256).min(600)]
                .iter()
                .fold(0u32, |s, v| s.wrapping_add(*v));
            assert_eq!(mem.r32(sums + 4 * b as u64).unwrap(), want, "block {b}");
        }
        assert_eq!(
            mem.r32(sums + 12).unwrap(),
            0,
            "a block past n sums nothing"
        );
        // Independent: the hand-computed first element (kernels.rs).
        let one = [
            Arg::U64(out),
            Arg::U64(sums),
            Arg::U32(1),
            Arg::U32(1),
            Arg::U32(1),
        ];
        run(SELFTEST_ENTRY, &mut mem, &launch(Dim::new(1, 256), &one)).unwrap();
        assert_eq!(mem.r32(out).unwrap(), 0x3B5C_64F1);
        assert_eq!(mem.r32(sums).unwrap(), 0x3B5C_64F1);
        // The reduction is written for 256 threads.
        assert!(run(SELFTEST_ENTRY, &mut mem, &launch(Dim::new(8, 128), &args)).is_err());
    }
}
