//! One GPU's sample as `monitor` reports it (a flat record for JSON Lines,
//! CSV, the table and the metrics), built from the backend's readings, and
//! the circuit breaker that backs off from a GPU whose reads keep failing.

use crate::checks::healthy;
use crate::device::monitor::{MonitorReadings, PcieTraffic};
use crate::device::{ErrorCounters, GpuProcess, QueryError, Reading, Telemetry};
use serde::Serialize;
use std::time::{Duration, Instant};

/// Everything read from one GPU in one interval.
#[derive(Debug, Clone, Default)]
pub struct RawReadings {
    pub telemetry: Telemetry,
    pub errors: ErrorCounters,
    pub extra: MonitorReadings,
    /// Energy since the driver loaded (mJ), read every
    /// `ENERGY_EVERY` at most: the dearest NVML read of a sample.
    pub energy_mj: Reading<u64>,
    /// Slowdown temperature, read once per GPU and repeated here.
    pub slowdown: Reading<u32>,
    /// Wall time of the reads, for the cost figure.
    pub read_ms: f64,
}

impl RawReadings {
    /// Why the reads count as a failed sample: memory info (which every
    /// GPU NVML manages supports) failed, or the GPU is lost, or nothing
    /// core was read and the driver said more than "not supported".
    pub fn failure(&self) -> Option<String> {
        let core: [Option<&QueryError>; 3] = [
            self.extra.memory.as_result().err(),
            self.telemetry.temperature_gpu_c.as_result().err(),
            self.telemetry.power_draw_w.as_result().err(),
        ];
        let real = |e: &&QueryError| **e != QueryError::NotSupported;
        if let Some(e) = core[0].filter(real) {
            return Some(e.to_string());
        }
        if let Some(e) = core.iter().flatten().find(|e| ***e == QueryError::GpuLost) {
            return Some(e.to_string());
        }
        if core.iter().any(Option::is_none) {
            return None;
        }
        core.into_iter()
            .flatten()
            .find(real)
            .map(ToString::to_string)
    }
}

/// One GPU at one moment: the JSON Lines record (`"event":"sample"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
pub struct GpuSample {
    /// Always `sample`.
    #[schemars(extend("const" = "sample"))]
    pub event: &'static str,
    pub timestamp: String,
    pub elapsed_s: f64,
    pub gpu: u32,
    pub uuid: String,
    pub pci_bus_id: String,
    pub model: String,
    /// True on the simulated backend (`GPUCTL_SIMULATE`): not real hardware.
    pub simulated: bool,
    /// The last read succeeded.
    pub up: bool,
    /// Why not, when down.
    pub error: Option<String>,
    /// `closed`, `open` (backing off) or `half_open` (one retry).
    #[schemars(extend("enum" = ["closed", "open", "half_open"]))]
    pub breaker: &'static str,
    /// The probe's checks all pass (false when down: fail closed).
    pub healthy: bool,
    pub power_w: Option<f64>,
    /// `instant` (NVML's instantaneous field) or `average` (its 1-second
    /// average); null without a power reading.
    pub power_source: Option<crate::model::gpu::PowerSource>,
    pub energy_j: Option<f64>,
    pub temperature_gpu_c: Option<u32>,
    pub temperature_memory_c: Option<u32>,
    /// The GPU's own slowdown temperature (NVML threshold), read once.
    pub slowdown_temperature_c: Option<u32>,
    pub sm_clock_mhz: Option<u32>,
    pub memory_clock_mhz: Option<u32>,
    pub utilization_gpu_pct: Option<u32>,
    pub utilization_memory_pct: Option<u32>,
    pub memory_used_bytes: Option<u64>,
    pub memory_free_bytes: Option<u64>,
    pub pcie_tx_bytes: Option<u64>,
    pub pcie_rx_bytes: Option<u64>,
    pub pcie_tx_bytes_per_s: Option<f64>,
    pub pcie_rx_bytes_per_s: Option<f64>,
    pub nvlink_tx_bytes: Option<u64>,
    pub nvlink_rx_bytes: Option<u64>,
    pub nvlink_tx_bytes_per_s: Option<f64>,
    pub nvlink_rx_bytes_per_s: Option<f64>,
    pub clock_events: Vec<String>,
    pub clock_events_mask: Option<u64>,
    pub ecc_volatile_corrected: Option<u64>,
    pub ecc_volatile_uncorrected: Option<u64>,
    pub ecc_aggregate_corrected: Option<u64>,
    pub ecc_aggregate_uncorrected: Option<u64>,
    pub remapped_rows_correctable: Option<u64>,
    pub remapped_rows_uncorrectable: Option<u64>,
    pub row_remap_pending: Option<bool>,
    pub row_remap_failure: Option<bool>,
    pub pcie_replays: Option<u64>,
    /// NVLink error counters summed over the GPU's links (none: no NVLink).
    pub nvlink_crc_errors: Option<u64>,
    pub nvlink_replay_errors: Option<u64>,
    pub nvlink_recovery_errors: Option<u64>,
    /// XIDs seen on this GPU since monitor started.
    pub xid_count: u64,
    /// Those of them that `checks::xid` classes as hardware faults.
    pub xid_hardware_count: u64,
    /// Why the XID watch does not cover this GPU now (null while it does):
    /// `xid_count` then cannot rise, and `healthy` is false unless NVML
    /// does not support XID events here.
    pub xid_watch_error: Option<String>,
    pub last_xid: Option<u64>,
    pub processes: Option<Vec<GpuProcess>>,
    /// Milliseconds the reads took.
    pub read_ms: Option<f64>,
    /// Who holds the GPU (`--pod-resources`): labels on its metrics only.
    #[serde(skip)]
    pub pod: Option<super::pods::PodLabels>,
}

/// Who the GPU is: fixed for the run.
#[derive(Debug, Clone)]
pub struct GpuId {
    pub gpu: u32,
    pub uuid: String,
    pub pci_bus_id: String,
    pub model: String,
    pub lost: Option<String>,
}

/// Cumulative counters from the previous sample, for rates.
#[derive(Debug, Clone, Copy, Default)]
pub struct Previous {
    pub at: Option<Instant>,
    pub pcie: Option<(u64, u64)>,
    pub nvlink: Option<(u64, u64)>,
}

fn rate(now: u64, before: u64, seconds: f64) -> Option<f64> {
    (seconds > 0.0 && now >= before).then(|| (now - before) as f64 / seconds)
}

impl GpuSample {
    /// The identity part, down until readings say otherwise.
    pub fn blank(id: &GpuId, timestamp: String, elapsed_s: f64) -> Self {
        Self {
            event: "sample",
            timestamp,
            elapsed_s,
            gpu: id.gpu,
            uuid: id.uuid.clone(),
            pci_bus_id: id.pci_bus_id.clone(),
            model: id.model.clone(),
            simulated: crate::model::gpu::simulated(),
            breaker: "closed",
            ..Self::default()
        }
    }

    /// Fills in the readings of a successful read; updates `prev`.
    /// `unwatched`: why the XID watch does not cover this GPU now.
    pub fn fill(
        &mut self,
        r: &RawReadings,
        prev: &mut Previous,
        now: Instant,
        unwatched: Option<&QueryError>,
    ) {
        let t = &r.telemetry;
        self.up = true;
        self.read_ms = Some(r.read_ms);
        self.power_w = t.power_draw_w.get();
        self.power_source = self.power_w.map(|_| t.power_source);
        self.energy_j = r.energy_mj.get().map(|mj| mj as f64 / 1000.0);
        self.temperature_gpu_c = t.temperature_gpu_c.get();
        self.temperature_memory_c = t.temperature_memory_c.get();
        self.sm_clock_mhz = t.sm_clock_mhz.get();
        self.memory_clock_mhz = t.memory_clock_mhz.get();
        self.utilization_gpu_pct = t.utilization_gpu_pct.get();
        self.utilization_memory_pct = r.extra.utilization_memory_pct.get();
        let mem = r.extra.memory.get();
        self.memory_used_bytes = mem.map(|m| m.used_bytes).or(t.memory_used_bytes.get());
        self.memory_free_bytes = mem.map(|m| m.free_bytes);
        if let Some(events) = t.clock_events.get() {
            self.clock_events = events.names();
            self.clock_events_mask = Some(events.0);
        }
        let e = &r.errors;
        if let Some(v) = e.ecc_volatile.get() {
            self.ecc_volatile_corrected = Some(v.corrected);
            self.ecc_volatile_uncorrected = Some(v.uncorrected);
        }
        if let Some(a) = e.ecc_aggregate.get() {
            self.ecc_aggregate_corrected = Some(a.corrected);
            self.ecc_aggregate_uncorrected = Some(a.uncorrected);
        }
        if let Some(rr) = e.row_remap.get() {
            self.remapped_rows_correctable = Some(rr.correctable);
            self.remapped_rows_uncorrectable = Some(rr.uncorrectable);
            self.row_remap_pending = Some(rr.pending);
            self.row_remap_failure = Some(rr.failure);
        }
        self.pcie_replays = e.pcie_replay_count.get();
        self.slowdown_temperature_c = r.slowdown.get();
        if let Some(links) = e.nvlinks.value().filter(|l| !l.is_empty()) {
            self.nvlink_crc_errors = Some(links.iter().map(|l| l.crc_errors).sum());
            self.nvlink_replay_errors = Some(links.iter().map(|l| l.replay_errors).sum());
            self.nvlink_recovery_errors = Some(links.iter().map(|l| l.recovery_errors).sum());
        }
        self.processes = r.extra.processes.value().cloned();

        let seconds = prev
            .at
            .map_or(0.0, |at| now.duration_since(at).as_secs_f64());
        match r.extra.pcie.get() {
            Some(PcieTraffic::Total { tx_bytes, rx_bytes }) => {
                self.pcie_tx_bytes = Some(tx_bytes);
                self.pcie_rx_bytes = Some(rx_bytes);
                if let Some((ptx, prx)) = prev.pcie {
                    self.pcie_tx_bytes_per_s = rate(tx_bytes, ptx, seconds);
                    self.pcie_rx_bytes_per_s = rate(rx_bytes, prx, seconds);
                }
                prev.pcie = Some((tx_bytes, rx_bytes));
            }
            Some(PcieTraffic::Rate {
                tx_bytes_per_s,
                rx_bytes_per_s,
            }) => {
                self.pcie_tx_bytes_per_s = Some(tx_bytes_per_s as f64);
                self.pcie_rx_bytes_per_s = Some(rx_bytes_per_s as f64);
            }
            None => {}
        }
        if let (Some(tx), Some(rx)) = (r.extra.nvlink_tx_bytes.get(), r.extra.nvlink_rx_bytes.get())
        {
            self.nvlink_tx_bytes = Some(tx);
            self.nvlink_rx_bytes = Some(rx);
            if let Some((ptx, prx)) = prev.nvlink {
                self.nvlink_tx_bytes_per_s = rate(tx, ptx, seconds);
                self.nvlink_rx_bytes_per_s = rate(rx, prx, seconds);
            }
            prev.nvlink = Some((tx, rx));
        }
        prev.at = Some(now);

        let ecc = e.ecc_volatile.clone().map(|c| c.uncorrected);
        // The probe's rule (checks::healthy), and an XID watch that failed
        // is unverified, as in every command that watches.
        let mut checks = healthy::checks(&healthy::Readings {
            lost: None,
            ecc_uncorrected: &ecc,
            row_remap: &e.row_remap,
            temperature: &t.temperature_gpu_c,
            slowdown: &r.slowdown,
        });
        checks.extend(unwatched.map(|e| crate::checks::xid::watch_failed(e, true)));
        let required = crate::report::Required {
            checks: &healthy::REQUIRED,
            deselected: &[],
        };
        self.healthy = healthy::judge(&mut checks, &required);
    }
}

/// The circuit breaker's state for one GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    /// Not read until `until`.
    Open {
        until: Instant,
    },
    /// One trial read is allowed.
    HalfOpen,
}

/// Backs off from a GPU after [`Breaker::THRESHOLD`] failures in a row,
/// for a back-off that doubles up to [`Breaker::MAX_BACKOFF`]; then one
/// half-open trial decides whether it closes again.
#[derive(Debug, Clone)]
pub struct Breaker {
    pub state: BreakerState,
    pub failures: u32,
    backoff: Duration,
    base: Duration,
}

impl Breaker {
    pub const THRESHOLD: u32 = 3;
    pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

    pub fn new(base: Duration) -> Self {
        Self {
            state: BreakerState::Closed,
            failures: 0,
            backoff: base,
            base,
        }
    }

    /// Whether to read the GPU now (moves an expired open breaker to
    /// half-open).
    pub fn allow(&mut self, now: Instant) -> bool {
        match self.state {
            BreakerState::Closed | BreakerState::HalfOpen => true,
            BreakerState::Open { until } if now >= until => {
                self.state = BreakerState::HalfOpen;
                true
            }
            BreakerState::Open { .. } => false,
        }
    }

    pub fn success(&mut self) {
        self.state = BreakerState::Closed;
        self.failures = 0;
        self.backoff = self.base;
    }

    pub fn failure(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        match self.state {
            BreakerState::HalfOpen => {
                self.backoff = (self.backoff * 2).min(Self::MAX_BACKOFF);
                self.state = BreakerState::Open {
                    until: now + self.backoff,
                };
            }
            BreakerState::Closed if self.failures >= Self::THRESHOLD => {
                self.state = BreakerState::Open {
                    until: now + self.backoff,
                };
            }
            _ => {}
        }
    }

    pub fn label(&self) -> &'static str {
        match self.state {
            BreakerState::Closed => "closed",
            BreakerState::Open { .. } => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaker_opens_after_threshold_then_half_opens_and_doubles() {
        let t0 = Instant::now();
        let mut b = Breaker::new(Duration::from_secs(10));
        for _ in 0..Breaker::THRESHOLD - 1 {
            assert!(b.allow(t0));
            b.failure(t0);
            assert_eq!(b.state, BreakerState::Closed);
        }
        b.failure(t0);
        assert!(matches!(b.state, BreakerState::Open { .. }));
        assert!(!b.allow(t0 + Duration::from_secs(9)));
        assert!(b.allow(t0 + Duration::from_secs(10)));
        assert_eq!(b.state, BreakerState::HalfOpen);
        // The trial fails: open again for twice as long.
        let t1 = t0 + Duration::from_secs(10);
        b.failure(t1);
        assert!(!b.allow(t1 + Duration::from_secs(19)));
        assert!(b.allow(t1 + Duration::from_secs(20)));
        b.success();
        assert_eq!(b.state, BreakerState::Closed);
        assert_eq!(b.failures, 0);
    }

    #[test]
    fn breaker_backoff_is_capped() {
        let mut b = Breaker::new(Duration::from_secs(200));
        let mut now = Instant::now();
        for _ in 0..Breaker::THRESHOLD {
            b.failure(now);
        }
        for _ in 0..5 {
            now += Breaker::MAX_BACKOFF;
            assert!(b.allow(now));
            b.failure(now);
            match b.state {
                BreakerState::Open { until } => assert!(until - now <= Breaker::MAX_BACKOFF),
                other => panic!("expected open, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_failure_needs_core_reads_to_fail_with_more_than_unsupported() {
        let mut r = RawReadings::default();
        // Everything unsupported: a sample with nothing in it, not a failure.
        assert_eq!(r.failure(), None);
        let lost = QueryError::GpuLost;
        r.telemetry.power_draw_w = Reading::err(lost);
        assert!(r.failure().is_some_and(|m| m.contains("lost")));
        r.telemetry.power_draw_w = Reading::Value(70.0);
        assert_eq!(r.failure(), None);
        r.extra.memory = Reading::err(QueryError::Failed("NVML: Unknown".into()));
        assert!(r.failure().is_some_and(|m| m.contains("Unknown")));
    }

    #[test]
    fn rates_come_from_counter_deltas() {
        assert_eq!(rate(3000, 1000, 2.0), Some(1000.0));
        assert_eq!(rate(10, 20, 1.0), None, "a counter reset is not a rate");
        assert_eq!(rate(10, 0, 0.0), None);
    }
}
