//! Plain data that the device backends return: readings that may be
//! unsupported, per-GPU identity, details, telemetry and error counters.
//!
//! Every field a GPU may not support is a [`Reading`], so "not supported"
//! travels as data and becomes a SKIP, never a silent pass or a panic. The
//! simulated backend deserializes these same types from a fixture file.

use serde::{Deserialize, Serialize};

pub use crate::model::gpu::{CudaDevice, PowerSource};

/// Why a single NVML or CUDA query gave no value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueryError {
    /// The GPU or driver does not implement it (NVML `NotSupported`).
    NotSupported,
    /// The caller lacks the privilege (NVML `NoPermission`).
    NoPermission,
    /// The GPU stopped answering: fallen off the bus.
    GpuLost,
    /// Anything else, with the library's message.
    Failed(String),
    /// A compute-path failure with its step and library status kept.
    Device(DeviceError),
    /// The call did not answer within its bound (a hung driver or GPU); the
    /// thread that made it was abandoned. See `device::bounded`.
    TimedOut {
        /// The trait method, e.g. `details`.
        call: String,
        /// How long gpuctl waited, milliseconds.
        after_ms: u64,
    },
    /// A stop (Ctrl-C, SIGTERM) came before the driver answered; the run
    /// is being cut short, so this says nothing about the GPU.
    Interrupted,
}

impl From<DeviceError> for QueryError {
    fn from(e: DeviceError) -> Self {
        QueryError::Device(e)
    }
}

/// Whose fault a device error is: it picks the remedy, so a host problem is
/// never answered with "RMA the GPU".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Blame {
    /// The GPU misbehaved (illegal address, ECC, launch failure): hardware.
    Gpu,
    /// The host's libraries or driver (missing, too old, wrong PTX ISA).
    Host,
    /// Other work holds the GPU (its memory, or exclusive-process mode).
    Contention,
    /// gpuctl asked for something invalid: a bug or a bad setting.
    Tool,
    /// Not known (an untyped error).
    Unknown,
}

/// A process holding GPU memory, from NVML's running compute processes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GpuProcess {
    pub pid: u32,
    /// Executable name, when the OS lets us read it.
    #[serde(default)]
    pub name: Option<String>,
    /// GPU memory it holds; None when NVML cannot say (e.g. in a container).
    #[serde(default)]
    pub used_bytes: Option<u64>,
}

/// A failure in the compute path (CUDA driver, cuBLASLt, gpuctl's kernels)
/// that keeps the step and the library's own status code, so callers can
/// tell a faulty GPU from a host problem or a busy GPU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum DeviceError {
    /// A CUDA driver call failed: `CUresult` code and its enum name.
    #[error("{step}: {name} ({code})")]
    Cuda {
        step: String,
        code: u32,
        name: String,
    },
    /// A cuBLASLt call failed with this `cublasStatus_t`.
    #[error("{step}: {} ({status})", cublas_status_name(*status))]
    Cublas { step: String, status: i32 },
    /// CUDA_ERROR_OUT_OF_MEMORY (or cuBLAS ALLOC_FAILED).
    #[error(
        "{step}: out of GPU memory: {} MiB requested, {} MiB free",
        requested_bytes >> 20,
        free_bytes >> 20
    )]
    OutOfMemory {
        step: String,
        requested_bytes: u64,
        free_bytes: u64,
    },
    /// libcuda / libcublasLt missing, too old, or missing a symbol.
    #[error("{library}: {reason}")]
    HostLibrary { library: String, reason: String },
    /// The GPU computed something wrong where the answer is known (a setup
    /// product that disagrees with itself or with the host).
    #[error("{step}: {reason}")]
    WrongResult { step: String, reason: String },
    /// gpuctl asked for something invalid.
    #[error("{0}")]
    Invalid(String),
}

/// CUDA_ERROR_OUT_OF_MEMORY.
pub const CUDA_ERROR_OUT_OF_MEMORY: u32 = 2;

impl DeviceError {
    /// Whose fault it is; see [`Blame`].
    pub fn blame(&self) -> Blame {
        match self {
            DeviceError::Cuda { code, .. } => cuda_blame(*code),
            DeviceError::Cublas { status, .. } => match status {
                3 => Blame::Contention,
                // NOT_INITIALIZED, ARCH_MISMATCH, NOT_SUPPORTED, LICENSE: the
                // library does not fit this GPU or host.
                1 | 8 | 15 | 16 => Blame::Host,
                7 => Blame::Tool,
                _ => Blame::Gpu,
            },
            DeviceError::OutOfMemory { .. } => Blame::Contention,
            DeviceError::HostLibrary { .. } => Blame::Host,
            DeviceError::WrongResult { .. } => Blame::Gpu,
            DeviceError::Invalid(_) => Blame::Tool,
        }
    }

    /// Whether this is out of memory (CUDA, cuBLAS or our own sizing).
    pub fn is_out_of_memory(&self) -> bool {
        matches!(self, DeviceError::OutOfMemory { .. })
            || matches!(self, DeviceError::Cuda { code, .. } if *code == CUDA_ERROR_OUT_OF_MEMORY)
            || matches!(self, DeviceError::Cublas { status: 3, .. })
    }
}

/// Blame for a `CUresult` code (values from cuda.h, stable across 12.x-13.x).
fn cuda_blame(code: u32) -> Blame {
    match code {
        // OUT_OF_MEMORY, DEVICE_UNAVAILABLE (exclusive-process mode, in use).
        2 | 46 => Blame::Contention,
        // NOT_INITIALIZED, DEINITIALIZED, NO_DEVICE, INSUFFICIENT_DRIVER,
        // INVALID_PTX, UNSUPPORTED_PTX_VERSION, JIT_COMPILER_NOT_FOUND,
        // SHARED_OBJECT_*, OPERATING_SYSTEM, NOT_PERMITTED, NOT_SUPPORTED,
        // SYSTEM_NOT_READY, SYSTEM_DRIVER_MISMATCH, COMPAT_NOT_SUPPORTED.
        3 | 4 | 100 | 35 | 218 | 221 | 222 | 302 | 303 | 304 | 800 | 801 | 802 | 803 | 804 => {
            Blame::Host
        }
        // INVALID_VALUE, INVALID_HANDLE, INVALID_CONTEXT, NOT_FOUND: our bug.
        1 | 400 | 201 | 500 => Blame::Tool,
        _ => Blame::Gpu,
    }
}

/// `CUBLAS_STATUS_NAME` for a `cublasStatus_t` (cublas_api.h).
pub fn cublas_status_name(s: i32) -> &'static str {
    match s {
        0 => "CUBLAS_STATUS_SUCCESS",
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => "CUBLAS_STATUS_UNKNOWN",
    }
}

impl QueryError {
    /// Whether the call hung rather than answered.
    pub fn is_timeout(&self) -> bool {
        matches!(self, QueryError::TimedOut { .. })
    }
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryError::NotSupported => f.write_str("not supported"),
            QueryError::NoPermission => f.write_str("no permission"),
            QueryError::GpuLost => f.write_str("GPU is lost (fallen off the bus)"),
            QueryError::Failed(msg) => f.write_str(msg),
            QueryError::Device(e) => write!(f, "{e}"),
            QueryError::TimedOut { call, after_ms } => write!(
                f,
                "driver call `{call}` did not answer within {} (hung driver or GPU)",
                humantime::format_duration(std::time::Duration::from_millis(*after_ms))
            ),
            QueryError::Interrupted => f.write_str("not read: the run was interrupted"),
        }
    }
}

/// A value read from the device, or why it could not be read.
///
/// In fixtures a reading is written as the bare value, or as
/// `{"error": "not_supported"}` / `{"error": {"failed": "msg"}}`; a field
/// left out of a fixture reads as not supported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Reading<T> {
    Value(T),
    Error { error: QueryError },
}

impl<T> Default for Reading<T> {
    fn default() -> Self {
        Reading::Error {
            error: QueryError::NotSupported,
        }
    }
}

impl<T> Reading<T> {
    pub fn err(error: QueryError) -> Self {
        Reading::Error { error }
    }

    /// The value, if there is one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Reading::Value(v) => Some(v),
            Reading::Error { .. } => None,
        }
    }

    pub fn as_result(&self) -> Result<&T, &QueryError> {
        match self {
            Reading::Value(v) => Ok(v),
            Reading::Error { error } => Err(error),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reading<U> {
        match self {
            Reading::Value(v) => Reading::Value(f(v)),
            Reading::Error { error } => Reading::Error { error },
        }
    }
}

impl<T: Copy> Reading<T> {
    pub fn get(&self) -> Option<T> {
        self.value().copied()
    }
}

impl<T> From<Result<T, QueryError>> for Reading<T> {
    fn from(r: Result<T, QueryError>) -> Self {
        match r {
            Ok(v) => Reading::Value(v),
            Err(error) => Reading::Error { error },
        }
    }
}

/// What NVML needs to name a GPU and join it with CUDA: cheap to read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NvmlIdentity {
    /// NVML index: PCI order, the number `nvidia-smi` shows.
    pub index: u32,
    pub name: String,
    /// `GPU-xxxxxxxx-...` as NVML prints it.
    pub uuid: String,
    /// PCI bus id as NVML prints it (`00000000:18:00.0`).
    pub pci_bus_id: String,
}

/// Memory totals in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryInfo {
    pub total_bytes: u64,
    pub used_bytes: u64,
    pub free_bytes: u64,
}

/// PCIe link generation and width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PcieLink {
    pub gen: u32,
    pub width: u32,
}

/// MIG mode: current and pending (takes effect after a reset).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigMode {
    pub current: bool,
    pub pending: bool,
}

/// Board power limits in watts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerLimits {
    pub enforced_w: f64,
    pub default_w: f64,
    pub min_w: f64,
    pub max_w: f64,
}

/// The card's own temperature thresholds, degrees Celsius.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TemperatureThresholds {
    pub slowdown_c: Reading<u32>,
    pub shutdown_c: Reading<u32>,
    pub gpu_max_c: Reading<u32>,
    pub memory_max_c: Reading<u32>,
}

/// One MIG instance of a GPU with MIG enabled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigInstance {
    pub index: u32,
    pub uuid: String,
    pub gpu_instance_id: Option<u32>,
    pub compute_instance_id: Option<u32>,
    pub memory_total_bytes: Option<u64>,
    pub sm_count: Option<u32>,
}

/// Everything `list` shows that NVML knows; slower to read than identity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NvmlDetails {
    pub serial: Reading<String>,
    pub memory: Reading<MemoryInfo>,
    pub compute_capability: Reading<(u32, u32)>,
    pub persistence_mode: Reading<bool>,
    /// `default`, `exclusive_process` or `prohibited`.
    pub compute_mode: Reading<String>,
    pub mig_mode: Reading<MigMode>,
    pub mig_instances: Reading<Vec<MigInstance>>,
    pub power_limits: Reading<PowerLimits>,
    pub temperature_thresholds: TemperatureThresholds,
    pub pcie_current: Reading<PcieLink>,
    pub pcie_max: Reading<PcieLink>,
    /// GPU architecture name as NVML reports it (`Hopper`).
    pub architecture: Reading<String>,
}

/// Clock event (throttle) reasons, the raw NVML bitmask.
///
/// Bits as NVML defines them; test with [`ClockEvents::contains`], never by
/// equality of the whole value, or combined reasons get lost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClockEvents(pub u64);

impl ClockEvents {
    pub const GPU_IDLE: u64 = 0x1;
    pub const APPLICATIONS_CLOCKS_SETTING: u64 = 0x2;
    pub const SW_POWER_CAP: u64 = 0x4;
    pub const HW_SLOWDOWN: u64 = 0x8;
    pub const SYNC_BOOST: u64 = 0x10;
    pub const SW_THERMAL_SLOWDOWN: u64 = 0x20;
    pub const HW_THERMAL_SLOWDOWN: u64 = 0x40;
    pub const HW_POWER_BRAKE_SLOWDOWN: u64 = 0x80;
    pub const DISPLAY_CLOCK_SETTING: u64 = 0x100;

    /// Every known bit with its stable name, in bit order.
    pub const NAMES: [(u64, &'static str); 9] = [
        (Self::GPU_IDLE, "gpu_idle"),
        (
            Self::APPLICATIONS_CLOCKS_SETTING,
            "applications_clocks_setting",
        ),
        (Self::SW_POWER_CAP, "sw_power_cap"),
        (Self::HW_SLOWDOWN, "hw_slowdown"),
        (Self::SYNC_BOOST, "sync_boost"),
        (Self::SW_THERMAL_SLOWDOWN, "sw_thermal_slowdown"),
        (Self::HW_THERMAL_SLOWDOWN, "hw_thermal_slowdown"),
        (Self::HW_POWER_BRAKE_SLOWDOWN, "hw_power_brake_slowdown"),
        (Self::DISPLAY_CLOCK_SETTING, "display_clock_setting"),
    ];

    pub fn contains(self, bit: u64) -> bool {
        self.0 & bit == bit
    }

    pub fn intersects(self, bits: u64) -> bool {
        self.0 & bits != 0
    }

    /// Names of every active reason; unknown bits as `0x...`.
    pub fn names(self) -> Vec<String> {
        let mut known = 0;
        let mut out = Vec::new();
        for (bit, name) in Self::NAMES {
            known |= bit;
            if self.contains(bit) {
                out.push(name.to_string());
            }
        }
        let unknown = self.0 & !known;
        if unknown != 0 {
            out.push(format!("{unknown:#x}"));
        }
        out
    }
}

impl PowerSource {
    /// The source of a figure drawn from two: instant only when both were.
    pub fn merge(a: Option<Self>, b: Option<Self>) -> Option<Self> {
        match (a, b) {
            (None, x) | (x, None) => x,
            (Some(Self::Instant), Some(Self::Instant)) => Some(Self::Instant),
            _ => Some(Self::Average),
        }
    }

    /// The source of the power figures drawn from these samples (those
    /// with a power reading); `None` when none has one.
    pub fn of_samples<'a>(samples: impl IntoIterator<Item = &'a Telemetry>) -> Option<Self> {
        samples
            .into_iter()
            .filter(|t| t.power_draw_w.get().is_some())
            .map(|t| Some(t.power_source))
            .fold(None, Self::merge)
    }
}

/// Fast-changing sensors, sampled by `health`, `burn` and `monitor`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Telemetry {
    pub temperature_gpu_c: Reading<u32>,
    pub temperature_memory_c: Reading<u32>,
    pub power_draw_w: Reading<f64>,
    /// Which NVML reading `power_draw_w` is: the instantaneous field where
    /// the GPU has it, else the 1-second average (issue 21).
    pub power_source: PowerSource,
    pub sm_clock_mhz: Reading<u32>,
    pub memory_clock_mhz: Reading<u32>,
    pub clock_events: Reading<ClockEvents>,
    pub utilization_gpu_pct: Reading<u32>,
    pub memory_used_bytes: Reading<u64>,
    pub pcie_current: Reading<PcieLink>,
}

/// ECC error counts for one location class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EccCounts {
    pub corrected: u64,
    pub uncorrected: u64,
}

/// Row remapping state (Ampere and later).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowRemap {
    pub correctable: u64,
    pub uncorrectable: u64,
    pub pending: bool,
    pub failure: bool,
}

/// What `probe` judges on one GPU, read one after another right after a
/// single handle fetch (one thread per GPU, not one per reading).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProbeReadings {
    pub ecc_volatile_uncorrected: Reading<u64>,
    pub row_remap: Reading<RowRemap>,
    pub temperature_gpu_c: Reading<u32>,
    pub slowdown_c: Reading<u32>,
}

impl ProbeReadings {
    /// Every reading failed with `e` (no handle, a hung call).
    pub fn error(e: &QueryError) -> Self {
        Self {
            ecc_volatile_uncorrected: Reading::err(e.clone()),
            row_remap: Reading::err(e.clone()),
            temperature_gpu_c: Reading::err(e.clone()),
            slowdown_c: Reading::err(e.clone()),
        }
    }
}

/// Retired pages (pre-Ampere).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetiredPages {
    pub single_bit: u64,
    pub double_bit: u64,
    pub pending: bool,
}

/// One NVLink's state and error counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NvLinkStatus {
    pub link: u32,
    pub active: bool,
    pub crc_errors: u64,
    pub replay_errors: u64,
    pub recovery_errors: u64,
}

/// Error counters that decide whether memory and links are healthy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ErrorCounters {
    pub ecc_enabled: Reading<bool>,
    pub ecc_volatile: Reading<EccCounts>,
    pub ecc_aggregate: Reading<EccCounts>,
    pub row_remap: Reading<RowRemap>,
    pub retired_pages: Reading<RetiredPages>,
    pub pcie_replay_count: Reading<u64>,
    /// Links that exist on this GPU; NotSupported on PCIe-only GPUs.
    pub nvlinks: Reading<Vec<NvLinkStatus>>,
}

/// An XID error reported by the driver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XidEvent {
    /// NVML index of the GPU, when known.
    pub gpu_index: Option<u32>,
    /// PCI bus id from the kernel log line, when known.
    pub pci_bus_id: Option<String>,
    pub xid: u64,
    /// Where it was seen: `nvml_event` or `kernel_log`.
    pub source: String,
    pub detail: String,
}

/// Result of the compute self-test kernel on one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfTestOutcome {
    /// Elements whose value differed from the host's reference.
    pub mismatches: u64,
    /// Elements checked.
    pub checked: u64,
    /// Kernel time, milliseconds.
    pub kernel_ms: f64,
    /// Wall time including context creation and module load, milliseconds.
    pub total_ms: f64,
}

/// NVML's GPU fabric info (`nvmlDeviceGetGpuFabricInfo`): the GPU's
/// registration with the NVSwitch fabric manager. A GPU outside any fabric
/// reads as not supported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FabricInfo {
    /// `not_supported`, `not_started`, `in_progress` or `completed`.
    pub state: String,
    /// The registration's result once `completed`: `success` or NVML's
    /// error; null before.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub clique_id: Option<u32>,
    #[serde(default)]
    pub cluster_uuid: Option<String>,
}

/// What a vendor's RMA form asks about a board, beyond serial and UUID
/// (`list`, the RMA bundle). Each field is read independently.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoardIdentity {
    pub vbios_version: Reading<String>,
    /// The InfoROM image version (`G520.0200.00.05`).
    pub inforom_image: Reading<String>,
    pub inforom_oem: Reading<String>,
    pub inforom_ecc: Reading<String>,
    pub inforom_power: Reading<String>,
    pub board_part_number: Reading<String>,
    /// PCI device id with vendor (`0x233010de`).
    pub pci_device_id: Reading<u32>,
    /// PCI subsystem id (`0x16c110de`).
    pub pci_subsystem_id: Reading<u32>,
}

impl BoardIdentity {
    /// Every field unread for the same reason (a lost or hung GPU).
    pub fn unreadable(e: QueryError) -> Self {
        let r = || Reading::err(e.clone());
        Self {
            vbios_version: r(),
            inforom_image: r(),
            inforom_oem: r(),
            inforom_ecc: r(),
            inforom_power: r(),
            board_part_number: r(),
            pci_device_id: Reading::err(e.clone()),
            pci_subsystem_id: Reading::err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(power: Option<f64>, source: PowerSource) -> Telemetry {
        Telemetry {
            power_draw_w: power.map_or_else(Reading::default, Reading::Value),
            power_source: source,
            ..Telemetry::default()
        }
    }

    #[test]
    fn power_source_is_instant_only_when_every_powered_sample_was() {
        use PowerSource::{Average, Instant};
        let all_instant = [sample(Some(700.0), Instant), sample(Some(690.0), Instant)];
        assert_eq!(PowerSource::of_samples(&all_instant), Some(Instant));
        let mixed = [sample(Some(700.0), Instant), sample(Some(690.0), Average)];
        assert_eq!(PowerSource::of_samples(&mixed), Some(Average));
        // A sample without a power reading says nothing about the figures.
        let unpowered = [sample(Some(700.0), Instant), sample(None, Average)];
        assert_eq!(PowerSource::of_samples(&unpowered), Some(Instant));
        assert_eq!(PowerSource::of_samples(&[sample(None, Instant)]), None);
        assert_eq!(PowerSource::of_samples(&[]), None);
    }

    #[test]
    fn telemetry_without_a_power_source_reads_as_the_average() {
        let t: Telemetry = serde_json::from_str(r#"{"power_draw_w": 70.0}"#).unwrap();
        assert_eq!(t.power_source, PowerSource::Average);
        let t: Telemetry =
            serde_json::from_str(r#"{"power_draw_w": 70.0, "power_source": "instant"}"#).unwrap();
        assert_eq!(t.power_source, PowerSource::Instant);
    }
}
