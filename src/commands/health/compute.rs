//! `health`'s compute test: the self-test kernel and short verified GEMM
//! batches on every CUDA device of a GPU, run on the harness, and the
//! telemetry sampled under that load.

use super::*;

/// Health's compute test as a harness workload: the self-test kernel
/// (every element checked on the host) at set-up, then short verified
/// tensor-core GEMM batches that keep the GPU busy while telemetry is
/// sampled under load.
pub(super) struct ComputeTest {
    self_test: SelfTestOutcome,
    gemm: Box<dyn BurnWorker>,
}

impl Workload for ComputeTest {
    type Setup = SelfTestOutcome;
    type Step = BatchResult;
    type Cleanup = WipeReport;

    fn setup(&self) -> SelfTestOutcome {
        self.self_test.clone()
    }

    fn step(&mut self) -> Result<BatchResult, WorkError> {
        self.gemm.run_batch().map_err(WorkError::from)
    }

    fn verified(step: &BatchResult) -> u64 {
        step.products
    }

    fn finish(&mut self) -> Result<WipeReport, WorkError> {
        self.gemm.finish().map_err(WorkError::from)
    }
}

/// One GPU's compute tests (label, run per CUDA device) and whether a stop
/// signal cut them short.
pub(super) type Tested<'a> = (Vec<(&'a str, &'a harness::GpuRun<ComputeTest>)>, bool);

/// The compute test of every CUDA device, and which GPU each belongs to.
pub(super) struct ComputeResults {
    /// (slot of the GPU in the selection, CUDA label, run).
    pub(super) runs: Vec<(usize, String, harness::GpuRun<ComputeTest>)>,
    pub(super) interrupted: bool,
}

impl ComputeResults {
    pub(super) fn for_gpu(&self, slot: usize) -> Vec<(&str, &harness::GpuRun<ComputeTest>)> {
        self.runs
            .iter()
            .filter(|(s, _, _)| *s == slot)
            .map(|(_, label, run)| (label.as_str(), run))
            .collect()
    }
}

/// Runs the compute test on every CUDA device of the selected GPUs at once
/// (MIG instances each get their own), sampling telemetry under load.
pub(super) fn compute_tests(
    gpus: &[&Gpu],
    cuda: Arc<dyn CudaApi>,
    nvml: Option<Arc<dyn NvmlApi>>,
    settings: &Settings,
) -> ComputeResults {
    let mut owners = Vec::new();
    let mut targets = Vec::new();
    for (slot, gpu) in gpus.iter().enumerate() {
        if gpu.lost.is_some() {
            // on_bus already fails it; no kernel can reach it.
            continue;
        }
        for device in &gpu.cuda {
            owners.push((slot, format!("CUDA device {}", device.ordinal)));
            targets.push(Target {
                nvml_index: (gpu.has_nvml).then_some(gpu.index),
                cuda_ordinal: Ok(device.ordinal),
            });
        }
    }
    // One seed for every GPU of the run, like burn: GPUs of one model then
    // compute the same products.
    let seed = crate::commands::run_seed();
    let engine = match cuda.cublaslt_available() {
        Ok(()) => Engine::Cublas,
        Err(_) => Engine::Builtin,
    };
    let config = BurnConfig {
        batch_seconds: GEMM_BATCH.as_secs_f64(),
        matrix_size: Some(GEMM_SIZE),
        ..BurnConfig::new(engine, Dtype::Bf16, GEMM_MEMORY_FRACTION, seed)
    };
    let holders = crate::commands::MemoryHolders::new(nvml.clone(), gpus);
    let options = harness::Options {
        duration: LOAD_WINDOW,
        max_steps: None,
        setup_timeout: settings.compute_timeout,
        step_timeout: settings.compute_timeout,
        sample_every: Some(SAMPLE_EVERY),
        watch_xids: false,
        progress_every: Duration::from_secs(3600),
    };
    let result = harness::run(
        &targets,
        nvml,
        &options,
        signal::stop_flag(),
        move |ordinal| {
            // One context for the self-test and the GEMM (see hold_context).
            let _context = cuda
                .hold_context(ordinal)
                .map_err(|e| holders.work_error(ordinal, e))?;
            let self_test =
                crate::workloads::selftest::run_on(cuda.as_ref(), ordinal, Duration::ZERO)
                    .map_err(|e| holders.work_error(ordinal, e))?;
            crate::trace::mark(&format!("health: self-test ran on CUDA device {ordinal}"));
            let gemm = cuda
                .open(ordinal)
                .and_then(|ctx| crate::workloads::burn::start(ctx, &config))
                .map_err(|e| holders.work_error(ordinal, e))?;
            Ok(ComputeTest { self_test, gemm })
        },
        &mut |_, _| {},
    );
    ComputeResults {
        runs: owners
            .into_iter()
            .zip(result.runs)
            .map(|((slot, label), run)| (slot, label, run))
            .collect(),
        interrupted: result.interrupted,
    }
}

/// The compute_self_test check of one CUDA device: the self-test kernel's
/// result, the GEMM's mismatches, and whether the harness ran it at all.
pub(super) fn compute_check(
    label: &str,
    run: &harness::GpuRun<ComputeTest>,
    interrupted: bool,
) -> Check {
    let ran = harness::completion_check("compute_self_test", "GEMM batches", run, interrupted);
    if ran.status != CheckStatus::Pass {
        return Check {
            message: format!("{label}: {}", ran.message),
            ..ran
        };
    }
    let self_test = match &run.setup {
        Some(outcome) => basic::self_test(label, &Ok(outcome.clone())),
        None => return ran,
    };
    if self_test.status != CheckStatus::Pass {
        return self_test;
    }
    let (bad, products) = run.steps.iter().fold((0, 0), |(b, p), s| {
        (b + s.mismatched_products, p + s.products)
    });
    if bad > 0 {
        return Check::new(
            "compute_self_test",
            CheckStatus::Fail,
            format!("{label}: {bad} of {products} tensor-core GEMM products differed from the reference"),
        )
        .value(bad, Some("products"))
        .threshold(0)
        .remedy(crate::checks::remedy::RMA);
    }
    // The GEMM's buffers were zeroed and read back as zero before release.
    let wipe = harness::wipe_check("compute_self_test", run);
    if wipe.status != CheckStatus::Pass {
        return Check {
            message: format!("{label}: {}", wipe.message),
            ..wipe
        };
    }
    Check {
        message: format!(
            "{}; {products} tensor-core GEMM products verified under load",
            self_test.message
        ),
        ..self_test
    }
}

/// Folds telemetry samples into a [`LoadSummary`].
#[derive(Default)]
pub(super) struct Sampler {
    summary: LoadSummary,
    under_load: bool,
}

impl Sampler {
    pub(super) fn sample(&mut self, t: &crate::device::Telemetry) {
        let s = &mut self.summary;
        s.samples += 1;
        match t.temperature_gpu_c.as_result() {
            Ok(&v) => {
                s.max_temperature_gpu_c = Some(s.max_temperature_gpu_c.map_or(v, |m| m.max(v)))
            }
            Err(e) => {
                s.temperature_error.get_or_insert(e.clone());
            }
        }
        if let Some(&v) = t.temperature_memory_c.value() {
            s.max_temperature_memory_c = Some(s.max_temperature_memory_c.map_or(v, |m| m.max(v)));
        }
        match t.power_draw_w.as_result() {
            Ok(&v) => s.max_power_w = Some(s.max_power_w.map_or(v, |m| m.max(v))),
            Err(e) => {
                s.power_error.get_or_insert(e.clone());
            }
        }
        match t.clock_events.as_result() {
            Ok(&ev) => {
                s.clock_events_any =
                    Some(ClockEvents(s.clock_events_any.map_or(0, |c| c.0) | ev.0));
                let busy = t
                    .utilization_gpu_pct
                    .get()
                    .map_or(!ev.contains(ClockEvents::GPU_IDLE), |u| u > 0);
                if busy {
                    s.clock_events_busy = ClockEvents(s.clock_events_busy.0 | ev.0);
                }
            }
            Err(e) => {
                s.clock_events_error.get_or_insert(e.clone());
            }
        }
        match t.pcie_current.as_result() {
            Ok(&l) => {
                let best = s.pcie_best.get_or_insert(l);
                *best = PcieLink {
                    gen: best.gen.max(l.gen),
                    width: best.width.max(l.width),
                };
            }
            Err(e) => {
                s.pcie_error.get_or_insert(e.clone());
            }
        }
    }

    pub(super) fn finish(self) -> LoadSummary {
        LoadSummary {
            under_load: self.under_load,
            ..self.summary
        }
    }
}

/// Telemetry sampled while the compute test ran on the GPU's devices.
pub(super) fn load_of(runs: &[(&str, &harness::GpuRun<ComputeTest>)]) -> LoadSummary {
    let mut sampler = Sampler::default();
    for (_, run) in runs {
        for (_, t) in &run.samples {
            sampler.sample(t);
        }
    }
    // Under load only when some device really ran work while sampled.
    sampler.under_load = runs
        .iter()
        .any(|(_, r)| !r.steps.is_empty() && !r.samples.is_empty());
    sampler.finish()
}
