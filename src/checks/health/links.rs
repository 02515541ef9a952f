//! Links: PCIe generation and width (judged under load), replays, NVLink
//! state and error counters.

use super::*;
use crate::checks::{remedy, unreadable};
use crate::device::{NvLinkStatus, PcieLink, Reading};
use crate::report::{Check, CheckStatus};

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
