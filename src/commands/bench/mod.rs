//! `gpuctl bench`: measure every selected GPU at once and gate on the
//! results.
//!
//! Per GPU, one harness worker runs the measurements in turn: HBM copy,
//! read and write kernels and pinned host transfers (each byte moved is
//! checked), GPU kernel spacing and host launch overhead, then GEMM per
//! dtype through the burn engine (event-timed, every product verified):
//! bursts after idle, then the sustained regime ([`gemm`]). Each result is the median
//! of its repetitions with min, max and spread, and the clocks, power,
//! temperature and clock event reasons sampled while it ran. Gates (limits,
//! built-in expectations, a baseline, the run's other GPUs of the same
//! model) turn a shortfall into a FAIL check; pure logic in [`bench_gate`].
//! Every worker's device buffers are wiped, verified, before they are freed
//! (`memory_wipe`).
//!
//! [`bench_gate`]: super::bench_gate

mod gemm;
mod junit;
pub mod render;
mod results;

use self::results::build_report;
use super::bench_gate::{self as gate, Baseline, Limit, Metric, Source};
use super::bench_verdict as verdict;
use super::{harness_target, MemoryHolders, Selected};
use crate::cli::{BenchArgs, GlobalArgs};
use crate::device::bench::{BenchConfig, BenchWorker, Transfer};
use crate::device::burn::{BurnConfig, BurnWorker, Dtype, Engine, WipeReport};
use crate::device::inventory::Enumerate;
use crate::device::{ClockEvents, CudaApi, Gpu};
use crate::error::AppError;
use crate::harness::{self, Blame, Target, WorkError, Workload};
use crate::outfile;
use crate::report::{
    BenchGate, BenchResult, BenchSummary, Check, CheckStatus, GpuReport, Outcome, Report, Required,
};
use crate::signal;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The check that defines a passing bench besides every asked-for metric
/// (each metric's check is required too: a metric that vanished is not a
/// pass).
pub const REQUIRED: [&str; 1] = ["bench_ran"];

/// Context creation and buffer allocation longer than this is a hang.
const SETUP_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest step is a GEMM dtype's set-up plus its sustained regime
/// (about 5 s on an H100: [`gemm::Sustained::FULL`]).
const STEP_TIMEOUT: Duration = Duration::from_secs(60);
/// Telemetry period: several samples inside a one-second GEMM batch.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);
/// Share of free memory for the GEMM operands and result buffers: small, so
/// the burn engine keeps one result buffer and a batch stays a short burst.
const GEMM_MEMORY: f64 = 0.01;
/// Device time of one GEMM repetition in the burst regime, as a matmul
/// benchmark measures (a sustained load runs into the power cap: the
/// sustained regime, [`gemm::Sustained`]).
const GEMM_BURST_S: f64 = 0.025;
/// Idle before each burst, so one burst's power draw does not cap the next.
const GEMM_IDLE: Duration = Duration::from_millis(50);
/// Clock event reasons that mean the GPU ran below its best clocks.
const SLOWDOWNS: u64 = ClockEvents::SW_POWER_CAP
    | ClockEvents::HW_SLOWDOWN
    | ClockEvents::SW_THERMAL_SLOWDOWN
    | ClockEvents::HW_THERMAL_SLOWDOWN
    | ClockEvents::HW_POWER_BRAKE_SLOWDOWN;

/// How much of each measurement a run does.
#[derive(Debug, Clone)]
struct Plan {
    metrics: Vec<Metric>,
    /// GEMM bursts per dtype: the repetitions.
    gemm_batches: u32,
    /// The sustained regime's warm-up and measured device time.
    sustained: gemm::Sustained,
    hbm_reps: u32,
    host_reps: u32,
    latency_reps: u32,
    /// Empty kernels per graph (kernel spacing).
    launches: u32,
    /// Empty kernels launched and waited for one at a time, per repetition
    /// (launch overhead).
    overhead_launches: u32,
    config: BenchConfig,
}

fn plan(args: &BenchArgs) -> Plan {
    let mut metrics = args.tests.0.clone();
    if args.quick {
        // One GEMM dtype (bf16 when asked for), in the regimes asked for,
        // keeps --quick short.
        let dtypes: Vec<Dtype> = metrics.iter().filter_map(|m| m.dtype()).collect();
        if let Some(&first) = dtypes.first() {
            let keep = if dtypes.contains(&Dtype::Bf16) {
                Dtype::Bf16
            } else {
                first
            };
            metrics.retain(|m| m.dtype().is_none_or(|d| d == keep));
        }
        Plan {
            metrics,
            gemm_batches: 5,
            sustained: gemm::Sustained::QUICK,
            hbm_reps: 10,
            host_reps: 5,
            latency_reps: 10,
            launches: 200,
            overhead_launches: 100,
            config: BenchConfig {
                device_bytes: 1 << 30,
                host_bytes: 256 << 20,
            },
        }
    } else {
        Plan {
            metrics,
            gemm_batches: 10,
            sustained: gemm::Sustained::FULL,
            hbm_reps: 20,
            host_reps: 20,
            latency_reps: 20,
            launches: 1000,
            overhead_launches: 500,
            config: BenchConfig {
                device_bytes: 4 << 30,
                host_bytes: 1 << 30,
            },
        }
    }
}

fn transfer(m: Metric) -> Option<Transfer> {
    Some(match m {
        Metric::HbmCopy => Transfer::HbmCopy,
        Metric::HbmRead => Transfer::HbmRead,
        Metric::HbmWrite => Transfer::HbmWrite,
        Metric::H2d => Transfer::HostToDevice,
        Metric::D2h => Transfer::DeviceToHost,
        _ => return None,
    })
}

/// One measurement's outcome (a GEMM dtype gives one per batch).
#[derive(Debug, Clone)]
struct Measured {
    metric: Metric,
    /// Repetitions in the metric's unit.
    samples: Vec<f64>,
    detail: Option<String>,
    /// Bytes or products checked.
    verified: u64,
    /// GEMM products that differed from the reference.
    mismatches: u64,
    began: Instant,
    ended: Instant,
}

/// One GPU's benchmark as a harness workload: every step is one
/// measurement.
struct BenchWork {
    cuda: Arc<dyn CudaApi>,
    ordinal: u32,
    plan: Plan,
    engine: Engine,
    seed: u64,
    tasks: VecDeque<Metric>,
    bench: Option<Box<dyn BenchWorker>>,
    bench_detail: Option<String>,
    /// The GEMM worker and the metric (dtype and regime) it was set up for.
    burn: Option<(Metric, Box<dyn BurnWorker>)>,
    /// Wipes finished so far: the bandwidth worker's and one per GEMM dtype.
    wiped: Option<WipeReport>,
    /// Turns an out-of-memory set-up into an error naming the holders.
    holders: Arc<MemoryHolders>,
}

impl BenchWork {
    fn new(
        cuda: Arc<dyn CudaApi>,
        ordinal: u32,
        plan: Plan,
        engine: Engine,
        seed: u64,
        holders: Arc<MemoryHolders>,
    ) -> Result<Self, WorkError> {
        let mut tasks = VecDeque::new();
        // Bandwidth and latency first, while the GPU is cool; their buffers
        // are freed before the GEMM operands are allocated.
        let order = plan
            .metrics
            .iter()
            .filter(|m| m.dtype().is_none())
            .chain(plan.metrics.iter().filter(|m| m.dtype().is_some()));
        for &m in order {
            // A burst is one step each; the sustained regime's batches run
            // back to back in one step.
            let times = if m.regime() == Some(gate::Regime::Burst) {
                plan.gemm_batches
            } else {
                1
            };
            for _ in 0..times {
                tasks.push_back(m);
            }
        }
        let needs_bench = plan.metrics.iter().any(|m| m.dtype().is_none());
        let bench = if needs_bench {
            Some(
                crate::workloads::bench::open(&*cuda, ordinal, &plan.config)
                    .map_err(|e| holders.work_error(ordinal, e))?,
            )
        } else {
            None
        };
        let bench_detail = bench.as_ref().map(|b| b.detail());
        Ok(Self {
            cuda,
            ordinal,
            plan,
            engine,
            seed,
            tasks,
            bench,
            bench_detail,
            burn: None,
            wiped: None,
            holders,
        })
    }

    /// Wipes (verified) and frees the current GEMM worker's buffers, adding
    /// the wipe to the run's total.
    fn release_burn(&mut self) -> Result<(), WorkError> {
        let Some((_, mut worker)) = self.burn.take() else {
            return Ok(());
        };
        let w = worker.finish().map_err(WorkError::from)?;
        self.wiped = Some(add_wipe(self.wiped, w));
        Ok(())
    }

    /// Wipes (verified) and frees the bandwidth worker's buffers, adding
    /// the wipe to the run's total.
    fn release_bench(&mut self) -> Result<(), WorkError> {
        let Some(mut worker) = self.bench.take() else {
            return Ok(());
        };
        let w = worker.finish().map_err(WorkError::from)?;
        self.wiped = Some(add_wipe(self.wiped, w));
        Ok(())
    }

    fn bench(&mut self) -> Result<&mut Box<dyn BenchWorker>, WorkError> {
        self.bench
            .as_mut()
            .ok_or_else(|| WorkError::new("the bandwidth worker was released", Blame::Unknown))
    }
}

/// `total` with the wipe `w` added: verified only if both were.
fn add_wipe(total: Option<WipeReport>, w: WipeReport) -> WipeReport {
    match total {
        None => w,
        Some(t) => WipeReport {
            buffers: t.buffers + w.buffers,
            bytes: t.bytes + w.bytes,
            verified: t.verified && w.verified,
            nonzero_words: t.nonzero_words + w.nonzero_words,
        },
    }
}

impl Workload for BenchWork {
    type Setup = Option<String>;
    type Step = Measured;
    /// The wipes of every worker's buffers (bandwidth and GEMM); None
    /// when no worker was set up.
    type Cleanup = Option<WipeReport>;

    fn setup(&self) -> Self::Setup {
        self.bench_detail.clone()
    }

    fn step(&mut self) -> Result<Measured, WorkError> {
        let Some(metric) = self.tasks.pop_front() else {
            return Err(WorkError::new("no measurement left", Blame::Unknown));
        };
        let began = Instant::now();
        let (samples, detail, verified, mismatches) = if let Some(kind) = transfer(metric) {
            let reps = match kind {
                Transfer::HostToDevice | Transfer::DeviceToHost => self.plan.host_reps,
                _ => self.plan.hbm_reps,
            };
            // A corrupted transfer is a WrongResult: blamed on the GPU.
            let t = self
                .bench()?
                .transfer(kind, reps)
                .map_err(WorkError::from)?;
            let samples = t
                .seconds
                .iter()
                .map(|s| rate(t.bytes_per_rep as f64 / 1e9, *s))
                .collect::<Result<Vec<f64>, WorkError>>()?;
            (samples, None, t.verified_bytes, 0)
        } else if let Some((dtype, regime)) = metric.gemm_of() {
            self.gemm_step(dtype, regime)?
        } else {
            let reps = self.plan.latency_reps;
            let (per_launch, launches) = if metric == Metric::LaunchOverheadUs {
                let n = self.plan.overhead_launches;
                (self.bench()?.launch_overhead(reps, n), n)
            } else {
                let n = self.plan.launches;
                (self.bench()?.kernel_spacing(reps, n), n)
            };
            let samples: Vec<f64> = (per_launch.map_err(WorkError::from)?)
                .iter()
                .map(|s| s * 1e6)
                .collect();
            if samples.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
                return Err(WorkError::new(
                    format!(
                        "{}: a repetition took no time: the timing is broken",
                        metric.name()
                    ),
                    Blame::Unknown,
                ));
            }
            (samples, None, u64::from(reps) * u64::from(launches), 0)
        };
        Ok(Measured {
            metric,
            samples,
            detail,
            verified,
            mismatches,
            began,
            ended: Instant::now(),
        })
    }

    fn verified(step: &Measured) -> u64 {
        step.verified
    }

    fn is_complete(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Wipes the buffers of whichever workers are still held (both are
    /// tried even if one fails), verified, before they are freed.
    fn finish(&mut self) -> Result<Option<WipeReport>, WorkError> {
        let bench = self.release_bench();
        let burn = self.release_burn();
        bench.and(burn)?;
        Ok(self.wiped)
    }
}

/// `amount / seconds`, refusing a time that cannot be right (fail closed:
/// a zero time would read as infinite speed).
fn rate(amount: f64, seconds: f64) -> Result<f64, WorkError> {
    if seconds.is_finite() && seconds > 0.0 {
        Ok(amount / seconds)
    } else {
        Err(WorkError::new(
            format!("a repetition was timed at {seconds} s: the timing is broken"),
            Blame::Unknown,
        ))
    }
}

type GpuRun = harness::GpuRun<BenchWork>;

/// The limits the user set: the thresholds file, then `--min`/`--max`
/// (which win).
fn explicit_limits(args: &BenchArgs) -> Result<BTreeMap<Metric, Limit>, AppError> {
    let mut limits = match &args.thresholds {
        Some(path) => {
            let text = read_small(path, "thresholds file")?;
            gate::parse_thresholds_file(&text).map_err(|e| {
                AppError::usage(format!("thresholds file '{}': {e}", path.display()))
            })?
        }
        None => BTreeMap::new(),
    };
    for (list, at_least, flag) in [(&args.min, true, "--min"), (&args.max, false, "--max")] {
        for &(metric, value) in list {
            gate::check_direction(metric, at_least)
                .map_err(|e| AppError::usage(format!("{flag} {}: {e}", metric.name())))?;
            limits.insert(
                metric,
                Limit {
                    value,
                    at_least,
                    source: Source::Option,
                },
            );
        }
    }
    Ok(limits)
}

/// A user's file of at most 1 MiB, as text.
fn read_small(path: &std::path::Path, what: &str) -> Result<String, AppError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| AppError::usage(format!("{what} '{}': {e}", path.display())))?;
    if !meta.is_file() || meta.len() > 1 << 20 {
        return Err(AppError::usage(format!(
            "{what} '{}': not a regular file of at most 1 MiB",
            path.display()
        )));
    }
    std::fs::read_to_string(path)
        .map_err(|e| AppError::usage(format!("{what} '{}': {e}", path.display())))
}

pub fn run(global: &GlobalArgs, args: &BenchArgs) -> Result<Report, AppError> {
    // Everything the user gave is checked before any GPU is touched.
    let limits = explicit_limits(args)?;
    let baseline = match &args.baseline {
        Some(path) => Some(
            Baseline::parse(&read_small(path, "baseline")?)
                .and_then(|b| verdict::validate_baseline(&b).map(|()| b))
                .map_err(|e| AppError::usage(format!("baseline '{}': {e}", path.display())))?,
        ),
        None => None,
    };
    let selected = Selected::open(global, Enumerate::Full)?;
    let gpus: Vec<&Gpu> = selected.gpus().collect();
    if let Some(b) = &baseline {
        let mut models: Vec<&str> = gpus.iter().map(|g| g.name.as_str()).collect();
        models.dedup();
        let driver = selected.inventory.driver.driver_version.as_deref();
        if let Some(why) = b.refuse(&models, driver) {
            return Err(AppError::usage(format!(
                "baseline '{}' refused: {why}",
                args.baseline
                    .as_ref()
                    .map_or(String::new(), |p| p.display().to_string())
            )));
        }
    }
    let cuda = selected.cuda_for("bench")?;
    let engine = super::choose_engine(cuda.as_ref(), args.engine)?;
    let plan = plan(args);
    let nvml = selected.backend.nvml().ok().cloned();
    let seed = super::run_seed();
    let targets: Vec<Target> = gpus.iter().map(|g| harness_target(g)).collect();
    let options = harness::Options {
        // Each worker ends when its measurements are done; this only bounds
        // a run that keeps going for no reason.
        duration: Duration::from_secs(600),
        max_steps: None,
        setup_timeout: SETUP_TIMEOUT,
        step_timeout: STEP_TIMEOUT,
        sample_every: Some(SAMPLE_EVERY),
        watch_xids: true,
        progress_every: Duration::from_secs(3600),
    };
    let worker_plan = plan.clone();
    // Who holds a GPU's memory, should a set-up run out of it.
    let holders = Arc::new(MemoryHolders::new(nvml.clone(), &gpus));
    let result = harness::run(
        &targets,
        nvml,
        &options,
        signal::stop_flag(),
        move |ordinal| {
            BenchWork::new(
                cuda.clone(),
                ordinal,
                worker_plan.clone(),
                engine,
                seed,
                holders.clone(),
            )
        },
        &mut |_, _| {},
    );
    let mut report = build_report(
        &selected,
        &gpus,
        (&result.runs, result.xids.as_ref()),
        &plan,
        engine,
        &limits,
        baseline.as_ref(),
        args,
        result.interrupted,
    );
    if let (Some(path), Some(why)) = (&args.save_baseline, verdict::save_refusal(&report)) {
        // A run that did not pass never sets the bar: nothing is written.
        let line = format!("baseline '{}' not saved: {why}", path.display());
        report.summary = format!("{}; {line}", report.summary);
        report.warnings.push(line);
        report.exit_code = report.exit_code.max(crate::exit::CHECK_FAILED);
    } else if let (false, Some(path)) = (result.interrupted, &args.save_baseline) {
        // A side file that cannot be written joins the report, never replaces it.
        let text = serde_json::to_string_pretty(&verdict::baseline_of(&report, &selected));
        let text = text.map(|t| t + "\n").map_err(|e| e.to_string());
        outfile::save(&mut report, "--save-baseline", path, text);
    }
    if let Some(path) = &args.junit {
        let xml = junit::render(&report);
        outfile::save(&mut report, "--junit", path, Ok(xml));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::results::judge;
    use super::*;
    use crate::device::{bench::Timed, DeviceError};

    fn result(value: f64) -> BenchResult {
        BenchResult {
            value,
            min: value,
            max: value,
            repetitions: 3,
            ..BenchResult::default()
        }
    }

    #[test]
    fn a_shortfall_fails_with_value_threshold_and_distance() {
        let mut r = result(560.0);
        let gates = [Limit {
            value: 700.0,
            at_least: true,
            source: Source::Option,
        }];
        let c = judge(&mut r, Metric::GemmBf16, 0, &gates, None);
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(
            c.message
                .contains("560 TFLOP/s is 20.0% below the threshold >= 700"),
            "{}",
            c.message
        );
        assert_eq!(c.threshold, Some(700.0.into()));
        assert!(!r.gates[0].passed);
        assert_eq!(r.gates[0].shortfall_pct, 20.0);
    }

    #[test]
    fn the_highest_floor_binds_and_a_pass_passes() {
        let mut r = result(800.0);
        let gates = [
            Limit {
                value: 700.0,
                at_least: true,
                source: Source::Option,
            },
            Limit {
                value: 760.0,
                at_least: true,
                source: Source::Baseline,
            },
        ];
        let c = judge(&mut r, Metric::GemmBf16, 0, &gates, None);
        assert_eq!(c.status, CheckStatus::Pass);
        assert_eq!(c.threshold, Some(760.0.into()));
        assert!(r.gates.iter().all(|g| g.passed));
    }

    #[test]
    fn latency_fails_above_its_ceiling() {
        let mut r = result(6.0);
        let gates = [Limit {
            value: 5.0,
            at_least: false,
            source: Source::File,
        }];
        let c = judge(&mut r, Metric::KernelSpacingUs, 0, &gates, None);
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(
            c.message.contains("20.0% above the threshold <= 5.00 us"),
            "{}",
            c.message
        );
    }

    #[test]
    fn a_wrong_product_fails_whatever_the_speed() {
        let mut r = result(800.0);
        let c = judge(&mut r, Metric::GemmBf16, 1, &[], None);
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(c.remedy.is_some());
    }

    #[test]
    fn zero_time_is_an_error_not_infinite_speed() {
        assert!(rate(1.0, 0.0).is_err());
        assert!(rate(1.0, f64::NAN).is_err());
        assert_eq!(rate(3.0, 1.5).unwrap(), 2.0);
    }

    #[test]
    fn wipes_add_up_and_verify_only_together() {
        let ok = WipeReport {
            buffers: 3,
            bytes: 300,
            verified: true,
            nonzero_words: 0,
        };
        let bad = WipeReport {
            buffers: 19,
            bytes: 1900,
            verified: false,
            nonzero_words: 7,
        };
        assert_eq!(add_wipe(None, ok), ok);
        let both = add_wipe(Some(ok), bad);
        assert_eq!(
            (both.buffers, both.bytes, both.nonzero_words),
            (22, 2200, 7)
        );
        assert!(!both.verified);
        assert!(add_wipe(Some(ok), ok).verified);
    }

    /// A bandwidth worker whose wipe answers `wipe`.
    struct Wiping {
        wipe: Result<WipeReport, DeviceError>,
    }

    impl BenchWorker for Wiping {
        fn detail(&self) -> String {
            String::new()
        }
        fn transfer(&mut self, _: Transfer, _: u32) -> Result<Timed, DeviceError> {
            Ok(Timed::default())
        }
        fn kernel_spacing(&mut self, _: u32, _: u32) -> Result<Vec<f64>, DeviceError> {
            Ok(vec![1e-6])
        }
        fn launch_overhead(&mut self, _: u32, _: u32) -> Result<Vec<f64>, DeviceError> {
            Ok(vec![5e-6])
        }
        fn finish(&mut self) -> Result<WipeReport, DeviceError> {
            self.wipe.clone()
        }
    }

    /// The `memory_wipe` check of a run whose bandwidth worker wipes with
    /// `wipe` (the GPU is simulated; only the worker is replaced).
    fn wipe_check_after(wipe: Result<WipeReport, DeviceError>) -> Option<Check> {
        let mut fixture = crate::device::sim::Fixture::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/two_h100.json"
        )))
        .unwrap();
        // Room for two 1 MiB buffers (the fixture's 2 MiB is burn's size).
        for g in &mut fixture.gpus {
            g.compute.memory_bytes = 6 << 20;
        }
        let cuda = crate::device::sim::open_cuda(&Arc::new(fixture)).unwrap();
        let plan = Plan {
            metrics: vec![Metric::H2d],
            gemm_batches: 1,
            sustained: gemm::Sustained::QUICK,
            hbm_reps: 1,
            host_reps: 1,
            latency_reps: 1,
            launches: 1,
            overhead_launches: 1,
            config: BenchConfig {
                device_bytes: 1 << 20,
                host_bytes: 1 << 20,
            },
        };
        let holders = Arc::new(MemoryHolders::new(None, &[]));
        let mut work = BenchWork::new(cuda, 0, plan, Engine::Builtin, 1, holders).unwrap();
        work.bench = Some(Box::new(Wiping { wipe }));
        let mut run = GpuRun::default();
        run.cleanup = Some(work.finish());
        assert!(work.bench.is_none(), "the worker is released");
        Some(harness::wipe_check("memory_wipe", &run))
    }

    #[test]
    fn the_bandwidth_buffers_wipe_is_judged_like_burns() {
        let clean = WipeReport {
            buffers: 3,
            bytes: 8 << 30,
            verified: true,
            nonzero_words: 0,
        };
        let c = wipe_check_after(Ok(clean)).unwrap();
        assert_eq!(c.status, CheckStatus::Pass, "{}", c.message);
        assert!(
            c.message.starts_with("3 buffers (8192 MiB)"),
            "{}",
            c.message
        );

        let left = WipeReport {
            verified: false,
            nonzero_words: 5,
            ..clean
        };
        let c = wipe_check_after(Ok(left)).unwrap();
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(c.message.contains("5 words"), "{}", c.message);

        let failed = DeviceError::Cuda {
            step: "wipe: verify".into(),
            code: 700,
            name: "CUDA_ERROR_ILLEGAL_ADDRESS".into(),
        };
        let c = wipe_check_after(Err(failed)).unwrap();
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(
            c.message
                .contains("wiping GPU memory failed: wipe: verify: CUDA_ERROR_ILLEGAL_ADDRESS"),
            "{}",
            c.message
        );
        assert_eq!(
            c.remedy.as_deref(),
            Some(crate::checks::remedy::for_blame(Blame::Gpu))
        );
    }

    #[test]
    fn corrupted_data_is_blamed_on_the_gpu() {
        let e = WorkError::from(DeviceError::WrongResult {
            step: "device copy".into(),
            reason: "the GPU corrupted data it moved".into(),
        });
        assert_eq!(e.blame, Blame::Gpu);
        assert_eq!(e.message, "device copy: the GPU corrupted data it moved");
        assert!(e.remedy().contains("RMA"));
    }
}
