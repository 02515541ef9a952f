//! The GEMM burn engine's interface: what a command asks of a GPU under
//! burn-in, and what each batch reports back.
//!
//! A [`BurnWorker`] owns one GPU's context, operands and result buffers. It
//! computes a reference product once, then each batch fills every result
//! buffer with the same product and verifies each against the reference on
//! the GPU. Mismatches are data, not errors: one is enough to fail the GPU.

use serde::{Deserialize, Serialize};

/// Which GEMM implementation burns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// cuBLASLt, loaded at run time when present.
    Cublas,
    /// gpuctl's own tensor-core kernel from `kernels/gemm.cu`.
    Builtin,
}

/// Operand type of the product (accumulation is at least fp32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dtype {
    Bf16,
    Fp16,
    Tf32,
    Fp32,
    Fp64,
}

/// What the command asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct BurnConfig {
    pub engine: Engine,
    pub dtype: Dtype,
    /// Fraction (0, 1] of the GPU's free memory to fill with operands and
    /// result buffers.
    pub memory_fraction: f64,
    /// Hidden fault injection: corrupt one result element on the GPU in
    /// this batch (0-based), to prove detection works.
    pub inject_fault_at_batch: Option<u64>,
    /// Seed for the operands; the same on every GPU of a run, so GPUs of one
    /// model must produce bit-identical reference products.
    pub seed: u64,
    /// Target device time of one batch, seconds: about a second for `burn`
    /// (few checks per product), a tenth for health's short GEMM.
    pub batch_seconds: f64,
    /// Square matrix size (a multiple of 128); None for the dtype's default.
    pub matrix_size: Option<u32>,
}

impl BurnConfig {
    /// A burn's configuration: one-second batches of the dtype's default
    /// size, no fault injected.
    pub fn new(engine: Engine, dtype: Dtype, memory_fraction: f64, seed: u64) -> Self {
        Self {
            engine,
            dtype,
            memory_fraction,
            inject_fault_at_batch: None,
            seed,
            batch_seconds: 1.0,
            matrix_size: None,
        }
    }
}

/// What the worker set up, for the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BurnSetup {
    pub engine: Engine,
    pub dtype: Dtype,
    /// Square matrix size n (products are n x n x n).
    pub matrix_size: u32,
    /// Result buffers filled per batch.
    pub result_buffers: u32,
    /// Device memory held by the worker.
    pub memory_bytes: u64,
    /// Free-form: library version, algorithm, kernel name.
    pub detail: String,
}

/// One batch's outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchResult {
    /// Products computed in this batch.
    pub products: u64,
    /// Floating-point operations done (2 n^3 per product).
    pub flops: f64,
    /// Device time of the products alone, seconds (excludes verification).
    pub gemm_seconds: f64,
    /// Wall time of the whole batch including verification, seconds.
    pub batch_seconds: f64,
    /// Products whose result differed from the reference.
    pub mismatched_products: u64,
    /// Elements that differed, over all mismatched products.
    pub mismatched_elements: u64,
}

/// One GPU under burn; lives on its own thread.
pub trait BurnWorker: Send {
    fn setup(&self) -> &BurnSetup;
    /// Checksum of the reference product, for comparing GPUs of one model.
    fn reference_checksum(&self) -> u64;
    /// Runs one batch (about a second of work) and verifies it.
    fn run_batch(&mut self) -> Result<BatchResult, String>;
}
