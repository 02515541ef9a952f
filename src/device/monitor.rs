//! What `monitor` reads on top of [`Telemetry`](super::Telemetry) and
//! [`ErrorCounters`](super::ErrorCounters): memory utilisation and
//! free memory, PCIe and NVLink byte counters, and the processes on the GPU.
//!
//! Byte counters are cumulative so that `monitor` turns them into rates
//! itself and Prometheus gets real counters; NVML's `nvmlDeviceGetPcieThroughput`
//! (a 20 ms sampling window per direction) is only the fallback.

use super::types::{GpuProcess, MemoryInfo, QueryError, Reading};
use serde::{Deserialize, Serialize};

/// At most this many processes per GPU are kept per sample: bounded output
/// and memory whatever runs on the node.
pub const MAX_PROCESSES: usize = 64;

/// PCIe traffic, either cumulative bytes or an instantaneous rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PcieTraffic {
    /// Bytes since the driver loaded (NVML fields 197/198).
    Total { tx_bytes: u64, rx_bytes: u64 },
    /// Bytes per second over NVML's own 20 ms window (older drivers).
    Rate {
        tx_bytes_per_s: u64,
        rx_bytes_per_s: u64,
    },
}

/// The readings only `monitor` needs; every field read independently.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MonitorReadings {
    /// Share of time the memory controller was busy, percent.
    pub utilization_memory_pct: Reading<u32>,
    pub memory: Reading<MemoryInfo>,
    pub pcie: Reading<PcieTraffic>,
    /// NVLink data bytes sent / received over all links since the driver
    /// loaded; `NotSupported` on a GPU without NVLink.
    pub nvlink_tx_bytes: Reading<u64>,
    pub nvlink_rx_bytes: Reading<u64>,
    pub processes: Reading<Vec<GpuProcess>>,
}

impl MonitorReadings {
    /// Every reading failed with `e` (the GPU could not be opened).
    pub fn failed(e: &QueryError) -> Self {
        Self {
            utilization_memory_pct: Reading::err(e.clone()),
            memory: Reading::err(e.clone()),
            pcie: Reading::err(e.clone()),
            nvlink_tx_bytes: Reading::err(e.clone()),
            nvlink_rx_bytes: Reading::err(e.clone()),
            processes: Reading::err(e.clone()),
        }
    }
}

/// NVML `nvmlFieldValue_t.scopeId` for "summed over every NVLink".
const ALL_LINKS: u32 = u32::MAX;

/// The real reads, one driver round trip per group of values.
pub(super) fn read_real(device: &nvml_wrapper::Device<'_>) -> MonitorReadings {
    use super::nvml::{memory as memory_info, reading};
    use crate::trace::timed;
    use nvml_wrapper::enum_wrappers::device::PcieUtilCounter;
    let [pcie_tx, pcie_rx, link_tx, link_rx] =
        timed("pcie/nvlink counters", || counter_fields(device));
    let pcie = match (pcie_tx, pcie_rx) {
        (Ok(tx_bytes), Ok(rx_bytes)) => Reading::Value(PcieTraffic::Total { tx_bytes, rx_bytes }),
        // Drivers without the byte counters: NVML's sampled rate (KB/s).
        _ => reading(
            device
                .pcie_throughput(PcieUtilCounter::Send)
                .and_then(|tx| Ok((tx, device.pcie_throughput(PcieUtilCounter::Receive)?)))
                .map(|(tx, rx)| PcieTraffic::Rate {
                    tx_bytes_per_s: u64::from(tx) * 1000,
                    rx_bytes_per_s: u64::from(rx) * 1000,
                }),
        ),
    };
    MonitorReadings {
        utilization_memory_pct: timed("utilization (memory)", || {
            reading(device.utilization_rates().map(|u| u.memory))
        }),
        memory: timed("memory info (full)", || {
            reading(device.memory_info().map(memory_info))
        }),
        pcie,
        nvlink_tx_bytes: link_tx.into(),
        nvlink_rx_bytes: link_rx.into(),
        processes: timed("processes", || processes(device)),
    }
}

/// PCIe TX/RX bytes and NVLink TX/RX data bytes (KiB in NVML) in one
/// `nvmlDeviceGetFieldValues` call. Raw, because the NVLink totals need a
/// scope id the wrapper does not set.
fn counter_fields(device: &nvml_wrapper::Device<'_>) -> [Result<u64, QueryError>; 4] {
    use nvml_wrapper::error::nvml_sym;
    use nvml_wrapper::sys_exports::field_id::{
        NVML_FI_DEV_NVLINK_THROUGHPUT_DATA_RX, NVML_FI_DEV_NVLINK_THROUGHPUT_DATA_TX,
        NVML_FI_DEV_PCIE_COUNT_RX_BYTES, NVML_FI_DEV_PCIE_COUNT_TX_BYTES,
    };
    use nvml_wrapper_sys::bindings::nvmlFieldValue_t;
    let wanted = [
        (NVML_FI_DEV_PCIE_COUNT_TX_BYTES, 0, 1),
        (NVML_FI_DEV_PCIE_COUNT_RX_BYTES, 0, 1),
        (NVML_FI_DEV_NVLINK_THROUGHPUT_DATA_TX, ALL_LINKS, 1024),
        (NVML_FI_DEV_NVLINK_THROUGHPUT_DATA_RX, ALL_LINKS, 1024),
    ];
    let failed = |e: QueryError| std::array::from_fn(|_| Err(e.clone()));
    let sym = match nvml_sym(device.nvml().lib().nvmlDeviceGetFieldValues.as_ref()) {
        Ok(s) => s,
        Err(_) => return failed(QueryError::NotSupported),
    };
    let mut values: [nvmlFieldValue_t; 4] = std::array::from_fn(|i| {
        // SAFETY: nvmlFieldValue_t is plain C data for which all-zero is a
        // valid value (NVML's own examples memset it).
        let mut v: nvmlFieldValue_t = unsafe { std::mem::zeroed() };
        v.fieldId = wanted[i].0;
        v.scopeId = wanted[i].1;
        v
    });
    // SAFETY: the handle comes from NVML and outlives the call; `values` is
    // a valid array of the length passed.
    let code = unsafe { sym(device.handle(), values.len() as i32, values.as_mut_ptr()) };
    if let Err(e) = nvml_wrapper::error::nvml_try(code) {
        return failed(super::nvml::query_error(e));
    }
    std::array::from_fn(|i| {
        let v = &values[i];
        nvml_wrapper::error::nvml_try(v.nvmlReturn).map_err(super::nvml::query_error)?;
        // SAFETY: valueType names the union member NVML wrote.
        let raw = unsafe {
            match v.valueType {
                0 if v.value.dVal >= 0.0 => v.value.dVal as u64,
                1 => u64::from(v.value.uiVal),
                2 => v.value.ulVal,
                3 => v.value.ullVal,
                4 if v.value.sllVal >= 0 => v.value.sllVal as u64,
                5 if v.value.siVal >= 0 => v.value.siVal as u64,
                6 => u64::from(v.value.usVal),
                _ => return Err(QueryError::NotSupported),
            }
        };
        Ok(raw.saturating_mul(wanted[i].2))
    })
}

/// Compute and graphics processes, deduplicated by PID, at most
/// [`MAX_PROCESSES`].
fn processes(device: &nvml_wrapper::Device<'_>) -> Reading<Vec<GpuProcess>> {
    use nvml_wrapper::enums::device::UsedGpuMemory;
    let compute = match device.running_compute_processes() {
        Ok(p) => p,
        Err(e) => return Reading::err(super::nvml::query_error(e)),
    };
    let graphics = device.running_graphics_processes().unwrap_or_default();
    let mut out: Vec<GpuProcess> = Vec::new();
    for p in compute.into_iter().chain(graphics) {
        if out.len() >= MAX_PROCESSES || out.iter().any(|q| q.pid == p.pid) {
            continue;
        }
        out.push(GpuProcess {
            pid: p.pid,
            name: super::nvml::process_name(p.pid),
            used_bytes: match p.used_gpu_memory {
                UsedGpuMemory::Used(b) => Some(b),
                UsedGpuMemory::Unavailable => None,
            },
        });
    }
    Reading::Value(out)
}
