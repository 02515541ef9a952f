//! `memtest`'s part of the human table: one row per GPU.

use crate::report::layout::{opt, record, Grid};
use crate::report::table::{Options, Section};
use crate::report::{CheckStatus, Report};

/// `memtest`'s [`Section`]: its per-GPU table replaces the GPU overview.
pub struct Table;

impl Section for Table {
    fn tables(&self, report: &Report, opts: &Options) -> Option<String> {
        let any = report.gpus.iter().any(|g| g.memtest.is_some());
        any.then(|| memtest_table(report, opts) + "\n")
    }
}

/// One row per GPU with what the memory test covered, found and changed;
/// one record per GPU when the table does not fit.
fn memtest_table(report: &Report, opts: &Options) -> String {
    let f1 = |v: Option<f64>| v.map_or_else(|| "-".into(), |x| format!("{x:.1}"));
    let mut grid = Grid::new(&[
        "GPU",
        "Patterns (passes)",
        "Tested GiB",
        "% of free/total",
        "GB/s",
        "Mismatches",
        "ECC new corr/unc",
        "Wiped",
        "Status",
    ]);
    let mut records = String::new();
    for g in &report.gpus {
        let Some(m) = &g.memtest else { continue };
        let done = m.patterns.iter().filter(|p| p.passes > 0).count();
        let bits = |b: &[u32]| b.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        let errors = match m.errors.first() {
            Some(e) => format!(
                "{} first at {} bits {}",
                m.mismatches,
                e.offset,
                bits(&e.flipped_bits)
            ),
            None => m.mismatches.to_string(),
        };
        let status = g.status.unwrap_or(CheckStatus::Pass);
        let cells = vec![
            g.index.to_string(),
            format!("{done}/{} ({})", m.patterns.len(), m.passes),
            f1(m.tested_bytes.map(|b| b as f64 / (1u64 << 30) as f64)),
            format!("{}/{}", f1(m.coverage_free_pct), f1(m.coverage_total_pct)),
            opt(m.gb_per_s.map(|r| format!("{r:.0}"))),
            errors,
            format!(
                "{}/{}",
                opt(m.ecc_corrected_delta),
                opt(m.ecc_uncorrected_delta)
            ),
            match m.wiped {
                Some(true) => "yes",
                Some(false) => "FAILED",
                None => "-",
            }
            .into(),
            status.label().into(),
        ];
        let head = format!("GPU {}  ", g.index);
        records.push_str(&record(
            &head,
            &[
                status.label().into(),
                format!("patterns {}", cells[1]),
                format!("tested {} GiB", cells[2]),
                format!("{}% of free/total", cells[3]),
                format!("{} GB/s", cells[4]),
                format!("mismatches {}", cells[5]),
                format!("new ECC corrected/uncorrected {}", cells[6]),
                format!("wiped {}", cells[7]),
            ],
            opts.width,
        ));
        grid.row(cells);
    }
    grid.render(opts.width, opts.color).unwrap_or(records)
}
