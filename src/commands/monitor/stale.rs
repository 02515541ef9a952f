//! What `monitor --textfile` leaves behind when a signal stops it (issue
//! 23): the file is rewritten to say every GPU is down (`gpuctl_gpu_up 0`,
//! with the time monitor stopped), so node_exporter never keeps serving
//! `healthy 1` from a dead monitor. A run that ends by `--count` or
//! `--duration` keeps its last exposition (a timer may run `-c 1` to write
//! the file); its timestamp shows how old it is. A monitor killed outright (SIGKILL, OOM) cannot do
//! this: its `gpuctl_sample_timestamp_seconds` stops moving instead, which
//! the `GpuctlStaleSample` rule catches.

use super::metrics::{self, MetricNames};
use super::sample::GpuSample;
use super::MonitorOutput;
use std::path::Path;

/// Rewrites `path` with the stopped exposition of the GPUs in `last`; a
/// failure is a notice, as any other textfile write.
pub(super) fn leave_textfile(
    path: &Path,
    last: &[GpuSample],
    names: MetricNames,
    hostname: &str,
    out: &mut dyn MonitorOutput,
) {
    let text = metrics::to_prometheus_text(&metrics::render_stopped(last, names, hostname));
    if let Err(e) = crate::outfile::write(path, text.as_bytes()) {
        out.notice(&format!("cannot write --textfile {}: {e}", path.display()));
    }
}
