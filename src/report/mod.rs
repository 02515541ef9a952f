//! One report model for every command, rendered as a table or as JSON.
//!
//! Commands build a [`Report`]; they never print. The JSON form is a
//! versioned contract (`schema_version`, schema in `schema.json` beside this
//! file): fields are added, never renamed or retyped, without a version bump.

pub mod json;
pub mod progress;
pub mod table;

use crate::device::inventory::DriverInfo;
use crate::device::Gpu;
use crate::error::{AppError, ErrorKind};
use serde::Serialize;
use serde_json::Value;

/// Bumped whenever a field is renamed, removed or changes type.
pub const SCHEMA_VERSION: u32 = 1;

/// The JSON Schema of [`Report`], shipped with the binary.
pub const SCHEMA: &str = include_str!("schema.json");

/// Verdict of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    /// Not applicable here (unsupported, no permission): never a pass.
    Skip,
    Warn,
    Fail,
}

impl CheckStatus {
    pub fn label(self) -> &'static str {
        match self {
            CheckStatus::Pass => "PASS",
            CheckStatus::Skip => "SKIP",
            CheckStatus::Warn => "WARN",
            CheckStatus::Fail => "FAIL",
        }
    }
}

/// Verdict of a whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Warn,
    Fail,
    /// The command could not run; see `error`.
    Error,
    /// Stopped by a signal; the report covers the time that ran.
    Interrupted,
}

/// One check's result: data, never printed by the check itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Stable machine name, e.g. `ecc_volatile_uncorrected`.
    pub name: String,
    pub status: CheckStatus,
    /// What was measured (number, string or bool); null when nothing was.
    pub value: Option<Value>,
    pub unit: Option<String>,
    /// The limit the value was judged against, when there is one.
    pub threshold: Option<Value>,
    /// One sentence an operator can act on.
    pub message: String,
    /// What to do: "reset the GPU", "drain the node and open an RMA".
    pub remedy: Option<String>,
}

impl Check {
    pub fn new(name: &str, status: CheckStatus, message: impl Into<String>) -> Self {
        Self {
            name: name.to_string(),
            status,
            value: None,
            unit: None,
            threshold: None,
            message: message.into(),
            remedy: None,
        }
    }

    pub fn value(mut self, value: impl Into<Value>, unit: Option<&str>) -> Self {
        self.value = Some(value.into());
        self.unit = unit.map(str::to_string);
        self
    }

    pub fn threshold(mut self, threshold: impl Into<Value>) -> Self {
        self.threshold = Some(threshold.into());
        self
    }

    pub fn remedy(mut self, remedy: &str) -> Self {
        self.remedy = Some(remedy.to_string());
        self
    }
}

/// The worst status among checks: FAIL over WARN over PASS; SKIP only when
/// every check skipped (a skipped check never hides a pass); PASS for none.
pub fn worst(checks: &[Check]) -> CheckStatus {
    let judged = checks
        .iter()
        .map(|c| c.status)
        .filter(|s| *s != CheckStatus::Skip)
        .max();
    match judged {
        Some(status) => status,
        None if checks.is_empty() => CheckStatus::Pass,
        None => CheckStatus::Skip,
    }
}

/// Static facts `list` shows for one GPU.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GpuDetails {
    pub serial: Option<String>,
    pub architecture: Option<String>,
    pub memory_total_bytes: Option<u64>,
    pub memory_used_bytes: Option<u64>,
    pub memory_free_bytes: Option<u64>,
    pub driver_version: Option<String>,
    pub cuda_driver_version: Option<String>,
    /// `9.0`.
    pub compute_capability: Option<String>,
    pub sm_count: Option<u32>,
    pub persistence_mode: Option<bool>,
    pub compute_mode: Option<String>,
    pub mig_mode: Option<MigModeReport>,
    pub mig_instances: Vec<MigInstanceReport>,
    pub power_limit_w: Option<f64>,
    pub power_limit_default_w: Option<f64>,
    pub power_limit_min_w: Option<f64>,
    pub power_limit_max_w: Option<f64>,
    pub temperature_slowdown_c: Option<u32>,
    pub temperature_shutdown_c: Option<u32>,
    pub temperature_gpu_max_c: Option<u32>,
    pub temperature_memory_max_c: Option<u32>,
    pub pcie_link_gen_current: Option<u32>,
    pub pcie_link_width_current: Option<u32>,
    pub pcie_link_gen_max: Option<u32>,
    pub pcie_link_width_max: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MigModeReport {
    pub current: bool,
    pub pending: bool,
}

/// A MIG instance listed under its parent GPU.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MigInstanceReport {
    pub index: u32,
    pub uuid: String,
    pub cuda_index: Option<u32>,
    pub gpu_instance_id: Option<u32>,
    pub compute_instance_id: Option<u32>,
    pub memory_total_bytes: Option<u64>,
    pub sm_count: Option<u32>,
}

/// One GPU's part of a report; sections appear only for the commands that
/// fill them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuReport {
    pub index: u32,
    pub name: String,
    pub uuid: String,
    pub pci_bus_id: String,
    /// Ordinal a CUDA program in this environment would use; null when CUDA
    /// is unavailable, the GPU is hidden, or it is split into MIG instances.
    pub cuda_index: Option<u32>,
    /// Set when NVML cannot reach the GPU (fallen off the bus).
    pub lost: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<CheckStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<GpuDetails>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<Vec<Check>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burn: Option<BurnSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitor: Option<MonitorSummary>,
}

/// What `monitor` saw on one GPU over the whole run: running figures only,
/// so a run of weeks holds constant memory.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MonitorSummary {
    pub seconds: f64,
    /// Intervals in which the GPU was read successfully / not.
    pub samples: u64,
    pub failed_samples: u64,
    /// Times the GPU went from up to down.
    pub down_events: u64,
    /// Up at the last interval.
    pub up: bool,
    /// The probe's checks passed at the last interval.
    pub healthy: bool,
    pub last_error: Option<String>,
    pub power_avg_w: Option<f64>,
    pub power_peak_w: Option<f64>,
    /// Energy consumed during the run (from the driver's counter).
    pub energy_j: Option<f64>,
    pub temperature_gpu_peak_c: Option<u32>,
    pub temperature_memory_peak_c: Option<u32>,
    pub sm_clock_min_mhz: Option<u32>,
    pub utilization_gpu_avg_pct: Option<f64>,
    /// XIDs seen during the run (count, and the last few codes).
    pub xid_count: u64,
    pub xids: Vec<u64>,
    /// Cost of one full sample of this GPU, milliseconds.
    pub read_ms_avg: Option<f64>,
    pub read_ms_max: Option<f64>,
}

/// Time spent with one clock event reason active during a burn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThrottleTime {
    pub reason: String,
    pub seconds: f64,
}

/// What `burn` measured on one GPU.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BurnSummary {
    pub engine: Option<String>,
    pub dtype: Option<String>,
    /// Library version or kernel name.
    pub detail: Option<String>,
    pub matrix_size: Option<u32>,
    pub result_buffers: Option<u32>,
    pub memory_bytes: Option<u64>,
    /// Seconds of burning (after set-up).
    pub seconds: f64,
    pub batches: u64,
    pub products: u64,
    /// Per-batch TFLOP/s of the products alone.
    pub tflops_min: Option<f64>,
    pub tflops_median: Option<f64>,
    pub tflops_max: Option<f64>,
    /// All flops over all batch time, verification included.
    pub tflops_with_verification: Option<f64>,
    /// Throughput lost to checking results, percent.
    pub verification_overhead_pct: Option<f64>,
    pub power_avg_w: Option<f64>,
    pub power_peak_w: Option<f64>,
    /// Seconds from the first batch until power first reached 95% of the
    /// run's average.
    pub seconds_to_power_plateau: Option<f64>,
    pub temperature_gpu_peak_c: Option<u32>,
    pub temperature_memory_peak_c: Option<u32>,
    pub sm_clock_min_mhz: Option<u32>,
    pub sm_clock_avg_mhz: Option<f64>,
    /// Every clock event reason seen, with how long it was active.
    pub throttle: Vec<ThrottleTime>,
    pub mismatched_products: u64,
    pub mismatched_elements: u64,
    /// Checksum of the reference product, hex; equal across GPUs of one
    /// model.
    pub reference_checksum: Option<String>,
    pub xids: Vec<u64>,
    /// Why the burn stopped early on this GPU, if it did.
    pub error: Option<String>,
}

impl GpuReport {
    pub fn identity(gpu: &Gpu) -> Self {
        Self {
            index: gpu.index,
            name: gpu.name.clone(),
            uuid: gpu.uuid.clone(),
            pci_bus_id: gpu.pci_bus_id.clone(),
            cuda_index: gpu.cuda_index(),
            lost: gpu.lost.clone(),
            status: None,
            details: None,
            checks: None,
            burn: None,
            monitor: None,
        }
    }

    /// This GPU with its checks and their worst status.
    pub fn with_checks(gpu: &Gpu, checks: Vec<Check>) -> Self {
        Self {
            status: Some(worst(&checks)),
            checks: Some(checks),
            ..Self::identity(gpu)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorInfo {
    pub kind: ErrorKind,
    pub message: String,
}

/// Host-wide checks (driver, inventory) that belong to no single GPU.
pub type HostChecks = Vec<Check>;

/// Everything a command has to say.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// `report` on the last line of `burn --json`'s JSON Lines stream;
    /// absent elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<&'static str>,
    pub schema_version: u32,
    pub tool: ToolInfo,
    pub command: String,
    pub host: String,
    /// RFC 3339, UTC, seconds.
    pub timestamp: String,
    pub outcome: Outcome,
    pub exit_code: i32,
    /// One line that says what happened.
    pub summary: String,
    pub driver: Option<DriverInfo>,
    pub warnings: Vec<String>,
    pub error: Option<ErrorInfo>,
    pub host_checks: HostChecks,
    pub gpus: Vec<GpuReport>,
}

impl Report {
    pub fn new(command: &str) -> Self {
        Self {
            event: None,
            schema_version: SCHEMA_VERSION,
            tool: ToolInfo {
                name: "gpuctl",
                version: env!("CARGO_PKG_VERSION"),
            },
            command: command.to_string(),
            host: hostname(),
            timestamp: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            outcome: Outcome::Pass,
            exit_code: crate::exit::SUCCESS,
            summary: String::new(),
            driver: None,
            warnings: Vec::new(),
            error: None,
            host_checks: Vec::new(),
            gpus: Vec::new(),
        }
    }

    /// The report for a command that could not run.
    pub fn from_error(command: &str, error: &AppError) -> Self {
        let mut report = Self::new(command);
        report.outcome = Outcome::Error;
        report.exit_code = error.exit_code();
        report.summary = format!("error: {}", error.message);
        report.error = Some(ErrorInfo {
            kind: error.kind,
            message: error.message.clone(),
        });
        report
    }

    /// The worst status over every check, by [`worst`]'s rule.
    pub fn worst_status(&self) -> CheckStatus {
        worst(&self.all_checks().cloned().collect::<Vec<_>>())
    }

    /// Every check in the report, host-wide and per GPU.
    pub fn all_checks(&self) -> impl Iterator<Item = &Check> {
        self.host_checks
            .iter()
            .chain(self.gpus.iter().flat_map(|g| g.checks.iter().flatten()))
    }
}

/// The machine's host name, or `unknown`.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_checks_never_hide_a_verdict() {
        let c = |s| Check::new("x", s, "");
        assert_eq!(
            worst(&[c(CheckStatus::Pass), c(CheckStatus::Skip)]),
            CheckStatus::Pass
        );
        assert_eq!(
            worst(&[c(CheckStatus::Skip), c(CheckStatus::Warn)]),
            CheckStatus::Warn
        );
        assert_eq!(
            worst(&[c(CheckStatus::Fail), c(CheckStatus::Warn)]),
            CheckStatus::Fail
        );
        assert_eq!(worst(&[c(CheckStatus::Skip)]), CheckStatus::Skip);
        assert_eq!(worst(&[]), CheckStatus::Pass);
    }
}
