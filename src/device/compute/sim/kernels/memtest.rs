//! References of `kernels/memtest.cu`: the streaming sweep (every word, or
//! a modulo-N selection), the ordered walk (moving inversions) and the
//! one-word flip, leaving the buffer and the `MtLog` as the kernels do.
//!
//! Pattern values are [`memtest::value`] (the kernel's `pattern_value`);
//! the ordered walk visits the steps [`memtest_ref::ordered_steps`] gives
//! for the launch's warp count, so a coupling fault between two steps is
//! found where a warp of the kernel would find it. Within a step every
//! word is read and checked before any is written (the warp's load is one
//! instruction for its 32 lanes), and records are taken lane by lane, the
//! first word of each 16-byte unit before the second, as the kernel's
//! lock-step `check_write` takes them. A streaming sweep has no order on
//! the GPU; here it visits the units up (or down when `descending`),
//! reading both words of a unit before writing them.

use super::{aligned, unknown, Cost, Launch, Mem};
use crate::device::compute::sim::mem::Place;
use crate::device::memtest::{self, Fill, Kind, Select, MAX_RECORDS};
use crate::device::memtest_ref::ordered_steps;

/// Bytes of the log's header (count, recorded) and of one record.
const LOG_HEADER: u64 = 16;
const RECORD_BYTES: u64 = 24;

pub fn run(kernel: &str, mem: &mut Mem, launch: &Launch) -> Result<Cost, String> {
    match kernel {
        "gpuctl_memtest_pass" => stream(mem, &Sweep::parse(launch, false)?),
        "gpuctl_memtest_select" => stream(mem, &Sweep::parse(launch, true)?),
        "gpuctl_memtest_ordered" => ordered(mem, launch),
        "gpuctl_memtest_flip" => flip(mem, launch),
        _ => Err(unknown(kernel)),
    }
}

/// One sweep's arguments (the kernels' `MT_PARAMS`).
struct Sweep {
    base: u64,
    n16: u64,
    check: Option<Fill>,
    write: Option<Fill>,
    descending: bool,
    select: Select,
    log: u64,
}

/// The kernel's pattern `kind` with its parameters: kinds above 3 are all
/// modulo (the `default:` of `pattern_value`), whose modulus is `p2` only
/// for kind 4 with `p2 > 0` (1 otherwise, as the kernel's residues are).
fn fill(kind: u32, p0: u64, p1: u64, p2: u64) -> Fill {
    let kind = match kind {
        0 => Kind::Const,
        1 => Kind::Walk,
        2 => Kind::Address,
        3 => Kind::Random,
        _ => Kind::Modulo,
    };
    let p2 = if kind == Kind::Modulo && p2 > 0 {
        p2
    } else {
        1
    };
    Fill { kind, p0, p1, p2 }
}

impl Sweep {
    fn parse(l: &Launch, selects: bool) -> Result<Self, String> {
        l.threads()?;
        let base = aligned("a memtest buffer", l.u64(0)?, 16)?;
        let n16 = l.u64(1)?;
        if n16 >= 1 << 31 {
            return Err(format!(
                "memtest buffer of {n16} units: the kernel needs < 2^31"
            ));
        }
        let mode = l.u32(2)?;
        let check = (mode & 1 != 0)
            .then(|| Ok::<_, String>(fill(l.u32(4)?, l.u64(5)?, l.u64(6)?, l.u64(7)?)));
        let write = (mode & 2 != 0)
            .then(|| Ok::<_, String>(fill(l.u32(8)?, l.u64(9)?, l.u64(10)?, l.u64(11)?)));
        let (sel, sel_m, sel_k) = (l.u32(12)?, l.u64(13)?, l.u64(14)?);
        // The kernel's `s.sel`: only the select entry point reads it, and
        // an invalid selection takes every word.
        let select = match sel {
            1 if selects && sel_m > 0 => Select::Marked {
                modulus: sel_m,
                residue: sel_k,
            },
            2 if selects && sel_m > 0 => Select::Unmarked {
                modulus: sel_m,
                residue: sel_k,
            },
            _ => Select::All,
        };
        Ok(Sweep {
            base,
            n16,
            check: check.transpose()?,
            write: write.transpose()?,
            descending: l.u32(3)? != 0,
            select,
            log: aligned("the memtest log", l.u64(15)?, 8)?,
        })
    }

    /// Bytes a sweep over `words` words moves.
    fn cost(&self, words: u64) -> Cost {
        let passes = u64::from(self.check.is_some()) + u64::from(self.write.is_some());
        Cost {
            bytes: 8 * words * passes,
            ..Cost::default()
        }
    }
}

/// The kernel's `record`: count one mismatch and keep it in the next slot
/// while slots are left.
fn record(mem: &mut Mem, log: u64, address: u64, expected: u64, actual: u64) -> Result<(), String> {
    let count = mem.r64(log)?;
    mem.w64(log, count.wrapping_add(1))?;
    let slot = mem.r64(log + 8)?;
    mem.w64(log + 8, slot.wrapping_add(1))?;
    if slot < MAX_RECORDS as u64 {
        let r = log + LOG_HEADER + RECORD_BYTES * slot;
        mem.w64(r, address)?;
        mem.w64(r + 8, expected)?;
        mem.w64(r + 16, actual)?;
    }
    Ok(())
}

/// Checks the words at `addrs` (already read into `got`) against the old
/// pattern, recording mismatches in order.
fn check_words(mem: &mut Mem, s: &Sweep, addrs: &[u64], got: &[u64]) -> Result<(), String> {
    if let Some(c) = &s.check {
        for (&a, &g) in addrs.iter().zip(got) {
            let want = memtest::value(c, a);
            if g != want {
                record(mem, s.log, a, want, g)?;
            }
        }
    }
    Ok(())
}

fn write_words(mem: &mut Mem, s: &Sweep, addrs: &[u64]) -> Result<(), String> {
    if let Some(w) = &s.write {
        for &a in addrs {
            mem.w64(a, memtest::value(w, a))?;
        }
    }
    Ok(())
}

fn read_words(mem: &Mem, s: &Sweep, addrs: &[u64]) -> Result<Vec<u64>, String> {
    if s.check.is_none() {
        return Ok(Vec::new());
    }
    addrs.iter().map(|&a| mem.r64(a)).collect()
}

/// `gpuctl_memtest_pass` / `_select`: unit by unit, the selected words of
/// each read, checked, then written.
fn stream(mem: &mut Mem, s: &Sweep) -> Result<Cost, String> {
    if let Some(cost) = stream_in_arena(mem, s)? {
        return Ok(cost);
    }
    let mut words = 0;
    let mut addrs = Vec::with_capacity(2);
    for j in 0..s.n16 {
        let idx = if s.descending { s.n16 - 1 - j } else { j };
        let a = s.base + 16 * idx;
        addrs.clear();
        addrs.extend([a, a + 8].into_iter().filter(|&w| s.select.takes(w)));
        words += addrs.len() as u64;
        let got = read_words(mem, s, &addrs)?;
        check_words(mem, s, &addrs, &got)?;
        write_words(mem, s, &addrs)?;
    }
    Ok(s.cost(words))
}

/// [`stream`] for a buffer inside one device's memory, on its words
/// directly (the same order, checks and writes, without a lookup and an
/// allocation per unit: debug builds run it in CI). Mismatches go into the
/// log after the sweep, in the order they were found (the log lies outside
/// the buffer). `None` when the buffer is not in one arena.
fn stream_in_arena(mem: &mut Mem, s: &Sweep) -> Result<Option<Cost>, String> {
    let (Some(last), true) = (
        (s.base + 16 * s.n16).checked_sub(8),
        s.n16 > 0 && !(s.log >= s.base && s.log < s.base + 16 * s.n16),
    ) else {
        return Ok(None);
    };
    let (Ok(Place::Device(d, w0)), Ok(Place::Device(d1, _))) = (mem.place(s.base), mem.place(last))
    else {
        return Ok(None);
    };
    if d != d1 {
        return Ok(None);
    }
    let arena = &mut mem.devices[d];
    let mut found: Vec<(u64, u64, u64)> = Vec::new();
    let mut count = 0u64;
    let mut words = 0u64;
    for j in 0..s.n16 {
        let idx = if s.descending { s.n16 - 1 - j } else { j };
        let a = s.base + 16 * idx;
        let w = w0 + 2 * idx as usize;
        let take = [s.select.takes(a), s.select.takes(a + 8)];
        words += u64::from(take[0]) + u64::from(take[1]);
        if let Some(c) = &s.check {
            let got = [arena.get(w), arena.get(w + 1)];
            for (k, (&taken, &value)) in take.iter().zip(&got).enumerate() {
                let at = a + 8 * k as u64;
                let want = memtest::value(c, at);
                if taken && value != want {
                    count += 1;
                    if found.len() < MAX_RECORDS {
                        found.push((at, want, value));
                    }
                }
            }
        }
        if let Some(f) = &s.write {
            for (k, &taken) in take.iter().enumerate() {
                if taken {
                    arena.set(w + k, memtest::value(f, a + 8 * k as u64));
                }
            }
        }
    }
    if count > 0 {
        let (c0, r0) = (mem.r64(s.log)?, mem.r64(s.log + 8)?);
        mem.w64(s.log, c0.wrapping_add(count))?;
        mem.w64(s.log + 8, r0.wrapping_add(count))?;
        for (i, (at, want, got)) in found.into_iter().enumerate() {
            let slot = r0 + i as u64;
            if slot < MAX_RECORDS as u64 {
                let r = s.log + LOG_HEADER + RECORD_BYTES * slot;
                mem.w64(r, at)?;
                mem.w64(r + 8, want)?;
                mem.w64(r + 16, got)?;
            }
        }
    }
    Ok(Some(s.cost(words)))
}

/// `gpuctl_memtest_ordered`: each warp's segment walked step by step.
fn ordered(mem: &mut Mem, l: &Launch) -> Result<Cost, String> {
    let s = Sweep::parse(l, false)?;
    if l.dim.block % 32 != 0 {
        // The kernel takes lanes from threadIdx and warps from the global
        // thread index: only whole warps split the buffer as documented.
        return Err(format!(
            "gpuctl_memtest_ordered needs whole warps, launched with blocks of {}",
            l.dim.block
        ));
    }
    let warps = (l.threads()? / 32) as usize;
    let n = 2 * s.n16 as usize;
    let mut addrs = Vec::with_capacity(crate::device::memtest_ref::STEP_WORDS);
    for step in ordered_steps(n, warps, s.descending) {
        // Lane by lane the first word of each unit, then the second.
        addrs.clear();
        addrs.extend(step.clone().step_by(2).map(|w| s.base + 8 * w as u64));
        addrs.extend(
            step.clone()
                .skip(1)
                .step_by(2)
                .map(|w| s.base + 8 * w as u64),
        );
        let got = read_words(mem, &s, &addrs)?;
        check_words(mem, &s, &addrs, &got)?;
        write_words(mem, &s, &addrs)?;
    }
    Ok(s.cost(n as u64))
}

/// `gpuctl_memtest_flip(word_address, mask)`: one thread flips the bits.
fn flip(mem: &mut Mem, l: &Launch) -> Result<Cost, String> {
    l.threads()?;
    let a = aligned("gpuctl_memtest_flip", l.u64(0)?, 8)?;
    let v = mem.r64(a)?;
    mem.w64(a, v ^ l.u64(1)?)?;
    Ok(Cost {
        bytes: 16,
        ..Cost::default()
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{launch, mem_with, BASE};
    use super::*;
    use crate::device::compute::sim::mem::{FaultKind, MemoryFault};
    use crate::device::compute::{Arg, Dim};
    use crate::device::memtest::{phases, Pattern, Phase};
    use std::time::Duration;

    const LOG: u64 = BASE + (1 << 20);
    const BYTES: u64 = 64 << 10;
    const DIM: Dim = Dim::new(2, 64); // 4 warps

    /// The kernel's arguments for `phase` over [BASE, BASE + BYTES), as
    /// workloads::memtest passes them.
    fn args(phase: &Phase) -> Vec<Arg> {
        phase.kernel_args(BASE, BYTES, LOG)
    }

    fn entry(phase: &Phase) -> &'static str {
        phase.kernel()
    }

    /// (count, records) of the log.
    fn log(mem: &Mem) -> (u64, Vec<(u64, u64, u64)>) {
        let count = mem.r64(LOG).unwrap();
        let kept = mem.r64(LOG + 8).unwrap().min(MAX_RECORDS as u64);
        let recs = (0..kept)
            .map(|i| {
                let r = LOG + LOG_HEADER + RECORD_BYTES * i;
                (
                    mem.r64(r).unwrap(),
                    mem.r64(r + 8).unwrap(),
                    mem.r64(r + 16).unwrap(),
                )
            })
            .collect();
        (count, recs)
    }

    /// Runs every phase of `pattern` (waits skipped) and returns the log.
    fn run_pattern(mem: &mut Mem, pattern: Pattern) -> (u64, Vec<(u64, u64, u64)>) {
        for p in phases(pattern, 7, Duration::ZERO) {
            if p.wait.is_some() {
                continue;
            }
            run(entry(&p), mem, &launch(DIM, &args(&p))).unwrap();
        }
        log(mem)
    }

    #[test]
    fn fault_free_memory_passes_every_pattern_and_is_left_as_the_last_write() {
        for pattern in Pattern::ALL {
            let mut mem = mem_with(&[]);
            assert_eq!(run_pattern(&mut mem, pattern).0, 0, "{pattern:?}");
        }
        // After zeros-ones the memory holds its last fill, all ones.
        let mut mem = mem_with(&[]);
        let plan = phases(Pattern::ZerosOnes, 7, Duration::ZERO);
        let last = plan.iter().rev().find_map(|p| p.write).unwrap();
        run_pattern(&mut mem, Pattern::ZerosOnes);
        for w in 0..BYTES / 8 {
            let a = BASE + 8 * w;
            assert_eq!(mem.r64(a).unwrap(), memtest::value(&last, a));
        }
        // Nothing past the buffer was touched.
        assert_eq!(mem.r64(BASE + BYTES).unwrap(), 0);
    }

    #[test]
    fn a_stuck_bit_is_found_by_pass_and_ordered_at_its_address_and_bit() {
        let offset = 4096 + 8;
        let stuck = MemoryFault {
            offset,
            bit: 3,
            kind: FaultKind::Stuck1,
            victim: None,
        };
        // zeros-ones streams; moving inversions walks in order.
        for pattern in [Pattern::ZerosOnes, Pattern::MovingInversions] {
            let mut mem = mem_with(&[stuck]);
            let (count, recs) = run_pattern(&mut mem, pattern);
            assert!(count > 0, "{pattern:?}");
            assert_eq!(
                count as usize,
                recs.len(),
                "{pattern:?}: every one recorded"
            );
            for (address, expected, actual) in recs {
                assert_eq!(address, BASE + offset, "{pattern:?}");
                assert_eq!(expected ^ actual, 1 << 3, "{pattern:?}");
                assert_eq!(actual & 8, 8, "{pattern:?}: stuck at one");
            }
        }
    }

    #[test]
    fn the_ordered_walk_finds_a_coupling_where_the_kernels_warp_would() {
        // 4 warps over 8192 words: 2048 words (32 steps) each. A write to
        // word 100 that flips bit 5 flips the same bit of word 700: the up
        // walk writes the aggressor (step 1) before it checks the victim
        // (step 10), and finds it there.
        let coupling = MemoryFault {
            offset: 100 * 8,
            bit: 5,
            kind: FaultKind::Coupling,
            victim: Some(700 * 8),
        };
        let plan = phases(Pattern::MovingInversions, 7, Duration::ZERO);
        assert!(plan[1].ordered && !plan[1].descending && plan[2].descending);
        let run_phases = |mem: &mut Mem, dim: Dim, n: usize| {
            for p in &plan[..n] {
                run(entry(p), mem, &launch(dim, &args(p))).unwrap();
            }
            log(mem)
        };
        let mut mem = mem_with(&[coupling]);
        let (count, recs) = run_phases(&mut mem, DIM, 2);
        assert_eq!(count, 1);
        assert_eq!(recs, vec![(BASE + 700 * 8, 0, 1 << 5)]);
        // Within one step (words 10 and 20) the warp reads both before it
        // writes either: the up walk cannot see it.
        let mut mem = mem_with(&[MemoryFault {
            offset: 10 * 8,
            victim: Some(20 * 8),
            ..coupling
        }]);
        assert_eq!(run_phases(&mut mem, DIM, 2).0, 0);
        // The segments follow the launch. Aggressor 3000 (warp 1) above
        // victim 700 (warp 0): the reference runs warp 0's segment first
        // in each walk, so the down walk checks the victim the up walk's
        // aggressor write flipped.
        let far = MemoryFault {
            offset: 3000 * 8,
            victim: Some(700 * 8),
            ..coupling
        };
        let mut mem = mem_with(&[far]);
        assert_eq!(run_phases(&mut mem, DIM, 3).0, 1);
        // One warp owns it all: the down walk reaches the aggressor first
        // and flips the victim back before checking it.
        let mut mem = mem_with(&[far]);
        assert_eq!(run_phases(&mut mem, Dim::new(1, 32), 3).0, 0);
    }

    #[test]
    fn the_log_keeps_sixteen_records_and_counts_the_rest() {
        let mut mem = mem_with(&[]);
        // Write zeros, flip 20 words, check: 20 counted, 16 kept in order.
        let plan = phases(Pattern::ZerosOnes, 7, Duration::ZERO);
        run(entry(&plan[0]), &mut mem, &launch(DIM, &args(&plan[0]))).unwrap();
        for i in 0..20u64 {
            let flip = [Arg::U64(BASE + 800 * i), Arg::U64(1 << i)];
            run(
                "gpuctl_memtest_flip",
                &mut mem,
                &launch(Dim::new(1, 1), &flip),
            )
            .unwrap();
        }
        run(entry(&plan[1]), &mut mem, &launch(DIM, &args(&plan[1]))).unwrap();
        let (count, recs) = log(&mem);
        assert_eq!(count, 20);
        assert_eq!(mem.r64(LOG + 8).unwrap(), 20, "recorded counts on");
        assert_eq!(recs.len(), MAX_RECORDS);
        for (i, r) in recs.iter().enumerate() {
            assert_eq!(*r, (BASE + 800 * i as u64, 0, 1 << i));
        }
    }

    #[test]
    fn a_selection_reads_and_writes_only_its_words() {
        let mut mem = mem_with(&[]);
        let marked = Select::Marked {
            modulus: 20,
            residue: 3,
        };
        let ones = Fill {
            kind: Kind::Const,
            p0: !0,
            p1: 0,
            p2: 0,
        };
        let p = Phase {
            select: marked,
            ..Phase::sweep(Pattern::Modulo, None, Some(ones))
        };
        let cost = run(entry(&p), &mut mem, &launch(DIM, &args(&p))).unwrap();
        let mut taken = 0;
        for w in 0..BYTES / 8 {
            let a = BASE + 8 * w;
            let want = if (a >> 3) % 20 == 3 { !0 } else { 0 };
            taken += u64::from(want != 0);
            assert_eq!(mem.r64(a).unwrap(), want, "word {w}");
        }
        assert!(taken > 400);
        assert_eq!(cost.bytes, 8 * taken);
        // The pass kernel ignores the selection.
        run("gpuctl_memtest_pass", &mut mem, &launch(DIM, &args(&p))).unwrap();
        assert_eq!(mem.r64(BASE).unwrap(), !0);
    }

    #[test]
    fn bad_launches_are_refused() {
        let mut mem = mem_with(&[]);
        let p = phases(Pattern::MovingInversions, 7, Duration::ZERO)[1];
        let odd = Dim::new(2, 48);
        assert!(run(entry(&p), &mut mem, &launch(odd, &args(&p))).is_err());
        let mut a = args(&p);
        a[0] = Arg::U64(BASE + 8);
        assert!(run(entry(&p), &mut mem, &launch(DIM, &a)).is_err());
        assert!(run(entry(&p), &mut mem, &launch(DIM, &a[..10])).is_err());
        assert!(run("gpuctl_memtest_nope", &mut mem, &launch(DIM, &a)).is_err());
    }
}
