//! The memory test's interface: patterns, the phases each pattern runs,
//! the value every word must hold, and what a GPU under test reports.
//!
//! A [`MemtestWorker`] owns one GPU's context and the memory it obtained.
//! Each [`Phase`] is one sweep over all of that memory: check every word
//! against the old pattern, write the new one, or both in one fused pass
//! (kernels in `kernels/memtest.cu`). Mismatches are data, not errors: the
//! GPU counts them and records the first [`MAX_RECORDS`] with address,
//! expected and actual value. [`value`] is the kernel's pattern function,
//! used by the simulator and the tests; `memtest_ref` runs the phases on a
//! model memory with injected faults, to show what each pattern catches.

use super::compute::{Arg, DevPtr};
use crate::kernels;
use serde::Serialize;
use std::time::Duration;

/// Mismatches recorded per phase with their address (the rest are counted).
pub const MAX_RECORDS: usize = 16;
/// Stride of the modulo-N test (memtest86's classic 20).
pub const MODULO_N: u64 = 20;
/// Modulo-N: how many times the complement is written to the other words
/// between writing p and checking it (the disturbance is the point).
pub const MODULO_REWRITES: usize = 3;
/// Retention: the pause is waited in steps of at most this, so a stop
/// signal is answered and no step outlasts the step timeout.
pub const WAIT_STEP: Duration = Duration::from_secs(1);
/// Largest allocation asked for at once. The kernel's 32-bit modulo index
/// also needs a buffer below 16 GiB.
pub const CHUNK_BYTES: u64 = 1 << 30;
/// Smallest allocation worth taking when memory runs short.
pub const FLOOR_BYTES: u64 = 64 << 20;
/// Attempts at one chunk size before halving it (another process may be
/// freeing memory).
pub const ALLOC_RETRIES: u32 = 3;

pub use crate::model::pattern::Pattern;

/// How a word's value is derived (the kernel's `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Every word holds `p0`.
    Const = 0,
    /// One bit set, walking with the word index and `p1`; xor `p0`.
    Walk = 1,
    /// The word's own device address, xor `p0`.
    Address = 2,
    /// fmix64(address ^ seed `p1`) xor `p0`.
    Random = 3,
    /// `p0` where word index mod `p2` is `p1`, `!p0` elsewhere.
    Modulo = 4,
}

/// A pattern function with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    pub kind: Kind,
    pub p0: u64,
    pub p1: u64,
    pub p2: u64,
}

impl Fill {
    const fn new(kind: Kind, p0: u64, p1: u64, p2: u64) -> Self {
        Self { kind, p0, p1, p2 }
    }
}

/// The words a sweep reads and writes: all, or by word index mod `modulus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select {
    All,
    /// Only the words whose index is `residue` mod `modulus`.
    Marked {
        modulus: u64,
        residue: u64,
    },
    /// Only the others.
    Unmarked {
        modulus: u64,
        residue: u64,
    },
}

impl Select {
    /// Whether the word at device address `address` takes part.
    pub fn takes(self, address: u64) -> bool {
        let word = address >> 3;
        match self {
            Select::All => true,
            Select::Marked { modulus, residue } => word % modulus.max(1) == residue,
            Select::Unmarked { modulus, residue } => word % modulus.max(1) != residue,
        }
    }

    /// The kernel's (sel, sel_m, sel_k).
    pub fn abi(self) -> (u32, u64, u64) {
        match self {
            Select::All => (0, 0, 0),
            Select::Marked { modulus, residue } => (1, modulus, residue),
            Select::Unmarked { modulus, residue } => (2, modulus, residue),
        }
    }

    /// Bytes of `total` that take part (words spread evenly).
    pub fn share(self, total: u64) -> u64 {
        match self {
            Select::All => total,
            Select::Marked { modulus, .. } => total / modulus.max(1),
            Select::Unmarked { modulus, .. } => total - total / modulus.max(1),
        }
    }
}

/// One sweep over all the memory under test, or a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phase {
    pub pattern: Pattern,
    /// Check every (selected) word against this first.
    pub check: Option<Fill>,
    /// Then write this.
    pub write: Option<Fill>,
    /// Visit the addresses from the top down.
    pub descending: bool,
    /// Walk each segment in address order, checking and writing one step
    /// at a time (moving inversions); otherwise no order inside the sweep.
    pub ordered: bool,
    /// The words read and written.
    pub select: Select,
    /// No sweep: wait this long, leaving the memory alone (retention).
    pub wait: Option<Duration>,
}

impl Phase {
    /// A streaming sweep over every word.
    pub fn sweep(pattern: Pattern, check: Option<Fill>, write: Option<Fill>) -> Self {
        Self {
            pattern,
            check,
            write,
            descending: false,
            ordered: false,
            select: Select::All,
            wait: None,
        }
    }

    /// The sweep kernel this phase launches: the ordered walk takes every
    /// word; a selection streams.
    pub fn kernel(&self) -> &'static str {
        if self.ordered {
            kernels::MEMTEST_ORDERED_ENTRY
        } else if self.select != Select::All {
            kernels::MEMTEST_SELECT_ENTRY
        } else {
            kernels::MEMTEST_PASS_ENTRY
        }
    }

    /// The sweep kernels' arguments for this phase over `bytes` at `ptr`,
    /// mismatches logged at `log`: their ABI (the LAUNCH comment in
    /// kernels/memtest.cu), for the GPU and the simulated kernels alike.
    pub fn kernel_args(&self, ptr: DevPtr, bytes: u64, log: DevPtr) -> Vec<Arg> {
        const NONE: Fill = Fill {
            kind: Kind::Const,
            p0: 0,
            p1: 0,
            p2: 0,
        };
        let (c, w) = (self.check.unwrap_or(NONE), self.write.unwrap_or(NONE));
        let mode = u32::from(self.check.is_some())
            | (u32::from(self.write.is_some()) << 1)
            | (u32::from(self.ordered) << 2);
        let (sel, sel_m, sel_k) = self.select.abi();
        vec![
            Arg::U64(ptr),
            Arg::U64(bytes / 16),
            Arg::U32(mode),
            Arg::U32(u32::from(self.descending)),
            Arg::U32(c.kind as u32),
            Arg::U64(c.p0),
            Arg::U64(c.p1),
            Arg::U64(c.p2),
            Arg::U32(w.kind as u32),
            Arg::U64(w.p0),
            Arg::U64(w.p1),
            Arg::U64(w.p2),
            Arg::U32(sel),
            Arg::U64(sel_m),
            Arg::U64(sel_k),
            Arg::U64(log),
        ]
    }

    /// (bytes read, bytes written) of a sweep over `total` bytes.
    pub fn bytes(&self, total: u64) -> (u64, u64) {
        let n = self.select.share(total);
        (
            if self.check.is_some() { n } else { 0 },
            if self.write.is_some() { n } else { 0 },
        )
    }
}

/// Runs one phase on `worker`: a wait is waited here (no sweep time, so
/// the pattern's rate is its sweeps'), a sweep is the worker's.
pub fn run_phase(worker: &mut dyn MemtestWorker, phase: &Phase) -> Result<PhaseStats, String> {
    if let Some(d) = phase.wait {
        std::thread::sleep(d);
        return Ok(PhaseStats::default());
    }
    worker.run_phase(phase)
}

/// The murmur3 64-bit finaliser, as the kernel computes it.
pub use super::mix::fmix64;

/// The value the word at device address `address` must hold under `fill`:
/// the same function as `pattern_value` in `kernels/memtest.cu`.
pub fn value(fill: &Fill, address: u64) -> u64 {
    let word = address >> 3;
    match fill.kind {
        Kind::Const => fill.p0,
        Kind::Walk => (1u64 << (word.wrapping_add(fill.p1) & 63)) ^ fill.p0,
        Kind::Address => address ^ fill.p0,
        Kind::Random => fmix64(address ^ fill.p1) ^ fill.p0,
        Kind::Modulo => {
            if word % fill.p2.max(1) == fill.p1 {
                fill.p0
            } else {
                !fill.p0
            }
        }
    }
}

/// The phases of one pattern, in order. Writes are fused with the check of
/// the previous value wherever the pattern allows, so most sweeps read and
/// write each word once. `pause` is the retention pattern's wait.
pub fn phases(pattern: Pattern, seed: u64, pause: Duration) -> Vec<Phase> {
    let c = |p0| Fill::new(Kind::Const, p0, 0, 0);
    // write a, then check a / write b, ..., then check the last.
    // (fill, descending, ordered)
    let chain = |fills: &[(Fill, bool, bool)]| -> Vec<Phase> {
        let mut out = Vec::with_capacity(fills.len() + 1);
        let mut prev: Option<Fill> = None;
        for &(fill, descending, ordered) in fills {
            out.push(Phase {
                descending,
                ordered,
                ..Phase::sweep(pattern, prev, Some(fill))
            });
            prev = Some(fill);
        }
        out.push(Phase::sweep(pattern, prev, None));
        out
    };
    match pattern {
        Pattern::ZerosOnes => chain(&[(c(0), false, false), (c(!0), false, false)]),
        Pattern::WalkingOnes | Pattern::WalkingZeros => {
            let inv = if pattern == Pattern::WalkingZeros {
                !0
            } else {
                0
            };
            let fills: Vec<(Fill, bool, bool)> = (0..64)
                .map(|b| (Fill::new(Kind::Walk, inv, b, 0), false, false))
                .collect();
            chain(&fills)
        }
        Pattern::MovingInversions => {
            // memtest86's moving inversions: write p; walking up, check p
            // and write !p word after word; walking down, check !p and
            // write p; for p = 0 and a random word.
            let p = fmix64(seed) | 1;
            chain(&[
                (c(0), false, false),
                (c(!0), false, true),
                (c(0), true, true),
                (c(p), false, true),
                (c(!p), false, true),
                (c(p), true, true),
            ])
        }
        Pattern::Address => chain(&[
            (Fill::new(Kind::Address, 0, 0, 0), false, false),
            (Fill::new(Kind::Address, !0, 0, 0), true, false),
        ]),
        Pattern::Random => chain(&[
            (Fill::new(Kind::Random, 0, seed, 0), false, false),
            (Fill::new(Kind::Random, !0, seed, 0), true, false),
        ]),
        Pattern::Modulo => {
            // memtest86's modulo-20: for every offset k, write p to the
            // words at k mod 20, the complement to all the others several
            // times, then check only the p words.
            let p = fmix64(seed ^ 0x6d6f_6475_6c6f) | 1;
            let mut out = Vec::new();
            for residue in 0..MODULO_N {
                let marked = Select::Marked {
                    modulus: MODULO_N,
                    residue,
                };
                let unmarked = Select::Unmarked {
                    modulus: MODULO_N,
                    residue,
                };
                let fill = Fill::new(Kind::Modulo, p, residue, MODULO_N);
                out.push(Phase {
                    select: marked,
                    ..Phase::sweep(pattern, None, Some(fill))
                });
                for _ in 0..MODULO_REWRITES {
                    out.push(Phase {
                        select: unmarked,
                        ..Phase::sweep(pattern, None, Some(fill))
                    });
                }
                out.push(Phase {
                    select: marked,
                    ..Phase::sweep(pattern, Some(fill), None)
                });
            }
            out
        }
        Pattern::Retention => {
            // memtest86's bit fade: write zeros, wait, check; write ones,
            // wait, check.
            let mut waits = Vec::new();
            let mut left = pause;
            while !left.is_zero() {
                let d = left.min(WAIT_STEP);
                waits.push(Phase {
                    wait: Some(d),
                    ..Phase::sweep(pattern, None, None)
                });
                left -= d;
            }
            let mut out = vec![Phase::sweep(pattern, None, Some(c(0)))];
            out.extend(waits.iter().copied());
            out.push(Phase::sweep(pattern, Some(c(0)), Some(c(!0))));
            out.extend(waits);
            out.push(Phase::sweep(pattern, Some(c(!0)), None));
            out
        }
    }
}

/// What the memory test asks of a GPU.
#[derive(Debug, Clone, PartialEq)]
pub struct MemtestConfig {
    /// Fraction (0, 1] of the free memory to test.
    pub memory_fraction: f64,
}

/// How the memory was obtained, for the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Allocation {
    /// Device memory in all (cuMemGetInfo).
    pub total_bytes: u64,
    /// Free when the test began, after its own context.
    pub free_bytes: u64,
    /// What `--memory` asked for.
    pub target_bytes: u64,
    /// What was obtained and is tested.
    pub tested_bytes: u64,
    pub chunks: u32,
    /// Allocation failures retried or answered by a smaller chunk.
    pub retries: u32,
    /// Why, in order (the first 8, and the last when memory ran out).
    pub retry_reasons: Vec<String>,
}

/// What the worker set up.
#[derive(Debug, Clone, PartialEq)]
pub struct MemtestSetup {
    pub allocation: Allocation,
    /// Free-form: kernel, grid.
    pub detail: String,
}

/// A word that did not hold what was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch {
    /// Byte offset of the word within the memory under test (the chunks
    /// laid end to end).
    pub offset: u64,
    /// Device address of the word.
    pub address: u64,
    pub expected: u64,
    pub actual: u64,
}

/// One phase's outcome.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhaseStats {
    pub bytes_read: u64,
    pub bytes_written: u64,
    /// Device time of the sweep, seconds.
    pub seconds: f64,
    /// Words that differed (all of them, counted on the GPU).
    pub mismatches: u64,
    /// The first [`MAX_RECORDS`] of them.
    pub records: Vec<Mismatch>,
}

/// The wipe before the memory is freed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WipeStats {
    pub bytes: u64,
    /// Words not zero after the wipe.
    pub mismatches: u64,
}

/// One GPU under test; lives on its own thread.
pub trait MemtestWorker: Send {
    fn setup(&self) -> &MemtestSetup;
    /// Runs one sweep over all the memory under test.
    fn run_phase(&mut self, phase: &Phase) -> Result<PhaseStats, String>;
    /// Fault injection: flips the bits of `mask` in the word at byte
    /// `offset` (8-byte aligned) of the memory under test; returns the
    /// word's device address.
    fn flip(&mut self, offset: u64, mask: u64) -> Result<u64, String>;
    /// Overwrites every buffer with zeros and verifies it.
    fn wipe(&mut self) -> Result<WipeStats, String>;
}

/// The bytes to take in chunks: `target` rounded down to 2 MiB pages.
pub fn target_bytes(free: u64, fraction: f64) -> u64 {
    let t = (free as f64 * fraction.clamp(0.0, 1.0)) as u64;
    t & !((2u64 << 20) - 1)
}

/// Allocation with recovery: `alloc(size)` returns Ok(true) on success,
/// Ok(false) when out of memory (retried with backoff, then with half the
/// chunk, down to [`FLOOR_BYTES`]), Err for any other failure. Fills
/// `chunks`, `retries`, `retry_reasons` and `tested_bytes` of `a`.
pub fn allocate_with_recovery(
    a: &mut Allocation,
    mut alloc: impl FnMut(u64) -> Result<bool, String>,
    mut backoff: impl FnMut(u32),
) -> Result<(), String> {
    let mut chunk = CHUNK_BYTES;
    let mut attempt = 0u32;
    let note = |a: &mut Allocation, why: String| {
        a.retries += 1;
        if a.retry_reasons.len() < 8 {
            a.retry_reasons.push(why);
        }
    };
    while a.tested_bytes < a.target_bytes {
        let want = chunk.min(a.target_bytes - a.tested_bytes) & !15;
        if want == 0 {
            break;
        }
        if alloc(want)? {
            a.tested_bytes += want;
            a.chunks += 1;
            attempt = 0;
            continue;
        }
        let at = a.tested_bytes as f64 / (1u64 << 30) as f64;
        if attempt < ALLOC_RETRIES {
            attempt += 1;
            note(
                a,
                format!(
                    "out of memory for {} MiB at {at:.1} GiB: retry {attempt}",
                    want >> 20
                ),
            );
            backoff(attempt);
        } else if chunk / 2 >= FLOOR_BYTES {
            chunk /= 2;
            attempt = 0;
            note(
                a,
                format!(
                    "out of memory at {at:.1} GiB: chunk halved to {} MiB",
                    chunk >> 20
                ),
            );
        } else {
            // Always kept (past the cap): it says why the test is smaller.
            a.retries += 1;
            a.retry_reasons.push(format!(
                "out of memory at {at:.1} GiB with {} MiB chunks: testing what was obtained",
                FLOOR_BYTES >> 20
            ));
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_writes_then_checks_what_it_wrote() {
        for p in Pattern::ALL {
            let ph = phases(p, 42, Duration::ZERO);
            assert!(ph[0].check.is_none(), "{p:?} starts by writing");
            assert!(ph
                .last()
                .is_some_and(|l| l.write.is_none() && l.check.is_some()));
            // The ordered kernel takes every word.
            assert!(ph.iter().all(|x| !x.ordered || x.select == Select::All));
            if p == Pattern::Modulo {
                continue;
            }
            for w in ph.windows(2) {
                assert_eq!(
                    w[1].check, w[0].write,
                    "{p:?}: each check reads the previous write"
                );
            }
        }
    }

    #[test]
    fn walking_patterns_visit_every_bit_of_every_word() {
        let ph = phases(Pattern::WalkingOnes, 0, Duration::ZERO);
        for word in [0u64, 1, 63, 1000] {
            let mut seen = 0u64;
            for p in ph.iter().filter_map(|p| p.write) {
                let v = value(&p, 0x7f00_0000_0000 + word * 8);
                assert_eq!(v.count_ones(), 1);
                seen |= v;
            }
            assert_eq!(seen, !0);
        }
        let z = phases(Pattern::WalkingZeros, 0, Duration::ZERO);
        let v = value(&z[0].write.unwrap(), 8);
        assert_eq!(v.count_zeros(), 1);
    }

    #[test]
    fn address_and_random_differ_per_word_and_modulo_marks_every_nth() {
        let a = Fill::new(Kind::Address, 0, 0, 0);
        assert_eq!(value(&a, 0x1000), 0x1000);
        let r = Fill::new(Kind::Random, 0, 7, 0);
        assert_ne!(value(&r, 0x1000), value(&r, 0x1008));
        let m = Fill::new(Kind::Modulo, 5, 3, 20);
        let marked: Vec<u64> = (0..60).filter(|w| value(&m, w * 8) == 5).collect();
        assert_eq!(marked, vec![3, 23, 43]);
        assert_eq!(value(&m, 0), !5);
    }

    #[test]
    fn moving_inversions_go_up_and_down_in_address_order() {
        let ph = phases(Pattern::MovingInversions, 1, Duration::ZERO);
        let inversions: Vec<&Phase> = ph
            .iter()
            .filter(|p| p.check.is_some() && p.write.is_some())
            .collect();
        assert!(inversions.iter().all(|p| p.ordered));
        assert!(inversions.iter().any(|p| p.descending));
        assert!(inversions.iter().any(|p| !p.descending));
    }

    #[test]
    fn modulo_writes_p_then_the_complement_elsewhere_then_checks_only_p() {
        let ph = phases(Pattern::Modulo, 1, Duration::ZERO);
        assert_eq!(ph.len() as u64, MODULO_N * (MODULO_REWRITES as u64 + 2));
        for (k, group) in ph.chunks(MODULO_REWRITES + 2).enumerate() {
            let marked = Select::Marked {
                modulus: MODULO_N,
                residue: k as u64,
            };
            assert_eq!(group[0].select, marked);
            assert!(group[0].check.is_none() && group[0].write.is_some());
            for r in &group[1..=MODULO_REWRITES] {
                assert!(
                    matches!(r.select, Select::Unmarked { residue, .. } if residue == k as u64)
                );
                assert!(r.check.is_none());
            }
            let last = group[MODULO_REWRITES + 1];
            assert_eq!(
                (last.select, last.check, last.write),
                (marked, group[0].write, None)
            );
        }
        // The check reads a twentieth of the memory.
        assert_eq!(ph[MODULO_REWRITES + 1].bytes(2000), (100, 0));
    }

    #[test]
    fn retention_waits_the_pause_in_short_steps_before_each_check() {
        let ph = phases(Pattern::Retention, 1, Duration::from_millis(2500));
        let waits: Vec<Duration> = ph.iter().filter_map(|p| p.wait).collect();
        assert_eq!(waits.len(), 6);
        assert!(waits.iter().all(|w| *w <= WAIT_STEP));
        assert_eq!(waits.iter().sum::<Duration>(), Duration::from_secs(5));
        assert!(!Pattern::ALL.contains(&Pattern::Retention));
    }

    #[test]
    fn allocation_takes_chunks_until_the_target() {
        let mut a = Allocation {
            target_bytes: 5 * CHUNK_BYTES / 2,
            ..Default::default()
        };
        let mut sizes = Vec::new();
        allocate_with_recovery(
            &mut a,
            |s| {
                sizes.push(s);
                Ok(true)
            },
            |_| {},
        )
        .unwrap();
        assert_eq!(a.tested_bytes, a.target_bytes);
        assert_eq!(sizes, vec![CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES / 2]);
        assert_eq!(a.retries, 0);
    }

    #[test]
    fn allocation_retries_then_halves_down_to_the_floor() {
        // 2.25 GiB available, 4 GiB wanted.
        let mut left = 9 * CHUNK_BYTES / 4;
        let mut a = Allocation {
            target_bytes: 4 * CHUNK_BYTES,
            ..Default::default()
        };
        let mut backoffs = 0;
        allocate_with_recovery(
            &mut a,
            |s| {
                Ok(if s <= left {
                    left -= s;
                    true
                } else {
                    false
                })
            },
            |_| backoffs += 1,
        )
        .unwrap();
        assert_eq!(a.tested_bytes, 9 * CHUNK_BYTES / 4);
        assert!(backoffs >= ALLOC_RETRIES);
        assert!(a.retry_reasons.iter().any(|r| r.contains("halved")));
        assert!(a
            .retry_reasons
            .last()
            .unwrap()
            .contains("testing what was obtained"));
    }

    #[test]
    fn other_allocation_errors_stop_the_set_up() {
        let mut a = Allocation {
            target_bytes: CHUNK_BYTES,
            ..Default::default()
        };
        let r = allocate_with_recovery(&mut a, |_| Err("CUDA_ERROR_UNKNOWN".into()), |_| {});
        assert!(r.is_err());
    }

    #[test]
    fn target_is_whole_pages() {
        assert_eq!(target_bytes(10 << 30, 0.5), 5 << 30);
        assert_eq!(target_bytes((10 << 30) + 12345, 1.0) % (2 << 20), 0);
    }
}
