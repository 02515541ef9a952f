//! The GEMM rates a simulated GPU shows under `bench` (`gpus[].bench`):
//! per-dtype TFLOP/s for the burn engine's products, scaled by `scale` so
//! a fixture can describe a slow GPU. Bandwidth and launch figures are not
//! here: the bench workload runs on the simulated GPU (`gpus[].compute`)
//! and measures them from its own bytes over the simulated clock.

use serde::Deserialize;
use std::collections::BTreeMap;

/// A simulated GPU's GEMM figures under `bench`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimBench {
    /// TFLOP/s per dtype (`bf16`, `fp16`, `tf32`, `fp32`, `fp64`) for the
    /// burn engine's products under `bench`; a dtype not listed runs at
    /// `burn.tflops`.
    pub gemm_tflops: BTreeMap<String, f64>,
    /// Multiplies every GEMM rate: 0.8 is a GPU 20% slow.
    pub scale: f64,
}

impl Default for SimBench {
    fn default() -> Self {
        Self {
            gemm_tflops: BTreeMap::new(),
            scale: 1.0,
        }
    }
}

impl SimBench {
    /// The simulated GEMM rate for `dtype` (its serde name), scaled;
    /// `burn_tflops` where the fixture gives none. Unchanged (so `burn`
    /// behaves as before) when the fixture sets neither.
    pub fn gemm(&self, dtype: &str, burn_tflops: f64) -> f64 {
        if self.gemm_tflops.is_empty() && self.scale == 1.0 {
            return burn_tflops;
        }
        self.gemm_tflops.get(dtype).copied().unwrap_or(burn_tflops) * self.scale
    }
}
