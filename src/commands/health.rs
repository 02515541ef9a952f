//! `gpuctl health`: the node health report.
//!
//! Reads every GPU in parallel (static facts, error counters, NVLink), runs
//! the compute self-test while sampling telemetry under its load, watches
//! NVML XID events for the whole run and scans the kernel log, then judges
//! it all with `checks::{basic, health, xid}`. One row per GPU in the table,
//! every check in JSON.

use super::Selected;
use crate::checks::health::{self as hc, LoadSummary, Thresholds};
use crate::checks::{basic, xid};
use crate::cli::{FailOn, GlobalArgs, HealthArgs};
use crate::config::{self, HealthConfig};
use crate::device::inventory::Enumerate;
use crate::device::{
    kernel_log, ClockEvents, CudaApi, Gpu, NvmlApi, PcieLink, QueryError, SelfTestOutcome, XidEvent,
};
use crate::error::AppError;
use crate::exit;
use crate::report::{Check, CheckStatus, GpuReport, Outcome, Report};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Every check name, in report order; `--checks`/`--skip` take these or
/// their prefixes (`ecc` selects every `ecc_*`).
pub const CHECK_NAMES: [&str; 29] = [
    "driver",
    "cuda_driver",
    "nvml",
    "cuda",
    "gpu_count",
    "gpu_model",
    "on_bus",
    "ecc_mode",
    "ecc_volatile_uncorrected",
    "ecc_aggregate_uncorrected",
    "ecc_corrected",
    "row_remap_pending",
    "row_remap_failure",
    "row_remap_uncorrectable",
    "retired_pages",
    "xid",
    "temperature",
    "memory_temperature",
    "power",
    "power_limit",
    "clock_events",
    "pcie_link",
    "pcie_replay",
    "nvlink",
    "persistence_mode",
    "compute_mode",
    "mig",
    "memory_usage",
    "compute_self_test",
];

/// How long the self-test keeps the GPU busy for sampling under load.
const LOAD_WINDOW: Duration = Duration::from_millis(300);
/// Telemetry sampling period under load.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);

/// Flags over config file over defaults.
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
    pub fn resolve(args: &HealthArgs) -> Result<Self, AppError> {
        let file = match &args.config {
            Some(path) => config::load(path)?.health,
            None => HealthConfig::default(),
        };
        let d = Thresholds::default();
        let version = |key: &str,
                       flag: &Option<String>,
                       file: &Option<String>|
         -> Result<Option<String>, AppError> {
            match (flag, file) {
                (Some(v), _) => Ok(Some(v.clone())),
                (None, Some(v)) => crate::cli::parse_version(v)
                    .map(Some)
                    .map_err(|e| AppError::usage(format!("config key 'health.{key}': {e}"))),
                (None, None) => Ok(None),
            }
        };
        let duration = |key: &str,
                        flag: Option<Duration>,
                        file: &Option<String>,
                        default: Duration|
         -> Result<Duration, AppError> {
            match (flag, file) {
                (Some(v), _) => Ok(v),
                (None, Some(v)) => config::duration(&format!("health.{key}"), v),
                (None, None) => Ok(default),
            }
        };
        let fail_on = match (args.fail_on, file.fail_on.as_deref()) {
            (Some(f), _) => f,
            (None, None | Some("fail")) => FailOn::Fail,
            (None, Some("warn")) => FailOn::Warn,
            (None, Some(other)) => {
                return Err(AppError::usage(format!(
                "config key 'health.fail_on': invalid value '{other}': expected 'fail' or 'warn'"
            )))
            }
        };
        let only = if args.checks.is_empty() {
            file.checks.clone().unwrap_or_default()
        } else {
            args.checks.clone()
        };
        let skip = if args.skip.is_empty() {
            file.skip.clone().unwrap_or_default()
        } else {
            args.skip.clone()
        };
        for name in only.iter().chain(&skip) {
            if !CHECK_NAMES.iter().any(|c| selects(name, c)) {
                return Err(AppError::usage(format!(
                    "unknown check '{name}': expected one of {} (or a prefix such as 'ecc')",
                    CHECK_NAMES.join(", ")
                )));
            }
        }
        let pct = args
            .memory_used_max_pct
            .or(file.memory_used_max_pct)
            .unwrap_or(d.memory_used_max_pct);
        if !(0.0..=100.0).contains(&pct) {
            return Err(AppError::usage(format!(
                "invalid memory percentage '{pct}': expected 0 to 100"
            )));
        }
        Ok(Self {
            thresholds: Thresholds {
                min_driver: version("min_driver", &args.min_driver, &file.min_driver)?,
                min_cuda: version("min_cuda", &args.min_cuda, &file.min_cuda)?,
                expect_model: args.expect_model.clone().or(file.expect_model),
                temperature_margin_c: args
                    .temperature_margin_c
                    .or(file.temperature_margin_c)
                    .unwrap_or(d.temperature_margin_c),
                ecc_corrected_max: args
                    .ecc_corrected_max
                    .or(file.ecc_corrected_max)
                    .unwrap_or(d.ecc_corrected_max),
                remap_uncorrectable_max: args
                    .remap_uncorrectable_max
                    .or(file.remap_uncorrectable_max)
                    .unwrap_or(d.remap_uncorrectable_max),
                retired_pages_max: args
                    .retired_pages_max
                    .or(file.retired_pages_max)
                    .unwrap_or(d.retired_pages_max),
                pcie_replay_max: args
                    .pcie_replay_max
                    .or(file.pcie_replay_max)
                    .unwrap_or(d.pcie_replay_max),
                nvlink_crc_max: args
                    .nvlink_crc_max
                    .or(file.nvlink_crc_max)
                    .unwrap_or(d.nvlink_crc_max),
                nvlink_replay_max: args
                    .nvlink_replay_max
                    .or(file.nvlink_replay_max)
                    .unwrap_or(d.nvlink_replay_max),
                nvlink_recovery_max: args
                    .nvlink_recovery_max
                    .or(file.nvlink_recovery_max)
                    .unwrap_or(d.nvlink_recovery_max),
                memory_used_max_pct: pct,
            },
            expect_gpus: args.expect_gpus.or(file.expect_gpus),
            watch: duration("watch", args.watch, &file.watch, Duration::ZERO)?,
            since: duration(
                "since",
                args.since,
                &file.since,
                Duration::from_secs(24 * 3600),
            )?,
            compute: !args.no_compute && file.compute.unwrap_or(true),
            compute_timeout: duration(
                "compute_timeout",
                args.compute_timeout,
                &file.compute_timeout,
                Duration::from_secs(10),
            )?,
            only,
            skip,
            fail_on,
        })
    }

    fn wants(&self, check: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|n| selects(n, check)))
            && !self.skip.iter().any(|n| selects(n, check))
    }
}

/// `ecc` selects `ecc_mode`, `ecc_corrected`...; a full name selects itself.
fn selects(name: &str, check: &str) -> bool {
    let name = name.trim();
    check == name || check.starts_with(&format!("{name}_"))
}

pub fn run(global: &GlobalArgs, args: &HealthArgs) -> Result<Report, AppError> {
    let settings = Settings::resolve(args)?;
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

    // XID events are watched for the whole run (the self-test is when a bad
    // GPU throws them), and at least --watch.
    let stop_watch = Arc::new(AtomicBool::new(false));
    let watch_thread = nvml.clone().filter(|_| settings.wants("xid")).map(|api| {
        let indices: Vec<u32> = gpus
            .iter()
            .filter(|g| g.has_nvml && g.lost.is_none())
            .map(|g| g.index)
            .collect();
        let stop = stop_watch.clone();
        std::thread::spawn(move || api.watch_xids(&indices, Duration::from_secs(24 * 3600), &stop))
    });
    let kernel_xids = settings
        .wants("xid")
        .then(|| backend.kernel_log_xids(settings.since));
    crate::trace::mark("kernel log read");

    let per_gpu: Vec<GpuFacts> = std::thread::scope(|scope| {
        let handles: Vec<_> = gpus
            .iter()
            .map(|gpu| {
                let (nvml, cuda, settings) = (nvml.clone(), cuda.clone(), &settings);
                scope.spawn(move || gather(gpu, nvml.as_deref(), cuda, settings))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });

    crate::trace::mark("GPUs read and tested");
    if let Some(rest) = settings.watch.checked_sub(started.elapsed()) {
        std::thread::sleep(rest);
    }
    stop_watch.store(true, Ordering::Relaxed);
    let nvml_xids = watch_thread.map(|t| {
        t.join()
            .unwrap_or_else(|_| Err(QueryError::Failed("XID watch panicked".into())))
    });
    let watched = started.elapsed();

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

    let (xid_events, xid_sources) = merge_xids(
        nvml_xids.as_ref(),
        kernel_xids.as_ref(),
        watched,
        settings.since,
        &mut report.warnings,
    );
    let stray: Vec<&XidEvent> = xid_events
        .iter()
        .filter(|e| !gpus.iter().any(|g| belongs(e, g)))
        .collect();
    if !stray.is_empty() {
        // XIDs of GPUs outside the selection or unknown to NVML still matter
        // to the node.
        let mut check = xid::xid_check(&stray, &xid_sources);
        check.message = format!("not attributed to a selected GPU: {}", check.message);
        host.push(check);
    }
    report.host_checks = host
        .into_iter()
        .filter(|c| settings.wants(&c.name))
        .collect();

    report.gpus = gpus
        .iter()
        .zip(per_gpu)
        .map(|(gpu, facts)| {
            let mine: Vec<&XidEvent> = xid_events.iter().filter(|e| belongs(e, gpu)).collect();
            let mut checks = judge(gpu, &facts, &settings);
            if settings.wants("xid") && (nvml_xids.is_some() || kernel_xids.is_some()) {
                checks.push(xid::xid_check(&mine, &xid_sources));
            }
            // Report order is CHECK_NAMES order, whatever order they were made in.
            checks.retain(|c| settings.wants(&c.name));
            checks.sort_by_key(|c| {
                CHECK_NAMES
                    .iter()
                    .position(|n| *n == c.name)
                    .unwrap_or(usize::MAX)
            });
            let serial = facts
                .details
                .as_ref()
                .and_then(|d| d.serial.value().cloned());
            GpuReport {
                serial,
                ..GpuReport::with_checks(gpu, checks)
            }
        })
        .collect();

    finish(&mut report, settings.fail_on);
    Ok(report)
}

/// NVML events (which carry the GPU index) and kernel-log lines (which carry
/// a PCI id) as one list, with a phrase saying what was searched; what could
/// not be read becomes a warning.
fn merge_xids(
    nvml: Option<&Result<Vec<XidEvent>, QueryError>>,
    kernel: Option<&crate::device::Reading<Vec<XidEvent>>>,
    watched: Duration,
    since: Duration,
    warnings: &mut Vec<String>,
) -> (Vec<XidEvent>, String) {
    let mut sources = Vec::new();
    let mut events = Vec::new();
    match nvml {
        Some(Ok(found)) => {
            sources.push(format!("NVML events for {:.1}s", watched.as_secs_f64()));
            events.extend(found.iter().cloned());
        }
        Some(Err(e)) => warnings.push(format!("NVML XID events unavailable: {e}")),
        None => {}
    }
    match kernel.map(|r| r.as_result()) {
        Some(Ok(found)) => {
            sources.push(format!(
                "kernel log since {}",
                humantime::format_duration(since)
            ));
            events.extend(found.iter().cloned());
        }
        Some(Err(QueryError::NoPermission)) => warnings.push(
            "kernel log not readable (kernel.dmesg_restrict): run as root to include past XIDs"
                .into(),
        ),
        Some(Err(e)) => warnings.push(format!("kernel log not readable: {e}")),
        None => {}
    }
    let sources = if sources.is_empty() {
        "nothing readable".to_string()
    } else {
        sources.join("; ")
    };
    (events, sources)
}

/// Whether an XID event is this GPU's: by NVML index for NVML events, by
/// PCI id for kernel-log lines.
fn belongs(e: &XidEvent, gpu: &Gpu) -> bool {
    match (e.gpu_index, &e.pci_bus_id) {
        (Some(i), _) if e.source == "nvml_event" => gpu.has_nvml && i == gpu.index,
        (_, Some(pci)) => kernel_log::same_pci_device(pci, &gpu.pci_bus_id),
        _ => false,
    }
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
        CheckStatus::Warn => Outcome::Warn,
        _ => Outcome::Pass,
    };
    report.exit_code = if failed {
        exit::CHECK_FAILED
    } else {
        exit::SUCCESS
    };
    let verdict = match worst {
        CheckStatus::Fail => "unhealthy",
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

/// Everything read from one GPU before judging.
#[derive(Default)]
struct GpuFacts {
    details: Option<crate::device::NvmlDetails>,
    counters: Option<crate::device::ErrorCounters>,
    nvlinks: Option<crate::device::Reading<Vec<crate::device::NvLinkStatus>>>,
    load: LoadSummary,
    /// (CUDA device label, outcome) per CUDA device of the GPU.
    self_tests: Vec<(String, Result<SelfTestOutcome, QueryError>)>,
}

fn gather(
    gpu: &Gpu,
    nvml: Option<&dyn NvmlApi>,
    cuda: Option<Arc<dyn CudaApi>>,
    settings: &Settings,
) -> GpuFacts {
    let mut facts = GpuFacts::default();
    let nvml = nvml.filter(|_| gpu.has_nvml && gpu.lost.is_none());
    if let Some(api) = nvml {
        facts.details = Some(api.details(gpu.index));
        facts.counters = Some(api.error_counters(gpu.index));
        facts.nvlinks = Some(api.nvlinks(gpu.index));
    }
    let mut sampler = Sampler::default();
    match (settings.compute, &cuda) {
        // A lost GPU already fails on_bus; a self-test cannot reach it.
        (true, _) if gpu.lost.is_some() => {}
        (true, Some(cuda)) if !gpu.cuda.is_empty() => {
            // One self-test thread per CUDA device (MIG instances too); sample
            // the whole GPU while they run.
            let (tx, rx) = mpsc::channel();
            for device in &gpu.cuda {
                let (tx, ordinal, api) = (tx.clone(), device.ordinal, cuda.clone());
                // Detached: on a timeout we stop waiting for a hung driver.
                std::thread::spawn(move || {
                    let _ = tx.send((ordinal, api.self_test(ordinal, LOAD_WINDOW)));
                });
            }
            drop(tx);
            let deadline = Instant::now() + settings.compute_timeout;
            let mut pending: Vec<u32> = gpu.cuda.iter().map(|d| d.ordinal).collect();
            while !pending.is_empty() {
                if let Some(api) = nvml {
                    sampler.sample(api, gpu.index);
                }
                match rx.recv_timeout(SAMPLE_EVERY) {
                    Ok((ordinal, outcome)) => {
                        pending.retain(|&o| o != ordinal);
                        facts
                            .self_tests
                            .push((format!("CUDA device {ordinal}"), outcome));
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
                    Err(_) => {
                        for ordinal in pending.drain(..) {
                            facts.self_tests.push((
                                format!("CUDA device {ordinal}"),
                                Err(QueryError::Failed(format!(
                                    "did not finish within {}",
                                    humantime::format_duration(settings.compute_timeout)
                                ))),
                            ));
                        }
                    }
                }
            }
            sampler.under_load = true;
        }
        (true, _) => {
            let why = match cuda {
                None => "the CUDA driver is unavailable",
                Some(_) => "CUDA does not see this GPU",
            };
            facts
                .self_tests
                .push(("GPU".into(), Err(QueryError::Failed(why.into()))));
            if let Some(api) = nvml {
                sampler.sample(api, gpu.index);
            }
        }
        (false, _) => {
            if let Some(api) = nvml {
                sampler.sample(api, gpu.index);
            }
        }
    }
    facts.load = sampler.finish();
    facts
}

/// Folds telemetry samples into a [`LoadSummary`].
#[derive(Default)]
struct Sampler {
    summary: LoadSummary,
    under_load: bool,
}

impl Sampler {
    fn sample(&mut self, api: &dyn NvmlApi, index: u32) {
        let t = api.telemetry(index);
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

    fn finish(self) -> LoadSummary {
        LoadSummary {
            under_load: self.under_load,
            ..self.summary
        }
    }
}

/// Judges one GPU's facts (everything but XIDs).
fn judge(gpu: &Gpu, facts: &GpuFacts, settings: &Settings) -> Vec<Check> {
    let t = &settings.thresholds;
    let mut checks = vec![
        basic::on_bus(gpu.lost.as_deref()),
        hc::gpu_model(&gpu.name, t.expect_model.as_deref()),
    ];
    if let (Some(d), Some(c)) = (&facts.details, &facts.counters) {
        let th = &d.temperature_thresholds;
        let load = &facts.load;
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
    } else if gpu.lost.is_none() {
        checks.push(Check::new(
            "nvml",
            CheckStatus::Skip,
            "NVML cannot read this GPU: telemetry checks skipped",
        ));
    }
    for (label, outcome) in &facts.self_tests {
        checks.push(basic::self_test(label, outcome));
    }
    checks
}
