//! The simulated backend: GPUs, telemetry and injected faults read from a
//! JSON fixture named by `GPUCTL_SIMULATE`, so every command runs end to end
//! in tests on a machine with no GPU.
//!
//! The fixture lists GPUs in NVML (PCI) order. The simulated CUDA driver
//! orders them by `cuda.rank` (fastest first) or PCI order, then applies
//! `CUDA_VISIBLE_DEVICES` as the real driver does, so the inventory's join is
//! exercised for real. See `tests/fixtures/` for examples.

use super::types::*;
use super::{visible, CudaApi, NvmlApi, XidLog};
use crate::error::AppError;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A whole simulated host.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    #[serde(default)]
    pub nvml: SimLibrary,
    #[serde(default)]
    pub cuda: SimLibrary,
    #[serde(default)]
    pub gpus: Vec<SimGpu>,
    /// Kernel log lines (`dmesg`), or why they cannot be read.
    #[serde(default)]
    pub kernel_log: Reading<Vec<String>>,
    /// The `[seconds]` stamps of `kernel_log` are on this host's kmsg clock:
    /// `--since` windows them as it does /dev/kmsg records.
    #[serde(default)]
    pub kernel_log_host_clock: bool,
    /// When set, cuBLASLt "fails to load" with this message.
    #[serde(default)]
    pub cublaslt_missing: Option<String>,
    /// Peer-to-peer links as NVML reports them (`p2p`).
    #[serde(default)]
    pub p2p: super::sim_p2p::SimP2p,
    /// UUIDs of GPUs a compute context was opened on (a memory test
    /// starting: their `memtest` ECC and remap changes show from then on).
    #[serde(skip)]
    pub memtest_started: Arc<Mutex<Vec<String>>>,
    /// Telemetry reads so far per GPU (fixture position), for
    /// `lost_after_reads`; shared by the simulated NVML and CUDA.
    #[serde(skip)]
    pub telemetry_reads: Arc<Mutex<HashMap<usize, u32>>>,
    /// GPUs whose `xid_events` a watch has delivered (each once per run).
    #[serde(skip)]
    pub xids_delivered: Arc<Mutex<Vec<u32>>>,
    /// The simulated GPUs' memory and clocks ([`super::compute::sim`]),
    /// made on the first `open`.
    #[serde(skip)]
    pub compute_world: Arc<std::sync::OnceLock<Arc<Mutex<super::compute::sim::World>>>>,
}

thread_local! {
    /// Set while a composed read (`probe_readings`) that already hung once
    /// makes its parts' calls: one driver call hangs once.
    static HUNG_ONCE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a simulated call with this name should hang: `calls` empty means
/// every call.
fn hangs(ms: u64, calls: &[String], call: &str) -> bool {
    ms > 0
        && !HUNG_ONCE.with(std::cell::Cell::get)
        && (calls.is_empty() || calls.iter().any(|c| c == call))
}

/// A driver library as the fixture describes it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimLibrary {
    /// When set, opening the library fails with this message.
    #[serde(default)]
    pub missing: Option<String>,
    #[serde(default)]
    pub driver_version: Option<String>,
    /// CUDA version integer, e.g. 13000.
    #[serde(default)]
    pub cuda_driver_version: Option<i32>,
    /// Library-wide calls block this many milliseconds (a hung driver).
    #[serde(default)]
    pub hang_ms: u64,
    /// Which library-wide calls hang (`open`, `driver_version`,
    /// `cuda_driver_version`, `device_count`, `devices`); empty means all.
    #[serde(default)]
    pub hang_calls: Vec<String>,
}

impl SimLibrary {
    fn maybe_hang(&self, call: &str) {
        if hangs(self.hang_ms, &self.hang_calls, call) {
            std::thread::sleep(Duration::from_millis(self.hang_ms));
        }
    }
}

/// One simulated GPU and the faults injected into it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimGpu {
    pub name: String,
    pub uuid: String,
    /// NVML form, `00000000:18:00.0`.
    pub pci_bus_id: String,
    /// Fallen off the bus: NVML answers `GpuLost`, CUDA does not list it.
    #[serde(default)]
    pub lost: bool,
    /// NVML calls on this GPU block for this many milliseconds (a hung
    /// driver), to exercise timeouts.
    #[serde(default)]
    pub hang_ms: u64,
    /// Which NVML calls hang (`identity`, `details`, `telemetry`,
    /// `error_counters`, `nvlinks`, `temperature_thresholds`,
    /// `monitor_readings`, `watch_xids`); empty means every call on this
    /// GPU.
    #[serde(default)]
    pub hang_calls: Vec<String>,
    /// Falls off the bus once this many telemetry reads answered (lost
    /// mid-run): NVML then answers `GpuLost` (the compute side loses it
    /// with `compute.lost_at_call`).
    #[serde(default)]
    pub lost_after_reads: Option<u32>,
    /// Every NVML reading of this GPU (identity aside) is refused with
    /// `NoPermission`, as for a user without access to the device.
    #[serde(default)]
    pub no_permission: bool,
    /// How CUDA sees it; absent means CUDA does not enumerate it.
    #[serde(default)]
    pub cuda: Option<SimCuda>,
    #[serde(default)]
    pub details: NvmlDetails,
    #[serde(default)]
    pub telemetry: Telemetry,
    #[serde(default)]
    pub errors: ErrorCounters,
    #[serde(default)]
    pub nvlinks: Reading<Vec<NvLinkStatus>>,
    /// NVSwitch fabric registration; absent reads as not supported.
    #[serde(default)]
    pub fabric: Reading<super::types::FabricInfo>,
    /// VBIOS, InfoROM, part number, PCI ids; absent fields read as not
    /// supported.
    #[serde(default)]
    pub board: super::types::BoardIdentity,
    /// Processes holding memory on it (NVML's running compute processes).
    #[serde(default)]
    pub processes: Reading<Vec<GpuProcess>>,
    /// XIDs delivered as NVML events during a watch (once per run).
    #[serde(default)]
    pub xid_events: Vec<u64>,
    /// The XID watch fails with this error once this GPU's events are in
    /// (`{"failed": "..."}`, `"no_permission"`...): a watch that died.
    #[serde(default)]
    pub xid_watch_error: Option<QueryError>,
    /// Reading this GPU's details panics (a bug in a reader must never
    /// yield facts that judge as healthy).
    #[serde(default)]
    pub panic_on_details: bool,
    #[serde(default)]
    pub memtest: SimMemtest,
    /// What `monitor` reads beyond telemetry and error counters.
    #[serde(default)]
    pub monitor: SimMonitor,
    /// Memory, rates and faults of the simulated GPU's compute side.
    #[serde(default)]
    pub compute: super::compute::sim::SimCompute,
}

/// How a simulated GPU answers `monitor`'s extra reads. Counters grow at
/// the given rates from when the fixture was loaded, like a real driver's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimMonitor {
    /// Energy at load time, millijoules; grows with `telemetry.power_draw_w`.
    pub energy_mj: Option<u64>,
    pub utilization_memory_pct: Option<u32>,
    /// PCIe bytes per second each way; counters are not supported when absent.
    pub pcie_tx_bytes_per_s: Option<u64>,
    pub pcie_rx_bytes_per_s: Option<u64>,
    /// NVLink data bytes per second each way (all links); absent: no NVLink.
    pub nvlink_tx_bytes_per_s: Option<u64>,
    pub nvlink_rx_bytes_per_s: Option<u64>,
    /// The first this many `monitor` reads fail (then the GPU recovers),
    /// to drive the circuit breaker.
    pub fail_first: u64,
}

/// The CUDA driver's view of a simulated GPU.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimCuda {
    /// Position in CUDA's default fastest-first order.
    #[serde(default)]
    pub rank: u32,
    pub compute_capability: (u32, u32),
    pub sm_count: u32,
    pub total_memory_bytes: u64,
    /// With MIG on, CUDA enumerates these instances instead of the GPU.
    #[serde(default)]
    pub mig_uuids: Vec<String>,
    /// CUDA's spelling of the bus id, when it should differ from NVML's.
    #[serde(default)]
    pub pci_bus_id: Option<String>,
    /// CUDA calls on this GPU block this many milliseconds.
    #[serde(default)]
    pub hang_ms: u64,
    /// Which CUDA calls hang (`open`, `devices`, ...); empty means every call.
    #[serde(default)]
    pub hang_calls: Vec<String>,
}

/// What NVML shows of a simulated GPU once a memory test has started on
/// it (the test itself runs on the GPU's `compute` memory).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimMemtest {
    /// Added to the volatile ECC counts once the test has started.
    pub ecc_during: Option<EccCounts>,
    /// The row-remap state once the test has started.
    pub remap_during: Option<RowRemap>,
}

impl Fixture {
    pub fn load(path: &Path) -> Result<Self, AppError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AppError::usage(format!(
                "cannot read simulation fixture '{}': {e}",
                path.display()
            ))
        })?;
        serde_json::from_str(&text).map_err(|e| {
            AppError::usage(format!(
                "invalid simulation fixture '{}': {e}",
                path.display()
            ))
        })
    }
}

pub fn open_nvml(fixture: &Arc<Fixture>) -> Result<Arc<dyn NvmlApi>, String> {
    fixture.nvml.maybe_hang("open");
    match &fixture.nvml.missing {
        Some(msg) => Err(msg.clone()),
        None => Ok(Arc::new(SimNvml(
            fixture.clone(),
            Instant::now(),
            fixture.gpus.iter().map(|_| Default::default()).collect(),
        ))),
    }
}

pub fn open_cuda(fixture: &Arc<Fixture>) -> Result<Arc<dyn CudaApi>, String> {
    fixture.cuda.maybe_hang("open");
    match &fixture.cuda.missing {
        Some(msg) => Err(msg.clone()),
        None => Ok(Arc::new(SimCuda_(fixture.clone()))),
    }
}

mod xid;

struct SimNvml(Arc<Fixture>, Instant, Vec<std::sync::atomic::AtomicU64>);

impl SimNvml {
    /// The GPU at `index` for the call `call`, after any injected hang;
    /// `GpuLost` if it fell off.
    fn gpu(&self, index: u32, call: &str) -> Result<&SimGpu, QueryError> {
        let gpu = self
            .0
            .gpus
            .get(index as usize)
            .ok_or_else(|| QueryError::Failed(format!("no GPU at NVML index {index}")))?;
        if hangs(gpu.hang_ms, &gpu.hang_calls, call) {
            std::thread::sleep(Duration::from_millis(gpu.hang_ms));
        }
        if gpu.lost || self.0.lost_mid_run(index as usize) {
            return Err(QueryError::GpuLost);
        }
        Ok(gpu)
    }

    /// As [`SimNvml::gpu`], for a reading that needs permission.
    fn read(&self, index: u32, call: &str) -> Result<&SimGpu, QueryError> {
        let gpu = self.gpu(index, call)?;
        if gpu.no_permission {
            return Err(QueryError::NoPermission);
        }
        Ok(gpu)
    }
}

impl Fixture {
    /// Whether the GPU at fixture position `pos` has used up its
    /// `lost_after_reads`.
    fn lost_mid_run(&self, pos: usize) -> bool {
        let Some(limit) = self.gpus.get(pos).and_then(|g| g.lost_after_reads) else {
            return false;
        };
        let reads = self
            .telemetry_reads
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        reads.get(&pos).copied().unwrap_or(0) >= limit
    }

    fn count_telemetry_read(&self, pos: usize) {
        let mut reads = self
            .telemetry_reads
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *reads.entry(pos).or_insert(0) += 1;
    }
}

impl NvmlApi for SimNvml {
    fn driver_version(&self) -> Result<String, QueryError> {
        self.0.nvml.maybe_hang("driver_version");
        self.0
            .nvml
            .driver_version
            .clone()
            .ok_or(QueryError::NotSupported)
    }

    fn cuda_driver_version(&self) -> Result<i32, QueryError> {
        self.0.nvml.maybe_hang("cuda_driver_version");
        self.0
            .nvml
            .cuda_driver_version
            .ok_or(QueryError::NotSupported)
    }

    fn device_count(&self) -> Result<u32, QueryError> {
        self.0.nvml.maybe_hang("device_count");
        Ok(self.0.gpus.len() as u32)
    }

    /// The fixture's bus id: the OS still lists a GPU that fell off the bus.
    fn lost_pci_bus_id(&self, index: u32) -> Option<String> {
        self.0
            .gpus
            .get(index as usize)
            .map(|g| g.pci_bus_id.clone())
    }

    fn identity(&self, index: u32) -> Result<NvmlIdentity, QueryError> {
        let gpu = self.gpu(index, "identity")?;
        Ok(NvmlIdentity {
            index,
            name: gpu.name.clone(),
            uuid: gpu.uuid.clone(),
            pci_bus_id: gpu.pci_bus_id.clone(),
        })
    }

    fn details(&self, index: u32) -> NvmlDetails {
        if self
            .0
            .gpus
            .get(index as usize)
            .is_some_and(|g| g.panic_on_details)
        {
            panic!("simulated reader bug on GPU {index}");
        }
        match self.read(index, "details") {
            Ok(gpu) => gpu.details.clone(),
            Err(e) => super::bounded::details_error(e),
        }
    }

    fn temperature_thresholds(&self, index: u32) -> TemperatureThresholds {
        match self.read(index, "temperature_thresholds") {
            Ok(gpu) => gpu.details.temperature_thresholds.clone(),
            Err(e) => super::bounded::thresholds_error(e),
        }
    }

    fn telemetry(&self, index: u32) -> Telemetry {
        let read = self.read(index, "telemetry");
        if read.is_ok() {
            self.0.count_telemetry_read(index as usize);
        }
        match read {
            Ok(gpu) => gpu.telemetry.clone(),
            Err(e) => super::bounded::telemetry_error(e),
        }
    }

    /// One call on the real backend: a hang injected on any read it
    /// stands for blocks it once, not once per part.
    fn probe_readings(&self, index: u32) -> ProbeReadings {
        let parts = ["error_counters", "telemetry", "temperature_thresholds"];
        if let Some(g) = self.0.gpus.get(index as usize) {
            if parts.iter().any(|c| hangs(g.hang_ms, &g.hang_calls, c)) {
                std::thread::sleep(Duration::from_millis(g.hang_ms));
            }
        }
        HUNG_ONCE.with(|h| h.set(true));
        let readings = super::probe_readings_from(self, index);
        HUNG_ONCE.with(|h| h.set(false));
        readings
    }

    fn error_counters(&self, index: u32) -> ErrorCounters {
        match self.read(index, "error_counters") {
            Ok(gpu) => {
                let mut errors = gpu.errors.clone();
                let started = self
                    .0
                    .memtest_started
                    .lock()
                    .is_ok_and(|s| s.contains(&gpu.uuid));
                if started {
                    if let (Some(add), Reading::Value(v)) =
                        (gpu.memtest.ecc_during, &mut errors.ecc_volatile)
                    {
                        v.corrected += add.corrected;
                        v.uncorrected += add.uncorrected;
                    }
                    if let Some(r) = gpu.memtest.remap_during {
                        errors.row_remap = Reading::Value(r);
                    }
                }
                errors
            }
            Err(e) => super::bounded::counters_error(e),
        }
    }

    fn monitor_readings(&self, index: u32) -> super::monitor::MonitorReadings {
        use super::monitor::{MonitorReadings, PcieTraffic};
        // `hang_calls: ["monitor_readings"]` hangs these reads alone, so a
        // monitor test can hang one GPU without slowing enumeration.
        let gpu = match self.read(index, "monitor_readings") {
            Ok(g) => g,
            Err(e) => return MonitorReadings::failed(&e),
        };
        let m = &gpu.monitor;
        let calls = self
            .2
            .get(index as usize)
            .map_or(0, |c| c.fetch_add(1, Ordering::Relaxed));
        if calls < m.fail_first {
            return MonitorReadings::failed(&QueryError::Failed(
                "NVML: simulated failure (fail_first)".into(),
            ));
        }
        let secs = self.1.elapsed().as_secs_f64();
        let grown = |rate: Option<u64>| -> Reading<u64> {
            rate.map_or_else(Reading::default, |r| {
                Reading::Value((r as f64 * secs) as u64)
            })
        };
        let pcie = match (grown(m.pcie_tx_bytes_per_s), grown(m.pcie_rx_bytes_per_s)) {
            (Reading::Value(tx_bytes), Reading::Value(rx_bytes)) => {
                Reading::Value(PcieTraffic::Total { tx_bytes, rx_bytes })
            }
            _ => Reading::default(),
        };
        MonitorReadings {
            utilization_memory_pct: m
                .utilization_memory_pct
                .map_or_else(Reading::default, Reading::Value),
            memory: gpu.details.memory.clone(),
            pcie,
            nvlink_tx_bytes: grown(m.nvlink_tx_bytes_per_s),
            nvlink_rx_bytes: grown(m.nvlink_rx_bytes_per_s),
            processes: gpu.processes.clone(),
        }
    }

    fn nvlinks(&self, index: u32) -> Reading<Vec<NvLinkStatus>> {
        match self.read(index, "nvlinks") {
            Ok(gpu) => gpu.nvlinks.clone(),
            Err(e) => Reading::err(e),
        }
    }

    fn board_identity(&self, index: u32) -> super::types::BoardIdentity {
        match self.read(index, "board_identity") {
            Ok(gpu) => gpu.board.clone(),
            Err(e) => super::types::BoardIdentity::unreadable(e),
        }
    }

    fn fabric_info(&self, index: u32) -> Reading<super::types::FabricInfo> {
        match self.read(index, "fabric_info") {
            Ok(gpu) => gpu.fabric.clone(),
            Err(e) => Reading::err(e),
        }
    }

    fn p2p_link(&self, a: u32, b: u32) -> Result<super::p2p::PairLink, QueryError> {
        self.gpu(a, "p2p_link")?;
        self.gpu(b, "p2p_link")?;
        self.0.p2p.link(a, b)
    }

    fn energy_mj(&self, index: u32) -> Reading<u64> {
        let gpu = match self.read(index, "energy_mj") {
            Ok(g) => g,
            Err(e) => return Reading::err(e),
        };
        let secs = self.1.elapsed().as_secs_f64();
        gpu.monitor
            .energy_mj
            .map_or_else(Reading::default, |start| {
                let watts = gpu.telemetry.power_draw_w.get().unwrap_or(0.0);
                Reading::Value(start + (watts * secs * 1000.0) as u64)
            })
    }

    fn compute_processes(&self, index: u32) -> Reading<Vec<GpuProcess>> {
        match self.read(index, "compute_processes") {
            Ok(gpu) => gpu.processes.clone(),
            Err(e) => Reading::err(e),
        }
    }

    fn watch_xids(
        &self,
        indices: &[u32],
        window: Duration,
        _poll: Duration,
        stop: &AtomicBool,
        log: &XidLog,
    ) -> Result<(), QueryError> {
        xid::watch(self, indices, window, stop, log)
    }
}

// The trailing underscore keeps this type apart from the fixture's `SimCuda`.
#[allow(non_camel_case_types)]
struct SimCuda_(Arc<Fixture>);

impl CudaApi for SimCuda_ {
    fn driver_version(&self) -> Result<i32, QueryError> {
        self.0.cuda.maybe_hang("driver_version");
        self.0
            .cuda
            .cuda_driver_version
            .or(self.0.nvml.cuda_driver_version)
            .ok_or(QueryError::NotSupported)
    }

    fn devices(&self) -> Result<Vec<CudaDevice>, QueryError> {
        self.0.cuda.maybe_hang("devices");
        self.devices_now()
    }

    fn hold_context(&self, ordinal: u32) -> Result<super::ContextHold, QueryError> {
        self.gpu_of(ordinal, "hold_context")?;
        Ok(Box::new(()))
    }

    fn open(&self, ordinal: u32) -> Result<Box<dyn super::compute::Context>, QueryError> {
        let gpu = self.gpu_of(ordinal, "open")?;
        if let Ok(mut started) = self.0.memtest_started.lock() {
            started.push(gpu.uuid.clone());
        }
        let slot = self
            .0
            .gpus
            .iter()
            .position(|g| std::ptr::eq(g, gpu))
            .unwrap_or(0);
        let world = self.0.compute_world.get_or_init(|| {
            let specs = self.0.gpus.iter().map(|g| g.compute.clone()).collect();
            Arc::new(Mutex::new(super::compute::sim::World::new(specs)))
        });
        let c = gpu.cuda.as_ref();
        let props = super::compute::Props {
            ordinal,
            name: gpu.name.clone(),
            compute_capability: c.map_or((9, 0), |c| c.compute_capability),
            sm_count: gpu.compute.sm_count,
            l2_bytes: gpu.compute.l2_bytes,
            total_bytes: gpu.compute.memory_bytes,
        };
        Ok(Box::new(super::compute::sim::SimContext::open(
            Arc::clone(world),
            slot as u32,
            props,
        )))
    }

    fn cublaslt_available(&self) -> Result<(), String> {
        match &self.0.cublaslt_missing {
            Some(msg) => Err(msg.clone()),
            None => Ok(()),
        }
    }
}

impl SimCuda_ {
    fn devices_now(&self) -> Result<Vec<CudaDevice>, QueryError> {
        // (rank, pci order, device) for every device CUDA would enumerate.
        let mut all: Vec<(u32, usize, CudaDevice)> = Vec::new();
        for (pci_order, gpu) in self.0.gpus.iter().enumerate() {
            let Some(c) = gpu.cuda.as_ref().filter(|_| !gpu.lost) else {
                continue;
            };
            let bus = c
                .pci_bus_id
                .clone()
                .unwrap_or_else(|| cuda_style_pci(&gpu.pci_bus_id));
            let device = |uuid: &str| CudaDevice {
                ordinal: 0,
                name: gpu.name.clone(),
                uuid: uuid.to_string(),
                pci_bus_id: bus.clone(),
                compute_capability: c.compute_capability,
                sm_count: c.sm_count,
                total_memory_bytes: c.total_memory_bytes,
            };
            if c.mig_uuids.is_empty() {
                all.push((c.rank, pci_order, device(&gpu.uuid)));
            } else {
                for mig in &c.mig_uuids {
                    all.push((c.rank, pci_order, device(mig)));
                }
            }
        }
        match visible::DeviceOrder::from_env() {
            visible::DeviceOrder::FastestFirst => all.sort_by_key(|(rank, pci, _)| (*rank, *pci)),
            visible::DeviceOrder::PciBusId => all.sort_by_key(|(_, pci, _)| *pci),
        }
        let uuids: Vec<&str> = all.iter().map(|(_, _, d)| d.uuid.as_str()).collect();
        let picked = visible::apply(visible::visible_devices_env().as_deref(), &uuids);
        Ok(picked
            .into_iter()
            .enumerate()
            .map(|(ordinal, p)| CudaDevice {
                ordinal: ordinal as u32,
                ..all[p].2.clone()
            })
            .collect())
    }
}

impl SimCuda_ {
    /// The fixture GPU behind a CUDA ordinal (a MIG instance maps to its
    /// parent).
    fn gpu_of(&self, ordinal: u32, call: &str) -> Result<&SimGpu, QueryError> {
        let devices = self.devices_now()?;
        let device = devices
            .get(ordinal as usize)
            .ok_or_else(|| QueryError::Failed(format!("no CUDA device {ordinal}")))?;
        let gpu = self
            .0
            .gpus
            .iter()
            .find(|g| {
                g.uuid == device.uuid
                    || g.cuda
                        .as_ref()
                        .is_some_and(|c| c.mig_uuids.contains(&device.uuid))
            })
            .ok_or_else(|| QueryError::Failed("simulated device vanished".into()))?;
        if let Some(c) = &gpu.cuda {
            if hangs(c.hang_ms, &c.hang_calls, call) {
                std::thread::sleep(Duration::from_millis(c.hang_ms));
            }
        }
        Ok(gpu)
    }
}

/// `00000000:18:00.0` → `0000:18:00.0`, as cuDeviceGetPCIBusId prints it.
fn cuda_style_pci(nvml: &str) -> String {
    match nvml.split_once(':') {
        Some((domain, rest)) if domain.len() > 4 => {
            format!("{}:{rest}", &domain[domain.len() - 4..])
        }
        _ => nvml.to_string(),
    }
}
