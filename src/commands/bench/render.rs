//! `bench`'s part of the human table: one row per GPU and metric.

use crate::report::layout::{flow, opt, record, Grid};
use crate::report::table::{Options, Section};
use crate::report::{CheckStatus, Report};

/// `bench`'s [`Section`]: its results table replaces the GPU overview.
pub struct Table;

impl Section for Table {
    fn tables(&self, report: &Report, opts: &Options) -> Option<String> {
        let any = report.gpus.iter().any(|g| g.bench.is_some());
        any.then(|| bench_table(report, opts) + "\n")
    }
}

/// One row per GPU and metric: the median, its range and spread, the
/// binding limit, the lowest SM clock and the verdict; a note under the
/// table for each figure taken while the GPU throttled (with its power and
/// temperature). One record per metric when the table does not fit.
fn bench_table(report: &Report, opts: &Options) -> String {
    let n = |v: f64| {
        if v >= 100.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    };
    let mut grid = Grid::new(&[
        "GPU", "Metric", "Median", "Min-max", "Spread", "Limit", "SM MHz", "Status",
    ]);
    let mut records = String::new();
    let mut notes = String::new();
    for g in &report.gpus {
        let Some(b) = &g.bench else { continue };
        for r in &b.results {
            let check = g.checks.iter().flatten().find(|c| c.name == r.metric);
            let limit = check
                .and_then(|c| c.threshold.as_ref())
                .and_then(|v| v.as_f64())
                .map_or("-".to_string(), |v| {
                    format!("{} {}", if r.higher_is_better { ">=" } else { "<=" }, n(v))
                });
            let status = check.map_or(CheckStatus::Skip, |c| c.status);
            // The regime beside a GEMM metric's name, unless the name says
            // it (`gemm_bf16 (burst)`, `gemm_bf16_sustained`).
            let metric = match r.regime {
                Some(x) if !r.metric.ends_with(x.name()) => format!("{} ({})", r.metric, x.name()),
                _ => r.metric.clone(),
            };
            let cells = vec![
                g.index.to_string(),
                metric,
                format!("{} {}", n(r.value), r.unit),
                format!("{}-{}", n(r.min), n(r.max)),
                format!("{:.1}%", r.spread_pct),
                limit,
                opt(r.sm_clock_min_mhz),
                status.label().into(),
            ];
            let telemetry = format!(
                "{} W, {} °C",
                opt(r.power_max_w.map(|p| p.round())),
                opt(r.temperature_max_c)
            );
            let head = format!("GPU {}  ", g.index);
            let mut fields = vec![
                status.label().into(),
                cells[1].clone(),
                format!("median {}", cells[2]),
                format!(
                    "min-max {} ({} spread, {} reps)",
                    cells[3], cells[4], r.repetitions
                ),
                format!("limit {}", cells[5]),
                format!("SM min {} MHz, {telemetry}", cells[6]),
            ];
            if r.throttled {
                let why = format!("throttled: {}", r.clock_events.join(", "));
                fields.push(why.clone());
                notes.push_str(&flow(
                    &[format!("GPU {} {} {why} ({telemetry})", g.index, r.metric)],
                    "note: ",
                    "      ",
                    opts.width,
                ));
            }
            records.push_str(&record(&head, &fields, opts.width));
            grid.row(cells);
        }
    }
    match grid.render(opts.width, opts.color) {
        Some(table) => table + &notes,
        None => records,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::layout::len;

    #[test]
    fn bench_rows_fit_80_columns_and_throttling_gets_a_note() {
        let gpu = crate::report::GpuReport {
            index: 0,
            name: None,
            uuid: None,
            pci_bus_id: None,
            serial: None,
            cuda_index: None,
            lost: None,
            status: None,
            details: None,
            checks: None,
            burn: None,
            memtest: None,
            monitor: None,
            bench: Some(crate::report::BenchSummary {
                results: vec![crate::report::BenchResult {
                    metric: "gemm_bf16_sustained".into(),
                    regime: Some(crate::model::metric::Regime::Sustained),
                    unit: "TFLOP/s".into(),
                    value: 701.0,
                    min: 695.5,
                    max: 705.0,
                    spread_pct: 1.36,
                    sm_clock_min_mhz: Some(1980),
                    power_max_w: Some(700.0),
                    temperature_max_c: Some(88),
                    clock_events: vec!["sw_power_cap".into()],
                    throttled: true,
                    ..Default::default()
                }],
                ..Default::default()
            }),
        };
        let mut report = Report::new("bench");
        report.gpus.push(gpu);
        let opts = Options {
            color: false,
            width: 80,
            verbose: false,
        };
        let out = bench_table(&report, &opts);
        assert!(out.lines().all(|l| len(l) <= 80), "{out}");
        // The whole section, as the core draws it: no GPU overview.
        let drawn = crate::report::table::render(&report, &Table, &opts);
        assert!(!drawn.contains("PCI bus id"), "{drawn}");
        assert!(out.contains("701 TFLOP/s"), "{out}");
        assert!(out.contains("gemm_bf16_sustained"), "{out}");
        // A burst figure says so beside its name.
        let mut burst = report.clone();
        if let Some(b) = burst.gpus[0].bench.as_mut() {
            b.results[0].metric = "gemm_bf16".into();
            b.results[0].regime = Some(crate::model::metric::Regime::Burst);
        }
        let out = bench_table(&burst, &opts);
        assert!(out.contains("gemm_bf16 (burst)"), "{out}");
        assert!(
            out.contains("throttled: sw_power_cap (700 W, 88 °C)"),
            "{out}"
        );
    }
}
