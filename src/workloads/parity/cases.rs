//! The parity cases: one or more per entry point, small (at most a few
//! hundred KiB a buffer), with faults injected where a kernel checks.

use super::{Buf, Compare, Spec, Step, A};
use crate::device::bench_pattern;
use crate::device::burn_engine::verify;
use crate::device::compute::{Arg, Dim};
use crate::device::memtest::MAX_RECORDS;
use crate::device::mix;
use crate::kernels::SELFTEST_BLOCK;

const SEED: u64 = 0x5EED_0F9A_717E_5700;
/// The memtest buffer: 256 KiB, aligned to its size on both sides.
const MT_BYTES: u64 = 256 << 10;
const MT_WORDS: u64 = MT_BYTES / 8;
/// MtLog: count, recorded, 16 records of three words.
const LOG_WORDS: usize = 2 + 3 * MAX_RECORDS;
/// A grid-stride launch: 8 blocks of 256.
const STRIDE: Dim = Dim::new(8, 256);
const ONE: Dim = Dim::new(1, 1);
/// GEMM shape: one tile row (the launch's grid is x only), two columns.
const GM: u64 = 128;
const GN: u64 = 256;
const GK: u64 = 128;

/// The tolerance of a tensor-core GEMM's f32 result, absolute: 2^-16 of
/// the largest |C| operands in [-1, 1) can give (K), well above f32
/// accumulation error in any order (at most K * 2^-24 * K) and far below
/// a wrong product or a flipped high bit.
pub fn tensor_core_tolerance(k: u64) -> f64 {
    k as f64 / 65536.0
}

fn buf(name: &'static str, init: Vec<u64>, output: bool) -> Buf {
    Buf {
        name,
        init,
        align: 256,
        compare: Compare::Exact,
        output,
    }
}

fn step(kernel: &'static str, dim: Dim, args: Vec<A>) -> Step {
    Step {
        kernel,
        dim,
        args,
        stream: 0,
    }
}

fn u64a(v: u64) -> A {
    A::Val(Arg::U64(v))
}

fn u32a(v: u32) -> A {
    A::Val(Arg::U32(v))
}

/// Elements of `bytes` bytes packed little-endian into words.
fn pack(elems: &[u64], bytes: u32) -> Vec<u64> {
    let per = (8 / bytes) as usize;
    elems
        .chunks(per)
        .map(|c| {
            c.iter().enumerate().fold(0u64, |w, (e, &v)| {
                let v = if bytes == 8 {
                    v
                } else {
                    v & ((1 << (bytes * 8)) - 1)
                };
                w | (v << (e as u32 * bytes * 8))
            })
        })
        .collect()
}

pub(super) fn all() -> Vec<Spec> {
    let mut v = memtest();
    v.extend(bench());
    v.extend(p2p());
    v.push(selftest());
    v.extend(gemm());
    v.extend(fills());
    v.extend(checks());
    v
}

// ---------------------------------------------------------------------------
// memtest

/// A memtest pattern whose words depend only on their offset into the
/// buffer, given that buffer's address (size-aligned, so address = base |
/// offset): each side passes the parameters that cancel its base.
#[derive(Clone, Copy)]
enum Pat {
    Const(u64),
    Walk {
        inv: u64,
        s: u64,
    },
    Address(u64),
    Random {
        inv: u64,
        s: u64,
    },
    /// p where offset / 8 mod m is k, !p elsewhere.
    Modulo {
        p: u64,
        k: u64,
        m: u64,
    },
}

impl Pat {
    /// (kind, p0, p1, p2) as the sweep kernels take them.
    fn args(self) -> [A; 4] {
        match self {
            Pat::Const(p) => [u32a(0), u64a(p), u64a(0), u64a(0)],
            Pat::Walk { inv, s } => [
                u32a(1),
                u64a(inv),
                A::Based(0, Box::new(move |b| Arg::U64(s.wrapping_sub(b >> 3)))),
                u64a(0),
            ],
            Pat::Address(s) => [
                u32a(2),
                A::Based(0, Box::new(move |b| Arg::U64(b ^ s))),
                u64a(0),
                u64a(0),
            ],
            Pat::Random { inv, s } => [
                u32a(3),
                u64a(inv),
                A::Based(0, Box::new(move |b| Arg::U64(b ^ s))),
                u64a(0),
            ],
            Pat::Modulo { p, k, m } => [
                u32a(4),
                u64a(p),
                A::Based(0, Box::new(move |b| Arg::U64(((b >> 3) + k) % m))),
                u64a(m),
            ],
        }
    }
}

/// A selection of words by offset / 8 mod m.
#[derive(Clone, Copy)]
enum Sel {
    All,
    Marked(u64, u64),
    Unmarked(u64, u64),
}

/// A sweep over the memtest buffer (buffer 0, log buffer 1).
fn sweep(
    kernel: &'static str,
    dim: Dim,
    check: Option<Pat>,
    write: Option<Pat>,
    down: bool,
    sel: Sel,
) -> Step {
    let mode = u32::from(check.is_some()) | (u32::from(write.is_some()) << 1);
    let none = Pat::Const(0);
    let mut args = vec![
        A::Ptr(0, 0),
        u64a(MT_BYTES / 16),
        u32a(mode),
        u32a(u32::from(down)),
    ];
    args.extend(check.unwrap_or(none).args());
    args.extend(write.unwrap_or(none).args());
    let (s, m, k) = match sel {
        Sel::All => (0, 0, 0),
        Sel::Marked(m, k) => (1, m, k),
        Sel::Unmarked(m, k) => (2, m, k),
    };
    args.push(u32a(s));
    args.push(u64a(m));
    args.push(A::Based(
        0,
        Box::new(move |b| Arg::U64(if m == 0 { 0 } else { ((b >> 3) + k) % m })),
    ));
    args.push(A::Ptr(1, 0));
    step(kernel, dim, args)
}

fn flip(word: u64, mask: u64) -> Step {
    step(
        "gpuctl_memtest_flip",
        ONE,
        vec![A::Ptr(0, 8 * word), u64a(mask)],
    )
}

fn memtest_bufs() -> Vec<Buf> {
    vec![
        Buf {
            align: MT_BYTES,
            ..buf("memory", vec![0; MT_WORDS as usize], true)
        },
        Buf {
            compare: Compare::MtLog { of: 0 },
            ..buf("log", vec![0; LOG_WORDS], true)
        },
    ]
}

fn memtest() -> Vec<Spec> {
    let pass = "gpuctl_memtest_pass";
    let select = "gpuctl_memtest_select";
    let ordered = "gpuctl_memtest_ordered";
    let random = Pat::Random { inv: 0, s: SEED };
    let address = Pat::Address(SEED >> 7);
    let walk = Pat::Walk { inv: !0, s: 5 };
    let p = mix::fmix64(SEED) | 1;
    let modulo = Pat::Modulo { p, k: 3, m: 20 };
    let walk_dim = Dim::new(4, 256); // 32 warps, 16 steps each
    vec![
        Spec {
            kernel: pass,
            inputs: format!(
                "{} KiB: write random, flip 3 words, check random/write address, flip 1, \
                 down: check address/write walking zeros, check; grid 8 x 256",
                MT_BYTES >> 10
            ),
            bufs: memtest_bufs(),
            steps: vec![
                sweep(pass, STRIDE, None, Some(random), false, Sel::All),
                flip(5, 1 << 3),
                flip(9000, 1 << 63),
                flip(MT_WORDS - 1, 0xF0),
                sweep(pass, STRIDE, Some(random), Some(address), false, Sel::All),
                flip(100, 1 << 17),
                sweep(pass, STRIDE, Some(address), Some(walk), true, Sel::All),
                sweep(pass, STRIDE, Some(walk), None, false, Sel::All),
            ],
        },
        Spec {
            kernel: select,
            inputs: format!(
                "{} KiB: write p, the complement to words not 3 mod 20, flip 3 words, \
                 check the marked, check the others and write random; grid 8 x 256",
                MT_BYTES >> 10
            ),
            bufs: memtest_bufs(),
            steps: vec![
                sweep(pass, STRIDE, None, Some(Pat::Const(p)), false, Sel::All),
                sweep(
                    select,
                    STRIDE,
                    None,
                    Some(modulo),
                    false,
                    Sel::Unmarked(20, 3),
                ),
                flip(3, 1),
                flip(4, 1 << 9),
                flip(23, 1 << 62),
                sweep(
                    select,
                    STRIDE,
                    Some(modulo),
                    None,
                    false,
                    Sel::Marked(20, 3),
                ),
                sweep(
                    select,
                    STRIDE,
                    Some(modulo),
                    Some(random),
                    true,
                    Sel::Unmarked(20, 3),
                ),
            ],
        },
        Spec {
            kernel: ordered,
            inputs: format!(
                "{} KiB: write 0, flip 2 words, walk up 0 -> ones, flip 1, walk down ones -> p, \
                 walk up p -> random; grid 4 x 256 (32 warps)",
                MT_BYTES >> 10
            ),
            bufs: memtest_bufs(),
            steps: vec![
                sweep(pass, STRIDE, None, Some(Pat::Const(0)), false, Sel::All),
                flip(77, 1 << 1),
                flip(20_000, 1 << 40),
                sweep(
                    ordered,
                    walk_dim,
                    Some(Pat::Const(0)),
                    Some(Pat::Const(!0)),
                    false,
                    Sel::All,
                ),
                flip(30_001, 1 << 2),
                sweep(
                    ordered,
                    walk_dim,
                    Some(Pat::Const(!0)),
                    Some(Pat::Const(p)),
                    true,
                    Sel::All,
                ),
                sweep(
                    ordered,
                    walk_dim,
                    Some(Pat::Const(p)),
                    Some(random),
                    false,
                    Sel::All,
                ),
            ],
        },
        Spec {
            kernel: "gpuctl_memtest_flip",
            inputs: "4 flips in 64 KiB of mixed words".into(),
            bufs: vec![buf(
                "memory",
                (0..8192).map(|i| mix::word(SEED, i)).collect(),
                true,
            )],
            steps: vec![
                flip(0, 1),
                flip(1, !0),
                flip(4000, 1 << 31),
                flip(8191, 1 << 63),
            ],
        },
    ]
}

// ---------------------------------------------------------------------------
// bench and p2p

fn sentinel() -> Buf {
    buf(
        "sentinel",
        (0..64).map(|i| mix::word(SEED, i)).collect(),
        false,
    )
}

fn bench() -> Vec<Spec> {
    let nvec = 4096u64;
    let words = 2 * nvec;
    let seed = bench_pattern::rep_seed(SEED, 3);
    let mut corrupt = bench_pattern::fill(seed, words);
    corrupt[7] ^= 1;
    corrupt[4000] = 0;
    corrupt[(words - 1) as usize] = bench_pattern::word(seed ^ 1, words - 1);
    vec![
        Spec {
            kernel: "gpuctl_bench_write",
            inputs: format!("{nvec} vectors; grid 8 x 256"),
            bufs: vec![buf("buffer", vec![0; words as usize], true)],
            steps: vec![step(
                "gpuctl_bench_write",
                STRIDE,
                vec![A::Ptr(0, 0), u64a(nvec), u64a(seed)],
            )],
        },
        Spec {
            kernel: "gpuctl_bench_check",
            inputs: format!("{nvec} vectors, 3 words wrong (a low bit, zero, another seed)"),
            bufs: vec![buf("out", vec![0; 2], true), buf("buffer", corrupt, false)],
            steps: vec![step(
                "gpuctl_bench_check",
                STRIDE,
                vec![A::Ptr(1, 0), u64a(nvec), u64a(seed), A::Ptr(0, 0)],
            )],
        },
        Spec {
            kernel: "gpuctl_bench_copy",
            inputs: format!("{nvec} vectors; grid {} x 1024", nvec.div_ceil(1024)),
            bufs: vec![
                buf("destination", vec![0; words as usize], true),
                buf("source", bench_pattern::fill(seed, words), false),
            ],
            steps: vec![step(
                "gpuctl_bench_copy",
                Dim::new(nvec.div_ceil(1024) as u32, 1024),
                vec![A::Ptr(1, 0), A::Ptr(0, 0), u64a(nvec)],
            )],
        },
        Spec {
            kernel: "gpuctl_bench_empty",
            inputs: "no arguments; memory left alone".into(),
            bufs: vec![sentinel()],
            steps: vec![step("gpuctl_bench_empty", ONE, vec![])],
        },
    ]
}

fn p2p() -> Vec<Spec> {
    let n = 8191u64;
    let mut corrupt: Vec<u64> = (0..n).map(|i| mix::word(SEED, i)).collect();
    corrupt[0] ^= 1 << 33;
    corrupt[6000] = mix::word(SEED, 6001);
    let iters = 100u32;
    let half = |mine: u64, peer: u64, first: u32, out: usize| -> Vec<A> {
        vec![
            A::Ptr(0, mine),
            A::Ptr(0, peer),
            u32a(iters),
            u32a(first),
            u64a(1_000_000_000),
            A::Ptr(out, 0),
        ]
    };
    vec![
        Spec {
            kernel: "gpuctl_p2p_fill",
            inputs: format!("{n} words; grid 8 x 256"),
            bufs: vec![buf("buffer", vec![0; n as usize], true)],
            steps: vec![step(
                "gpuctl_p2p_fill",
                STRIDE,
                vec![A::Ptr(0, 0), u64a(n), u64a(SEED)],
            )],
        },
        Spec {
            kernel: "gpuctl_p2p_verify",
            inputs: format!("{n} words, 2 wrong (a bit, a neighbour's word)"),
            bufs: vec![buf("out", vec![0; 2], true), buf("buffer", corrupt, false)],
            steps: vec![step(
                "gpuctl_p2p_verify",
                STRIDE,
                vec![A::Ptr(1, 0), u64a(n), u64a(SEED), A::Ptr(0, 0)],
            )],
        },
        Spec {
            kernel: "gpuctl_p2p_copy",
            inputs: "4095 units of 16 bytes on one GPU; grid 8 x 256".into(),
            bufs: vec![
                buf("destination", vec![0; 8190], true),
                buf(
                    "source",
                    (0..8190).map(|i| mix::word(SEED, i)).collect(),
                    false,
                ),
            ],
            steps: vec![step(
                "gpuctl_p2p_copy",
                STRIDE,
                vec![A::Ptr(1, 0), A::Ptr(0, 0), u64a(4095)],
            )],
        },
        Spec {
            kernel: "gpuctl_p2p_write",
            inputs: "one u32 at byte 12".into(),
            bufs: vec![buf("buffer", vec![u64::MAX; 4], true)],
            steps: vec![step(
                "gpuctl_p2p_write",
                ONE,
                vec![A::Ptr(0, 12), u32a(0xDEAD_BEEF)],
            )],
        },
        Spec {
            kernel: "gpuctl_p2p_spin",
            inputs: "100 us; memory left alone".into(),
            bufs: vec![sentinel()],
            steps: vec![step("gpuctl_p2p_spin", ONE, vec![u64a(100_000)])],
        },
        Spec {
            kernel: "gpuctl_p2p_pingpong",
            inputs: format!(
                "{iters} round trips between two flags of one GPU, the halves on two streams \
                 (the waiter launched first), 1 s timeout"
            ),
            bufs: vec![
                buf("flags", vec![0; 32], true),
                Buf {
                    compare: Compare::ExactFirst(1),
                    ..buf("waiter out", vec![0; 2], true)
                },
                Buf {
                    compare: Compare::ExactFirst(1),
                    ..buf("starter out", vec![0; 2], true)
                },
            ],
            steps: vec![
                Step {
                    stream: 1,
                    ..step("gpuctl_p2p_pingpong", ONE, half(128, 0, 0, 1))
                },
                Step {
                    stream: 2,
                    ..step("gpuctl_p2p_pingpong", ONE, half(0, 128, 1, 2))
                },
            ],
        },
    ]
}

// ---------------------------------------------------------------------------
// self-test and burn engine

fn selftest() -> Spec {
    let n = 5000u32;
    let grid = n.div_ceil(SELFTEST_BLOCK);
    Spec {
        kernel: "gpuctl_selftest",
        inputs: format!("n {n}, 64 iterations; grid {grid} x {SELFTEST_BLOCK}"),
        bufs: vec![
            buf("out", vec![u64::MAX; n as usize / 2], true),
            buf(
                "block sums",
                vec![u64::MAX; grid.div_ceil(2) as usize],
                true,
            ),
        ],
        steps: vec![step(
            "gpuctl_selftest",
            Dim::new(grid, SELFTEST_BLOCK),
            vec![
                A::Ptr(0, 0),
                A::Ptr(1, 0),
                u32a(n),
                u32a(64),
                u32a(SEED as u32),
            ],
        )],
    }
}

/// Operand element `i` of a GEMM input as stored: (bits, bytes).
fn operand(kernel: &str, i: u64, seed: u32) -> (u64, u32) {
    let f = verify::fill_value_f32(i, seed);
    match kernel {
        "gpuctl_gemm_bf16" => (u64::from(verify::f32_to_bf16(f)), 2),
        "gpuctl_gemm_fp16" => (u64::from(verify::f32_to_f16(f)), 2),
        "gpuctl_gemm_f64" => (verify::fill_value_f64(i, seed).to_bits(), 8),
        _ => (u64::from(f.to_bits()), 4),
    }
}

fn gemm() -> Vec<Spec> {
    let kernels = [
        "gpuctl_gemm_bf16",
        "gpuctl_gemm_fp16",
        "gpuctl_gemm_tf32",
        "gpuctl_gemm_f32",
        "gpuctl_gemm_f64",
    ];
    kernels
        .into_iter()
        .map(|kernel| {
            let tc = ["gpuctl_gemm_bf16", "gpuctl_gemm_fp16", "gpuctl_gemm_tf32"].contains(&kernel);
            let input = |rows: u64, seed: u32| {
                let (elems, bytes): (Vec<u64>, Vec<u32>) =
                    (0..rows * GK).map(|i| operand(kernel, i, seed)).unzip();
                pack(&elems, bytes[0])
            };
            let c_words = if kernel.ends_with("f64") {
                GM * GN
            } else {
                GM * GN / 2
            };
            let compare = if tc {
                Compare::F32Within(tensor_core_tolerance(GK))
            } else {
                Compare::Exact
            };
            Spec {
                kernel,
                inputs: format!(
                    "{GM} x {GN} x {GK}, operands from the fill kernels' values; grid {} x {}",
                    GN / 128,
                    if tc { 128 } else { 256 }
                ),
                bufs: vec![
                    Buf {
                        compare,
                        ..buf("C", vec![u64::MAX; c_words as usize], true)
                    },
                    buf("A", input(GM, 1), false),
                    buf("B", input(GN, 2), false),
                ],
                steps: vec![step(
                    kernel,
                    Dim::new((GN / 128) as u32, if tc { 128 } else { 256 }),
                    vec![
                        A::Ptr(1, 0),
                        A::Ptr(2, 0),
                        A::Ptr(0, 0),
                        A::Val(Arg::I32(GM as i32)),
                        A::Val(Arg::I32(GN as i32)),
                        A::Val(Arg::I32(GK as i32)),
                    ],
                )],
            }
        })
        .collect()
}

fn fills() -> Vec<Spec> {
    let n = 10_001u64;
    [
        ("gpuctl_fill_bf16", 2u64),
        ("gpuctl_fill_f16", 2),
        ("gpuctl_fill_f32", 4),
        ("gpuctl_fill_f64", 8),
    ]
    .into_iter()
    .map(|(kernel, bytes)| {
        let grid = n.div_ceil(256).min(65_535) as u32;
        Spec {
            kernel,
            inputs: format!("{n} elements (the last word partly past n); grid {grid} x 256"),
            bufs: vec![buf(
                "buffer",
                vec![0xA5A5_A5A5_A5A5_A5A5; (n * bytes).div_ceil(8) as usize],
                true,
            )],
            steps: vec![step(
                kernel,
                Dim::new(grid, 256),
                vec![A::Ptr(0, 0), u64a(n), u32a(7)],
            )],
        }
    })
    .collect()
}

fn checks() -> Vec<Spec> {
    let n = 4099u64;
    let compare = |kernel: &'static str, wide: bool| {
        let (mut c, r): (Vec<u64>, Vec<u64>) = if wide {
            let r: Vec<u64> = (0..n)
                .map(|i| verify::fill_value_f64(i, 3).to_bits())
                .collect();
            (r.clone(), r)
        } else {
            let r: Vec<u64> = (0..n)
                .map(|i| u64::from(verify::fill_value_f32(i, 3).to_bits()))
                .collect();
            (r.clone(), r)
        };
        let scale = |bits: u64, by: f64| {
            if wide {
                (f64::from_bits(bits) * by).to_bits()
            } else {
                u64::from((f32::from_bits(bits as u32) * by as f32).to_bits())
            }
        };
        c[10] = scale(c[10], 1.01); // beyond the tolerance
        c[20] = if wide {
            f64::NAN.to_bits()
        } else {
            u64::from(f32::NAN.to_bits())
        };
        c[30] = scale(c[30], 1.0 + 1e-7); // within it (or equal in f32)
        let (bytes, tol) = if wide {
            (8, Arg::F64(1e-4))
        } else {
            (4, Arg::F32(1e-4))
        };
        Spec {
            kernel,
            inputs: format!("{n} elements, one 1% off, one NaN, one within 1e-4; grid 17 x 256"),
            bufs: vec![
                buf("out", vec![0; 2], true),
                buf("c", pack(&c, bytes), false),
                buf("ref", pack(&r, bytes), false),
            ],
            steps: vec![step(
                kernel,
                Dim::new(17, 256),
                vec![
                    A::Ptr(1, 0),
                    A::Ptr(2, 0),
                    u64a(n),
                    A::Val(tol),
                    A::Ptr(0, 0),
                    A::Ptr(0, 8),
                ],
            )],
        }
    };
    let mut wiped: Vec<u64> = (0..4096).map(|i| mix::word(SEED, i) | 1).collect();
    wiped[100..3000].iter_mut().for_each(|w| *w = 0);
    vec![
        compare("gpuctl_compare_f32", false),
        compare("gpuctl_compare_f64", true),
        Spec {
            kernel: "gpuctl_checksum_mix64",
            inputs: "4097 words (an odd tail); grid 8 x 256".into(),
            bufs: vec![
                buf("out", vec![0; 1], true),
                buf(
                    "buffer",
                    (0..4097).map(|i| mix::word(SEED, i)).collect(),
                    false,
                ),
            ],
            steps: vec![step(
                "gpuctl_checksum_mix64",
                STRIDE,
                vec![A::Ptr(1, 0), u64a(4097), A::Ptr(0, 0)],
            )],
        },
        Spec {
            kernel: "gpuctl_count_nonzero",
            inputs: "4096 words, words 100..3000 wiped; grid 8 x 256".into(),
            bufs: vec![buf("out", vec![0; 1], true), buf("buffer", wiped, false)],
            steps: vec![step(
                "gpuctl_count_nonzero",
                STRIDE,
                vec![A::Ptr(1, 0), u64a(4096), A::Ptr(0, 0)],
            )],
        },
    ]
}
