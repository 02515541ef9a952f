//! The simulated GPU: [`super::Context`] on host memory.

pub mod kernels;
pub mod mem;
