//! The burn on a simulated GPU: the real workload code over
//! [`SimContext`], finding faults the simulated memory and GEMM inject.

use super::*;
use crate::device::burn::Engine;
use crate::device::compute::sim::SimContext;
use crate::device::compute::Props;
use crate::kernels;

fn props() -> Props {
    Props {
        ordinal: 0,
        name: "NVIDIA H100 80GB HBM3".into(),
        compute_capability: (9, 0),
        sm_count: 4,
        l2_bytes: 256 << 10,
        total_bytes: 0,
    }
}

fn sim(memory: u64) -> Box<dyn Context> {
    Box::new(SimContext::standalone(props(), memory))
}

#[test]
fn bad_memory_fraction_is_rejected() {
    let cfg = BurnConfig::new(Engine::Builtin, Dtype::Bf16, 0.0, 1);
    assert!(matches!(
        start(sim(2 << 20), &cfg).err(),
        Some(QueryError::Device(DeviceError::Invalid(_)))
    ));
}

#[test]
fn gemm_ptx_has_the_entry_points() {
    for name in [
        "gpuctl_fill_bf16",
        "gpuctl_fill_f16",
        "gpuctl_fill_f32",
        "gpuctl_fill_f64",
        "gpuctl_compare_f32",
        "gpuctl_compare_f64",
        "gpuctl_checksum_mix64",
        "gpuctl_count_nonzero",
    ] {
        assert!(
            kernels::GEMM_PTX.contains(&format!(".entry {name}(")),
            "{name}"
        );
    }
    for d in [
        Dtype::Bf16,
        Dtype::Fp16,
        Dtype::Tf32,
        Dtype::Fp32,
        Dtype::Fp64,
    ] {
        let name = format!("gpuctl_gemm_{}", dtype_name(d));
        assert!(
            kernels::GEMM_PTX.contains(&format!(".entry {name}(")),
            "{name}"
        );
    }
}
