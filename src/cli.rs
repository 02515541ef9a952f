//! Command-line definitions only: what each subcommand accepts.
//!
//! Values are validated here (selectors, durations, counts) so that a bad
//! value fails before any GPU is touched, with one line naming the value and
//! what is accepted. Behaviour lives in `commands/`.

use crate::cli_memtest::MEMTEST_LONG_HELP;
pub use crate::cli_memtest::{PatternChoice, MEMTEST_RETENTION};
use crate::commands::bench_gate::{self, Metric};
use crate::config::{self, ThresholdSpec};
use crate::device::select::{self, Selector};
use crate::parse::{self, DurationRange, FloatRange, IntRange};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
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
  2    usage error: bad selector, number, duration, flag combination, unusable output path
  3    environment error: no driver, no GPU matched, no permission, internal error, the
       report lost (stdout full or closed; a closed pipe is fine) or, when the GPUs
       passed, a side file (--junit, --save-baseline, --textfile) not written
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

HUNG GPUS AND VERDICTS
Every driver call is bounded by --call-timeout (default 5s; probe uses the smaller of it and
3/4 of its own --timeout). A GPU whose call does not answer is reported FAIL as hung (the
check names the call and the time; remedy: drain the node, reset the GPU) and the command
goes on with the others. A healthy verdict needs the required checks to have run and passed:
one that did not run, or could not be read for lack of permission, is a FAIL (`coverage`).

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
error) is also exit 1, never 2, which Docker reserves. Each driver call is bounded by the
smaller of --call-timeout and 3/4 of --timeout, so a hung GPU is named. A required check
that could not be read (no permission) or no reading giving a verdict is unhealthy too.
";

const HEALTH_LONG_HELP: &str = "\
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
forms and ranges, durations and versions as quoted strings)
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
  FAIL: a mismatch, an XID, HW slowdown / HW thermal / HW power brake, a CUDA error, a GPU
  whose telemetry hung or that fell off the bus, a GPU burn could not test (MIG mode: not a
  fault, no RMA; disable MIG to burn it whole). A failed XID watch: SKIP, unverified.
  WARN: median TFLOP/s more than --tolerance below the best GPU of the same model, or below
  --expect-tflops.

OUTPUT
  Progress: one line per GPU on stderr, on a terminal only (not with --quiet).
  --json: JSON Lines on stdout: {\"event\":\"progress\", ...} every --interval per GPU, then
  the report as the last line ({\"event\":\"report\", \"schema_version\":1, ...}).

SIGNALS AND EXIT
  Ctrl-C or SIGTERM stops within about 2 s, frees GPU memory, prints the partial report (a
  GPU cut short is INTERRUPTED) and exits 130; else 0 when every GPU passed, 1 when any failed.";

const P2P_LONG_HELP: &str = "\
PAIRS
  Every ordered pair of the selected GPUs (at least two; one GPU: \"no pairs\", a WARN that
  exits 0, since nothing was tested). Pairs
  that share no GPU run at the same time (rounds of a round-robin schedule). Pairs are named
  by NVML index and UUID, also under CUDA_VISIBLE_DEVICES.

PER PAIR
  topology: NVLink (active links), NVSwitch, or the PCIe path (PIX switch, PHB host bridge,
  NODE, SYS across CPUs), from NVML. peer access: cuDeviceCanAccessPeer, then enabled.
  integrity: a fresh pattern per copy, copied by the copy engine and by an SM kernel writing
  through the peer pointer, each way and both ways at once, every word checked on the
  receiving GPU. bandwidth: copy engine and SM copy, one way and both ways, median of
  --repeats. latency: back-to-back 4-byte copies, one-word peer writes, and a ping-pong of
  the two GPUs spinning on each other's flags (bounded: a lost write times out, never hangs).

VERDICT PER PAIR
  FAIL: a word arrived wrong; no peer access over NVLink; a copy or kernel error, a hang; a
  ping-pong that timed out; copy-engine bandwidth below --min-bandwidth; a required check
  missing (coverage: peer access, and unless --enable-only integrity and bandwidth, must
  each have run).
  WARN: no peer access over PCIe (copies go through host memory); bandwidth below
  --warn-below of what the link should carry (active NVLinks x per-link rate: 25 GB/s
  per direction for NVLink 4; or PCIe generation x width).

--enable-only
  Checks and enables peer access for every pair and reports what could not be, without
  copying (fast, for job prologues). Peer access belongs to a process: this proves it can be
  enabled; the application still enables it for itself.

EXIT
  0 every pair passed (warnings allowed), 1 a pair failed, 2 usage, 3 no driver or no GPU,
  130 interrupted (partial report).";
const MONITOR_LONG_HELP: &str = "\
OUTPUT
  Table (default): one line per GPU per interval like `nvidia-smi dmon`; the header repeats
  every 20 lines on a terminal; `# ...` lines report a GPU going down or up and XIDs.
  --csv: CSV with a header line. --json: JSON Lines: {\"event\":\"sample\", ...} per GPU per
  interval, {\"event\":\"gpu_down\"|\"gpu_up\"|\"xid\", ...} as they happen, then the summary
  report ({\"event\":\"report\", ...}). --quiet prints only the summary.
  Error counters are read at most every 5 s and the energy counter every 10 s (its read
  costs more than the rest of a sample); the summary's energy is read at the end.

PROMETHEUS
  --listen ADDR serves /metrics (Prometheus text, or OpenMetrics when asked for) and /healthz
  from the last sample; port 0 picks a free port (the address is printed on stderr).
  --textfile PATH writes the same metrics for node_exporter's textfile collector (PATH must
  end in .prom), through a temporary file and a rename. gpuctl_gpu_up and
  gpuctl_gpu_healthy (the probe's checks) are always exported.

FAILING GPUS
  A GPU whose reads fail or take longer than 90% of the interval (at most 5 s) is down for
  that interval; the other GPUs are reported on time. After 3 failures in a row it is left
  alone for 10 s, doubling to at most 5 min, then tried once again. Each driver call is also
  bounded by --call-timeout: after a call on a GPU hangs, its reads fail at once until that
  call answers, then the GPU is read again.

SIGNALS AND EXIT
  Runs until --count, --duration, Ctrl-C or SIGTERM, then prints the summary and exits 0
  (monitor observes; it never gates: use probe or health for that). SIGHUP is ignored.
  2: bad arguments, --listen or --textfile unusable; 3: no driver or GPU, --textfile failing.";

/// Options every subcommand takes.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique
    /// prefixes, PCI bus ids, a comma list, or `all`; each must exist.
    #[arg(short = 'i', long = "gpu", global = true, value_name = "GPUS", allow_hyphen_values = true, value_parser = parse_gpu_selection)]
    pub gpu: Option<GpuSelection>,
    /// Print one JSON document on stdout (same as `--format json`).
    #[arg(long, global = true)]
    pub json: bool,
    /// JSON Lines on stdout: burn's and memtest's events as they happen,
    /// then the report as the last line (`gpuctl schema`: `$defs/JsonLine`).
    #[arg(long, global = true)]
    pub json_lines: bool,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// No progress output on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Bound on each driver call (NVML, and CUDA's enumeration); a GPU whose
    /// call does not answer in time is reported hung (FAIL) instead of
    /// hanging the command [100ms to 10m].
    #[arg(long, global = true, value_name = "DURATION", default_value = "5s", allow_hyphen_values = true, value_parser = duration_in(CALL_TIMEOUT))]
    pub call_timeout: Duration,
    /// Show skipped checks in tables too (they are always counted, and
    /// always in JSON).
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

impl GlobalArgs {
    pub fn format(&self) -> Format {
        if self.json || self.json_lines {
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
    /// CSV rows (`monitor` only; its `--csv` is the same).
    Csv,
}

/// The parsed `--gpu` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuSelection(pub Vec<Selector>);

fn parse_gpu_selection(value: &str) -> Result<GpuSelection, String> {
    select::parse(value).map(GpuSelection)
}

/// The clap command with what derive cannot express: each threshold's help
/// text from its one declaration ([`config::HEALTH_THRESHOLDS`]). Parsing,
/// `--help`, man pages and completions all use this.
pub fn command() -> clap::Command {
    crate::examples::with_examples(Cli::command()).mut_subcommand("health", |mut health| {
        for spec in config::HEALTH_THRESHOLDS {
            health = health.mut_arg(spec.key, |a| a.help(spec.help_line()));
        }
        let names = crate::commands::check_types::HealthSelector;
        health
            .mut_arg("checks", |a| {
                a.value_parser(names).hide_possible_values(true)
            })
            .mut_arg("skip", |a| a.value_parser(names).hide_possible_values(true))
    })
}

/// Parses arguments through [`command`].
pub fn parse_from(args: &[std::ffi::OsString]) -> Result<Cli, clap::Error> {
    let mut matches = command().try_get_matches_from(args)?;
    Cli::from_arg_matches_mut(&mut matches)
}

// Accepted ranges of the options that are not `health` thresholds (those
// are in `config.rs`). `--help` states each; a test checks it says the same.
/// `--call-timeout`: less would fail healthy GPUs as hung (a real NVML read
/// takes milliseconds, more on a busy host or without persistence mode).
pub const CALL_TIMEOUT: DurationRange =
    DurationRange::new(Duration::from_millis(100), Duration::from_secs(600));
pub const PROBE_TIMEOUT: DurationRange =
    DurationRange::new(Duration::from_millis(1), Duration::from_secs(3600));
pub const GPU_COUNT: IntRange = config::EXPECT_GPUS;
/// Long enough for any burn-in, short enough that `Instant + d` never overflows.
pub const BURN_DURATION: DurationRange = DurationRange::new(
    Duration::from_millis(100),
    Duration::from_secs(7 * 24 * 3600),
);
/// Faster sampling floods JSON Lines and slows the burn itself.
pub const BURN_INTERVAL: DurationRange =
    DurationRange::new(Duration::from_millis(100), Duration::from_secs(3600));
pub const BURN_MEMORY: FloatRange = FloatRange::new(5.0, false, 100.0);
pub const BURN_TOLERANCE: FloatRange = FloatRange::new(0.0, false, 100.0);
pub const EXPECT_TFLOPS: FloatRange = FloatRange::new(0.0, true, 100_000.0);
pub const INJECT_FAULT: IntRange = IntRange::new(0, 1023);
pub const MEMTEST_PASSES: IntRange = IntRange::new(1, 10_000);
pub const MEMTEST_MEMORY: FloatRange = FloatRange::new(1.0, false, 100.0);
pub const MEMTEST_COVERAGE: FloatRange = FloatRange::new(0.0, false, 100.0);
/// Any byte offset of a GPU's memory (256 TiB is far beyond any GPU).
pub const INJECT_OFFSET: IntRange = IntRange::new(0, 1 << 48);
pub const INJECT_BIT: IntRange = IntRange::new(0, 63);
/// Below 100 ms NVML's own counters (utilisation, energy) barely move.
pub const MONITOR_INTERVAL: DurationRange =
    DurationRange::new(Duration::from_millis(100), Duration::from_secs(3600));
/// Up to a year, so `Instant + d` never overflows.
pub const MONITOR_DURATION: DurationRange = DurationRange::new(
    Duration::from_millis(100),
    Duration::from_secs(366 * 24 * 3600),
);
pub const MONITOR_COUNT: IntRange = IntRange::new(1, 1_000_000_000);

fn duration_in(
    range: DurationRange,
) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    move |s| parse::duration(s, range)
}

fn count_in(
    range: IntRange,
) -> impl Fn(&str) -> Result<u32, String> + Clone + Send + Sync + 'static {
    move |s| parse::integer_u32(s, range)
}

/// A percentage stored as a fraction (burn's `--memory`, `--tolerance`).
fn fraction_in(
    range: FloatRange,
) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync + 'static {
    move |s| parse::percent(s, range).map(|p| p / 100.0)
}

fn parse_tflops(s: &str) -> Result<f64, String> {
    parse::number(s, EXPECT_TFLOPS)
}

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
    /// Benchmark every GPU (GEMM per dtype, HBM and host bandwidth, launch
    /// latency) and gate on thresholds, built-in expectations and baselines.
    #[command(after_long_help = BENCH_LONG_HELP)]
    Bench(Box<BenchArgs>),
    /// Peer-to-peer check of every pair of GPUs: topology, peer access,
    /// verified copies, bandwidth and latency, as GPU x GPU matrices.
    #[command(after_long_help = P2P_LONG_HELP)]
    P2p(Box<P2pArgs>),
    /// Memory test at HBM speed: every pattern over (nearly) all free
    /// memory, errors with address and bits, ECC cross-check, wiped after.
    #[command(after_long_help = MEMTEST_LONG_HELP)]
    Memtest(Box<MemtestArgs>),
    /// Telemetry at an interval: a live table, CSV or JSON Lines, and
    /// Prometheus metrics over HTTP (--listen) or for node_exporter (--textfile).
    #[command(after_long_help = MONITOR_LONG_HELP)]
    Monitor(Box<MonitorArgs>),
    /// Node acceptance by level (1 to 4): health, fabric, burn, memtest, p2p
    /// and bench as one run with one verdict.
    #[command(after_long_help = crate::commands::diag::LONG_HELP)]
    Diag(Box<crate::cli_diag::DiagArgs>),
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
    /// Unhealthy unless exactly this many GPUs are present [0 to 1024].
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = count_in(GPU_COUNT))]
    pub expect: Option<u32>,
    /// Also create a context and run a self-test kernel on each GPU.
    #[arg(long)]
    pub compute: bool,
    /// Upper bound on the whole probe; a hung driver call fails it [1ms to
    /// 1h]. Each driver call gets the smaller of --call-timeout and 3/4 of
    /// this, so a hung GPU is named before the whole probe gives up.
    #[arg(long, value_name = "DURATION", default_value = "5s", allow_hyphen_values = true, value_parser = duration_in(PROBE_TIMEOUT))]
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
    /// TOML file with a [health] table of defaults for these options.
    #[arg(long, value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
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

/// Shape of the fault `--inject-fault` writes (testing only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FaultKindChoice {
    /// One element set to 1e6.
    Gross,
    /// The lowest bit of one element flipped.
    LowBit,
    /// The same bit flipped in two elements.
    SameBitTwoWords,
    /// One bit stuck at 1 across a row of the result.
    StuckBitRow,
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
    /// How long to burn [100ms to 7days].
    #[arg(short, long, value_name = "DURATION", default_value = "30s", allow_hyphen_values = true, value_parser = duration_in(BURN_DURATION))]
    pub duration: Duration,
    /// GEMM implementation.
    #[arg(long, value_enum, default_value_t = EngineChoice::Auto)]
    pub engine: EngineChoice,
    /// What loads the GPU: the GEMM alone, or GEMM and HBM streaming together.
    #[arg(long, value_enum, default_value_t = crate::cli_burn::ModeChoice::Gemm)]
    pub mode: crate::cli_burn::ModeChoice,
    /// Operand type (accumulation is fp32, fp64 for fp64).
    #[arg(long, value_enum, default_value_t = DtypeChoice::Bf16)]
    pub dtype: DtypeChoice,
    /// Share of each GPU's free memory for operands and result buffers [5% to
    /// 100%; a bare number is a percentage].
    #[arg(long, value_name = "PCT", default_value = "90%", allow_hyphen_values = true, value_parser = fraction_in(BURN_MEMORY))]
    pub memory: f64,
    /// WARN a GPU more than this far below the best GPU of its model [0% to 100%].
    #[arg(long, value_name = "PCT", default_value = "10%", allow_hyphen_values = true, value_parser = fraction_in(BURN_TOLERANCE))]
    pub tolerance: f64,
    /// WARN a GPU whose median TFLOP/s is below this floor [above 0 up to 100000].
    #[arg(long, value_name = "TFLOPS", allow_hyphen_values = true, value_parser = parse_tflops)]
    pub expect_tflops: Option<f64>,
    /// Telemetry sampling interval [100ms to 1h].
    #[arg(long, value_name = "DURATION", default_value = "500ms", allow_hyphen_values = true, value_parser = duration_in(BURN_INTERVAL))]
    pub interval: Duration,
    /// Testing only: corrupt a result on this GPU in its second batch.
    #[arg(long, value_name = "GPU", hide = true, allow_hyphen_values = true, value_parser = count_in(INJECT_FAULT))]
    pub inject_fault: Option<u32>,
    /// Testing only: the shape of the fault `--inject-fault` writes.
    #[arg(long, value_enum, value_name = "KIND", default_value_t = FaultKindChoice::Gross, hide = true)]
    pub inject_fault_kind: FaultKindChoice,
    #[arg(long, value_name = "GPU", hide = true, allow_hyphen_values = true, value_parser = count_in(INJECT_FAULT))]
    pub inject_reference_fault: Option<u32>,
}

/// A `bench` tolerance: from 0% to 50%.
pub const BENCH_TOLERANCE: FloatRange = FloatRange::new(0.0, false, 50.0);

/// The parsed `bench --tests` value, in report order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchTests(pub Vec<Metric>);

fn parse_bench_tests(s: &str) -> Result<BenchTests, String> {
    bench_gate::parse_tests(s).map(BenchTests)
}

fn parse_bench_limit(s: &str) -> Result<(Metric, f64), String> {
    bench_gate::parse_limit(s)
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// What to measure, comma-separated: all, gemm, hbm, pcie, latency, or
    /// metric names (gemm_bf16, hbm_copy, h2d, launch_latency, ...).
    #[arg(long, value_name = "TESTS", default_value = "all", value_parser = parse_bench_tests)]
    pub tests: BenchTests,
    /// Pre-job check in under 5 s: bf16 GEMM only, smaller buffers, fewer
    /// repetitions (other GEMM metrics are not measured).
    #[arg(long)]
    pub quick: bool,
    /// GEMM implementation (auto: cuBLASLt when it loads, else built-in).
    #[arg(long, value_enum, default_value_t = EngineChoice::Auto)]
    pub engine: EngineChoice,
    /// Fail a GPU whose METRIC is below VALUE, e.g. gemm_bf16=700TFLOPS,
    /// hbm_copy=2.5TB/s, h2d=48GB/s (repeatable; replaces the built-in
    /// expectation for that metric).
    #[arg(long, value_name = "METRIC=VALUE", value_parser = parse_bench_limit)]
    pub min: Vec<(Metric, f64)>,
    /// Fail a GPU whose METRIC is above VALUE, e.g. launch_latency=5us
    /// (repeatable).
    #[arg(long, value_name = "METRIC=VALUE", value_parser = parse_bench_limit)]
    pub max: Vec<(Metric, f64)>,
    /// TOML file with [min] and [max] tables of metric = value (command-line
    /// values win).
    #[arg(long, value_name = "PATH")]
    pub thresholds: Option<std::path::PathBuf>,
    /// Do not apply gpuctl's built-in expectations per GPU model.
    #[arg(long)]
    pub no_builtin_thresholds: bool,
    /// Write this node's results (with GPU model, driver and gpuctl version)
    /// as a baseline file.
    #[arg(long, value_name = "PATH")]
    pub save_baseline: Option<std::path::PathBuf>,
    /// Fail a metric more than --tolerance worse than this baseline; a
    /// baseline from another GPU model or driver is refused.
    #[arg(long, value_name = "PATH")]
    pub baseline: Option<std::path::PathBuf>,
    /// Allowed shortfall against the baseline and against the median of the
    /// run's GPUs of the same model [0% to 50%].
    #[arg(long, value_name = "PCT", default_value = "5%", allow_hyphen_values = true, value_parser = fraction_in(BENCH_TOLERANCE))]
    pub tolerance: f64,
    /// Also write the results as JUnit XML (one testcase per GPU and metric).
    #[arg(long, value_name = "PATH")]
    pub junit: Option<std::path::PathBuf>,
}

const BENCH_LONG_HELP: &str = "\
METRICS (median of repetitions timed with CUDA events after a warm-up)
  gemm_bf16, gemm_fp16, gemm_tf32, gemm_fp32, gemm_fp64   TFLOP/s, the burn engine's verified
      products (cuBLASLt when it loads, else the built-in kernel; the report says which)
  hbm_copy (bytes read + written), hbm_read, hbm_write     GB/s, 16-byte-per-thread kernels
  h2d, d2h                  GB/s, pinned host memory, copy engine
  launch_latency            us per empty kernel, back to back, replayed from a CUDA graph
                            (timed on the GPU, so the host's CPU speed is not in it)
  Every word moved (a per-word pattern, fresh each repetition) and every product is checked;
  a wrong result fails the GPU. Device buffers are zeroed and read back before they are freed
  (memory_wipe). A GPU passes only when its run finished and verified its work (bench_ran);
  one on which nothing was judged fails (coverage).

GATES (each shortfall fails the GPU's metric: exit 1)
  --min/--max METRIC=VALUE, and a --thresholds file:
      [min]
      gemm_bf16 = \"700TFLOPS\"
      hbm_copy = \"2.5TB/s\"
      [max]
      launch_latency = \"5us\"
  built-in expectations for H100 SXM/PCIe, H200, A100, L40S: 60% of datasheet GEMM peak
      (cuBLASLt only), 70% of memory bandwidth, 70% of the PCIe link; off with
      --no-builtin-thresholds, replaced per metric by --min/--max or the file
  --baseline FILE: more than --tolerance (5%) worse than the saved figure
  GPUs of one model in the run: more than --tolerance worse than the median of steady others

TIME
  A default run takes about 7 s on an H100 (all GPUs in parallel); --quick under 5 s.
  GEMM repetitions are 25 ms bursts after 50 ms idle (matmul speed before the power cap).

EXIT
  0 every metric passed, 1 a metric failed or a GPU could not be measured, 2 bad option,
  output path, threshold file or baseline from another model or driver, 3 no driver or
  GPU, or --junit/--save-baseline not written though the GPUs passed; 130 interrupted.";

/// Bytes per copy, in MiB.
pub const P2P_SIZE_MIB: IntRange = IntRange::new(1, 65_536);
pub const P2P_REPEATS: IntRange = IntRange::new(1, 1000);
pub const P2P_WARN_BELOW: FloatRange = FloatRange::new(0.0, false, 100.0);
pub const P2P_MIN_BANDWIDTH: FloatRange = FloatRange::new(0.0, true, 100_000.0);
/// Per round of pairs; a pair not done by then is hung.
pub const P2P_TIMEOUT: DurationRange =
    DurationRange::new(Duration::from_secs(1), Duration::from_secs(3600));

fn parse_min_bandwidth(s: &str) -> Result<f64, String> {
    parse::number(s, P2P_MIN_BANDWIDTH)
}

/// `A:B`, two different NVML indices.
fn parse_gpu_pair(s: &str) -> Result<(u32, u32), String> {
    let bad = || {
        format!(
            "expected two GPU indices A:B, each {}",
            INJECT_FAULT.describe()
        )
    };
    let (a, b) = s.split_once(':').ok_or_else(bad)?;
    let a = parse::integer_u32(a, INJECT_FAULT).map_err(|_| bad())?;
    let b = parse::integer_u32(b, INJECT_FAULT).map_err(|_| bad())?;
    if a == b {
        return Err("expected two different GPU indices A:B".into());
    }
    Ok((a, b))
}

#[derive(Debug, Clone, Args)]
pub struct P2pArgs {
    /// Only check and enable peer access for every pair; copy nothing.
    #[arg(long)]
    pub enable_only: bool,
    /// MiB per copy; each GPU holds two buffers of this size [1 to 65536].
    #[arg(long, value_name = "MIB", default_value = "1024", allow_hyphen_values = true, value_parser = count_in(P2P_SIZE_MIB))]
    pub size_mib: u32,
    /// Timed copies per measurement; the median is reported [1 to 1000].
    #[arg(long, value_name = "N", default_value = "10", allow_hyphen_values = true, value_parser = count_in(P2P_REPEATS))]
    pub repeats: u32,
    /// WARN a pair whose copy-engine bandwidth is below this share of what
    /// its link should carry [0% to 100%].
    #[arg(long, value_name = "PCT", default_value = "80%", allow_hyphen_values = true, value_parser = fraction_in(P2P_WARN_BELOW))]
    pub warn_below: f64,
    /// FAIL a pair whose copy-engine bandwidth (GB/s, one way) is below
    /// this [above 0 up to 100000].
    #[arg(long, value_name = "GBPS", allow_hyphen_values = true, value_parser = parse_min_bandwidth)]
    pub min_bandwidth: Option<f64>,
    /// Give up on pairs not finished this long after their round began
    /// [1s to 1h].
    #[arg(long, value_name = "DURATION", default_value = "120s", allow_hyphen_values = true, value_parser = duration_in(P2P_TIMEOUT))]
    pub timeout: Duration,
    /// Testing only: corrupt the data copied from GPU A to GPU B (NVML
    /// indices A:B), to prove that corruption fails that pair alone.
    #[arg(long, value_name = "A:B", hide = true, value_parser = parse_gpu_pair)]
    pub inject_corruption: Option<(u32, u32)>,
}

#[derive(Debug, Clone, Args)]
pub struct MemtestArgs {
    /// Repeat full passes until this much time has passed (at least one
    /// pattern runs) [100ms to 7days; default: one pass].
    #[arg(short, long, value_name = "DURATION", conflicts_with = "passes", allow_hyphen_values = true, value_parser = duration_in(BURN_DURATION))]
    pub duration: Option<Duration>,
    /// Full passes over every chosen pattern [1 to 10000; default: 1].
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = count_in(MEMTEST_PASSES))]
    pub passes: Option<u32>,
    /// Patterns to run, comma-separated [default: all, in the order listed].
    #[arg(long, value_enum, value_name = "NAMES", value_delimiter = ',')]
    pub patterns: Vec<PatternChoice>,
    /// Share of each GPU's free memory to test [1% to 100%; a bare number is
    /// a percentage].
    #[arg(long, value_name = "PCT", default_value = "98%", allow_hyphen_values = true, value_parser = fraction_in(MEMTEST_MEMORY))]
    pub memory: f64,
    /// WARN when the tested memory is below this share of the free memory
    /// [0% to 100%].
    #[arg(long, value_name = "PCT", default_value = "90%", allow_hyphen_values = true, value_parser = fraction_in(MEMTEST_COVERAGE))]
    pub min_coverage: f64,
    /// Telemetry sampling and progress interval [100ms to 1h].
    #[arg(long, value_name = "DURATION", default_value = "500ms", allow_hyphen_values = true, value_parser = duration_in(BURN_INTERVAL))]
    pub interval: Duration,
    /// Add the retention (bit-fade) pattern: each of its two waits lasts
    /// this long [1s to 1h; default: not run].
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true, value_parser = duration_in(MEMTEST_RETENTION))]
    pub retention_pause: Option<Duration>,
    /// Testing only: flip one bit on the GPU with this index after the
    /// first pattern is written, to prove the flip is found.
    #[arg(long, value_name = "GPU", hide = true, allow_hyphen_values = true, value_parser = count_in(INJECT_FAULT))]
    pub inject_fault: Option<u32>,
    /// Testing only: byte offset of the word to flip (a multiple of 8).
    #[arg(long, value_name = "BYTES", hide = true, default_value = "0", requires = "inject_fault", allow_hyphen_values = true, value_parser = offset_in(INJECT_OFFSET))]
    pub inject_offset: u64,
    /// Testing only: bit of the 64-bit word to flip [0 to 63].
    #[arg(long, value_name = "BIT", hide = true, default_value = "0", requires = "inject_fault", allow_hyphen_values = true, value_parser = count_in(INJECT_BIT))]
    pub inject_bit: u32,
}

fn offset_in(
    range: IntRange,
) -> impl Fn(&str) -> Result<u64, String> + Clone + Send + Sync + 'static {
    move |s| {
        let n = parse::integer(s, range)?;
        if n % 8 != 0 {
            return Err("expected a multiple of 8 (the offset of a 64-bit word)".into());
        }
        Ok(n)
    }
}

#[derive(Debug, Clone, Args)]
pub struct MonitorArgs {
    /// Time between samples [100ms to 1h].
    #[arg(long, value_name = "DURATION", default_value = "1s", allow_hyphen_values = true, value_parser = duration_in(MONITOR_INTERVAL))]
    pub interval: Duration,
    /// Stop after this long [100ms to 1year 18h]; default: until a signal.
    #[arg(short, long, value_name = "DURATION", allow_hyphen_values = true, value_parser = duration_in(MONITOR_DURATION))]
    pub duration: Option<Duration>,
    /// Stop after this many samples of each GPU [1 to 1000000000].
    #[arg(short = 'c', long, value_name = "N", allow_hyphen_values = true, value_parser = count_in(MONITOR_COUNT))]
    pub count: Option<u32>,
    /// Print CSV with a header line instead of the table.
    #[arg(long)]
    pub csv: bool,
    /// Serve /metrics and /healthz on this address (e.g. 0.0.0.0:9835,
    /// 127.0.0.1:0 for a free port).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Write the metrics to this file each interval, for node_exporter's
    /// textfile collector (name it *.prom).
    #[arg(long, value_name = "PATH")]
    pub textfile: Option<std::path::PathBuf>,
    /// Metric names and labels: gpuctl's (Prometheus conventions) or
    /// dcgm-exporter's, so existing dashboards work unchanged.
    #[arg(long, value_enum, default_value_t = crate::commands::monitor::metrics::MetricNames::Gpuctl)]
    pub metric_names: crate::commands::monitor::metrics::MetricNames,
    /// Columns to show (table and CSV), e.g. index,power.draw,temperature.gpu.
    #[arg(long, value_name = "FIELD,...", long_help = crate::commands::monitor::query::help(), value_parser = crate::commands::monitor::query::parse_query)]
    pub query: Option<crate::commands::monitor::query::Query>,
    /// Label each GPU's metrics with the pod, namespace and container the
    /// kubelet gave it to, from its pod-resources API at SOCKET (default
    /// /var/lib/kubelet/pod-resources/kubelet.sock), asked once per interval.
    #[arg(long, value_name = "SOCKET", num_args = 0..=1, default_missing_value = crate::commands::monitor::pods::DEFAULT_SOCKET, value_parser = crate::commands::monitor::pods::parse_socket)]
    pub pod_resources: Option<std::path::PathBuf>,
    /// Testing only: the circuit breaker's first back-off [100ms to 1h].
    #[arg(long, value_name = "DURATION", hide = true, default_value = "10s", allow_hyphen_values = true, value_parser = duration_in(MONITOR_INTERVAL))]
    pub breaker_backoff: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, String> {
        let mut v = vec![std::ffi::OsString::from("gpuctl")];
        v.extend(args.iter().map(std::ffi::OsString::from));
        parse_from(&v).map_err(|e| e.to_string().lines().next().unwrap_or("").to_string())
    }

    #[test]
    fn negative_values_reach_the_parser_and_name_option_value_and_range() {
        for (args, option, range) in [
            (
                &["burn", "-d", "-1s"][..],
                "--duration",
                "from 100ms to 7days",
            ),
            (
                &["burn", "--memory", "-5%"][..],
                "--memory",
                "from 5% to 100%",
            ),
            (
                &["burn", "--memory", "0.5"][..],
                "--memory",
                "from 5% to 100%",
            ),
            (
                &["health", "--ecc-corrected-max", "-1"][..],
                "--ecc-corrected-max",
                "from 0 to 1000000000",
            ),
            (
                &["health", "--compute-timeout", "0s"][..],
                "--compute-timeout",
                "from 1ms to 1h",
            ),
            (
                &["probe", "--timeout", "0s"][..],
                "--timeout",
                "from 1ms to 1h",
            ),
            (
                &["burn", "--interval", "1ns"][..],
                "--interval",
                "from 100ms to 1h",
            ),
            (
                &["health", "--min-cuda", "18446744073709551616"][..],
                "--min-cuda",
                "4294967295",
            ),
            (
                &["health", "--temperature-margin-c", "abc"][..],
                "--temperature-margin-c",
                "from 0 to 50",
            ),
        ] {
            let err = parse(args).unwrap_err();
            let value = args[2];
            assert!(err.contains(option), "{args:?}: {err}");
            assert!(err.contains(&format!("'{value}'")), "{args:?}: {err}");
            assert!(err.contains(range), "{args:?}: {err}");
        }
    }

    #[test]
    fn percentages_are_fractions_for_burn_and_percent_for_health() {
        let Command::Burn(b) = parse(&["burn", "--memory", "50", "--tolerance", "0%"])
            .unwrap()
            .command
        else {
            panic!("not burn")
        };
        assert_eq!((b.memory, b.tolerance), (0.5, 0.0));
        let Command::Health(h) = parse(&["health", "--memory-used-max-pct", "90%"])
            .unwrap()
            .command
        else {
            panic!("not health")
        };
        assert_eq!(h.memory_used_max_pct, Some(90.0));
    }

    #[test]
    fn help_states_every_range_it_accepts() {
        let mut cmd = command();
        cmd.build();
        let help = |sub: &str, arg: &str| -> String {
            let c = cmd.find_subcommand(sub).unwrap();
            let a = c.get_arguments().find(|a| a.get_id() == arg).unwrap();
            a.get_help().map(|h| h.to_string()).unwrap_or_default()
        };
        for (sub, arg, range) in [
            ("probe", "timeout", PROBE_TIMEOUT.describe()),
            ("health", "watch", config::WATCH.describe()),
            ("health", "since", config::SINCE.describe()),
            (
                "health",
                "compute_timeout",
                config::COMPUTE_TIMEOUT.describe(),
            ),
            ("burn", "duration", BURN_DURATION.describe()),
            ("burn", "interval", BURN_INTERVAL.describe()),
            ("memtest", "duration", BURN_DURATION.describe()),
            ("memtest", "interval", BURN_INTERVAL.describe()),
            ("memtest", "passes", MEMTEST_PASSES.describe()),
            ("memtest", "retention_pause", MEMTEST_RETENTION.describe()),
            ("memtest", "inject_bit", INJECT_BIT.describe()),
            ("monitor", "interval", MONITOR_INTERVAL.describe()),
            ("monitor", "duration", MONITOR_DURATION.describe()),
            ("monitor", "count", MONITOR_COUNT.describe()),
        ] {
            let text = range.strip_prefix("from ").unwrap_or(&range).to_string();
            assert!(
                help(sub, arg).contains(&text),
                "{sub} --{arg}: {}",
                help(sub, arg)
            );
        }
        for spec in config::HEALTH_THRESHOLDS {
            assert_eq!(help("health", spec.key), spec.help_line());
        }
    }
}
