//! `gpuctl health`: the node health report.
//!
//! Reads every GPU in parallel (static facts, error counters, NVLink), runs
//! the compute self-test while sampling telemetry under its load, watches
//! NVML XID events for the whole run and scans the kernel log, then judges
//! it all with `checks::{basic, health, xid}`. One row per GPU in the table,
//! every check in JSON.

mod compute;
use self::compute::{compute_check, compute_tests, load_of, ComputeResults, Sampler, Tested};
pub mod render;

use super::Selected;
use crate::checks::health::{self as hc, LoadSummary, Thresholds};
use crate::checks::{basic, xid};
use crate::cli::{FailOn, GlobalArgs, HealthArgs};
use crate::config;
use crate::device::burn::{BatchResult, BurnConfig, BurnWorker, Dtype, Engine, WipeReport};
use crate::device::inventory::Enumerate;
use crate::device::{ClockEvents, CudaApi, Gpu, NvmlApi, PcieLink, SelfTestOutcome};
use crate::error::AppError;
use crate::exit;
use crate::harness::{self, Target, WorkError, Workload};
use crate::report::{Check, CheckStatus, GpuReport, Outcome, Report};
use crate::signal;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Every check `health` can report (the `--checks`/`--skip` names).
pub use crate::model::checks::HEALTH_CHECKS as CHECK_NAMES;

/// The checks that define a healthy GPU for `health` (ARCHITECTURE.md);
/// `compute_self_test` joins them unless `--no-compute`.
pub const REQUIRED: [&str; 5] = crate::checks::healthy::REQUIRED_COMPUTE;

/// How long the compute test keeps the GPU busy for sampling under load.
const LOAD_WINDOW: Duration = Duration::from_millis(300);
/// Health's short GEMM: 8192^3 bf16 products (~1.6 ms each on an H100) in
/// batches of about this long, each product checked.
const GEMM_BATCH: Duration = Duration::from_millis(100);
const GEMM_SIZE: u32 = 8192;
/// Of free memory: operands, reference and a few result buffers (~1.5 GB
/// on an 80 GB card).
const GEMM_MEMORY_FRACTION: f64 = 0.02;
/// Telemetry sampling period under load.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);

/// Flags (the config file's values arrive as flags: `config::apply`) over
/// defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    pub thresholds: Thresholds,
    pub expect_gpus: Option<u32>,
    pub watch: Duration,
    pub since: Duration,
    pub compute: bool,
    pub compute_timeout: Duration,
    pub only: Vec<String>,
    pub skip: Vec<String>,
    pub fail_on: FailOn,
}

impl Settings {
    /// The flags, or the defaults. Every value was validated by the flag's
    /// parser (`parse.rs`) on the way in, the config file's too.
    pub fn resolve(args: &HealthArgs) -> Result<Self, AppError> {
        let count =
            |flag: Option<u64>, spec: config::ThresholdSpec| flag.unwrap_or(spec.default_count());
        let margin_default =
            u32::try_from(config::TEMPERATURE_MARGIN_C.default_count()).unwrap_or(u32::MAX);
        Ok(Self {
            thresholds: Thresholds {
                min_driver: args.min_driver.clone(),
                min_cuda: args.min_cuda.clone(),
                expect_model: args.expect_model.clone(),
                temperature_margin_c: args.temperature_margin_c.unwrap_or(margin_default),
                ecc_corrected_max: count(args.ecc_corrected_max, config::ECC_CORRECTED_MAX),
                remap_uncorrectable_max: count(
                    args.remap_uncorrectable_max,
                    config::REMAP_UNCORRECTABLE_MAX,
                ),
                retired_pages_max: count(args.retired_pages_max, config::RETIRED_PAGES_MAX),
                pcie_replay_max: count(args.pcie_replay_max, config::PCIE_REPLAY_MAX),
                nvlink_crc_max: count(args.nvlink_crc_max, config::NVLINK_CRC_MAX),
                nvlink_replay_max: count(args.nvlink_replay_max, config::NVLINK_REPLAY_MAX),
                nvlink_recovery_max: count(args.nvlink_recovery_max, config::NVLINK_RECOVERY_MAX),
                memory_used_max_pct: args
                    .memory_used_max_pct
                    .unwrap_or(config::MEMORY_USED_MAX_PCT.default_percent()),
            },
            expect_gpus: args.expect_gpus,
            watch: args.watch.unwrap_or(Duration::ZERO),
            since: args.since.unwrap_or(Duration::from_secs(24 * 3600)),
            compute: !args.no_compute,
            compute_timeout: args.compute_timeout.unwrap_or(Duration::from_secs(10)),
            only: args.checks.clone(),
            skip: args.skip.clone(),
            fail_on: args.fail_on.unwrap_or(FailOn::Fail),
        })
    }

    fn wants(&self, check: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|n| selects(n, check)))
            && !self.skip.iter().any(|n| selects(n, check))
    }
}

/// `ecc` selects `ecc_mode`, `ecc_corrected`...; a full name selects itself.
use crate::model::checks::selects;

pub fn run(global: &GlobalArgs, args: &HealthArgs) -> Result<Report, AppError> {
    let settings = Settings::resolve(args)?;
    // Fail closed: a selection that runs nothing cannot vouch for anything.
    if !CHECK_NAMES.iter().any(|c| settings.wants(c)) {
        return Err(AppError::usage(
            "--checks/--skip leave no check to run: select at least one check",
        ));
    }
    // Without the compute test CUDA is not needed, and cuInit alone costs
    // ~100 ms: stay on NVML, as probe does.
    let mode = if settings.compute {
        Enumerate::Full
    } else {
        Enumerate::NvmlOnly
    };
    let selected = Selected::open(global, mode)?;
    let backend = &selected.backend;
    let inventory = &selected.inventory;
    let nvml = backend.nvml().ok().cloned();
    let cuda = if settings.compute {
        backend.cuda().ok().cloned()
    } else {
        None
    };
    let gpus: Vec<&Gpu> = selected.gpus().collect();
    let started = Instant::now();
    let stop = signal::stop_flag();

    // XID events are watched for the whole run (the self-test is when a bad
    // GPU throws them), and at least --watch.
    let watch = nvml.clone().filter(|_| settings.wants("xid")).map(|api| {
        let indices: Vec<u32> = gpus
            .iter()
            .filter(|g| g.has_nvml && g.lost.is_none())
            .map(|g| g.index)
            .collect();
        harness::xids::XidWatch::start(api, indices)
    });
    let kernel_xids = settings
        .wants("xid")
        .then(|| backend.kernel_log_xids(settings.since));
    crate::trace::mark("kernel log read");

    // NVML facts of every GPU at once, each bounded: a reader that panics
    // or hangs becomes a FAIL for that GPU, never empty facts that pass.
    let readable: Vec<Option<u32>> = gpus
        .iter()
        .map(|g| (g.has_nvml && g.lost.is_none()).then_some(g.index))
        .collect();
    let idle_sample = !settings.compute;
    let read_facts = || -> Vec<Result<NvmlFacts, String>> {
        let facts = match &nvml {
            Some(api) => {
                let api = api.clone();
                harness::map_bounded(readable, settings.compute_timeout, stop, move |index| {
                    index.map(|i| read_nvml(&*api, i, idle_sample))
                })
                .into_iter()
                .map(|r| r.map(Option::unwrap_or_default))
                .collect()
            }
            None => readable.iter().map(|_| Ok(NvmlFacts::default())).collect(),
        };
        crate::trace::mark("NVML read");
        facts
    };
    // The NVML facts are read while the compute tests start: on a host with
    // NVLink they take 100+ ms (every link's state and counters), which
    // would otherwise come before the first context.
    let (facts, compute) = std::thread::scope(|scope| {
        let reader = scope.spawn(read_facts);
        let compute = match (settings.compute, &cuda) {
            (true, Some(cuda)) => Some(compute_tests(&gpus, cuda.clone(), nvml.clone(), &settings)),
            // Asked for but CUDA did not open: judged as not run (host check).
            (true, None) => Some(ComputeResults {
                runs: Vec::new(),
                interrupted: false,
            }),
            (false, _) => None,
        };
        // map_bounded catches a reader's panic itself; this only guards
        // against a panic in gpuctl's own code around it.
        let facts = reader.join().unwrap_or_else(|_| {
            gpus.iter()
                .map(|_| Err("the NVML reader crashed (a gpuctl bug)".to_string()))
                .collect()
        });
        (facts, compute)
    });
    crate::trace::mark("GPUs read and tested");
    if let Some(rest) = settings.watch.checked_sub(started.elapsed()) {
        // Sleep in steps so Ctrl-C still answers at once.
        let until = Instant::now() + rest;
        while Instant::now() < until && !signal::stopped() {
            std::thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
        }
    }
    crate::trace::mark("XID watch asked to stop");
    let nvml_xids = watch.map(harness::xids::XidWatch::finish);
    let watched = started.elapsed();
    crate::trace::mark("XID watch answered");

    let mut report = Report::new("health");
    report.driver = Some(inventory.driver.clone());
    report.warnings = inventory.warnings.clone();
    let present = gpus.iter().filter(|g| g.lost.is_none()).count() as u32;
    let mut host = vec![
        hc::version(
            "driver",
            "driver",
            inventory.driver.driver_version.as_deref(),
            settings.thresholds.min_driver.as_deref(),
        ),
        hc::version(
            "cuda_driver",
            "CUDA driver version",
            inventory.driver.cuda_driver_version.as_deref(),
            settings.thresholds.min_cuda.as_deref(),
        ),
        hc::library("nvml", "NVML", backend.nvml().err(), true),
        if settings.compute {
            hc::library("cuda", "CUDA driver", backend.cuda().err(), true)
        } else {
            // Not loaded on purpose: cuInit alone costs ~100 ms.
            Check::new(
                "cuda",
                CheckStatus::Skip,
                "CUDA driver not loaded (--no-compute)",
            )
        },
        basic::gpu_count(settings.expect_gpus, present),
    ];

    let xids = xid::Evidence {
        watch: nvml_xids.as_ref(),
        watch_label: format!("NVML events for {:.1}s", watched.as_secs_f64()),
        kernel: kernel_xids.as_ref(),
        kernel_label: format!(
            "kernel log since {}",
            humantime::format_duration(settings.since)
        ),
        strict: false,
    };
    report.warnings.extend(xids.warnings());
    // XIDs of GPUs outside the selection or unknown to NVML still matter to
    // the node.
    host.extend(xids.stray(&gpus));
    report.host_checks = host
        .into_iter()
        .filter(|c| settings.wants(&c.name))
        .collect();

    // Fail closed: the required checks must have run (see report::fail_closed).
    let required: Vec<&str> = REQUIRED
        .into_iter()
        .filter(|n| settings.compute || *n != crate::checks::healthy::COMPUTE)
        .collect();
    let deselected: Vec<&str> = required
        .iter()
        .copied()
        .filter(|n| !settings.wants(n))
        .collect();
    let required = crate::report::Required {
        checks: &required,
        deselected: &deselected,
    };
    report.gpus = gpus
        .iter()
        .zip(facts)
        .enumerate()
        .map(|(slot, (gpu, facts))| {
            let tested = compute.as_ref().map(|c| (c.for_gpu(slot), c.interrupted));
            let serial = facts
                .as_ref()
                .ok()
                .and_then(|f| f.details.as_ref())
                .and_then(|d| d.serial.value().cloned());
            let mut checks = judge(gpu, facts, tested, &settings, cuda.is_some());
            if settings.wants("xid") {
                checks.push(xid::verdict(&xids, gpu));
            }
            // Report order is CHECK_NAMES order, whatever order they were made in.
            checks.retain(|c| settings.wants(&c.name));
            checks.sort_by_key(|c| {
                CHECK_NAMES
                    .iter()
                    .position(|n| *n == c.name)
                    .unwrap_or(usize::MAX)
            });
            GpuReport {
                serial,
                ..GpuReport::judged(gpu, checks, &required)
            }
        })
        .collect();

    finish(&mut report, settings.fail_on);
    if signal::stopped() {
        report.outcome = Outcome::Interrupted;
        report.exit_code = exit::INTERRUPTED;
        report.summary = format!("interrupted (partial report): {}", report.summary);
    }
    Ok(report)
}

/// Overall outcome, exit code and the one-line summary.
fn finish(report: &mut Report, fail_on: FailOn) {
    let worst = report.worst_status();
    let sick: Vec<String> = report
        .gpus
        .iter()
        .filter(|g| matches!(g.status, Some(CheckStatus::Fail | CheckStatus::Warn)))
        .map(|g| {
            let names: Vec<&str> = g
                .checks
                .iter()
                .flatten()
                .filter(|c| matches!(c.status, CheckStatus::Fail | CheckStatus::Warn))
                .map(|c| c.name.as_str())
                .collect();
            format!(
                "GPU {} {} ({})",
                g.index,
                g.status.map(|s| s.label()).unwrap_or(""),
                names.join(", ")
            )
        })
        .collect();
    let host_bad: Vec<&str> = report
        .host_checks
        .iter()
        .filter(|c| matches!(c.status, CheckStatus::Fail | CheckStatus::Warn))
        .map(|c| c.name.as_str())
        .collect();
    let failed =
        worst == CheckStatus::Fail || (fail_on == FailOn::Warn && worst == CheckStatus::Warn);
    report.outcome = match worst {
        CheckStatus::Fail => Outcome::Fail,
        CheckStatus::Interrupted => Outcome::Interrupted,
        CheckStatus::Warn => Outcome::Warn,
        _ => Outcome::Pass,
    };
    report.exit_code = if failed {
        exit::CHECK_FAILED
    } else if worst == CheckStatus::Interrupted {
        exit::INTERRUPTED
    } else {
        exit::SUCCESS
    };
    let verdict = match worst {
        CheckStatus::Fail => "unhealthy",
        CheckStatus::Interrupted => "not fully checked",
        CheckStatus::Warn => "degraded",
        _ => "healthy",
    };
    let mut parts = Vec::new();
    if !host_bad.is_empty() {
        parts.push(format!("host ({})", host_bad.join(", ")));
    }
    parts.extend(sick);
    report.summary = if parts.is_empty() {
        format!(
            "{verdict}: {} GPU(s), every check passed",
            report.gpus.len()
        )
    } else {
        format!("{verdict}: {}", parts.join("; "))
    };
}

/// What NVML said about one GPU before judging.
#[derive(Default)]
struct NvmlFacts {
    details: Option<crate::device::NvmlDetails>,
    counters: Option<crate::device::ErrorCounters>,
    nvlinks: Option<crate::device::Reading<Vec<crate::device::NvLinkStatus>>>,
    /// One idle sample, when no compute test samples under load.
    idle: LoadSummary,
}

fn read_nvml(api: &dyn NvmlApi, index: u32, idle_sample: bool) -> NvmlFacts {
    use crate::trace::timed;
    let details = Some(timed("details", || api.details(index)));
    let counters = Some(timed("error counters", || api.error_counters(index)));
    let nvlinks = Some(timed("nvlinks", || api.nvlinks(index)));
    let mut sampler = Sampler::default();
    if idle_sample {
        sampler.sample(&api.telemetry(index));
    }
    NvmlFacts {
        details,
        counters,
        nvlinks,
        idle: sampler.finish(),
    }
}

/// Judges one GPU's facts (everything but XIDs).
///
/// `tested` is the compute test of each of the GPU's CUDA devices (None
/// without `--compute`); `cuda_loaded` says whether the CUDA driver opened
/// (when it did not, the host check fails and the GPU is not blamed).
fn judge(
    gpu: &Gpu,
    facts: Result<NvmlFacts, String>,
    tested: Option<Tested>,
    settings: &Settings,
    cuda_loaded: bool,
) -> Vec<Check> {
    let t = &settings.thresholds;
    let mut checks = vec![
        basic::on_bus(gpu.lost.as_deref()),
        hc::gpu_model(&gpu.name, t.expect_model.as_deref()),
    ];
    let facts = match facts {
        Ok(facts) => facts,
        Err(why) => {
            // The reader crashed or hung: nothing NVML says was judged.
            checks.push(
                Check::new(
                    "nvml",
                    CheckStatus::Fail,
                    format!("NVML reads of this GPU failed: {why}"),
                )
                .remedy(crate::checks::remedy::RESET),
            );
            NvmlFacts::default()
        }
    };
    // Samples under the compute test's load where it ran, else the idle one.
    let load = match &tested {
        Some((runs, _)) if !runs.is_empty() => load_of(runs),
        _ => facts.idle.clone(),
    };
    if let (Some(d), Some(c)) = (&facts.details, &facts.counters) {
        let th = &d.temperature_thresholds;
        let load = &load;
        checks.extend([
            hc::ecc_mode(&c.ecc_enabled),
            basic::ecc_volatile_uncorrected(&c.ecc_volatile.clone().map(|e| e.uncorrected)),
            hc::ecc_aggregate_uncorrected(&c.ecc_aggregate),
            hc::ecc_corrected(&c.ecc_volatile, t.ecc_corrected_max),
            hc::row_remap_pending(&c.row_remap),
            basic::row_remap_failure(&c.row_remap),
            hc::row_remap_uncorrectable(&c.row_remap, t.remap_uncorrectable_max),
            hc::retired_pages(&c.retired_pages, t.retired_pages_max),
            hc::temperature_with_margin(
                "temperature",
                "GPU temperature",
                load.max_temperature_gpu_c,
                load.temperature_error.as_ref(),
                th.slowdown_c.get(),
                t.temperature_margin_c,
            ),
            hc::temperature_with_margin(
                "memory_temperature",
                "memory temperature",
                load.max_temperature_memory_c,
                None,
                th.memory_max_c.get(),
                t.temperature_margin_c,
            ),
            hc::power(load.max_power_w, load.power_error.as_ref(), &d.power_limits),
            hc::power_limit(&d.power_limits),
            hc::clock_events(load),
            hc::pcie_link(load, &d.pcie_max),
            hc::pcie_replay(&c.pcie_replay_count, t.pcie_replay_max),
            hc::persistence_mode(&d.persistence_mode),
            hc::compute_mode(&d.compute_mode),
            hc::mig(&d.mig_mode, d.mig_instances.value().map_or(0, Vec::len)),
            hc::memory_usage(&d.memory, t.memory_used_max_pct),
        ]);
        if let Some(links) = &facts.nvlinks {
            checks.push(hc::nvlink(links, t));
        }
    } else if gpu.lost.is_none() && !checks.iter().any(|c| c.name == "nvml") {
        checks.push(Check::new(
            "nvml",
            CheckStatus::Skip,
            "NVML cannot read this GPU: telemetry checks skipped",
        ));
    }
    match tested {
        None => {}
        // A lost GPU already fails on_bus; no kernel can reach it.
        Some(_) if gpu.lost.is_some() => {}
        // The host check `cuda` fails and says why; the GPU is not blamed.
        Some(_) if !cuda_loaded => checks.push(Check::new(
            "compute_self_test",
            CheckStatus::Skip,
            "not run: the CUDA driver is unavailable (see the host check cuda)",
        )),
        Some((runs, _)) if runs.is_empty() => checks.push(
            Check::new(
                "compute_self_test",
                CheckStatus::Fail,
                "not run: CUDA does not see this GPU (hidden by CUDA_VISIBLE_DEVICES?)",
            )
            .remedy("check CUDA_VISIBLE_DEVICES and the container's GPU mapping"),
        ),
        Some((runs, interrupted)) => {
            for (label, run) in runs {
                checks.push(compute_check(label, run, interrupted));
            }
        }
    }
    checks
}
