//! Joins what NVML and the CUDA driver each enumerate into one list of GPUs.
//!
//! NVML numbers GPUs in PCI order and ignores `CUDA_VISIBLE_DEVICES`; CUDA
//! orders them fastest first and filters and renumbers them by that variable.
//! Position means nothing across the two, so the join is by PCI bus id, then
//! UUID. With one library missing, the other still lists the GPUs and the
//! inventory says what is unavailable.

use super::{visible, Backend, CudaDevice, NvmlApi, NvmlIdentity, QueryError};
use crate::error::AppError;
use serde::Serialize;

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

/// The GPUs this process may use, joined across NVML and CUDA.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub gpus: Vec<Gpu>,
    pub driver: DriverInfo,
    /// Things an operator should know that are not failures.
    pub warnings: Vec<String>,
}

/// How much of the driver to wake up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enumerate {
    /// NVML only: fast, for `probe`. `CUDA_VISIBLE_DEVICES` is applied by
    /// gpuctl itself, with indices in PCI order.
    NvmlOnly,
    /// Only what a verdict needs: NVML's GPU count, no identity (name,
    /// UUID, bus id) and no driver versions; each GPU's reads then fetch
    /// its handle once. For a probe whose answer names GPUs by index only
    /// (no `-i`, no `CUDA_VISIBLE_DEVICES`, text output): the caller
    /// decides.
    Verdict,
    /// NVML and CUDA, joined.
    Full,
}

/// Formats a CUDA version integer (13000) as `13.0`.
pub fn format_cuda_version(v: i32) -> String {
    format!("{}.{}", v / 1000, (v % 1000) / 10)
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

/// Same physical GPU: equal UUIDs, or equal PCI bus ids (MIG instances
/// carry their own UUIDs but their parent's bus id).
fn same_device(nvml_pci: &str, nvml_uuid: &str, cuda: &CudaDevice) -> bool {
    nvml_uuid.eq_ignore_ascii_case(&cuda.uuid)
        || matches!(
            (canonical_pci(nvml_pci), canonical_pci(&cuda.pci_bus_id)),
            (Some(a), Some(b)) if a == b
        )
}

/// Enumerates and joins; fails only when no driver library can be used.
pub fn enumerate(backend: &Backend, mode: Enumerate) -> Result<Inventory, AppError> {
    let nvml = backend.nvml();
    crate::trace::mark("NVML opened");
    let visible_spec = visible::visible_devices_env();
    // NVML GPUs first: whether CUDA is needed for NvmlOnly depends on them.
    let nvml_gpus = match &nvml {
        Ok(api) if mode == Enumerate::Verdict => Some(counted_gpus(api.as_ref())?),
        Ok(api) => Some(nvml_gpus(api.as_ref())?),
        Err(_) => None,
    };
    crate::trace::mark("NVML GPUs enumerated");
    let need_cuda = match mode {
        Enumerate::Full => true,
        Enumerate::NvmlOnly | Enumerate::Verdict => nvml_gpus
            .as_deref()
            .is_some_and(|gpus| needs_cuda_order(gpus, visible_spec.as_deref())),
    };
    let cuda = need_cuda.then(|| backend.cuda());
    let mut warnings = Vec::new();

    let nvml_state = match &nvml {
        Ok(_) => LibraryState::Available,
        Err(e) => LibraryState::Unavailable(e.to_string()),
    };
    let mut cuda_devices: Option<Vec<CudaDevice>> = None;
    let mut cuda_version = None;
    let cuda_state = match &cuda {
        None => LibraryState::NotLoaded,
        Some(Err(e)) => LibraryState::Unavailable(e.to_string()),
        Some(Ok(api)) => match api
            .devices()
            .inspect(|_| crate::trace::mark("CUDA devices enumerated"))
        {
            Ok(list) => {
                cuda_version = api.driver_version().ok();
                cuda_devices = Some(list);
                LibraryState::Available
            }
            Err(e) => LibraryState::Unavailable(format!("CUDA driver failed to enumerate: {e}")),
        },
    };

    let (Ok(nvml), Some(nvml_gpus)) = (nvml, nvml_gpus) else {
        let nvml_error = nvml.err().unwrap_or_default();
        return match (cuda_devices, &cuda_state) {
            (Some(devices), _) => {
                warnings.push(format!(
                    "{nvml_error}: GPUs listed from CUDA only; telemetry and health counters \
                     are unavailable"
                ));
                Ok(cuda_only(
                    devices,
                    cuda_version,
                    nvml_state,
                    cuda_state,
                    warnings,
                ))
            }
            (None, LibraryState::Unavailable(cuda_error)) => Err(AppError::environment(
                super::no_driver_message(nvml_error, cuda_error),
            )),
            // A driver that hangs is installed: the install advice would mislead.
            (None, _) if nvml_error.contains("did not answer") => Err(AppError::environment(
                format!("{nvml_error}. The driver is hung: drain the node and reboot it"),
            )),
            (None, _) => Err(AppError::environment(format!(
                "{nvml_error}. Install the NVIDIA driver, or in a container run with `--gpus \
                 all` and NVIDIA_DRIVER_CAPABILITIES=compute,utility"
            ))),
        };
    };

    let verdict_only = mode == Enumerate::Verdict;
    let driver = DriverInfo {
        driver_version: (!verdict_only)
            .then(|| nvml.driver_version().ok())
            .flatten(),
        cuda_driver_version: (!verdict_only)
            .then(|| nvml.cuda_driver_version().ok())
            .flatten()
            .or(cuda_version)
            .map(format_cuda_version),
        nvml: nvml_state,
        cuda: cuda_state.clone(),
    };

    let gpus = match cuda_devices {
        Some(devices) => join(nvml_gpus, devices, visible_spec.is_none(), &mut warnings),
        None => {
            if let LibraryState::Unavailable(e) = &cuda_state {
                warnings.push(format!("{e}: CUDA checks are unavailable"));
            }
            filter_like_cuda(nvml_gpus, visible_spec.as_deref(), &mut warnings)
        }
    };
    Ok(Inventory {
        gpus,
        driver,
        warnings,
    })
}

/// Whether only the CUDA driver can say which GPUs `CUDA_VISIBLE_DEVICES`
/// picks: whenever it is set and a GPU answers. CUDA documents its default
/// order only as "fastest first, the rest unspecified", so index entries
/// may not follow PCI order even on identical GPUs, and a GPU in MIG mode
/// is replaced by its instances (its own UUID then selects nothing).
/// Guessing either would let `probe` and `burn` test different GPUs; the
/// price, CUDA's initialisation, is paid only when the variable is set.
fn needs_cuda_order(gpus: &[Gpu], spec: Option<&str>) -> bool {
    spec.is_some() && gpus.iter().any(|g| g.lost.is_none())
}

/// Why a GPU whose NVML calls answer "GPU is lost" is lost.
pub const LOST: &str = "GPU has fallen off the bus (NVML: GPU is lost)";

/// GPUs by index only ([`Enumerate::Verdict`]): one NVML call in all.
/// Identity stays empty (unknown); a GPU that cannot be reached shows in
/// its own reads, which then fail.
fn counted_gpus(nvml: &dyn NvmlApi) -> Result<Vec<Gpu>, AppError> {
    let count = nvml
        .device_count()
        .map_err(|e| AppError::environment(format!("NVML could not count GPUs: {e}")))?;
    crate::trace::mark("NVML device count read");
    Ok((0..count)
        .map(|index| Gpu {
            index,
            has_nvml: true,
            name: String::new(),
            uuid: String::new(),
            pci_bus_id: String::new(),
            cuda: Vec::new(),
            lost: None,
        })
        .collect())
}

fn nvml_gpus(nvml: &dyn NvmlApi) -> Result<Vec<Gpu>, AppError> {
    let count = nvml
        .device_count()
        .map_err(|e| AppError::environment(format!("NVML could not count GPUs: {e}")))?;
    crate::trace::mark("NVML device count read");
    // Side by side: with every call bounded, N hung GPUs then cost one
    // call timeout, not N.
    let identities: Vec<Result<NvmlIdentity, QueryError>> = if count <= 1 {
        (0..count).map(|index| nvml.identity(index)).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..count)
                .map(|index| scope.spawn(move || nvml.identity(index)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(QueryError::Failed("identity reader panicked".into()))
                    })
                })
                .collect()
        })
    };
    Ok(identities
        .into_iter()
        .zip(0..count)
        .map(|(identity, index)| match identity {
            Ok(id) => Gpu {
                index,
                has_nvml: true,
                name: id.name,
                uuid: id.uuid,
                pci_bus_id: id.pci_bus_id,
                cuda: Vec::new(),
                lost: None,
            },
            // Empty means unknown: the report shows null, never a placeholder.
            Err(e) => Gpu {
                index,
                has_nvml: true,
                name: String::new(),
                uuid: String::new(),
                pci_bus_id: nvml.lost_pci_bus_id(index).unwrap_or_default(),
                cuda: Vec::new(),
                lost: Some(match e {
                    QueryError::GpuLost => LOST.into(),
                    QueryError::TimedOut { .. } => format!("{HUNG}: {e}"),
                    other => format!("NVML cannot reach the GPU: {other}"),
                }),
            },
        })
        .collect())
}

/// NVML GPUs that CUDA also sees, each with its CUDA devices; CUDA devices
/// NVML does not know are kept as CUDA-only entries.
fn join(
    nvml_gpus: Vec<Gpu>,
    mut devices: Vec<CudaDevice>,
    all_visible: bool,
    warnings: &mut Vec<String>,
) -> Vec<Gpu> {
    let mut out = Vec::new();
    // CUDA-only entries are numbered after every NVML index, so indices
    // stay unique and `-i` stays unambiguous.
    let first_free_index = nvml_gpus.len() as u32;
    for mut gpu in nvml_gpus {
        if gpu.lost.is_some() {
            // A lost GPU cannot be matched; show it unless the user narrowed
            // the view with CUDA_VISIBLE_DEVICES.
            if all_visible {
                out.push(gpu);
            } else {
                warnings.push(format!(
                    "NVML index {} is unreachable ({}); CUDA_VISIBLE_DEVICES is set, so it is \
                     not shown",
                    gpu.index,
                    gpu.lost.as_deref().unwrap_or_default()
                ));
            }
            continue;
        }
        let (mine, rest): (Vec<_>, Vec<_>) = devices
            .into_iter()
            .partition(|d| same_device(&gpu.pci_bus_id, &gpu.uuid, d));
        devices = rest;
        if mine.is_empty() {
            if all_visible {
                warnings.push(format!(
                    "{} is seen by NVML but not by CUDA: compute checks will skip it",
                    gpu.label()
                ));
                out.push(gpu);
            }
            continue;
        }
        gpu.cuda = mine;
        out.push(gpu);
    }
    name_hung_gpus(&mut out, &mut devices);
    if out.iter().any(hung_unnamed) && !devices.is_empty() {
        // They may be the hung GPUs seen from CUDA: listing them too would
        // count a GPU twice, the copy a phantom that could pass.
        let which: Vec<String> = devices
            .iter()
            .map(|d| format!("{} ({})", d.ordinal, d.pci_bus_id))
            .collect();
        warnings.push(format!(
            "CUDA device(s) {} have no NVML match while NVML could not identify a hung GPU: \
             not listed separately (each may be a hung GPU)",
            which.join(", ")
        ));
        devices.clear();
    }
    for d in devices {
        let index = first_free_index + d.ordinal;
        warnings.push(format!(
            "CUDA device {} ({}) has no NVML match: listed as index {index}, telemetry \
             unavailable for it",
            d.ordinal, d.pci_bus_id
        ));
        out.push(Gpu {
            index,
            ..from_cuda(d)
        });
    }
    out
}

/// A GPU whose NVML identity call hung has no name, UUID or bus id, while
/// CUDA may still list it. When exactly as many CUDA devices went unmatched
/// as GPUs hung, they are the same GPUs, both in PCI order: the hung GPUs
/// take their identity from CUDA (so the operator can find the card), and
/// the CUDA devices are dropped rather than shown as extra GPUs. They are
/// not attached: a GPU NVML cannot read is not tested through CUDA.
fn name_hung_gpus(out: &mut [Gpu], devices: &mut Vec<CudaDevice>) {
    let hung: Vec<usize> = out
        .iter()
        .enumerate()
        .filter(|(_, g)| hung_unnamed(g))
        .map(|(i, _)| i)
        .collect();
    if hung.is_empty() || hung.len() != devices.len() {
        return;
    }
    devices.sort_by_key(|d| canonical_pci(&d.pci_bus_id));
    for (pos, d) in hung.into_iter().zip(devices.drain(..)) {
        let gpu = &mut out[pos];
        gpu.name = d.name;
        gpu.uuid = d.uuid;
        gpu.pci_bus_id = d.pci_bus_id;
    }
}

/// A GPU whose NVML identity call hung and that CUDA did not name (its
/// UUID is empty: unknown, never a placeholder).
fn hung_unnamed(g: &Gpu) -> bool {
    g.has_nvml && g.uuid.is_empty() && g.lost.as_deref().is_some_and(|l| l.starts_with(HUNG))
}

/// How `lost` starts for a GPU whose identity call did not answer.
pub const HUNG: &str = "GPU is hung";

fn from_cuda(d: CudaDevice) -> Gpu {
    Gpu {
        index: d.ordinal,
        has_nvml: false,
        name: d.name.clone(),
        uuid: d.uuid.clone(),
        pci_bus_id: d.pci_bus_id.clone(),
        cuda: vec![d],
        lost: None,
    }
}

fn cuda_only(
    devices: Vec<CudaDevice>,
    cuda_version: Option<i32>,
    nvml: LibraryState,
    cuda: LibraryState,
    warnings: Vec<String>,
) -> Inventory {
    Inventory {
        gpus: devices.into_iter().map(from_cuda).collect(),
        driver: DriverInfo {
            driver_version: None,
            cuda_driver_version: cuda_version.map(format_cuda_version),
            nvml,
            cuda,
        },
        warnings,
    }
}

/// Without CUDA, apply `CUDA_VISIBLE_DEVICES` ourselves (indices in PCI
/// order), so NVML-only commands see the GPUs a CUDA program would.
fn filter_like_cuda(
    nvml_gpus: Vec<Gpu>,
    spec: Option<&str>,
    warnings: &mut Vec<String>,
) -> Vec<Gpu> {
    if spec.is_none() {
        return nvml_gpus;
    }
    let (reachable, lost): (Vec<Gpu>, Vec<Gpu>) =
        nvml_gpus.into_iter().partition(|g| g.lost.is_none());
    for gpu in lost {
        warnings.push(format!(
            "NVML index {} is unreachable ({}); CUDA_VISIBLE_DEVICES is set, so it is not shown",
            gpu.index,
            gpu.lost.as_deref().unwrap_or_default()
        ));
    }
    let uuids: Vec<&str> = reachable.iter().map(|g| g.uuid.as_str()).collect();
    let mut picked: Vec<usize> = visible::apply(spec, &uuids);
    picked.sort_unstable();
    picked.into_iter().map(|p| reachable[p].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pci_ids_from_nvml_and_cuda_compare_equal() {
        assert_eq!(
            canonical_pci("00000000:1B:00.0"),
            canonical_pci("0000:1b:00.0")
        );
        assert_eq!(canonical_pci("1b:00.0").as_deref(), Some("0000:1b:00.0"));
        assert_ne!(canonical_pci("0000:1b:00.0"), canonical_pci("0000:1c:00.0"));
        assert_eq!(canonical_pci("garbage"), None);
    }

    fn gpu(index: u32, uuid: &str, lost: Option<&str>) -> Gpu {
        Gpu {
            index,
            has_nvml: true,
            name: "unknown".into(),
            uuid: uuid.into(),
            pci_bus_id: "unknown".into(),
            cuda: Vec::new(),
            lost: lost.map(str::to_string),
        }
    }

    fn device(ordinal: u32, uuid: &str, pci: &str) -> CudaDevice {
        CudaDevice {
            ordinal,
            name: "H100".into(),
            uuid: uuid.into(),
            pci_bus_id: pci.into(),
            compute_capability: (9, 0),
            sm_count: 132,
            total_memory_bytes: 1,
        }
    }

    #[test]
    fn hung_gpus_take_their_identity_from_cuda_in_pci_order() {
        let hung = format!("{HUNG}: identity");
        let mut out = vec![
            gpu(0, "", Some(&hung)),
            gpu(1, "GPU-b", None),
            gpu(2, "", Some(&hung)),
        ];
        // CUDA order differs from PCI order.
        let mut left = vec![
            device(0, "GPU-c", "0000:30:00.0"),
            device(1, "GPU-a", "0000:10:00.0"),
        ];
        name_hung_gpus(&mut out, &mut left);
        assert!(left.is_empty());
        assert_eq!(out[0].uuid, "GPU-a");
        assert_eq!(out[2].uuid, "GPU-c");
        assert!(out[0].cuda.is_empty(), "not attached: NVML cannot read it");
        assert!(out[0].lost.is_some(), "still reported hung");
    }

    #[test]
    fn hung_gpus_stay_unnamed_when_the_counts_differ() {
        let hung = format!("{HUNG}: identity");
        let mut out = vec![gpu(0, "", Some(&hung))];
        let mut left = vec![
            device(0, "GPU-a", "0000:10:00.0"),
            device(1, "GPU-b", "0000:20:00.0"),
        ];
        name_hung_gpus(&mut out, &mut left);
        assert_eq!(left.len(), 2);
        assert_eq!(out[0].uuid, "");
    }

    #[test]
    fn nvml_only_asks_cuda_whenever_cuda_visible_devices_is_set() {
        let gpus = [gpu(0, "GPU-a", None)];
        assert!(!needs_cuda_order(&gpus, None));
        assert!(needs_cuda_order(&gpus, Some("0")));
        assert!(needs_cuda_order(&gpus, Some("GPU-a")));
        let lost = [gpu(0, "unknown", Some("lost"))];
        assert!(!needs_cuda_order(&lost, Some("0")));
    }

    #[test]
    fn every_pci_id_is_printed_in_nvml_form() {
        for id in [
            "0000:1b:00.0",
            "00000000:1B:00.0",
            "1b:00.0",
            "0001:ab:02.1",
        ] {
            let want = if id.starts_with("0001") {
                "00000001:AB:02.1"
            } else {
                "00000000:1B:00.0"
            };
            assert_eq!(nvml_pci_form(id).as_deref(), Some(want), "{id}");
        }
        assert_eq!(nvml_pci_form(""), None);
    }

    #[test]
    fn a_lost_gpus_address_comes_from_the_os_pci_list_in_pci_order() {
        let root = tempfile::tempdir().unwrap();
        let device = |name: &str, vendor: &str, class: &str| {
            let dir = root.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join("vendor"), format!("{vendor}\n")).unwrap();
            std::fs::write(dir.join("class"), format!("{class}\n")).unwrap();
        };
        device("0000:2a:00.0", "0x10de", "0x030200"); // GPU
        device("0000:18:00.0", "0x10de", "0x030200"); // GPU, earlier in PCI order
        device("0000:18:00.1", "0x10de", "0x040300"); // its audio function
        device("0000:05:00.0", "0x10de", "0x068000"); // an NVSwitch
        device("0000:00:1f.0", "0x8086", "0x060100"); // not NVIDIA
        let p = root.path();
        assert_eq!(
            crate::device::os_pci_bus_id(p, 0, 2).as_deref(),
            Some("00000000:18:00.0")
        );
        assert_eq!(
            crate::device::os_pci_bus_id(p, 1, 2).as_deref(),
            Some("00000000:2A:00.0")
        );
        // When the OS and NVML disagree on the count, the order cannot be trusted.
        assert_eq!(crate::device::os_pci_bus_id(p, 0, 3), None);
        assert_eq!(crate::device::os_pci_bus_id(&p.join("missing"), 0, 2), None);
    }

    #[test]
    fn cuda_versions_format_as_major_minor() {
        assert_eq!(format_cuda_version(13000), "13.0");
        assert_eq!(format_cuda_version(12020), "12.2");
    }
}
