//! `burn`'s part of the human table: one row per GPU.

use crate::report::layout::{opt, record, Grid};
use crate::report::table::{Options, Section};
use crate::report::{CheckStatus, Report};

/// `burn`'s [`Section`]: its per-GPU table replaces the GPU overview.
pub struct Table;

impl Section for Table {
    fn tables(&self, report: &Report, opts: &Options) -> Option<String> {
        let any = report.gpus.iter().any(|g| g.burn.is_some());
        any.then(|| burn_table(report, opts) + "\n")
    }
}

/// One row per GPU with what the burn measured and its verdict; one record
/// per GPU when the table does not fit.
fn burn_table(report: &Report, opts: &Options) -> String {
    let f = |v: Option<f64>| v.map(|x| format!("{x:.0}")).unwrap_or_else(|| "-".into());
    let mut grid = Grid::new(&[
        "GPU",
        "Engine",
        "TFLOP/s min/med/max",
        "Power W avg/max",
        "Temp °C GPU/mem",
        "SM MHz min",
        "Throttle (s)",
        "Mismatch prod/el",
        "Status",
    ]);
    let mut records = String::new();
    for g in &report.gpus {
        let Some(b) = &g.burn else { continue };
        let throttle: Vec<String> = b
            .throttle
            .iter()
            .filter(|r| r.reason != "gpu_idle")
            .map(|r| format!("{} {:.1}", r.reason, r.seconds))
            .collect();
        let status = g.status.unwrap_or(CheckStatus::Pass);
        let cells = vec![
            g.index.to_string(),
            format!(
                "{} {}",
                b.engine.as_deref().unwrap_or("-"),
                b.dtype.as_deref().unwrap_or("")
            )
            .trim()
            .to_string(),
            format!(
                "{}/{}/{}",
                f(b.tflops_min),
                f(b.tflops_median),
                f(b.tflops_max)
            ),
            format!("{}/{}", f(b.power_avg_w), f(b.power_peak_w)),
            format!(
                "{}/{}",
                opt(b.temperature_gpu_peak_c),
                opt(b.temperature_memory_peak_c)
            ),
            opt(b.sm_clock_min_mhz),
            if throttle.is_empty() {
                "-".into()
            } else {
                throttle.join(", ")
            },
            format!("{}/{}", b.mismatched_products, b.mismatched_elements),
            status.label().into(),
        ];
        let head = format!("GPU {}  ", g.index);
        records.push_str(&record(
            &head,
            &[
                status.label().into(),
                cells[1].clone(),
                format!("TFLOP/s {}", cells[2]),
                format!("power {} W", cells[3]),
                format!("temp {} °C", cells[4]),
                format!("SM min {} MHz", cells[5]),
                format!("throttle {}", cells[6]),
                format!("mismatched products/elements {}", cells[7]),
            ],
            opts.width,
        ));
        grid.row(cells);
    }
    grid.render(opts.width, opts.color).unwrap_or(records)
}
