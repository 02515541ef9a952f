//! The real GEMM burn engine: cuBLASLt (see [`crate::device::cublaslt`]) or
//! gpuctl's own kernels from `kernels/gemm.cu`, with on-GPU verification.
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
//! reference is computed twice and must agree bit for bit, and 64 of its
//! entries are recomputed on the host from the known operands, so a
//! deterministic datapath fault cannot agree with itself unnoticed.
//!
//! - [`sizing`]: matrix size, buffer counts, batch length, cursors.
//! - [`verify`]: the checksum, operand and fault models in plain Rust.
//! - `worker`: the GPU side.
//! - `hbm_stream`: `--mode mixed`'s verified HBM stream beside the GEMM.

mod hbm_stream;
pub mod sizing;
pub mod verify;
mod worker;

use super::burn::{BurnConfig, BurnWorker, Dtype, Engine};
use super::cuerr::guarded;
use super::{DeviceError, QueryError};

pub use hbm_stream::{INJECT_ENV as STREAM_INJECT_ENV, STREAM_SHARE};
pub use sizing::{matrix_size, MATRIX_SIZE};

/// Environment variable that, when set, makes a cuBLASLt worker compare its
/// reference product with the built-in kernel's at setup (result in `detail`).
pub const CROSS_CHECK_ENV: &str = "GPUCTL_BURN_CROSSCHECK";

/// Whether cuBLASLt can be loaded; the error names every library tried.
pub fn cublaslt_available() -> Result<(), String> {
    super::cublaslt::available()
}

/// Sets up a burn worker on `ordinal`: context, operands, reference product
/// (computed twice and anchored on the host), result buffers, and the batch
/// length.
pub fn start(ordinal: u32, config: &BurnConfig) -> Result<Box<dyn BurnWorker>, QueryError> {
    let f = config.memory_fraction;
    if !(f > 0.0 && f <= 1.0) {
        return Err(
            DeviceError::Invalid(format!("memory fraction must be in (0, 1], got {f}")).into(),
        );
    }
    if config.engine == Engine::Cublas {
        super::cublaslt::lib_or_host_error()?;
    }
    let size_ok = |n: u32| n >= 128 && n % 128 == 0;
    if !(config.batch_seconds > 0.0 && config.matrix_size.is_none_or(size_ok)) {
        return Err(DeviceError::Invalid(format!(
            "bad burn configuration: batch {} s, matrix size {:?}",
            config.batch_seconds, config.matrix_size
        ))
        .into());
    }
    guarded(|| {
        worker::Burn::new(ordinal, config)
            .map(|w| Box::new(w) as Box<dyn BurnWorker>)
            .map_err(QueryError::from)
    })
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
mod tests {
    use super::*;
    use crate::kernels;

    #[test]
    fn bad_memory_fraction_is_rejected() {
        let cfg = BurnConfig::new(Engine::Builtin, Dtype::Bf16, 0.0, 1);
        assert!(matches!(
            start(0, &cfg).err(),
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
}
