//! How a simulated GPU behaves under `bench`: bandwidths, launch latency and
//! per-dtype GEMM rates from the fixture (`gpus[].bench`), scaled by `scale`
//! so a fixture can describe a slow GPU, and faults to prove they fail.

use super::bench::{BenchWorker, Timed, Transfer};
use super::burn::WipeReport;
use super::DeviceError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// A simulated GPU's benchmark figures (defaults: an H100 SXM).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimBench {
    /// TFLOP/s per dtype (`bf16`, `fp16`, `tf32`, `fp32`, `fp64`) for the
    /// burn engine's products under `bench`; a dtype not listed runs at
    /// `burn.tflops`.
    pub gemm_tflops: BTreeMap<String, f64>,
    /// GB/s, bytes read plus written.
    pub hbm_copy_gbps: f64,
    pub hbm_read_gbps: f64,
    pub hbm_write_gbps: f64,
    pub h2d_gbps: f64,
    pub d2h_gbps: f64,
    pub launch_latency_us: f64,
    /// Multiplies every rate (and divides the latency): 0.8 is a GPU 20%
    /// slow at everything.
    pub scale: f64,
    /// Repetitions alternate this far (percent) above and below the value.
    pub jitter_pct: f64,
    /// Set-up fails with this message.
    pub start_error: Option<String>,
    /// Set-up runs out of memory with this much free (others hold the rest).
    pub out_of_memory_free_bytes: Option<u64>,
    /// Verification of this transfer (`hbm_copy`, `d2h`, ...) fails.
    pub corrupt: Option<String>,
}

impl Default for SimBench {
    fn default() -> Self {
        Self {
            gemm_tflops: BTreeMap::new(),
            hbm_copy_gbps: 3000.0,
            hbm_read_gbps: 3150.0,
            hbm_write_gbps: 3050.0,
            h2d_gbps: 55.0,
            d2h_gbps: 55.0,
            launch_latency_us: 2.0,
            scale: 1.0,
            jitter_pct: 0.0,
            start_error: None,
            out_of_memory_free_bytes: None,
            corrupt: None,
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

/// A simulated benchmark worker.
pub struct SimBenchWorker {
    pub spec: SimBench,
    wiped: bool,
}

/// Simulated buffer: what one repetition moves.
const BYTES: u64 = 1 << 30;
/// The real worker's result slots (wiped with buffers A and B).
use super::bench_pattern::SLOT_BYTES;

impl SimBenchWorker {
    pub fn new(spec: SimBench) -> Self {
        Self { spec, wiped: false }
    }

    fn reps(&self, value: f64, reps: u32) -> Vec<f64> {
        let j = self.spec.jitter_pct / 100.0;
        (0..reps.max(1))
            .map(|r| value * if r % 2 == 0 { 1.0 + j } else { 1.0 - j })
            .collect()
    }
}

impl BenchWorker for SimBenchWorker {
    fn detail(&self) -> String {
        "simulated".into()
    }

    fn transfer(&mut self, what: Transfer, reps: u32) -> Result<Timed, DeviceError> {
        std::thread::sleep(Duration::from_millis(5));
        let (key, gbps, bytes) = match what {
            Transfer::HbmCopy => ("hbm_copy", self.spec.hbm_copy_gbps, 2 * BYTES),
            Transfer::HbmRead => ("hbm_read", self.spec.hbm_read_gbps, BYTES),
            Transfer::HbmWrite => ("hbm_write", self.spec.hbm_write_gbps, BYTES),
            Transfer::HostToDevice => ("h2d", self.spec.h2d_gbps, BYTES),
            Transfer::DeviceToHost => ("d2h", self.spec.d2h_gbps, BYTES),
        };
        if self.spec.corrupt.as_deref() == Some(key) {
            return Err(DeviceError::WrongResult {
                step: key.into(),
                reason: "the data read back differs from what was written: the GPU corrupted \
                         data it moved"
                    .into(),
            });
        }
        let rate = gbps * self.spec.scale * 1e9;
        let seconds = self
            .reps(bytes as f64 / rate, reps)
            .into_iter()
            .collect::<Vec<_>>();
        Ok(Timed {
            seconds,
            bytes_per_rep: bytes,
            verified_bytes: bytes,
        })
    }

    fn launch_latency(&mut self, reps: u32, _launches: u32) -> Result<Vec<f64>, DeviceError> {
        let scale = if self.spec.scale > 0.0 {
            self.spec.scale
        } else {
            1.0
        };
        Ok(self.reps(self.spec.launch_latency_us / 1e6 / scale, reps))
    }

    /// Like the real worker: buffers A and B and the result slots, once.
    fn finish(&mut self) -> Result<WipeReport, DeviceError> {
        let first = !self.wiped;
        self.wiped = true;
        Ok(WipeReport {
            buffers: if first { 3 } else { 0 },
            bytes: if first { 2 * BYTES + SLOT_BYTES } else { 0 },
            verified: true,
            nonzero_words: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::Blame;

    #[test]
    fn corruption_is_a_wrong_result_blamed_on_the_gpu() {
        let mut w = SimBenchWorker::new(SimBench {
            corrupt: Some("d2h".into()),
            ..SimBench::default()
        });
        assert!(w.transfer(Transfer::HbmCopy, 2).is_ok());
        let e = w.transfer(Transfer::DeviceToHost, 2).unwrap_err();
        assert!(matches!(e, DeviceError::WrongResult { .. }), "{e:?}");
        assert_eq!(e.blame(), Blame::Gpu);
        assert!(e.to_string().starts_with("d2h: "), "{e}");
        assert!(e.to_string().contains("corrupted"), "{e}");
    }

    #[test]
    fn finish_reports_the_wipe_once() {
        let mut w = SimBenchWorker::new(SimBench::default());
        let first = w.finish().unwrap();
        assert_eq!(first.buffers, 3);
        assert_eq!(first.bytes, 2 * BYTES + SLOT_BYTES);
        assert!(first.verified);
        let again = w.finish().unwrap();
        assert_eq!((again.buffers, again.bytes), (0, 0));
        assert!(again.verified);
    }
}
