//! The report sections that belong to one command's work (what `burn`,
//! `bench`, `memtest`, `p2p` and `monitor` measured): data only, part of
//! the JSON contract, re-exported from [`super`]. They live in the report
//! layer, not beside their commands, because lower layers build them too
//! (the burn checks read a `BurnSummary`) and the report may not import a
//! command. How each is drawn as a table lives with its command
//! (`commands::<name>::render`).

use super::{burn_stream, Check, CheckStatus};
use schemars::JsonSchema;
use serde::Serialize;

/// What `monitor` saw on one GPU over the whole run: running figures only,
/// so a run of weeks holds constant memory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct MonitorSummary {
    pub seconds: f64,
    /// Intervals in which the GPU was read successfully / not.
    pub samples: u64,
    pub failed_samples: u64,
    /// Times the GPU went from up to down.
    pub down_events: u64,
    /// Up at the last interval.
    pub up: bool,
    /// The probe's checks passed at the last interval.
    pub healthy: bool,
    pub last_error: Option<String>,
    pub power_avg_w: Option<f64>,
    pub power_peak_w: Option<f64>,
    /// Which NVML power reading the power figures come from: `instant`
    /// where every sample had the instantaneous field, else `average`.
    pub power_source: Option<crate::model::gpu::PowerSource>,
    /// Energy consumed during the run (from the driver's counter).
    pub energy_j: Option<f64>,
    pub temperature_gpu_peak_c: Option<u32>,
    pub temperature_memory_peak_c: Option<u32>,
    pub sm_clock_min_mhz: Option<u32>,
    pub utilization_gpu_avg_pct: Option<f64>,
    /// XIDs seen during the run (count, and the last few codes).
    pub xid_count: u64,
    pub xids: Vec<u64>,
    /// Cost of one full sample of this GPU, milliseconds.
    pub read_ms_avg: Option<f64>,
    pub read_ms_max: Option<f64>,
}

/// What `bench` measured on one GPU.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct BenchSummary {
    /// GEMM engine: `cublas` or `builtin`.
    pub engine: Option<String>,
    /// Buffer sizes and launch shape of the bandwidth kernels.
    pub detail: Option<String>,
    pub results: Vec<BenchResult>,
}

/// One metric on one GPU: every repetition and how it was judged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct BenchResult {
    pub metric: String,
    /// A GEMM metric's regime: `burst` (after idle, boost clock) or
    /// `sustained` (back to back, at the power cap); null for the others.
    pub regime: Option<crate::model::metric::Regime>,
    pub unit: String,
    pub higher_is_better: bool,
    /// Median of the repetitions.
    pub value: f64,
    pub min: f64,
    pub max: f64,
    /// (max - min) / median, percent.
    pub spread_pct: f64,
    pub repetitions: u32,
    /// Every repetition, in `unit`.
    pub samples: Vec<f64>,
    /// Engine, library version or kernel for this metric.
    pub detail: Option<String>,
    /// Telemetry while it ran (null when NVML could not read it).
    pub sm_clock_min_mhz: Option<u32>,
    pub sm_clock_max_mhz: Option<u32>,
    pub memory_clock_min_mhz: Option<u32>,
    pub power_max_w: Option<f64>,
    /// Which NVML power reading the power figures come from: `instant`
    /// where every sample had the instantaneous field, else `average`.
    pub power_source: Option<crate::model::gpu::PowerSource>,
    pub temperature_max_c: Option<u32>,
    /// Clock event reasons active during the measurement.
    pub clock_events: Vec<String>,
    /// A slowdown (power cap, thermal, hardware) was active: the figure is
    /// not the GPU's best.
    pub throttled: bool,
    pub gates: Vec<BenchGate>,
}

/// One limit a result was judged against.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct BenchGate {
    /// `option`, `file`, `builtin`, `baseline` or `peers`.
    pub source: String,
    /// `min` (at least) or `max` (at most).
    pub kind: String,
    pub limit: f64,
    pub passed: bool,
    /// How far past the limit, percent of it (0 when passed).
    pub shortfall_pct: f64,
}

/// What `memtest` measured on one GPU.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct MemtestSummary {
    /// Device memory in all, and free when the test began.
    pub total_bytes: Option<u64>,
    pub free_bytes: Option<u64>,
    /// What `--memory` asked for, and what was obtained and tested.
    pub target_bytes: Option<u64>,
    pub tested_bytes: Option<u64>,
    /// Tested bytes as a share of free and of total memory.
    pub coverage_free_pct: Option<f64>,
    pub coverage_total_pct: Option<f64>,
    pub chunks: Option<u32>,
    pub allocation_retries: u32,
    pub allocation_notes: Vec<String>,
    /// Other processes holding memory on this GPU (they explain a low
    /// coverage; never blamed on the GPU).
    pub other_processes: Vec<MemtestProcess>,
    /// Full passes over every chosen pattern.
    pub passes: u32,
    pub patterns: Vec<MemtestPattern>,
    /// Seconds of testing (after set-up).
    pub seconds: f64,
    /// Bytes read plus written per second over the whole test, GB/s.
    pub gb_per_s: Option<f64>,
    /// Words that did not hold what was written (all of them).
    pub mismatches: u64,
    /// The first mismatches with address and bits.
    pub errors: Vec<MemtestError>,
    /// The hidden `--inject-fault` flip, when one was made on this GPU.
    pub injected: Option<MemtestInjected>,
    /// Every buffer was overwritten with zeros and verified before it was
    /// freed (null: no memory was held, or the worker hung).
    pub wiped: Option<bool>,
    /// Volatile ECC and row remaps: the change during the test.
    pub ecc_corrected_delta: Option<u64>,
    pub ecc_uncorrected_delta: Option<u64>,
    pub remap_correctable_delta: Option<u64>,
    pub remap_uncorrectable_delta: Option<u64>,
    pub remap_pending: Option<bool>,
    pub remap_failure: Option<bool>,
    /// Why the test stopped early on this GPU, if it did.
    pub error: Option<String>,
}

/// One pattern's totals over the passes that ran.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct MemtestPattern {
    /// A pattern name as `--patterns` takes it.
    #[schemars(schema_with = "crate::model::pattern::name_schema")]
    pub pattern: String,
    /// Passes in which every phase of this pattern ran.
    pub passes: u32,
    pub bytes_read: u64,
    pub bytes_written: u64,
    pub seconds: f64,
    pub gb_per_s: Option<f64>,
    pub mismatches: u64,
}

/// A word that did not hold what was written. Addresses and values are
/// hex strings: 64-bit numbers lose digits in JSON readers that use doubles.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MemtestError {
    /// A pattern name as `--patterns` takes it.
    #[schemars(schema_with = "crate::model::pattern::name_schema")]
    pub pattern: String,
    pub pass: u32,
    /// Byte offset of the word within the memory under test.
    pub offset: u64,
    /// Device address of the word.
    #[schemars(regex(pattern = r"^0x[0-9a-f]{16}$"))]
    pub address: String,
    #[schemars(regex(pattern = r"^0x[0-9a-f]{16}$"))]
    pub expected: String,
    #[schemars(regex(pattern = r"^0x[0-9a-f]{16}$"))]
    pub actual: String,
    /// Bits (0 = least significant) that differ.
    #[schemars(inner(range(max = 63)))]
    pub flipped_bits: Vec<u32>,
}

/// The bit flipped on purpose by `--inject-fault`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MemtestInjected {
    /// A pattern name as `--patterns` takes it.
    #[schemars(schema_with = "crate::model::pattern::name_schema")]
    pub pattern: String,
    pub offset: u64,
    #[schemars(regex(pattern = r"^0x[0-9a-f]{16}$"))]
    pub address: String,
    #[schemars(range(max = 63))]
    pub bit: u32,
    /// Whether a check found it at that address and bit.
    pub found: bool,
}

/// A process holding memory on a GPU.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MemtestProcess {
    pub pid: u32,
    pub name: Option<String>,
    pub used_bytes: Option<u64>,
}

/// Time spent with one clock event reason active during a burn.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ThrottleTime {
    pub reason: String,
    pub seconds: f64,
}

/// What `burn` measured on one GPU.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct BurnSummary {
    pub engine: Option<String>,
    /// `gemm`, or `mixed` (GEMM with the HBM stream in `stream`).
    pub mode: Option<String>,
    pub stream: Option<burn_stream::StreamSummary>,
    pub dtype: Option<String>,
    /// Library version or kernel name.
    pub detail: Option<String>,
    pub matrix_size: Option<u32>,
    pub result_buffers: Option<u32>,
    pub memory_bytes: Option<u64>,
    /// Seconds of burning (after set-up).
    pub seconds: f64,
    pub batches: u64,
    pub products: u64,
    /// Per-batch TFLOP/s of the products alone.
    pub tflops_min: Option<f64>,
    pub tflops_median: Option<f64>,
    pub tflops_max: Option<f64>,
    /// All flops over all batch time, verification included.
    pub tflops_with_verification: Option<f64>,
    /// Throughput lost to checking results, percent.
    pub verification_overhead_pct: Option<f64>,
    pub power_avg_w: Option<f64>,
    pub power_peak_w: Option<f64>,
    /// Which NVML power reading the power figures come from: `instant`
    /// where every sample had the instantaneous field, else `average`.
    pub power_source: Option<crate::model::gpu::PowerSource>,
    /// Seconds from the first batch until power first reached 95% of the
    /// run's average.
    pub seconds_to_power_plateau: Option<f64>,
    pub temperature_gpu_peak_c: Option<u32>,
    pub temperature_memory_peak_c: Option<u32>,
    pub sm_clock_min_mhz: Option<u32>,
    pub sm_clock_avg_mhz: Option<f64>,
    /// Every clock event reason seen, with how long it was active.
    pub throttle: Vec<ThrottleTime>,
    pub mismatched_products: u64,
    pub mismatched_elements: u64,
    /// Checksum of the reference product, hex; equal across GPUs of one
    /// model.
    pub reference_checksum: Option<String>,
    pub xids: Vec<u64>,
    /// Why the burn stopped early on this GPU, if it did.
    pub error: Option<String>,
}

/// What `p2p` found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct P2pSummary {
    /// `--enable-only`: peer access checked and enabled, nothing measured.
    pub enable_only: bool,
    /// Bytes per copy asked for (`--size-mib`); null with `--enable-only`.
    /// A pair whose GPUs' free memory could not hold it copies less: its
    /// `copy_bytes` says what it copied.
    pub size_bytes: Option<u64>,
    /// Wall time of every pair together.
    pub seconds: f64,
    /// Pairs measured at once at most (pairs that share no GPU).
    pub concurrency: u32,
    /// Every ordered pair (from, to), from before to.
    pub pairs: Vec<P2pPair>,
}

/// One end of a pair: NVML index and UUID name the GPU everywhere.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct P2pEnd {
    pub index: u32,
    /// Null when NVML did not give it (as `gpus[].uuid`).
    pub uuid: Option<String>,
    pub cuda_index: Option<u32>,
}

/// One ordered pair: data copied from `from` to `to`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct P2pPair {
    pub from: P2pEnd,
    pub to: P2pEnd,
    /// Worst of `checks`.
    pub status: CheckStatus,
    /// `nvlink`, `nvswitch`, `pcie_board`, `pcie_switch`,
    /// `pcie_host_bridge`, `pcie_node`, `pcie_system`; null when unknown.
    pub link: Option<String>,
    /// Active NVLink links (to the peer, or to the switch).
    pub nvlinks: Option<u32>,
    pub nvlink_version: Option<u32>,
    /// What the link should carry one way, GB/s.
    pub expected_gbps: Option<f64>,
    /// cuDeviceCanAccessPeer from `from` to `to`.
    pub can_access_peer: Option<bool>,
    /// Peer access enabled (or already enabled) from `from` to `to`.
    pub peer_access_enabled: Option<bool>,
    /// Bytes per copy in this pair's bandwidth runs (the asked size, less
    /// where free memory could not hold it); null when nothing was copied.
    pub copy_bytes: Option<u64>,
    /// Copy engine (cuMemcpyPeerAsync), one way, GB/s, median.
    pub ce_gbps: Option<f64>,
    /// Copy engine, both directions at once (sum), GB/s.
    pub ce_both_gbps: Option<f64>,
    /// SM copy kernel writing through the peer pointer, GB/s.
    pub sm_gbps: Option<f64>,
    pub sm_both_gbps: Option<f64>,
    /// Back-to-back 4-byte copy-engine copies, microseconds each.
    pub copy_latency_us: Option<f64>,
    /// Back-to-back one-word kernel writes through a peer pointer, us.
    pub write_latency_us: Option<f64>,
    /// Ping-pong between the two GPUs, half a round trip, us.
    pub pingpong_us: Option<f64>,
    /// 64-bit words verified on `to` (copy engine and SM).
    pub words_verified: u64,
    /// Words that arrived wrong.
    pub mismatches: u64,
    /// Why the pair could not be (fully) measured.
    pub error: Option<String>,
    pub checks: Vec<Check>,
}
