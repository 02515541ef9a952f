//! The GEMM burn's verification model in plain Rust: the checksum the GPU
//! kernel computes, the operands the fill kernels write, the host anchor
//! and the fault shapes. The burn itself is a workload
//! (`crate::workloads::burn`); this model stays in the device layer
//! because the simulated GPU's reference kernels use it too.

pub mod verify;
