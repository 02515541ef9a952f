//! One report model for every command, rendered as a table or as JSON.
//!
//! Commands build a [`Report`]; they never print. The JSON form is a
//! versioned contract (`schema_version`): fields are added, never renamed or
//! retyped, without a version bump. Its JSON Schema is derived from these
//! types ([`schema`]); `schema.json` beside this file is the committed copy
//! (`gpuctl schema` prints it, a test checks it is current).

pub mod board;
pub mod burn_stream;
pub mod csv;
pub mod diag;
pub mod events;
pub mod interrupt;
pub mod json;
pub mod layout;
pub mod progress;
pub mod sections;
pub mod stream;
pub mod table;
pub mod text;
pub mod values;

pub use sections::*;

use crate::error::{AppError, ErrorKind};
use crate::model::gpu::{DriverInfo, Gpu};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// Bumped whenever a field is renamed, removed or changes type.
/// 2: identity fields nullable, `serial` moved to the GPU, `simulated`.
/// 3: `--json` is one document for every command (burn's and memtest's
/// events only with `--json-lines`, typed in `$defs/JsonLine`); floats
/// rounded to 4 decimal places.
/// 4: bench's `launch_latency` check and result split into
/// `kernel_spacing_us` and `launch_overhead_us`; GEMM results carry a
/// `regime`, and `gemm_<dtype>_sustained` joins them (issue 21).
pub const SCHEMA_VERSION: u32 = 4;

/// Verdict of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    /// Not applicable here (unsupported, no permission): never a pass.
    Skip,
    Warn,
    /// A stop signal cut the work short: not verified, never a pass.
    Interrupted,
    Fail,
}

impl CheckStatus {
    pub fn label(self) -> &'static str {
        match self {
            CheckStatus::Pass => "PASS",
            CheckStatus::Skip => "SKIP",
            CheckStatus::Warn => "WARN",
            CheckStatus::Interrupted => "INTERRUPTED",
            CheckStatus::Fail => "FAIL",
        }
    }
}

/// Verdict of a whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Check {
    /// Stable machine name, e.g. `ecc_volatile_uncorrected`.
    pub name: String,
    pub status: CheckStatus,
    /// What was measured; null when nothing was. One type per check name
    /// (`model::checks`, stated in the schema).
    pub value: Option<Value>,
    pub unit: Option<String>,
    /// The limit the value was judged against, when there is one.
    pub threshold: Option<Value>,
    /// One sentence an operator can act on.
    pub message: String,
    /// What to do: "reset the GPU", "drain the node and open an RMA".
    pub remedy: Option<String>,
    /// The reading behind a SKIP was refused (no permission), not absent:
    /// nothing was verified. Read by [`fail_closed`]; not in the JSON.
    #[serde(skip)]
    pub unverified: bool,
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
            unverified: false,
        }
    }

    /// Marks a SKIP as "could not verify" rather than "does not apply".
    pub fn unverified(mut self) -> Self {
        self.unverified = true;
        self
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
/// every check skipped (a skipped check never hides a pass). No check at all
/// is FAIL: nothing was tested, so nothing may be called healthy.
pub fn worst(checks: &[Check]) -> CheckStatus {
    let judged = checks
        .iter()
        .map(|c| c.status)
        .filter(|s| *s != CheckStatus::Skip)
        .max();
    match judged {
        Some(status) => status,
        None if checks.is_empty() => CheckStatus::Fail,
        None => CheckStatus::Skip,
    }
}

/// Required checks that are not device readings: they alone never make a
/// GPU healthy (see [`fail_closed`]).
const NOT_READINGS: [&str; 2] = ["on_bus", "compute_self_test"];

/// Name of the check [`fail_closed`] adds when health was not established.
pub const COVERAGE: &str = "coverage";

/// What a command requires of one GPU before it may call it healthy.
#[derive(Debug, Clone, Copy, Default)]
pub struct Required<'a> {
    /// The checks that define health: each must have run and given a
    /// verdict (a SKIP because the GPU lacks the feature counts; a SKIP for
    /// want of permission does not).
    pub checks: &'a [&'a str],
    /// Of those, the ones the user switched off (`--skip`, `--checks`).
    pub deselected: &'a [&'a str],
}

/// The fail-closed rule, the one place that decides whether a GPU's checks
/// are enough for a healthy verdict (ARCHITECTURE.md states it):
///
/// - no check at all ran: FAIL (WARN when the user switched every required
///   check off);
/// - a required check is missing (not run, its section or reader lost):
///   FAIL; switched off by the user: WARN;
/// - a required check skipped because its reading was refused (no
///   permission): FAIL; any other check so skipped: WARN;
/// - every check skipped, or every required device reading (all required
///   checks but `on_bus` and `compute_self_test`): WARN.
///
/// Returns the `coverage` check saying what is missing, or `None` when the
/// checks suffice or a check already FAILs (the GPU is unhealthy either way;
/// the failure is what the operator acts on). Timeouts, panics and read
/// errors are FAILs of their own checks already (see `checks::unreadable`).
pub fn fail_closed(checks: &[Check], required: &Required) -> Option<Check> {
    use self::text::why_unverified;
    if checks.iter().any(|c| c.status == CheckStatus::Fail) {
        return None;
    }
    if checks.is_empty() {
        // Switched off by the user is a choice (WARN); otherwise nothing ran.
        let chosen = !required.checks.is_empty()
            && required
                .checks
                .iter()
                .all(|n| required.deselected.contains(n));
        let (status, why) = if chosen {
            (CheckStatus::Warn, "every GPU check was switched off")
        } else {
            (CheckStatus::Fail, "no check ran")
        };
        return Some(
            Check::new(
                COVERAGE,
                status,
                format!("{why}: nothing was verified on this GPU"),
            )
            .remedy("run the required checks (see --checks/--skip)"),
        );
    }
    let mut fails = Vec::new();
    let mut warns = Vec::new();
    for name in required.checks {
        let mine: Vec<&Check> = checks.iter().filter(|c| c.name == *name).collect();
        if mine.is_empty() {
            if required.deselected.contains(name) {
                warns.push(format!("{name} (switched off)"));
            } else {
                fails.push(format!("{name} (did not run)"));
            }
        } else if let Some(c) = mine
            .iter()
            .find(|c| c.status == CheckStatus::Skip && c.unverified)
        {
            fails.push(format!("{name} (not verified: {})", why_unverified(c)));
        }
    }
    // Refused readings of checks health does not rest on: named in a WARN,
    // only counted beside a FAIL (the required ones are what matter there).
    let refused: Vec<String> = checks
        .iter()
        .filter(|c| {
            c.status == CheckStatus::Skip
                && c.unverified
                && !required.checks.contains(&c.name.as_str())
        })
        .map(|c| format!("{} (not verified: {})", c.name, why_unverified(c)))
        .collect();
    if checks.iter().all(|c| c.status == CheckStatus::Skip) {
        warns.push("every check skipped".into());
    } else if !required.checks.is_empty()
        && !checks.iter().any(|c| {
            !NOT_READINGS.contains(&c.name.as_str())
                && c.status != CheckStatus::Skip
                && required.checks.contains(&c.name.as_str())
        })
        && required
            .checks
            .iter()
            .any(|n| !NOT_READINGS.contains(n) && !required.deselected.contains(n))
    {
        // Answering NVML is presence, not health, and a kernel that ran says
        // nothing of memory errors or heat: some required device reading
        // must have given a verdict.
        warns.push("no required check gave a verdict (all skipped)".into());
    }
    let permission = fails
        .iter()
        .chain(&warns)
        .chain(&refused)
        .any(|m| m.contains("no permission"));
    let (status, what) = if !fails.is_empty() {
        let why = if refused.iter().all(|m| m.contains("no permission")) {
            " (no permission)"
        } else {
            ""
        };
        let others = match refused.len() {
            0 => vec![],
            1 => vec![format!("1 other check not verified{why}")],
            n => vec![format!("{n} other checks not verified{why}")],
        };
        (CheckStatus::Fail, [fails, warns, others].concat())
    } else if !warns.is_empty() || !refused.is_empty() {
        (CheckStatus::Warn, [refused, warns].concat())
    } else {
        return None;
    };
    let lead = if status == CheckStatus::Fail {
        "health not established, required checks missing"
    } else {
        "not fully verified"
    };
    let check = Check::new(COVERAGE, status, format!("{lead}: {}", what.join(", ")));
    Some(if permission {
        check.remedy("run as root (or with access to /dev/nvidia*) so NVML can read the counters")
    } else {
        check
    })
}

/// Static facts `list` shows for one GPU.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct GpuDetails {
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
    /// VBIOS, InfoROM, board part number, PCI ids.
    pub board: board::BoardReport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct MigModeReport {
    pub current: bool,
    pub pending: bool,
}

/// A MIG instance listed under its parent GPU.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct GpuReport {
    pub index: u32,
    /// Null when the GPU cannot be asked (lost), never a placeholder.
    pub name: Option<String>,
    pub uuid: Option<String>,
    /// `00000000:18:00.0` (NVML's form, 8-digit domain); for a lost GPU
    /// from the operating system's PCI device list when NVML cannot say.
    pub pci_bus_id: Option<String>,
    /// Board serial number (for an RMA ticket); null when unread.
    pub serial: Option<String>,
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
    pub bench: Option<BenchSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memtest: Option<MemtestSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitor: Option<MonitorSummary>,
}

impl GpuReport {
    pub fn identity(gpu: &Gpu) -> Self {
        let known = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Self {
            index: gpu.index,
            name: known(&gpu.name),
            uuid: known(&gpu.uuid),
            pci_bus_id: crate::model::gpu::nvml_pci_form(&gpu.pci_bus_id),
            serial: None,
            cuda_index: gpu.cuda_index(),
            lost: gpu.lost.clone(),
            status: None,
            details: None,
            checks: None,
            burn: None,
            bench: None,
            memtest: None,
            monitor: None,
        }
    }

    /// This GPU with its checks and their worst status.
    pub fn with_checks(gpu: &Gpu, checks: Vec<Check>) -> Self {
        Self {
            status: Some(worst(&checks)),
            checks: Some(text::fill(checks, gpu)),
            ..Self::identity(gpu)
        }
    }

    /// This GPU with its checks, judged by the fail-closed rule: a
    /// `coverage` check is appended when `required` was not established.
    pub fn judged(gpu: &Gpu, mut checks: Vec<Check>, required: &Required) -> Self {
        if let Some(coverage) = fail_closed(&checks, required) {
            checks.push(coverage);
        }
        Self::with_checks(gpu, checks)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
    /// Short git commit of the build; null when built outside a git
    /// checkout (a release tarball).
    pub commit: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ErrorInfo {
    pub kind: ErrorKind,
    pub message: String,
}

/// Host-wide checks (driver, inventory) that belong to no single GPU.
pub type HostChecks = Vec<Check>;

/// Everything a command has to say.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Report {
    /// `report` on the last line of a `--json-lines` stream (and of
    /// `monitor --json`); absent in a `--json` document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<&'static str>,
    pub schema_version: u32,
    pub tool: ToolInfo,
    /// True when the GPUs are simulated (`GPUCTL_SIMULATE`): such a report
    /// says nothing about real hardware.
    pub simulated: bool,
    pub command: String,
    /// Null when the host name cannot be read.
    pub host: Option<String>,
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
    /// `p2p` only: every ordered pair of the selected GPUs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p2p: Option<P2pSummary>,
    /// `diag` only: its phases, each with its command's report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diag: Option<diag::DiagSummary>,
    /// The RMA bundle written (`--report DIR` of `diag` and `health`);
    /// absent when none was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
}

impl Report {
    pub fn new(command: &str) -> Self {
        Self {
            event: None,
            schema_version: SCHEMA_VERSION,
            tool: ToolInfo {
                name: "gpuctl",
                version: env!("CARGO_PKG_VERSION"),
                commit: Some(env!("GPUCTL_COMMIT")).filter(|c| *c != "unknown"),
            },
            simulated: crate::model::gpu::simulated(),
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
            p2p: None,
            diag: None,
            bundle: None,
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

    /// Sets the outcome and exit code of a run from its worst check (a stop
    /// signal wins: partial report, 130) and returns the verdict phrase for
    /// the summary line; `failed` names what failed.
    pub fn conclude(&mut self, interrupted: bool, failed: &[String]) -> String {
        self.outcome = match (interrupted, self.worst_status()) {
            (true, _) | (_, CheckStatus::Interrupted) => Outcome::Interrupted,
            (_, CheckStatus::Fail) => Outcome::Fail,
            (_, CheckStatus::Warn) => Outcome::Warn,
            _ => Outcome::Pass,
        };
        self.exit_code = match self.outcome {
            Outcome::Interrupted => crate::exit::INTERRUPTED,
            Outcome::Fail => crate::exit::CHECK_FAILED,
            _ => crate::exit::SUCCESS,
        };
        match self.outcome {
            Outcome::Interrupted => "interrupted (partial report)".to_string(),
            Outcome::Fail => format!("FAIL: {}", failed.join("; ")),
            Outcome::Warn => "passed with warnings".to_string(),
            _ => "passed".to_string(),
        }
    }

    /// "GPU 0 (result_mismatch, xid)" for every failed GPU: what the
    /// summary line names.
    pub fn failed_gpus(&self) -> Vec<String> {
        self.gpus
            .iter()
            .filter(|g| g.status == Some(CheckStatus::Fail))
            .map(|g| {
                let names: Vec<&str> = g
                    .checks
                    .iter()
                    .flatten()
                    .filter(|c| c.status == CheckStatus::Fail)
                    .map(|c| c.name.as_str())
                    .collect();
                format!("GPU {} ({})", g.index, names.join(", "))
            })
            .collect()
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
            .chain(
                self.p2p
                    .iter()
                    .flat_map(|p| p.pairs.iter())
                    .flat_map(|p| &p.checks),
            )
    }
}

/// The machine's host name; `None` when it cannot be read.
pub fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
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
        assert_eq!(worst(&[]), CheckStatus::Fail);
    }

    fn named(name: &str, status: CheckStatus) -> Check {
        Check::new(name, status, "")
    }

    const REQ: Required = Required {
        checks: &["on_bus", "ecc"],
        deselected: &[],
    };

    #[test]
    fn required_checks_that_passed_need_no_coverage_check() {
        let checks = [
            named("on_bus", CheckStatus::Pass),
            named("ecc", CheckStatus::Pass),
        ];
        assert_eq!(fail_closed(&checks, &REQ), None);
        // A feature the GPU lacks is not a gap while another verdict stands.
        let req = Required {
            checks: &["on_bus", "ecc", "temperature"],
            deselected: &[],
        };
        let checks = [
            named("on_bus", CheckStatus::Pass),
            named("ecc", CheckStatus::Skip),
            named("temperature", CheckStatus::Pass),
        ];
        assert_eq!(fail_closed(&checks, &req), None);
    }

    #[test]
    fn nothing_run_fails() {
        let c = fail_closed(&[], &REQ).map(|c| c.status);
        assert_eq!(c, Some(CheckStatus::Fail));
    }

    #[test]
    fn a_missing_required_check_fails_unless_switched_off() {
        let checks = [named("on_bus", CheckStatus::Pass)];
        let c = fail_closed(&checks, &REQ).map(|c| (c.status, c.message));
        assert!(matches!(c, Some((CheckStatus::Fail, m)) if m.contains("ecc (did not run)")));
        let off = Required {
            deselected: &["ecc"],
            ..REQ
        };
        let c = fail_closed(&checks, &off).map(|c| c.status);
        assert_eq!(c, Some(CheckStatus::Warn));
    }

    #[test]
    fn no_permission_is_never_healthy() {
        let refused = |n| named(n, CheckStatus::Skip).unverified();
        let checks = [named("on_bus", CheckStatus::Pass), refused("ecc")];
        let c = fail_closed(&checks, &REQ).map(|c| c.status);
        assert_eq!(c, Some(CheckStatus::Fail));
        let checks = [
            named("on_bus", CheckStatus::Pass),
            named("ecc", CheckStatus::Pass),
            refused("power"),
        ];
        let c = fail_closed(&checks, &REQ).map(|c| c.status);
        assert_eq!(c, Some(CheckStatus::Warn));
    }

    #[test]
    fn answering_alone_is_not_health() {
        let checks = [
            named("on_bus", CheckStatus::Pass),
            named("ecc", CheckStatus::Skip),
        ];
        let req = Required {
            checks: &["on_bus", "ecc"],
            deselected: &[],
        };
        let c = fail_closed(&checks, &req).map(|c| c.status);
        assert_eq!(c, Some(CheckStatus::Warn));
    }

    #[test]
    fn every_check_skipped_warns() {
        let checks = [named("x", CheckStatus::Skip)];
        let none = Required::default();
        let c = fail_closed(&checks, &none).map(|c| c.status);
        assert_eq!(c, Some(CheckStatus::Warn));
    }
}
