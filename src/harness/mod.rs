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

use crate::device::{ClockEvents, NvmlApi, Telemetry};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

pub use crate::panics::{panic_is_reported, report_panics_here};

/// How long workers get to finish their step in flight (and wipe) after a
/// stop signal before the partial report is printed without them.
pub const STOP_GRACE: Duration = Duration::from_millis(1500);

pub use crate::device::Blame;

mod bounded;
mod lifecycle;
mod verdict;
mod work;
mod worker;
pub use bounded::map_bounded;
use lifecycle::{final_samples, Flags};
pub use verdict::{completion_check, lost_check, wipe_check, Wiped, Wipes};
pub use work::*;
use worker::{nvml_indices, panic_text, spawn_sampler, spawn_worker};

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
    // One last progress call shows the final figures: the last step often
    // ends after the last periodic call.
    on_progress(&runs, begun.elapsed());
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

/// The remedy for a failure, by whose fault it is (one table for every
/// command: `checks::remedy::for_blame`).
pub fn remedy_for(blame: Blame) -> &'static str {
    crate::checks::remedy::for_blame(blame)
}

#[cfg(test)]
mod tests;
