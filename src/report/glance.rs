//! What a healthy table still says at a glance: the driver and CUDA
//! versions in `list`'s and `health`'s header, and one line of numbers per
//! GPU under `health`'s table (temperature, power, ECC and remap counts,
//! PCIe link), read from the checks themselves so the line and the checks
//! can never disagree.

use super::{Check, Report};

/// The commands whose tables start with the driver line.
const DRIVER_LINE_COMMANDS: [&str; 2] = ["list", "health"];

/// `driver 580.159.04  CUDA 13.0`, for `list` and `health`; None when the
/// report has no driver facts (or is another command's).
pub fn driver_line(report: &Report) -> Option<String> {
    if !DRIVER_LINE_COMMANDS.contains(&report.command.as_str()) {
        return None;
    }
    let d = report.driver.as_ref()?;
    if d.driver_version.is_none() && d.cuda_driver_version.is_none() {
        return None;
    }
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    Some(format!(
        "driver {}  CUDA {}",
        or_dash(&d.driver_version),
        or_dash(&d.cuda_driver_version)
    ))
}

/// The number a check measured, as text (`-` when it measured none).
fn reading(checks: &[Check], name: &str, unit: &str) -> String {
    let value = checks
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| c.value.as_ref());
    match value {
        // Whole numbers: degrees, watts and counts at a glance.
        Some(serde_json::Value::Number(n)) => match n.as_f64() {
            Some(f) => format!("{f:.0}{unit}"),
            None => format!("-{unit}"),
        },
        Some(serde_json::Value::String(s)) => format!("{s}{unit}"),
        _ => format!("-{unit}"),
    }
}

/// `health`: per GPU, its heading (`GPU 0  `) and the numbers behind its
/// checks (`61 °C  698 W  ECC 0 uncorr 3 corr  remapped 0  PCIe Gen5 x16`:
/// volatile uncorrected and corrected ECC errors, rows remapped for
/// uncorrectable errors); empty for other commands and GPUs with no checks.
pub fn numbers(report: &Report) -> Vec<(String, Vec<String>)> {
    if report.command != "health" {
        return Vec::new();
    }
    report
        .gpus
        .iter()
        .filter_map(|g| {
            let checks = g.checks.as_deref().filter(|c| !c.is_empty())?;
            if g.lost.is_some() {
                return None;
            }
            let fields = vec![
                reading(checks, "temperature", " °C"),
                reading(checks, "power", " W"),
                format!(
                    "ECC {} uncorr {} corr",
                    reading(checks, "ecc_volatile_uncorrected", ""),
                    reading(checks, "ecc_corrected", "")
                ),
                format!(
                    "remapped {}",
                    reading(checks, "row_remap_uncorrectable", "")
                ),
                format!("PCIe {}", reading(checks, "pcie_link", "")),
            ];
            Some((format!("GPU {}  ", g.index), fields))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::gpu::Gpu;
    use crate::report::{CheckStatus, GpuReport};

    fn health_with(checks: Vec<Check>) -> Report {
        let gpu = Gpu {
            index: 0,
            has_nvml: true,
            name: String::new(),
            uuid: String::new(),
            pci_bus_id: String::new(),
            cuda: Vec::new(),
            lost: None,
        };
        let mut r = Report::new("health");
        r.gpus.push(GpuReport::with_checks(&gpu, checks));
        r
    }

    #[test]
    fn the_line_reads_the_checks_values() {
        let c = |n: &str, v: serde_json::Value| Check::new(n, CheckStatus::Pass, "").value(v, None);
        let r = health_with(vec![
            c("temperature", 61.into()),
            c("power", 698.4.into()),
            c("ecc_volatile_uncorrected", 0.into()),
            c("ecc_corrected", 3.into()),
            c("pcie_link", "Gen5 x16".into()),
        ]);
        let lines = numbers(&r);
        assert_eq!(lines.len(), 1);
        assert_eq!(
            lines[0].1,
            [
                "61 °C",
                "698 W",
                "ECC 0 uncorr 3 corr",
                "remapped -",
                "PCIe Gen5 x16"
            ]
        );
        assert!(numbers(&Report::new("burn")).is_empty());
    }
}
