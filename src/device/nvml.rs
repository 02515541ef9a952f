//! The real NVML backend (libnvidia-ml.so.1, loaded at run time).
//!
//! One [`Nvml`] handle is opened per process and shared (it is `Send + Sync`).
//! Every per-device read is independent: a field the GPU does not support
//! becomes a [`Reading`] error, never a panic and never a made-up value. The
//! few queries nvml-wrapper 0.13 does not wrap (remapped rows, raw clock event
//! reasons, MIG instance ids, event registration that keeps the set alive) go
//! through the raw symbols, always looked up with `nvml_sym` so a driver that
//! lacks one gives an error instead of the panic the `NvmlLib` methods raise.

use super::p2p::{LinkKind, PairLink};
use super::{
    ClockEvents, EccCounts, ErrorCounters, GpuProcess, MemoryInfo, MigInstance, MigMode,
    NvLinkStatus, NvmlApi, NvmlDetails, NvmlIdentity, PcieLink, PowerLimits, PowerSource,
    ProbeReadings, QueryError, Reading, RetiredPages, RowRemap, Telemetry, TemperatureThresholds,
    XidLog,
};
use nvml_wrapper::enum_wrappers::device::{
    Clock, ComputeMode, EccCounter, MemoryError, P2pCapabilitiesIndex, P2pStatus, RetirementCause,
    TemperatureSensor, TemperatureThreshold, TopologyLevel,
};
use nvml_wrapper::enum_wrappers::nv_link::ErrorCounter;
use nvml_wrapper::enums::device::SampleValue;
use nvml_wrapper::error::{nvml_sym, nvml_try, NvmlError};
use nvml_wrapper::struct_wrappers::device::MemoryInfo as NvmlMemoryInfo;
use nvml_wrapper::structs::device::FieldId;
use nvml_wrapper::sys_exports::field_id::NVML_FI_DEV_MEMORY_TEMP;
use nvml_wrapper::{Device, Nvml};
use std::os::raw::c_uint;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

/// `NVML_NVLINK_MAX_LINKS` in nvml.h (18 since NVLink 4).
const NVLINK_MAX_LINKS: u32 = 18;

/// NVML's own value for "XID unknown" (`XidError::Unknown` in the wrapper).
mod xid;

const XID_UNKNOWN: u64 = 999;

/// Opens NVML, or says plainly which library is missing.
pub fn open() -> Result<Arc<dyn NvmlApi>, String> {
    crate::trace::mark("loading NVML");
    match crate::trace::timed("nvmlInit", Nvml::init) {
        Ok(nvml) => Ok(Arc::new(RealNvml { nvml })),
        Err(NvmlError::LibloadingError(e)) => {
            Err(format!("libnvidia-ml.so.1 (NVML) not found: {e}"))
        }
        Err(NvmlError::FailedToLoadSymbol(e)) => {
            Err(format!("NVML (libnvidia-ml.so.1) is missing a symbol: {e}"))
        }
        Err(NvmlError::DriverNotLoaded) => {
            Err("NVML could not initialize: the NVIDIA kernel driver is not loaded".into())
        }
        Err(NvmlError::NoPermission) => {
            Err("NVML could not initialize: no permission to talk to the NVIDIA driver".into())
        }
        Err(NvmlError::LibRmVersionMismatch) => Err(
            "NVML could not initialize: libnvidia-ml.so.1 and the loaded kernel driver are \
             different versions (reboot or reload the driver)"
                .into(),
        ),
        Err(e) => Err(format!("NVML could not initialize: {e}")),
    }
}

/// NVML opened once for the whole process.
pub struct RealNvml {
    nvml: Nvml,
}

/// The executable name of `pid` (from /proc), when this process may see it.
pub(super) fn process_name(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim_end().to_string())
        .filter(|s| !s.is_empty())
}

/// The one place an NVML error becomes a [`QueryError`].
pub(super) fn query_error(e: NvmlError) -> QueryError {
    match e {
        NvmlError::NotSupported => QueryError::NotSupported,
        NvmlError::NoPermission => QueryError::NoPermission,
        NvmlError::GpuLost => QueryError::GpuLost,
        other => QueryError::Failed(format!("NVML: {other}")),
    }
}

/// An NVML result as a [`Reading`].
pub(super) fn reading<T>(r: Result<T, NvmlError>) -> Reading<T> {
    match r {
        Ok(v) => Reading::Value(v),
        Err(e) => Reading::err(query_error(e)),
    }
}

pub(super) fn milliwatts(mw: u32) -> f64 {
    f64::from(mw) / 1000.0
}

impl RealNvml {
    fn device(&self, index: u32) -> Result<Device<'_>, NvmlError> {
        self.nvml.device_by_index(index)
    }
}

/// The four thresholds: four cheap calls, nothing else.
fn thresholds(device: &Device<'_>) -> TemperatureThresholds {
    let read = |t| reading(device.temperature_threshold(t));
    TemperatureThresholds {
        slowdown_c: read(TemperatureThreshold::Slowdown),
        shutdown_c: read(TemperatureThreshold::Shutdown),
        gpu_max_c: read(TemperatureThreshold::GpuMax),
        memory_max_c: read(TemperatureThreshold::MemoryMax),
    }
}

fn thresholds_error(e: &QueryError) -> TemperatureThresholds {
    TemperatureThresholds {
        slowdown_c: Reading::err(e.clone()),
        shutdown_c: Reading::err(e.clone()),
        gpu_max_c: Reading::err(e.clone()),
        memory_max_c: Reading::err(e.clone()),
    }
}

fn pcie_current(device: &Device<'_>) -> Result<PcieLink, NvmlError> {
    Ok(PcieLink {
        gen: device.current_pcie_link_gen()?,
        width: device.current_pcie_link_width()?,
    })
}

fn pcie_max(device: &Device<'_>) -> Result<PcieLink, NvmlError> {
    Ok(PcieLink {
        gen: device.max_pcie_link_gen()?,
        width: device.max_pcie_link_width()?,
    })
}

pub(super) fn memory(info: NvmlMemoryInfo) -> MemoryInfo {
    MemoryInfo {
        total_bytes: info.total,
        used_bytes: info.used,
        free_bytes: info.free,
    }
}

fn compute_mode_name(mode: ComputeMode) -> String {
    match mode {
        ComputeMode::Default => "default",
        ComputeMode::ExclusiveThread => "exclusive_thread",
        ComputeMode::Prohibited => "prohibited",
        ComputeMode::ExclusiveProcess => "exclusive_process",
    }
    .to_string()
}

fn power_limits(device: &Device<'_>) -> Result<PowerLimits, NvmlError> {
    let constraints = device.power_management_limit_constraints()?;
    Ok(PowerLimits {
        enforced_w: milliwatts(device.enforced_power_limit()?),
        default_w: milliwatts(device.power_management_limit_default()?),
        min_w: milliwatts(constraints.min_limit),
        max_w: milliwatts(constraints.max_limit),
    })
}

/// `nvmlDeviceGetGpuInstanceId` / `nvmlDeviceGetComputeInstanceId` on a MIG
/// handle; the wrapper has neither.
fn mig_ids(device: &Device<'_>) -> (Option<u32>, Option<u32>) {
    let lib = device.nvml().lib();
    let read = |sym: Result<&unsafe extern "C" fn(_, *mut c_uint) -> _, _>| -> Option<u32> {
        let sym = nvml_sym(sym).ok()?;
        let mut id: c_uint = 0;
        // SAFETY: the handle comes from NVML and outlives the call; `id` is a
        // valid out-pointer for the duration of the call.
        nvml_try(unsafe { sym(device.handle(), &mut id) }).ok()?;
        Some(id)
    };
    (
        read(lib.nvmlDeviceGetGpuInstanceId.as_ref()),
        read(lib.nvmlDeviceGetComputeInstanceId.as_ref()),
    )
}

/// The MIG devices of a GPU with MIG enabled; empty when MIG is off.
fn mig_instances(device: &Device<'_>, mode: &Reading<MigMode>) -> Reading<Vec<MigInstance>> {
    let mode = match mode {
        Reading::Value(m) => *m,
        Reading::Error { error } => return Reading::err(error.clone()),
    };
    if !mode.current {
        return Reading::Value(Vec::new());
    }
    let max = match device.mig_device_count() {
        Ok(n) => n,
        Err(e) => return Reading::err(query_error(e)),
    };
    let mut out = Vec::new();
    for index in 0..max {
        let mig = match device.mig_device_by_index(index) {
            Ok(m) => m,
            // Slots without an instance are holes, not failures.
            Err(NvmlError::NotFound | NvmlError::InvalidArg) => continue,
            Err(e) => return Reading::err(query_error(e)),
        };
        let uuid = match mig.uuid() {
            Ok(u) => u,
            Err(e) => return Reading::err(query_error(e)),
        };
        let (gpu_instance_id, compute_instance_id) = mig_ids(&mig);
        let attributes = mig.attributes().ok();
        let memory_total_bytes = mig
            .memory_info()
            .map(|m| m.total)
            .ok()
            .or_else(|| attributes.as_ref().map(|a| a.memory_size_mb * 1024 * 1024));
        out.push(MigInstance {
            index,
            uuid,
            gpu_instance_id,
            compute_instance_id,
            memory_total_bytes,
            sm_count: attributes.map(|a| a.multiprocessor_count),
        });
    }
    Reading::Value(out)
}

/// The raw clock event reason bitmask, unknown bits kept (the wrapper's
/// `ThrottleReasons` drops bits it does not know).
fn clock_events(device: &Device<'_>) -> Result<ClockEvents, NvmlError> {
    let lib = device.nvml().lib();
    // The "ClocksEvent" name replaced "ClocksThrottle" in R535; same function.
    let sym = nvml_sym(lib.nvmlDeviceGetCurrentClocksEventReasons.as_ref())
        .or_else(|_| nvml_sym(lib.nvmlDeviceGetCurrentClocksThrottleReasons.as_ref()))?;
    let mut reasons: u64 = 0;
    // SAFETY: the handle comes from NVML and outlives the call; `reasons` is a
    // valid out-pointer for the duration of the call.
    nvml_try(unsafe { sym(device.handle(), &mut reasons) })?;
    Ok(ClockEvents(reasons))
}

/// HBM temperature from field `NVML_FI_DEV_MEMORY_TEMP` (no dedicated call).
fn memory_temperature(device: &Device<'_>) -> Result<u32, NvmlError> {
    let samples = device.field_values_for(&[FieldId(NVML_FI_DEV_MEMORY_TEMP)])?;
    let sample = samples
        .into_iter()
        .next()
        .ok_or(NvmlError::NotSupported)??;
    let celsius = match sample.value? {
        SampleValue::U32(v) => u64::from(v),
        SampleValue::U64(v) => v,
        SampleValue::I64(v) => u64::try_from(v).map_err(|_| NvmlError::NotSupported)?,
        // Truncation is fine: whole degrees, like every other NVML temperature.
        SampleValue::F64(v) if v >= 0.0 => v as u64,
        SampleValue::F64(_) => return Err(NvmlError::NotSupported),
    };
    // Boards without a memory sensor can answer SUCCESS with 0; no HBM on a
    // running GPU is at 0 °C, so that is "not supported", not a reading.
    match u32::try_from(celsius) {
        Ok(0) | Err(_) => Err(NvmlError::NotSupported),
        Ok(c) => Ok(c),
    }
}

fn ecc_counts(device: &Device<'_>, counter: EccCounter) -> Result<EccCounts, NvmlError> {
    Ok(EccCounts {
        corrected: device.total_ecc_errors(MemoryError::Corrected, counter)?,
        uncorrected: device.total_ecc_errors(MemoryError::Uncorrected, counter)?,
    })
}

/// `nvmlDeviceGetRemappedRows`: no safe wrapper in nvml-wrapper 0.13.
pub(super) fn row_remap(device: &Device<'_>) -> Result<RowRemap, NvmlError> {
    let sym = nvml_sym(device.nvml().lib().nvmlDeviceGetRemappedRows.as_ref())?;
    let (mut corr, mut unc, mut pending, mut failure): (c_uint, c_uint, c_uint, c_uint) =
        (0, 0, 0, 0);
    // SAFETY: the handle comes from NVML and outlives the call; the four
    // out-pointers are valid, distinct locals for the duration of the call.
    nvml_try(unsafe {
        sym(
            device.handle(),
            &mut corr,
            &mut unc,
            &mut pending,
            &mut failure,
        )
    })?;
    Ok(RowRemap {
        correctable: u64::from(corr),
        uncorrectable: u64::from(unc),
        pending: pending != 0,
        failure: failure != 0,
    })
}

fn retired_pages(device: &Device<'_>) -> Result<RetiredPages, NvmlError> {
    let single = device.retired_pages(RetirementCause::MultipleSingleBitEccErrors)?;
    let double = device.retired_pages(RetirementCause::DoubleBitEccError)?;
    Ok(RetiredPages {
        single_bit: single.len() as u64,
        double_bit: double.len() as u64,
        pending: device.are_pages_pending_retired()?,
    })
}

/// One NVLink error counter; `NotSupported` alone reads as 0 (the counter does
/// not exist on this link generation), any other error spoils the reading.
fn link_counter(link: &nvml_wrapper::NvLink<'_, '_>, c: ErrorCounter) -> Result<u64, QueryError> {
    match link.error_counter(c) {
        Ok(v) => Ok(v),
        Err(NvmlError::NotSupported) => Ok(0),
        Err(e) => Err(query_error(e)),
    }
}

fn nvlinks_of(device: &Device<'_>) -> Result<Vec<NvLinkStatus>, QueryError> {
    let mut out = Vec::new();
    for link in 0..NVLINK_MAX_LINKS {
        let wrapper = device.link_wrapper_for(link);
        let active = match wrapper.is_active() {
            Ok(a) => a,
            // Link 0 refused: no NVLink at all. A later refusal: past the
            // last link this GPU has.
            Err(NvmlError::NotSupported | NvmlError::InvalidArg) if link == 0 => {
                return Err(QueryError::NotSupported)
            }
            Err(NvmlError::NotSupported | NvmlError::InvalidArg) => break,
            Err(e) => return Err(query_error(e)),
        };
        out.push(NvLinkStatus {
            link,
            active,
            crc_errors: link_counter(&wrapper, ErrorCounter::DlCrcFlit)?,
            replay_errors: link_counter(&wrapper, ErrorCounter::DlReplay)?,
            recovery_errors: link_counter(&wrapper, ErrorCounter::DlRecovery)?,
        });
    }
    Ok(out)
}

/// A PCI bus id in one spelling (4-digit domain, lowercase), so NVML's
/// `00000000:18:00.0` and a remote end's `0000:18:00.0` compare equal.
fn bus_key(bus_id: &str) -> String {
    let id = bus_id.trim().to_ascii_lowercase();
    match id.split_once(':') {
        Some((domain, rest)) if domain.len() > 4 => {
            format!("{}:{rest}", &domain[domain.len() - 4..])
        }
        _ => id,
    }
}

/// Where the active NVLinks of one GPU end.
#[derive(Debug, Default)]
struct LinkEnds {
    /// At the peer GPU (its bus id matched).
    peer: u32,
    /// At an NVSwitch.
    switch: u32,
    /// At a GPU whose bus id is none of the visible GPUs' (in a VM the far
    /// end reports the host's bus id), or of unknown type.
    unmatched: u32,
    /// NVLink version of the first active link.
    version: Option<u32>,
}

/// `nvmlIntNvLinkDeviceType_t` values (nvml.h).
const NVLINK_REMOTE_SWITCH: u32 = 2;

/// Counts where `device`'s active NVLinks go. No NVLink counts nothing.
fn nvlink_ends(nvml: &Nvml, device: &Device<'_>, peer_bus: &str, gpu_buses: &[String]) -> LinkEnds {
    let mut ends = LinkEnds::default();
    // Raw symbol: the wrapper's `remote_device_type` writes its answer into
    // a temporary and always returns Unknown.
    let remote_type = nvml_sym(nvml.lib().nvmlDeviceGetNvLinkRemoteDeviceType.as_ref()).ok();
    for link in 0..NVLINK_MAX_LINKS {
        let wrapper = device.link_wrapper_for(link);
        match wrapper.is_active() {
            Ok(true) => {}
            Ok(false) => continue,
            // Past the last link (or no NVLink at all).
            Err(_) => break,
        }
        if ends.version.is_none() {
            ends.version = wrapper.version().ok();
        }
        let kind = remote_type.and_then(|sym| {
            let mut kind: u32 = u32::MAX;
            // SAFETY: a valid device handle; writes one enum value.
            let code = unsafe { sym(device.handle(), link, &mut kind) };
            nvml_try(code).ok().map(|()| kind)
        });
        let remote = wrapper.remote_pci_info().ok().map(|p| bus_key(&p.bus_id));
        if kind == Some(NVLINK_REMOTE_SWITCH) {
            ends.switch += 1;
        } else if remote.as_deref() == Some(peer_bus) {
            ends.peer += 1;
        } else if remote.as_ref().is_none_or(|r| !gpu_buses.contains(r)) {
            ends.unmatched += 1;
        }
    }
    ends
}

impl NvmlApi for RealNvml {
    fn driver_version(&self) -> Result<String, QueryError> {
        self.nvml.sys_driver_version().map_err(query_error)
    }

    fn cuda_driver_version(&self) -> Result<i32, QueryError> {
        self.nvml.sys_cuda_driver_version().map_err(query_error)
    }

    fn device_count(&self) -> Result<u32, QueryError> {
        self.nvml.device_count().map_err(query_error)
    }

    fn identity(&self, index: u32) -> Result<NvmlIdentity, QueryError> {
        let device =
            crate::trace::timed("device handle", || self.device(index)).map_err(query_error)?;
        crate::trace::mark("NVML device handle acquired");
        Ok(NvmlIdentity {
            index,
            name: device.name().map_err(query_error)?,
            uuid: device.uuid().map_err(query_error)?,
            pci_bus_id: device.pci_info().map_err(query_error)?.bus_id,
        })
    }

    fn details(&self, index: u32) -> NvmlDetails {
        let device = match self.device(index) {
            Ok(d) => d,
            Err(e) => {
                let e = query_error(e);
                return NvmlDetails {
                    serial: Reading::err(e.clone()),
                    memory: Reading::err(e.clone()),
                    compute_capability: Reading::err(e.clone()),
                    persistence_mode: Reading::err(e.clone()),
                    compute_mode: Reading::err(e.clone()),
                    mig_mode: Reading::err(e.clone()),
                    mig_instances: Reading::err(e.clone()),
                    power_limits: Reading::err(e.clone()),
                    temperature_thresholds: thresholds_error(&e),
                    pcie_current: Reading::err(e.clone()),
                    pcie_max: Reading::err(e.clone()),
                    architecture: Reading::err(e),
                };
            }
        };
        let mig_mode = reading(device.mig_mode().map(|m| MigMode {
            current: m.current != 0,
            pending: m.pending != 0,
        }));
        let mig_instances = mig_instances(&device, &mig_mode);
        NvmlDetails {
            serial: reading(device.serial()),
            memory: reading(device.memory_info().map(memory)),
            compute_capability: reading(
                device
                    .cuda_compute_capability()
                    .map(|c| (c.major as u32, c.minor as u32)),
            ),
            persistence_mode: reading(device.is_in_persistent_mode()),
            compute_mode: reading(device.compute_mode().map(compute_mode_name)),
            mig_mode,
            mig_instances,
            power_limits: reading(power_limits(&device)),
            temperature_thresholds: thresholds(&device),
            pcie_current: reading(pcie_current(&device)),
            pcie_max: reading(pcie_max(&device)),
            architecture: reading(device.architecture().map(|a| a.to_string())),
        }
    }

    fn temperature_thresholds(&self, index: u32) -> TemperatureThresholds {
        match self.device(index) {
            Ok(device) => thresholds(&device),
            Err(e) => thresholds_error(&query_error(e)),
        }
    }

    fn telemetry(&self, index: u32) -> Telemetry {
        let device = match self.device(index) {
            Ok(d) => d,
            Err(e) => {
                let e = query_error(e);
                return Telemetry {
                    temperature_gpu_c: Reading::err(e.clone()),
                    temperature_memory_c: Reading::err(e.clone()),
                    power_draw_w: Reading::err(e.clone()),
                    power_source: PowerSource::Average,
                    sm_clock_mhz: Reading::err(e.clone()),
                    memory_clock_mhz: Reading::err(e.clone()),
                    clock_events: Reading::err(e.clone()),
                    utilization_gpu_pct: Reading::err(e.clone()),
                    memory_used_bytes: Reading::err(e.clone()),
                    pcie_current: Reading::err(e),
                };
            }
        };
        use crate::trace::timed;
        let (power_draw_w, power_source) = timed("power", || super::nvml_fields::power(&device));
        Telemetry {
            temperature_gpu_c: timed("temperature", || {
                reading(device.temperature(TemperatureSensor::Gpu))
            }),
            temperature_memory_c: timed("memory temperature", || {
                reading(memory_temperature(&device))
            }),
            power_draw_w,
            power_source,
            sm_clock_mhz: timed("sm clock", || reading(device.clock_info(Clock::SM))),
            memory_clock_mhz: timed("memory clock", || reading(device.clock_info(Clock::Memory))),
            clock_events: timed("clock events", || reading(clock_events(&device))),
            utilization_gpu_pct: timed("utilization", || {
                reading(device.utilization_rates().map(|u| u.gpu))
            }),
            memory_used_bytes: timed("memory info", || {
                reading(device.memory_info().map(|m| m.used))
            }),
            pcie_current: timed("pcie link", || reading(pcie_current(&device))),
        }
    }

    fn temperature_gpu(&self, index: u32) -> Reading<u32> {
        match self.device(index) {
            Ok(device) => crate::trace::timed("temperature", || {
                reading(device.temperature(TemperatureSensor::Gpu))
            }),
            Err(e) => Reading::err(query_error(e)),
        }
    }

    fn probe_readings(&self, index: u32) -> ProbeReadings {
        match self.device(index) {
            Ok(device) => super::nvml_fields::probe_readings(&device),
            Err(e) => ProbeReadings::error(&query_error(e)),
        }
    }

    fn slowdown_threshold(&self, index: u32) -> Reading<u32> {
        match self.device(index) {
            Ok(device) => crate::trace::timed("slowdown threshold", || {
                reading(device.temperature_threshold(TemperatureThreshold::Slowdown))
            }),
            Err(e) => Reading::err(query_error(e)),
        }
    }

    fn error_counters(&self, index: u32) -> ErrorCounters {
        let device = match self.device(index) {
            Ok(d) => d,
            Err(e) => {
                let e = query_error(e);
                return ErrorCounters {
                    ecc_enabled: Reading::err(e.clone()),
                    ecc_volatile: Reading::err(e.clone()),
                    ecc_aggregate: Reading::err(e.clone()),
                    row_remap: Reading::err(e.clone()),
                    retired_pages: Reading::err(e.clone()),
                    pcie_replay_count: Reading::err(e),
                    // NVLink is read by `nvlinks()`, not here (see the trait).
                    ..ErrorCounters::default()
                };
            }
        };
        use crate::trace::timed;
        ErrorCounters {
            ecc_enabled: timed("ecc mode", || {
                reading(device.is_ecc_enabled().map(|m| m.currently_enabled))
            }),
            ecc_volatile: timed("ecc volatile", || {
                reading(ecc_counts(&device, EccCounter::Volatile))
            }),
            ecc_aggregate: timed("ecc aggregate", || {
                reading(ecc_counts(&device, EccCounter::Aggregate))
            }),
            row_remap: timed("row remap", || reading(row_remap(&device))),
            retired_pages: timed("retired pages", || reading(retired_pages(&device))),
            pcie_replay_count: timed("pcie replay", || {
                reading(device.pcie_replay_counter().map(u64::from))
            }),
            // NVLink is read by `nvlinks()`, not here (see the trait).
            ..ErrorCounters::default()
        }
    }

    fn monitor_readings(&self, index: u32) -> super::monitor::MonitorReadings {
        match self.device(index) {
            Ok(device) => super::monitor::read_real(&device),
            Err(e) => super::monitor::MonitorReadings::failed(&query_error(e)),
        }
    }

    fn energy_mj(&self, index: u32) -> Reading<u64> {
        match self.device(index) {
            Ok(device) => {
                crate::trace::timed("energy", || reading(device.total_energy_consumption()))
            }
            Err(e) => Reading::err(query_error(e)),
        }
    }

    fn nvlinks(&self, index: u32) -> Reading<Vec<NvLinkStatus>> {
        let device = match self.device(index) {
            Ok(d) => d,
            Err(e) => return Reading::err(query_error(e)),
        };
        nvlinks_of(&device).into()
    }

    fn board_identity(&self, index: u32) -> super::types::BoardIdentity {
        match self.device(index) {
            Ok(device) => super::nvml_board::board_identity(&device),
            Err(e) => super::types::BoardIdentity::unreadable(query_error(e)),
        }
    }

    fn fabric_info(&self, index: u32) -> Reading<super::types::FabricInfo> {
        match self.device(index) {
            Ok(device) => super::nvml_fabric::fabric_info(&device),
            Err(e) => Reading::err(query_error(e)),
        }
    }

    fn p2p_link(&self, a: u32, b: u32) -> Result<PairLink, QueryError> {
        let first = self.device(a).map_err(query_error)?;
        let second = self.device(b).map_err(query_error)?;
        let bus_of = |d: &Device<'_>| d.pci_info().map(|p| bus_key(&p.bus_id));
        let second_bus = bus_of(&second).map_err(query_error)?;
        let count = self.nvml.device_count().map_err(query_error)?;
        let others: Vec<Device<'_>> = (0..count)
            .filter(|&i| i != a)
            .filter_map(|i| self.device(i).ok())
            .collect();
        let gpu_buses: Vec<String> = others.iter().filter_map(|d| bus_of(d).ok()).collect();
        let ends = nvlink_ends(&self.nvml, &first, &second_bus, &gpu_buses);
        let nvlink = |kind, nvlinks| {
            Ok(PairLink {
                kind,
                nvlinks,
                nvlink_version: ends.version,
            })
        };
        if ends.peer > 0 {
            return nvlink(LinkKind::Nvlink, ends.peer);
        }
        if ends.switch > 0 {
            let theirs = nvlink_ends(&self.nvml, &second, "", &gpu_buses);
            if theirs.switch > 0 {
                return nvlink(LinkKind::Nvswitch, ends.switch);
            }
        }
        // Links whose far end matched no visible GPU (a VM): NVML's NVLink
        // P2P status says whether they reach this peer; they are shared
        // equally among the peers it says so for.
        let over_nvlink = |d: &Device<'_>| {
            matches!(
                first.p2p_status(d, P2pCapabilitiesIndex::NvLink),
                Ok(P2pStatus::Ok)
            )
        };
        if ends.unmatched > 0 && over_nvlink(&second) {
            let peers = others.iter().filter(|d| over_nvlink(d)).count().max(1) as u32;
            return nvlink(LinkKind::Nvlink, ends.unmatched / peers);
        }
        let level = first
            .topology_common_ancestor(second)
            .map_err(query_error)?;
        let kind = match level {
            TopologyLevel::Internal => LinkKind::PcieBoard,
            TopologyLevel::Single | TopologyLevel::Multiple => LinkKind::PcieSwitch,
            TopologyLevel::HostBridge => LinkKind::PcieHostBridge,
            TopologyLevel::Node => LinkKind::PcieNode,
            TopologyLevel::System => LinkKind::PcieSystem,
        };
        Ok(PairLink {
            kind,
            nvlinks: 0,
            nvlink_version: None,
        })
    }

    fn compute_processes(&self, index: u32) -> Reading<Vec<GpuProcess>> {
        let device = match self.device(index) {
            Ok(d) => d,
            Err(e) => return Reading::err(query_error(e)),
        };
        match device.running_compute_processes() {
            Ok(procs) => Reading::Value(
                procs
                    .into_iter()
                    .map(|p| GpuProcess {
                        pid: p.pid,
                        name: process_name(p.pid),
                        used_bytes: match p.used_gpu_memory {
                            nvml_wrapper::enums::device::UsedGpuMemory::Used(b) => Some(b),
                            nvml_wrapper::enums::device::UsedGpuMemory::Unavailable => None,
                        },
                    })
                    .collect(),
            ),
            Err(e) => Reading::err(query_error(e)),
        }
    }

    fn watch_xids(
        &self,
        indices: &[u32],
        window: Duration,
        poll: Duration,
        stop: &AtomicBool,
        log: &XidLog,
    ) -> Result<(), QueryError> {
        xid::watch(self, indices, (window, poll), stop, log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_query_errors() {
        assert_eq!(
            query_error(NvmlError::NotSupported),
            QueryError::NotSupported
        );
        assert_eq!(
            query_error(NvmlError::NoPermission),
            QueryError::NoPermission
        );
        assert_eq!(query_error(NvmlError::GpuLost), QueryError::GpuLost);
        assert!(
            matches!(query_error(NvmlError::Unknown), QueryError::Failed(m) if m.contains("NVML"))
        );
    }

    #[test]
    fn reading_keeps_value_and_error() {
        assert_eq!(reading::<u32>(Ok(7)), Reading::Value(7));
        assert_eq!(
            reading::<u32>(Err(NvmlError::NotSupported)),
            Reading::default()
        );
    }

    #[test]
    fn milliwatts_to_watts() {
        assert_eq!(milliwatts(700_000), 700.0);
        assert_eq!(milliwatts(1500), 1.5);
    }

    #[test]
    fn compute_modes_have_stable_names() {
        assert_eq!(compute_mode_name(ComputeMode::Default), "default");
        assert_eq!(
            compute_mode_name(ComputeMode::ExclusiveProcess),
            "exclusive_process"
        );
        assert_eq!(compute_mode_name(ComputeMode::Prohibited), "prohibited");
        assert_eq!(
            compute_mode_name(ComputeMode::ExclusiveThread),
            "exclusive_thread"
        );
    }
}
