//! Who a GPU is, as every report names it: its identity (NVML index, UUID,
//! PCI bus id, the CUDA devices behind it), the driver libraries' state,
//! where power figures come from, and whether the backend is simulated.
//! Plain data: the device layer fills it, the report model prints it
//! (`device` re-exports each type, so callers need not know it lives here).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Environment variable naming a fixture that replaces the real libraries.
pub const SIMULATE_ENV: &str = "GPUCTL_SIMULATE";

/// Whether this process runs on a simulated backend (the same rule as
/// `device::Backend::from_env`), so every report can say so.
pub fn simulated() -> bool {
    std::env::var_os(SIMULATE_ENV).is_some_and(|p| !p.is_empty())
}

/// One physical GPU (or a CUDA-only device when NVML is missing).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gpu {
    /// NVML index (what `nvidia-smi` shows); the CUDA ordinal when NVML is
    /// unavailable.
    pub index: u32,
    /// True when `index` is an NVML index, so NVML queries can use it.
    #[serde(skip)]
    pub has_nvml: bool,
    pub name: String,
    pub uuid: String,
    /// As NVML prints it (`00000000:18:00.0`), else as CUDA does.
    pub pci_bus_id: String,
    /// The CUDA devices backed by this GPU in this process: one, several MIG
    /// instances, or none when CUDA is unavailable or the GPU is hidden.
    #[serde(skip)]
    pub cuda: Vec<CudaDevice>,
    /// Why NVML cannot reach the GPU (fallen off the bus), if so.
    #[serde(skip)]
    pub lost: Option<String>,
}

impl Gpu {
    /// The CUDA ordinal of the whole GPU (not of a MIG instance).
    pub fn cuda_index(&self) -> Option<u32> {
        match self.cuda.as_slice() {
            [one] if !one.uuid.starts_with("MIG-") => Some(one.ordinal),
            _ => None,
        }
    }

    /// Short label for messages: `GPU 0 (0000:18:00.0)`.
    pub fn label(&self) -> String {
        format!("GPU {} ({})", self.index, self.pci_bus_id)
    }
}

/// What the CUDA driver says about one device it enumerates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CudaDevice {
    /// Ordinal in this process, after `CUDA_VISIBLE_DEVICES`.
    pub ordinal: u32,
    pub name: String,
    /// `GPU-...` or `MIG-...`, formatted like NVML's.
    pub uuid: String,
    /// PCI bus id as CUDA prints it (`0000:18:00.0`).
    pub pci_bus_id: String,
    pub compute_capability: (u32, u32),
    pub sm_count: u32,
    pub total_memory_bytes: u64,
}

/// Whether a driver library could be used, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "status", content = "message")]
pub enum LibraryState {
    Available,
    Unavailable(String),
    /// Not needed by this command, so never opened.
    NotLoaded,
}

/// Driver-wide facts shown in every report.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DriverInfo {
    pub driver_version: Option<String>,
    /// CUDA version the driver supports, as `13.0`.
    pub cuda_driver_version: Option<String>,
    pub nvml: LibraryState,
    pub cuda: LibraryState,
}

/// Which NVML power reading a figure comes from. On Ampere and later,
/// NVML's power usage is a 1-second average, which smooths peaks and the
/// time to plateau; `NVML_FI_DEV_POWER_INSTANT` is the instantaneous draw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PowerSource {
    /// `NVML_FI_DEV_POWER_INSTANT` (field 186).
    Instant,
    /// `nvmlDeviceGetPowerUsage`: a 1-second average on Ampere and later.
    #[default]
    Average,
}

/// Canonical `domain:bus:device.function` (lowercase, 4-digit domain) for
/// comparing NVML's `00000000:18:00.0` with CUDA's `0000:18:00.0`.
pub fn canonical_pci(id: &str) -> Option<String> {
    let id = id.trim();
    let (head, function) = id.rsplit_once('.')?;
    let mut parts: Vec<&str> = head.split(':').collect();
    if parts.len() == 2 {
        parts.insert(0, "0");
    }
    let [domain, bus, device] = parts.as_slice() else {
        return None;
    };
    let num = |s: &str| u32::from_str_radix(s, 16).ok();
    Some(format!(
        "{:04x}:{:02x}:{:02x}.{:x}",
        num(domain)?,
        num(bus)?,
        num(device)?,
        num(function)?
    ))
}

/// The one form gpuctl prints a PCI bus id in: NVML's, with an 8-digit
/// domain and upper-case hex (`00000000:18:00.0`), whatever the source
/// (NVML, CUDA's `0000:18:00.0`, the kernel log, sysfs).
pub fn nvml_pci_form(id: &str) -> Option<String> {
    let canonical = canonical_pci(id)?;
    let (domain, rest) = canonical.split_once(':')?;
    let domain = u32::from_str_radix(domain, 16).ok()?;
    Some(format!("{domain:08X}:{}", rest.to_uppercase()))
}
