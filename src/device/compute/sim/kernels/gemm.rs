//! References of `kernels/gemm.cu`: the built-in GEMMs, the operand fills,
//! the compare, checksum and count-nonzero kernels.
//!
//! The SIMT GEMMs (`gpuctl_gemm_f32`, `_f64`) are exact: each thread
//! accumulates its element with one fused multiply-add per k, in k order,
//! from zero (the PTX is built with `--fmad=false`), which `mul_add` here
//! reproduces bit for bit. The tensor-core GEMMs (bf16, fp16, tf32) are not:
//! `mma.sync` adds its products in an order and at an internal precision
//! PTX does not specify. Their reference sums the exact products (bf16 and
//! fp16 operands as stored, tf32 operands rounded as `cvt.rna.tf32.f32`
//! rounds them) in f64 and rounds once to f32; the parity check compares
//! them within a tolerance. Every GEMM writes the whole C: the kernels'
//! grid is (N / 128, M / 128), and [`Dim`](crate::device::compute::Dim)
//! carries only x, which must be N / 128 (y is taken as M / 128).

use super::{aligned, read_elems, unknown, write_elems, Cost, Launch, Mem};
use crate::device::burn_engine::verify;
use rayon::prelude::*;

/// Threads per block the reductions and SIMT tiles are written for.
const BLOCK: u32 = 256;
/// Threads per block of the tensor-core tiles.
const TC_BLOCK: u32 = 128;
/// Rows and columns of C per block tile.
const TILE: u64 = 128;

pub fn run(kernel: &str, mem: &mut Mem, launch: &Launch) -> Result<Cost, String> {
    match kernel {
        "gpuctl_gemm_bf16" => gemm(mem, launch, Operand::Bf16),
        "gpuctl_gemm_fp16" => gemm(mem, launch, Operand::F16),
        "gpuctl_gemm_tf32" => gemm(mem, launch, Operand::Tf32),
        "gpuctl_gemm_f32" => gemm(mem, launch, Operand::F32),
        "gpuctl_gemm_f64" => gemm(mem, launch, Operand::F64),
        "gpuctl_fill_bf16" => fill(mem, launch, kernel, 2, |i, s| {
            u64::from(verify::f32_to_bf16(verify::fill_value_f32(i, s)))
        }),
        "gpuctl_fill_f16" => fill(mem, launch, kernel, 2, |i, s| {
            u64::from(verify::f32_to_f16(verify::fill_value_f32(i, s)))
        }),
        "gpuctl_fill_f32" => fill(mem, launch, kernel, 4, |i, s| {
            u64::from(verify::fill_value_f32(i, s).to_bits())
        }),
        "gpuctl_fill_f64" => fill(mem, launch, kernel, 8, |i, s| {
            verify::fill_value_f64(i, s).to_bits()
        }),
        "gpuctl_compare_f32" => compare(mem, launch, kernel, false),
        "gpuctl_compare_f64" => compare(mem, launch, kernel, true),
        "gpuctl_checksum_mix64" => checksum(mem, launch),
        "gpuctl_count_nonzero" => count_nonzero(mem, launch),
        _ => Err(unknown(kernel)),
    }
}

/// How a GEMM stores and multiplies its operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operand {
    Bf16,
    F16,
    Tf32,
    F32,
    F64,
}

impl Operand {
    fn bytes(self) -> u32 {
        match self {
            Operand::Bf16 | Operand::F16 => 2,
            Operand::Tf32 | Operand::F32 => 4,
            Operand::F64 => 8,
        }
    }

    /// Tensor-core kernels: 128 threads, K a multiple of one stage.
    fn tensor_core(self) -> bool {
        matches!(self, Operand::Bf16 | Operand::F16 | Operand::Tf32)
    }

    /// K granularity of the kernel's pipeline.
    fn k_step(self) -> u64 {
        match self {
            Operand::Bf16 | Operand::F16 => 32,
            Operand::Tf32 => 16,
            Operand::F32 | Operand::F64 => 8,
        }
    }

    /// A stored element as the tensor core multiplies it.
    fn value(self, bits: u64) -> f64 {
        match self {
            Operand::Bf16 => f64::from(verify::bf16_to_f32(bits as u16)),
            Operand::F16 => verify::f16_to_f64(bits as u16),
            Operand::Tf32 => f64::from(f32::from_bits(tf32_rna(bits as u32))),
            Operand::F32 => f64::from(f32::from_bits(bits as u32)),
            Operand::F64 => f64::from_bits(bits),
        }
    }
}

/// `cvt.rna.tf32.f32`: 10 mantissa bits, to nearest, ties away from zero
/// (NaN and infinity kept).
fn tf32_rna(x: u32) -> u32 {
    if (x >> 23) & 0xFF == 0xFF {
        return x;
    }
    x.wrapping_add(0x1000) & !0x1FFF
}

/// `gpuctl_gemm_*(A, B, C, M, N, K)`: C[m][n] = sum_k A[m][k] * B[n][k].
fn gemm(mem: &mut Mem, l: &Launch, op: Operand) -> Result<Cost, String> {
    let name = "a built-in GEMM";
    let block = if op.tensor_core() { TC_BLOCK } else { BLOCK };
    l.require_block(name, block)?;
    let (a, b, c) = (
        aligned("GEMM operand A", l.u64(0)?, 16)?,
        aligned("GEMM operand B", l.u64(1)?, 16)?,
        aligned("GEMM result C", l.u64(2)?, 16)?,
    );
    let dims = [l.arg(3)?.i32(), l.arg(4)?.i32(), l.arg(5)?.i32()];
    let [m, n, k] = dims.map(|d| d.max(0) as u64);
    if dims.iter().any(|&d| d <= 0) || m % TILE != 0 || n % TILE != 0 || k % op.k_step() != 0 {
        return Err(format!(
            "GEMM {m} x {n} x {k}: M and N must be multiples of {TILE}, K of {}",
            op.k_step()
        ));
    }
    if u64::from(l.dim.grid) != n / TILE {
        return Err(format!(
            "GEMM grid of {} blocks in x for N = {n}: the kernel needs N / {TILE}",
            l.dim.grid
        ));
    }
    let es = op.bytes();
    let av = read_elems(mem, a, es, m * k)?;
    let bv = read_elems(mem, b, es, n * k)?;
    let (m, n, k) = (m as usize, n as usize, k as usize);
    let out: Vec<u64> = match op {
        Operand::F32 => {
            let (af, bf) = (as_f32(&av), as_f32(&bv));
            products(m, n, |i, j| {
                let (ar, br) = (&af[i * k..(i + 1) * k], &bf[j * k..(j + 1) * k]);
                let acc = ar
                    .iter()
                    .zip(br)
                    .fold(0f32, |acc, (x, y)| x.mul_add(*y, acc));
                u64::from(acc.to_bits())
            })
        }
        Operand::F64 => {
            let (af, bf): (Vec<f64>, Vec<f64>) = (
                av.iter().map(|&w| f64::from_bits(w)).collect(),
                bv.iter().map(|&w| f64::from_bits(w)).collect(),
            );
            products(m, n, |i, j| {
                let (ar, br) = (&af[i * k..(i + 1) * k], &bf[j * k..(j + 1) * k]);
                ar.iter()
                    .zip(br)
                    .fold(0f64, |acc, (x, y)| x.mul_add(*y, acc))
                    .to_bits()
            })
        }
        _ => {
            let af: Vec<f64> = av.iter().map(|&w| op.value(w)).collect();
            let bf: Vec<f64> = bv.iter().map(|&w| op.value(w)).collect();
            products(m, n, |i, j| {
                let (ar, br) = (&af[i * k..(i + 1) * k], &bf[j * k..(j + 1) * k]);
                let sum: f64 = ar.iter().zip(br).map(|(x, y)| x * y).sum();
                u64::from((sum as f32).to_bits())
            })
        }
    };
    let out_bytes = if op == Operand::F64 { 8 } else { 4 };
    write_elems(mem, c, out_bytes, &out)?;
    let (m, n, k) = (m as u64, n as u64, k as u64);
    Ok(Cost {
        bytes: (m + n) * k * u64::from(es) + m * n * u64::from(out_bytes),
        flops: 2 * m * n * k,
        wait_ns: 0.0,
    })
}

fn as_f32(bits: &[u64]) -> Vec<f32> {
    bits.iter().map(|&w| f32::from_bits(w as u32)).collect()
}

/// C row by row (rows in parallel), `entry(row, col)` each.
fn products(m: usize, n: usize, entry: impl Fn(usize, usize) -> u64 + Sync) -> Vec<u64> {
    let mut out = vec![0u64; m * n];
    out.par_chunks_mut(n.max(1))
        .enumerate()
        .for_each(|(i, row)| {
            for (j, v) in row.iter_mut().enumerate() {
                *v = entry(i, j);
            }
        });
    out
}

/// `gpuctl_fill_*(p, n, seed)`: element i is `value(i, seed)`.
fn fill(
    mem: &mut Mem,
    l: &Launch,
    kernel: &str,
    bytes: u32,
    value: impl Fn(u64, u32) -> u64 + Sync,
) -> Result<Cost, String> {
    l.threads()?;
    let p = aligned(kernel, l.u64(0)?, u64::from(bytes))?;
    let (n, seed) = (l.u64(1)?, l.u32(2)?);
    let values: Vec<u64> = (0..n).into_par_iter().map(|i| value(i, seed)).collect();
    write_elems(mem, p, bytes, &values)?;
    Ok(Cost {
        bytes: n * u64::from(bytes),
        ..Cost::default()
    })
}

/// `gpuctl_compare_f32/_f64(c, ref, n, rel_tol, mismatches, checksum)`:
/// a mismatch unless |c - ref| <= rel_tol * |ref| (NaN counts), in the
/// element type's arithmetic; the checksum adds the bit patterns of c.
fn compare(mem: &mut Mem, l: &Launch, kernel: &str, f64_elems: bool) -> Result<Cost, String> {
    l.require_block(kernel, BLOCK)?;
    let es = if f64_elems { 8 } else { 4 };
    let c = aligned(kernel, l.u64(0)?, u64::from(es))?;
    let r = aligned(kernel, l.u64(1)?, u64::from(es))?;
    let n = l.u64(2)?;
    let tol = l.arg(3)?;
    let mism_at = aligned("compare's mismatch count", l.u64(4)?, 8)?;
    let sum_at = aligned("compare's checksum", l.u64(5)?, 8)?;
    let (cv, rv) = (read_elems(mem, c, es, n)?, read_elems(mem, r, es, n)?);
    let bad = |(x, y): (&u64, &u64)| -> bool {
        if f64_elems {
            let (x, y) = (f64::from_bits(*x), f64::from_bits(*y));
            let within = (x - y).abs() <= tol.f64() * y.abs();
            !within
        } else {
            let (x, y) = (f32::from_bits(*x as u32), f32::from_bits(*y as u32));
            let within = (x - y).abs() <= tol.f32() * y.abs();
            !within
        }
    };
    let mismatches = cv.iter().zip(&rv).filter(|p| bad(*p)).count() as u64;
    let sum = cv.iter().fold(0u64, |s, &w| s.wrapping_add(w));
    if mismatches != 0 {
        let v = mem.r64(mism_at)?;
        mem.w64(mism_at, v.wrapping_add(mismatches))?;
    }
    let v = mem.r64(sum_at)?;
    mem.w64(sum_at, v.wrapping_add(sum))?;
    Ok(Cost {
        bytes: 2 * n * u64::from(es),
        flops: 3 * n,
        wait_ns: 0.0,
    })
}

/// `gpuctl_checksum_mix64(p, nwords, out)`: *out += the checksum of
/// [`verify::checksum`].
fn checksum(mem: &mut Mem, l: &Launch) -> Result<Cost, String> {
    l.require_block("gpuctl_checksum_mix64", BLOCK)?;
    let p = aligned("gpuctl_checksum_mix64", l.u64(0)?, 16)?;
    let nwords = l.u64(1)?;
    let out = aligned("gpuctl_checksum_mix64's out", l.u64(2)?, 8)?;
    let words = read_elems(mem, p, 8, nwords)?;
    let v = mem.r64(out)?;
    mem.w64(out, v.wrapping_add(verify::checksum(&words)))?;
    Ok(Cost {
        bytes: 8 * nwords,
        ..Cost::default()
    })
}

/// `gpuctl_count_nonzero(p, nwords, out)`: *out += words that are not 0.
fn count_nonzero(mem: &mut Mem, l: &Launch) -> Result<Cost, String> {
    l.require_block("gpuctl_count_nonzero", BLOCK)?;
    let p = aligned("gpuctl_count_nonzero", l.u64(0)?, 8)?;
    let nwords = l.u64(1)?;
    let out = aligned("gpuctl_count_nonzero's out", l.u64(2)?, 8)?;
    let nonzero = read_elems(mem, p, 8, nwords)?
        .iter()
        .filter(|&&w| w != 0)
        .count() as u64;
    let v = mem.r64(out)?;
    mem.w64(out, v.wrapping_add(nonzero))?;
    Ok(Cost {
        bytes: 8 * nwords,
        ..Cost::default()
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{launch, mem_with, BASE};
    use super::*;
    use crate::device::compute::{Arg, Dim};

    const STRIDE: Dim = Dim::new(4, 256);
    const OUT: u64 = BASE + (1 << 20);

    fn fill_args(p: u64, n: u64, seed: u32) -> [Arg; 3] {
        [Arg::U64(p), Arg::U64(n), Arg::U32(seed)]
    }

    #[test]
    fn fills_write_the_burn_engines_operands() {
        let mut mem = mem_with(&[]);
        let n = 1001; // a tail that ends inside a word
        run(
            "gpuctl_fill_bf16",
            &mut mem,
            &launch(STRIDE, &fill_args(BASE, n, 9)),
        )
        .unwrap();
        for i in [0u64, 1, 2, 3, 1000] {
            let bits = mem.r16(BASE + 2 * i).unwrap();
            // Independent: within bf16's rounding of the f32 value, which
            // is k * 2^-23 - 1 for an odd k.
            let f = verify::fill_value_f32(i, 9);
            assert!((f32::from_bits(u32::from(bits) << 16) - f).abs() <= f.abs() / 256.0);
        }
        assert_eq!(mem.r16(BASE + 2 * n).unwrap(), 0, "nothing past n");
        for (kernel, bytes) in [
            ("gpuctl_fill_f16", 2),
            ("gpuctl_fill_f32", 4),
            ("gpuctl_fill_f64", 8),
        ] {
            run(kernel, &mut mem, &launch(STRIDE, &fill_args(BASE, 3, 9))).unwrap();
            let v = mem.read(BASE + 2 * bytes, bytes as u32).unwrap();
            let want = match bytes {
                2 => u64::from(verify::f32_to_f16(verify::fill_value_f32(2, 9))),
                4 => u64::from(verify::fill_value_f32(2, 9).to_bits()),
                _ => verify::fill_value_f64(2, 9).to_bits(),
            };
            assert_eq!(v, want, "{kernel}");
        }
        // f32 values are k * 2^-23 - 1: odd k, so never 0 and in [-1, 1).
        let v = mem.rf64(BASE).unwrap();
        assert!((-1.0..1.0).contains(&v) && v != 0.0);
    }

    /// Uploads row-major operands and runs `kernel` over them.
    fn gemm_of(kernel: &str, a: &[u64], b: &[u64], es: u32, mnk: (u64, u64, u64)) -> Mem {
        let mut mem = mem_with(&[]);
        let (pa, pb, pc) = (BASE, BASE + (256 << 10), BASE + (512 << 10));
        write_elems(&mut mem, pa, es, a).unwrap();
        write_elems(&mut mem, pb, es, b).unwrap();
        let block = if ["gpuctl_gemm_f32", "gpuctl_gemm_f64"].contains(&kernel) {
            256
        } else {
            128
        };
        let args = [
            Arg::U64(pa),
            Arg::U64(pb),
            Arg::U64(pc),
            Arg::I32(mnk.0 as i32),
            Arg::I32(mnk.1 as i32),
            Arg::I32(mnk.2 as i32),
        ];
        let cost = run(
            kernel,
            &mut mem,
            &launch(Dim::new((mnk.1 / 128) as u32, block), &args),
        )
        .unwrap();
        assert_eq!(cost.flops, 2 * mnk.0 * mnk.1 * mnk.2);
        mem
    }

    #[test]
    fn the_simt_gemm_accumulates_in_k_order_with_fused_multiply_adds() {
        let (m, n, k) = (128u64, 256, 8);
        // A = I-like: row i has 1.0 at k = i % 8; B[j][k] = j + k / 4.
        let a: Vec<u64> = (0..m * k)
            .map(|x| u64::from(if x % k == (x / k) % k { 1f32 } else { 0f32 }.to_bits()))
            .collect();
        let b: Vec<u64> = (0..n * k)
            .map(|x| u64::from(((x / k) as f32 + (x % k) as f32 / 4.0).to_bits()))
            .collect();
        let mem = gemm_of("gpuctl_gemm_f32", &a, &b, 4, (m, n, k));
        let c = |i: u64, j: u64| mem.rf32(BASE + (512 << 10) + 4 * (i * n + j)).unwrap();
        assert_eq!(c(0, 0), 0.0);
        assert_eq!(c(3, 10), 10.75);
        assert_eq!(c(127, 255), 255.0 + 7.0 / 4.0);
        // k order with fused multiply-adds: a0 * b0 = 1 + 2^-11 + 2^-24
        // rounds to 1 + 2^-11 (acc after k = 0); then fma(a1, b1, acc)
        // adds -(1 + 2^-11 + 2^-24) unrounded: -2^-24. Rounding each
        // product first, or summing exactly, would give 0.
        let h = 1.0 + 2f32.powi(-12);
        let mut a = vec![0u64; (m * k) as usize];
        let mut b = vec![0u64; (n * k) as usize];
        a[0] = u64::from(h.to_bits());
        a[1] = u64::from((-h).to_bits());
        b[0] = u64::from(h.to_bits());
        b[1] = u64::from(h.to_bits());
        let mem = gemm_of("gpuctl_gemm_f32", &a, &b, 4, (m, n, k));
        assert_eq!(mem.rf32(BASE + (512 << 10)).unwrap(), -(2f32.powi(-24)));
    }

    #[test]
    fn f64_and_tensor_core_gemms_compute_the_product() {
        let (m, n, k) = (128u64, 128, 32);
        let a: Vec<u64> = (0..m * k)
            .map(|x| verify::fill_value_f64(x, 1).to_bits())
            .collect();
        let b: Vec<u64> = (0..n * k)
            .map(|x| verify::fill_value_f64(x, 2).to_bits())
            .collect();
        let mem = gemm_of("gpuctl_gemm_f64", &a, &b, 8, (m, n, k));
        let want: f64 = (0..k as usize)
            .map(|x| f64::from_bits(a[5 * 32 + x]) * f64::from_bits(b[7 * 32 + x]))
            .sum();
        let got = mem.rf64(BASE + (512 << 10) + 8 * (5 * n + 7)).unwrap();
        assert!((got - want).abs() < 1e-12, "{got} {want}");
        // bf16 operands: products of values with 8-bit mantissas are exact.
        let a16: Vec<u64> = (0..m * k)
            .map(|x| u64::from(verify::f32_to_bf16(verify::fill_value_f32(x, 1))))
            .collect();
        let b16: Vec<u64> = (0..n * k)
            .map(|x| u64::from(verify::f32_to_bf16(verify::fill_value_f32(x, 2))))
            .collect();
        let mem = gemm_of("gpuctl_gemm_bf16", &a16, &b16, 2, (m, n, k));
        let want: f64 = (0..k as usize)
            .map(|x| {
                f64::from(verify::bf16_to_f32(a16[32 + x] as u16))
                    * f64::from(verify::bf16_to_f32(b16[64 + x] as u16))
            })
            .sum();
        let got = mem.rf32(BASE + (512 << 10) + 4 * (n + 2)).unwrap();
        assert_eq!(got, want as f32);
        // tf32 rounds its operands to 10 mantissa bits, ties away.
        assert_eq!(tf32_rna(0x3F80_1000), 0x3F80_2000);
        assert_eq!(tf32_rna(0x3F80_0FFF), 0x3F80_0000);
        assert_eq!(tf32_rna(0xBF80_1000), 0xBF80_2000);
        // A launch the kernel cannot run is refused.
        let mut mem = mem_with(&[]);
        let bad = [
            Arg::U64(BASE),
            Arg::U64(BASE),
            Arg::U64(BASE),
            Arg::I32(128),
            Arg::I32(128),
            Arg::I32(20),
        ];
        assert!(run(
            "gpuctl_gemm_bf16",
            &mut mem,
            &launch(Dim::new(1, 128), &bad)
        )
        .is_err());
    }

    #[test]
    fn compare_counts_a_wrong_element_and_sums_the_bits() {
        let mut mem = mem_with(&[]);
        let (c, r) = (BASE, BASE + 4096);
        let refs = [1.0f32, -2.0, 3.0, 4.0, 5.0];
        let mut got = refs;
        got[1] = -2.0 * (1.0 + 1e-3); // beyond 1e-4
        got[2] = 3.0 * (1.0 + 1e-5); // within
        got[4] = f32::NAN;
        let bits = |v: &[f32]| {
            v.iter()
                .map(|x| u64::from(x.to_bits()))
                .collect::<Vec<u64>>()
        };
        write_elems(&mut mem, c, 4, &bits(&got)).unwrap();
        write_elems(&mut mem, r, 4, &bits(&refs)).unwrap();
        let args = [
            Arg::U64(c),
            Arg::U64(r),
            Arg::U64(5),
            Arg::F32(1e-4),
            Arg::U64(OUT),
            Arg::U64(OUT + 8),
        ];
        run(
            "gpuctl_compare_f32",
            &mut mem,
            &launch(Dim::new(1, 256), &args),
        )
        .unwrap();
        assert_eq!(mem.r64(OUT).unwrap(), 2, "the wrong element and the NaN");
        let sum = got.iter().fold(0u64, |s, x| s + u64::from(x.to_bits()));
        assert_eq!(mem.r64(OUT + 8).unwrap(), sum);
        // f64, with the tolerance as a double.
        let mut mem = mem_with(&[]);
        write_elems(&mut mem, c, 8, &[1.5f64.to_bits(), 2.0f64.to_bits()]).unwrap();
        write_elems(&mut mem, r, 8, &[1.5f64.to_bits(), 2.5f64.to_bits()]).unwrap();
        let args = [
            Arg::U64(c),
            Arg::U64(r),
            Arg::U64(2),
            Arg::F64(0.1),
            Arg::U64(OUT),
            Arg::U64(OUT + 8),
        ];
        run(
            "gpuctl_compare_f64",
            &mut mem,
            &launch(Dim::new(1, 256), &args),
        )
        .unwrap();
        assert_eq!(mem.r64(OUT).unwrap(), 1);
        assert_eq!(
            mem.r64(OUT + 8).unwrap(),
            1.5f64.to_bits().wrapping_add(2.0f64.to_bits())
        );
    }

    #[test]
    fn checksum_mixes_each_word_with_its_index_and_count_nonzero_sees_a_partial_wipe() {
        let mut mem = mem_with(&[]);
        let words: Vec<u64> = (0..101).map(|i| i * 3 + 1).collect();
        write_elems(&mut mem, BASE, 8, &words).unwrap();
        let args = [Arg::U64(BASE), Arg::U64(101), Arg::U64(OUT)];
        run("gpuctl_checksum_mix64", &mut mem, &launch(STRIDE, &args)).unwrap();
        // Independent: murmur3 fmix64 of word ^ index * golden ratio.
        let want = words.iter().enumerate().fold(0u64, |s, (i, &w)| {
            s.wrapping_add(crate::device::mix::fmix64(
                w ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            ))
        });
        assert_eq!(mem.r64(OUT).unwrap(), want);
        // Wipe the first 60 words: 41 left.
        write_elems(&mut mem, BASE, 8, &[0; 60]).unwrap();
        let args = [Arg::U64(BASE), Arg::U64(101), Arg::U64(OUT + 8)];
        run("gpuctl_count_nonzero", &mut mem, &launch(STRIDE, &args)).unwrap();
        assert_eq!(mem.r64(OUT + 8).unwrap(), 41);
        assert!(run(
            "gpuctl_count_nonzero",
            &mut mem,
            &launch(Dim::new(1, 64), &args)
        )
        .is_err());
    }
}
