//! `gpuctl burn`: GEMM burn-in on every selected GPU at once.
//!
//! One worker thread per GPU runs verified GEMM batches until the duration
//! ends or a signal arrives; a sampler thread reads NVML telemetry at a
//! steady interval; NVML XID events are watched throughout. The verdict per
//! GPU comes from mismatches, errors, XIDs, hardware slowdowns and
//! throughput against the best GPU of the same model.

pub mod render;

use super::{harness_target, Selected};
use crate::checks::{burn as burn_checks, xid};
use crate::cli::ModeChoice;
use crate::cli::{BurnArgs, FaultKindChoice, GlobalArgs};
use crate::device::burn::{
    BatchResult, BurnConfig, BurnSetup, BurnWorker, Dtype, Engine, FaultKind, WipeReport,
};
use crate::device::inventory::Enumerate;
use crate::device::{ClockEvents, Gpu, PowerSource, QueryError, XidSeen};
use crate::error::AppError;
use crate::harness::{self, Target, WorkError, Workload};
use crate::model::stats::{median, round1};
use crate::report::progress::{ProgressEvent, ProgressSink};
use crate::report::{BurnSummary, Check, CheckStatus, GpuReport, Report, ThrottleTime};
use crate::signal;
use std::collections::BTreeMap;
use std::time::Duration;

/// The checks that define a passing burn (ARCHITECTURE.md, the fail-closed
/// rule): the run itself and every product verified.
pub const REQUIRED: [&str; 2] = ["burn_ran", "result_mismatch"];
/// `--mode mixed`: the HBM stream beside the GEMM verified too.
pub const REQUIRED_MIXED: [&str; 3] = [REQUIRED[0], REQUIRED[1], "stream_mismatch"];

/// Batch in which `--inject-fault` corrupts a result (the second one, so a
/// clean batch comes first).
const FAULT_BATCH: u64 = 1;
/// Set-up (context, operands, reference product) longer than this is a hang.
const SETUP_TIMEOUT: Duration = Duration::from_secs(120);
/// A batch is about a second; one this late is a hang.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// One GPU's burn as a harness workload: set-up computes the reference,
/// each step is one verified batch.
struct BurnWork(Box<dyn BurnWorker>);

impl Workload for BurnWork {
    type Setup = (BurnSetup, u64);
    type Step = BatchResult;
    type Cleanup = WipeReport;

    fn setup(&self) -> Self::Setup {
        (self.0.setup().clone(), self.0.reference_checksum())
    }

    fn step(&mut self) -> Result<BatchResult, WorkError> {
        self.0.run_batch().map_err(WorkError::from)
    }

    fn verified(step: &BatchResult) -> u64 {
        step.products
    }

    /// Zero every buffer and verify it before the memory is freed.
    fn finish(&mut self) -> Result<WipeReport, WorkError> {
        self.0.finish().map_err(WorkError::from)
    }
}

type GpuRun = harness::GpuRun<BurnWork>;

fn tflops(run: &GpuRun) -> Vec<f64> {
    run.steps
        .iter()
        .filter(|b| b.gemm_seconds > 0.0)
        .map(|b| b.flops / b.gemm_seconds / 1e12)
        .collect()
}

fn mismatches(run: &GpuRun) -> (u64, u64) {
    run.steps.iter().fold((0, 0), |(p, e), b| {
        (p + b.mismatched_products, e + b.mismatched_elements)
    })
}

fn checksum(run: &GpuRun) -> Option<u64> {
    run.setup.as_ref().map(|(_, c)| *c)
}

pub fn run(
    global: &GlobalArgs,
    args: &BurnArgs,
    progress: &dyn ProgressSink,
) -> Result<Report, AppError> {
    let selected = Selected::open(global, Enumerate::Full)?;
    let cuda = selected.cuda_for("burn")?;
    let engine = super::choose_engine(cuda.as_ref(), args.engine)?;
    let dtype = args.dtype;
    selected.check_inject_target(args.inject_fault)?;
    if let (Some(i), Err(_)) = (
        args.inject_reference_fault,
        selected.check_inject_target(args.inject_reference_fault),
    ) {
        return Err(AppError::usage(format!(
            "--inject-reference-fault {i}: no such selected GPU"
        )));
    }
    let gpus: Vec<&Gpu> = selected.gpus().collect();
    let nvml = selected.backend.nvml().ok().cloned();
    // One seed for every GPU: GPUs of one model must then compute the same
    // reference product, bit for bit.
    let seed = super::run_seed();
    for gpu in &gpus {
        progress.start(gpu.index, &gpu.name);
    }
    let targets: Vec<Target> = gpus.iter().map(|g| harness_target(g)).collect();
    let ordinals_of = |pick: Option<u32>| -> Vec<Option<u32>> {
        let on = |g: &&Gpu| pick == Some(g.index);
        gpus.iter()
            .map(|g| on(g).then_some(g.cuda_index()).flatten())
            .collect()
    };
    let (faulty, bad_reference) = (
        ordinals_of(args.inject_fault),
        ordinals_of(args.inject_reference_fault),
    );
    let config = BurnConfig {
        inject_fault_kind: fault_kind(args.inject_fault_kind),
        mode: args.mode.mode(),
        ..BurnConfig::new(engine, dtype, args.memory, seed)
    };
    // Who holds a GPU's memory, should its set-up run out of it.
    let holders = super::MemoryHolders::new(nvml.clone(), &gpus);
    let options = harness::Options {
        duration: args.duration,
        max_steps: None,
        setup_timeout: SETUP_TIMEOUT,
        step_timeout: STEP_TIMEOUT,
        sample_every: Some(args.interval),
        watch_xids: true,
        progress_every: args.interval,
    };
    let indices: Vec<u32> = gpus.iter().map(|g| g.index).collect();
    let result = harness::run(
        &targets,
        nvml,
        &options,
        signal::stop_flag(),
        move |ordinal| {
            let config = BurnConfig {
                inject_fault_at_batch: faulty.contains(&Some(ordinal)).then_some(FAULT_BATCH),
                inject_reference_fault: bad_reference.contains(&Some(ordinal)),
                ..config.clone()
            };
            cuda.open(ordinal)
                .and_then(|ctx| crate::workloads::burn::start(ctx, &config))
                .map(BurnWork)
                .map_err(|e| holders.work_error(ordinal, e))
        },
        &mut |runs, elapsed| {
            for (run, &gpu) in runs.iter().zip(&indices) {
                progress.update(&progress_event(gpu, run, elapsed));
            }
        },
    );
    progress.finish();
    Ok(build_report(
        &selected,
        &gpus,
        &result.runs,
        result.xids,
        args,
        engine,
        dtype,
        result.interrupted,
    ))
}

fn progress_event(gpu: u32, run: &GpuRun, elapsed: Duration) -> ProgressEvent {
    let t = run.last_sample.as_ref();
    ProgressEvent {
        event: "progress",
        gpu,
        elapsed_s: round1(elapsed.as_secs_f64()),
        tflops: median(&tflops(run)).map(round1),
        power_w: t.and_then(|t| t.power_draw_w.get()).map(round1),
        temperature_c: t.and_then(|t| t.temperature_gpu_c.get()),
        sm_clock_mhz: t.and_then(|t| t.sm_clock_mhz.get()),
        memory_clock_mhz: t.and_then(|t| t.memory_clock_mhz.get()),
        clock_events: t
            .and_then(|t| t.clock_events.get())
            .map(|c| c.names())
            .unwrap_or_default(),
        clock_events_mask: t.and_then(|t| t.clock_events.get()).map(|c| c.0),
        mismatches: mismatches(run).0,
        error: run.failure.as_ref().map(|f| f.message()),
    }
}

#[allow(clippy::too_many_arguments)]
fn build_report(
    selected: &Selected,
    gpus: &[&Gpu],
    runs: &[GpuRun],
    xid_events: Option<XidSeen>,
    args: &BurnArgs,
    engine: Engine,
    dtype: Dtype,
    interrupted: bool,
) -> Report {
    let mut report = Report::new("burn");
    let nvml = selected.backend.nvml().ok();
    report.driver = Some(selected.inventory.driver.clone());
    report.warnings = selected.inventory.warnings.clone();
    let xids = super::xids_under_test(xid_events.as_ref(), "the burn", &mut report);
    let summaries: Vec<BurnSummary> = runs
        .iter()
        .zip(gpus)
        .map(|(run, gpu)| BurnSummary {
            mode: Some(args.mode.mode().name().into()),
            stream: (args.mode == ModeChoice::Mixed)
                .then(|| burn_checks::stream_summary(&run.steps)),
            ..summarize(run, gpu, &xids, engine, dtype)
        })
        .collect();

    // Best median TFLOP/s and the majority reference checksum per model.
    let mut best: BTreeMap<&str, f64> = BTreeMap::new();
    let mut checksums: BTreeMap<&str, BTreeMap<u64, usize>> = BTreeMap::new();
    for ((run, gpu), s) in runs.iter().zip(gpus).zip(&summaries) {
        if let Some(t) = s.tflops_median {
            let b = best.entry(gpu.name.as_str()).or_insert(t);
            *b = b.max(t);
        }
        if let Some(c) = checksum(run) {
            *checksums
                .entry(gpu.name.as_str())
                .or_default()
                .entry(c)
                .or_default() += 1;
        }
    }

    report.gpus = gpus
        .iter()
        .zip(runs)
        .zip(summaries)
        .map(|((gpu, run), summary)| {
            // A GPU burn could not test FAILs (a MIG GPU too: not a
            // fault, but not tested; its remedy says so).
            let mut checks = vec![super::ran_check("burn_ran", "batches", gpu, run, interrupted)];
            checks.push(if summary.mismatched_products > 0 {
                Check::new(
                    "result_mismatch",
                    CheckStatus::Fail,
                    format!("{} of {} products differed from the reference ({} elements)", summary.mismatched_products, summary.products, summary.mismatched_elements),
                )
                .value(summary.mismatched_products, Some("products"))
                .threshold(0)
                .remedy(crate::checks::remedy::RMA)
            } else {
                Check::new("result_mismatch", CheckStatus::Pass, format!("all {} products matched the reference", summary.products))
                    .value(0, Some("products"))
                    .threshold(0)
            });
            // How products were compared, the host's anchor of the
            // reference, and the wipe of the GPU's memory.
            let setup = run.setup.as_ref().map(|(s, _)| s);
            if let Some(stream) = &summary.stream {
                checks.push(burn_checks::stream_mismatch(stream));
            }
            checks.push(burn_checks::verification_mode(setup, &run.steps));
            checks.push(burn_checks::reference_anchor(setup));
            checks.push(harness::wipe_check("memory_wipe", run));
            // Same model, same inputs: the reference must agree across GPUs.
            if let (Some(c), Some(counts)) = (checksum(run), checksums.get(gpu.name.as_str())) {
                let mine = counts.get(&c).copied().unwrap_or(0);
                let top = counts.values().copied().max().unwrap_or(0);
                let ties = counts.values().filter(|&&n| n == top).count();
                let check = if counts.values().sum::<usize>() < 2 {
                    Check::new("cross_gpu_reference", CheckStatus::Skip, format!("no other {} in the run to compare the reference product with", gpu.name))
                } else if counts.len() == 1 {
                    Check::new("cross_gpu_reference", CheckStatus::Pass, format!("reference product agrees with every {} in the run", gpu.name))
                } else if mine == top && ties == 1 {
                    Check::new("cross_gpu_reference", CheckStatus::Pass, "reference product agrees with the majority of this model")
                } else if mine < top {
                    Check::new("cross_gpu_reference", CheckStatus::Fail, "reference product differs from the other GPUs of this model")
                        .remedy(crate::checks::remedy::RMA)
                } else {
                    Check::new("cross_gpu_reference", CheckStatus::Warn, "GPUs of this model disagree on the reference product and no majority decides which is wrong")
                        .remedy(crate::checks::remedy::BURN_DISAGREE)
                };
                checks.push(check.value(format!("{c:016x}"), None));
            }
            checks.push(xid::verdict(&xids, gpu));
            checks.push(throttle_check(run));
            // Peak temperatures judged as `health` judges them.
            let limits = nvml
                .filter(|_| gpu.has_nvml && gpu.lost.is_none())
                .map(|api| api.temperature_thresholds(gpu.index));
            checks.extend(crate::checks::health::peak_temperatures(
                summary.temperature_gpu_peak_c,
                summary.temperature_memory_peak_c,
                limits.as_ref(),
                crate::checks::health::Thresholds::default().temperature_margin_c,
            ));
            checks.push(throughput_check(&summary, best.get(gpu.name.as_str()).copied(), args));
            let required: &[&str] = match args.mode {
                ModeChoice::Gemm => &REQUIRED,
                ModeChoice::Mixed => &REQUIRED_MIXED,
            };
            let required = crate::report::Required { checks: required, deselected: &[] };
            GpuReport { burn: Some(summary), ..GpuReport::judged(gpu, checks, &required) }
        })
        .collect();

    let failed = report.failed_gpus();
    let rates: Vec<String> = report
        .gpus
        .iter()
        .map(|g| {
            format!(
                "GPU {} {} TFLOP/s",
                g.index,
                g.burn
                    .as_ref()
                    .and_then(|b| b.tflops_median)
                    .map_or("-".into(), |t| format!("{t:.0}"))
            )
        })
        .collect();
    let verdict = report.conclude(interrupted, &failed);
    report.summary = format!("burn {verdict}: {}", rates.join(", "));
    report
}

fn summarize(
    run: &GpuRun,
    gpu: &Gpu,
    xids: &xid::Evidence,
    engine: Engine,
    dtype: Dtype,
) -> BurnSummary {
    let tflops = tflops(run);
    let seconds = run.steps.iter().map(|b| b.batch_seconds).sum::<f64>();
    let flops = run.steps.iter().map(|b| b.flops).sum::<f64>();
    let gemm_seconds = run.steps.iter().map(|b| b.gemm_seconds).sum::<f64>();
    let (mismatched_products, mismatched_elements) = mismatches(run);
    let powers: Vec<(f64, f64)> = run
        .samples
        .iter()
        .filter_map(|(t, s)| s.power_draw_w.get().map(|p| (*t, p)))
        .collect();
    let power_avg = (!powers.is_empty())
        .then(|| powers.iter().map(|(_, p)| p).sum::<f64>() / powers.len() as f64);
    let clocks: Vec<u32> = run
        .samples
        .iter()
        .filter_map(|(_, s)| s.sm_clock_mhz.get())
        .collect();
    let name = |v: &str| v.to_string();
    BurnSummary {
        engine: Some(name(
            match run.setup.as_ref().map_or(engine, |(s, _)| s.engine) {
                Engine::Cublas => "cublas",
                Engine::Builtin => "builtin",
            },
        )),
        dtype: Some(name(dtype.name())),
        detail: run.setup.as_ref().map(|(s, _)| s.detail.clone()),
        matrix_size: run.setup.as_ref().map(|(s, _)| s.matrix_size),
        result_buffers: run.setup.as_ref().map(|(s, _)| s.result_buffers),
        memory_bytes: run.setup.as_ref().map(|(s, _)| s.memory_bytes),
        seconds: round1(seconds),
        batches: run.steps.len() as u64,
        products: run.steps.iter().map(|b| b.products).sum(),
        tflops_min: tflops.iter().copied().reduce(f64::min).map(round1),
        tflops_median: median(&tflops).map(round1),
        tflops_max: tflops.iter().copied().reduce(f64::max).map(round1),
        tflops_with_verification: (seconds > 0.0).then(|| round1(flops / seconds / 1e12)),
        verification_overhead_pct: (seconds > 0.0 && gemm_seconds > 0.0)
            .then(|| round1((1.0 - gemm_seconds / seconds) * 100.0)),
        power_avg_w: power_avg.map(round1),
        power_peak_w: powers.iter().map(|(_, p)| *p).reduce(f64::max).map(round1),
        power_source: PowerSource::of_samples(run.samples.iter().map(|(_, s)| s)),
        seconds_to_power_plateau: power_avg.and_then(|avg| {
            powers
                .iter()
                .find(|(_, p)| *p >= 0.95 * avg)
                .map(|(t, _)| round1(*t))
        }),
        temperature_gpu_peak_c: run
            .samples
            .iter()
            .filter_map(|(_, s)| s.temperature_gpu_c.get())
            .max(),
        temperature_memory_peak_c: run
            .samples
            .iter()
            .filter_map(|(_, s)| s.temperature_memory_c.get())
            .max(),
        sm_clock_min_mhz: clocks.iter().copied().min(),
        sm_clock_avg_mhz: (!clocks.is_empty()).then(|| {
            round1(clocks.iter().map(|&c| f64::from(c)).sum::<f64>() / clocks.len() as f64)
        }),
        throttle: ClockEvents::NAMES
            .iter()
            .filter_map(|(bit, reason)| {
                run.throttle_s.get(bit).map(|s| ThrottleTime {
                    reason: reason.to_string(),
                    seconds: round1(*s),
                })
            })
            .collect(),
        mismatched_products,
        mismatched_elements,
        reference_checksum: checksum(run).map(|c| format!("{c:016x}")),
        xids: xids.of(gpu).iter().map(|e| e.xid).collect(),
        error: run.failure.as_ref().map(|f| f.message()),
        ..Default::default()
    }
}

/// Hardware slowdowns during burn fail; software caps are expected at full
/// power and reported with their duration.
fn throttle_check(run: &GpuRun) -> Check {
    const HARDWARE: [u64; 3] = [
        ClockEvents::HW_SLOWDOWN,
        ClockEvents::HW_THERMAL_SLOWDOWN,
        ClockEvents::HW_POWER_BRAKE_SLOWDOWN,
    ];
    let seen: Vec<String> = ClockEvents::NAMES
        .iter()
        .filter_map(|(bit, name)| run.throttle_s.get(bit).map(|s| format!("{name} {s:.1}s")))
        .collect();
    let hw: Vec<String> = ClockEvents::NAMES
        .iter()
        .filter(|(bit, _)| HARDWARE.contains(bit) && run.throttle_s.contains_key(bit))
        .map(|(_, name)| name.to_string())
        .collect();
    let listed = if seen.is_empty() {
        "none".to_string()
    } else {
        seen.join(", ")
    };
    if run.samples.is_empty() {
        return Check::new(
            "throttle",
            CheckStatus::Skip,
            "no telemetry samples during the burn",
        );
    }
    // Fail closed: a GPU lost or hung mid-burn fails; clock reasons never
    // read (no permission) verify nothing.
    let errors = || {
        run.samples
            .iter()
            .filter_map(|(_, t)| t.clock_events.as_result().err())
    };
    if let Some(e) = errors().find(|e| e.is_timeout() || **e == QueryError::GpuLost) {
        return crate::checks::unreadable("throttle", "telemetry during the burn", e);
    }
    if run
        .samples
        .iter()
        .all(|(_, t)| t.clock_events.value().is_none())
    {
        if let Some(e) = errors().next() {
            return crate::checks::unreadable("throttle", "clock event reasons", e);
        }
    }
    if hw.is_empty() {
        Check::new(
            "throttle",
            CheckStatus::Pass,
            format!("no hardware slowdown; reasons seen: {listed}"),
        )
    } else {
        Check::new(
            "throttle",
            CheckStatus::Fail,
            format!(
                "hardware slowdown during burn: {} (all: {listed})",
                hw.join(", ")
            ),
        )
        // The same shape as health's clock_events: names plus the mask.
        .value(
            crate::checks::health::clock_events_value(ClockEvents(
                HARDWARE
                    .iter()
                    .filter(|bit| run.throttle_s.contains_key(bit))
                    .fold(0, |mask, bit| mask | bit),
            )),
            None,
        )
        .remedy(crate::checks::remedy::HW_SLOWDOWN)
    }
}

/// Throughput against the best GPU of the same model and the floor.
fn throughput_check(s: &BurnSummary, best: Option<f64>, args: &BurnArgs) -> Check {
    let Some(median) = s.tflops_median else {
        return Check::new("throughput", CheckStatus::Skip, "no batch finished");
    };
    let mut problems = Vec::new();
    if let Some(best) = best {
        let floor = best * (1.0 - args.tolerance);
        if median < floor {
            problems.push(format!("{median:.0} TFLOP/s is more than {:.0}% below the best GPU of this model ({best:.0})", args.tolerance * 100.0));
        }
    }
    if let Some(expect) = args.expect_tflops {
        if median < expect {
            problems.push(format!(
                "{median:.0} TFLOP/s is below the expected {expect:.0}"
            ));
        }
    }
    let threshold = args
        .expect_tflops
        .or(best.map(|b| round1(b * (1.0 - args.tolerance))));
    let check = if problems.is_empty() {
        Check::new(
            "throughput",
            CheckStatus::Pass,
            format!("median {median:.0} TFLOP/s"),
        )
    } else {
        Check::new("throughput", CheckStatus::Warn, problems.join("; "))
            .remedy(crate::checks::remedy::THROUGHPUT)
    };
    let check = check.value(median, Some("TFLOP/s"));
    match threshold {
        Some(t) => check.threshold(t),
        None => check,
    }
}

/// The device layer's name for the CLI's fault shape.
fn fault_kind(k: FaultKindChoice) -> FaultKind {
    match k {
        FaultKindChoice::Gross => FaultKind::Gross,
        FaultKindChoice::LowBit => FaultKind::LowBit,
        FaultKindChoice::SameBitTwoWords => FaultKind::SameBitTwoWords,
        FaultKindChoice::StuckBitRow => FaultKind::StuckBitRow,
    }
}
