//! `gpuctl probe`: the fast yes/no for Docker HEALTHCHECK and Kubernetes
//! exec probes.
//!
//! NVML only by default (no CUDA context: that alone costs 200+ ms), bounded
//! by `--timeout` so a hung driver call cannot hang the probe. Every outcome,
//! errors and timeouts included, is folded into exit 0 or 1 by the caller.

use super::Selected;
use crate::checks::{basic, healthy};
use crate::cli::{GlobalArgs, ProbeArgs};
use crate::device::compute::Context;
use crate::device::inventory::Enumerate;
use crate::device::{CudaApi, QueryError, SelfTestOutcome};
use crate::error::AppError;
use crate::exit;
use crate::harness::{self, WorkError};
use crate::report::{Check, CheckStatus, GpuReport, Outcome, Report, Required};
use crate::workloads::selftest;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The checks that define a healthy GPU for `probe` (ARCHITECTURE.md):
/// the one healthy rule's (`checks::healthy`).
pub const REQUIRED: [&str; 4] = healthy::REQUIRED;
/// With `--compute`, the self-test too.
pub const REQUIRED_COMPUTE: [&str; 5] = healthy::REQUIRED_COMPUTE;
/// The self-test's check.
const COMPUTE: &str = healthy::COMPUTE;
use std::sync::mpsc;

pub fn run(global: &GlobalArgs, args: &ProbeArgs) -> Result<Report, AppError> {
    let (tx, rx) = mpsc::channel();
    let (global_c, args_c) = (global.clone(), args.clone());
    // The worker may block forever inside the driver; on timeout we answer
    // without it and the process exits, abandoning the thread.
    std::thread::spawn(move || {
        let _ = tx.send(probe(&global_c, &args_c));
    });
    match rx.recv_timeout(args.timeout) {
        Ok(result) => result,
        Err(_) => {
            let mut report = Report::new("probe");
            report.outcome = Outcome::Fail;
            report.exit_code = exit::CHECK_FAILED;
            report.summary = format!(
                "unhealthy: probe timed out after {} (a driver call hung)",
                humantime::format_duration(args.timeout)
            );
            Ok(report)
        }
    }
}

/// The bound on each driver call within a probe: a hung call must be named
/// before the whole probe's `--timeout` ends it without saying which GPU.
pub fn call_timeout(global: &GlobalArgs, args: &ProbeArgs) -> std::time::Duration {
    // `t - t/4`, not `t * 3 / 4`: no overflow for any duration.
    global.call_timeout.min(args.timeout - args.timeout / 4)
}

/// Whether nothing but the verdict is asked for: a text answer (which
/// names GPUs by index), no GPU chosen by UUID or bus id, and no
/// `CUDA_VISIBLE_DEVICES` to resolve. Then probe reads no identity and no
/// driver versions (issue 21: only what the verdict needs).
fn verdict_only(global: &GlobalArgs) -> bool {
    global.format() == crate::cli::Format::Table
        && !global.json_lines
        && !global.verbose
        && global.selectors().is_empty()
        && crate::device::visible::visible_devices_env().is_none()
}

fn probe(global: &GlobalArgs, args: &ProbeArgs) -> Result<Report, AppError> {
    let global = &GlobalArgs {
        call_timeout: call_timeout(global, args),
        ..global.clone()
    };
    let mode = if args.compute {
        Enumerate::Full
    } else if verdict_only(global) {
        Enumerate::Verdict
    } else {
        Enumerate::NvmlOnly
    };
    let selected = Selected::open(global, mode)?;
    let nvml = selected.backend.nvml().ok();
    let mut report = Report::new("probe");
    report.driver = Some(selected.inventory.driver.clone());
    report.warnings = selected.inventory.warnings.clone();

    let cuda = if args.compute {
        Some(selected.backend.cuda())
    } else {
        None
    };
    let gpus: Vec<_> = selected.gpus().collect();
    let required = Required {
        checks: if args.compute {
            &REQUIRED_COMPUTE
        } else {
            &REQUIRED
        },
        deselected: &[],
    };
    let required = &required;
    // The NVML reads are independent per GPU: run them side by side, and
    // the self-tests on the harness beside them.
    report.gpus = std::thread::scope(|scope| {
        let self_tests = match cuda {
            Some(Ok(api)) => {
                let api = api.clone();
                let devices: Vec<Vec<u32>> = gpus
                    .iter()
                    .map(|g| g.cuda.iter().map(|d| d.ordinal).collect())
                    .collect();
                let bound = global.call_timeout;
                Some(scope.spawn(move || self_tests(api, &devices, bound)))
            }
            _ => None,
        };
        let handles: Vec<_> = gpus
            .iter()
            .map(|gpu| {
                scope.spawn(move || {
                    if let (Some(api), None, true) = (nvml, &gpu.lost, gpu.has_nvml) {
                        // One thread per GPU (this one): its verdict reads
                        // one after another on one handle, not a thread
                        // per reading each fetching the handle again.
                        let r = api.probe_readings(gpu.index);
                        crate::trace::mark("probe: counters and temperature read");
                        // Without the identity read (verdict only), a GPU
                        // off the bus shows here first: say so as on_bus.
                        if matches!(
                            r.temperature_gpu_c,
                            crate::device::Reading::Error {
                                error: crate::device::QueryError::GpuLost
                            }
                        ) {
                            let lost = basic::on_bus(Some(crate::device::inventory::LOST));
                            return (vec![lost], true);
                        }
                        let checks = healthy::checks(&healthy::Readings {
                            lost: None,
                            ecc_uncorrected: &r.ecc_volatile_uncorrected,
                            row_remap: &r.row_remap,
                            temperature: &r.temperature_gpu_c,
                            slowdown: &r.slowdown_c,
                        });
                        (checks, false)
                    } else {
                        (vec![basic::on_bus(gpu.lost.as_deref())], false)
                    }
                })
            })
            .collect();
        let mut compute = match self_tests.map(|h| h.join()) {
            Some(Ok(per_gpu)) => per_gpu,
            Some(Err(_)) => gpus
                .iter()
                .map(|_| {
                    vec![Check::new(
                        COMPUTE,
                        CheckStatus::Fail,
                        "self-test thread panicked",
                    )]
                })
                .collect(),
            None => gpus.iter().map(|_| Vec::new()).collect(),
        };
        handles
            .into_iter()
            .zip(&gpus)
            .zip(compute.iter_mut())
            .map(|((h, gpu), compute)| match h.join() {
                // Off the bus: on_bus alone says it.
                Ok((checks, true)) => GpuReport::judged(gpu, checks, required),
                Ok((mut checks, false)) => {
                    match cuda {
                        None => {}
                        Some(Err(e)) => checks.push(Check::new(
                            COMPUTE,
                            CheckStatus::Fail,
                            format!("--compute needs the CUDA driver: {e}"),
                        )),
                        Some(Ok(_)) if gpu.cuda.is_empty() => checks.push(Check::new(
                            COMPUTE,
                            CheckStatus::Fail,
                            "CUDA does not see this GPU",
                        )),
                        Some(Ok(_)) => checks.append(compute),
                    }
                    GpuReport::judged(gpu, checks, required)
                }
                Err(_) => GpuReport::with_checks(
                    gpu,
                    vec![Check::new(
                        "probe",
                        CheckStatus::Fail,
                        "probe thread panicked",
                    )],
                ),
            })
            .collect()
    });

    crate::trace::mark("probe checks done");
    // GPUs on the bus: those the inventory did not find lost, less those
    // whose own reads found them lost (verdict-only mode).
    let present = report
        .gpus
        .iter()
        .filter(|g| {
            g.lost.is_none()
                && !g
                    .checks
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .any(|c| c.name == "on_bus" && c.status == CheckStatus::Fail)
        })
        .count() as u32;
    report
        .host_checks
        .insert(0, basic::gpu_count(args.expect, present));
    let failing: Vec<String> = report
        .host_checks
        .iter()
        .filter(|c| c.status == CheckStatus::Fail)
        .map(|c| c.message.clone())
        .chain(report.gpus.iter().flat_map(|g| {
            // Probe answers yes or no, by the one healthy rule: health it
            // could not establish (coverage WARN) is a no.
            let checks = g.checks.as_deref().unwrap_or_default();
            healthy::unhealthy(checks).map(move |c| format!("GPU {}: {}", g.index, c.message))
        }))
        .collect();
    if failing.is_empty() {
        report.summary = format!("healthy: {present} GPU(s) OK");
    } else {
        report.outcome = Outcome::Fail;
        report.exit_code = exit::CHECK_FAILED;
        report.summary = format!("unhealthy: {}", failing.join("; "));
    }
    Ok(report)
}

/// The self-test on the harness: one step on a context opened at set-up.
/// An error opening or running it is the step's result, so the check says
/// what the self-test said; a hang or a panic is the harness's verdict.
struct SelfTestWork {
    ctx: Result<Box<dyn Context>, QueryError>,
    opened: Instant,
    done: bool,
}

impl harness::Workload for SelfTestWork {
    type Setup = ();
    type Step = Result<SelfTestOutcome, QueryError>;
    type Cleanup = ();

    fn setup(&self) {}

    fn step(&mut self) -> Result<Self::Step, WorkError> {
        self.done = true;
        let ctx = match &self.ctx {
            Ok(ctx) => ctx,
            Err(e) => return Ok(Err(e.clone())),
        };
        Ok(
            selftest::run(ctx.as_ref(), Duration::ZERO).map(|o| SelfTestOutcome {
                total_ms: self.opened.elapsed().as_secs_f64() * 1e3,
                ..o
            }),
        )
    }

    fn verified(step: &Self::Step) -> u64 {
        step.as_ref().map_or(0, |o| o.checked)
    }

    fn is_complete(&self) -> bool {
        self.done
    }

    fn finish(&mut self) -> Result<(), WorkError> {
        Ok(())
    }
}

/// Never set: probe answers a signal by dying, as it always has.
static NO_STOP: AtomicBool = AtomicBool::new(false);

/// The self-test of every CUDA device of every GPU (`devices`: the CUDA
/// ordinals per GPU), all at once on the harness, each bounded by `bound`;
/// one `compute_self_test` check per device, per GPU.
fn self_tests(cuda: Arc<dyn CudaApi>, devices: &[Vec<u32>], bound: Duration) -> Vec<Vec<Check>> {
    let targets: Vec<harness::Target> = devices
        .iter()
        .flatten()
        .map(|&ordinal| harness::Target {
            nvml_index: None,
            cuda_ordinal: Ok(ordinal),
        })
        .collect();
    let options = harness::Options {
        duration: Duration::ZERO,
        max_steps: Some(1),
        setup_timeout: bound,
        step_timeout: bound,
        sample_every: None,
        watch_xids: false,
        progress_every: Duration::from_secs(3600),
    };
    let result = harness::run(
        &targets,
        None,
        &options,
        &NO_STOP,
        move |ordinal| {
            let opened = Instant::now();
            let ctx = cuda.open(ordinal);
            crate::trace::mark(&format!("self-test: context on CUDA device {ordinal}"));
            Ok(SelfTestWork {
                ctx,
                opened,
                done: false,
            })
        },
        &mut |_, _| {},
    );
    let mut runs = result.runs.iter();
    devices
        .iter()
        .map(|ordinals| {
            ordinals
                .iter()
                .zip(runs.by_ref())
                .map(|(ordinal, run)| {
                    let label = format!("CUDA device {ordinal}");
                    match run.steps.first() {
                        Some(outcome) => basic::self_test(&label, outcome),
                        None => {
                            let c = harness::completion_check(COMPUTE, "self-tests", run, false);
                            Check {
                                message: format!("{label}: {}", c.message),
                                ..c
                            }
                        }
                    }
                })
                .collect()
        })
        .collect()
}
