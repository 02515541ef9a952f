//! The threads the harness starts: one worker per GPU (set-up, steps,
//! clean-up, a caught panic reported as a failure) and the telemetry
//! sampler.

use super::*;
use crate::device::NvmlApi;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

pub(super) fn spawn_worker<W, F>(
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

pub(super) fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

pub(super) fn spawn_sampler<W: Workload>(
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
pub(super) fn nvml_indices(targets: &[Target]) -> Vec<u32> {
    targets.iter().filter_map(|t| t.nvml_index).collect()
}
