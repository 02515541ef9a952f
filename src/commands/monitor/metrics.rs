//! `monitor`'s Prometheus metrics: one table ([`METRICS`]) that defines every
//! metric (gpuctl's name, dcgm-exporter's name, type, help and how to read it
//! from a sample), rendered by the `prometheus-client` crate.
//!
//! The crate writes OpenMetrics, where a counter family `x` has samples
//! `x_total`. The Prometheus text format (0.0.4) that node_exporter's textfile
//! collector and `promtool check metrics` read names the family `x_total`
//! instead, so [`to_prometheus_text`] renames counter families' HELP/TYPE
//! lines and drops `# EOF`; the samples are the crate's, unchanged.

use super::sample::GpuSample;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

pub use crate::model::monitor::MetricNames;

/// Counter or gauge (gpuctl names; dcgm names are all gauges).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    Counter,
}

/// One metric: both names, and how to read it from a sample.
pub struct MetricDef {
    /// The name as exposed (counters end in `_total`).
    pub name: &'static str,
    pub kind: Kind,
    pub help: &'static str,
    /// dcgm-exporter's name and the factor from gpuctl's unit to its unit.
    pub dcgm: Option<(&'static str, f64)>,
    /// The value in gpuctl's unit, when the sample has one.
    pub read: fn(&GpuSample) -> Option<f64>,
}

const MIB: f64 = 1.0 / 1_048_576.0;

fn f<T: Into<f64>>(v: Option<T>) -> Option<f64> {
    v.map(Into::into)
}

fn u(v: Option<u64>) -> Option<f64> {
    // Counters beyond 2^53 lose precision in f64; Prometheus stores f64 too.
    v.map(|x| x as f64)
}

fn flag(v: Option<bool>) -> Option<f64> {
    v.map(|b| if b { 1.0 } else { 0.0 })
}

/// Every metric `monitor` exports per GPU besides `gpuctl_gpu_up` and
/// `gpuctl_gpu_healthy` (which are also emitted for a GPU that is down).
pub const METRICS: &[MetricDef] = &[
    MetricDef {
        name: "gpuctl_power_watts",
        kind: Kind::Gauge,
        help: "Board power draw in watts.",
        dcgm: Some(("DCGM_FI_DEV_POWER_USAGE", 1.0)),
        read: |s| s.power_w,
    },
    MetricDef {
        name: "gpuctl_energy_joules_total",
        kind: Kind::Counter,
        help: "Energy consumed since the driver loaded, joules.",
        dcgm: Some(("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", 1000.0)),
        read: |s| s.energy_j,
    },
    MetricDef {
        name: "gpuctl_gpu_temperature_celsius",
        kind: Kind::Gauge,
        help: "GPU core temperature in degrees Celsius.",
        dcgm: Some(("DCGM_FI_DEV_GPU_TEMP", 1.0)),
        read: |s| f(s.temperature_gpu_c),
    },
    MetricDef {
        name: "gpuctl_memory_temperature_celsius",
        kind: Kind::Gauge,
        help: "Memory (HBM) temperature in degrees Celsius.",
        dcgm: Some(("DCGM_FI_DEV_MEMORY_TEMP", 1.0)),
        read: |s| f(s.temperature_memory_c),
    },
    MetricDef {
        name: "gpuctl_gpu_slowdown_temperature_celsius",
        kind: Kind::Gauge,
        help: "The GPU's own slowdown temperature (NVML threshold), degrees Celsius.",
        dcgm: Some(("DCGM_FI_DEV_SLOWDOWN_TEMP", 1.0)),
        read: |s| f(s.slowdown_temperature_c),
    },
    MetricDef {
        name: "gpuctl_sm_clock_hertz",
        kind: Kind::Gauge,
        help: "SM clock in hertz.",
        dcgm: Some(("DCGM_FI_DEV_SM_CLOCK", 1e-6)),
        read: |s| s.sm_clock_mhz.map(|m| f64::from(m) * 1e6),
    },
    MetricDef {
        name: "gpuctl_memory_clock_hertz",
        kind: Kind::Gauge,
        help: "Memory clock in hertz.",
        dcgm: Some(("DCGM_FI_DEV_MEM_CLOCK", 1e-6)),
        read: |s| s.memory_clock_mhz.map(|m| f64::from(m) * 1e6),
    },
    MetricDef {
        name: "gpuctl_gpu_utilization_ratio",
        kind: Kind::Gauge,
        help: "Share of time a kernel was running (0 to 1).",
        dcgm: Some(("DCGM_FI_DEV_GPU_UTIL", 100.0)),
        read: |s| s.utilization_gpu_pct.map(|p| f64::from(p) / 100.0),
    },
    MetricDef {
        name: "gpuctl_memory_utilization_ratio",
        kind: Kind::Gauge,
        help: "Share of time device memory was read or written (0 to 1).",
        dcgm: Some(("DCGM_FI_DEV_MEM_COPY_UTIL", 100.0)),
        read: |s| s.utilization_memory_pct.map(|p| f64::from(p) / 100.0),
    },
    MetricDef {
        name: "gpuctl_memory_used_bytes",
        kind: Kind::Gauge,
        help: "Device memory in use, bytes.",
        dcgm: Some(("DCGM_FI_DEV_FB_USED", MIB)),
        read: |s| u(s.memory_used_bytes),
    },
    MetricDef {
        name: "gpuctl_memory_free_bytes",
        kind: Kind::Gauge,
        help: "Device memory free, bytes.",
        dcgm: Some(("DCGM_FI_DEV_FB_FREE", MIB)),
        read: |s| u(s.memory_free_bytes),
    },
    MetricDef {
        name: "gpuctl_pcie_transmit_bytes_total",
        kind: Kind::Counter,
        help: "Bytes sent over PCIe since the driver loaded.",
        dcgm: None,
        read: |s| u(s.pcie_tx_bytes),
    },
    MetricDef {
        name: "gpuctl_pcie_receive_bytes_total",
        kind: Kind::Counter,
        help: "Bytes received over PCIe since the driver loaded.",
        dcgm: None,
        read: |s| u(s.pcie_rx_bytes),
    },
    MetricDef {
        name: "gpuctl_pcie_transmit_bytes_per_second",
        kind: Kind::Gauge,
        help: "PCIe send rate over the last interval, bytes per second.",
        dcgm: Some(("DCGM_FI_PROF_PCIE_TX_BYTES", 1.0)),
        read: |s| s.pcie_tx_bytes_per_s,
    },
    MetricDef {
        name: "gpuctl_pcie_receive_bytes_per_second",
        kind: Kind::Gauge,
        help: "PCIe receive rate over the last interval, bytes per second.",
        dcgm: Some(("DCGM_FI_PROF_PCIE_RX_BYTES", 1.0)),
        read: |s| s.pcie_rx_bytes_per_s,
    },
    MetricDef {
        name: "gpuctl_nvlink_transmit_bytes_total",
        kind: Kind::Counter,
        help: "NVLink data bytes sent over all links since the driver loaded.",
        dcgm: None,
        read: |s| u(s.nvlink_tx_bytes),
    },
    MetricDef {
        name: "gpuctl_nvlink_receive_bytes_total",
        kind: Kind::Counter,
        help: "NVLink data bytes received over all links since the driver loaded.",
        dcgm: None,
        read: |s| u(s.nvlink_rx_bytes),
    },
    MetricDef {
        name: "gpuctl_nvlink_transmit_bytes_per_second",
        kind: Kind::Gauge,
        help: "NVLink send rate over the last interval, bytes per second.",
        dcgm: Some(("DCGM_FI_PROF_NVLINK_TX_BYTES", 1.0)),
        read: |s| s.nvlink_tx_bytes_per_s,
    },
    MetricDef {
        name: "gpuctl_nvlink_receive_bytes_per_second",
        kind: Kind::Gauge,
        help: "NVLink receive rate over the last interval, bytes per second.",
        dcgm: Some(("DCGM_FI_PROF_NVLINK_RX_BYTES", 1.0)),
        read: |s| s.nvlink_rx_bytes_per_s,
    },
    MetricDef {
        name: "gpuctl_clock_event_reasons",
        kind: Kind::Gauge,
        help: "Active clock event (throttle) reasons, NVML's bitmask.",
        dcgm: Some(("DCGM_FI_DEV_CLOCKS_EVENT_REASONS", 1.0)),
        read: |s| u(s.clock_events_mask),
    },
    MetricDef {
        name: "gpuctl_ecc_volatile_corrected_errors_total",
        kind: Kind::Counter,
        help: "Corrected ECC errors since the driver loaded.",
        dcgm: Some(("DCGM_FI_DEV_ECC_SBE_VOL_TOTAL", 1.0)),
        read: |s| u(s.ecc_volatile_corrected),
    },
    MetricDef {
        name: "gpuctl_ecc_volatile_uncorrected_errors_total",
        kind: Kind::Counter,
        help: "Uncorrected ECC errors since the driver loaded.",
        dcgm: Some(("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", 1.0)),
        read: |s| u(s.ecc_volatile_uncorrected),
    },
    MetricDef {
        name: "gpuctl_ecc_aggregate_corrected_errors_total",
        kind: Kind::Counter,
        help: "Corrected ECC errors over the GPU's life.",
        dcgm: Some(("DCGM_FI_DEV_ECC_SBE_AGG_TOTAL", 1.0)),
        read: |s| u(s.ecc_aggregate_corrected),
    },
    MetricDef {
        name: "gpuctl_ecc_aggregate_uncorrected_errors_total",
        kind: Kind::Counter,
        help: "Uncorrected ECC errors over the GPU's life.",
        dcgm: Some(("DCGM_FI_DEV_ECC_DBE_AGG_TOTAL", 1.0)),
        read: |s| u(s.ecc_aggregate_uncorrected),
    },
    MetricDef {
        name: "gpuctl_remapped_rows_correctable_total",
        kind: Kind::Counter,
        help: "Rows remapped for correctable errors.",
        dcgm: Some(("DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS", 1.0)),
        read: |s| u(s.remapped_rows_correctable),
    },
    MetricDef {
        name: "gpuctl_remapped_rows_uncorrectable_total",
        kind: Kind::Counter,
        help: "Rows remapped for uncorrectable errors.",
        dcgm: Some(("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", 1.0)),
        read: |s| u(s.remapped_rows_uncorrectable),
    },
    MetricDef {
        name: "gpuctl_row_remap_pending",
        kind: Kind::Gauge,
        help: "1 when a row remap waits for a GPU reset.",
        dcgm: Some(("DCGM_FI_DEV_ROW_REMAP_PENDING", 1.0)),
        read: |s| flag(s.row_remap_pending),
    },
    MetricDef {
        name: "gpuctl_row_remap_failure",
        kind: Kind::Gauge,
        help: "1 when a row remap failed (the GPU needs service).",
        dcgm: Some(("DCGM_FI_DEV_ROW_REMAP_FAILURE", 1.0)),
        read: |s| flag(s.row_remap_failure),
    },
    MetricDef {
        name: "gpuctl_pcie_replays_total",
        kind: Kind::Counter,
        help: "PCIe replays (link-level retransmissions).",
        dcgm: Some(("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", 1.0)),
        read: |s| u(s.pcie_replays),
    },
    MetricDef {
        name: "gpuctl_nvlink_crc_errors_total",
        kind: Kind::Counter,
        help: "NVLink flit CRC errors over all links since the driver loaded.",
        dcgm: Some(("DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL", 1.0)),
        read: |s| u(s.nvlink_crc_errors),
    },
    MetricDef {
        name: "gpuctl_nvlink_replay_errors_total",
        kind: Kind::Counter,
        help: "NVLink replays over all links since the driver loaded.",
        dcgm: Some(("DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL", 1.0)),
        read: |s| u(s.nvlink_replay_errors),
    },
    MetricDef {
        name: "gpuctl_nvlink_recovery_errors_total",
        kind: Kind::Counter,
        help: "NVLink link recoveries over all links since the driver loaded.",
        dcgm: Some(("DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL", 1.0)),
        read: |s| u(s.nvlink_recovery_errors),
    },
    MetricDef {
        name: "gpuctl_xid_errors_total",
        kind: Kind::Counter,
        help: "XID errors seen since monitor started.",
        dcgm: None,
        read: |s| Some(s.xid_count as f64),
    },
    MetricDef {
        name: "gpuctl_xid_hardware_errors_total",
        kind: Kind::Counter,
        help: "XID errors of the hardware class (a GPU, memory, link or board fault) seen since monitor started.",
        dcgm: None,
        read: |s| Some(s.xid_hardware_count as f64),
    },
    MetricDef {
        name: "gpuctl_last_xid",
        kind: Kind::Gauge,
        help: "The most recent XID error code seen (0 for none).",
        dcgm: Some(("DCGM_FI_DEV_XID_ERRORS", 1.0)),
        read: |s| Some(s.last_xid.unwrap_or(0) as f64),
    },
    MetricDef {
        name: "gpuctl_processes",
        kind: Kind::Gauge,
        help: "Processes with a context on the GPU.",
        dcgm: None,
        read: |s| s.processes.as_ref().map(|p| p.len() as f64),
    },
];

/// Up and healthy: emitted for every GPU, with gpuctl's names in both modes.
pub const UP: (&str, &str) = (
    "gpuctl_gpu_up",
    "1 when the last sample of the GPU succeeded, 0 when it failed, timed out or is backed off.",
);
/// When the sample was taken (issue 23): a textfile or a scrape that stops
/// moving shows as a stale timestamp (`GpuctlStaleSample`).
pub const SAMPLED: (&str, &str) = (
    "gpuctl_sample_timestamp_seconds",
    "Unix time of monitor's last sample round; it stops moving when monitor stops.",
);
/// dcgm-exporter's units differ from gpuctl's for these: the help text says
/// the unit the value is in (every scaled dcgm metric is listed here; a unit
/// test keeps the two in step).
pub const DCGM_HELP: &[(&str, &str)] = &[
    (
        "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
        "Energy consumed since the driver loaded, millijoules.",
    ),
    ("DCGM_FI_DEV_SM_CLOCK", "SM clock in megahertz."),
    ("DCGM_FI_DEV_MEM_CLOCK", "Memory clock in megahertz."),
    (
        "DCGM_FI_DEV_GPU_UTIL",
        "Share of time a kernel was running, percent.",
    ),
    (
        "DCGM_FI_DEV_MEM_COPY_UTIL",
        "Share of time device memory was read or written, percent.",
    ),
    ("DCGM_FI_DEV_FB_USED", "Device memory in use, MiB."),
    ("DCGM_FI_DEV_FB_FREE", "Device memory free, MiB."),
];

/// The help text of `def` under dcgm-exporter's name (its unit).
pub fn dcgm_help(def: &MetricDef) -> &'static str {
    def.dcgm
        .and_then(|(name, _)| DCGM_HELP.iter().find(|(n, _)| *n == name))
        .map_or(def.help, |(_, help)| help)
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

pub const HEALTHY: (&str, &str) = (
    "gpuctl_gpu_healthy",
    "1 when the probe's checks (on the bus, no uncorrected ECC, no row-remap failure, below slowdown temperature) all pass and were verified, and the XID watch covers the GPU.",
);
/// Whether the XID watch covers the GPU: emitted for every GPU, so a watch
/// that died shows instead of a silent `gpuctl_xid_errors_total` of 0.
pub const XID_WATCH: (&str, &str) = (
    "gpuctl_xid_watch_up",
    "1 while the XID watch covers the GPU, 0 when it failed or cannot (XID counts then cannot rise).",
);

/// Failed `--textfile` writes: exported only with `--textfile` (on
/// `/metrics` too), gpuctl's name in both modes, the host label only.
pub const TEXTFILE_FAILURES: (&str, &str) = (
    "gpuctl_textfile_write_failures_total",
    "Writes of --textfile that failed since monitor started (only with --textfile).",
);

type Labels = Vec<(String, String)>;

pub(super) fn labels(s: &GpuSample, names: MetricNames, hostname: &str) -> Labels {
    let l = |k: &str, v: &str| (k.to_string(), v.to_string());
    let mut set = match names {
        MetricNames::Gpuctl => vec![
            l("gpu", &s.gpu.to_string()),
            l("uuid", &s.uuid),
            l("pci_bus_id", &s.pci_bus_id),
            l("model", &s.model),
            l(host_label(names), hostname),
        ],
        MetricNames::Dcgm => vec![
            l("gpu", &s.gpu.to_string()),
            l("UUID", &s.uuid),
            l("pci_bus_id", &s.pci_bus_id),
            l("device", &format!("nvidia{}", s.gpu)),
            l("modelName", &s.model),
            l(host_label(names), hostname),
        ],
    };
    // `--pod-resources`: who holds the GPU, on every per-GPU series.
    if let Some(pod) = &s.pod {
        set.extend(pod.pairs().map(|(k, v)| l(k, v)));
    }
    set
}

/// The host's label name in each naming.
fn host_label(names: MetricNames) -> &'static str {
    match names {
        MetricNames::Gpuctl => "hostname",
        MetricNames::Dcgm => "Hostname",
    }
}

fn gauge_family() -> Family<Labels, Gauge<f64, AtomicU64>> {
    Family::default()
}

/// The OpenMetrics exposition of one round of samples (and, with
/// `--textfile`, how many of its writes failed so far).
pub fn render_openmetrics(
    samples: &[GpuSample],
    names: MetricNames,
    hostname: &str,
    textfile_failures: Option<u64>,
) -> String {
    let mut registry = Registry::default();
    let label_sets: Vec<Labels> = samples.iter().map(|s| labels(s, names, hostname)).collect();
    for (name, help, read) in [
        (UP.0, UP.1, (|s: &GpuSample| s.up) as fn(&GpuSample) -> bool),
        (HEALTHY.0, HEALTHY.1, |s: &GpuSample| s.healthy),
        (XID_WATCH.0, XID_WATCH.1, |s: &GpuSample| {
            s.xid_watch_error.is_none()
        }),
    ] {
        let family = gauge_family();
        for (s, l) in samples.iter().zip(&label_sets) {
            family.get_or_create(l).set(if read(s) { 1.0 } else { 0.0 });
        }
        registry.register(name, help.trim_end_matches('.'), family);
    }
    register_sampled(&mut registry, &label_sets);
    for def in METRICS {
        // A GPU that is down has no readings: its series disappear, which
        // is how Prometheus marks them stale.
        let values: Vec<(&Labels, f64)> = samples
            .iter()
            .zip(&label_sets)
            .filter(|(s, _)| s.up)
            .filter_map(|(s, l)| (def.read)(s).map(|v| (l, v)))
            .collect();
        if values.is_empty() {
            continue;
        }
        match (names, def.kind, def.dcgm) {
            (MetricNames::Gpuctl, Kind::Counter, _) => {
                let family: Family<Labels, Counter<f64, AtomicU64>> = Family::default();
                for (l, v) in values {
                    family.get_or_create(l).inc_by(v);
                }
                // The crate appends `_total` to counters itself.
                let base = def.name.strip_suffix("_total").unwrap_or(def.name);
                registry.register(base, def.help.trim_end_matches('.'), family);
            }
            (MetricNames::Gpuctl, Kind::Gauge, _) => {
                let family = gauge_family();
                for (l, v) in values {
                    family.get_or_create(l).set(v);
                }
                registry.register(def.name, def.help.trim_end_matches('.'), family);
            }
            (MetricNames::Dcgm, _, Some((dcgm_name, scale))) => {
                let family = gauge_family();
                for (l, v) in values {
                    family.get_or_create(l).set(v * scale);
                }
                registry.register(dcgm_name, dcgm_help(def).trim_end_matches('.'), family);
            }
            (MetricNames::Dcgm, _, None) => {}
        }
    }
    if samples.iter().any(|s| s.simulated) {
        // Per GPU, with the same labels as every other series.
        let family = gauge_family();
        for (s, l) in samples.iter().zip(&label_sets) {
            family
                .get_or_create(l)
                .set(if s.simulated { 1.0 } else { 0.0 });
        }
        registry.register(SIMULATED.0, SIMULATED.1.trim_end_matches('.'), family);
    }
    if let Some(failures) = textfile_failures {
        let family: Family<Labels, Counter<f64, AtomicU64>> = Family::default();
        let host = vec![(host_label(names).to_string(), hostname.to_string())];
        family.get_or_create(&host).inc_by(failures as f64);
        let (name, help) = TEXTFILE_FAILURES;
        let base = name.strip_suffix("_total").unwrap_or(name);
        registry.register(base, help.trim_end_matches('.'), family);
    }
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut out, &registry);
    out
}

fn register_sampled(registry: &mut Registry, label_sets: &[Labels]) {
    let family = gauge_family();
    let now = unix_now();
    for l in label_sets {
        family.get_or_create(l).set(now);
    }
    registry.register(SAMPLED.0, SAMPLED.1.trim_end_matches('.'), family);
}

/// What monitor leaves behind when it stops (issue 23): every GPU
/// `gpuctl_gpu_up 0` and the time it stopped, nothing else, so a textfile
/// that outlives its writer never says healthy.
pub fn render_stopped(samples: &[GpuSample], names: MetricNames, hostname: &str) -> String {
    let mut registry = Registry::default();
    let label_sets: Vec<Labels> = samples.iter().map(|s| labels(s, names, hostname)).collect();
    let family = gauge_family();
    for l in &label_sets {
        family.get_or_create(l).set(0.0);
    }
    registry.register(UP.0, UP.1.trim_end_matches('.'), family);
    register_sampled(&mut registry, &label_sets);
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut out, &registry);
    out
}

/// Exposed (as 1) only on the simulated backend.
pub const SIMULATED: (&str, &str) = (
    "gpuctl_simulated",
    "1 when the GPUs are simulated (GPUCTL_SIMULATE): not real hardware.",
);

/// OpenMetrics text as the Prometheus text format 0.0.4: counter families
/// take their samples' `_total` name, and `# EOF` goes.
pub fn to_prometheus_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len() + 64);
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{prefix}{name}_total {tail}"))
        });
        match renamed {
            Some(l) => out.push_str(&l),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The metric list for the README, from [`METRICS`].
pub fn markdown_table() -> String {
    let mut out =
        String::from("| gpuctl name | type | dcgm-exporter name | meaning |\n|---|---|---|---|\n");
    for (name, help) in [UP, HEALTHY, SAMPLED, XID_WATCH] {
        out.push_str(&format!("| `{name}` | gauge | (same) | {help} |\n"));
    }
    for def in METRICS {
        let kind = match def.kind {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        };
        let dcgm = def.dcgm.map_or("-".to_string(), |(n, _)| format!("`{n}`"));
        out.push_str(&format!(
            "| `{}` | {kind} | {dcgm} | {} |\n",
            def.name, def.help
        ));
    }
    let (name, help) = TEXTFILE_FAILURES;
    out.push_str(&format!("| `{name}` | counter | (same) | {help} |\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scaled_dcgm_metric_has_help_in_its_own_unit() {
        for def in METRICS {
            if let Some((name, scale)) = def.dcgm {
                let listed = DCGM_HELP.iter().any(|(n, _)| *n == name);
                assert_eq!(listed, scale != 1.0, "{name}: scale {scale}");
            }
        }
        let energy = METRICS
            .iter()
            .find(|d| d.name == "gpuctl_energy_joules_total")
            .unwrap();
        assert!(dcgm_help(energy).contains("millijoules"));
        assert!(energy.help.contains("joules") && !energy.help.contains("milli"));
    }
}
