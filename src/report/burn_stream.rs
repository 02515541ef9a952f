//! What `burn --mode mixed`'s HBM stream did on one GPU.

use schemars::JsonSchema;
use serde::Serialize;

/// The HBM stream beside the GEMM (`burn --mode mixed`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct StreamSummary {
    /// Bytes read plus written over the streaming device time, GB/s.
    pub gbps: Option<f64>,
    /// Bytes read plus written by the streaming copies.
    pub bytes: u64,
    /// Bytes of the copies' destinations checked against the pattern.
    pub bytes_verified: u64,
    /// 64-bit words of a destination that were wrong.
    pub mismatched_words: u64,
}
