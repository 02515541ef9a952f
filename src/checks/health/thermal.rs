//! Temperatures (idle, and burn's peaks), power draw and limit, clock
//! events.

use super::*;
use crate::checks::{remedy, unreadable};
use crate::device::{ClockEvents, PowerLimits, Reading};
use crate::model::stats::round1;
use crate::report::{Check, CheckStatus};

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
    let w = round1(w);
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

/// Clock event reasons as JSON: `{"reasons": [names], "mask": number}`.
pub fn clock_events_value(events: ClockEvents) -> serde_json::Value {
    serde_json::json!({ "reasons": events.names(), "mask": events.0 })
}

/// Clock event reasons: hardware slowdowns fail; software caps while busy
/// warn; every active reason is named.
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
