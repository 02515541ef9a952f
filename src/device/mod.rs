//! The device layer: one way for every command to find GPUs and talk to them.
//!
//! Two driver libraries sit behind two traits: [`NvmlApi`] (management:
//! identity, telemetry, error counters, events) and [`CudaApi`] (compute:
//! enumeration as applications see it, self-test kernel, GEMM burn). Each has
//! a real implementation that loads the library at run time and a simulated
//! one driven by a fixture file (`GPUCTL_SIMULATE=path`), so every command runs
//! end to end on a machine with no GPU. [`inventory`] joins the two views by
//! PCI bus id / UUID; [`select`] resolves `-i/--gpu`.

pub mod burn;
pub mod cuda;
mod cuda_burn;
pub mod inventory;
pub mod kernel_log;
pub mod monitor;
pub mod nvml;
pub mod select;
pub mod sim;
pub mod types;
pub mod visible;

use crate::error::AppError;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub use inventory::{Gpu, Inventory};
pub use types::*;

/// Environment variable naming a fixture that replaces the real libraries.
pub const SIMULATE_ENV: &str = "GPUCTL_SIMULATE";

/// The management library (NVML), real or simulated.
pub trait NvmlApi: Send + Sync {
    /// Driver version string, e.g. `580.159.04`.
    fn driver_version(&self) -> Result<String, QueryError>;
    /// Highest CUDA version the driver supports, e.g. 13000 for 13.0.
    fn cuda_driver_version(&self) -> Result<i32, QueryError>;
    fn device_count(&self) -> Result<u32, QueryError>;
    /// Name, UUID and PCI bus id; `GpuLost` when the GPU fell off the bus.
    fn identity(&self, index: u32) -> Result<NvmlIdentity, QueryError>;
    /// Everything `list` shows; each field read independently.
    fn details(&self, index: u32) -> NvmlDetails;
    /// Only the slowdown and shutdown thresholds: cheap, for `probe`.
    fn temperature_thresholds(&self, index: u32) -> TemperatureThresholds;
    fn telemetry(&self, index: u32) -> Telemetry;
    /// GPU core temperature alone: cheap, for `probe`.
    fn temperature_gpu(&self, index: u32) -> Reading<u32> {
        self.telemetry(index).temperature_gpu_c
    }
    /// Volatile uncorrectable ECC errors and the row-remap state: what
    /// `probe` judges, in as few driver calls as the backend can manage.
    fn probe_counters(&self, index: u32) -> (Reading<u64>, Reading<RowRemap>) {
        let counters = self.error_counters(index);
        (
            counters.ecc_volatile.map(|e| e.uncorrected),
            counters.row_remap,
        )
    }
    /// The slowdown threshold alone: cheap, for `probe`.
    fn slowdown_threshold(&self, index: u32) -> Reading<u32> {
        self.temperature_thresholds(index).slowdown_c
    }
    /// ECC, row remapping, retired pages, PCIe replays (not NVLink).
    fn error_counters(&self, index: u32) -> ErrorCounters;
    /// What only `monitor` reads (energy, byte counters, processes);
    /// every field not supported unless a backend says otherwise.
    fn monitor_readings(&self, _index: u32) -> monitor::MonitorReadings {
        monitor::MonitorReadings::default()
    }
    /// Per-link NVLink state; `NotSupported` on a PCIe-only GPU.
    fn nvlinks(&self, index: u32) -> Reading<Vec<NvLinkStatus>>;
    /// XID events on these GPUs seen during `window` (from registration
    /// on), returning early once `stop` is set.
    fn watch_xids(
        &self,
        indices: &[u32],
        window: Duration,
        stop: &AtomicBool,
    ) -> Result<Vec<XidEvent>, QueryError>;
}

/// The compute library (CUDA driver API), real or simulated.
pub trait CudaApi: Send + Sync {
    /// `cuDriverGetVersion`, e.g. 13000.
    fn driver_version(&self) -> Result<i32, QueryError>;
    /// Devices as this process sees them, after `CUDA_VISIBLE_DEVICES` and
    /// `CUDA_DEVICE_ORDER`; empty (not an error) when none is visible.
    fn devices(&self) -> Result<Vec<CudaDevice>, QueryError>;
    /// Creates a context on `ordinal`, runs the self-test kernel and checks
    /// every element against the host reference, then keeps the GPU busy
    /// for `busy` so callers can sample it under load.
    fn self_test(&self, ordinal: u32, busy: Duration) -> Result<SelfTestOutcome, QueryError>;
    /// Whether cuBLASLt can be loaded here; the error says why not.
    fn cublaslt_available(&self) -> Result<(), String>;
    /// Sets up a GEMM burn on `ordinal`: context, operands, reference
    /// product and result buffers.
    fn start_burn(
        &self,
        ordinal: u32,
        config: &burn::BurnConfig,
    ) -> Result<Box<dyn burn::BurnWorker>, QueryError>;
}

/// Real or simulated libraries, each opened on first use so that a command
/// that needs only NVML never pays for CUDA start-up.
pub struct Backend {
    source: Source,
    nvml: OnceLock<Result<Arc<dyn NvmlApi>, String>>,
    cuda: OnceLock<Result<Arc<dyn CudaApi>, String>>,
}

enum Source {
    Real,
    Simulated(Arc<sim::Fixture>),
}

impl Backend {
    /// The real libraries, or the fixture named by `GPUCTL_SIMULATE`.
    pub fn from_env() -> Result<Self, AppError> {
        let source = match std::env::var_os(SIMULATE_ENV) {
            Some(path) if !path.is_empty() => {
                Source::Simulated(Arc::new(sim::Fixture::load(std::path::Path::new(&path))?))
            }
            _ => Source::Real,
        };
        Ok(Self {
            source,
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
            Source::Simulated(f) => f
                .kernel_log
                .clone()
                .map(|lines| kernel_log::xids_from_lines(&lines)),
        }
    }

    /// NVML, or why it could not be opened (the message names the library).
    pub fn nvml(&self) -> Result<&Arc<dyn NvmlApi>, &str> {
        self.nvml
            .get_or_init(|| match &self.source {
                Source::Real => nvml::open(),
                Source::Simulated(f) => sim::open_nvml(f),
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// The CUDA driver, or why it could not be opened.
    pub fn cuda(&self) -> Result<&Arc<dyn CudaApi>, &str> {
        self.cuda
            .get_or_init(|| match &self.source {
                Source::Real => cuda::open(),
                Source::Simulated(f) => sim::open_cuda(f),
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
