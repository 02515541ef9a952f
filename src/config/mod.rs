//! The config file (`--config PATH`, TOML): defaults for options that flags
//! override, one table per command (`[health]`, `[burn]`, ...; `tables.rs`
//! declares every key once).
//!
//! The file must be a regular file of at most [`MAX_BYTES`] (a FIFO or
//! `/dev/zero` is refused before anything is read; `file.rs`). Every value
//! goes through the same parser as its flag (`apply.rs` hands it to the
//! flag's own clap value parser), and every error is one line naming the
//! file, the line, the key and the value, with the usage exit code.
//!
//! [`HEALTH_THRESHOLDS`] declares each numeric threshold once: its config
//! key, flag, default, accepted range, unit and help. The flag's parser and
//! help text (`cli.rs`), this file's checks and the docs derive from it.

mod apply;
mod file;
mod show;
mod tables;

pub use apply::{apply, load_checked, Entry, Loaded};
pub use file::{discover, search_order, Found, Origin, CONFIG_ENV, SYSTEM_CONFIG};
pub use show::show;
pub use tables::{KeySpec, Kind, TableSpec, TABLES};

use crate::parse::{self, DurationRange, FloatRange, IntRange};
use std::time::Duration;

/// When `health` exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Only a FAIL fails the run.
    Fail,
    /// A WARN fails the run too.
    Warn,
}

/// Largest config file read; a real one is a few hundred bytes.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// What a threshold accepts and defaults to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// A whole number (a count, or degrees).
    Count { range: IntRange, default: u64 },
    /// A percentage (`95` or `95%`).
    Percent { range: FloatRange, default: f64 },
}

/// One `health` threshold, declared once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdSpec {
    /// Config key in `[health]`, and the clap argument id.
    pub key: &'static str,
    /// The long flag.
    pub flag: &'static str,
    pub limit: Limit,
    /// Unit after the default in help text ("" for counts).
    pub unit: &'static str,
    pub help: &'static str,
}

impl ThresholdSpec {
    /// The flag's help: what it does, the accepted range and the default.
    pub fn help_line(&self) -> String {
        match self.limit {
            Limit::Count { range, default } => format!(
                "{} [{} to {}{u}; default: {default}{u}]",
                self.help,
                range.min,
                range.max,
                u = self.unit
            ),
            Limit::Percent { range, default } => format!(
                "{} [{}% to {}%; default: {default}%]",
                self.help, range.min, range.max
            ),
        }
    }

    /// Parses a count from text (flag or config); the error names the range.
    pub fn count(&self, value: &str) -> Result<u64, String> {
        match self.limit {
            Limit::Count { range, .. } => parse::integer(value, range),
            Limit::Percent { .. } => Err(format!("'{}' is not a count", self.key)),
        }
    }

    /// Parses a percentage from text (flag or config).
    pub fn percent(&self, value: &str) -> Result<f64, String> {
        match self.limit {
            Limit::Percent { range, .. } => parse::percent(value, range),
            Limit::Count { .. } => Err(format!("'{}' is not a percentage", self.key)),
        }
    }

    pub fn default_count(&self) -> u64 {
        match self.limit {
            Limit::Count { default, .. } => default,
            Limit::Percent { default, .. } => default as u64,
        }
    }

    pub fn default_percent(&self) -> f64 {
        match self.limit {
            Limit::Percent { default, .. } => default,
            Limit::Count { default, .. } => default as f64,
        }
    }
}

/// Largest count threshold: far above any real counter limit, and a round
/// number in messages.
const COUNT_MAX: u64 = 1_000_000_000;

const fn count(
    key: &'static str,
    flag: &'static str,
    default: u64,
    help: &'static str,
) -> ThresholdSpec {
    ThresholdSpec {
        key,
        flag,
        limit: Limit::Count {
            range: IntRange::new(0, COUNT_MAX),
            default,
        },
        unit: "",
        help,
    }
}

pub const TEMPERATURE_MARGIN_C: ThresholdSpec = ThresholdSpec {
    key: "temperature_margin_c",
    flag: "--temperature-margin-c",
    limit: Limit::Count {
        range: IntRange::new(0, 50),
        default: 5,
    },
    unit: " °C",
    help: "WARN when a temperature is within this many °C of its slowdown threshold",
};
pub const ECC_CORRECTED_MAX: ThresholdSpec = count(
    "ecc_corrected_max",
    "--ecc-corrected-max",
    1000,
    "WARN above this many corrected ECC errors since reset",
);
pub const REMAP_UNCORRECTABLE_MAX: ThresholdSpec = count(
    "remap_uncorrectable_max",
    "--remap-uncorrectable-max",
    8,
    "WARN above this many rows remapped for uncorrectable errors",
);
/// Zero would fail every pre-Ampere GPU, so at least one page.
pub const RETIRED_PAGES_MAX: ThresholdSpec = ThresholdSpec {
    limit: Limit::Count {
        range: IntRange::new(1, COUNT_MAX),
        default: 60,
    },
    ..count(
        "retired_pages_max",
        "--retired-pages-max",
        60,
        "FAIL at this many retired pages, pre-Ampere GPUs",
    )
};
pub const PCIE_REPLAY_MAX: ThresholdSpec = count(
    "pcie_replay_max",
    "--pcie-replay-max",
    100,
    "WARN above this many PCIe replays since the driver loaded",
);
pub const NVLINK_CRC_MAX: ThresholdSpec = count(
    "nvlink_crc_max",
    "--nvlink-crc-max",
    100,
    "WARN above this many NVLink CRC errors on any link",
);
pub const NVLINK_REPLAY_MAX: ThresholdSpec = count(
    "nvlink_replay_max",
    "--nvlink-replay-max",
    100,
    "WARN above this many NVLink replays on any link",
);
pub const NVLINK_RECOVERY_MAX: ThresholdSpec = count(
    "nvlink_recovery_max",
    "--nvlink-recovery-max",
    10,
    "WARN above this many NVLink recoveries on any link",
);
pub const MEMORY_USED_MAX_PCT: ThresholdSpec = ThresholdSpec {
    key: "memory_used_max_pct",
    flag: "--memory-used-max-pct",
    limit: Limit::Percent {
        range: FloatRange::new(0.0, false, 100.0),
        default: 95.0,
    },
    unit: "%",
    help: "WARN when more than this percentage of memory is in use",
};

/// Every numeric `health` threshold, in help order.
pub const HEALTH_THRESHOLDS: [ThresholdSpec; 9] = [
    TEMPERATURE_MARGIN_C,
    ECC_CORRECTED_MAX,
    REMAP_UNCORRECTABLE_MAX,
    RETIRED_PAGES_MAX,
    PCIE_REPLAY_MAX,
    NVLINK_CRC_MAX,
    NVLINK_REPLAY_MAX,
    NVLINK_RECOVERY_MAX,
    MEMORY_USED_MAX_PCT,
];

/// Ranges of the `health` options that are not thresholds; the flags use
/// the same ones (`cli.rs`).
pub const EXPECT_GPUS: IntRange = IntRange::new(0, 1024);
pub const WATCH: DurationRange = DurationRange::new(Duration::ZERO, Duration::from_secs(3600));
pub const SINCE: DurationRange =
    DurationRange::new(Duration::ZERO, Duration::from_secs(30 * 24 * 3600));
pub const COMPUTE_TIMEOUT: DurationRange =
    DurationRange::new(Duration::from_millis(1), Duration::from_secs(3600));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_flags_and_help_follow_their_keys() {
        for spec in HEALTH_THRESHOLDS {
            let line = spec.help_line();
            assert!(line.contains("default:"), "{line}");
            assert_eq!(spec.flag, format!("--{}", spec.key.replace('_', "-")));
        }
    }
}
