//! `gpuctl health`'s options; each threshold's parser and help come from
//! its one declaration in `config::HEALTH_THRESHOLDS`.

use super::*;

pub const HEALTH_LONG_HELP: &str = "\
CHECKS (name: FAIL / WARN; SKIP where the GPU or host does not support it)
  driver, cuda_driver: below --min-driver / --min-cuda: FAIL
  nvml, cuda: library unavailable: FAIL (cuda: SKIP with --no-compute)
  gpu_count: not --expect-gpus: FAIL          gpu_model: name lacks --expect-model: FAIL
  on_bus: fallen off the bus: FAIL
  ecc_mode: disabled: WARN
  ecc_volatile_uncorrected, ecc_aggregate_uncorrected: any: FAIL
  ecc_corrected: above --ecc-corrected-max (1000): WARN
  row_remap_pending: WARN (reset)   row_remap_failure: FAIL (RMA)
  row_remap_uncorrectable: above --remap-uncorrectable-max (8): WARN
  retired_pages (pre-Ampere): pending: WARN; at --retired-pages-max (60): FAIL
  xid: NVML events during the run (at least --watch) and kernel-log lines within --since:
       hardware XIDs (48, 63, 64, 74, 79, 92, 94, 95, 119, 120, ...): FAIL; others: WARN
  temperature, memory_temperature: at slowdown / memory max: FAIL; within margin: WARN
  power: draw above the enforced limit: WARN   power_limit: enforced below default: WARN
  clock_events: HW slowdown, HW thermal, HW power brake: FAIL; SW thermal, SW power cap
       while busy: WARN; idle and others: PASS (every active reason is listed)
  pcie_link: under load, width below max: FAIL, generation below max: WARN (idle: SKIP)
  pcie_replay: above --pcie-replay-max (100): WARN
  nvlink: a link down: FAIL; CRC/replay/recovery above thresholds: WARN; no NVLink: SKIP
  persistence_mode: off: WARN   compute_mode: prohibited: WARN   mig: change pending: WARN
  memory_usage: above --memory-used-max-pct (95%): WARN
  compute_self_test: a wrong result, an error or a timeout: FAIL
  coverage (always on): a required check (on_bus, ecc_volatile_uncorrected,
       row_remap_failure, temperature, compute_self_test) did not run or was refused for
       lack of permission: FAIL; switched off by --checks/--skip, or every reading
       skipped: WARN. A reading that hung past --call-timeout fails its own check.

REMEDIES
Every FAIL and WARN carries one, naming the command for that GPU by its PCI bus id
(`drain the node, then reset the GPU (nvidia-smi -r -i 00000000:18:00.0)`), and saying
to drain the node first wherever the action interrupts jobs.

TABLE
Problems first (FAIL, then WARN); SKIP rows only with -v/--verbose (always counted).
Serial numbers are shown for RMA tickets.

CONFIG FILE (--config PATH, else $GPUCTL_CONFIG, else /etc/gpuctl/config.toml, else
~/.config/gpuctl/config.toml; TOML, at most 1 MiB; flags win; values take the flags'
forms and ranges, durations and versions as quoted strings; `gpuctl config show`
lists every table and key and where each value came from)
  [health]
  expect_gpus = 8
  min_driver = \"535.104\"
  ecc_corrected_max = 1000
  skip = [\"persistence_mode\"]
  fail_on = \"warn\"

EXIT
  0 no check failed (warnings allowed)
  1 a check failed (or warned with --fail-on warn)
  2 bad flag or config value
  3 no driver or no GPU";

fn threshold_count(
    spec: ThresholdSpec,
) -> impl Fn(&str) -> Result<u64, String> + Clone + Send + Sync + 'static {
    move |s| spec.count(s)
}

fn threshold_u32(
    spec: ThresholdSpec,
) -> impl Fn(&str) -> Result<u32, String> + Clone + Send + Sync + 'static {
    move |s| {
        let n = spec.count(s)?;
        u32::try_from(n).map_err(|_| spec.count("").unwrap_err())
    }
}

fn threshold_percent(
    spec: ThresholdSpec,
) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync + 'static {
    move |s| spec.percent(s)
}

pub use crate::config::FailOn;

#[derive(Debug, Clone, Args)]
pub struct HealthArgs {
    /// Fail unless exactly this many GPUs are present [0 to 1024].
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = count_in(GPU_COUNT))]
    pub expect_gpus: Option<u32>,
    /// Fail any GPU whose name does not contain this text (e.g. "H100").
    #[arg(long, value_name = "NAME")]
    pub expect_model: Option<String>,
    /// Oldest acceptable driver, e.g. 535.104 (1 to 4 numbers, each fits 32 bits).
    #[arg(long, value_name = "VERSION", allow_hyphen_values = true, value_parser = parse::version)]
    pub min_driver: Option<String>,
    /// Oldest acceptable CUDA version the driver supports, e.g. 12.2.
    #[arg(long, value_name = "VERSION", allow_hyphen_values = true, value_parser = parse::version)]
    pub min_cuda: Option<String>,
    /// Watch NVML XID events for at least this long (they are watched for
    /// the whole run in any case) [0s to 1h; default: 0s].
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = duration_in(config::WATCH))]
    pub watch: Option<Duration>,
    /// Scan the kernel log for XID lines this far back [0s to 30days; default: 24h].
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = duration_in(config::SINCE))]
    pub since: Option<Duration>,
    /// Skip the compute self-test (and with it the checks judged under load).
    #[arg(long)]
    pub no_compute: bool,
    /// Run the compute self-test (the default): overrides `compute = false`
    /// in the config file's `[health]`.
    #[arg(long, conflicts_with = "no_compute")]
    pub compute: bool,
    /// Fail a self-test that has not finished after this long [1ms to 1h; default: 10s].
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = duration_in(config::COMPUTE_TIMEOUT))]
    pub compute_timeout: Option<Duration>,
    /// Run only these checks (names or prefixes, comma-separated: ecc,xid).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub checks: Vec<String>,
    /// Skip these checks (names or prefixes, comma-separated).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Exit 1 on FAIL only (default), or on WARN too.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,
    #[command(flatten)]
    pub config: crate::cli::ConfigPath,
    /// Also write an RMA bundle (.tar.gz named by host, time and verdict)
    /// into this directory.
    #[arg(long, value_name = "DIR")]
    pub report: Option<std::path::PathBuf>,
    // Help text, range and default of the thresholds below come from
    // `config::HEALTH_THRESHOLDS` (applied in `command()`).
    #[arg(long, value_name = "C", allow_hyphen_values = true, value_parser = threshold_u32(config::TEMPERATURE_MARGIN_C))]
    pub temperature_margin_c: Option<u32>,
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = threshold_count(config::ECC_CORRECTED_MAX))]
    pub ecc_corrected_max: Option<u64>,
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = threshold_count(config::REMAP_UNCORRECTABLE_MAX))]
    pub remap_uncorrectable_max: Option<u64>,
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = threshold_count(config::RETIRED_PAGES_MAX))]
    pub retired_pages_max: Option<u64>,
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = threshold_count(config::PCIE_REPLAY_MAX))]
    pub pcie_replay_max: Option<u64>,
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = threshold_count(config::NVLINK_CRC_MAX))]
    pub nvlink_crc_max: Option<u64>,
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = threshold_count(config::NVLINK_REPLAY_MAX))]
    pub nvlink_replay_max: Option<u64>,
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = threshold_count(config::NVLINK_RECOVERY_MAX))]
    pub nvlink_recovery_max: Option<u64>,
    #[arg(long, value_name = "PCT", allow_hyphen_values = true, value_parser = threshold_percent(config::MEMORY_USED_MAX_PCT))]
    pub memory_used_max_pct: Option<f64>,
}
