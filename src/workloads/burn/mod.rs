//! The GEMM burn, written once over [`Context`]: cuBLASLt products
//! (`gemm_plan`/`gemm`) or gpuctl's own tensor-core kernels from
//! `kernels/gemm.cu` launched by name, with on-GPU verification. On a GPU
//! it runs the shipped PTX; on the simulated backend the same calls run the
//! kernels' Rust references on host memory, so CI exercises the real fill,
//! checksum, compare, stream and wipe logic and finds injected faults.
//!
//! Both engines compute the same product with the same layouts ("TN": A is
//! n x n row-major, B is stored n x n row-major as N x K, C = A * B^T is
//! n x n row-major) and write fp32 results (fp64 for [`Dtype::Fp64`]), so one
//! verification path serves both.
//!
//! Verification must not eat into the burn: each batch fills every result
//! buffer, then one memory-bound checksum kernel per product reduces it to a
//! u64 that is compared with the reference product's checksum. The checksum
//! mixes every 64-bit word with its index through a nonlinear bijection, so
//! no single fault (and no pair of same-bit flips) cancels out. The
//! reference is computed twice and must agree bit for bit, and 256 of its
//! entries are recomputed on the host from the known operands
//! ([`crate::device::burn_engine::verify`]), so a deterministic datapath
//! fault cannot agree with itself unnoticed.
//!
//! - [`sizing`]: matrix size, buffer counts, batch length, cursors.
//! - `worker`: the products, their verification and the wipe.
//! - `hbm_stream`: `--mode mixed`'s verified HBM stream beside the GEMM.

mod hbm_stream;
pub mod sizing;
mod worker;

use crate::device::burn::{BurnConfig, BurnWorker, Dtype};
use crate::device::compute::Context;
use crate::device::{DeviceError, QueryError};

pub use hbm_stream::{INJECT_ENV as STREAM_INJECT_ENV, STREAM_SHARE};
pub use sizing::{matrix_size, MATRIX_SIZE};

/// Environment variable that, when set, makes a cuBLASLt worker compare its
/// reference product with the built-in kernel's at setup (result in `detail`).
pub const CROSS_CHECK_ENV: &str = "GPUCTL_BURN_CROSSCHECK";

/// Sets up a burn on the GPU `ctx` opened: operands, reference product
/// (computed twice and anchored on the host), result buffers, and the
/// batch length. Errors keep their [`DeviceError`] (as
/// [`QueryError::Device`]) so callers can tell whose fault they are.
pub fn start(
    ctx: Box<dyn Context>,
    config: &BurnConfig,
) -> Result<Box<dyn BurnWorker>, QueryError> {
    let f = config.memory_fraction;
    if !(f > 0.0 && f <= 1.0) {
        return Err(
            DeviceError::Invalid(format!("memory fraction must be in (0, 1], got {f}")).into(),
        );
    }
    let size_ok = |n: u32| n >= 128 && n % 128 == 0;
    if !(config.batch_seconds > 0.0 && config.matrix_size.is_none_or(size_ok)) {
        return Err(DeviceError::Invalid(format!(
            "bad burn configuration: batch {} s, matrix size {:?}",
            config.batch_seconds, config.matrix_size
        ))
        .into());
    }
    worker::Burn::new(ctx, config)
        .map(|w| Box::new(w) as Box<dyn BurnWorker>)
        .map_err(QueryError::from)
}

/// Kernel-name suffix of each dtype in kernels/gemm.cu.
fn dtype_name(d: Dtype) -> &'static str {
    match d {
        Dtype::Bf16 => "bf16",
        Dtype::Fp16 => "fp16",
        Dtype::Tf32 => "tf32",
        Dtype::Fp32 => "f32",
        Dtype::Fp64 => "f64",
    }
}

#[cfg(test)]
mod tests;
