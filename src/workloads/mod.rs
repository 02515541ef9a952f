//! The workloads: what the commands run on GPUs, each written once over
//! the device's capabilities ([`crate::device::compute::Context`]), so
//! the simulated backend runs the same code a GPU does.

pub mod burn;
pub mod parity;
pub mod wipe;
