//! `gpuctl list`: every selected GPU with its identity, memory, versions,
//! modes, limits and PCIe links, joined across NVML and CUDA.

use super::Selected;
use crate::cli::GlobalArgs;
use crate::device::inventory::Enumerate;
use crate::device::{Gpu, NvmlDetails};
use crate::error::AppError;
use crate::report::{GpuDetails, GpuReport, MigInstanceReport, MigModeReport, Report};

pub fn run(global: &GlobalArgs) -> Result<Report, AppError> {
    let selected = Selected::open(global, Enumerate::Full)?;
    let inventory = &selected.inventory;
    let nvml = selected.backend.nvml().ok();
    let mut report = Report::new("list");
    report.gpus = selected
        .gpus()
        .map(|gpu| {
            let nvml_details = match (nvml, gpu.has_nvml && gpu.lost.is_none()) {
                (Some(api), true) => Some(api.details(gpu.index)),
                _ => None,
            };
            let serial = nvml_details
                .as_ref()
                .and_then(|d| d.serial.value().cloned());
            let details = details(
                gpu,
                nvml_details,
                inventory.driver.driver_version.clone(),
                inventory.driver.cuda_driver_version.clone(),
            );
            GpuReport {
                serial,
                details: Some(details),
                ..GpuReport::identity(gpu)
            }
        })
        .collect();
    report.summary = format!("{} GPU(s)", report.gpus.len());
    report.driver = Some(inventory.driver.clone());
    report.warnings = inventory.warnings.clone();
    Ok(report)
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
    }
}
