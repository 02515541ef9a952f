//! `diag`: node acceptance by level. Runs the phases of the level
//! ([`plan::phases`]) one after another through the same functions as the
//! commands they are named after, on every selected GPU at once, and joins
//! their reports into one: a verdict per phase and per GPU, each phase's
//! own report inside. Stops at the first FAIL unless `--keep-going`; a stop
//! signal ends the run with a partial report that names the phases not run.

mod fabric;
pub mod plan;

use crate::cli::DiagArgs;
use crate::cli::{Command, GlobalArgs};
use crate::error::AppError;
use crate::report::diag::{DiagPhase, DiagSummary, PhaseOutcome};
use crate::report::progress::ProgressSink;
use crate::report::{Check, CheckStatus, GpuReport, Outcome, Report};
use plan::PhaseSpec;
use std::ffi::OsString;
use std::time::{Duration, Instant};

/// The prefix of the per-phase check names (`diag_burn`).
pub const CHECK_PREFIX: &str = "diag_";

/// What the caller (`app`, which prints) supplies.
pub struct Hooks<'a> {
    /// A progress sink for a phase of about this length (burn, memtest).
    pub sink: &'a dyn Fn(Duration) -> Box<dyn ProgressSink>,
    /// Called as a phase starts: its position (from 0), the count, the phase.
    pub starting: &'a mut dyn FnMut(usize, usize, &PhaseSpec),
}

/// Runs the level and returns the joined report. A first phase (health)
/// that cannot run at all (no driver, no such GPU) is the diag's error.
pub fn run(global: &GlobalArgs, args: &DiagArgs, hooks: Hooks<'_>) -> Result<Report, AppError> {
    let specs = plan::phases(args);
    let start = Instant::now();
    let mut phases: Vec<DiagPhase> = Vec::new();
    let mut stopped_because: Option<String> = None;
    for (i, spec) in specs.iter().enumerate() {
        if stopped_because.is_none() && crate::signal::stopped() {
            stopped_because = Some("not run: the run was interrupted".into());
        }
        if let Some(why) = &stopped_because {
            phases.push(not_run(spec, why));
            continue;
        }
        let gpus_tested = phases
            .iter()
            .find_map(|p| p.report.as_ref())
            .map(|r| r.gpus.len());
        if spec.name == "p2p" && gpus_tested.is_some_and(|n| n < 2) {
            phases.push(DiagPhase {
                outcome: PhaseOutcome::Skipped,
                ..not_run(spec, "fewer than two GPUs: no pair to test")
            });
            continue;
        }
        (hooks.starting)(i, specs.len(), spec);
        let began = Instant::now();
        let result = run_phase(global, spec, args.config.config.as_deref(), hooks.sink);
        let seconds = Some(began.elapsed().as_secs_f64());
        let phase = match result {
            Err(e) if i == 0 => return Err(e),
            Err(e) => DiagPhase {
                outcome: PhaseOutcome::Error,
                seconds,
                note: Some(e.message),
                ..not_run(spec, "")
            },
            Ok(report) => DiagPhase {
                outcome: outcome_of(&report),
                seconds,
                note: report.error.as_ref().map(|e| e.message.clone()),
                report: Some(Box::new(report)),
                ..not_run(spec, "")
            },
        };
        if phase.outcome == PhaseOutcome::Interrupted || crate::signal::stopped() {
            stopped_because = Some("not run: the run was interrupted".into());
        } else if matches!(phase.outcome, PhaseOutcome::Fail | PhaseOutcome::Error)
            && !args.keep_going
        {
            stopped_because = Some(format!(
                "not run: {} failed first (--keep-going runs every phase)",
                spec.name
            ));
        }
        phases.push(phase);
    }
    Ok(join(args, phases, start.elapsed()))
}

/// A phase that did not run, with why.
fn not_run(spec: &PhaseSpec, why: &str) -> DiagPhase {
    DiagPhase {
        name: spec.name.to_string(),
        command: spec.command_line(),
        what: spec.what.clone(),
        expected_seconds: spec.expected.map(|d| d.as_secs_f64()),
        outcome: PhaseOutcome::NotRun,
        seconds: None,
        note: (!why.is_empty()).then(|| why.to_string()),
        report: None,
    }
}

fn outcome_of(report: &Report) -> PhaseOutcome {
    match report.outcome {
        Outcome::Pass => PhaseOutcome::Pass,
        Outcome::Warn => PhaseOutcome::Warn,
        Outcome::Fail => PhaseOutcome::Fail,
        Outcome::Error => PhaseOutcome::Error,
        Outcome::Interrupted => PhaseOutcome::Interrupted,
    }
}

/// The phase's options as its command parses them (defaults, ranges and
/// all), so a phase runs exactly what its command line says; the config
/// file's table of that command fills what the phase does not set, as it
/// would on the command line (`config::apply`).
fn parse_phase(spec: &PhaseSpec, config: Option<&std::path::Path>) -> Result<Command, AppError> {
    let mut argv: Vec<OsString> = vec!["gpuctl".into(), spec.name.into()];
    argv.extend(spec.args.iter().map(OsString::from));
    if let Some(path) = config {
        argv.extend(["--config".into(), path.as_os_str().to_owned()]);
    }
    let argv = crate::config::apply(&crate::cli::command(), &argv)?;
    crate::cli::parse_from(&argv)
        .map(|cli| cli.command)
        .map_err(|e| {
            let text = e.to_string();
            AppError::internal(format!(
                "diag: `{}` does not parse: {}",
                spec.command_line(),
                text.lines().next().unwrap_or("")
            ))
        })
}

fn run_phase(
    global: &GlobalArgs,
    spec: &PhaseSpec,
    config: Option<&std::path::Path>,
    sink: &dyn Fn(Duration) -> Box<dyn ProgressSink>,
) -> Result<Report, AppError> {
    use crate::commands as c;
    if spec.name == "fabric" {
        return fabric::run(global);
    }
    let length = spec.expected.unwrap_or(Duration::from_secs(30));
    match parse_phase(spec, config)? {
        Command::Health(a) => c::health::run(global, &a),
        Command::Burn(a) => c::burn::run(global, &a, sink(length).as_ref()),
        Command::Memtest(a) => c::memtest::run(global, &a, sink(length).as_ref()),
        Command::P2p(a) => c::p2p::run(global, &a),
        Command::Bench(a) => c::bench::run(global, &a),
        _ => Err(AppError::internal(format!(
            "diag: no phase named {}",
            spec.name
        ))),
    }
}

/// The phase's verdict on GPU `index`, as a `diag_<phase>` check; `None`
/// when the phase does not judge GPUs one by one and did not name it.
fn gpu_verdict(phase: &DiagPhase, index: u32) -> Option<Check> {
    let name = format!("{CHECK_PREFIX}{}", phase.name);
    let report = match (&phase.report, phase.outcome) {
        (_, PhaseOutcome::NotRun | PhaseOutcome::Skipped) => return None,
        (Some(r), _) => r,
        (None, _) => return None,
    };
    let mut remedy = None;
    let (status, failing): (CheckStatus, Vec<String>) = if let Some(g) = report
        .gpus
        .iter()
        .find(|g| g.index == index && g.status.is_some())
    {
        let failing = g
            .checks
            .iter()
            .flatten()
            .filter(|c| c.status >= CheckStatus::Warn)
            .map(|c| c.name.clone())
            .collect();
        // The worst check's remedy, already filled in for this GPU.
        remedy = g
            .checks
            .iter()
            .flatten()
            .filter(|c| c.status >= CheckStatus::Warn)
            .max_by_key(|c| c.status)
            .and_then(|c| c.remedy.clone());
        (g.status.unwrap_or(CheckStatus::Fail), failing)
    } else if let Some(p2p) = &report.p2p {
        let pairs: Vec<_> = p2p
            .pairs
            .iter()
            .filter(|p| p.from.index == index || p.to.index == index)
            .collect();
        if pairs.is_empty() {
            return None;
        }
        let worst = pairs.iter().map(|p| p.status).max()?;
        let failing = pairs
            .iter()
            .filter(|p| p.status >= CheckStatus::Warn)
            .map(|p| format!("{}->{}", p.from.index, p.to.index))
            .collect();
        (worst, failing)
    } else if phase.outcome == PhaseOutcome::Interrupted {
        return None;
    } else {
        // Fail closed: a phase that ran without a word on this GPU
        // did not test it.
        return Some(Check::new(
            &name,
            CheckStatus::Fail,
            format!(
                "{}: this GPU is missing from the phase's report",
                phase.name
            ),
        ));
    };
    let message = if failing.is_empty() {
        format!("{}: {}", phase.name, status.label())
    } else {
        format!(
            "{}: {} ({})",
            phase.name,
            status.label(),
            failing.join(", ")
        )
    };
    let mut check = Check::new(&name, status, message);
    check.remedy = remedy;
    Some(check)
}

/// The phase's verdict as a host check: its report's outcome, or its error.
fn phase_verdict(phase: &DiagPhase) -> Option<Check> {
    let name = format!("{CHECK_PREFIX}{}", phase.name);
    let took = phase
        .seconds
        .map(|s| {
            format!(
                " in {}",
                humantime::format_duration(Duration::from_secs(s.round() as u64))
            )
        })
        .unwrap_or_default();
    let (status, text) = match phase.outcome {
        PhaseOutcome::NotRun => return None,
        PhaseOutcome::Skipped => (
            CheckStatus::Skip,
            format!("skipped: {}", phase.note.as_deref().unwrap_or("")),
        ),
        PhaseOutcome::Pass => (CheckStatus::Pass, "passed".to_string()),
        PhaseOutcome::Warn => (CheckStatus::Warn, "passed with warnings".to_string()),
        PhaseOutcome::Fail => (CheckStatus::Fail, "failed".to_string()),
        PhaseOutcome::Error => (
            CheckStatus::Fail,
            format!(
                "could not run: {}",
                phase.note.as_deref().unwrap_or("unknown error")
            ),
        ),
        PhaseOutcome::Interrupted => (CheckStatus::Skip, "interrupted".to_string()),
    };
    Some(
        Check::new(&name, status, format!("{} {text}{took}", phase.command)).value(
            (phase.seconds.unwrap_or(0.0) * 10.0).round() / 10.0,
            Some("s"),
        ),
    )
}

/// One report from the phases: a host check per phase, a `diag_<phase>`
/// check per GPU and phase, and the phases themselves.
fn join(args: &DiagArgs, phases: Vec<DiagPhase>, took: Duration) -> Report {
    let mut report = Report::new("diag");
    let reports = || phases.iter().filter_map(|p| p.report.as_deref());
    report.driver = reports().find_map(|r| r.driver.clone());
    for r in reports() {
        for w in &r.warnings {
            if !report.warnings.contains(w) {
                report.warnings.push(w.clone());
            }
        }
    }
    report.host_checks = phases.iter().filter_map(phase_verdict).collect();
    // The GPUs as the first phase (health) named them, with their identity.
    let gpus: Vec<GpuReport> = reports().next().map(|r| r.gpus.clone()).unwrap_or_default();
    for g in gpus {
        let checks: Vec<Check> = phases
            .iter()
            .filter_map(|p| gpu_verdict(p, g.index))
            .collect();
        report.gpus.push(GpuReport {
            status: Some(crate::report::worst(&checks)),
            checks: Some(checks),
            details: None,
            burn: None,
            bench: None,
            memtest: None,
            monitor: None,
            ..g
        });
    }
    let interrupted = phases
        .iter()
        .any(|p| p.outcome == PhaseOutcome::Interrupted)
        || crate::signal::stopped();
    let failed: Vec<String> = phases
        .iter()
        .filter(|p| matches!(p.outcome, PhaseOutcome::Fail | PhaseOutcome::Error))
        .map(|p| {
            let gpus = p
                .report
                .as_deref()
                .map(Report::failed_gpus)
                .unwrap_or_default();
            if gpus.is_empty() {
                p.name.to_string()
            } else {
                format!("{}: {}", p.name, gpus.join(", "))
            }
        })
        .collect();
    let verdict = report.conclude(interrupted, &failed);
    let not_run: Vec<&str> = phases
        .iter()
        .filter(|p| p.outcome == PhaseOutcome::NotRun)
        .map(|p| p.name.as_str())
        .collect();
    report.summary = format!(
        "diag level {}: {verdict} in {}{}",
        args.level,
        humantime::format_duration(Duration::from_secs(took.as_secs())),
        if not_run.is_empty() {
            String::new()
        } else {
            format!("; not run: {}", not_run.join(", "))
        }
    );
    report.diag = Some(DiagSummary {
        level: args.level,
        keep_going: args.keep_going,
        seconds: took.as_secs_f64(),
        phases,
    });
    report
}

/// The plan printed before the run: every phase with what it does and
/// about how long it takes.
pub fn plan_text(args: &DiagArgs) -> String {
    let specs = plan::phases(args);
    let about =
        |d: Duration| humantime::format_duration(Duration::from_secs(d.as_secs())).to_string();
    // A phase without an expected time (memtest: it depends on the memory
    // size) is named beside the total.
    let untimed: Vec<&str> = specs
        .iter()
        .filter(|s| s.expected.is_none())
        .map(|s| s.name)
        .collect();
    let plus = if untimed.is_empty() {
        String::new()
    } else {
        format!(" plus {}", untimed.join(" and "))
    };
    let mut out = format!(
        "gpuctl diag level {}: {} phases, about {}{plus}{}\n",
        args.level,
        specs.len(),
        about(plan::expected_total(&specs)),
        if args.keep_going {
            " (--keep-going: every phase runs)"
        } else {
            " (stops at the first FAIL)"
        }
    );
    for (i, s) in specs.iter().enumerate() {
        let time = s.expected.map_or_else(
            || "time depends on memory size".to_string(),
            |d| format!("~{}", about(d)),
        );
        out.push_str(&format!("  {}. {:<8} {} ({time})\n", i + 1, s.name, s.what));
    }
    out.trim_end().to_string()
}
