//! How a burn knows its results are right, in plain Rust (no GPU): the
//! checksum the GPU kernel computes, the operands the fill kernels write (so
//! the host can recompute entries of C), the reference anchor's tolerance,
//! and the shapes of injected faults.
//!
//! The GPU kernels in kernels/gemm.cu implement the same functions; unit
//! tests here prove each fault shape changes the checksum, and the
//! simulated backend uses the same model.

use crate::device::burn::{AnchorResult, Dtype, FaultKind};

pub use crate::device::mix::fmix64;
/// Multiplier of the index in the checksum (kernels/gemm.cu CHECKSUM_GOLDEN).
pub use crate::device::mix::GOLDEN;

/// One word's term of the checksum.
pub fn checksum_term(index: u64, word: u64) -> u64 {
    fmix64(word ^ index.wrapping_mul(GOLDEN))
}

/// `gpuctl_checksum_mix64` over little-endian 64-bit words.
pub fn checksum(words: &[u64]) -> u64 {
    words.iter().enumerate().fold(0u64, |s, (i, &w)| {
        s.wrapping_add(checksum_term(i as u64, w))
    })
}

/// The checksum after replacing some words, from the clean checksum in
/// O(changed words): what a fault does to it.
pub fn checksum_after(clean: u64, changes: &[(u64, u64, u64)]) -> u64 {
    changes.iter().fold(clean, |s, &(i, old, new)| {
        s.wrapping_sub(checksum_term(i, old))
            .wrapping_add(checksum_term(i, new))
    })
}

// ---------------------------------------------------------------------------
// Operands, as the fill kernels write them.

/// `fill_hash` of kernels/gemm.cu (splitmix64 finaliser of index and seed).
pub fn fill_hash(i: u64, seed: u32) -> u64 {
    crate::device::mix::splitmix64_finish(
        i.wrapping_mul(GOLDEN)
            .wrapping_add(u64::from(seed).wrapping_mul(0xD1B5_4A32_D192_ED03))
            .wrapping_add(0x632B_E59B_D9B4_E019),
    )
}

/// `fill_value_f32`: k * 2^-23 - 1 for an odd k < 2^24, exact in f32.
pub fn fill_value_f32(i: u64, seed: u32) -> f32 {
    let k = ((fill_hash(i, seed) >> 40) as u32) | 1;
    k as f32 * 1.192_092_9e-7 - 1.0
}

/// `f32_to_bf16_rne` (finite inputs).
pub fn f32_to_bf16(f: f32) -> u16 {
    let mut u = f.to_bits();
    u = u.wrapping_add(0x7FFF + ((u >> 16) & 1));
    (u >> 16) as u16
}

pub fn bf16_to_f32(b: u16) -> f32 {
    f32::from_bits(u32::from(b) << 16)
}

/// `f32_to_f16_rne` of kernels/gemm.cu.
pub fn f32_to_f16(f: f32) -> u16 {
    let u = f.to_bits();
    let sign = (u >> 16) & 0x8000;
    let exp = ((u >> 23) & 0xFF) as i32 - 127 + 15;
    let mut mant = u & 0x7F_FFFF;
    if (u >> 23) & 0xFF == 0xFF {
        return (sign | 0x7C00 | if mant != 0 { 0x200 } else { 0 }) as u16;
    }
    if exp >= 31 {
        return (sign | 0x7C00) as u16;
    }
    if exp <= 0 {
        if exp < -10 {
            return sign as u16;
        }
        mant |= 0x80_0000;
        let shift = (14 - exp) as u32;
        let mut h = mant >> shift;
        let rem = mant & ((1 << shift) - 1);
        let half = 1 << (shift - 1);
        if rem > half || (rem == half && h & 1 != 0) {
            h += 1;
        }
        return (sign | h) as u16;
    }
    let mut h = ((exp as u32) << 10) | (mant >> 13);
    let rem = mant & 0x1FFF;
    if rem > 0x1000 || (rem == 0x1000 && h & 1 != 0) {
        h += 1;
    }
    (sign | h) as u16
}

pub fn f16_to_f64(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1F);
    let mant = f64::from(h & 0x3FF);
    let mag = match exp {
        0 => mant * 2f64.powi(-24),
        31 => f64::INFINITY,
        e => (1024.0 + mant) * 2f64.powi(e - 25),
    };
    sign * mag
}

/// `gpuctl_fill_f64`: k * 2^-52 - 1 for an odd k < 2^53.
pub fn fill_value_f64(i: u64, seed: u32) -> f64 {
    let k = (fill_hash(i, seed) >> 11) | 1;
    k as f64 * 2f64.powi(-52) - 1.0
}

/// Element `i` of an operand filled with `seed`, as the GEMM reads it
/// (tf32 before its own rounding: the tolerance covers that).
pub fn operand(dtype: Dtype, i: u64, seed: u32) -> f64 {
    match dtype {
        Dtype::Bf16 => f64::from(bf16_to_f32(f32_to_bf16(fill_value_f32(i, seed)))),
        Dtype::Fp16 => f16_to_f64(f32_to_f16(fill_value_f32(i, seed))),
        Dtype::Tf32 | Dtype::Fp32 => f64::from(fill_value_f32(i, seed)),
        Dtype::Fp64 => fill_value_f64(i, seed),
    }
}

/// Unit roundoff of the operands as the engine rounds them (0 where the
/// fill values are already exact in the operand type) and of accumulation.
fn roundoff(dtype: Dtype) -> (f64, f64) {
    match dtype {
        Dtype::Bf16 | Dtype::Fp16 | Dtype::Fp32 => (0.0, 2f64.powi(-24)),
        Dtype::Tf32 => (2f64.powi(-11), 2f64.powi(-24)),
        Dtype::Fp64 => (0.0, 2f64.powi(-53)),
    }
}

/// Rows (and as many columns) of C whose crossings the host recomputes:
/// 16 x 16 = 256 entries.
pub const ANCHOR_LINES: u64 = 16;

/// The entries of C the host recomputes: [`ANCHOR_LINES`] distinct rows
/// crossed with as many distinct columns, drawn from `seed` (the run's), so
/// each run looks at other places. The anchor catches a *deterministic*
/// datapath fault, one that gives the same wrong answer every time and so
/// agrees with itself in the checksums: a broken tensor-core lane, a stuck
/// bit of an accumulator or a wrong tile corrupts entries across the matrix
/// and is hit by one of the 256; a fault confined to a share f of the rows
/// (or columns) escapes one run with probability (1 - f)^16, and a fixed
/// choice of positions would let it escape every run.
pub fn anchor_positions(n: u64, seed: u64) -> Vec<(u64, u64)> {
    let draw = |salt: u64| -> Vec<u64> {
        let want = ANCHOR_LINES.min(n) as usize;
        let mut picked: Vec<u64> = Vec::with_capacity(want);
        let mut k = 0u64;
        while picked.len() < want {
            k += 1;
            let v = crate::device::mix::fmix64(
                seed ^ salt ^ k.wrapping_mul(crate::device::mix::GOLDEN),
            ) % n;
            if !picked.contains(&v) {
                picked.push(v);
            }
        }
        picked
    };
    let (rows, cols) = (draw(0x524F_5753), draw(0x434F_4C53));
    rows.iter()
        .flat_map(|&i| cols.iter().map(move |&j| (i, j)))
        .collect()
}

/// C[i][j] = sum_k A[i][k] * B[j][k] in f64 from the known operands, and
/// the absolute tolerance the engine's rounding allows for it: a generous
/// multiple of the accumulation error bound (unit roundoff x sum of |terms|)
/// plus the operands' own rounding (random in sign, so it grows with the
/// root of the sum of squares).
pub fn host_entry(dtype: Dtype, n: u64, seeds: (u32, u32), i: u64, j: u64) -> (f64, f64) {
    let (u_in, u_acc) = roundoff(dtype);
    let (mut sum, mut abs, mut sq) = (0.0f64, 0.0f64, 0.0f64);
    for k in 0..n {
        let t = operand(dtype, i * n + k, seeds.0) * operand(dtype, j * n + k, seeds.1);
        sum += t;
        abs += t.abs();
        sq += t * t;
    }
    // 64 x: tensor cores may truncate rather than round when they
    // accumulate, so errors can add up in one direction.
    let tol = 64.0 * u_acc * abs + 16.0 * u_in * sq.sqrt() + 1e-30;
    (sum, tol)
}

/// Judges GPU entries against the host's (value, tolerance) pairs.
pub fn judge_anchor(gpu: &[f64], host: &[(f64, f64)]) -> AnchorResult {
    let mut r = AnchorResult {
        entries: 0,
        beyond_tolerance: 0,
        max_abs_error: 0.0,
        tolerance: 0.0,
    };
    for (&g, &(h, tol)) in gpu.iter().zip(host) {
        let err = (g - h).abs();
        r.entries += 1;
        // NaN on either side counts as beyond.
        if err.is_nan() || err > tol {
            r.beyond_tolerance += 1;
        }
        if err > r.max_abs_error || err.is_nan() {
            r.max_abs_error = err;
        }
        r.tolerance = r.tolerance.max(tol);
    }
    r
}

// ---------------------------------------------------------------------------
// Fault injection.

/// What one edit does to each element of its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Replace with these bits.
    Set(u64),
    /// Flip these bits.
    Xor(u64),
    /// Force these bits to 1 (stuck-at-1).
    Or(u64),
}

impl Op {
    pub fn apply(self, v: u64) -> u64 {
        match self {
            Op::Set(b) => b,
            Op::Xor(m) => v ^ m,
            Op::Or(m) => v | m,
        }
    }
}

/// `count` elements from `start` (element indices into one result buffer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit {
    pub start: u64,
    pub count: u64,
    pub op: Op,
}

/// A fault of `kind` in an n x n result of `elem_bytes` (4 or 8) elements,
/// placed from `rng` (any u64; the same value gives the same fault).
pub fn plan_fault(kind: FaultKind, n: u64, elem_bytes: u64, rng: u64) -> Vec<Edit> {
    let elems = n * n;
    let bits = elem_bytes * 8;
    let r1 = fmix64(rng ^ 0x1111);
    let r2 = fmix64(rng ^ 0x2222);
    let r3 = fmix64(rng ^ 0x3333);
    let at = |r: u64| r % elems.max(1);
    let bit = 1u64 << (r3 % bits);
    match kind {
        FaultKind::Gross => {
            // No product of values in [-1, 1) over at most 16384 terms
            // reaches 1e6, so it always differs.
            let v = if elem_bytes == 8 {
                1.0e6f64.to_bits()
            } else {
                u64::from(1.0e6f32.to_bits())
            };
            vec![Edit {
                start: at(r1),
                count: 1,
                op: Op::Set(v),
            }]
        }
        FaultKind::LowBit => vec![Edit {
            start: at(r1),
            count: 1,
            op: Op::Xor(1),
        }],
        FaultKind::SameBitTwoWords => {
            let a = at(r1);
            // A distinct second element, anywhere (also the neighbour).
            let b = (a + 1 + r2 % (elems - 1).max(1)) % elems.max(1);
            vec![
                Edit {
                    start: a,
                    count: 1,
                    op: Op::Xor(bit),
                },
                Edit {
                    start: b,
                    count: 1,
                    op: Op::Xor(bit),
                },
            ]
        }
        FaultKind::StuckBitRow => vec![Edit {
            start: (r1 % n.max(1)) * n,
            count: n,
            op: Op::Or(bit),
        }],
    }
}

/// Applies `edits` to a buffer of elements (f32 bits zero-extended, or f64
/// bits) and returns the indices of the checksum words they touched.
pub fn apply_to_elements(elems: &mut [u64], elem_bytes: u64, edits: &[Edit]) -> Vec<u64> {
    let mask = if elem_bytes == 8 {
        u64::MAX
    } else {
        0xFFFF_FFFF
    };
    // Checksum words: one f64 each, or two f32 (little-endian pairs).
    let per = if elem_bytes == 8 { 1 } else { 2 };
    let mut words = Vec::new();
    for e in edits {
        for x in e.start..e.start + e.count {
            if let Some(v) = elems.get_mut(x as usize) {
                *v = e.op.apply(*v) & mask;
                words.push(x / per);
            }
        }
    }
    words.sort_unstable();
    words.dedup();
    words
}

/// Checksum word `w` of an element buffer.
pub fn word_of(elems: &[u64], elem_bytes: u64, w: u64) -> u64 {
    if elem_bytes == 8 {
        elems.get(w as usize).copied().unwrap_or(0)
    } else {
        let lo = elems.get(2 * w as usize).copied().unwrap_or(0);
        let hi = elems.get(2 * w as usize + 1).copied().unwrap_or(0);
        lo | (hi << 32)
    }
}

/// All checksum words of an element buffer.
pub fn words_of(elems: &[u64], elem_bytes: u64) -> Vec<u64> {
    let per = if elem_bytes == 8 { 1 } else { 2 };
    (0..(elems.len() as u64).div_ceil(per))
        .map(|w| word_of(elems, elem_bytes, w))
        .collect()
}

/// Whether `edits` on the clean `elems` change the checksum, and how many
/// elements they changed: the detection model for one injection.
pub fn detects(elems: &[u64], elem_bytes: u64, clean: u64, edits: &[Edit]) -> (bool, u64) {
    let mut faulty = elems.to_vec();
    let changes: Vec<(u64, u64, u64)> = apply_to_elements(&mut faulty, elem_bytes, edits)
        .into_iter()
        .map(|w| {
            let (old, new) = (
                word_of(elems, elem_bytes, w),
                word_of(&faulty, elem_bytes, w),
            );
            (w, old, new)
        })
        .collect();
    let changed_elements = elems.iter().zip(&faulty).filter(|(a, b)| a != b).count() as u64;
    (checksum_after(clean, &changes) != clean, changed_elements)
}

/// Why a burn fails when its reference does not reproduce bit for bit,
/// even when computed again with the same fixed, split-K-free algorithm,
/// and how to tell the two causes apart.
pub const NOT_REPRODUCED: &str = "the reference product did not reproduce bit for bit, \
     computed again with the same fixed algorithm (no split-K reduction): an intermittent \
     fault on this GPU or a non-deterministic library. To tell them apart, rerun with \
     --engine builtin (a bitwise reproducible kernel) and on another GPU of the same model: \
     a GPU that differs with both engines or alone among its model is faulty; a difference \
     under cuBLASLt alone on every GPU of the model is the library";

#[cfg(test)]
mod tests {
    use super::*;

    /// The checksum burn used before: sum over u32 words of (w ^ hash(i)).
    fn old_checksum(elems32: &[u64]) -> u64 {
        elems32.iter().enumerate().fold(0u64, |s, (i, &w)| {
            let i = i as u64;
            let mut h = (i as u32) ^ ((i >> 32) as u32).wrapping_mul(0x9E37_79B9);
            h ^= h >> 16;
            h = h.wrapping_mul(0x85EB_CA6B);
            h ^= h >> 13;
            h = h.wrapping_mul(0xC2B2_AE35);
            h ^= h >> 16;
            s.wrapping_add(u64::from(w as u32 ^ h))
        })
    }

    /// A product-like f32 result: n x n fill values scaled.
    fn result_f32(n: u64) -> Vec<u64> {
        (0..n * n)
            .map(|i| u64::from((fill_value_f32(i, 7) * 40.0).to_bits()))
            .collect()
    }

    fn catch_rate(kind: FaultKind, n: u64, trials: u64, old: bool) -> f64 {
        let elems = result_f32(n);
        let clean_new = checksum(&words_of(&elems, 4));
        let clean_old = old_checksum(&elems);
        let (mut injected, mut caught) = (0u64, 0u64);
        for t in 0..trials {
            let edits = plan_fault(kind, n, 4, t.wrapping_mul(0x9E37) ^ 0xABCD);
            let mut faulty = elems.clone();
            apply_to_elements(&mut faulty, 4, &edits);
            if faulty == elems {
                continue; // a stuck bit that was already set everywhere
            }
            injected += 1;
            let hit = if old {
                old_checksum(&faulty) != clean_old
            } else {
                let (d, _) = detects(&elems, 4, clean_new, &edits);
                // The incremental model agrees with a full recomputation.
                assert_eq!(d, checksum(&words_of(&faulty, 4)) != clean_new);
                d
            };
            caught += u64::from(hit);
        }
        assert!(
            injected > trials / 2,
            "{kind:?}: only {injected} injections"
        );
        caught as f64 / injected as f64
    }

    #[test]
    fn every_fault_shape_is_caught_every_time() {
        for kind in FaultKind::ALL {
            let rate = catch_rate(kind, 128, 2000, false);
            println!("catch rate {}: {:.4}", kind.name(), rate);
            assert_eq!(rate, 1.0, "{kind:?}");
        }
    }

    #[test]
    fn the_old_checksum_misses_same_bit_flips_in_two_words() {
        // Teeth: the test above would have failed on the old checksum.
        let rate = catch_rate(FaultKind::SameBitTwoWords, 128, 2000, true);
        println!("old checksum, same-bit-two-words: {rate:.4}");
        assert!(rate < 0.75, "{rate}");
        // And a stuck bit over a row of 128 sometimes cancels too.
        let stuck = catch_rate(FaultKind::StuckBitRow, 128, 2000, true);
        println!("old checksum, stuck-bit-row: {stuck:.4}");
        assert!(stuck < 1.0, "{stuck}");
    }

    #[test]
    fn f64_faults_are_caught() {
        let n = 64;
        let elems: Vec<u64> = (0..n * n).map(|i| fill_value_f64(i, 3).to_bits()).collect();
        let clean = checksum(&words_of(&elems, 8));
        for kind in FaultKind::ALL {
            for t in 0..500 {
                let edits = plan_fault(kind, n, 8, t);
                let (hit, changed) = detects(&elems, 8, clean, &edits);
                assert!(hit || changed == 0, "{kind:?} trial {t}");
            }
        }
    }

    #[test]
    fn faults_have_their_shape() {
        let n = 100;
        let e = plan_fault(FaultKind::SameBitTwoWords, n, 4, 5);
        assert_eq!(e.len(), 2);
        assert_ne!(e[0].start, e[1].start);
        assert_eq!(e[0].op, e[1].op);
        let row = plan_fault(FaultKind::StuckBitRow, n, 4, 9);
        assert_eq!(row[0].count, n);
        assert_eq!(row[0].start % n, 0);
        assert_eq!(plan_fault(FaultKind::LowBit, n, 4, 1)[0].op, Op::Xor(1));
        for t in 0..1000 {
            for kind in FaultKind::ALL {
                for e in plan_fault(kind, n, 8, t) {
                    assert!(e.start + e.count <= n * n);
                }
            }
        }
    }

    #[test]
    fn checksum_is_position_sensitive_and_matches_the_fold() {
        let a = [1u64, 2, 3];
        let b = [2u64, 1, 3];
        assert_ne!(checksum(&a), checksum(&b));
        let c = checksum(&a);
        assert_eq!(checksum_after(c, &[(1, 2, 9)]), checksum(&[1, 9, 3]));
        // Known value: pins the function the kernel must match.
        assert_eq!(checksum(&[0]), fmix64(0));
        assert_eq!(fmix64(1), 0xB456_BCFC_34C2_CB2C);
    }

    #[test]
    fn fill_replica_matches_the_kernel_formulas() {
        // Values are exact and in [-1, 1), never 0.
        for i in 0..10_000 {
            let v = fill_value_f32(i, 99);
            assert!((-1.0..1.0).contains(&v) && v != 0.0);
            let d = fill_value_f64(i, 99);
            assert!((-1.0..1.0).contains(&d) && d != 0.0);
        }
        assert_eq!(f32_to_bf16(1.0), 0x3F80);
        assert_eq!(f32_to_f16(1.0), 0x3C00);
        assert_eq!(f32_to_f16(-0.5), 0xB800);
        assert_eq!(f16_to_f64(0x3C00), 1.0);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24));
        // Round to nearest even at the halfway point.
        assert_eq!(f32_to_bf16(f32::from_bits(0x3F80_8000)), 0x3F80);
        assert_eq!(f32_to_bf16(f32::from_bits(0x3F81_8000)), 0x3F82);
    }

    #[test]
    fn anchor_flags_a_wrong_entry_and_accepts_rounding() {
        let n = 256;
        let seeds = (11, 22);
        let host: Vec<(f64, f64)> = anchor_positions(n, 7)
            .into_iter()
            .map(|(i, j)| host_entry(Dtype::Bf16, n, seeds, i, j))
            .collect();
        assert_eq!(host.len() as u64, ANCHOR_LINES * ANCHOR_LINES);
        // fp32 rounding of the exact values passes.
        let gpu: Vec<f64> = host.iter().map(|(v, _)| f64::from(*v as f32)).collect();
        let ok = judge_anchor(&gpu, &host);
        assert!(ok.passed(), "{ok:?}");
        // One term wrong (an operand off by 0.25 times a typical partner).
        let mut bad = gpu.clone();
        bad[17] += 0.1;
        let r = judge_anchor(&bad, &host);
        assert_eq!(r.beyond_tolerance, 1);
        assert!(!r.passed());
        let mut nan = gpu;
        nan[0] = f64::NAN;
        assert!(!judge_anchor(&nan, &host).passed());
        assert!(!judge_anchor(&[], &[]).passed());
    }

    #[test]
    fn anchor_positions_are_distinct_and_inside() {
        let p = anchor_positions(16384, 7);
        let mut q = p.clone();
        q.sort_unstable();
        q.dedup();
        assert_eq!(q.len(), 256);
        assert!(p.iter().all(|&(i, j)| i < 16384 && j < 16384));
        // Chosen per run: another seed looks at other rows and columns.
        let other = anchor_positions(16384, 8);
        assert!(other.iter().filter(|e| p.contains(e)).count() < 8);
        // A small matrix still gets distinct lines, as many as it has.
        assert_eq!(anchor_positions(4, 7).len(), 16);
    }
}
