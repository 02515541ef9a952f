//! Remedy templates filled per GPU: `{gpu}` (and a pair's `{from}`/`{to}`)
//! become the GPU's address when its checks go into its report. The texts
//! themselves are in `checks::remedy`; the filling is part of the report
//! model, so a report built anywhere names the GPU the same way.

use super::Check;
use crate::model::gpu::Gpu;

/// The placeholder [`fill`] replaces with the GPU's address.
pub const GPU: &str = "{gpu}";

/// The placeholders [`fill_pair`] replaces with the sending and receiving
/// GPU's address.
pub const FROM: &str = "{from}";
pub const TO: &str = "{to}";

/// The address a remedy names: the PCI bus id, else the NVML index (also
/// accepted by `nvidia-smi -i`) when even the bus id is unknown.
pub fn address(gpu: &Gpu) -> String {
    if gpu.pci_bus_id.is_empty() {
        gpu.index.to_string()
    } else {
        gpu.pci_bus_id.clone()
    }
}

/// `checks` with every remedy template filled with `gpu`'s address.
pub fn fill(mut checks: Vec<Check>, gpu: &Gpu) -> Vec<Check> {
    let address = address(gpu);
    for check in &mut checks {
        if let Some(r) = &mut check.remedy {
            if r.contains(GPU) {
                *r = r.replace(GPU, &address);
            }
        }
    }
    checks
}

/// A pair's `checks` with `{from}`/`{to}` filled with its GPUs' addresses;
/// a `{gpu}` (a shared remedy such as `checks::remedy::for_blame`'s) names both.
pub fn fill_pair(mut checks: Vec<Check>, from: &Gpu, to: &Gpu) -> Vec<Check> {
    let (a, b) = (address(from), address(to));
    for check in &mut checks {
        if let Some(r) = &mut check.remedy {
            *r = r
                .replace(GPU, &format!("{a} and {b}"))
                .replace(FROM, &a)
                .replace(TO, &b);
        }
    }
    checks
}
