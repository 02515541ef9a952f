//! The device layer: one way for every command to find GPUs and talk to them.
//!
//! Two driver libraries sit behind two traits: [`NvmlApi`] (management:
//! identity, telemetry, error counters, events) and [`CudaApi`] (compute:
//! enumeration as applications see it, the GPU as capabilities for the
//! workloads). Each has
//! a real implementation that loads the library at run time and a simulated
//! one driven by a fixture file (`GPUCTL_SIMULATE=path`), so every command runs
//! end to end on a machine with no GPU. [`inventory`] joins the two views by
//! PCI bus id / UUID; [`select`] resolves `-i/--gpu`. [`bounded`] puts a
//! deadline on every driver call, installed here once for every command.

pub mod bench;
pub mod bench_pattern;
mod board_report;
pub mod bounded;
pub mod burn;
pub mod burn_engine;
pub mod compute;
pub mod cublaslt;
pub mod cuda;
pub mod cuerr;
pub mod devbuf;
pub mod inventory;
pub mod kernel_log;
pub mod memtest;
pub mod memtest_ref;
pub mod mix;
pub mod monitor;
pub mod nvml;
mod nvml_board;
mod nvml_fabric;
mod nvml_fields;
pub mod p2p;
pub mod select;
pub mod sim;
pub mod sim_p2p;
pub mod types;
pub mod visible;
pub mod xid_log;

use crate::error::AppError;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub use inventory::{Gpu, Inventory};
pub use types::*;
pub use xid_log::{XidLog, XidSeen};

pub use crate::model::gpu::{simulated, SIMULATE_ENV};

/// The `index`-th NVIDIA display/3D controller under `root` (a
/// `/sys/bus/pci/devices` directory) in PCI order, in NVML's form; `None`
/// unless the OS lists exactly `count` of them (then the orders agree).
pub fn os_pci_bus_id(root: &std::path::Path, index: u32, count: u32) -> Option<String> {
    let read = |dir: &std::path::Path, f: &str| std::fs::read_to_string(dir.join(f)).ok();
    let mut ids: Vec<String> = std::fs::read_dir(root)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| {
            let dir = e.path();
            let vendor = read(&dir, "vendor").unwrap_or_default();
            let class = read(&dir, "class").unwrap_or_default();
            // 0x0300xx VGA, 0x0302xx 3D controller: GPUs, not NVSwitches
            // or audio functions.
            vendor.trim() == "0x10de"
                && (class.starts_with("0x0300") || class.starts_with("0x0302"))
        })
        .filter_map(|e| inventory::nvml_pci_form(&e.file_name().to_string_lossy()))
        .collect();
    ids.sort();
    (ids.len() == count as usize)
        .then(|| ids.into_iter().nth(index as usize))
        .flatten()
}

/// The management library (NVML), real or simulated.
/// The XID watch's wait slice for commands that end soon after a stop
/// (health, burn, memtest): the answer is due within this after the stop.
pub const XID_POLL_SHORT: Duration = Duration::from_millis(10);

pub trait NvmlApi: Send + Sync {
    /// Driver version string, e.g. `580.159.04`.
    fn driver_version(&self) -> Result<String, QueryError>;
    /// Highest CUDA version the driver supports, e.g. 13000 for 13.0.
    fn cuda_driver_version(&self) -> Result<i32, QueryError>;
    fn device_count(&self) -> Result<u32, QueryError>;
    /// Name, UUID and PCI bus id; `GpuLost` when the GPU fell off the bus.
    fn identity(&self, index: u32) -> Result<NvmlIdentity, QueryError>;
    /// The PCI bus id of a GPU NVML cannot reach, from the operating
    /// system's PCI device list (NVML numbers GPUs in PCI order).
    fn lost_pci_bus_id(&self, index: u32) -> Option<String> {
        let count = self.device_count().ok()?;
        os_pci_bus_id(std::path::Path::new("/sys/bus/pci/devices"), index, count)
    }
    /// Everything `list` shows; each field read independently.
    fn details(&self, index: u32) -> NvmlDetails;
    /// Only the slowdown and shutdown thresholds: cheap, for `probe`.
    fn temperature_thresholds(&self, index: u32) -> TemperatureThresholds;
    fn telemetry(&self, index: u32) -> Telemetry;
    /// GPU core temperature alone: cheap, for `probe`.
    fn temperature_gpu(&self, index: u32) -> Reading<u32> {
        self.telemetry(index).temperature_gpu_c
    }
    /// Everything `probe` judges on one GPU (volatile uncorrectable ECC,
    /// row remapping, temperature and its slowdown threshold), read one
    /// after another right after one handle fetch, in as few driver calls
    /// as the backend can manage. No default: a wrapper (`bounded`) that
    /// forgot to forward it would fail every probe.
    fn probe_readings(&self, index: u32) -> types::ProbeReadings;
    /// The slowdown threshold alone: cheap, for `probe`.
    fn slowdown_threshold(&self, index: u32) -> Reading<u32> {
        self.temperature_thresholds(index).slowdown_c
    }
    /// ECC, row remapping, retired pages, PCIe replays (not NVLink).
    fn error_counters(&self, index: u32) -> ErrorCounters;
    /// What only `monitor` reads (energy, byte counters, processes). No
    /// default: a wrapper (`bounded`) that forgot to forward it would answer
    /// "not supported" for every field on every run.
    fn monitor_readings(&self, index: u32) -> monitor::MonitorReadings;
    /// Energy since the driver loaded, millijoules (Volta and later). Apart
    /// from `monitor_readings` because it is the dearest read by far (6-9 ms
    /// of CPU on an H100, against well under 1 ms for the rest of a sample):
    /// `monitor` reads it at its own, slower cadence. No default, for the
    /// reason `compute_processes` has none.
    fn energy_mj(&self, index: u32) -> Reading<u64>;
    /// Per-link NVLink state; `NotSupported` on a PCIe-only GPU.
    fn nvlinks(&self, index: u32) -> Reading<Vec<NvLinkStatus>>;
    /// Processes holding memory on this GPU (NVML's running compute
    /// processes): who to blame when an allocation runs out of memory.
    /// No default: a wrapper (`bounded`) that forgot to forward it would
    /// silently lose the answer.
    fn compute_processes(&self, index: u32) -> Reading<Vec<GpuProcess>>;
    /// XID events on these GPUs seen during `window` (from registration
    /// on), returning early once `stop` is set. `poll` is the longest single
    /// wait on the driver: how soon a stop is noticed, against how often the
    /// driver is asked (short commands use [`XID_POLL_SHORT`]; `monitor`
    /// waits its whole window in one call, which costs no CPU).
    ///
    /// Lossless: each event goes into `log` as it arrives, and a GPU that
    /// cannot be watched is recorded there ([`XidLog::unwatched`]) while the
    /// others still are. `Err` means the watch ended early: the events seen
    /// until then stay in `log`.
    fn watch_xids(
        &self,
        indices: &[u32],
        window: Duration,
        poll: Duration,
        stop: &AtomicBool,
        log: &XidLog,
    ) -> Result<(), QueryError>;
    /// How GPU `a` reaches GPU `b` (NVML indices): NVLink with its active
    /// links, NVSwitch, or the PCIe path. No default, for the reason
    /// `compute_processes` has none.
    fn p2p_link(&self, a: u32, b: u32) -> Result<p2p::PairLink, QueryError>;
    /// Registration with the NVSwitch fabric (`diag`); `NotSupported` where
    /// there is no fabric. No default, for the reason `compute_processes`
    /// has none.
    fn fabric_info(&self, index: u32) -> Reading<types::FabricInfo>;
    /// VBIOS, InfoROM, board part number and PCI ids (`list`, the RMA
    /// bundle). No default, for the reason `compute_processes` has none.
    fn board_identity(&self, index: u32) -> types::BoardIdentity;
}

/// [`NvmlApi::probe_readings`] composed from the general reads, for a
/// backend whose reads cost nothing (the simulator): fixtures that hang or
/// fail `error_counters`, `telemetry` or `temperature_thresholds` then
/// reach the probe as they reach every other command.
pub fn probe_readings_from(api: &dyn NvmlApi, index: u32) -> ProbeReadings {
    let counters = api.error_counters(index);
    ProbeReadings {
        ecc_volatile_uncorrected: counters.ecc_volatile.map(|e| e.uncorrected),
        row_remap: counters.row_remap,
        temperature_gpu_c: api.temperature_gpu(index),
        slowdown_c: api.slowdown_threshold(index),
    }
}

/// A retained context ([`CudaApi::hold_context`]); released on drop.
pub type ContextHold = Box<dyn std::any::Any + Send>;

/// The compute library (CUDA driver API), real or simulated.
pub trait CudaApi: Send + Sync {
    /// `cuDriverGetVersion`, e.g. 13000.
    fn driver_version(&self) -> Result<i32, QueryError>;
    /// Devices as this process sees them, after `CUDA_VISIBLE_DEVICES` and
    /// `CUDA_DEVICE_ORDER`; empty (not an error) when none is visible.
    fn devices(&self) -> Result<Vec<CudaDevice>, QueryError>;
    /// Retains `ordinal`'s primary context until the returned hold drops.
    /// Work that opens the context more than once in a row (health: the
    /// self-test, then the GEMM) holds it across: otherwise the context is
    /// destroyed and made again in between, 100-200 ms per GPU that the
    /// driver serializes across GPUs. No default: a wrapper (`bounded`)
    /// that forgot to forward it would silently drop the hold.
    fn hold_context(&self, ordinal: u32) -> Result<ContextHold, QueryError>;
    /// Opens `ordinal` as capabilities ([`compute::Context`]): what every
    /// workload runs on.
    fn open(&self, ordinal: u32) -> Result<Box<dyn compute::Context>, QueryError>;
    /// Whether cuBLASLt can be loaded here; the error says why not.
    fn cublaslt_available(&self) -> Result<(), String>;
}

/// Real or simulated libraries, each opened on first use so that a command
/// that needs only NVML never pays for CUDA start-up, and each wrapped in
/// [`bounded`] so that no driver call can hang a command.
pub struct Backend {
    source: Source,
    call_timeout: Duration,
    nvml: OnceLock<Result<Arc<dyn NvmlApi>, String>>,
    cuda: OnceLock<Result<Arc<dyn CudaApi>, String>>,
}

enum Source {
    Real,
    Simulated(Arc<sim::Fixture>),
}

impl Backend {
    /// The real libraries, or the fixture named by `GPUCTL_SIMULATE`, with
    /// the default bound on each driver call.
    pub fn from_env() -> Result<Self, AppError> {
        Self::from_env_bounded(bounded::DEFAULT_CALL_TIMEOUT)
    }

    /// As [`Backend::from_env`], each driver call bounded by `call_timeout`.
    pub fn from_env_bounded(call_timeout: Duration) -> Result<Self, AppError> {
        let source = match std::env::var_os(SIMULATE_ENV) {
            Some(path) if !path.is_empty() => {
                Source::Simulated(Arc::new(sim::Fixture::load(std::path::Path::new(&path))?))
            }
            _ => Source::Real,
        };
        Ok(Self {
            source,
            call_timeout,
            nvml: OnceLock::new(),
            cuda: OnceLock::new(),
        })
    }

    pub fn is_simulated(&self) -> bool {
        matches!(self.source, Source::Simulated(_))
    }

    /// XID lines from the kernel log within `since` (the fixture's lines
    /// when simulated); unreadable logs say why.
    pub fn kernel_log_xids(&self, since: Duration) -> Reading<Vec<XidEvent>> {
        match &self.source {
            Source::Real => kernel_log::read_kernel_xids(since),
            Source::Simulated(f) => f.kernel_log.clone().map(|lines| {
                let lines = if f.kernel_log_host_clock {
                    kernel_log::lines_within(&lines, since)
                } else {
                    lines
                };
                kernel_log::xids_from_lines(&lines)
            }),
        }
    }

    /// NVML, or why it could not be opened (the message names the library).
    pub fn nvml(&self) -> Result<&Arc<dyn NvmlApi>, &str> {
        self.nvml
            .get_or_init(|| {
                let opened = match &self.source {
                    Source::Real => bounded::open("NVML", self.call_timeout, nvml::open),
                    Source::Simulated(f) => {
                        let f = f.clone();
                        bounded::open("NVML", self.call_timeout, move || sim::open_nvml(&f))
                    }
                };
                opened.map(|api| {
                    Arc::new(bounded::BoundedNvml::new(api, self.call_timeout)) as Arc<dyn NvmlApi>
                })
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// The bound on one driver call.
    pub fn call_timeout(&self) -> Duration {
        self.call_timeout
    }

    /// The CUDA driver, or why it could not be opened.
    pub fn cuda(&self) -> Result<&Arc<dyn CudaApi>, &str> {
        self.cuda
            .get_or_init(|| {
                let opened = match &self.source {
                    Source::Real => bounded::open("the CUDA driver", self.call_timeout, cuda::open),
                    Source::Simulated(f) => {
                        let f = f.clone();
                        bounded::open("the CUDA driver", self.call_timeout, move || {
                            sim::open_cuda(&f)
                        })
                    }
                };
                opened.map(|api| {
                    Arc::new(bounded::BoundedCuda::new(api, self.call_timeout)) as Arc<dyn CudaApi>
                })
            })
            .as_ref()
            .map_err(String::as_str)
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        // NVML shutdown and CUDA context teardown cost milliseconds, and the
        // process exits right after a command; the OS releases both. Burn
        // workers free their GPU memory themselves when dropped.
        std::mem::forget(std::mem::take(&mut self.nvml));
        std::mem::forget(std::mem::take(&mut self.cuda));
    }
}

/// The message for a host where neither library loads.
pub fn no_driver_message(nvml_error: &str, cuda_error: &str) -> String {
    format!(
        "no NVIDIA driver found: {nvml_error}; {cuda_error}. Install the NVIDIA driver, or in a \
         container run with `--gpus all` and NVIDIA_DRIVER_CAPABILITIES=compute,utility"
    )
}
