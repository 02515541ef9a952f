//! Unit tests of health's checks, one per status of each.

use super::*;
use crate::device::QueryError;
use crate::device::*;
use crate::report::CheckStatus;

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
    let t = |v| temperature_with_margin("temperature", "GPU", Some(v), None, Some(89), 5).status;
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
