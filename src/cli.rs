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
                        error (no driver, no GPU), 130 interrupted. `probe` exits only 0 or 1."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

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
    Probe(ProbeArgs),
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
