//! `gpuctl burn`: GEMM burn-in on every selected GPU at once.
//!
//! One worker thread per GPU runs verified GEMM batches until the duration
//! ends or a signal arrives; a sampler thread reads NVML telemetry at a
//! steady interval; NVML XID events are watched throughout. The verdict per
//! GPU comes from mismatches, errors, XIDs, hardware slowdowns and
//! throughput against the best GPU of the same model.

use super::Selected;
use crate::checks::xid;
use crate::cli::{BurnArgs, DtypeChoice, EngineChoice, GlobalArgs};
use crate::device::burn::{BatchResult, BurnConfig, BurnSetup, Dtype, Engine};
use crate::device::inventory::Enumerate;
use crate::device::{ClockEvents, Gpu, QueryError, Telemetry, XidEvent};
use crate::error::AppError;
use crate::exit;
use crate::report::progress::{ProgressEvent, ProgressSink};
use crate::report::{BurnSummary, Check, CheckStatus, GpuReport, Outcome, Report, ThrottleTime};
use crate::signal;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Batch in which `--inject-fault` corrupts a result (the second one, so a
/// clean batch comes first).
const FAULT_BATCH: u64 = 1;

/// What the worker threads and the sampler tell the main loop.
enum Msg {
    Ready(usize, BurnSetup, u64),
    Batch(usize, BatchResult),
    Failed(usize, String),
    Done(usize),
    Sample(Vec<(usize, Telemetry)>),
}

/// Everything gathered about one GPU during the run.
#[derive(Default)]
struct GpuRun {
    setup: Option<BurnSetup>,
    checksum: Option<u64>,
    started: Option<Instant>,
    batches: Vec<BatchResult>,
    error: Option<String>,
    done: bool,
    /// (seconds since this GPU's first batch, telemetry).
    samples: Vec<(f64, Telemetry)>,
    throttle_s: BTreeMap<u64, f64>,
}

impl GpuRun {
    fn tflops(&self) -> Vec<f64> {
        self.batches
            .iter()
            .filter(|b| b.gemm_seconds > 0.0)
            .map(|b| b.flops / b.gemm_seconds / 1e12)
            .collect()
    }

    fn mismatches(&self) -> (u64, u64) {
        self.batches.iter().fold((0, 0), |(p, e), b| {
            (p + b.mismatched_products, e + b.mismatched_elements)
        })
    }
}

fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

pub fn run(
    global: &GlobalArgs,
    args: &BurnArgs,
    progress: &dyn ProgressSink,
) -> Result<Report, AppError> {
    let selected = Selected::open(global, Enumerate::Full)?;
    let cuda = selected
        .backend
        .cuda()
        .map_err(|e| AppError::environment(format!("burn needs the CUDA driver: {e}")))?
        .clone();
    let engine = match args.engine {
        EngineChoice::Builtin => Engine::Builtin,
        EngineChoice::Cublas => {
            cuda.cublaslt_available().map_err(|e| {
                AppError::environment(format!(
                    "--engine cublas: {e}; use --engine builtin or auto"
                ))
            })?;
            Engine::Cublas
        }
        EngineChoice::Auto => match cuda.cublaslt_available() {
            Ok(()) => Engine::Cublas,
            Err(_) => Engine::Builtin,
        },
    };
    let dtype = match args.dtype {
        DtypeChoice::Bf16 => Dtype::Bf16,
        DtypeChoice::Fp16 => Dtype::Fp16,
        DtypeChoice::Tf32 => Dtype::Tf32,
        DtypeChoice::Fp32 => Dtype::Fp32,
        DtypeChoice::Fp64 => Dtype::Fp64,
    };
    if let Some(i) = args.inject_fault {
        if !selected.gpus().any(|g| g.index == i) {
            return Err(AppError::usage(format!(
                "--inject-fault {i}: no such selected GPU"
            )));
        }
    }
    let gpus: Vec<&Gpu> = selected.gpus().collect();
    let nvml = selected.backend.nvml().ok().cloned();
    if let Err(e) = signal::install() {
        crate::trace::mark(&e);
    }
    // One seed for every GPU: GPUs of one model must then compute the same
    // reference product, bit for bit.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x5eed);

    let (tx, rx) = mpsc::channel::<Msg>();
    let stop = signal::stop_flag();
    let sampler_stop = Arc::new(AtomicBool::new(false));
    let run_start = Instant::now();
    let deadline = run_start + args.duration;
    for gpu in &gpus {
        progress.start(gpu.index, &gpu.name);
    }

    let mut runs: Vec<GpuRun> = gpus.iter().map(|_| GpuRun::default()).collect();
    let xid_events = std::thread::scope(|scope| {
        // XID watch for the whole run.
        let watch = nvml.clone().map(|api| {
            // A lost GPU would make the whole watch fail: leave it out.
            let indices: Vec<u32> = gpus
                .iter()
                .filter(|g| g.has_nvml && g.lost.is_none())
                .map(|g| g.index)
                .collect();
            let stop = sampler_stop.clone();
            scope.spawn(move || api.watch_xids(&indices, Duration::from_secs(u64::MAX / 4), &stop))
        });
        // Telemetry sampler.
        if let Some(api) = nvml.clone() {
            let (tx, stop, gpus) = (tx.clone(), sampler_stop.clone(), &gpus);
            let interval = args.interval;
            scope.spawn(move || {
                let mut next = Instant::now();
                while !stop.load(Ordering::Relaxed) {
                    let sample = gpus
                        .iter()
                        .enumerate()
                        .filter(|(_, g)| g.has_nvml && g.lost.is_none())
                        .map(|(slot, g)| (slot, api.telemetry(g.index)))
                        .collect();
                    if tx.send(Msg::Sample(sample)).is_err() {
                        break;
                    }
                    next += interval;
                    // Sleep in short steps so a stop is noticed quickly.
                    while Instant::now() < next && !stop.load(Ordering::Relaxed) {
                        std::thread::sleep((next - Instant::now()).min(Duration::from_millis(50)));
                    }
                }
            });
        }
        // One worker per GPU.
        for (slot, gpu) in gpus.iter().enumerate() {
            let tx = tx.clone();
            let cuda = cuda.clone();
            let config = BurnConfig {
                engine,
                dtype,
                memory_fraction: args.memory,
                inject_fault_at_batch: (args.inject_fault == Some(gpu.index))
                    .then_some(FAULT_BATCH),
                seed,
            };
            let ordinal = gpu.cuda_index();
            scope.spawn(move || {
                let Some(ordinal) = ordinal else {
                    let _ = tx.send(Msg::Failed(slot, "CUDA cannot use this GPU as a whole (hidden, lost or split into MIG instances)".into()));
                    let _ = tx.send(Msg::Done(slot));
                    return;
                };
                match cuda.start_burn(ordinal, &config) {
                    Err(e) => {
                        let _ = tx.send(Msg::Failed(slot, format!("set-up failed: {e}")));
                    }
                    Ok(mut worker) => {
                        let _ = tx.send(Msg::Ready(slot, worker.setup().clone(), worker.reference_checksum()));
                        while Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
                            match worker.run_batch() {
                                Ok(batch) => {
                                    if tx.send(Msg::Batch(slot, batch)).is_err() {
                                        break;
                                    }
                                }
                                Err(e) => {
                                    let _ = tx.send(Msg::Failed(slot, e));
                                    break;
                                }
                            }
                        }
                        // Dropping the worker frees its GPU memory now, not at exit.
                        drop(worker);
                    }
                }
                let _ = tx.send(Msg::Done(slot));
            });
        }
        drop(tx);

        // Main loop: fold messages into state and report progress.
        let mut last_progress = Instant::now();
        let mut last_sample: Vec<Option<Telemetry>> = vec![None; gpus.len()];
        while runs.iter().any(|r| !r.done) {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(Msg::Ready(slot, setup, checksum)) => {
                    runs[slot].setup = Some(setup);
                    runs[slot].checksum = Some(checksum);
                    runs[slot].started = Some(Instant::now());
                }
                Ok(Msg::Batch(slot, batch)) => runs[slot].batches.push(batch),
                Ok(Msg::Failed(slot, e)) => runs[slot].error = Some(e),
                Ok(Msg::Done(slot)) => runs[slot].done = true,
                Ok(Msg::Sample(sample)) => {
                    for (slot, t) in sample {
                        let run = &mut runs[slot];
                        // Only samples taken while this GPU burns count.
                        if let (Some(started), false) = (run.started, run.done) {
                            if let Some(ev) = t.clock_events.get() {
                                for (bit, _) in ClockEvents::NAMES {
                                    if ev.contains(bit) {
                                        *run.throttle_s.entry(bit).or_default() +=
                                            args.interval.as_secs_f64();
                                    }
                                }
                            }
                            run.samples
                                .push((started.elapsed().as_secs_f64(), t.clone()));
                        }
                        last_sample[slot] = Some(t);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if last_progress.elapsed() >= args.interval {
                last_progress = Instant::now();
                for (slot, gpu) in gpus.iter().enumerate() {
                    progress.update(&progress_event(
                        gpu.index,
                        &runs[slot],
                        last_sample[slot].as_ref(),
                        run_start,
                    ));
                }
            }
        }
        sampler_stop.store(true, Ordering::Relaxed);
        watch.map(|h| {
            h.join()
                .unwrap_or_else(|_| Err(QueryError::Failed("XID watch panicked".into())))
        })
    });
    progress.finish();
    let interrupted = signal::stopped();
    Ok(build_report(
        &selected,
        &gpus,
        &runs,
        xid_events,
        args,
        engine,
        dtype,
        interrupted,
    ))
}

fn progress_event(gpu: u32, run: &GpuRun, t: Option<&Telemetry>, start: Instant) -> ProgressEvent {
    ProgressEvent {
        event: "progress",
        gpu,
        elapsed_s: round1(start.elapsed().as_secs_f64()),
        tflops: median(&run.tflops()).map(round1),
        power_w: t.and_then(|t| t.power_draw_w.get()).map(round1),
        temperature_c: t.and_then(|t| t.temperature_gpu_c.get()),
        sm_clock_mhz: t.and_then(|t| t.sm_clock_mhz.get()),
        memory_clock_mhz: t.and_then(|t| t.memory_clock_mhz.get()),
        clock_events: t
            .and_then(|t| t.clock_events.get())
            .map(|c| c.names())
            .unwrap_or_default(),
        clock_events_mask: t.and_then(|t| t.clock_events.get()).map(|c| c.0),
        mismatches: run.mismatches().0,
        error: run.error.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
fn build_report(
    selected: &Selected,
    gpus: &[&Gpu],
    runs: &[GpuRun],
    xid_events: Option<Result<Vec<XidEvent>, QueryError>>,
    args: &BurnArgs,
    engine: Engine,
    dtype: Dtype,
    interrupted: bool,
) -> Report {
    let mut report = Report::new("burn");
    let nvml = selected.backend.nvml().ok();
    report.driver = Some(selected.inventory.driver.clone());
    report.warnings = selected.inventory.warnings.clone();
    // None when no XID watch ran: the xid check is then SKIP, not PASS.
    let (events, watch_error) = match xid_events {
        Some(Ok(events)) => (events, None),
        Some(Err(e)) => {
            let why = format!("NVML XID events unavailable: {e}");
            report.warnings.push(why.clone());
            (Vec::new(), Some(why))
        }
        None => (
            Vec::new(),
            Some("NVML is unavailable: XID events not watched".to_string()),
        ),
    };
    let summaries: Vec<BurnSummary> = runs
        .iter()
        .zip(gpus)
        .map(|(run, gpu)| summarize(run, gpu, &events, engine, dtype))
        .collect();

    // Best median TFLOP/s and the majority reference checksum per model.
    let mut best: BTreeMap<&str, f64> = BTreeMap::new();
    let mut checksums: BTreeMap<&str, BTreeMap<u64, usize>> = BTreeMap::new();
    for ((run, gpu), s) in runs.iter().zip(gpus).zip(&summaries) {
        if let Some(t) = s.tflops_median {
            let b = best.entry(gpu.name.as_str()).or_insert(t);
            *b = b.max(t);
        }
        if let Some(c) = run.checksum {
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
            let mut checks = Vec::new();
            checks.push(match &run.error {
                None => Check::new("burn_ran", CheckStatus::Pass, format!(
                        "{} batches in {:.1} s", summary.batches, summary.seconds)),
                Some(e) => Check::new("burn_ran", CheckStatus::Fail, e.clone())
                    .remedy(crate::checks::remedy::BURN_ERROR),
            });
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
            // Same model, same inputs: the reference must agree across GPUs.
            if let (Some(c), Some(counts)) = (run.checksum, checksums.get(gpu.name.as_str())) {
                let mine = counts.get(&c).copied().unwrap_or(0);
                let top = counts.values().copied().max().unwrap_or(0);
                let ties = counts.values().filter(|&&n| n == top).count();
                let check = if counts.len() == 1 {
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
            let mine: Vec<&XidEvent> = events.iter().filter(|e| e.gpu_index == Some(gpu.index) && gpu.has_nvml).collect();
            let x = match (&watch_error, gpu.has_nvml && gpu.lost.is_none()) {
                (None, true) => {
                    let mut x = xid::xid_check(&mine, "NVML events during the burn");
                    if x.status == CheckStatus::Warn {
                        // Any XID during burn-in fails the GPU.
                        x.status = CheckStatus::Fail;
                    }
                    x
                }
                (Some(why), _) => Check::new("xid", CheckStatus::Skip, why.clone()),
                (None, false) => Check::new("xid", CheckStatus::Skip, "NVML cannot watch this GPU"),
            };
            checks.push(x);
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
            GpuReport { burn: Some(summary), ..GpuReport::with_checks(gpu, checks) }
        })
        .collect();

    let worst = report.worst_status();
    let failed: Vec<String> = report
        .gpus
        .iter()
        .filter(|g| g.status == Some(CheckStatus::Fail))
        .map(|g| {
            let names: Vec<&str> = g
                .checks
                .iter()
                .flatten()
                .filter(|c| c.status == CheckStatus::Fail)
                .map(|c| c.name.as_str())
                .collect();
            format!("GPU {} ({})", g.index, names.join(", "))
        })
        .collect();
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
    report.outcome = match (interrupted, worst) {
        (true, _) => Outcome::Interrupted,
        (_, CheckStatus::Fail) => Outcome::Fail,
        (_, CheckStatus::Warn) => Outcome::Warn,
        _ => Outcome::Pass,
    };
    report.exit_code = match report.outcome {
        Outcome::Interrupted => exit::INTERRUPTED,
        Outcome::Fail => exit::CHECK_FAILED,
        _ => exit::SUCCESS,
    };
    let verdict = match report.outcome {
        Outcome::Interrupted => "interrupted (partial report)".to_string(),
        Outcome::Fail => format!("FAIL: {}", failed.join("; ")),
        Outcome::Warn => "passed with warnings".to_string(),
        _ => "passed".to_string(),
    };
    report.summary = format!("burn {verdict}: {}", rates.join(", "));
    report
}

fn summarize(
    run: &GpuRun,
    gpu: &Gpu,
    events: &[XidEvent],
    engine: Engine,
    dtype: Dtype,
) -> BurnSummary {
    let tflops = run.tflops();
    let seconds = run.batches.iter().map(|b| b.batch_seconds).sum::<f64>();
    let flops = run.batches.iter().map(|b| b.flops).sum::<f64>();
    let gemm_seconds = run.batches.iter().map(|b| b.gemm_seconds).sum::<f64>();
    let (mismatched_products, mismatched_elements) = run.mismatches();
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
            match run.setup.as_ref().map_or(engine, |s| s.engine) {
                Engine::Cublas => "cublas",
                Engine::Builtin => "builtin",
            },
        )),
        dtype: Some(name(match dtype {
            Dtype::Bf16 => "bf16",
            Dtype::Fp16 => "fp16",
            Dtype::Tf32 => "tf32",
            Dtype::Fp32 => "fp32",
            Dtype::Fp64 => "fp64",
        })),
        detail: run.setup.as_ref().map(|s| s.detail.clone()),
        matrix_size: run.setup.as_ref().map(|s| s.matrix_size),
        result_buffers: run.setup.as_ref().map(|s| s.result_buffers),
        memory_bytes: run.setup.as_ref().map(|s| s.memory_bytes),
        seconds: round1(seconds),
        batches: run.batches.len() as u64,
        products: run.batches.iter().map(|b| b.products).sum(),
        tflops_min: tflops.iter().copied().reduce(f64::min).map(round1),
        tflops_median: median(&tflops).map(round1),
        tflops_max: tflops.iter().copied().reduce(f64::max).map(round1),
        tflops_with_verification: (seconds > 0.0).then(|| round1(flops / seconds / 1e12)),
        verification_overhead_pct: (seconds > 0.0 && gemm_seconds > 0.0)
            .then(|| round1((1.0 - gemm_seconds / seconds) * 100.0)),
        power_avg_w: power_avg.map(round1),
        power_peak_w: powers.iter().map(|(_, p)| *p).reduce(f64::max).map(round1),
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
        reference_checksum: run.checksum.map(|c| format!("{c:016x}")),
        xids: events
            .iter()
            .filter(|e| e.gpu_index == Some(gpu.index) && gpu.has_nvml)
            .map(|e| e.xid)
            .collect(),
        error: run.error.clone(),
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
