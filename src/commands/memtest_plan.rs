//! `memtest`'s plan: the chosen patterns, in order, and their phases.

use crate::cli::MemtestArgs;
use crate::device::memtest::{phases, Pattern, Phase};
use std::time::Duration;

/// The chosen patterns, in the order given, each once (all when none),
/// then retention when `--retention-pause` asks for it.
pub fn chosen(args: &MemtestArgs) -> Vec<Pattern> {
    let mut out: Vec<Pattern> = Vec::new();
    for p in args.patterns.iter().copied() {
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
