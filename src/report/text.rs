//! Wording shared by every command's messages: counts with the right
//! plural, memory sizes in one unit (GiB; bandwidth stays GB/s), and remedy
//! templates filled per GPU: `{gpu}` (and a pair's `{from}`/`{to}`) become
//! the GPU's address when its checks go into its report (the texts are in
//! `checks::remedy`), so a report built anywhere names the GPU the same way.

use super::Check;
use crate::model::gpu::Gpu;

/// `1 word`, `3 words`, `0 words`.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Bytes as GiB with one decimal (`83.3`): the unit of every capacity
/// gpuctl prints, tables and messages alike.
pub fn gib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1u64 << 30) as f64)
}

/// Why an unverified SKIP verified nothing, for the `coverage` message.
pub fn why_unverified(check: &Check) -> &'static str {
    if check.message.contains("no permission") {
        "no permission"
    } else {
        "its source failed"
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular() {
        assert_eq!(count(1, "word"), "1 word");
        assert_eq!(count(0, "word"), "0 words");
        assert_eq!(count(3, "word"), "3 words");
    }

    #[test]
    fn gib_is_binary() {
        assert_eq!(gib(80 * (1 << 30)), "80.0");
        assert_eq!(gib(85_899_345_920 / 2), "40.0");
    }
}
