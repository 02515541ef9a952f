//! `gpuctl probe`: the fast yes/no for Docker HEALTHCHECK and Kubernetes
//! exec probes.
//!
//! NVML only by default (no CUDA context: that alone costs 200+ ms), bounded
//! by `--timeout` so a hung driver call cannot hang the probe. Every outcome,
//! errors and timeouts included, is folded into exit 0 or 1 by the caller.

use super::Selected;
use crate::checks::{basic, healthy};
use crate::cli::{GlobalArgs, ProbeArgs};
use crate::device::inventory::Enumerate;
use crate::error::AppError;
use crate::exit;
use crate::report::{CheckStatus, GpuReport, Outcome, Report, Required};

/// The checks that define a healthy GPU for `probe` (ARCHITECTURE.md):
/// the one healthy rule's (`checks::healthy`).
pub const REQUIRED: [&str; 4] = healthy::REQUIRED;
/// With `--compute`, the self-test too.
pub const REQUIRED_COMPUTE: [&str; 5] = healthy::REQUIRED_COMPUTE;
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

fn probe(global: &GlobalArgs, args: &ProbeArgs) -> Result<Report, AppError> {
    let global = &GlobalArgs {
        call_timeout: call_timeout(global, args),
        ..global.clone()
    };
    let mode = if args.compute {
        Enumerate::Full
    } else {
        Enumerate::NvmlOnly
    };
    let selected = Selected::open(global, mode)?;
    let nvml = selected.backend.nvml().ok();
    let mut report = Report::new("probe");
    report.driver = Some(selected.inventory.driver.clone());
    report.warnings = selected.inventory.warnings.clone();
    let present = selected.gpus().filter(|g| g.lost.is_none()).count() as u32;
    report
        .host_checks
        .push(basic::gpu_count(args.expect, present));

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
    // Self-tests are independent per GPU: run them side by side.
    report.gpus = std::thread::scope(|scope| {
        let handles: Vec<_> = gpus
            .iter()
            .map(|gpu| {
                scope.spawn(move || {
                    let mut checks = vec![];
                    if let (Some(api), None, true) = (nvml, &gpu.lost, gpu.has_nvml) {
                        // One thread per GPU (this one): its verdict reads
                        // one after another on one handle, not a thread
                        // per reading each fetching the handle again.
                        let r = api.probe_readings(gpu.index);
                        crate::trace::mark("probe: counters and temperature read");
                        checks = healthy::checks(&healthy::Readings {
                            lost: None,
                            ecc_uncorrected: &r.ecc_volatile_uncorrected,
                            row_remap: &r.row_remap,
                            temperature: &r.temperature_gpu_c,
                            slowdown: &r.slowdown_c,
                        });
                    } else {
                        checks.push(basic::on_bus(gpu.lost.as_deref()));
                    }
                    match cuda {
                        None => {}
                        Some(Err(e)) => checks.push(crate::report::Check::new(
                            "compute_self_test",
                            CheckStatus::Fail,
                            format!("--compute needs the CUDA driver: {e}"),
                        )),
                        Some(Ok(_)) if gpu.cuda.is_empty() => {
                            checks.push(crate::report::Check::new(
                                "compute_self_test",
                                CheckStatus::Fail,
                                "CUDA does not see this GPU",
                            ))
                        }
                        Some(Ok(api)) => {
                            for device in &gpu.cuda {
                                let label = format!("CUDA device {}", device.ordinal);
                                checks.push(basic::self_test(
                                    &label,
                                    &crate::workloads::selftest::run_on(
                                        api.as_ref(),
                                        device.ordinal,
                                        std::time::Duration::ZERO,
                                    ),
                                ));
                            }
                        }
                    }
                    GpuReport::judged(gpu, checks, required)
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(&gpus)
            .map(|(h, gpu)| {
                h.join().unwrap_or_else(|_| {
                    GpuReport::with_checks(
                        gpu,
                        vec![crate::report::Check::new(
                            "probe",
                            CheckStatus::Fail,
                            "probe thread panicked",
                        )],
                    )
                })
            })
            .collect()
    });

    crate::trace::mark("probe checks done");
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
