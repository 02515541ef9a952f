//! `gpuctl memtest`: GPU memory test on every selected GPU at once.
//!
//! One harness worker per GPU takes (nearly) all free memory in chunks,
//! then runs each chosen pattern as sweeps over all of it; a step is one
//! sweep (tens of milliseconds on an H100), so a stop signal is answered
//! quickly. Every buffer is wiped with zeros and the wipe verified in the
//! workload's `finish`, which runs on every exit but a hang. ECC counters
//! and the row-remap state are read before and after; the verdict per GPU
//! comes from mismatches, ECC/remap changes, XIDs, coverage and the wipe.

pub mod render;

use super::{harness_target, Selected};
use crate::checks::{remedy, xid};
use crate::cli::{GlobalArgs, MemtestArgs};
use crate::device::inventory::Enumerate;
use crate::device::memtest::{
    self as mt, MemtestConfig, MemtestWorker, Mismatch, Pattern, Phase, PhaseStats, WipeStats,
};
use crate::device::{ErrorCounters, Gpu, GpuProcess, NvmlApi, QueryError, Reading, XidSeen};
use crate::error::AppError;
use crate::harness::{self, Blame, Target, WorkError, Workload};
use crate::model::stats::round1;
use crate::report::progress::{PatternEvent, ProgressSink};
use crate::report::{
    Check, CheckStatus, GpuReport, MemtestError, MemtestInjected, MemtestPattern, MemtestProcess,
    MemtestSummary, Report,
};
use crate::signal;
use std::sync::Arc;
use std::time::Duration;

/// Context, kernels and up to ~140 GB of allocations: seconds at most.
const SETUP_TIMEOUT: Duration = Duration::from_secs(120);
/// A sweep over all memory is under 0.1 s on an H100; one this late is a
/// hang (a GPU with many errors is slower: the atomics serialise).
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// NVML reads (ECC, processes) before and after the test.
const NVML_TIMEOUT: Duration = Duration::from_secs(10);
/// The checks without which no GPU is called healthy (the fail-closed
/// rule, `report::fail_closed`): the test ran and verified memory.
pub const REQUIRED: &[&str] = &["memtest_ran", "memory_errors"];
/// Error records kept per GPU in the report.
const REPORTED_ERRORS: usize = 16;
/// `--duration` absent: passes decide the end; this only bounds the run.
const NO_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);

/// The fault injection asked for on one GPU.
#[derive(Debug, Clone, Copy)]
struct Injection {
    offset: u64,
    bit: u32,
}

/// The flip made, for the report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Injected {
    pattern: Pattern,
    offset: u64,
    address: u64,
    bit: u32,
}

/// One sweep's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseStep {
    /// 1-based pass.
    pass: u32,
    pattern: Pattern,
    /// The last sweep of this pattern in this pass.
    last_of_pattern: bool,
    stats: PhaseStats,
    injected: Option<Injected>,
}

/// What set-up obtained, for the report.
type Setup = crate::device::memtest::MemtestSetup;

struct MemtestWork {
    worker: Box<dyn MemtestWorker>,
    plan: Vec<Phase>,
    next: usize,
    /// Passes completed.
    done: u32,
    passes: Option<u32>,
    inject: Option<Injection>,
}

impl Workload for MemtestWork {
    type Setup = Setup;
    type Step = PhaseStep;
    type Cleanup = WipeStats;

    fn setup(&self) -> Setup {
        self.worker.setup().clone()
    }

    fn step(&mut self) -> Result<PhaseStep, WorkError> {
        let phase = self.plan[self.next];
        let stats = mt::run_phase(self.worker.as_mut(), &phase)
            .map_err(|e| WorkError::new(e, Blame::Gpu))?;
        // The flip goes in after the first write, so the next check of
        // that pattern must find it.
        let mut injected = None;
        if let (Some(inj), Some(_)) = (self.inject, phase.write) {
            let address = self
                .worker
                .flip(inj.offset, 1u64 << inj.bit)
                .map_err(|e| WorkError::new(e, Blame::Unknown))?;
            injected = Some(Injected {
                pattern: phase.pattern,
                offset: inj.offset,
                address,
                bit: inj.bit,
            });
            self.inject = None;
        }
        let last_of_pattern = self
            .plan
            .get(self.next + 1)
            .is_none_or(|n| n.pattern != phase.pattern);
        let pass = self.done + 1;
        self.next += 1;
        if self.next == self.plan.len() {
            self.next = 0;
            self.done += 1;
        }
        Ok(PhaseStep {
            pass,
            pattern: phase.pattern,
            last_of_pattern,
            stats,
            injected,
        })
    }

    fn verified(step: &PhaseStep) -> u64 {
        step.stats.bytes_read
    }

    fn is_complete(&self) -> bool {
        self.passes.is_some_and(|p| self.done >= p)
    }

    /// Zero every buffer and verify it before the memory is freed; words
    /// left non-zero are judged by the `wipe` check, not here.
    fn finish(&mut self) -> Result<WipeStats, WorkError> {
        self.worker
            .wipe()
            .map_err(|e| WorkError::new(format!("wipe: {e}"), Blame::Gpu))
    }
}

type GpuRun = harness::GpuRun<MemtestWork>;

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

fn rate(bytes: u64, seconds: f64) -> Option<f64> {
    (seconds > 0.0).then(|| round1(bytes as f64 / seconds / 1e9))
}

pub fn run(
    global: &GlobalArgs,
    args: &MemtestArgs,
    progress: &dyn ProgressSink,
) -> Result<Report, AppError> {
    let selected = Selected::open(global, Enumerate::Full)?;
    let cuda = selected.cuda_for("memtest")?;
    selected.check_inject_target(args.inject_fault)?;
    let gpus: Vec<&Gpu> = selected.gpus().collect();
    let nvml = selected.backend.nvml().ok().cloned();
    // A new seed each run, so a fault cannot hide behind a fixed pattern.
    let (patterns, plan) = super::memtest_plan::plan(args, super::run_seed());
    let targets: Vec<Target> = gpus.iter().map(|g| harness_target(g)).collect();
    let nvml_indices: Vec<Option<u32>> = targets.iter().map(|t| t.nvml_index).collect();
    let before = read_counters(&nvml, &nvml_indices);
    let processes = read_processes(&nvml, &nvml_indices);
    for gpu in &gpus {
        progress.start(gpu.index, &gpu.name);
    }
    let faulty: Option<u32> = args
        .inject_fault
        .and_then(|i| gpus.iter().find(|g| g.index == i))
        .and_then(|g| g.cuda_index());
    let injection = Injection {
        offset: args.inject_offset,
        bit: args.inject_bit,
    };
    let config = MemtestConfig {
        memory_fraction: args.memory,
    };
    let passes = match args.duration {
        Some(_) => args.passes,
        None => Some(args.passes.unwrap_or(1)),
    };
    let options = harness::Options {
        duration: args.duration.unwrap_or(NO_DURATION),
        max_steps: None,
        setup_timeout: SETUP_TIMEOUT,
        step_timeout: STEP_TIMEOUT,
        sample_every: Some(args.interval),
        watch_xids: true,
        progress_every: args.interval.min(Duration::from_millis(200)),
    };
    let indices: Vec<u32> = gpus.iter().map(|g| g.index).collect();
    let holders = super::MemoryHolders::new(nvml.clone(), &gpus);
    let mut emitted: Vec<PatternTally> = gpus.iter().map(|_| PatternTally::default()).collect();
    let worker_plan = plan.clone();
    let result = harness::run(
        &targets,
        nvml.clone(),
        &options,
        signal::stop_flag(),
        move |ordinal| {
            let worker = cuda
                .open(ordinal)
                .and_then(|ctx| crate::workloads::memtest::start(ctx, &config))
                .map_err(|e| holders.work_error(ordinal, e))?;
            Ok(MemtestWork {
                worker,
                plan: worker_plan.clone(),
                next: 0,
                done: 0,
                passes,
                inject: (faulty == Some(ordinal)).then_some(injection),
            })
        },
        &mut |runs, elapsed| {
            for ((run, &gpu), tally) in runs.iter().zip(&indices).zip(emitted.iter_mut()) {
                tally.emit(gpu, run, elapsed, progress);
            }
        },
    );
    for ((run, &gpu), tally) in result.runs.iter().zip(&indices).zip(emitted.iter_mut()) {
        tally.emit(gpu, run, result.elapsed, progress);
    }
    progress.finish();
    let after = read_counters(&nvml, &nvml_indices);
    let inputs = ReportInputs {
        before,
        after,
        processes,
        patterns,
    };
    Ok(build_report(
        &selected,
        &gpus,
        &result.runs,
        result.xids,
        args,
        &inputs,
        result.interrupted,
    ))
}

/// Per-GPU progress so far: which steps were announced, and the running
/// totals of the pattern in flight.
#[derive(Default)]
struct PatternTally {
    seen: usize,
    bytes: u64,
    seconds: f64,
    mismatches: u64,
}

impl PatternTally {
    fn emit(&mut self, gpu: u32, run: &GpuRun, elapsed: Duration, sink: &dyn ProgressSink) {
        for step in run.steps.iter().skip(self.seen) {
            self.bytes += step.stats.bytes_read + step.stats.bytes_written;
            self.seconds += step.stats.seconds;
            self.mismatches += step.stats.mismatches;
            if step.last_of_pattern {
                sink.pattern(&PatternEvent {
                    event: "pattern",
                    gpu,
                    elapsed_s: round1(elapsed.as_secs_f64()),
                    pass: step.pass,
                    pattern: step.pattern.name(),
                    bytes: self.bytes,
                    seconds: (self.seconds * 1e4).round() / 1e4,
                    gb_per_s: rate(self.bytes, self.seconds),
                    mismatches: self.mismatches,
                });
                *self = PatternTally {
                    seen: self.seen,
                    ..Default::default()
                };
            }
        }
        self.seen = run.steps.len();
    }
}

/// Each GPU's error counters, or why not: a GPU NVML cannot read is "not
/// supported" (SKIP), a reader that hung or panicked an error (FAIL), never
/// counters that would judge as clean.
fn read_counters(
    nvml: &Option<Arc<dyn NvmlApi>>,
    indices: &[Option<u32>],
) -> Vec<Result<ErrorCounters, QueryError>> {
    let Some(api) = nvml.clone() else {
        return indices
            .iter()
            .map(|_| Err(QueryError::NotSupported))
            .collect();
    };
    harness::map_bounded(
        indices.to_vec(),
        NVML_TIMEOUT,
        signal::stop_flag(),
        move |i| i.map(|i| api.error_counters(i)),
    )
    .into_iter()
    .map(|r| match r {
        // A stop cut the read short: that says nothing about the GPU.
        Err(_) if signal::stopped() => Err(QueryError::Interrupted),
        r => r
            .map_err(QueryError::Failed)?
            .ok_or(QueryError::NotSupported),
    })
    .collect()
}

fn read_processes(
    nvml: &Option<Arc<dyn NvmlApi>>,
    indices: &[Option<u32>],
) -> Vec<Reading<Vec<GpuProcess>>> {
    let Some(api) = nvml.clone() else {
        return indices.iter().map(|_| Reading::default()).collect();
    };
    let me = std::process::id();
    harness::map_bounded(
        indices.to_vec(),
        NVML_TIMEOUT,
        signal::stop_flag(),
        move |i| {
            i.map_or_else(Reading::default, |i| {
                api.compute_processes(i)
                    .map(|ps| ps.into_iter().filter(|p| p.pid != me).collect())
            })
        },
    )
    .into_iter()
    .map(|r| r.unwrap_or_default())
    .collect()
}

struct ReportInputs {
    before: Vec<Result<ErrorCounters, QueryError>>,
    after: Vec<Result<ErrorCounters, QueryError>>,
    processes: Vec<Reading<Vec<GpuProcess>>>,
    patterns: Vec<Pattern>,
}

fn hex(v: u64) -> String {
    format!("{v:#018x}")
}

fn flipped_bits(m: &Mismatch) -> Vec<u32> {
    let x = m.expected ^ m.actual;
    (0..64).filter(|b| x & (1u64 << b) != 0).collect()
}

fn build_report(
    selected: &Selected,
    gpus: &[&Gpu],
    runs: &[GpuRun],
    xid_events: Option<XidSeen>,
    args: &MemtestArgs,
    inputs: &ReportInputs,
    interrupted: bool,
) -> Report {
    let mut report = Report::new("memtest");
    report.driver = Some(selected.inventory.driver.clone());
    report.warnings = selected.inventory.warnings.clone();
    let xids = super::xids_under_test(xid_events.as_ref(), "the memory test", &mut report);
    let required = crate::report::Required {
        checks: REQUIRED,
        deselected: &[],
    };
    report.gpus = gpus
        .iter()
        .enumerate()
        .map(|(slot, gpu)| {
            let run = &runs[slot];
            let summary = summarize(run, inputs, slot);
            let mut checks = vec![super::ran_check(
                "memtest_ran",
                "sweeps",
                gpu,
                run,
                interrupted,
            )];
            checks.push(mismatch_check(run, &summary));
            checks.push(coverage_check(&summary, args.min_coverage));
            checks.push(crate::checks::memtest::ecc_during_test(
                inputs.before[slot].as_ref(),
                inputs.after[slot].as_ref(),
            ));
            checks.push(xid::verdict(&xids, gpu));
            checks.push(harness::wipe_check("wipe", run));
            checks.extend(harness::lost_check(run));
            GpuReport {
                memtest: Some(summary),
                ..GpuReport::judged(gpu, checks, &required)
            }
        })
        .collect();

    let failed = report.failed_gpus();
    let tested: Vec<String> = report
        .gpus
        .iter()
        .map(|g| {
            let m = g.memtest.as_ref();
            let ran = g.checks.iter().flatten().find(|c| c.name == "memtest_ran");
            if let Some(c) = ran.filter(|c| c.status != CheckStatus::Pass) {
                // Hung, failed or cut short: its memory was not (fully) tested.
                return format!("GPU {} not fully tested ({})", g.index, c.status.label());
            }
            format!(
                "GPU {} {} GiB at {} GB/s",
                g.index,
                m.and_then(|m| m.tested_bytes)
                    .map_or("-".into(), crate::report::text::gib),
                m.and_then(|m| m.gb_per_s)
                    .map_or("-".into(), |r| format!("{r:.0}"))
            )
        })
        .collect();
    let verdict = report.conclude(interrupted, &failed);
    report.summary = format!("memtest {verdict}: {}", tested.join(", "));
    report
}

fn summarize(run: &GpuRun, inputs: &ReportInputs, slot: usize) -> MemtestSummary {
    let setup = run.setup.as_ref();
    let a = setup.map(|s| &s.allocation);
    let mut patterns: Vec<MemtestPattern> = inputs
        .patterns
        .iter()
        .map(|p| MemtestPattern {
            pattern: p.name().to_string(),
            ..Default::default()
        })
        .collect();
    let mut errors = Vec::new();
    let mut mismatches = 0;
    let (mut bytes, mut seconds) = (0u64, 0f64);
    let mut injected: Option<Injected> = None;
    for step in &run.steps {
        let s = &step.stats;
        if let Some(p) = patterns
            .iter_mut()
            .find(|p| p.pattern == step.pattern.name())
        {
            p.bytes_read += s.bytes_read;
            p.bytes_written += s.bytes_written;
            p.seconds += s.seconds;
            p.mismatches += s.mismatches;
            if step.last_of_pattern {
                p.passes += 1;
            }
        }
        bytes += s.bytes_read + s.bytes_written;
        seconds += s.seconds;
        mismatches += s.mismatches;
        for m in &s.records {
            if errors.len() < REPORTED_ERRORS {
                errors.push((step.pattern, step.pass, *m));
            }
        }
        injected = injected.or(step.injected);
    }
    for p in &mut patterns {
        p.gb_per_s = rate(p.bytes_read + p.bytes_written, p.seconds);
        p.seconds = (p.seconds * 1e4).round() / 1e4;
    }
    let passes = run
        .steps
        .iter()
        .filter(|s| s.last_of_pattern && Some(&s.pattern) == inputs.patterns.last())
        .count() as u32;
    let other_processes: Vec<MemtestProcess> = inputs.processes[slot]
        .value()
        .map(|ps| {
            ps.iter()
                .map(|p| MemtestProcess {
                    pid: p.pid,
                    name: p.name.clone(),
                    used_bytes: p.used_bytes,
                })
                .collect()
        })
        .unwrap_or_default();
    let pct = |n: u64, d: u64| (d > 0).then(|| round1(n as f64 * 100.0 / d as f64));
    let (before, after) = (
        inputs.before[slot].as_ref().ok(),
        inputs.after[slot].as_ref().ok(),
    );
    let ecc = |f: fn(&crate::device::EccCounts) -> u64| {
        let b = before.and_then(|c| c.ecc_volatile.value().map(f))?;
        let a = after.and_then(|c| c.ecc_volatile.value().map(f))?;
        Some(a.saturating_sub(b))
    };
    let remap = |f: fn(&crate::device::RowRemap) -> u64| {
        let b = before.and_then(|c| c.row_remap.value().map(f))?;
        let a = after.and_then(|c| c.row_remap.value().map(f))?;
        Some(a.saturating_sub(b))
    };
    let remap_after = after.and_then(|c| c.row_remap.get());
    MemtestSummary {
        total_bytes: a.map(|a| a.total_bytes),
        free_bytes: a.map(|a| a.free_bytes),
        target_bytes: a.map(|a| a.target_bytes),
        tested_bytes: a.map(|a| a.tested_bytes),
        coverage_free_pct: a.and_then(|a| pct(a.tested_bytes, a.free_bytes)),
        coverage_total_pct: a.and_then(|a| pct(a.tested_bytes, a.total_bytes)),
        chunks: a.map(|a| a.chunks),
        allocation_retries: a.map_or(0, |a| a.retries),
        allocation_notes: a.map(|a| a.retry_reasons.clone()).unwrap_or_default(),
        other_processes,
        passes,
        patterns,
        seconds: round1(run.work_seconds),
        gb_per_s: rate(bytes, seconds),
        mismatches,
        errors: errors
            .iter()
            .map(|(pattern, pass, m)| MemtestError {
                pattern: pattern.name().to_string(),
                pass: *pass,
                offset: m.offset,
                address: hex(m.address),
                expected: hex(m.expected),
                actual: hex(m.actual),
                flipped_bits: flipped_bits(m),
            })
            .collect(),
        injected: injected.map(|i| MemtestInjected {
            pattern: i.pattern.name().to_string(),
            offset: i.offset,
            address: hex(i.address),
            bit: i.bit,
            found: errors
                .iter()
                .any(|(_, _, m)| m.address == i.address && m.expected ^ m.actual == 1u64 << i.bit),
        }),
        wiped: setup.and(run.cleanup.as_ref()).map(wiped_clean),
        ecc_corrected_delta: ecc(|e| e.corrected),
        ecc_uncorrected_delta: ecc(|e| e.uncorrected),
        remap_correctable_delta: remap(|r| r.correctable),
        remap_uncorrectable_delta: remap(|r| r.uncorrectable),
        remap_pending: remap_after.map(|r| r.pending),
        remap_failure: remap_after.map(|r| r.failure),
        error: run.failure.as_ref().map(|f| f.message()),
    }
}

fn mismatch_check(run: &GpuRun, s: &MemtestSummary) -> Check {
    const NAME: &str = "memory_errors";
    if run.verified == 0 {
        return Check::new(NAME, CheckStatus::Skip, "no memory was verified");
    }
    let checked = crate::report::text::gib(run.verified);
    if s.mismatches == 0 {
        return Check::new(
            NAME,
            CheckStatus::Pass,
            format!("{checked} GiB read back and verified: no mismatch"),
        )
        .value(0, Some("words"))
        .threshold(0);
    }
    let first = s.errors.first().map_or(String::new(), |e| {
        format!(
            "; first at offset {} (address {}) in {}: expected {}, read {}, bit(s) {:?} flipped",
            e.offset, e.address, e.pattern, e.expected, e.actual, e.flipped_bits
        )
    });
    Check::new(
        NAME,
        CheckStatus::Fail,
        format!(
            "{} did not hold what was written{first}",
            crate::report::text::count(s.mismatches, "word")
        ),
    )
    .value(s.mismatches, Some("words"))
    .threshold(0)
    .remedy(remedy::RMA)
}

fn coverage_check(s: &MemtestSummary, min: f64) -> Check {
    // Not `coverage`: that name belongs to the fail-closed rule's check.
    const NAME: &str = "memory_coverage";
    let (Some(tested), Some(free), Some(cov)) = (s.tested_bytes, s.free_bytes, s.coverage_free_pct)
    else {
        return Check::new(NAME, CheckStatus::Skip, "no memory was obtained");
    };
    let held: u64 = s.other_processes.iter().filter_map(|p| p.used_bytes).sum();
    let holders = if s.other_processes.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = s
            .other_processes
            .iter()
            .map(|p| {
                format!(
                    "pid {} ({}, {})",
                    p.pid,
                    p.name.as_deref().unwrap_or("?"),
                    p.used_bytes
                        .map_or("? GiB".into(), |b| format!("{:.1} GiB", gib(b)))
                )
            })
            .collect();
        format!(
            "; {:.1} GiB held by other processes, not tested: {}",
            gib(held),
            names.join(", ")
        )
    };
    let message = format!(
        "tested {:.1} GiB = {cov:.1}% of free ({:.1} GiB), {:.1}% of total{holders}",
        gib(tested),
        gib(free),
        s.coverage_total_pct.unwrap_or(0.0)
    );
    let threshold = round1(min * 100.0);
    let check = if cov < threshold {
        let remedy = if s.other_processes.is_empty() {
            remedy::MEMTEST_REFUSED
        } else {
            remedy::MEMTEST_HELD
        };
        Check::new(NAME, CheckStatus::Warn, message).remedy(remedy)
    } else {
        Check::new(NAME, CheckStatus::Pass, message)
    };
    check.value(cov, Some("%")).threshold(threshold)
}

/// Whether the wipe ran and left every word zero.
fn wiped_clean(cleanup: &Result<WipeStats, WorkError>) -> bool {
    cleanup.as_ref().is_ok_and(|w| w.mismatches == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flipped_bits_are_listed() {
        let m = Mismatch {
            offset: 0,
            address: 0,
            expected: 0,
            actual: (1 << 5) | (1 << 63),
        };
        assert_eq!(flipped_bits(&m), vec![5, 63]);
    }
}
