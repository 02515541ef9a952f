//! `monitor`'s human output: the live table's header and rows (like
//! `nvidia-smi dmon`), the CSV column list, and its part of the final
//! report's table.

use super::sample::GpuSample;
use crate::report::table::Section;

/// `monitor`'s [`Section`]: the core's overview and problems; no
/// simulated line, its stream's header already said it.
pub struct Table;

impl Section for Table {
    fn marks_simulated(&self) -> bool {
        false
    }
}

pub(super) fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(String::new, |x| x.to_string())
}

pub(super) fn opt_f(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(String::new, |x| format!("{x:.digits$}"))
}

/// The CSV columns, in order (also the README's list).
pub const CSV_COLUMNS: &[&str] = &[
    "timestamp",
    "gpu",
    "uuid",
    "up",
    "healthy",
    "power_w",
    "energy_j",
    "temperature_gpu_c",
    "temperature_memory_c",
    "sm_clock_mhz",
    "memory_clock_mhz",
    "utilization_gpu_pct",
    "utilization_memory_pct",
    "memory_used_bytes",
    "memory_free_bytes",
    "pcie_tx_bytes_per_s",
    "pcie_rx_bytes_per_s",
    "nvlink_tx_bytes_per_s",
    "nvlink_rx_bytes_per_s",
    "clock_events",
    "clock_events_mask",
    "ecc_volatile_corrected",
    "ecc_volatile_uncorrected",
    "remapped_rows_correctable",
    "remapped_rows_uncorrectable",
    "row_remap_pending",
    "row_remap_failure",
    "xid_count",
    "processes",
    "error",
    "simulated",
];

/// Column titles and units, like `nvidia-smi dmon`, within 80 columns;
/// on the simulated backend the banner first, every time.
pub(super) fn table_header() -> Vec<String> {
    let banner = crate::model::gpu::simulated()
        .then(|| format!("# {}", crate::report::table::SIMULATED_LINE));
    let titles = [
        format!(
            "# {:>3} {:>5} {:>4} {:>4} {:>4} {:>4} {:>3} {:>4} {:>5} {:>5} {:>5} {:>5} {:>3} {:>4}  {}",
            "gpu", "pwr", "gtmp", "mtmp", "sm", "mem", "sm%", "mem%", "fbuse", "fbfre", "rxpci", "txpci", "xid", "hlth", "state"
        ),
        format!(
            "# {:>3} {:>5} {:>4} {:>4} {:>4} {:>4} {:>3} {:>4} {:>5} {:>5} {:>5} {:>5} {:>3} {:>4}  {}",
            "Idx", "W", "C", "C", "MHz", "MHz", "%", "%", "GiB", "GiB", "GB/s", "GB/s", "", "", ""
        )
        .trim_end()
        .to_string(),
    ];
    banner.into_iter().chain(titles).collect()
}

pub(super) fn table_row(s: &GpuSample) -> String {
    let dash = |v: String| if v.is_empty() { "-".to_string() } else { v };
    let gib = |b: Option<u64>| dash(opt_f(b.map(|x| x as f64 / (1u64 << 30) as f64), 1));
    let gbs = |b: Option<f64>| dash(opt_f(b.map(|x| x / 1e9), 1));
    let state = match (&s.error, s.up) {
        (_, true) if s.clock_events.iter().any(|c| c != "gpu_idle") => {
            format!("up [{}]", s.clock_events.join(","))
        }
        (_, true) => "up".to_string(),
        (Some(e), false) => format!("DOWN: {e}"),
        (None, false) => "DOWN".to_string(),
    };
    format!(
        "  {:>3} {:>5} {:>4} {:>4} {:>4} {:>4} {:>3} {:>4} {:>5} {:>5} {:>5} {:>5} {:>3} {:>4}  {}",
        s.gpu,
        dash(opt_f(s.power_w, 1)),
        dash(opt(s.temperature_gpu_c)),
        dash(opt(s.temperature_memory_c)),
        dash(opt(s.sm_clock_mhz)),
        dash(opt(s.memory_clock_mhz)),
        dash(opt(s.utilization_gpu_pct)),
        dash(opt(s.utilization_memory_pct)),
        gib(s.memory_used_bytes),
        gib(s.memory_free_bytes),
        gbs(s.pcie_rx_bytes_per_s),
        gbs(s.pcie_tx_bytes_per_s),
        s.xid_count,
        if !s.up {
            "-"
        } else if s.healthy {
            "ok"
        } else {
            "BAD"
        },
        state
    )
}
