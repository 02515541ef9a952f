//! The workloads: GPU work written once over [`crate::device::compute::Context`],
//! so the same code runs on a real GPU and on the simulated one (whose
//! memory and kernels behave like a GPU's). The device layer never imports
//! this module; commands start a workload with the context `CudaApi::open`
//! gives them.

pub mod bench;
pub mod burn;
pub mod memtest;
pub mod p2p;
pub mod parity;
pub mod selftest;
pub mod wipe;
