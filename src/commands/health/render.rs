//! `health`'s part of the human table: the driver line above the GPU
//! overview, and one line of numbers per GPU under it (temperature, power,
//! ECC and remap counts, PCIe link), read from the checks themselves so
//! the line and the checks can never disagree.

use crate::report::layout::flow;
use crate::report::table::{Options, Section};
use crate::report::{Check, Report};

/// `health`'s [`Section`]: the core's overview and problems, with the
/// driver line before them and each GPU's numbers under the overview.
pub struct Table;

impl Section for Table {
    fn lead(&self, report: &Report, opts: &Options) -> String {
        super::super::list::render::driver_line(report)
            .map(|line| flow(&[line], "", "  ", opts.width))
            .unwrap_or_default()
    }

    fn glance(&self, report: &Report) -> Vec<(String, Vec<String>)> {
        numbers(report)
    }
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

/// Per GPU, its heading (`GPU 0  `) and the numbers behind its checks
/// (`61 °C  698 W  ECC 0 uncorr 3 corr  remapped 0  PCIe Gen5 x16`:
/// volatile uncorrected and corrected ECC errors, rows remapped for
/// uncorrectable errors); none for GPUs with no checks or lost.
pub fn numbers(report: &Report) -> Vec<(String, Vec<String>)> {
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
        // A lost GPU has no numbers to show.
        let mut lost = r.clone();
        lost.gpus[0].lost = Some("fell off the bus".into());
        assert!(numbers(&lost).is_empty());
    }
}
