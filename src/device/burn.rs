//! The GEMM burn engine's interface: what a command asks of a GPU under
//! burn-in, and what each batch reports back.
//!
//! A [`BurnWorker`] owns one GPU's context, operands and result buffers. It
//! computes a reference product once, then each batch fills every result
//! buffer with the same product and verifies each against the reference on
//! the GPU. Mismatches are data, not errors: one is enough to fail the GPU.
//! Errors are typed ([`DeviceError`]) so callers can tell a faulty GPU from
//! a host problem or a GPU that others are using.

use super::DeviceError;
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

pub use crate::model::dtype::Dtype;

/// What loads the GPU: the GEMM alone, or the GEMM with an HBM streaming
/// copy running beside it on its own stream (issue 22).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BurnMode {
    #[default]
    Gemm,
    Mixed,
}

impl BurnMode {
    /// The CLI and report spelling.
    pub fn name(self) -> &'static str {
        match self {
            BurnMode::Gemm => "gemm",
            BurnMode::Mixed => "mixed",
        }
    }
}

/// What the command asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct BurnConfig {
    pub engine: Engine,
    /// GEMM alone, or GEMM with verified HBM streaming beside it.
    pub mode: BurnMode,
    pub dtype: Dtype,
    /// Fraction (0, 1] of the GPU's free memory to fill with operands and
    /// result buffers.
    pub memory_fraction: f64,
    /// Hidden fault injection: corrupt one result buffer on the GPU in
    /// this batch (0-based), to prove detection works.
    pub inject_fault_at_batch: Option<u64>,
    /// The shape of that corruption.
    pub inject_fault_kind: FaultKind,
    /// Hidden fault injection: corrupt the reference's repeat product (and
    /// its re-run), to prove a reference that does not reproduce fails.
    pub inject_reference_fault: bool,
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
            mode: BurnMode::Gemm,
            dtype,
            memory_fraction,
            inject_fault_at_batch: None,
            inject_fault_kind: FaultKind::default(),
            inject_reference_fault: false,
            seed,
            batch_seconds: 1.0,
            matrix_size: None,
        }
    }
}

/// Shapes of injected corruption: each is one a weak checksum could miss
/// and the burn's checksum must not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// One element replaced by a value far outside the product's range.
    #[default]
    Gross,
    /// The lowest bit of one element flipped.
    LowBit,
    /// The same bit flipped in two different elements (cancels in a plain
    /// sum about half the time).
    SameBitTwoWords,
    /// One bit stuck at 1 in every element of one row of C.
    StuckBitRow,
}

impl FaultKind {
    pub const ALL: [FaultKind; 4] = [
        FaultKind::Gross,
        FaultKind::LowBit,
        FaultKind::SameBitTwoWords,
        FaultKind::StuckBitRow,
    ];

    /// The CLI spelling.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Gross => "gross",
            FaultKind::LowBit => "low-bit",
            FaultKind::SameBitTwoWords => "same-bit-two-words",
            FaultKind::StuckBitRow => "stuck-bit-row",
        }
    }
}

/// How results are compared with the reference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum VerificationMode {
    /// Checksums must be equal: the engine reproduced the reference bit
    /// for bit. Any difference is a fault.
    Exact,
    /// Kept for the report's schema: no engine falls back to a tolerance
    /// any more (a reference that does not reproduce fails the set-up), and
    /// `verification_mode` FAILs should one ever be reported.
    Tolerance { relative: f64 },
}

/// The reference product checked against entries of C recomputed on the
/// host from the known operands (independent of the GPU under test).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AnchorResult {
    /// Entries of C recomputed on the host.
    pub entries: u32,
    /// Entries whose GPU value is beyond `tolerance` of the host's.
    pub beyond_tolerance: u32,
    /// Largest |GPU - host| seen.
    pub max_abs_error: f64,
    /// Absolute tolerance allowed for the largest-magnitude entry (each
    /// entry has its own, from its terms and the dtype's rounding).
    pub tolerance: f64,
}

impl AnchorResult {
    pub fn passed(&self) -> bool {
        self.entries > 0 && self.beyond_tolerance == 0
    }
}

/// What happened to the worker's buffers before they were freed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WipeReport {
    /// Buffers overwritten with zeros.
    pub buffers: u32,
    pub bytes: u64,
    /// Every buffer read back as all zeros.
    pub verified: bool,
    /// 64-bit words that did not read back as zero.
    pub nonzero_words: u64,
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
    /// Products computed for the reference that agreed bit for bit (at
    /// least 2 unless the engine is not reproducible).
    pub reference_products: u32,
    /// Exact checksums, or the tolerance fallback.
    pub verification: VerificationMode,
    /// The host's check of the reference; None where none could run.
    pub anchor: Option<AnchorResult>,
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
    /// This batch compared within a tolerance, not bit for bit.
    pub tolerance_mode: bool,
    /// Mixed mode: bytes the HBM stream read and wrote during the batch.
    pub stream_bytes: u64,
    /// Mixed mode: bytes of the stream's destination checked against the
    /// pattern.
    pub stream_bytes_verified: u64,
    /// Mixed mode: 64-bit words of the destination that were wrong.
    pub stream_mismatched_words: u64,
    /// Mixed mode: device time of the streaming copies, seconds.
    pub stream_seconds: f64,
}

/// One GPU under burn; lives on its own thread.
pub trait BurnWorker: Send {
    fn setup(&self) -> &BurnSetup;
    /// Checksum of the reference product, for comparing GPUs of one model.
    fn reference_checksum(&self) -> u64;
    /// Runs one batch (about a second of work) and verifies it.
    fn run_batch(&mut self) -> Result<BatchResult, DeviceError>;
    /// Overwrites every buffer with zeros and verifies it, before they are
    /// freed (dropping the worker without this still zeroes them, but
    /// unverified). Call once, after the last batch or an error.
    fn finish(&mut self) -> Result<WipeReport, DeviceError> {
        Ok(WipeReport::default())
    }
}
