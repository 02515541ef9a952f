//! Command-line definitions only: what each subcommand accepts.
//!
//! Values are validated here (selectors, durations, counts) so that a bad
//! value fails before any GPU is touched, with one line naming the value and
//! what is accepted. Behaviour lives in `commands/`.

use crate::device::select::{self, Selector};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::time::Duration;

/// Operator CLI for NVIDIA GPU fleet diagnostics and burn-in.
#[derive(Debug, Parser)]
#[command(
    name = "gpuctl",
    version = LONG_VERSION,
    propagate_version = true,
    max_term_width = 100
)]
#[command(
    after_help = "Exit codes: 0 passed, 1 a check failed, 2 usage error, 3 environment \
                        error (no driver, no GPU), 130 interrupted. `probe` exits only 0 or 1.",
    after_long_help = TOP_LONG_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// `--version`: the release, the commit it was built from (build.rs) and
/// the oldest driver it supports (cudarc's `cuda-12020` floor).
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("GPUCTL_COMMIT"),
    "; oldest supported driver: CUDA 12.2, R535)"
);

const TOP_LONG_HELP: &str = "\
EXIT CODES
  0    every check passed (warnings allowed unless --fail-on warn)
  1    a check failed: unhealthy GPU, below threshold, corrupted result
  2    usage or configuration error: bad selector, number, duration, flag combination
  3    environment error: no driver library, no GPU matched, no permission, internal error
  130  interrupted by SIGINT/SIGTERM after printing the partial report
`gpuctl probe` folds all of these into 0 (healthy) or 1 (unhealthy).

GPU SELECTION
-i/--gpu takes NVML indices (as nvidia-smi numbers GPUs), UUIDs or unique prefixes
(GPU-8932f937), PCI bus ids (00000000:18:00.0 or 0000:18:00.0), comma lists of these,
or `all`. CUDA_VISIBLE_DEVICES (indices or UUIDs) and CUDA_DEVICE_ORDER are honoured:
GPUs a CUDA program here could not see are not listed. NVML and CUDA are joined by PCI
bus id. Output always shows PCI bus ids in NVML's form, 00000000:18:00.0.

JSON
--json prints one document: schema_version, tool, simulated, command, host, timestamp,
outcome, exit_code, summary, driver, warnings, error, host_checks, gpus. Errors are JSON on
stdout too. Values that could not be read are null, never a placeholder. `gpuctl schema`
prints the JSON Schema.

ENVIRONMENT
  NO_COLOR             never colour output (colour is used only on a terminal, not TERM=dumb)
  COLUMNS              table width (default: the terminal's, or 80 when not a terminal)
  CUDA_VISIBLE_DEVICES which GPUs CUDA programs see; gpuctl follows it
  CUDA_DEVICE_ORDER    FASTEST_FIRST (default) or PCI_BUS_ID
  GPUCTL_SIMULATE      path to a fixture that replaces the driver (testing only); every
                       report then says `simulated` (JSON) / SIMULATED (table)";

const PROBE_LONG_HELP: &str = "\
CHECKS (NVML only, no CUDA context)
the driver answers; --expect N GPUs are present; no GPU has fallen off the bus; no
volatile uncorrectable ECC error; no row-remap failure; GPU temperature below the card's
slowdown threshold. A check the GPU does not support is skipped, not failed.
--compute also creates a context and runs a self-test kernel on each GPU, checking every
result on the host.

OUTPUT AND EXIT
One line: `healthy: ...` (exit 0) or `unhealthy: <why>` (exit 1). Anything else that can
go wrong (no driver, bad arguments, a hung driver call past --timeout, an internal
error) is also exit 1, never 2, which Docker reserves.

EXAMPLE
  HEALTHCHECK --interval=30s --timeout=5s CMD gpuctl probe --expect 8 --timeout 3s";

const HEALTH_LONG_HELP: &str = "\
CHECKS (name: FAIL / WARN; SKIP where the GPU or host does not support it)
  driver, cuda_driver: below --min-driver / --min-cuda: FAIL
  nvml, cuda: library unavailable: FAIL (cuda: WARN with --no-compute)
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

REMEDIES
Every FAIL and WARN carries one, naming the command for that GPU by its PCI bus id
(`drain the node, then reset the GPU (nvidia-smi -r -i 00000000:18:00.0)`), and saying
to drain the node first wherever the action interrupts jobs.

TABLE
Problems first (FAIL, then WARN); SKIP rows only with -v/--verbose (always counted).
Serial numbers are shown for RMA tickets.

CONFIG FILE (--config PATH, TOML; flags win)
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

const BURN_LONG_HELP: &str = "\
LOAD
  One worker per GPU, all in parallel: n x n x n matrix products on the tensor cores (n =
  16384 for bf16, fp16 and tf32; 8192 for fp32 and fp64), into as many result buffers as
  --memory allows. --engine auto uses cuBLASLt when
  libcublasLt.so.13/.12 loads (set GPUCTL_CUBLASLT=path to choose one) and the built-in
  kernel otherwise, so burn runs on a host with only the driver.

CORRECTNESS
  A reference product is computed once per GPU; every later product is checksummed on the
  GPU and compared with it, and a differing product is compared element by element. GPUs of
  the same model must agree on the reference checksum. One mismatch fails that GPU.

VERDICT PER GPU
  FAIL: a mismatch, an XID, HW slowdown / HW thermal / HW power brake, a CUDA error.
  WARN: median TFLOP/s more than --tolerance below the best GPU of the same model, or below
  --expect-tflops.

OUTPUT
  Progress: one line per GPU on stderr, on a terminal only (not with --quiet).
  --json: JSON Lines on stdout: {\"event\":\"progress\", ...} every --interval per GPU, then
  the report as the last line ({\"event\":\"report\", \"schema_version\":1, ...}).

SIGNALS AND EXIT
  Ctrl-C or SIGTERM stops within about 2 s, frees GPU memory, prints the partial report and
  exits 130. Otherwise 0 when every GPU passed (warnings allowed), 1 when any failed.";

/// Options every subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique
    /// prefixes, PCI bus ids, a comma list, or `all`.
    #[arg(short = 'i', long = "gpu", global = true, value_name = "GPUS", value_parser = parse_gpu_selection)]
    pub gpu: Option<GpuSelection>,
    /// Print one JSON document on stdout (same as `--format json`).
    #[arg(long, global = true)]
    pub json: bool,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// No progress output on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Show skipped checks in tables too (they are always counted, and
    /// always in JSON).
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

impl GlobalArgs {
    pub fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            self.format
        }
    }

    pub fn selectors(&self) -> &[Selector] {
        self.gpu.as_ref().map(|s| s.0.as_slice()).unwrap_or(&[])
    }
}

/// How reports are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// One JSON document for scripts (`gpuctl schema` prints its schema).
    Json,
}

/// The parsed `--gpu` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuSelection(pub Vec<Selector>);

fn parse_gpu_selection(value: &str) -> Result<GpuSelection, String> {
    select::parse(value).map(GpuSelection)
}

/// A humantime duration: `500ms`, `30s`, `10m`, `1h`.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    humantime::parse_duration(value.trim()).map_err(|_| {
        format!(
            "invalid duration '{value}': expected a number with a unit, like 500ms, 30s, 10m or 1h"
        )
    })
}

/// A whole number of things: GPUs, retries.
pub fn parse_count(value: &str) -> Result<u32, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("invalid count '{value}': expected a whole number such as 0, 1 or 8"))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List GPUs with identity, memory, versions, modes, limits and PCIe links.
    List,
    /// Fast health probe for Docker HEALTHCHECK and Kubernetes exec probes:
    /// exits 0 (healthy) or 1 (unhealthy), never anything else.
    #[command(after_long_help = PROBE_LONG_HELP)]
    Probe(ProbeArgs),
    /// Node health report: every check per GPU with value, threshold and remedy.
    #[command(after_long_help = HEALTH_LONG_HELP)]
    Health(Box<HealthArgs>),
    /// GEMM burn-in: load every GPU to its power limit, check every result,
    /// watch thermals and throttling, and give a verdict per GPU.
    #[command(after_long_help = BURN_LONG_HELP)]
    Burn(Box<BurnArgs>),
    /// Print the JSON Schema of the `--json` report (JSON Schema 2020-12).
    Schema,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages and completions under DIR (for packagers and CI).
    #[command(hide = true)]
    GenerateDocs { dir: std::path::PathBuf },
}

#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// Unhealthy unless exactly this many GPUs are present.
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub expect: Option<u32>,
    /// Also create a context and run a self-test kernel on each GPU.
    #[arg(long)]
    pub compute: bool,
    /// Upper bound on the whole probe; a hung driver call fails it.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// When `health` exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Only a FAIL fails the run.
    Fail,
    /// A WARN fails the run too.
    Warn,
}

#[derive(Debug, Clone, Args)]
pub struct HealthArgs {
    /// Fail unless exactly this many GPUs are present.
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub expect_gpus: Option<u32>,
    /// Fail any GPU whose name does not contain this text (e.g. "H100").
    #[arg(long, value_name = "NAME")]
    pub expect_model: Option<String>,
    /// Oldest acceptable driver, e.g. 535.104.
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub min_driver: Option<String>,
    /// Oldest acceptable CUDA version the driver supports, e.g. 12.2.
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub min_cuda: Option<String>,
    /// Watch NVML XID events for at least this long (they are watched for
    /// the whole run in any case) [default: 0s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub watch: Option<Duration>,
    /// Scan the kernel log for XID lines this far back [default: 24h].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub since: Option<Duration>,
    /// Skip the compute self-test (and with it the checks judged under load).
    #[arg(long)]
    pub no_compute: bool,
    /// Fail a self-test that has not finished after this long [default: 10s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
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
    /// TOML file with a [health] table of defaults for these options.
    #[arg(long, value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
    /// WARN when a temperature is within this many °C of its slowdown
    /// threshold [default: 5].
    #[arg(long, value_name = "C")]
    pub temperature_margin_c: Option<u32>,
    /// WARN above this many corrected ECC errors since reset [default: 1000].
    #[arg(long, value_name = "N")]
    pub ecc_corrected_max: Option<u64>,
    /// WARN above this many rows remapped for uncorrectable errors [default: 8].
    #[arg(long, value_name = "N")]
    pub remap_uncorrectable_max: Option<u64>,
    /// FAIL at this many retired pages, pre-Ampere GPUs [default: 60].
    #[arg(long, value_name = "N")]
    pub retired_pages_max: Option<u64>,
    /// WARN above this many PCIe replays since the driver loaded [default: 100].
    #[arg(long, value_name = "N")]
    pub pcie_replay_max: Option<u64>,
    /// WARN above this many NVLink CRC errors on any link [default: 100].
    #[arg(long, value_name = "N")]
    pub nvlink_crc_max: Option<u64>,
    /// WARN above this many NVLink replays on any link [default: 100].
    #[arg(long, value_name = "N")]
    pub nvlink_replay_max: Option<u64>,
    /// WARN above this many NVLink recoveries on any link [default: 10].
    #[arg(long, value_name = "N")]
    pub nvlink_recovery_max: Option<u64>,
    /// WARN when more than this percentage of memory is in use [default: 95].
    #[arg(long, value_name = "PCT")]
    pub memory_used_max_pct: Option<f64>,
}

/// Which GEMM implementation `burn` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineChoice {
    /// cuBLASLt when it loads, else the built-in kernel.
    Auto,
    /// cuBLASLt only (an environment error when it is missing).
    Cublas,
    /// gpuctl's own tensor-core kernel, needs only the driver.
    Builtin,
}

/// Operand type for `burn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DtypeChoice {
    Bf16,
    Fp16,
    Tf32,
    Fp32,
    Fp64,
}

#[derive(Debug, Clone, Args)]
pub struct BurnArgs {
    /// How long to burn.
    #[arg(short, long, value_name = "DURATION", default_value = "30s", value_parser = parse_positive_duration)]
    pub duration: Duration,
    /// GEMM implementation.
    #[arg(long, value_enum, default_value_t = EngineChoice::Auto)]
    pub engine: EngineChoice,
    /// Operand type (accumulation is fp32, fp64 for fp64).
    #[arg(long, value_enum, default_value_t = DtypeChoice::Bf16)]
    pub dtype: DtypeChoice,
    /// Share of each GPU's free memory for operands and result buffers.
    #[arg(long, value_name = "PCT", default_value = "90%", value_parser = parse_percent)]
    pub memory: f64,
    /// WARN a GPU more than this far below the best GPU of its model.
    #[arg(long, value_name = "PCT", default_value = "10%", value_parser = parse_percent)]
    pub tolerance: f64,
    /// WARN a GPU whose median TFLOP/s is below this floor.
    #[arg(long, value_name = "TFLOPS", value_parser = parse_positive_float)]
    pub expect_tflops: Option<f64>,
    /// Telemetry sampling interval.
    #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = parse_positive_duration)]
    pub interval: Duration,
    /// Testing only: corrupt one result on the GPU with this index during
    /// its second batch, to prove that corruption is caught.
    #[arg(long, value_name = "GPU", hide = true)]
    pub inject_fault: Option<u32>,
}

/// `90%`, `90` or `0.9` → 0.9; must be in (0, 1].
pub fn parse_percent(value: &str) -> Result<f64, String> {
    let bad = || format!("invalid percentage '{value}': expected a number from 1 to 100, like 90%");
    let v = value.trim();
    let (number, had_sign) = match v.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (v, false),
    };
    let x: f64 = number.parse().map_err(|_| bad())?;
    let fraction = if had_sign || x > 1.0 { x / 100.0 } else { x };
    if fraction > 0.0 && fraction <= 1.0 && fraction.is_finite() {
        Ok(fraction)
    } else {
        Err(bad())
    }
}

/// A duration that is not zero.
pub fn parse_positive_duration(value: &str) -> Result<Duration, String> {
    match parse_duration(value)? {
        d if d.is_zero() => Err(format!(
            "invalid duration '{value}': must be longer than zero"
        )),
        d => Ok(d),
    }
}

/// A finite number above zero.
pub fn parse_positive_float(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && x.is_finite() => Ok(x),
        _ => Err(format!(
            "invalid number '{value}': expected a positive number such as 650"
        )),
    }
}

/// A dotted version such as `535.104.05` or `12.2`.
pub fn parse_version(value: &str) -> Result<String, String> {
    let ok = !value.is_empty()
        && value
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if ok {
        Ok(value.to_string())
    } else {
        Err(format!(
            "invalid version '{value}': expected dotted numbers such as 535.104 or 12.2"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn percentages_accept_three_spellings() {
        assert_eq!(parse_percent("90%").unwrap(), 0.9);
        assert_eq!(parse_percent("90").unwrap(), 0.9);
        assert_eq!(parse_percent("0.5").unwrap(), 0.5);
        assert!(parse_percent("0").is_err());
        assert!(parse_percent("150%").unwrap_err().contains("'150%'"));
        assert!(parse_percent("lots").is_err());
    }

    #[test]
    fn durations_accept_human_units_and_reject_bare_numbers() {
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        let err = parse_duration("10").unwrap_err();
        assert!(err.contains("'10'") && err.contains("30s"), "{err}");
    }
}
