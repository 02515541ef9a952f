//! The checks only `health` runs: versions, ECC and remapping in depth,
//! thermal, power, clock events, PCIe, NVLink, modes and memory use.
//!
//! Each takes readings and thresholds and returns a [`Check`]; what was
//! sampled under load arrives as a [`LoadSummary`].

use super::{remedy, unreadable};
use crate::device::{
    ClockEvents, EccCounts, MemoryInfo, MigMode, NvLinkStatus, PcieLink, PowerLimits, Reading,
    RetiredPages, RowRemap,
};
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

pub fn ecc_mode(enabled: &Reading<bool>) -> Check {
    const NAME: &str = "ecc_mode";
    match enabled.as_result() {
        Err(e) => unreadable(NAME, "ECC mode", e),
        Ok(true) => Check::new(NAME, CheckStatus::Pass, "ECC enabled").value(true, None),
        Ok(false) => Check::new(
            NAME,
            CheckStatus::Warn,
            "ECC disabled: memory errors go undetected",
        )
        .value(false, None)
        .threshold(true)
        .remedy(remedy::ECC_ENABLE),
    }
}

pub fn ecc_aggregate_uncorrected(reading: &Reading<EccCounts>) -> Check {
    const NAME: &str = "ecc_aggregate_uncorrected";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "aggregate ECC counters", e),
        Ok(c) if c.uncorrected > 0 => Check::new(
            NAME,
            CheckStatus::Fail,
            format!(
                "{} uncorrectable ECC error(s) over the GPU's lifetime",
                c.uncorrected
            ),
        )
        .value(c.uncorrected, Some("errors"))
        .threshold(0)
        .remedy(remedy::RMA),
        Ok(c) => Check::new(
            NAME,
            CheckStatus::Pass,
            "no uncorrectable ECC errors recorded",
        )
        .value(c.uncorrected, Some("errors"))
        .threshold(0),
    }
}

pub fn ecc_corrected(reading: &Reading<EccCounts>, max: u64) -> Check {
    const NAME: &str = "ecc_corrected";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "volatile ECC counters", e),
        Ok(c) => {
            let status = if c.corrected > max {
                CheckStatus::Warn
            } else {
                CheckStatus::Pass
            };
            let check = Check::new(
                NAME,
                status,
                format!(
                    "{} corrected ECC error(s) since reset (warn above {max})",
                    c.corrected
                ),
            )
            .value(c.corrected, Some("errors"))
            .threshold(max);
            if status == CheckStatus::Warn {
                check.remedy(remedy::ECC_TREND)
            } else {
                check
            }
        }
    }
}

pub fn row_remap_pending(reading: &Reading<RowRemap>) -> Check {
    const NAME: &str = "row_remap_pending";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "row remapping", e),
        Ok(r) if r.pending => Check::new(
            NAME,
            CheckStatus::Warn,
            "a row remap is pending: it takes effect at the next GPU reset",
        )
        .value(true, None)
        .threshold(false)
        .remedy(remedy::REMAP_PENDING),
        Ok(_) => Check::new(NAME, CheckStatus::Pass, "no row remap pending").value(false, None),
    }
}

pub fn row_remap_uncorrectable(reading: &Reading<RowRemap>, max: u64) -> Check {
    const NAME: &str = "row_remap_uncorrectable";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "row remapping", e),
        Ok(r) => {
            let warn = r.uncorrectable > max;
            let check = Check::new(
                NAME,
                if warn { CheckStatus::Warn } else { CheckStatus::Pass },
                format!(
                    "{} row(s) remapped for uncorrectable errors, {} for correctable (warn above {max})",
                    r.uncorrectable, r.correctable
                ),
            )
            .value(r.uncorrectable, Some("rows"))
            .threshold(max);
            if warn {
                check.remedy(remedy::REMAP_SPARES)
            } else {
                check
            }
        }
    }
}

pub fn retired_pages(reading: &Reading<RetiredPages>, max: u64) -> Check {
    const NAME: &str = "retired_pages";
    match reading.as_result() {
        Err(crate::device::QueryError::NotSupported) => Check::new(
            NAME,
            CheckStatus::Skip,
            "page retirement not supported (Ampere and later use row remapping)",
        ),
        Err(e) => unreadable(NAME, "retired pages", e),
        Ok(p) => {
            let total = p.single_bit + p.double_bit;
            let (status, remedy_text) = if total >= max {
                (CheckStatus::Fail, Some(remedy::RMA))
            } else if p.pending {
                (CheckStatus::Warn, Some(remedy::RETIRE_PENDING))
            } else {
                (CheckStatus::Pass, None)
            };
            let check = Check::new(
                NAME,
                status,
                format!(
                    "{total} page(s) retired ({} single-bit, {} double-bit){}",
                    p.single_bit,
                    p.double_bit,
                    if p.pending {
                        ", retirement pending"
                    } else {
                        ""
                    }
                ),
            )
            .value(total, Some("pages"))
            .threshold(max);
            match remedy_text {
                Some(r) => check.remedy(r),
                None => check,
            }
        }
    }
}

/// Burn's peak temperatures judged exactly as `health` judges a reading:
/// GPU against the slowdown threshold, memory against its maximum, each
/// with the same warning margin (`Thresholds::default()`'s unless given).
pub fn peak_temperatures(
    gpu_peak_c: Option<u32>,
    memory_peak_c: Option<u32>,
    limits: Option<&crate::device::TemperatureThresholds>,
    margin_c: u32,
) -> Vec<Check> {
    vec![
        temperature_with_margin(
            "temperature",
            "peak GPU temperature",
            gpu_peak_c,
            None,
            limits.and_then(|l| l.slowdown_c.get()),
            margin_c,
        ),
        temperature_with_margin(
            "memory_temperature",
            "peak memory temperature",
            memory_peak_c,
            None,
            limits.and_then(|l| l.memory_max_c.get()),
            margin_c,
        ),
    ]
}

/// A temperature against a hard limit, with a warning margin below it.
pub fn temperature_with_margin(
    name: &str,
    what: &str,
    temp: Option<u32>,
    error: Option<&crate::device::QueryError>,
    limit: Option<u32>,
    margin: u32,
) -> Check {
    let t = match (temp, error) {
        // A GPU that stopped answering between samples (lost or hung
        // mid-run) fails, whatever the earlier samples said.
        (_, Some(e)) if e.is_timeout() || *e == crate::device::QueryError::GpuLost => {
            return unreadable(name, what, e)
        }
        (Some(t), _) => t,
        (None, Some(e)) => return unreadable(name, what, e),
        (None, None) => return Check::new(name, CheckStatus::Skip, format!("{what}: no reading")),
    };
    let Some(limit) = limit else {
        return Check::new(
            name,
            CheckStatus::Skip,
            format!("{what} {t} °C; the card reports no limit"),
        )
        .value(t, Some("°C"));
    };
    let (status, msg) = if t >= limit {
        (
            CheckStatus::Fail,
            format!("{what} {t} °C is at or above its limit {limit} °C"),
        )
    } else if t.saturating_add(margin) >= limit {
        (
            CheckStatus::Warn,
            format!("{what} {t} °C is within {margin} °C of its limit {limit} °C"),
        )
    } else {
        (
            CheckStatus::Pass,
            format!("{what} {t} °C, limit {limit} °C"),
        )
    };
    let check = Check::new(name, status, msg)
        .value(t, Some("°C"))
        .threshold(limit);
    if status == CheckStatus::Pass {
        check
    } else {
        check.remedy(remedy::COOLING)
    }
}

/// Power draw against the enforced limit.
pub fn power(
    draw: Option<f64>,
    error: Option<&crate::device::QueryError>,
    limits: &Reading<PowerLimits>,
) -> Check {
    const NAME: &str = "power";
    let w = match (draw, error) {
        (Some(w), _) => w,
        (None, Some(e)) => return unreadable(NAME, "power draw", e),
        (None, None) => return Check::new(NAME, CheckStatus::Skip, "power draw: no reading"),
    };
    let w = (w * 10.0).round() / 10.0;
    match limits.get() {
        None => {
            Check::new(NAME, CheckStatus::Pass, format!("{w} W; limit unknown")).value(w, Some("W"))
        }
        Some(l) if w > l.enforced_w * 1.05 => Check::new(
            NAME,
            CheckStatus::Warn,
            format!("{w} W exceeds the enforced limit {} W", l.enforced_w),
        )
        .value(w, Some("W"))
        .threshold(l.enforced_w)
        .remedy(remedy::POWER_DRAW),
        Some(l) => Check::new(
            NAME,
            CheckStatus::Pass,
            format!("{w} W of {} W", l.enforced_w),
        )
        .value(w, Some("W"))
        .threshold(l.enforced_w),
    }
}

/// Someone capped the card below its default power limit.
pub fn power_limit(limits: &Reading<PowerLimits>) -> Check {
    const NAME: &str = "power_limit";
    match limits.as_result() {
        Err(e) => unreadable(NAME, "power limits", e),
        Ok(l) if l.enforced_w + 0.5 < l.default_w => Check::new(
            NAME,
            CheckStatus::Warn,
            format!(
                "enforced power limit {} W is below the default {} W: the card is capped",
                l.enforced_w, l.default_w
            ),
        )
        .value(l.enforced_w, Some("W"))
        .threshold(l.default_w)
        .remedy(remedy::POWER_LIMIT),
        Ok(l) => Check::new(
            NAME,
            CheckStatus::Pass,
            format!(
                "enforced limit {} W (default {} W)",
                l.enforced_w, l.default_w
            ),
        )
        .value(l.enforced_w, Some("W"))
        .threshold(l.default_w),
    }
}

/// Clock event reasons: hardware slowdowns fail; software caps while busy
/// warn; every active reason is named.
/// Clock event reasons as JSON: `{"reasons": [names], "mask": number}`.
pub fn clock_events_value(events: ClockEvents) -> serde_json::Value {
    serde_json::json!({ "reasons": events.names(), "mask": events.0 })
}

pub fn clock_events(load: &LoadSummary) -> Check {
    const NAME: &str = "clock_events";
    let Some(any) = load.clock_events_any else {
        return match &load.clock_events_error {
            Some(e) => unreadable(NAME, "clock event reasons", e),
            None => Check::new(NAME, CheckStatus::Skip, "clock event reasons: no reading"),
        };
    };
    const HARDWARE: u64 = ClockEvents::HW_SLOWDOWN
        | ClockEvents::HW_THERMAL_SLOWDOWN
        | ClockEvents::HW_POWER_BRAKE_SLOWDOWN;
    // The compute test's tensor-core GEMM draws the board's full power on
    // purpose, so the power cap engaging under it is expected (as in burn);
    // under anyone else's load it still warns.
    let software = if load.under_load {
        ClockEvents::SW_THERMAL_SLOWDOWN
    } else {
        ClockEvents::SW_THERMAL_SLOWDOWN | ClockEvents::SW_POWER_CAP
    };
    let names = any.names();
    let listed = if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    };
    let (status, msg, fix) = if any.intersects(HARDWARE) {
        let hw = ClockEvents(any.0 & HARDWARE).names().join(", ");
        (
            CheckStatus::Fail,
            format!("hardware slowdown active: {hw} (all reasons: {listed})"),
            Some(remedy::HW_SLOWDOWN),
        )
    } else if load.clock_events_busy.intersects(software) {
        let sw = ClockEvents(load.clock_events_busy.0 & software)
            .names()
            .join(", ");
        (
            CheckStatus::Warn,
            format!("throttled while busy: {sw} (all reasons: {listed})"),
            Some(remedy::COOLING),
        )
    } else {
        (CheckStatus::Pass, format!("active reasons: {listed}"), None)
    };
    // One shape everywhere (health, burn progress): names plus the raw mask.
    let check = Check::new(NAME, status, msg).value(clock_events_value(any), None);
    match fix {
        Some(r) => check.remedy(r),
        None => check,
    }
}

/// PCIe link against its maximum, judged only under load.
pub fn pcie_link(load: &LoadSummary, max: &Reading<PcieLink>) -> Check {
    const NAME: &str = "pcie_link";
    let Some(best) = load.pcie_best else {
        return match &load.pcie_error {
            Some(e) => unreadable(NAME, "PCIe link", e),
            None => Check::new(NAME, CheckStatus::Skip, "PCIe link: no reading"),
        };
    };
    let value = format!("Gen{} x{}", best.gen, best.width);
    let max = match max.as_result() {
        Err(e) => return unreadable(NAME, "PCIe maximum link", e),
        Ok(m) => *m,
    };
    let max_text = format!("Gen{} x{}", max.gen, max.width);
    if !load.under_load {
        return Check::new(
            NAME,
            CheckStatus::Skip,
            format!("{value} of {max_text} at idle: not judged, idle links downtrain (run with the compute test)"),
        )
        .value(value, None)
        .threshold(max_text);
    }
    let (status, msg, fix) = if best.width < max.width {
        (
            CheckStatus::Fail,
            format!(
                "link width x{} under load, below the maximum x{}",
                best.width, max.width
            ),
            Some(remedy::PCIE_LINK),
        )
    } else if best.gen < max.gen {
        (
            CheckStatus::Warn,
            format!(
                "link Gen{} under load, below the maximum Gen{}",
                best.gen, max.gen
            ),
            Some(remedy::PCIE_GEN),
        )
    } else {
        (
            CheckStatus::Pass,
            format!("{value} under load, at its maximum"),
            None,
        )
    };
    let check = Check::new(NAME, status, msg)
        .value(value, None)
        .threshold(max_text);
    match fix {
        Some(r) => check.remedy(r),
        None => check,
    }
}

pub fn pcie_replay(reading: &Reading<u64>, max: u64) -> Check {
    const NAME: &str = "pcie_replay";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "PCIe replay counter", e),
        Ok(&n) if n > max => Check::new(
            NAME,
            CheckStatus::Warn,
            format!("{n} PCIe replays (warn above {max}): the link is retrying"),
        )
        .value(n, Some("replays"))
        .threshold(max)
        .remedy(remedy::PCIE_REPLAY),
        Ok(&n) => Check::new(NAME, CheckStatus::Pass, format!("{n} PCIe replays"))
            .value(n, Some("replays"))
            .threshold(max),
    }
}

/// Every NVLink active and its error counters below thresholds; SKIP on a
/// PCIe-only GPU, never "down".
pub fn nvlink(reading: &Reading<Vec<NvLinkStatus>>, t: &Thresholds) -> Check {
    const NAME: &str = "nvlink";
    let links = match reading.as_result() {
        Err(crate::device::QueryError::NotSupported) => {
            return Check::new(NAME, CheckStatus::Skip, "no NVLink on this GPU (PCIe only)")
        }
        Err(e) => return unreadable(NAME, "NVLink state", e),
        Ok(l) if l.is_empty() => {
            return Check::new(NAME, CheckStatus::Skip, "no NVLink on this GPU (PCIe only)")
        }
        Ok(l) => l,
    };
    let down: Vec<String> = links
        .iter()
        .filter(|l| !l.active)
        .map(|l| l.link.to_string())
        .collect();
    let active = links.len() - down.len();
    if !down.is_empty() {
        return Check::new(
            NAME,
            CheckStatus::Fail,
            format!(
                "NVLink link(s) {} down; {active} of {} active",
                down.join(","),
                links.len()
            ),
        )
        .value(active as u64, Some("links"))
        .threshold(links.len() as u64)
        .remedy(remedy::NVLINK_DOWN);
    }
    let noisy: Vec<String> = links
        .iter()
        .filter(|l| {
            l.crc_errors > t.nvlink_crc_max
                || l.replay_errors > t.nvlink_replay_max
                || l.recovery_errors > t.nvlink_recovery_max
        })
        .map(|l| {
            format!(
                "link {} (crc {}, replay {}, recovery {})",
                l.link, l.crc_errors, l.replay_errors, l.recovery_errors
            )
        })
        .collect();
    if !noisy.is_empty() {
        return Check::new(
            NAME,
            CheckStatus::Warn,
            format!(
                "NVLink errors above thresholds (crc {}, replay {}, recovery {}): {}",
                t.nvlink_crc_max,
                t.nvlink_replay_max,
                t.nvlink_recovery_max,
                noisy.join("; ")
            ),
        )
        // The same number against the same limit as every other status.
        .value(active as u64, Some("links"))
        .threshold(links.len() as u64)
        .remedy(remedy::NVLINK_ERRORS);
    }
    Check::new(
        NAME,
        CheckStatus::Pass,
        format!("all {active} NVLink links active, error counters below thresholds"),
    )
    .value(active as u64, Some("links"))
    .threshold(links.len() as u64)
}

pub fn persistence_mode(reading: &Reading<bool>) -> Check {
    const NAME: &str = "persistence_mode";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "persistence mode", e),
        Ok(true) => Check::new(NAME, CheckStatus::Pass, "persistence mode on").value(true, None),
        Ok(false) => Check::new(
            NAME,
            CheckStatus::Warn,
            "persistence mode off: every first use pays 1-3 s of driver start-up",
        )
        .value(false, None)
        .threshold(true)
        .remedy(remedy::PERSISTENCE),
    }
}

pub fn compute_mode(reading: &Reading<String>) -> Check {
    const NAME: &str = "compute_mode";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "compute mode", e),
        Ok(m) if m == "prohibited" => Check::new(
            NAME,
            CheckStatus::Warn,
            "compute mode prohibited: no CUDA context can run",
        )
        .value(m.as_str(), None)
        .remedy(remedy::COMPUTE_MODE),
        Ok(m) => {
            Check::new(NAME, CheckStatus::Pass, format!("compute mode {m}")).value(m.as_str(), None)
        }
    }
}

pub fn mig(mode: &Reading<MigMode>, instances: usize) -> Check {
    const NAME: &str = "mig";
    match mode.as_result() {
        Err(crate::device::QueryError::NotSupported) => {
            Check::new(NAME, CheckStatus::Skip, "MIG not supported on this GPU")
        }
        Err(e) => unreadable(NAME, "MIG mode", e),
        Ok(m) if m.current != m.pending => Check::new(
            NAME,
            CheckStatus::Warn,
            format!(
                "MIG mode change pending ({} now, {} after reset)",
                on_off(m.current),
                on_off(m.pending)
            ),
        )
        .value(on_off(m.current), None)
        .remedy(remedy::MIG_PENDING),
        Ok(m) if m.current => Check::new(
            NAME,
            CheckStatus::Pass,
            format!("MIG on, {instances} instance(s)"),
        )
        .value("on", None),
        Ok(_) => Check::new(NAME, CheckStatus::Pass, "MIG off").value("off", None),
    }
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

pub fn memory_usage(reading: &Reading<MemoryInfo>, max_pct: f64) -> Check {
    const NAME: &str = "memory_usage";
    match reading.as_result() {
        Err(e) => unreadable(NAME, "memory usage", e),
        Ok(m) if m.total_bytes == 0 => Check::new(NAME, CheckStatus::Skip, "memory total reads 0"),
        Ok(m) => {
            let pct = (m.used_bytes as f64 * 1000.0 / m.total_bytes as f64).round() / 10.0;
            let warn = pct > max_pct;
            let check = Check::new(
                NAME,
                if warn {
                    CheckStatus::Warn
                } else {
                    CheckStatus::Pass
                },
                format!("{pct}% of memory in use (warn above {max_pct}%)"),
            )
            .value(pct, Some("%"))
            .threshold(max_pct);
            if warn {
                check.remedy(remedy::MEMORY_USAGE)
            } else {
                check
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::QueryError;

    #[test]
    fn default_thresholds_are_the_threshold_tables() {
        use crate::config::*;
        let d = Thresholds::default();
        assert_eq!(
            TEMPERATURE_MARGIN_C.default_count(),
            u64::from(d.temperature_margin_c)
        );
        assert_eq!(ECC_CORRECTED_MAX.default_count(), d.ecc_corrected_max);
        assert_eq!(
            REMAP_UNCORRECTABLE_MAX.default_count(),
            d.remap_uncorrectable_max
        );
        assert_eq!(RETIRED_PAGES_MAX.default_count(), d.retired_pages_max);
        assert_eq!(PCIE_REPLAY_MAX.default_count(), d.pcie_replay_max);
        assert_eq!(NVLINK_CRC_MAX.default_count(), d.nvlink_crc_max);
        assert_eq!(NVLINK_REPLAY_MAX.default_count(), d.nvlink_replay_max);
        assert_eq!(NVLINK_RECOVERY_MAX.default_count(), d.nvlink_recovery_max);
        assert_eq!(MEMORY_USED_MAX_PCT.default_percent(), d.memory_used_max_pct);
        // The documented defaults (README, man page) are these numbers.
        assert_eq!((d.temperature_margin_c, d.ecc_corrected_max), (5, 1000));
        assert_eq!(d.memory_used_max_pct, 95.0);
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(version_at_least("580.159.04", "535.104"));
        assert!(version_at_least("535.104", "535.104.0"));
        assert!(!version_at_least("535.54.03", "535.104"));
        assert!(!version_at_least("12.2", "12.10"));
        assert_eq!(
            version("driver", "driver", Some("470.1"), Some("535")).status,
            CheckStatus::Fail
        );
        assert_eq!(
            version("driver", "driver", None, None).status,
            CheckStatus::Fail
        );
    }

    #[test]
    fn combined_throttle_reasons_are_all_seen() {
        // SW power cap + HW slowdown together: the hardware bit must fail.
        let load = LoadSummary {
            clock_events_any: Some(ClockEvents(
                ClockEvents::SW_POWER_CAP | ClockEvents::HW_SLOWDOWN,
            )),
            ..Default::default()
        };
        let c = clock_events(&load);
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(
            c.message.contains("hw_slowdown") && c.message.contains("sw_power_cap"),
            "{}",
            c.message
        );
        // Software cap while busy warns; while idle it is fine.
        let busy = LoadSummary {
            clock_events_any: Some(ClockEvents(ClockEvents::SW_POWER_CAP)),
            clock_events_busy: ClockEvents(ClockEvents::SW_POWER_CAP),
            ..Default::default()
        };
        assert_eq!(clock_events(&busy).status, CheckStatus::Warn);
        // Under health's own full-power GEMM the power cap is expected, a
        // software thermal slowdown is not.
        let ours = LoadSummary {
            under_load: true,
            ..busy.clone()
        };
        assert_eq!(clock_events(&ours).status, CheckStatus::Pass);
        let hot = LoadSummary {
            under_load: true,
            clock_events_any: Some(ClockEvents(ClockEvents::SW_THERMAL_SLOWDOWN)),
            clock_events_busy: ClockEvents(ClockEvents::SW_THERMAL_SLOWDOWN),
            ..Default::default()
        };
        assert_eq!(clock_events(&hot).status, CheckStatus::Warn);
        let idle = LoadSummary {
            clock_events_any: Some(ClockEvents(
                ClockEvents::GPU_IDLE | ClockEvents::SW_POWER_CAP,
            )),
            ..Default::default()
        };
        assert_eq!(clock_events(&idle).status, CheckStatus::Pass);
    }

    #[test]
    fn pcie_is_judged_only_under_load() {
        let max = Reading::Value(PcieLink { gen: 5, width: 16 });
        let idle = LoadSummary {
            pcie_best: Some(PcieLink { gen: 1, width: 16 }),
            ..Default::default()
        };
        assert_eq!(pcie_link(&idle, &max).status, CheckStatus::Skip);
        let narrow = LoadSummary {
            under_load: true,
            pcie_best: Some(PcieLink { gen: 5, width: 8 }),
            ..Default::default()
        };
        assert_eq!(pcie_link(&narrow, &max).status, CheckStatus::Fail);
        let slow = LoadSummary {
            under_load: true,
            pcie_best: Some(PcieLink { gen: 4, width: 16 }),
            ..Default::default()
        };
        assert_eq!(pcie_link(&slow, &max).status, CheckStatus::Warn);
        let full = LoadSummary {
            under_load: true,
            pcie_best: Some(PcieLink { gen: 5, width: 16 }),
            ..Default::default()
        };
        assert_eq!(pcie_link(&full, &max).status, CheckStatus::Pass);
    }

    #[test]
    fn a_gpu_lost_between_samples_fails_the_temperature_check() {
        let lost = QueryError::GpuLost;
        let c = temperature_with_margin(
            "temperature",
            "GPU temperature",
            Some(40),
            Some(&lost),
            Some(89),
            5,
        );
        assert_eq!(c.status, CheckStatus::Fail);
    }

    #[test]
    fn burn_peaks_are_judged_like_health_readings() {
        let limits = crate::device::TemperatureThresholds {
            slowdown_c: Reading::Value(89),
            memory_max_c: Reading::Value(95),
            ..Default::default()
        };
        let margin = Thresholds::default().temperature_margin_c;
        let c = peak_temperatures(Some(90), Some(70), Some(&limits), margin);
        assert_eq!(
            (c[0].name.as_str(), c[0].status),
            ("temperature", CheckStatus::Fail)
        );
        assert_eq!(c[0].remedy.as_deref(), Some(remedy::COOLING));
        assert_eq!(c[1].status, CheckStatus::Pass);
        let c = peak_temperatures(Some(85), Some(93), Some(&limits), margin);
        assert_eq!(
            (c[0].status, c[1].status),
            (CheckStatus::Warn, CheckStatus::Warn)
        );
        let c = peak_temperatures(None, None, None, margin);
        assert!(c.iter().all(|c| c.status == CheckStatus::Skip));
    }

    #[test]
    fn temperature_margin_warns_before_the_limit() {
        let t =
            |v| temperature_with_margin("temperature", "GPU", Some(v), None, Some(89), 5).status;
        assert_eq!(t(83), CheckStatus::Pass);
        assert_eq!(t(84), CheckStatus::Warn);
        assert_eq!(t(89), CheckStatus::Fail);
        let err = temperature_with_margin(
            "temperature",
            "GPU",
            None,
            Some(&QueryError::NotSupported),
            Some(89),
            5,
        );
        assert_eq!(err.status, CheckStatus::Skip);
    }

    #[test]
    fn nvlink_on_pcie_only_gpu_is_skip_never_down() {
        let t = Thresholds::default();
        assert_eq!(
            nvlink(&Reading::err(QueryError::NotSupported), &t).status,
            CheckStatus::Skip
        );
        let links = vec![
            NvLinkStatus {
                link: 0,
                active: true,
                ..Default::default()
            },
            NvLinkStatus {
                link: 1,
                active: false,
                ..Default::default()
            },
        ];
        assert_eq!(nvlink(&Reading::Value(links), &t).status, CheckStatus::Fail);
        let noisy = vec![NvLinkStatus {
            link: 0,
            active: true,
            crc_errors: 500,
            ..Default::default()
        }];
        assert_eq!(nvlink(&Reading::Value(noisy), &t).status, CheckStatus::Warn);
    }

    #[test]
    fn capped_power_limit_warns() {
        let capped = Reading::Value(PowerLimits {
            enforced_w: 500.0,
            default_w: 700.0,
            min_w: 200.0,
            max_w: 700.0,
        });
        assert_eq!(power_limit(&capped).status, CheckStatus::Warn);
        let normal = Reading::Value(PowerLimits {
            enforced_w: 700.0,
            default_w: 700.0,
            min_w: 200.0,
            max_w: 700.0,
        });
        assert_eq!(power_limit(&normal).status, CheckStatus::Pass);
        assert_eq!(power(Some(760.0), None, &normal).status, CheckStatus::Warn);
    }

    #[test]
    fn memory_usage_warns_above_threshold() {
        let m = |used| {
            Reading::Value(MemoryInfo {
                total_bytes: 100,
                used_bytes: used,
                free_bytes: 100 - used,
            })
        };
        assert_eq!(memory_usage(&m(96), 95.0).status, CheckStatus::Warn);
        assert_eq!(memory_usage(&m(95), 95.0).status, CheckStatus::Pass);
    }

    #[test]
    fn remap_and_retirement_states() {
        let pending = Reading::Value(RowRemap {
            pending: true,
            ..Default::default()
        });
        assert_eq!(row_remap_pending(&pending).status, CheckStatus::Warn);
        let many = Reading::Value(RowRemap {
            uncorrectable: 9,
            ..Default::default()
        });
        assert_eq!(row_remap_uncorrectable(&many, 8).status, CheckStatus::Warn);
        assert_eq!(
            retired_pages(&Reading::default(), 60).status,
            CheckStatus::Skip
        );
        let pages = Reading::Value(RetiredPages {
            single_bit: 30,
            double_bit: 30,
            pending: false,
        });
        assert_eq!(retired_pages(&pages, 60).status, CheckStatus::Fail);
    }
}
