//! The simulated XID watch (`NvmlApi::watch_xids` of the simulated NVML):
//! lossless as the real one, each GPU's `xid_events` delivered once per
//! run, `xid_watch_error` ending the watch.

use super::SimNvml;
use crate::device::{QueryError, XidEvent, XidLog};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub(super) fn watch(
    sim: &SimNvml,
    indices: &[u32],
    window: Duration,
    stop: &AtomicBool,
    log: &XidLog,
) -> Result<(), QueryError> {
    // Events arrive at once, each GPU's once per run; the watch still
    // lasts its window (or until stopped) so commands are timed as on
    // real hardware. A GPU lost (or lost by the end) is unwatched; a
    // GPU whose `xid_watch_error` is set ends the whole watch at once.
    let mut failure = None;
    for &index in indices {
        let gpu = match sim.gpu(index, "watch_xids") {
            Ok(gpu) => gpu,
            Err(e) => {
                log.unwatched(index, e);
                continue;
            }
        };
        let delivered = sim.0.xids_delivered.lock().map_or(true, |mut d| {
            let first = !d.contains(&index);
            d.push(index);
            first
        });
        if delivered {
            for &xid in &gpu.xid_events {
                log.push(XidEvent {
                    gpu_index: Some(index),
                    pci_bus_id: Some(gpu.pci_bus_id.clone()),
                    xid,
                    source: "nvml_event".into(),
                    detail: String::new(),
                });
            }
        }
        if let Some(e) = &gpu.xid_watch_error {
            failure.get_or_insert(e.clone());
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    let start = Instant::now();
    while start.elapsed() < window && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(5).min(window));
    }
    for &index in indices {
        if let Err(e) = sim.gpu(index, "watch_xids") {
            log.unwatched(index, e);
        }
    }
    Ok(())
}
