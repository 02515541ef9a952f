//! `memtest`'s plan: the chosen patterns, in order, and their phases.

use crate::cli::{MemtestArgs, PatternChoice};
use crate::device::memtest::{phases, Pattern, Phase};
use std::time::Duration;

fn pattern_of(c: PatternChoice) -> Pattern {
    match c {
        PatternChoice::ZerosOnes => Pattern::ZerosOnes,
        PatternChoice::WalkingOnes => Pattern::WalkingOnes,
        PatternChoice::WalkingZeros => Pattern::WalkingZeros,
        PatternChoice::MovingInversions => Pattern::MovingInversions,
        PatternChoice::Address => Pattern::Address,
        PatternChoice::Random => Pattern::Random,
        PatternChoice::Modulo => Pattern::Modulo,
    }
}

/// The chosen patterns, in the order given, each once (all when none),
/// then retention when `--retention-pause` asks for it.
pub fn chosen(args: &MemtestArgs) -> Vec<Pattern> {
    let mut out: Vec<Pattern> = Vec::new();
    for p in args.patterns.iter().map(|&c| pattern_of(c)) {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    if out.is_empty() {
        out = Pattern::ALL.to_vec();
    }
    if args.retention_pause.is_some() {
        out.push(Pattern::Retention);
    }
    out
}

/// The patterns and every phase of one pass, for a run seeded `seed`.
pub fn plan(args: &MemtestArgs, seed: u64) -> (Vec<Pattern>, Vec<Phase>) {
    let patterns = chosen(args);
    let pause = args.retention_pause.unwrap_or(Duration::ZERO);
    let plan = patterns
        .iter()
        .flat_map(|&p| phases(p, seed, pause))
        .collect();
    (patterns, plan)
}
