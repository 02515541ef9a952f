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
    version,
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
(GPU-8932f937), PCI bus ids (0000:18:00.0), comma lists of these, or `all`.
  CUDA_VISIBLE_DEVICES (indices or UUIDs) and CUDA_DEVICE_ORDER are honoured: GPUs a CUDA
program here could not see are not listed. NVML and CUDA are joined by PCI bus id.

JSON
--json prints one document: schema_version, tool, command, host, timestamp, outcome,
exit_code, summary, driver, warnings, error, host_checks, gpus. Errors are JSON on stdout
too. The JSON Schema is src/report/schema.json in the source tree.

ENVIRONMENT
  NO_COLOR             never colour output (colour is used only on a terminal)
  CUDA_VISIBLE_DEVICES which GPUs CUDA programs see; gpuctl follows it
  CUDA_DEVICE_ORDER    FASTEST_FIRST (default) or PCI_BUS_ID
  GPUCTL_SIMULATE      path to a fixture that replaces the driver (testing only)";

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
    /// One JSON document for scripts (schema in src/report/schema.json).
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_accept_human_units_and_reject_bare_numbers() {
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        let err = parse_duration("10").unwrap_err();
        assert!(err.contains("'10'") && err.contains("30s"), "{err}");
    }
}
