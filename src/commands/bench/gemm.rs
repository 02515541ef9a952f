//! `bench`'s GEMM steps, through the burn engine (every product verified
//! against its reference, each timed between its own two events, the
//! checksums between them not counted), in two regimes:
//!
//! - burst (`gemm_<dtype>`): one batch of [`GEMM_BURST_S`] after
//!   [`GEMM_IDLE`], a step each: the boost clock, a matmul benchmark's
//!   figure;
//! - sustained (`gemm_<dtype>_sustained`): batches of
//!   [`SUSTAINED_BATCH_S`] back to back, a warm-up first so the GPU reaches
//!   its power cap, then the measured batches, one step in all; each
//!   measured batch's products over their event times is one sample.
//!
//! Each regime has its own worker at the same n (the batch length is fixed
//! when a worker is set up); the bursts of every dtype run before any
//! sustained load, so a burst always starts from a cool, idle GPU.

use super::*;
use crate::model::metric::Regime;

/// Device time of one sustained batch: one sample (about 40 products of
/// bf16 at n = 16384 on an H100).
pub(super) const SUSTAINED_BATCH_S: f64 = 0.5;

/// The sustained regime's device time: a warm-up, then the measured part.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Sustained {
    pub warmup_s: f64,
    pub measure_s: f64,
}

impl Sustained {
    /// A default run: the power cap binds within about 1.5 s of full load
    /// (burn's plateau on an H100 and an H200, ENGINEERING.md section 7),
    /// so 1.5 s of warm-up, then 3 s measured (6 samples).
    pub const FULL: Sustained = Sustained {
        warmup_s: 1.5,
        measure_s: 3.0,
    };
    /// `--quick`: 0.5 s of warm-up, 1 s measured (2 samples).
    pub const QUICK: Sustained = Sustained {
        warmup_s: 0.5,
        measure_s: 1.0,
    };

    /// Batches of [`SUSTAINED_BATCH_S`] in `seconds` (at least one).
    fn batches(seconds: f64) -> u32 {
        (seconds / SUSTAINED_BATCH_S).round().max(1.0) as u32
    }
}

/// One GEMM step's samples (TFLOP/s), detail, products verified and
/// products that differed from the reference.
pub(super) type GemmStep = (Vec<f64>, Option<String>, u64, u64);

impl BenchWork {
    /// Runs `dtype`'s GEMM in `regime`: one burst, or the whole sustained
    /// regime (warm-up and measured batches).
    pub(super) fn gemm_step(
        &mut self,
        dtype: Dtype,
        regime: Regime,
    ) -> Result<GemmStep, WorkError> {
        let metric = Metric::gemm_in(dtype, regime);
        if self.burn.as_ref().map(|(m, _)| *m) != Some(metric) {
            // Wipe and free the previous operands (and the bandwidth
            // buffers) before allocating these.
            self.release_burn()?;
            self.release_bench()?;
            let batch_seconds = match regime {
                Regime::Burst => GEMM_BURST_S,
                Regime::Sustained => SUSTAINED_BATCH_S,
            };
            let config = BurnConfig {
                batch_seconds,
                ..BurnConfig::new(self.engine, dtype, GEMM_MEMORY, self.seed)
            };
            let worker = self
                .cuda
                .open(self.ordinal)
                .and_then(|ctx| crate::workloads::burn::start(ctx, &config))
                .map_err(|e| self.holders.work_error(self.ordinal, e))?;
            self.burn = Some((metric, worker));
        }
        let sustained = self.plan.sustained;
        let Some((_, worker)) = self.burn.as_mut() else {
            return Err(WorkError::new("GEMM worker missing", Blame::Unknown));
        };
        let (mut samples, mut products, mut mismatches) = (Vec::new(), 0, 0);
        let (warmup, measured) = match regime {
            Regime::Burst => {
                std::thread::sleep(GEMM_IDLE);
                (0, 1)
            }
            Regime::Sustained => (
                Sustained::batches(sustained.warmup_s),
                Sustained::batches(sustained.measure_s),
            ),
        };
        for k in 0..warmup + measured {
            let batch = worker.run_batch().map_err(WorkError::from)?;
            products += batch.products;
            mismatches += batch.mismatched_products;
            if k >= warmup {
                samples.push(rate(batch.flops / 1e12, batch.gemm_seconds)?);
            }
        }
        let setup = worker.setup();
        let engine = match setup.engine {
            Engine::Cublas => "cublas",
            Engine::Builtin => "builtin",
        };
        let how = match regime {
            Regime::Burst => format!(
                "burst: {} ms after {} ms idle",
                GEMM_BURST_S * 1e3,
                GEMM_IDLE.as_millis()
            ),
            Regime::Sustained => format!(
                "sustained: {warmup} warm-up then {measured} measured batches of \
                 {SUSTAINED_BATCH_S} s back to back"
            ),
        };
        let detail = format!(
            "{engine}: {}, n = {}, {how}",
            setup.detail, setup.matrix_size
        );
        Ok((samples, Some(detail), products, mismatches))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sustained_regime_warms_up_then_measures() {
        let full = Sustained::FULL;
        assert_eq!(Sustained::batches(full.warmup_s), 3);
        assert_eq!(Sustained::batches(full.measure_s), 6);
        // Several seconds of load on a GPU: long enough for the power cap.
        assert!(full.warmup_s + full.measure_s >= 3.0);
        let quick = Sustained::QUICK;
        assert!(quick.warmup_s + quick.measure_s < full.warmup_s + full.measure_s);
        assert_eq!(Sustained::batches(0.0), 1);
    }
}
