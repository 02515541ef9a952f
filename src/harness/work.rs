//! What a command hands the harness and gets back: the [`Workload`] trait,
//! its targets and options, why work stopped ([`WorkError`], [`Failure`]) and
//! each GPU's [`GpuRun`].

use super::*;
use crate::device::{QueryError, Telemetry, XidSeen};
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why a workload could not go on: the message, whose fault it is, and a
/// remedy when the error knows a better one than its blame's.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkError {
    pub message: String,
    pub blame: Blame,
    pub remedy: Option<String>,
}

impl WorkError {
    pub fn new(message: impl Into<String>, blame: Blame) -> Self {
        Self {
            message: message.into(),
            blame,
            remedy: None,
        }
    }

    pub fn with_remedy(mut self, remedy: impl Into<String>) -> Self {
        self.remedy = Some(remedy.into());
        self
    }

    /// The remedy to print: the error's own, else its blame's.
    pub fn remedy(&self) -> String {
        self.remedy
            .clone()
            .unwrap_or_else(|| remedy_for(self.blame).to_string())
    }
}

impl From<String> for WorkError {
    fn from(message: String) -> Self {
        Self::new(message, Blame::Unknown)
    }
}

impl From<QueryError> for WorkError {
    fn from(e: QueryError) -> Self {
        let blame = match &e {
            QueryError::Device(d) => d.blame(),
            QueryError::NoPermission => Blame::Host,
            QueryError::GpuLost => Blame::Gpu,
            _ => Blame::Unknown,
        };
        Self::new(e.to_string(), blame)
    }
}

impl From<crate::device::DeviceError> for WorkError {
    fn from(e: crate::device::DeviceError) -> Self {
        Self::new(e.to_string(), e.blame())
    }
}

impl std::fmt::Display for WorkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// One GPU's work: set up on the worker thread, then bounded steps.
pub trait Workload: Send + 'static {
    /// What was set up, for the report.
    type Setup: Clone + Send + 'static;
    /// What one step did.
    type Step: Clone + Send + 'static;
    /// What the clean-up reports (e.g. a wipe); `()` when there is none.
    type Cleanup: Clone + Send + 'static;
    fn setup(&self) -> Self::Setup;
    /// One bounded piece of work (about a second at most), verified.
    fn step(&mut self) -> Result<Self::Step, WorkError>;
    /// How much of a step was verified (products, words, bytes): a run
    /// whose steps verified nothing has not passed.
    fn verified(step: &Self::Step) -> u64;
    /// True when the workload has nothing more to do (e.g. every pass
    /// done), before the duration ends.
    fn is_complete(&self) -> bool {
        false
    }
    /// Clean-up that runs on every exit but a hang (wipe buffers). Its
    /// result is kept in [`GpuRun::cleanup`]; a command whose workload
    /// cleans up must judge that result in a check of its own.
    fn finish(&mut self) -> Result<Self::Cleanup, WorkError>;
}

/// One GPU the harness works on.
#[derive(Debug, Clone)]
pub struct Target {
    /// NVML index, for telemetry and XIDs; None when NVML cannot read it.
    pub nvml_index: Option<u32>,
    /// CUDA ordinal; None when CUDA cannot use it (the reason is given).
    pub cuda_ordinal: Result<u32, String>,
}

/// How the harness runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long each GPU works, counted from the moment it is set up.
    pub duration: Duration,
    /// Stop after this many steps (memtest passes, health's short GEMM).
    pub max_steps: Option<u64>,
    /// A set-up longer than this is a hang.
    pub setup_timeout: Duration,
    /// A step (or the clean-up) longer than this is a hang.
    pub step_timeout: Duration,
    /// Telemetry period; None for no sampling.
    pub sample_every: Option<Duration>,
    /// Watch NVML XID events for the whole run.
    pub watch_xids: bool,
    /// How often `on_progress` is called.
    pub progress_every: Duration,
}

/// How a worker ended badly.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// CUDA cannot run work on this GPU at all.
    Unusable(String),
    /// Set-up returned an error.
    SetupFailed(WorkError),
    /// A step returned an error.
    StepFailed(WorkError),
    /// The worker thread panicked: a bug, never a pass.
    Panicked(String),
    /// No answer within the deadline: a hung driver call or GPU.
    Hung {
        stage: &'static str,
        after: Duration,
    },
}

impl Failure {
    pub fn message(&self) -> String {
        match self {
            Failure::Unusable(why) => why.clone(),
            Failure::SetupFailed(e) => format!("set-up failed: {e}"),
            Failure::StepFailed(e) => format!("failed while running: {e}"),
            Failure::Panicked(why) => format!("the worker thread crashed (a gpuctl bug): {why}"),
            Failure::Hung { stage, after } => format!(
                "no answer from the GPU during {stage} within {}: a hung driver call or GPU",
                humantime::format_duration(*after)
            ),
        }
    }

    pub fn blame(&self) -> Blame {
        match self {
            Failure::SetupFailed(e) | Failure::StepFailed(e) => e.blame,
            Failure::Hung { .. } => Blame::Gpu,
            Failure::Unusable(_) | Failure::Panicked(_) => Blame::Unknown,
        }
    }
}

/// Everything the harness saw of one GPU.
#[derive(Debug, Clone)]
pub struct GpuRun<W: Workload> {
    pub setup: Option<W::Setup>,
    /// When set-up finished and work began.
    pub started: Option<Instant>,
    pub steps: Vec<W::Step>,
    /// Sum of [`Workload::verified`] over the steps.
    pub verified: u64,
    /// Seconds from the start of work to the end of the last step.
    pub work_seconds: f64,
    pub failure: Option<Failure>,
    /// What the clean-up reported (None: not reached, e.g. a hang).
    pub cleanup: Option<Result<W::Cleanup, WorkError>>,
    pub done: bool,
    /// Telemetry while working: (seconds since `started`, sample).
    pub samples: Vec<(f64, Telemetry)>,
    /// Seconds each clock event reason was active while working.
    pub throttle_s: BTreeMap<u64, f64>,
    /// The newest sample, working or not (for progress lines).
    pub last_sample: Option<Telemetry>,
    /// A stop signal cut this GPU's work short (it had not finished).
    pub interrupted: bool,
    /// When the worker last reported (for the hang deadline).
    pub(super) last_heard: Option<Instant>,
    /// Tells the worker to stop touching the GPU (hung or abandoned).
    pub(super) cancel: Arc<AtomicBool>,
}

impl<W: Workload> Default for GpuRun<W> {
    fn default() -> Self {
        Self {
            setup: None,
            started: None,
            steps: Vec::new(),
            verified: 0,
            work_seconds: 0.0,
            failure: None,
            cleanup: None,
            done: false,
            samples: Vec::new(),
            throttle_s: BTreeMap::new(),
            last_sample: None,
            interrupted: false,
            last_heard: None,
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// The whole run.
pub struct RunResult<W: Workload> {
    pub runs: Vec<GpuRun<W>>,
    /// What the XID watch saw; None when no watch ran (then the xid
    /// check is SKIP, never PASS).
    pub xids: Option<XidSeen>,
    /// A stop signal arrived: the report covers what ran.
    pub interrupted: bool,
    /// Wall time of the whole run.
    pub elapsed: Duration,
}
