//! A pure reference of the memory test: the phases of [`super::memtest`]
//! run on a model memory with injected faults (stuck bits, coupling,
//! disturbance, fading bits), so unit tests show what each pattern
//! catches and what it cannot.
//!
//! The reference follows the kernel's semantics (`kernels/memtest.cu`):
//! a streaming sweep visits the words in one legal order (the kernel's is
//! unspecified); an ordered sweep (moving inversions) splits the memory
//! into segments, one per warp, and walks each in address order one
//! [`STEP_WORDS`] step at a time, checking every word of a step before
//! writing it, as the kernel's warp does. Segments run one after another
//! here (on the GPU concurrently: a fault coupling two segments is not
//! ordered). Time advances only in waits (retention).

use super::memtest::{value, Phase};
use std::ops::Range;
use std::time::Duration;

/// Words of one ordered step: 32 lanes of 16 bytes.
pub const STEP_WORDS: usize = 64;

/// A fault of the model memory; words are indices into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Bit `bit` of `word` always reads `value`.
    StuckAt { word: usize, bit: u32, value: bool },
    /// A write that turns bit `bit` of `aggressor` to `to` forces the same
    /// bit of `victim` to `forced` (an idempotent coupling fault).
    Coupling {
        aggressor: usize,
        victim: usize,
        bit: u32,
        to: bool,
        forced: bool,
    },
    /// After `writes` writes to `aggressor` since `victim` was last
    /// written, bit `bit` of `victim` inverts (a disturbance).
    Disturb {
        aggressor: usize,
        victim: usize,
        bit: u32,
        writes: u32,
    },
    /// Bit `bit` of `word` reads 0 once unwritten for `after` (retention).
    Fade {
        word: usize,
        bit: u32,
        after: Duration,
    },
}

/// A word that did not read what was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub word: usize,
    pub expected: u64,
    pub actual: u64,
}

/// The model memory: words at device address `base + 8 * index`.
pub struct Memory {
    base: u64,
    words: Vec<u64>,
    written_at: Vec<Duration>,
    faults: Vec<Fault>,
    /// Per fault: aggressor writes since the victim's last write.
    disturbed: Vec<u32>,
    clock: Duration,
}

impl Memory {
    pub fn new(base: u64, words: usize, faults: &[Fault]) -> Self {
        Self {
            base,
            words: vec![0; words],
            written_at: vec![Duration::ZERO; words],
            faults: faults.to_vec(),
            disturbed: vec![0; faults.len()],
            clock: Duration::ZERO,
        }
    }

    fn address(&self, word: usize) -> u64 {
        self.base + 8 * word as u64
    }

    fn read(&self, word: usize) -> u64 {
        let mut v = self.words[word];
        for f in &self.faults {
            match *f {
                Fault::StuckAt {
                    word: w,
                    bit,
                    value,
                } if w == word => {
                    v = (v & !(1 << bit)) | (u64::from(value) << bit);
                }
                Fault::Fade {
                    word: w,
                    bit,
                    after,
                } if w == word && self.clock - self.written_at[word] >= after => {
                    v &= !(1 << bit);
                }
                _ => {}
            }
        }
        v
    }

    fn write(&mut self, word: usize, v: u64) {
        let old = self.words[word];
        self.words[word] = v;
        self.written_at[word] = self.clock;
        for (i, f) in self.faults.iter().enumerate() {
            match *f {
                Fault::Coupling {
                    aggressor,
                    victim,
                    bit,
                    to,
                    forced,
                } if aggressor == word => {
                    let (was, now) = ((old >> bit) & 1 == 1, (v >> bit) & 1 == 1);
                    if was != now && now == to {
                        let w = &mut self.words[victim];
                        *w = (*w & !(1 << bit)) | (u64::from(forced) << bit);
                    }
                }
                Fault::Disturb {
                    aggressor,
                    victim,
                    bit,
                    writes,
                } => {
                    if victim == word {
                        self.disturbed[i] = 0;
                    } else if aggressor == word {
                        self.disturbed[i] += 1;
                        if self.disturbed[i] == writes {
                            self.words[victim] ^= 1 << bit;
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Checks then writes one word, as the phase asks.
    fn visit(&mut self, phase: &Phase, word: usize, found: &mut Vec<Found>) {
        let a = self.address(word);
        if !phase.select.takes(a) {
            return;
        }
        if let Some(c) = phase.check {
            let (expected, actual) = (value(&c, a), self.read(word));
            if expected != actual {
                found.push(Found {
                    word,
                    expected,
                    actual,
                });
            }
        }
        if let Some(w) = phase.write {
            self.write(word, value(&w, a));
        }
    }

    /// Runs one phase; `segments` is the ordered walk's warp count.
    pub fn run(&mut self, phase: &Phase, segments: usize) -> Vec<Found> {
        let mut found = Vec::new();
        if let Some(d) = phase.wait {
            self.clock += d;
            return found;
        }
        let n = self.words.len();
        if !phase.ordered {
            for i in 0..n {
                let word = if phase.descending { n - 1 - i } else { i };
                self.visit(phase, word, &mut found);
            }
            return found;
        }
        for words in ordered_steps(n, segments, phase.descending) {
            // A warp reads its whole step, then writes it.
            let (check_only, write_only) = (
                Phase {
                    write: None,
                    ..*phase
                },
                Phase {
                    check: None,
                    ..*phase
                },
            );
            for w in words.clone() {
                self.visit(&check_only, w, &mut found);
            }
            for w in words {
                self.visit(&write_only, w, &mut found);
            }
        }
        found
    }
}

/// The steps of an ordered walk over `words` words split among `segments`
/// warps, in the order this model visits them: segment after segment, each
/// walked up (or down when `descending`) one [`STEP_WORDS`] step at a time.
/// The split is the kernel's (`gpuctl_memtest_ordered`): steps per warp
/// rounded up, so trailing warps may have none. The simulated GPU's
/// reference kernel walks the same steps.
pub fn ordered_steps(
    words: usize,
    segments: usize,
    descending: bool,
) -> impl Iterator<Item = Range<usize>> {
    let steps = words.div_ceil(STEP_WORDS);
    let segments = segments.max(1);
    let per = steps.div_ceil(segments);
    (0..segments).flat_map(move |seg| {
        let first = (seg * per).min(steps);
        let last = (first + per).min(steps);
        (0..last - first).map(move |i| {
            let step = if descending { last - 1 - i } else { first + i };
            step * STEP_WORDS..((step + 1) * STEP_WORDS).min(words)
        })
    })
}

/// Runs every phase of `plan` and returns all that was found.
pub fn run_all(mem: &mut Memory, plan: &[Phase], segments: usize) -> Vec<Found> {
    plan.iter().flat_map(|p| mem.run(p, segments)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::memtest::{phases, Pattern, MODULO_N};
    use super::*;

    const BASE: u64 = 0x7f00_0000_0000;
    const WORDS: usize = 4096;
    const SEGMENTS: usize = 4;

    fn finds(pattern: Pattern, pause: Duration, faults: &[Fault]) -> Vec<Found> {
        let mut mem = Memory::new(BASE, WORDS, faults);
        run_all(&mut mem, &phases(pattern, 7, pause), SEGMENTS)
    }

    fn all_patterns() -> Vec<(Pattern, Duration)> {
        let mut v: Vec<(Pattern, Duration)> =
            Pattern::ALL.iter().map(|&p| (p, Duration::ZERO)).collect();
        v.push((Pattern::Retention, Duration::from_secs(1)));
        v
    }

    #[test]
    fn fault_free_memory_passes_every_pattern() {
        for (p, pause) in all_patterns() {
            assert!(finds(p, pause, &[]).is_empty(), "{p:?}");
        }
    }

    #[test]
    fn stuck_bits_are_found_by_every_pattern_but_modulo() {
        for (p, pause) in all_patterns() {
            if p == Pattern::Modulo {
                continue;
            }
            for value in [false, true] {
                for bit in [0, 31, 63] {
                    let f = Fault::StuckAt {
                        word: 1234,
                        bit,
                        value,
                    };
                    let found = finds(p, pause, &[f]);
                    assert!(!found.is_empty(), "{p:?} misses {f:?}");
                    assert!(found.iter().all(|x| x.word == 1234));
                    assert!(found.iter().all(|x| x.expected ^ x.actual == 1 << bit));
                }
            }
        }
    }

    #[test]
    fn modulo_finds_a_stuck_bit_only_where_p_has_the_other_value() {
        // Modulo checks each word once, against p: a bit stuck at p's own
        // value is invisible to it (the streaming patterns find those).
        let fill = phases(Pattern::Modulo, 7, Duration::ZERO)[0]
            .write
            .expect("modulo starts by writing p");
        let p = fill.p0;
        for bit in 0..64 {
            let p_bit = (p >> bit) & 1 == 1;
            let hit = |value| {
                let f = Fault::StuckAt {
                    word: 999,
                    bit,
                    value,
                };
                !finds(Pattern::Modulo, Duration::ZERO, &[f]).is_empty()
            };
            assert!(hit(!p_bit), "bit {bit}");
            assert!(!hit(p_bit), "bit {bit}");
        }
    }

    /// A falling write above the victim clears the victim's bit: only a
    /// walk that goes down, checking after each write, sees it.
    fn falling_coupling(aggressor: usize, victim: usize) -> Fault {
        Fault::Coupling {
            aggressor,
            victim,
            bit: 5,
            to: false,
            forced: false,
        }
    }

    #[test]
    fn moving_inversions_find_a_coupling_only_a_downward_walk_reveals() {
        // Same segment (1024 words each), different steps.
        let f = falling_coupling(700, 100);
        let found = finds(Pattern::MovingInversions, Duration::ZERO, &[f]);
        assert!(found.iter().any(|x| x.word == 100), "{found:?}");
        // zeros-ones never writes a falling transition, random writes each
        // word once per direction, so the victim is rewritten after the
        // disturbance: both miss it.
        for p in [Pattern::ZerosOnes, Pattern::WalkingOnes] {
            assert!(finds(p, Duration::ZERO, &[f]).is_empty(), "{p:?}");
        }
    }

    #[test]
    fn the_walk_checks_each_step_before_the_next_is_written() {
        // Upward: a rising write below the victim sets its bit before the
        // victim is checked (expects zeros): found in the up walk.
        let f = Fault::Coupling {
            aggressor: 10,
            victim: 200,
            bit: 3,
            to: true,
            forced: true,
        };
        let mut mem = Memory::new(BASE, WORDS, &[f]);
        let plan = phases(Pattern::MovingInversions, 7, Duration::ZERO);
        assert!(mem.run(&plan[0], SEGMENTS).is_empty());
        assert!(plan[1].ordered && !plan[1].descending);
        let up = mem.run(&plan[1], SEGMENTS);
        assert_eq!(up.len(), 1);
        assert_eq!(up[0].word, 200);
        // Within one step the warp reads every word before writing any:
        // the same coupling inside one step is not seen in the up walk.
        let same_step = Fault::Coupling {
            aggressor: 10,
            victim: 20,
            bit: 3,
            to: true,
            forced: true,
        };
        let mut mem = Memory::new(BASE, WORDS, &[same_step]);
        mem.run(&plan[0], SEGMENTS);
        assert!(mem.run(&plan[1], SEGMENTS).is_empty());
    }

    #[test]
    fn modulo_finds_a_disturbance_that_one_write_per_sweep_cannot_cause() {
        // The victim's bit flips after 3 writes of its neighbour without a
        // write of its own: modulo's repeated complement writes do it.
        let victim = 3 * MODULO_N as usize + 7;
        let f = Fault::Disturb {
            aggressor: victim + 1,
            victim,
            bit: 9,
            writes: 3,
        };
        let found = finds(Pattern::Modulo, Duration::ZERO, &[f]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].word, victim);
        for p in [
            Pattern::ZerosOnes,
            Pattern::MovingInversions,
            Pattern::Random,
            Pattern::Address,
        ] {
            assert!(finds(p, Duration::ZERO, &[f]).is_empty(), "{p:?}");
        }
    }

    #[test]
    fn retention_finds_a_fading_bit_no_other_pattern_waits_for() {
        let f = Fault::Fade {
            word: 77,
            bit: 40,
            after: Duration::from_secs(2),
        };
        let found = finds(Pattern::Retention, Duration::from_secs(3), &[f]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].expected, found[0].actual), (!0, !(1 << 40)));
        // A pause shorter than the fade misses it, as every sweep does.
        assert!(finds(Pattern::Retention, Duration::from_secs(1), &[f]).is_empty());
        for p in Pattern::ALL {
            assert!(finds(p, Duration::ZERO, &[f]).is_empty(), "{p:?}");
        }
    }
}
