//! `gpuctl list`: every selected GPU with its identity, memory, versions,
//! modes, limits and PCIe links, joined across NVML and CUDA.
//!
//! `list` makes no health claim about a GPU that answers; one that is lost
//! or hung gets a FAIL check and the run exits 1, so an inventory never
//! shows a dead GPU as if it were fine.

pub mod render;

use super::Selected;
use crate::checks::{basic, unreadable};
use crate::cli::GlobalArgs;
use crate::device::inventory::Enumerate;
use crate::device::types::BoardIdentity;
use crate::device::{Gpu, NvmlDetails};
use crate::error::AppError;
use crate::exit;
use crate::report::{
    Check, CheckStatus, GpuDetails, GpuReport, MigInstanceReport, MigModeReport, Outcome, Report,
};

pub fn run(global: &GlobalArgs) -> Result<Report, AppError> {
    let selected = Selected::open(global, Enumerate::Full)?;
    let inventory = &selected.inventory;
    let nvml = selected.backend.nvml().ok();
    let mut report = Report::new("list");
    let gpus: Vec<&Gpu> = selected.gpus().collect();
    // Read side by side: a hung GPU then costs one call timeout in all.
    let read: Vec<Option<(NvmlDetails, BoardIdentity)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = gpus
            .iter()
            .map(|gpu| {
                scope.spawn(move || match (nvml, gpu.has_nvml && gpu.lost.is_none()) {
                    (Some(api), true) => {
                        Some((api.details(gpu.index), api.board_identity(gpu.index)))
                    }
                    _ => None,
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(None))
            .collect()
    });
    report.gpus = gpus
        .iter()
        .zip(read)
        .map(|(gpu, read)| {
            let (nvml_details, board) = read.unzip();
            let problems = problems(gpu, nvml_details.as_ref());
            let serial = nvml_details
                .as_ref()
                .and_then(|d| d.serial.value().cloned());
            let details = GpuDetails {
                board: board.as_ref().map(Into::into).unwrap_or_default(),
                ..details(
                    gpu,
                    nvml_details,
                    inventory.driver.driver_version.clone(),
                    inventory.driver.cuda_driver_version.clone(),
                )
            };
            let base = if problems.is_empty() {
                GpuReport::identity(gpu)
            } else {
                GpuReport::with_checks(gpu, problems)
            };
            GpuReport {
                serial,
                details: Some(details),
                ..base
            }
        })
        .collect();
    let sick: Vec<String> = report
        .gpus
        .iter()
        .filter(|g| g.status == Some(CheckStatus::Fail))
        .flat_map(|g| {
            g.checks
                .iter()
                .flatten()
                .map(move |c| format!("GPU {}: {}", g.index, c.message))
        })
        .collect();
    if sick.is_empty() {
        report.summary = format!("{} GPU(s)", report.gpus.len());
    } else {
        report.outcome = Outcome::Fail;
        report.exit_code = exit::CHECK_FAILED;
        report.summary = format!(
            "{} GPU(s); unhealthy: {}",
            report.gpus.len(),
            sick.join("; ")
        );
    }
    report.driver = Some(inventory.driver.clone());
    report.warnings = inventory.warnings.clone();
    Ok(report)
}

/// FAIL checks for a GPU that is lost or whose details read hung; empty
/// for a GPU that answered.
fn problems(gpu: &Gpu, details: Option<&NvmlDetails>) -> Vec<Check> {
    if gpu.lost.is_some() {
        return vec![basic::on_bus(gpu.lost.as_deref())];
    }
    match details.and_then(|d| d.memory.as_result().err()) {
        Some(e) if e.is_timeout() || *e == crate::device::QueryError::GpuLost => {
            vec![unreadable("details", "GPU details", e)]
        }
        _ => Vec::new(),
    }
}

/// Merges NVML's details with CUDA's (SM count, compute capability), NVML
/// first where both know a value.
fn details(
    gpu: &Gpu,
    nvml: Option<NvmlDetails>,
    driver_version: Option<String>,
    cuda_driver_version: Option<String>,
) -> GpuDetails {
    let n = nvml.unwrap_or_default();
    let cuda = gpu.cuda.first();
    let is_mig = gpu.cuda.iter().any(|d| d.uuid.starts_with("MIG-"));
    let cc = n
        .compute_capability
        .get()
        .or(cuda.map(|c| c.compute_capability));
    let memory = n.memory.get();
    let limits = n.power_limits.get();
    let thresholds = &n.temperature_thresholds;
    let mig_instances = n
        .mig_instances
        .value()
        .map(|list| {
            list.iter()
                .map(|m| MigInstanceReport {
                    index: m.index,
                    uuid: m.uuid.clone(),
                    cuda_index: gpu
                        .cuda
                        .iter()
                        .find(|d| d.uuid == m.uuid)
                        .map(|d| d.ordinal),
                    gpu_instance_id: m.gpu_instance_id,
                    compute_instance_id: m.compute_instance_id,
                    memory_total_bytes: m.memory_total_bytes,
                    sm_count: m.sm_count,
                })
                .collect()
        })
        .unwrap_or_default();
    GpuDetails {
        architecture: n.architecture.value().cloned(),
        memory_total_bytes: memory
            .map(|m| m.total_bytes)
            .or(cuda.map(|c| c.total_memory_bytes)),
        memory_used_bytes: memory.map(|m| m.used_bytes),
        memory_free_bytes: memory.map(|m| m.free_bytes),
        driver_version,
        cuda_driver_version,
        compute_capability: cc.map(|(major, minor)| format!("{major}.{minor}")),
        // A MIG instance's SM count is not the GPU's.
        sm_count: cuda.filter(|_| !is_mig).map(|c| c.sm_count),
        persistence_mode: n.persistence_mode.get(),
        compute_mode: n.compute_mode.value().cloned(),
        mig_mode: n.mig_mode.get().map(|m| MigModeReport {
            current: m.current,
            pending: m.pending,
        }),
        mig_instances,
        power_limit_w: limits.map(|l| l.enforced_w),
        power_limit_default_w: limits.map(|l| l.default_w),
        power_limit_min_w: limits.map(|l| l.min_w),
        power_limit_max_w: limits.map(|l| l.max_w),
        temperature_slowdown_c: thresholds.slowdown_c.get(),
        temperature_shutdown_c: thresholds.shutdown_c.get(),
        temperature_gpu_max_c: thresholds.gpu_max_c.get(),
        temperature_memory_max_c: thresholds.memory_max_c.get(),
        pcie_link_gen_current: n.pcie_current.get().map(|l| l.gen),
        pcie_link_width_current: n.pcie_current.get().map(|l| l.width),
        pcie_link_gen_max: n.pcie_max.get().map(|l| l.gen),
        pcie_link_width_max: n.pcie_max.get().map(|l| l.width),
        board: Default::default(),
    }
}
