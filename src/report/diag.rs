//! What `diag` reports beside its per-GPU verdicts: the level and each
//! phase with the report of the command it ran.

use super::Report;
use schemars::JsonSchema;
use serde::Serialize;

/// `diag`'s run: level and phases in order.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DiagSummary {
    /// 1 to 4.
    pub level: u32,
    /// `--keep-going`: phases after a FAIL still ran.
    pub keep_going: bool,
    /// Wall time of the whole run.
    pub seconds: f64,
    /// Every phase of the level, run or not.
    pub phases: Vec<DiagPhase>,
}

/// What became of a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhaseOutcome {
    Pass,
    Warn,
    Fail,
    /// The phase could not run (its command's error); fails the diag.
    Error,
    /// Stopped by a signal while it ran.
    Interrupted,
    /// Nothing to test here (p2p with fewer than two GPUs); `note` says
    /// why. Neither a pass nor a failure.
    Skipped,
    /// Not run: an earlier phase failed (no `--keep-going`), or a signal
    /// stopped the run first; `note` says which.
    NotRun,
}

/// One phase: the command it ran and that command's report.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct DiagPhase {
    /// `health`, `fabric`, `burn`, `memtest`, `p2p`, `bench`.
    pub name: String,
    /// The equivalent command line (`gpuctl burn --duration 30s`).
    pub command: String,
    /// What the phase does.
    pub what: String,
    /// About how long it was expected to take; null when that depends on
    /// the memory size.
    pub expected_seconds: Option<f64>,
    pub outcome: PhaseOutcome,
    /// How long it took; null when it did not run.
    pub seconds: Option<f64>,
    /// Why it did not run, or its error.
    pub note: Option<String>,
    /// The phase's own report, as its command gives it; null when it did
    /// not run.
    pub report: Option<Box<Report>>,
}
