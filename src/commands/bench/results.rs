//! `bench`'s results: each GPU's run turned into its metrics (median,
//! range, telemetry), judged against every gate, and the report built.

use super::*;

/// Statistics and telemetry of one metric on one GPU (before gating).
pub(super) fn measure(run: &GpuRun, metric: Metric) -> Option<(BenchResult, u64)> {
    let steps: Vec<&Measured> = run.steps.iter().filter(|s| s.metric == metric).collect();
    let samples: Vec<f64> = steps
        .iter()
        .flat_map(|s| s.samples.iter().copied())
        .collect();
    let value = gate::median(&samples)?;
    let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
    let max = samples.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mismatches = steps.iter().map(|s| s.mismatches).sum();
    let mut r = BenchResult {
        metric: metric.name().to_string(),
        regime: metric.regime(),
        unit: metric.unit().to_string(),
        higher_is_better: metric.higher_is_better(),
        value: gate::round2(value),
        min: gate::round2(min),
        max: gate::round2(max),
        spread_pct: gate::round2((max - min) / value * 100.0),
        repetitions: samples.len() as u32,
        samples: samples.iter().map(|v| gate::round2(*v)).collect(),
        detail: steps.iter().find_map(|s| s.detail.clone()),
        ..BenchResult::default()
    };
    // Telemetry taken while this metric ran (the sample just after, for a
    // measurement shorter than the sampling period).
    if let (Some(started), Some(first), Some(last)) = (run.started, steps.first(), steps.last()) {
        let from = first.began.saturating_duration_since(started).as_secs_f64();
        let to = last.ended.saturating_duration_since(started).as_secs_f64();
        let mut window: Vec<_> = run
            .samples
            .iter()
            .filter(|(t, _)| *t >= from && *t <= to)
            .map(|(_, s)| s)
            .collect();
        if window.is_empty() {
            window.extend(run.samples.iter().find(|(t, _)| *t >= to).map(|(_, s)| s));
        }
        let sm: Vec<u32> = window.iter().filter_map(|s| s.sm_clock_mhz.get()).collect();
        r.sm_clock_min_mhz = sm.iter().copied().min();
        r.sm_clock_max_mhz = sm.iter().copied().max();
        r.memory_clock_min_mhz = window.iter().filter_map(|s| s.memory_clock_mhz.get()).min();
        r.power_max_w = window
            .iter()
            .filter_map(|s| s.power_draw_w.get())
            .reduce(f64::max)
            .map(|p| (p * 10.0).round() / 10.0);
        r.power_source = crate::model::gpu::PowerSource::of_samples(window.iter().copied());
        r.temperature_max_c = window
            .iter()
            .filter_map(|s| s.temperature_gpu_c.get())
            .max();
        let mut events = 0u64;
        for s in &window {
            if let Some(c) = s.clock_events.get() {
                events |= c.0;
            }
        }
        r.clock_events = ClockEvents(events).names();
        r.throttled = ClockEvents(events).intersects(SLOWDOWNS);
    }
    Some((r, mismatches))
}

#[allow(clippy::too_many_arguments)]
pub(super) fn build_report(
    selected: &Selected,
    gpus: &[&Gpu],
    (runs, xids): (&[GpuRun], Option<&crate::device::XidSeen>),
    plan: &Plan,
    engine: Engine,
    limits: &BTreeMap<Metric, Limit>,
    baseline: Option<&Baseline>,
    args: &BenchArgs,
    interrupted: bool,
) -> Report {
    let mut report = Report::new("bench");
    report.driver = Some(selected.inventory.driver.clone());
    report.warnings = selected.inventory.warnings.clone();
    let xids = crate::commands::xids_under_test(xids, "the benchmark", &mut report);
    let measured: Vec<BTreeMap<Metric, (BenchResult, u64)>> = runs
        .iter()
        .map(|run| {
            plan.metrics
                .iter()
                .filter_map(|&m| measure(run, m).map(|r| (m, r)))
                .collect()
        })
        .collect();
    // Each GPU's reference among the others of its model (bench_verdict).
    let models: Vec<&str> = gpus.iter().map(|g| g.name.as_str()).collect();
    let figures: Vec<BTreeMap<Metric, verdict::Figure>> = (measured.iter())
        .map(|rs| {
            // A host-timed figure says more about the host than the GPU:
            // no peer compares it.
            rs.iter()
                .filter(|(m, _)| !m.host_timed())
                .map(|(m, (r, _))| {
                    (
                        *m,
                        verdict::Figure {
                            value: r.value,
                            spread_pct: r.spread_pct,
                        },
                    )
                })
                .collect()
        })
        .collect();
    let peers = verdict::peer_references(&models, &figures, args.tolerance);
    let engine_name = match engine {
        Engine::Cublas => "cublas",
        Engine::Builtin => "builtin",
    };
    let mut failures: Vec<String> = Vec::new();
    for (((gpu, run), results), peer) in gpus.iter().zip(runs).zip(measured).zip(&peers) {
        let ran = crate::commands::ran_check("bench_ran", "measurements", gpu, run, interrupted);
        let mut checks = vec![ran, crate::checks::xid::verdict(&xids, gpu)];
        let sheet = gate::datasheet(&gpu.name);
        let mut out = Vec::new();
        let mut failed_metrics: Vec<&str> = Vec::new();
        for &metric in &plan.metrics {
            let Some((mut r, mismatches)) = results.get(&metric).cloned() else {
                let why = if interrupted {
                    "not measured: interrupted"
                } else {
                    "not measured: the GPU's run stopped before it (see bench_ran)"
                };
                checks.push(Check::new(metric.name(), CheckStatus::Skip, why));
                continue;
            };
            let mut gates: Vec<Limit> = Vec::new();
            match limits.get(&metric) {
                Some(l) => gates.push(*l),
                None if !args.no_builtin_thresholds => {
                    let cublas = r.detail.as_deref().is_some_and(|d| d.starts_with("cublas"));
                    gates.extend(sheet.and_then(|s| gate::builtin_limit(s, metric, cublas)));
                }
                None => {}
            }
            // Every metric timed on the GPU, kernel spacing included (a
            // replayed CUDA graph, within 1% across runs on an H100); not
            // the host-timed launch overhead (the host's CPU is in it).
            let relative = baseline.filter(|_| !metric.host_timed());
            if let Some(v) = relative.and_then(|b| b.reference(&gpu.uuid, &gpu.name, metric)) {
                gates.push(gate::relative_limit(
                    metric,
                    v,
                    args.tolerance,
                    Source::Baseline,
                ));
            }
            if let Some(verdict::PeerRef::Median { value, .. }) = peer.get(&metric) {
                gates.push(gate::relative_limit(
                    metric,
                    *value,
                    args.tolerance,
                    Source::Peers,
                ));
            }
            let check = judge(&mut r, metric, mismatches, &gates, sheet.map(|s| s.model));
            if check.status == CheckStatus::Fail {
                failed_metrics.push(metric.name());
            }
            checks.push(check);
            out.push(r);
        }
        // Test patterns and GEMM operands: wiped (and verified) like burn's
        // before the memory is freed.
        checks.push(harness::wipe_check("memory_wipe", run));
        if let Some(lost) = harness::lost_check(run) {
            failures.push(format!("GPU {} {}", gpu.index, lost.message));
            checks.push(lost);
        }
        let telemetry = verdict::telemetry_check(&run.samples, run.last_sample.as_ref());
        failures.extend(
            telemetry
                .iter()
                .map(|c| format!("GPU {} {}", gpu.index, c.message)),
        );
        checks.extend(verdict::peer_check(peer).into_iter().chain(telemetry));
        let summary = BenchSummary {
            engine: plan
                .metrics
                .iter()
                .any(|m| m.dtype().is_some())
                .then(|| engine_name.to_string()),
            detail: run.setup.clone().flatten(),
            results: out,
        };
        // The closing summary names the failed metrics; the table has why.
        if !failed_metrics.is_empty() {
            failures.push(format!(
                "GPU {} {} failed",
                gpu.index,
                failed_metrics.join(", ")
            ));
        }
        if let Some(f) = &run.failure {
            failures.push(format!("GPU {} {}", gpu.index, f.message()));
        } else if run.verified == 0 && !interrupted {
            failures.push(format!("GPU {} measured nothing", gpu.index));
        }
        // Healthy needs the run to finish and every asked-for metric to be
        // judged (fail closed: a metric that vanished is not a pass).
        let mut required: Vec<&str> = REQUIRED.to_vec();
        required.extend(plan.metrics.iter().map(|m| m.name()));
        let required = Required {
            checks: &required,
            deselected: &[],
        };
        report.gpus.push(GpuReport {
            bench: Some(summary),
            ..GpuReport::judged(gpu, checks, &required)
        });
    }
    let verdict = report.conclude(interrupted, &failures);
    report.summary = match report.outcome {
        Outcome::Pass => format!(
            "bench passed: {} metric(s) on {} GPU(s)",
            plan.metrics.len(),
            report.gpus.len()
        ),
        Outcome::Warn => format!("bench {verdict} on {} GPU(s)", report.gpus.len()),
        _ => format!("bench {verdict}"),
    };
    report
}

/// Fills `r.gates` and returns the metric's check.
pub(super) fn judge(
    r: &mut BenchResult,
    metric: Metric,
    mismatches: u64,
    gates: &[Limit],
    model: Option<&str>,
) -> Check {
    let unit = metric.unit();
    let stats = format!(
        "{} {unit} (median of {}, {} to {}, spread {:.1}%)",
        fmt(r.value),
        r.repetitions,
        fmt(r.min),
        fmt(r.max),
        r.spread_pct
    );
    let mut problems = Vec::new();
    for g in gates {
        let short = gate::shortfall_pct(r.value, g);
        r.gates.push(BenchGate {
            source: serde_json::to_value(g.source)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            kind: if g.at_least { "min" } else { "max" }.to_string(),
            limit: g.value,
            passed: short.is_none(),
            shortfall_pct: gate::round2(short.unwrap_or(0.0)),
        });
        if let Some(pct) = short {
            let (dir, sign) = if g.at_least {
                ("below", ">=")
            } else {
                ("above", "<=")
            };
            let source = match (g.source, model) {
                (Source::Builtin, Some(m)) => format!("built-in expectation for {m}"),
                (s, _) => s.label().to_string(),
            };
            problems.push(format!(
                "{}: {} {unit} is {pct:.1}% {dir} the threshold {sign} {} {unit} ({source})",
                metric.name(),
                fmt(r.value),
                fmt(g.value)
            ));
        }
    }
    // The binding limit: the highest floor or the lowest ceiling.
    let binding = gates
        .iter()
        .map(|g| g.value)
        .reduce(if metric.higher_is_better() {
            f64::max
        } else {
            f64::min
        });
    let throttled = if r.throttled {
        format!("; throttled while measured: {}", r.clock_events.join(", "))
    } else {
        String::new()
    };
    let mut check = if mismatches > 0 {
        Check::new(
            metric.name(),
            CheckStatus::Fail,
            format!(
                "{}: {mismatches} products differed from the reference: the GPU computes wrong \
                 results",
                metric.name()
            ),
        )
        .remedy(crate::checks::remedy::RMA)
    } else if !problems.is_empty() {
        Check::new(
            metric.name(),
            CheckStatus::Fail,
            format!("{}; {stats}{throttled}", problems.join("; ")),
        )
        .remedy(crate::checks::remedy::BENCH_SHORTFALL)
    } else if gates.is_empty() {
        Check::new(
            metric.name(),
            CheckStatus::Pass,
            format!("{stats}; no threshold set{throttled}"),
        )
    } else {
        Check::new(
            metric.name(),
            CheckStatus::Pass,
            format!("{stats}{throttled}"),
        )
    };
    check = check.value(r.value, Some(unit));
    if let Some(b) = binding {
        check = check.threshold(b);
    }
    check
}

/// A figure with as many decimals as its size deserves.
pub(super) fn fmt(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
