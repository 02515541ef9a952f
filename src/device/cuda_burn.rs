//! The real GEMM burn engine (cuBLASLt or the built-in kernel).

use super::burn::{BurnConfig, BurnWorker};
use super::QueryError;

/// Whether cuBLASLt can be loaded.
pub fn cublaslt_available() -> Result<(), String> {
    Err("cuBLASLt support is not built yet".into())
}

/// Sets up a burn worker on `ordinal`.
pub fn start(_ordinal: u32, _config: &BurnConfig) -> Result<Box<dyn BurnWorker>, QueryError> {
    Err(QueryError::Failed("burn engine is not built yet".into()))
}
