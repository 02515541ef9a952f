//! The workload harness: one way to run work on every selected GPU at once.
//!
//! `burn`, the health compute test and every later GPU command (memtest,
//! bench, p2p, monitor) need the same machinery: a worker thread per GPU, a
//! telemetry sampler, an XID watch, progress at an interval and the stop
//! signal. A command supplies a [`Workload`] (how to set up one GPU and run
//! one bounded step of verified work) and gets back one [`GpuRun`] per GPU.
//!
//! The harness fails closed. A worker that panics, errors, hangs past its
//! deadline or verifies nothing ends with a [`Failure`], which
//! [`completion_check`] turns into a FAIL check; nothing a worker does can
//! make the harness wait for ever, and a stop signal is answered within
//! [`STOP_GRACE`] whatever the workers are doing. Worker threads are
//! detached: a hung driver call is abandoned, never joined (the process
//! ends with `_exit`, see `main.rs`).

pub mod xids;

use crate::device::{ClockEvents, NvmlApi, QueryError, Telemetry, XidSeen};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

pub use crate::panics::{panic_is_reported, report_panics_here};

/// How long workers get to finish their step in flight (and wipe) after a
/// stop signal before the partial report is printed without them.
pub const STOP_GRACE: Duration = Duration::from_millis(1500);

pub use crate::device::Blame;

mod lifecycle;
mod verdict;
use lifecycle::{final_samples, Flags};
pub use verdict::{completion_check, lost_check, wipe_check, Wiped, Wipes};

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
    last_heard: Option<Instant>,
    /// Tells the worker to stop touching the GPU (hung or abandoned).
    cancel: Arc<AtomicBool>,
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

enum Msg<W: Workload> {
    Ready(usize, W::Setup),
    Step(usize, W::Step),
    Failed(usize, Failure),
    Finished(usize, Result<W::Cleanup, WorkError>),
    Done(usize),
    Sample(Vec<(usize, Telemetry)>),
}

/// Runs `start` + steps on every target at once and gathers the results.
///
/// `start` is called on each worker thread with the CUDA ordinal. `stop` is
/// the signal flag: once set, workers end after their step in flight and the
/// harness returns within [`STOP_GRACE`]. `on_progress` is called on this
/// thread every `progress_every` with the runs so far.
pub fn run<W, F>(
    targets: &[Target],
    nvml: Option<Arc<dyn NvmlApi>>,
    options: &Options,
    stop: &'static AtomicBool,
    start: F,
    on_progress: &mut dyn FnMut(&[GpuRun<W>], Duration),
) -> RunResult<W>
where
    W: Workload,
    F: Fn(u32) -> Result<W, WorkError> + Send + Sync + 'static,
{
    let begun = Instant::now();
    let start = Arc::new(start);
    let (tx, rx) = mpsc::channel::<Msg<W>>();
    // Ends the sampler and the XID watch; workers watch `stop` and their
    // own deadline.
    let background_stop = Arc::new(AtomicBool::new(false));
    let mut runs: Vec<GpuRun<W>> = targets.iter().map(|_| GpuRun::default()).collect();

    let xid_rx = match (&nvml, options.watch_xids) {
        (Some(api), true) => Some(xids::XidWatch::start(api.clone(), nvml_indices(targets))),
        _ => None,
    };
    if let (Some(api), Some(every)) = (&nvml, options.sample_every) {
        spawn_sampler(api.clone(), targets, every, &background_stop, tx.clone());
    }
    for (slot, target) in targets.iter().enumerate() {
        runs[slot].last_heard = Some(Instant::now());
        match &target.cuda_ordinal {
            Err(why) => {
                runs[slot].failure = Some(Failure::Unusable(why.clone()));
                runs[slot].done = true;
            }
            Ok(ordinal) => spawn_worker(
                slot,
                *ordinal,
                start.clone(),
                options.clone(),
                Flags {
                    stop,
                    cancel: runs[slot].cancel.clone(),
                },
                tx.clone(),
            ),
        }
    }
    drop(tx);

    let mut last_progress = Instant::now();
    let mut stop_seen: Option<Instant> = None;
    while runs.iter().any(|r| !r.done) {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(msg) => fold(&mut runs, msg, options),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // Every worker and the sampler are gone: nothing more can come.
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        let now = Instant::now();
        if stop.load(Ordering::Relaxed) {
            if stop_seen.is_none() {
                // Every GPU still working is cut short by the stop.
                for run in runs.iter_mut().filter(|r| !r.done) {
                    run.interrupted = true;
                }
            }
            let seen = *stop_seen.get_or_insert(now);
            if now.duration_since(seen) >= STOP_GRACE {
                // Workers still in a step are left behind: the partial
                // report goes out now.
                break;
            }
        } else {
            // After a stop, silence is the stop's doing, not a hang.
            mark_hung(&mut runs, options, now);
        }
        if now.duration_since(last_progress) >= options.progress_every {
            last_progress = now;
            on_progress(&runs, begun.elapsed());
        }
    }
    // Whatever did not finish (a stop cut it short, or every sender died
    // without a Done) is not a pass.
    let interrupted = stop.load(Ordering::Relaxed);
    for run in runs.iter_mut().filter(|r| !r.done) {
        if interrupted {
            run.interrupted = true;
        } else {
            run.failure.get_or_insert(Failure::Hung {
                stage: "the run",
                after: begun.elapsed(),
            });
        }
        run.done = true;
    }
    // Workers left behind stop touching their GPU once their call returns.
    for run in &runs {
        run.cancel.store(true, Ordering::Relaxed);
    }
    background_stop.store(true, Ordering::Relaxed);
    if let (Some(api), Some(_), false) = (&nvml, options.sample_every, interrupted) {
        final_samples(api, targets, &mut runs, options.step_timeout, stop);
    }
    // The watch returns promptly once stopped; a hung one is abandoned.
    let xids = xid_rx.map(xids::XidWatch::finish);
    RunResult {
        runs,
        xids,
        interrupted,
        elapsed: begun.elapsed(),
    }
}

fn fold<W: Workload>(runs: &mut [GpuRun<W>], msg: Msg<W>, options: &Options) {
    let now = Instant::now();
    match msg {
        Msg::Ready(slot, setup) => {
            let run = &mut runs[slot];
            run.setup = Some(setup);
            run.started = Some(now);
            run.last_heard = Some(now);
        }
        // A worker already marked hung answered late: its verdict stands.
        Msg::Step(slot, _) if runs[slot].done => {}
        Msg::Step(slot, step) => {
            let run = &mut runs[slot];
            run.verified += W::verified(&step);
            run.steps.push(step);
            run.work_seconds = run
                .started
                .map_or(0.0, |s| now.duration_since(s).as_secs_f64());
            run.last_heard = Some(now);
        }
        Msg::Failed(slot, failure) => {
            let run = &mut runs[slot];
            // A hang already recorded stays the verdict.
            run.failure.get_or_insert(failure);
            run.last_heard = Some(now);
        }
        Msg::Finished(slot, cleanup) => {
            runs[slot].cleanup = Some(cleanup);
            runs[slot].last_heard = Some(now);
        }
        Msg::Done(slot) => runs[slot].done = true,
        Msg::Sample(sample) => {
            let every = options.sample_every.unwrap_or_default().as_secs_f64();
            for (slot, t) in sample {
                let run = &mut runs[slot];
                // Only samples taken while this GPU works count.
                if let (Some(started), false) = (run.started, run.done) {
                    if let Some(events) = t.clock_events.get() {
                        for (bit, _) in ClockEvents::NAMES {
                            if events.contains(bit) {
                                *run.throttle_s.entry(bit).or_default() += every;
                            }
                        }
                    }
                    run.samples
                        .push((now.duration_since(started).as_secs_f64(), t.clone()));
                }
                run.last_sample = Some(t);
            }
        }
    }
}

/// Marks workers that went silent past their deadline as hung, and done:
/// the harness stops waiting for them.
fn mark_hung<W: Workload>(runs: &mut [GpuRun<W>], options: &Options, now: Instant) {
    for run in runs.iter_mut().filter(|r| !r.done) {
        let (stage, limit) = if run.started.is_none() {
            ("set-up", options.setup_timeout)
        } else {
            ("a step", options.step_timeout)
        };
        let heard = run.last_heard.unwrap_or(now);
        if now.duration_since(heard) > limit {
            // The first failure stays the verdict (a step error whose
            // clean-up then hung is that error, not a hang).
            run.failure.get_or_insert(Failure::Hung {
                stage,
                after: limit,
            });
            run.cancel.store(true, Ordering::Relaxed);
            run.done = true;
        }
    }
}

fn spawn_worker<W, F>(
    slot: usize,
    ordinal: u32,
    start: Arc<F>,
    options: Options,
    flags: Flags,
    tx: mpsc::Sender<Msg<W>>,
) where
    W: Workload,
    F: Fn(u32) -> Result<W, WorkError> + Send + Sync + 'static,
{
    std::thread::spawn(move || {
        report_panics_here();
        let body = AssertUnwindSafe(|| work(slot, ordinal, &*start, &options, &flags, &tx));
        if let Err(panic) = catch_unwind(body) {
            let _ = tx.send(Msg::Failed(slot, Failure::Panicked(panic_text(&panic))));
        }
        // Always sent, panic or not: the harness never waits for a Done
        // that cannot come.
        let _ = tx.send(Msg::Done(slot));
    });
}

fn work<W, F>(
    slot: usize,
    ordinal: u32,
    start: &F,
    options: &Options,
    flags: &Flags,
    tx: &mpsc::Sender<Msg<W>>,
) where
    W: Workload,
    F: Fn(u32) -> Result<W, WorkError>,
{
    let mut workload = match start(ordinal) {
        Ok(w) => w,
        Err(e) => {
            let _ = tx.send(Msg::Failed(slot, Failure::SetupFailed(e)));
            return;
        }
    };
    crate::trace::mark(&format!("harness: CUDA device {ordinal} set up"));
    let _ = tx.send(Msg::Ready(slot, workload.setup()));
    // The deadline starts now that the GPU is ready: a slow set-up never
    // eats the work.
    let deadline = Instant::now() + options.duration;
    let mut steps = 0u64;
    // A worker given up on during set-up does no work at all.
    while !flags.cancelled() {
        let step = catch_unwind(AssertUnwindSafe(|| workload.step()));
        match step {
            Ok(Ok(step)) => {
                if tx.send(Msg::Step(slot, step)).is_err() {
                    break;
                }
            }
            Ok(Err(e)) => {
                let _ = tx.send(Msg::Failed(slot, Failure::StepFailed(e)));
                break;
            }
            Err(panic) => {
                let _ = tx.send(Msg::Failed(slot, Failure::Panicked(panic_text(&panic))));
                break;
            }
        }
        steps += 1;
        // At least one step always runs, so a short duration never yields
        // a run that verified nothing.
        if flags.stop.load(Ordering::Relaxed)
            || flags.cancelled()
            || Instant::now() >= deadline
            || options.max_steps.is_some_and(|m| steps >= m)
            || workload.is_complete()
        {
            break;
        }
    }
    crate::trace::mark(&format!(
        "harness: CUDA device {ordinal} ran {steps} step(s)"
    ));
    let cleanup = catch_unwind(AssertUnwindSafe(|| workload.finish())).unwrap_or_else(|p| {
        Err(WorkError::new(
            format!("the clean-up crashed (a gpuctl bug): {}", panic_text(&p)),
            Blame::Tool,
        ))
    });
    let _ = tx.send(Msg::Finished(slot, cleanup));
    // Dropping the workload frees its GPU memory now, not at exit.
    drop(workload);
    crate::trace::mark(&format!("harness: CUDA device {ordinal} cleaned up"));
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

fn spawn_sampler<W: Workload>(
    api: Arc<dyn NvmlApi>,
    targets: &[Target],
    every: Duration,
    stop: &Arc<AtomicBool>,
    tx: mpsc::Sender<Msg<W>>,
) {
    let readable: Vec<(usize, u32)> = targets
        .iter()
        .enumerate()
        .filter_map(|(slot, t)| t.nvml_index.map(|i| (slot, i)))
        .collect();
    let stop = stop.clone();
    std::thread::spawn(move || {
        let mut next = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            let sample = readable
                .iter()
                .map(|&(slot, index)| (slot, api.telemetry(index)))
                .collect();
            if tx.send(Msg::Sample(sample)).is_err() {
                break;
            }
            next += every;
            // Sleep in short steps so a stop is noticed quickly.
            while Instant::now() < next && !stop.load(Ordering::Relaxed) {
                std::thread::sleep((next - Instant::now()).min(Duration::from_millis(20)));
            }
        }
    });
}

/// The NVML indices of the targets NVML can read (what the XID watch
/// covers).
fn nvml_indices(targets: &[Target]) -> Vec<u32> {
    targets.iter().filter_map(|t| t.nvml_index).collect()
}

/// The remedy for a failure, by whose fault it is (one table for every
/// command: `checks::remedy::for_blame`).
pub fn remedy_for(blame: Blame) -> &'static str {
    crate::checks::remedy::for_blame(blame)
}

/// Runs `f` on every item in parallel, each on its own detached thread,
/// and waits at most `timeout` in all. An item whose thread panicked or did
/// not answer in time gets an `Err` saying so, never a default value that
/// could judge as healthy. Returns early when `stop` is set (the rest are
/// then `Err`).
pub fn map_bounded<I, T, F>(
    items: Vec<I>,
    timeout: Duration,
    stop: &AtomicBool,
    f: F,
) -> Vec<Result<T, String>>
where
    I: Send + 'static,
    T: Send + 'static,
    F: Fn(I) -> T + Send + Sync + 'static,
{
    let f = Arc::new(f);
    let (tx, rx) = mpsc::channel();
    let n = items.len();
    for (slot, item) in items.into_iter().enumerate() {
        let (f, tx) = (f.clone(), tx.clone());
        std::thread::spawn(move || {
            report_panics_here();
            let result = catch_unwind(AssertUnwindSafe(|| f(item))).map_err(|p| {
                format!(
                    "the reader thread crashed (a gpuctl bug): {}",
                    panic_text(&p)
                )
            });
            let _ = tx.send((slot, result));
        });
    }
    drop(tx);
    let mut out: Vec<Option<Result<T, String>>> = (0..n).map(|_| None).collect();
    let deadline = Instant::now() + timeout;
    let mut left = n;
    while left > 0 {
        let now = Instant::now();
        if now >= deadline || stop.load(Ordering::Relaxed) {
            break;
        }
        match rx.recv_timeout((deadline - now).min(Duration::from_millis(50))) {
            Ok((slot, result)) => {
                out[slot] = Some(result);
                left -= 1;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let why = if stop.load(Ordering::Relaxed) {
        "interrupted before this GPU answered".to_string()
    } else {
        format!(
            "no answer within {}: a hung driver call or GPU",
            humantime::format_duration(timeout)
        )
    };
    out.into_iter()
        .map(|r| r.unwrap_or_else(|| Err(why.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CheckStatus;

    /// A scripted workload: each step returns the next entry.
    struct Script {
        steps: Vec<Result<u64, &'static str>>,
        at: usize,
        delay: Duration,
    }

    impl Workload for Script {
        type Setup = ();
        type Step = u64;
        type Cleanup = ();
        fn setup(&self) {}
        fn finish(&mut self) -> Result<(), WorkError> {
            Ok(())
        }
        fn step(&mut self) -> Result<u64, WorkError> {
            std::thread::sleep(self.delay);
            let next = self.steps.get(self.at).cloned().unwrap_or(Ok(1));
            self.at += 1;
            match next {
                Ok(n) => Ok(n),
                Err("panic") => panic!("scripted panic"),
                Err(e) => Err(WorkError::new(e, Blame::Gpu)),
            }
        }
        fn verified(step: &u64) -> u64 {
            *step
        }
    }

    fn options(duration_ms: u64) -> Options {
        Options {
            duration: Duration::from_millis(duration_ms),
            max_steps: None,
            setup_timeout: Duration::from_secs(2),
            step_timeout: Duration::from_millis(500),
            sample_every: None,
            watch_xids: false,
            progress_every: Duration::from_secs(60),
        }
    }

    fn target() -> Target {
        Target {
            nvml_index: None,
            cuda_ordinal: Ok(0),
        }
    }

    static NO_STOP: AtomicBool = AtomicBool::new(false);

    fn run_script(
        steps: Vec<Result<u64, &'static str>>,
        delay: Duration,
        opts: Options,
    ) -> RunResult<Script> {
        let steps = Arc::new(steps);
        run(
            &[target()],
            None,
            &opts,
            &NO_STOP,
            move |_| {
                Ok(Script {
                    steps: (*steps).clone(),
                    at: 0,
                    delay,
                })
            },
            &mut |_, _| {},
        )
    }

    #[test]
    fn a_clean_run_verifies_and_passes() {
        let r = run_script(vec![], Duration::from_millis(5), options(50));
        let run = &r.runs[0];
        assert!(run.failure.is_none());
        assert!(run.verified >= 1);
        assert_eq!(run.cleanup, Some(Ok(())));
        assert_eq!(
            completion_check("x", "steps", run, false).status,
            CheckStatus::Pass
        );
    }

    #[test]
    fn a_panicking_step_fails_the_gpu_and_does_not_hang() {
        let t = Instant::now();
        let r = run_script(vec![Err("panic")], Duration::ZERO, options(10_000));
        assert!(t.elapsed() < Duration::from_secs(3));
        let check = completion_check("x", "steps", &r.runs[0], false);
        assert_eq!(check.status, CheckStatus::Fail);
        assert!(check.message.contains("crashed"), "{}", check.message);
    }

    #[test]
    fn a_panicking_setup_fails_the_gpu() {
        let r = run(
            &[target()],
            None,
            &options(100),
            &NO_STOP,
            |_| -> Result<Script, WorkError> { panic!("set-up bug") },
            &mut |_, _| {},
        );
        let check = completion_check("x", "steps", &r.runs[0], false);
        assert_eq!(check.status, CheckStatus::Fail);
        assert!(check.message.contains("set-up bug"));
    }

    #[test]
    fn a_step_error_fails_with_its_message_and_remedy() {
        let r = run_script(vec![Ok(1), Err("boom")], Duration::ZERO, options(10_000));
        let check = completion_check("x", "steps", &r.runs[0], false);
        assert_eq!(check.status, CheckStatus::Fail);
        assert!(check.message.contains("boom"));
        assert!(check.remedy.unwrap_or_default().contains("reset"));
    }

    #[test]
    fn a_hung_step_is_reported_within_its_deadline() {
        let t = Instant::now();
        let r = run_script(vec![], Duration::from_secs(30), options(100));
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
        let check = completion_check("x", "steps", &r.runs[0], false);
        assert_eq!(check.status, CheckStatus::Fail);
        assert!(check.message.contains("hung"), "{}", check.message);
    }

    #[test]
    fn a_slow_setup_still_gets_its_full_duration() {
        // Set-up takes 300 ms, duration 100 ms: the work still runs.
        let r = run(
            &[target()],
            None,
            &options(100),
            &NO_STOP,
            |_| {
                std::thread::sleep(Duration::from_millis(300));
                Ok(Script {
                    steps: vec![],
                    at: 0,
                    delay: Duration::from_millis(10),
                })
            },
            &mut |_, _| {},
        );
        assert!(r.runs[0].verified >= 5, "{}", r.runs[0].verified);
        assert_eq!(
            completion_check("x", "steps", &r.runs[0], false).status,
            CheckStatus::Pass
        );
    }

    #[test]
    fn a_run_that_verified_nothing_fails() {
        let r = run_script(
            vec![Ok(0)],
            Duration::ZERO,
            Options {
                max_steps: Some(1),
                ..options(10)
            },
        );
        let check = completion_check("x", "steps", &r.runs[0], false);
        assert_eq!(check.status, CheckStatus::Fail);
        assert!(check.message.contains("verified"));
    }

    #[test]
    fn an_unusable_gpu_fails_without_a_worker() {
        let r: RunResult<Script> = run(
            &[Target {
                nvml_index: None,
                cuda_ordinal: Err("MIG mode".into()),
            }],
            None,
            &options(10),
            &NO_STOP,
            |_| unreachable!("no worker for an unusable GPU"),
            &mut |_, _| {},
        );
        let check = completion_check("x", "steps", &r.runs[0], false);
        assert_eq!(check.status, CheckStatus::Fail);
        assert!(check.message.contains("MIG"));
    }

    #[test]
    fn a_stop_returns_within_the_grace_even_with_a_hung_worker() {
        static STOP: AtomicBool = AtomicBool::new(false);
        let t = Instant::now();
        let r = run(
            &[target()],
            None,
            &Options {
                step_timeout: Duration::from_secs(60),
                ..options(60_000)
            },
            &STOP,
            |_| {
                STOP.store(true, Ordering::Relaxed);
                Ok(Script {
                    steps: vec![],
                    at: 0,
                    delay: Duration::from_secs(30),
                })
            },
            &mut |_, _| {},
        );
        assert!(r.interrupted);
        assert!(
            t.elapsed() < Duration::from_millis(2000),
            "{:?}",
            t.elapsed()
        );
        assert_ne!(
            completion_check("x", "steps", &r.runs[0], true).status,
            CheckStatus::Pass
        );
    }

    #[test]
    fn map_bounded_turns_panics_and_hangs_into_errors() {
        let stop = AtomicBool::new(false);
        let t = Instant::now();
        let out = map_bounded(vec![0u32, 1, 2], Duration::from_millis(300), &stop, |i| {
            match i {
                1 => panic!("reader bug"),
                2 => std::thread::sleep(Duration::from_secs(10)),
                _ => {}
            }
            i * 10
        });
        assert!(t.elapsed() < Duration::from_secs(2));
        assert_eq!(out[0], Ok(0));
        assert!(out[1].as_ref().unwrap_err().contains("crashed"));
        assert!(out[2].as_ref().unwrap_err().contains("no answer"));
    }
}
