//! `diag`'s fabric phase: each selected GPU's NVSwitch fabric registration
//! (NVML's GPU fabric info), a SKIP where there is no fabric.

use crate::checks::fabric;
use crate::cli::GlobalArgs;
use crate::commands::Selected;
use crate::device::inventory::Enumerate;
use crate::device::QueryError;
use crate::error::AppError;
use crate::report::{GpuReport, Report};

/// The fabric phase's report: one `fabric` check per GPU.
pub fn run(global: &GlobalArgs) -> Result<Report, AppError> {
    let selected = Selected::open(global, Enumerate::NvmlOnly)?;
    let mut report = Report::new("fabric");
    report.driver = Some(selected.inventory.driver.clone());
    let nvml = selected.backend.nvml().ok().cloned();
    for gpu in selected.gpus() {
        let reading = match (&nvml, gpu.has_nvml, &gpu.lost) {
            (_, _, Some(_)) => crate::device::types::Reading::err(QueryError::GpuLost),
            (Some(api), true, None) => api.fabric_info(gpu.index),
            _ => crate::device::types::Reading::err(QueryError::Failed(
                "NVML does not see this GPU".into(),
            )),
        };
        report
            .gpus
            .push(GpuReport::with_checks(gpu, vec![fabric::fabric(&reading)]));
    }
    let interrupted = crate::signal::stopped();
    let failed = report.failed_gpus();
    let verdict = report.conclude(interrupted, &failed);
    report.summary = format!("fabric: {verdict}");
    Ok(report)
}
