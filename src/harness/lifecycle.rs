//! What keeps a worker from outliving its verdict: the flags it reads
//! between steps (the run's stop, its own cancel), and the last look at
//! every GPU once the work is over.

use super::{map_bounded, GpuRun, Target, Workload};
use crate::device::NvmlApi;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What a worker watches between steps: the run's stop signal, and its own
/// cancel flag, set when the harness marks it hung or leaves it behind.
pub(super) struct Flags {
    pub(super) stop: &'static AtomicBool,
    pub(super) cancel: Arc<AtomicBool>,
}

impl Flags {
    pub(super) fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// One last sample of every GPU after the work, so a GPU lost (or hung)
/// at the end of a short run is seen too ([`lost_check`]).
pub(super) fn final_samples<W: Workload>(
    api: &Arc<dyn NvmlApi>,
    targets: &[Target],
    runs: &mut [GpuRun<W>],
    timeout: Duration,
    stop: &AtomicBool,
) {
    let readable: Vec<(usize, u32)> = targets
        .iter()
        .enumerate()
        .filter_map(|(slot, t)| t.nvml_index.map(|i| (slot, i)))
        .collect();
    let api = api.clone();
    let read = map_bounded(readable.clone(), timeout, stop, move |(_, i)| {
        api.telemetry(i)
    });
    for ((slot, _), t) in readable.into_iter().zip(read) {
        if let Ok(t) = t {
            runs[slot].last_sample = Some(t);
        }
    }
}
