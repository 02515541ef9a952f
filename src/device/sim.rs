//! The simulated backend: GPUs, telemetry and injected faults read from a
//! JSON fixture named by `GPUCTL_SIMULATE`, so every command runs end to end
//! in tests on a machine with no GPU.
//!
//! The fixture lists GPUs in NVML (PCI) order. The simulated CUDA driver
//! orders them by `cuda.rank` (fastest first) or PCI order, then applies
//! `CUDA_VISIBLE_DEVICES` as the real driver does, so the inventory's join is
//! exercised for real. See `tests/fixtures/` for examples.

use super::types::*;
use super::{visible, CudaApi, NvmlApi};
use crate::error::AppError;
use serde::Deserialize;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
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
    /// When set, cuBLASLt "fails to load" with this message.
    #[serde(default)]
    pub cublaslt_missing: Option<String>,
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
    /// XIDs delivered as NVML events during a watch.
    #[serde(default)]
    pub xid_events: Vec<u64>,
    #[serde(default)]
    pub self_test: SimSelfTest,
    #[serde(default)]
    pub burn: SimBurn,
    /// What `monitor` reads beyond telemetry and error counters.
    #[serde(default)]
    pub monitor: SimMonitor,
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
    pub processes: Vec<super::monitor::GpuProcess>,
    /// These reads block this long (a hung driver) without slowing
    /// enumeration, so a monitor test can hang one GPU mid-run.
    pub hang_ms: u64,
    /// The first this many `monitor` reads fail (then the GPU recovers),
    /// to drive the circuit breaker.
    pub fail_first: u64,
}

/// How a simulated GPU behaves under `burn`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimBurn {
    /// Throughput of the products.
    pub tflops: f64,
    /// Wall time of one batch.
    pub batch_ms: u64,
    /// This batch (0-based) returns one wrong product.
    pub mismatch_at_batch: Option<u64>,
    /// This batch fails with a CUDA error.
    pub error_at_batch: Option<u64>,
    /// Set-up fails with this message.
    pub start_error: Option<String>,
    /// Reference checksum (GPUs of one model agree unless a fixture says not).
    pub checksum: u64,
    /// Set-up takes this long (context, operands, reference product).
    pub setup_ms: u64,
    /// This batch panics (a bug in a worker must never pass or hang).
    pub panic_at_batch: Option<u64>,
    /// This batch never returns (a hung driver call).
    pub hang_at_batch: Option<u64>,
}

impl Default for SimBurn {
    fn default() -> Self {
        Self {
            tflops: 700.0,
            batch_ms: 100,
            mismatch_at_batch: None,
            error_at_batch: None,
            start_error: None,
            checksum: 0x0123_4567_89ab_cdef,
            setup_ms: 0,
            panic_at_batch: None,
            hang_at_batch: None,
        }
    }
}

/// A simulated burn worker: sleeps like a batch, reports the fixture's rate
/// and faults.
struct SimBurnWorker {
    setup: super::burn::BurnSetup,
    spec: SimBurn,
    inject_at: Option<u64>,
    batch: u64,
}

impl super::burn::BurnWorker for SimBurnWorker {
    fn setup(&self) -> &super::burn::BurnSetup {
        &self.setup
    }

    fn reference_checksum(&self) -> u64 {
        self.spec.checksum
    }

    fn run_batch(&mut self) -> Result<super::burn::BatchResult, String> {
        let this = self.batch;
        self.batch += 1;
        let seconds = self.spec.batch_ms as f64 / 1000.0;
        std::thread::sleep(Duration::from_millis(self.spec.batch_ms));
        if self.spec.panic_at_batch == Some(this) {
            panic!("simulated worker bug in batch {this}");
        }
        if self.spec.hang_at_batch == Some(this) {
            std::thread::sleep(Duration::from_secs(3600));
        }
        if self.spec.error_at_batch == Some(this) {
            return Err(format!("batch {this}: CUDA_ERROR_ILLEGAL_ADDRESS (700)"));
        }
        let wrong =
            u64::from(self.spec.mismatch_at_batch == Some(this) || self.inject_at == Some(this));
        let n = f64::from(self.setup.matrix_size);
        let flop_per_product = 2.0 * n * n * n;
        // Whole products that fit the batch at the fixture's rate; the batch
        // never takes less time than its products (verification is extra).
        let products = ((self.spec.tflops * 1e12 * seconds) / flop_per_product)
            .floor()
            .max(1.0) as u64;
        let gemm_seconds = products as f64 * flop_per_product / (self.spec.tflops * 1e12);
        Ok(super::burn::BatchResult {
            products,
            flops: products as f64 * flop_per_product,
            gemm_seconds,
            batch_seconds: seconds.max(gemm_seconds / 0.98),
            mismatched_products: wrong,
            mismatched_elements: wrong,
        })
    }
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
}

/// Faults for the compute self-test.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSelfTest {
    /// Elements the kernel gets wrong.
    #[serde(default)]
    pub mismatches: u64,
    /// The test fails with this CUDA error.
    #[serde(default)]
    pub error: Option<String>,
    /// The kernel never finishes (sleeps this long).
    #[serde(default)]
    pub hang_ms: u64,
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
    match &fixture.cuda.missing {
        Some(msg) => Err(msg.clone()),
        None => Ok(Arc::new(SimCuda_(fixture.clone()))),
    }
}

struct SimNvml(Arc<Fixture>, Instant, Vec<std::sync::atomic::AtomicU64>);

impl SimNvml {
    /// The GPU at `index`, after any injected hang; `GpuLost` if it fell off.
    fn gpu(&self, index: u32) -> Result<&SimGpu, QueryError> {
        let gpu = self
            .0
            .gpus
            .get(index as usize)
            .ok_or_else(|| QueryError::Failed(format!("no GPU at NVML index {index}")))?;
        if gpu.hang_ms > 0 {
            std::thread::sleep(Duration::from_millis(gpu.hang_ms));
        }
        if gpu.lost {
            return Err(QueryError::GpuLost);
        }
        Ok(gpu)
    }
}

impl NvmlApi for SimNvml {
    fn driver_version(&self) -> Result<String, QueryError> {
        self.0
            .nvml
            .driver_version
            .clone()
            .ok_or(QueryError::NotSupported)
    }

    fn cuda_driver_version(&self) -> Result<i32, QueryError> {
        self.0
            .nvml
            .cuda_driver_version
            .ok_or(QueryError::NotSupported)
    }

    fn device_count(&self) -> Result<u32, QueryError> {
        Ok(self.0.gpus.len() as u32)
    }

    fn identity(&self, index: u32) -> Result<NvmlIdentity, QueryError> {
        let gpu = self.gpu(index)?;
        Ok(NvmlIdentity {
            index,
            name: gpu.name.clone(),
            uuid: gpu.uuid.clone(),
            pci_bus_id: gpu.pci_bus_id.clone(),
        })
    }

    fn details(&self, index: u32) -> NvmlDetails {
        match self.gpu(index) {
            Ok(gpu) => gpu.details.clone(),
            Err(e) => lost_details(e),
        }
    }

    fn temperature_thresholds(&self, index: u32) -> TemperatureThresholds {
        match self.gpu(index) {
            Ok(gpu) => gpu.details.temperature_thresholds.clone(),
            Err(e) => TemperatureThresholds {
                slowdown_c: Reading::err(e.clone()),
                shutdown_c: Reading::err(e.clone()),
                gpu_max_c: Reading::err(e.clone()),
                memory_max_c: Reading::err(e),
            },
        }
    }

    fn telemetry(&self, index: u32) -> Telemetry {
        match self.gpu(index) {
            Ok(gpu) => gpu.telemetry.clone(),
            Err(e) => Telemetry {
                temperature_gpu_c: Reading::err(e.clone()),
                power_draw_w: Reading::err(e),
                ..Telemetry::default()
            },
        }
    }

    fn error_counters(&self, index: u32) -> ErrorCounters {
        match self.gpu(index) {
            Ok(gpu) => gpu.errors.clone(),
            Err(e) => ErrorCounters {
                ecc_volatile: Reading::err(e.clone()),
                row_remap: Reading::err(e),
                ..ErrorCounters::default()
            },
        }
    }

    fn monitor_readings(&self, index: u32) -> super::monitor::MonitorReadings {
        use super::monitor::{MonitorReadings, PcieTraffic};
        let gpu = match self.gpu(index) {
            Ok(g) => g,
            Err(e) => return MonitorReadings::failed(&e),
        };
        let m = &gpu.monitor;
        if m.hang_ms > 0 {
            std::thread::sleep(Duration::from_millis(m.hang_ms));
        }
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
        let energy = m.energy_mj.map_or_else(Reading::default, |start| {
            let watts = gpu.telemetry.power_draw_w.get().unwrap_or(0.0);
            Reading::Value(start + (watts * secs * 1000.0) as u64)
        });
        let pcie = match (grown(m.pcie_tx_bytes_per_s), grown(m.pcie_rx_bytes_per_s)) {
            (Reading::Value(tx_bytes), Reading::Value(rx_bytes)) => {
                Reading::Value(PcieTraffic::Total { tx_bytes, rx_bytes })
            }
            _ => Reading::default(),
        };
        MonitorReadings {
            energy_mj: energy,
            utilization_memory_pct: m
                .utilization_memory_pct
                .map_or_else(Reading::default, Reading::Value),
            memory: gpu.details.memory.clone(),
            pcie,
            nvlink_tx_bytes: grown(m.nvlink_tx_bytes_per_s),
            nvlink_rx_bytes: grown(m.nvlink_rx_bytes_per_s),
            processes: Reading::Value(m.processes.clone()),
        }
    }

    fn nvlinks(&self, index: u32) -> Reading<Vec<NvLinkStatus>> {
        match self.gpu(index) {
            Ok(gpu) => gpu.nvlinks.clone(),
            Err(e) => Reading::err(e),
        }
    }

    fn watch_xids(
        &self,
        indices: &[u32],
        window: Duration,
        stop: &AtomicBool,
    ) -> Result<Vec<XidEvent>, QueryError> {
        // Events arrive at once; the watch still lasts its window (or until
        // stopped) so commands are timed as on real hardware.
        let start = Instant::now();
        while start.elapsed() < window && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(5).min(window));
        }
        let mut events = Vec::new();
        for &index in indices {
            let gpu = self.gpu(index)?;
            events.extend(gpu.xid_events.iter().map(|&xid| XidEvent {
                gpu_index: Some(index),
                pci_bus_id: Some(gpu.pci_bus_id.clone()),
                xid,
                source: "nvml_event".into(),
                detail: String::new(),
            }));
        }
        Ok(events)
    }
}

fn lost_details(e: QueryError) -> NvmlDetails {
    NvmlDetails {
        memory: Reading::err(e.clone()),
        serial: Reading::err(e),
        ..Default::default()
    }
}

// The trailing underscore keeps this type apart from the fixture's `SimCuda`.
#[allow(non_camel_case_types)]
struct SimCuda_(Arc<Fixture>);

impl CudaApi for SimCuda_ {
    fn driver_version(&self) -> Result<i32, QueryError> {
        self.0
            .cuda
            .cuda_driver_version
            .or(self.0.nvml.cuda_driver_version)
            .ok_or(QueryError::NotSupported)
    }

    fn devices(&self) -> Result<Vec<CudaDevice>, QueryError> {
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

    fn self_test(&self, ordinal: u32, busy: Duration) -> Result<SelfTestOutcome, QueryError> {
        let gpu = self.gpu_of(ordinal)?;
        let t = &gpu.self_test;
        if t.hang_ms > 0 {
            std::thread::sleep(Duration::from_millis(t.hang_ms));
        }
        if let Some(e) = &t.error {
            return Err(QueryError::Failed(e.clone()));
        }
        std::thread::sleep(busy);
        Ok(SelfTestOutcome {
            mismatches: t.mismatches,
            checked: 270_336,
            kernel_ms: 0.5,
            total_ms: 250.0,
        })
    }

    fn cublaslt_available(&self) -> Result<(), String> {
        match &self.0.cublaslt_missing {
            Some(msg) => Err(msg.clone()),
            None => Ok(()),
        }
    }

    fn start_burn(
        &self,
        ordinal: u32,
        config: &super::burn::BurnConfig,
    ) -> Result<Box<dyn super::burn::BurnWorker>, QueryError> {
        let gpu = self.gpu_of(ordinal)?;
        std::thread::sleep(Duration::from_millis(gpu.burn.setup_ms));
        if let Some(e) = &gpu.burn.start_error {
            return Err(QueryError::Failed(e.clone()));
        }
        let detail = match config.engine {
            super::burn::Engine::Cublas => "simulated cuBLASLt",
            super::burn::Engine::Builtin => "simulated built-in kernel",
        };
        Ok(Box::new(SimBurnWorker {
            setup: super::burn::BurnSetup {
                engine: config.engine,
                dtype: config.dtype,
                matrix_size: 8192,
                result_buffers: 16,
                memory_bytes: 16 << 30,
                detail: detail.into(),
            },
            spec: gpu.burn.clone(),
            inject_at: config.inject_fault_at_batch,
            batch: 0,
        }))
    }
}

impl SimCuda_ {
    /// The fixture GPU behind a CUDA ordinal (a MIG instance maps to its
    /// parent).
    fn gpu_of(&self, ordinal: u32) -> Result<&SimGpu, QueryError> {
        let devices = self.devices()?;
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
