//! The checks only `health` runs: versions, ECC and remapping in depth,
//! thermal, power, clock events, PCIe, NVLink, modes and memory use.
//!
//! Each takes readings and thresholds and returns a [`Check`]; what was
//! sampled under load arrives as a [`LoadSummary`].

use super::remedy;
use crate::device::{ClockEvents, PcieLink};
use crate::report::{Check, CheckStatus};

/// Limits `health` judges against; README and `man gpuctl-health` list the
/// defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub min_driver: Option<String>,
    pub min_cuda: Option<String>,
    pub expect_model: Option<String>,
    pub temperature_margin_c: u32,
    pub ecc_corrected_max: u64,
    pub remap_uncorrectable_max: u64,
    pub retired_pages_max: u64,
    pub pcie_replay_max: u64,
    pub nvlink_crc_max: u64,
    pub nvlink_replay_max: u64,
    pub nvlink_recovery_max: u64,
    pub memory_used_max_pct: f64,
}

impl Default for Thresholds {
    /// Every number from its one declaration, `config::HEALTH_THRESHOLDS`
    /// (which also gives the flags, config keys and help their defaults).
    fn default() -> Self {
        use crate::config::{
            ECC_CORRECTED_MAX, MEMORY_USED_MAX_PCT, NVLINK_CRC_MAX, NVLINK_RECOVERY_MAX,
            NVLINK_REPLAY_MAX, PCIE_REPLAY_MAX, REMAP_UNCORRECTABLE_MAX, RETIRED_PAGES_MAX,
            TEMPERATURE_MARGIN_C,
        };
        Self {
            min_driver: None,
            min_cuda: None,
            expect_model: None,
            temperature_margin_c: u32::try_from(TEMPERATURE_MARGIN_C.default_count())
                .unwrap_or(u32::MAX),
            ecc_corrected_max: ECC_CORRECTED_MAX.default_count(),
            remap_uncorrectable_max: REMAP_UNCORRECTABLE_MAX.default_count(),
            retired_pages_max: RETIRED_PAGES_MAX.default_count(),
            pcie_replay_max: PCIE_REPLAY_MAX.default_count(),
            nvlink_crc_max: NVLINK_CRC_MAX.default_count(),
            nvlink_replay_max: NVLINK_REPLAY_MAX.default_count(),
            nvlink_recovery_max: NVLINK_RECOVERY_MAX.default_count(),
            memory_used_max_pct: MEMORY_USED_MAX_PCT.default_percent(),
        }
    }
}

/// What telemetry sampling saw, idle or under the self-test's load.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadSummary {
    /// True when the samples were taken while the self-test kept the GPU busy.
    pub under_load: bool,
    pub samples: u32,
    /// Widest and fastest link seen (links train up under load).
    pub pcie_best: Option<PcieLink>,
    /// Union of clock-event bits over all samples, and over busy samples.
    pub clock_events_any: Option<ClockEvents>,
    pub clock_events_busy: ClockEvents,
    pub max_temperature_gpu_c: Option<u32>,
    pub max_temperature_memory_c: Option<u32>,
    pub max_power_w: Option<f64>,
    /// First sampling error per sensor, so a dead sensor is not a pass.
    pub temperature_error: Option<crate::device::QueryError>,
    pub clock_events_error: Option<crate::device::QueryError>,
    pub power_error: Option<crate::device::QueryError>,
    pub pcie_error: Option<crate::device::QueryError>,
}

/// Compares dotted versions numerically: `535.104.05` < `580.65`.
pub fn version_at_least(actual: &str, minimum: &str) -> bool {
    let parse = |v: &str| {
        v.split('.')
            .map(|p| p.parse::<u64>().unwrap_or(0))
            .collect::<Vec<_>>()
    };
    let (a, m) = (parse(actual), parse(minimum));
    let len = a.len().max(m.len());
    let pad = |v: &Vec<u64>, i: usize| v.get(i).copied().unwrap_or(0);
    for i in 0..len {
        match pad(&a, i).cmp(&pad(&m, i)) {
            std::cmp::Ordering::Less => return false,
            std::cmp::Ordering::Greater => return true,
            std::cmp::Ordering::Equal => {}
        }
    }
    true
}

/// A version against an optional minimum.
pub fn version(name: &str, what: &str, actual: Option<&str>, minimum: Option<&str>) -> Check {
    let Some(actual) = actual else {
        return Check::new(name, CheckStatus::Fail, format!("{what} could not be read"))
            .remedy(remedy::DRIVER);
    };
    let check = match minimum {
        Some(min) if !version_at_least(actual, min) => Check::new(
            name,
            CheckStatus::Fail,
            format!("{what} {actual} is older than the required {min}"),
        )
        .remedy(remedy::NEWER_DRIVER),
        Some(min) => Check::new(
            name,
            CheckStatus::Pass,
            format!("{what} {actual} (>= {min})"),
        ),
        None => Check::new(name, CheckStatus::Pass, format!("{what} {actual}")),
    };
    let check = check.value(actual, None);
    match minimum {
        Some(min) => check.threshold(min),
        None => check,
    }
}

/// A driver library answers (or why not).
pub fn library(name: &str, what: &str, error: Option<&str>, needed: bool) -> Check {
    match error {
        None => Check::new(name, CheckStatus::Pass, format!("{what} answers")),
        Some(e) => Check::new(
            name,
            if needed {
                CheckStatus::Fail
            } else {
                CheckStatus::Warn
            },
            format!("{what} unavailable: {e}"),
        )
        .remedy(remedy::DRIVER),
    }
}

/// The GPU is the expected model.
pub fn gpu_model(name: &str, expected: Option<&str>) -> Check {
    const NAME: &str = "gpu_model";
    match expected {
        None => Check::new(NAME, CheckStatus::Pass, name.to_string()).value(name, None),
        Some(e) if name.to_lowercase().contains(&e.to_lowercase()) => {
            Check::new(NAME, CheckStatus::Pass, format!("{name} matches '{e}'"))
                .value(name, None)
                .threshold(e)
        }
        Some(e) => Check::new(
            NAME,
            CheckStatus::Fail,
            format!("{name} is not the expected '{e}'"),
        )
        .value(name, None)
        .threshold(e)
        .remedy(remedy::MODEL),
    }
}

mod links;
mod memory;
mod modes;
mod thermal;

pub use links::*;
pub use memory::*;
pub use modes::*;
pub use thermal::*;

#[cfg(test)]
mod tests;
