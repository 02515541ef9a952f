//! Workloads: what gpuctl runs on a GPU, written once over the device's
//! capabilities ([`crate::device::compute::Context`]), so the same code
//! runs on a real GPU and on the simulated one.

pub mod memtest;
pub mod parity;
pub mod selftest;
