//! Command-line definitions only: what each subcommand accepts.
//!
//! Values are validated here (selectors, durations, counts) so that a bad
//! value fails before any GPU is touched, with one line naming the value and
//! what is accepted. Behaviour lives in `commands/`.

mod bench;
mod burn;
mod config_file;
mod diag;
mod events;
mod health;
mod list;
mod memtest;
mod monitor;
mod p2p;
mod probe;

pub use bench::*;
pub use burn::*;
pub use config_file::*;
pub use diag::*;
pub use events::*;
pub use health::*;
pub use list::*;
pub use memtest::*;
pub use monitor::*;
pub use p2p::*;
pub use probe::*;

use crate::config::{self, ThresholdSpec};
use crate::device::select::{self, Selector};
pub use crate::model::dtype::Dtype;
use crate::model::metric::{self, Metric};
pub use crate::model::pattern::Pattern;
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
    /// CSV rows: `list` (one row per GPU), `health` (one per check),
    /// `bench` (one per GPU per metric), `monitor` (its `--csv`).
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
        let names = crate::model::checks::HealthSelector;
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
pub const GPU_COUNT: IntRange = config::EXPECT_GPUS;

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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List GPUs with identity, memory, versions, modes, limits and PCIe links.
    List(ListArgs),
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
    #[command(after_long_help = diag::LONG_HELP)]
    Diag(Box<diag::DiagArgs>),
    /// The config file: every command's effective settings and where each
    /// came from.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
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
