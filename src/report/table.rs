//! Human rendering: what a tired operator needs first, at 80 columns.
//!
//! Problems come first (FAIL, then WARN), SKIP rows only with `--verbose`
//! (always counted), and nothing is ever split inside a word or a number:
//! text wraps at spaces, and a table too wide for the terminal falls back to
//! one record per GPU ([`super::layout`]).
//!
//! The core knows no command. It draws what every report has (the error,
//! the simulated mark, the GPU overview, the problems, the notes and the
//! summary line); each command's [`Section`] adds what only it knows (its
//! own tables, a lead line), implemented beside the command and found in
//! the command registry by `app.rs`.

pub use super::layout::{color_wanted, width, Options, DEFAULT_WIDTH};
use super::layout::{flow, json_text, paint, record, status_text, text, value_text, Grid};
use super::{Check, CheckStatus, Report};

/// A command's part of the human table: the renderer trait every command
/// implements (each method has a default, so a command that shows only
/// its checks implements none).
pub trait Section: Sync {
    /// Lines right under the simulated mark (a driver line, per-GPU facts).
    fn lead(&self, _report: &Report, _opts: &Options) -> String {
        String::new()
    }

    /// The command's own tables, newline-terminated. `Some` shows each
    /// GPU's status itself, so the core's GPU overview is left out.
    fn tables(&self, _report: &Report, _opts: &Options) -> Option<String> {
        None
    }

    /// Lines under the overview: a heading (`GPU 0  `) and its fields.
    fn glance(&self, _report: &Report) -> Vec<(String, Vec<String>)> {
        Vec::new()
    }

    /// Checks that belong to no GPU nor the host (a pair of GPUs), with
    /// whose they are (`GPU 0->1`): listed among the problems.
    fn other_checks<'r>(&self, _report: &'r Report) -> Vec<(String, &'r Check)> {
        Vec::new()
    }

    /// Whether the table starts with [`SIMULATED_LINE`]; a command that
    /// already said it (on its stream's header) answers false.
    fn marks_simulated(&self) -> bool {
        true
    }
}

/// The section of a command that shows only the core's parts: the GPU
/// overview and the problems.
pub struct Overview;

impl Section for Overview {}

/// The whole report as text for a terminal or a log; `section` is the
/// command's part.
pub fn render(report: &Report, section: &dyn Section, opts: &Options) -> String {
    let mut out = String::new();
    if let Some(err) = &report.error {
        out.push_str(&format!("error: {}\n", err.message));
        return out;
    }
    if report.simulated && section.marks_simulated() {
        out.push_str(&flow(&[SIMULATED_LINE.to_string()], "", "  ", opts.width));
        out.push('\n');
    }
    out.push_str(&section.lead(report, opts));
    let tables = section.tables(report, opts);
    let has_checks = report.gpus.iter().any(|g| g.checks.is_some())
        || !report.host_checks.is_empty()
        || tables.is_some();
    // A command's own tables show each GPU's status: no overview too.
    let show_overview = tables.is_none();
    if let Some(tables) = tables {
        out.push_str(&tables);
    }
    if has_checks {
        if show_overview {
            out.push_str(&overview(report, opts));
            for (head, fields) in section.glance(report) {
                out.push_str(&record(&head, &fields, opts.width));
            }
            out.push('\n');
        }
        out.push_str(&problems(report, section, opts));
    }
    for w in &report.warnings {
        out.push_str(&flow(&[format!("note: {w}")], "", "      ", opts.width));
    }
    if !report.summary.is_empty() {
        out.push_str(&flow(
            std::slice::from_ref(&report.summary),
            "",
            "  ",
            opts.width,
        ));
    }
    out
}

/// The first line of a simulated run's table, so it can never pass for a
/// real one.
pub const SIMULATED_LINE: &str = "SIMULATED GPUs (GPUCTL_SIMULATE): not real hardware";

// ---------------------------------------------------------------- sections

/// Checks of one GPU (or the host) that did not pass, worst first.
fn problem_names(checks: &[Check]) -> String {
    let mut bad: Vec<&Check> = checks
        .iter()
        .filter(|c| matches!(c.status, CheckStatus::Warn | CheckStatus::Fail))
        .collect();
    bad.sort_by_key(|c| std::cmp::Reverse(c.status));
    if bad.is_empty() {
        "-".into()
    } else {
        bad.iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One row per GPU: status, serial and the names of its failing checks;
/// one record per GPU when the table does not fit.
fn overview(report: &Report, opts: &Options) -> String {
    let mut grid = Grid::new(&["GPU", "PCI bus id", "Name", "Serial", "Status", "Problems"]);
    let mut records = String::new();
    if !report.host_checks.is_empty() {
        let status = super::worst(&report.host_checks);
        let names = problem_names(&report.host_checks);
        grid.row(vec![
            "host".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            status.label().into(),
            names.clone(),
        ]);
        records.push_str(&flow(
            &[status_text(status, false), format!("problems: {names}")],
            "host  ",
            "      ",
            opts.width,
        ));
    }
    for g in &report.gpus {
        let status = g.status.unwrap_or(CheckStatus::Pass);
        let names = problem_names(g.checks.as_deref().unwrap_or_default());
        grid.row(vec![
            g.index.to_string(),
            text(&g.pci_bus_id),
            text(&g.name),
            text(&g.serial),
            status.label().into(),
            names.clone(),
        ]);
        let head = format!("GPU {}  ", g.index);
        records.push_str(&record(
            &head,
            &[
                status.label().into(),
                text(&g.pci_bus_id),
                text(&g.name),
                format!("serial {}", text(&g.serial)),
                format!("problems: {names}"),
            ],
            opts.width,
        ));
    }
    grid.render(opts.width, opts.color).unwrap_or(records)
}

/// Every check that did not pass, FAIL first, then WARN, then (with
/// `--verbose`) SKIP; one record each, wrapped at spaces. Hidden skips are
/// counted so nothing disappears silently.
fn problems(report: &Report, section: &dyn Section, opts: &Options) -> String {
    let host = report.host_checks.iter().map(|c| ("host".to_string(), c));
    let per_gpu = report.gpus.iter().flat_map(|g| {
        g.checks
            .iter()
            .flatten()
            .map(move |c| (format!("GPU {}", g.index), c))
    });
    let mut rows: Vec<(String, &Check)> = host
        .chain(per_gpu)
        .chain(section.other_checks(report))
        .filter(|(_, c)| c.status != CheckStatus::Pass)
        .collect();
    // Stable: within one severity, host first, then GPUs in index order.
    rows.sort_by_key(|(_, c)| std::cmp::Reverse(severity(c.status)));
    let skipped = rows
        .iter()
        .filter(|(_, c)| c.status == CheckStatus::Skip)
        .count();
    let mut out = String::new();
    let indent = "      ";
    let mut said = std::collections::HashSet::new();
    for (who, c) in &rows {
        if c.status == CheckStatus::Skip && !opts.verbose {
            continue;
        }
        let mut head = vec![who.clone(), c.name.clone(), value_text(c)];
        if let Some(t) = &c.threshold {
            head.push(format!("(limit {})", json_text(t)));
        }
        let record = flow(
            &head,
            &format!("{}  ", c.status.label()),
            indent,
            opts.width,
        );
        if opts.color {
            // Colour only the leading label; widths were computed without it.
            let label = c.status.label();
            out.push_str(&paint(label, c.status));
            out.push_str(&record[label.len()..]);
        } else {
            out.push_str(&record);
        }
        out.push_str(&flow(
            std::slice::from_ref(&c.message),
            indent,
            indent,
            opts.width,
        ));
        if let Some(r) = &c.remedy {
            // A remedy shared by several checks is said once per GPU.
            let line = if said.insert((who.as_str(), r.as_str())) {
                format!("remedy: {r}")
            } else {
                "remedy: as above".to_string()
            };
            out.push_str(&flow(&[line], indent, indent, opts.width));
        }
    }
    if skipped > 0 && !opts.verbose {
        let line = format!(
            "{skipped} check{} skipped (not supported or not permitted here); -v shows {}",
            if skipped == 1 { "" } else { "s" },
            if skipped == 1 { "it" } else { "them" }
        );
        out.push_str(&flow(&[line], "", "", opts.width));
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

/// Table order: FAIL, INTERRUPTED, WARN, then the rest.
fn severity(status: CheckStatus) -> u8 {
    match status {
        CheckStatus::Fail => 4,
        CheckStatus::Interrupted => 3,
        CheckStatus::Warn => 2,
        CheckStatus::Skip => 1,
        CheckStatus::Pass => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(width: usize) -> Options {
        Options {
            color: false,
            width,
            verbose: false,
        }
    }

    fn report_with_a_failing_gpu(command: &str) -> Report {
        let mut r = Report::new(command);
        r.simulated = true;
        let gpu = crate::model::gpu::Gpu {
            index: 0,
            has_nvml: true,
            name: "GPU model".into(),
            uuid: String::new(),
            pci_bus_id: String::new(),
            cuda: Vec::new(),
            lost: None,
        };
        let failed = Check::new("made_up", CheckStatus::Fail, "it broke");
        r.gpus
            .push(super::super::GpuReport::with_checks(&gpu, vec![failed]));
        r.summary = "one line".into();
        r
    }

    /// A command the core has never heard of, with a table of its own.
    struct Custom;

    impl Section for Custom {
        fn lead(&self, _: &Report, _: &Options) -> String {
            "lead line\n".into()
        }
        fn tables(&self, _: &Report, _: &Options) -> Option<String> {
            Some("custom table\n".into())
        }
        fn marks_simulated(&self) -> bool {
            false
        }
    }

    #[test]
    fn a_section_replaces_the_overview_and_keeps_the_problems() {
        let r = report_with_a_failing_gpu("anything");
        let out = render(&r, &Custom, &opts(80));
        assert!(out.starts_with("lead line\ncustom table\n"), "{out}");
        assert!(!out.contains("Problems"), "{out}");
        assert!(out.contains("FAIL  GPU 0  made_up"), "{out}");
        assert!(out.ends_with("one line\n"), "{out}");
        assert!(!out.contains(SIMULATED_LINE), "{out}");
    }

    #[test]
    fn the_default_section_shows_the_overview_problems_first() {
        let r = report_with_a_failing_gpu("anything");
        let out = render(&r, &Overview, &opts(80));
        assert!(out.starts_with(SIMULATED_LINE), "{out}");
        let overview = out.find("Problems").unwrap_or(usize::MAX);
        let problem = out.find("FAIL  GPU 0  made_up").unwrap_or(0);
        assert!(overview < problem, "{out}");
        assert!(out.contains("made_up"), "{out}");
        // Narrow: one record per GPU, never wider than the width.
        let narrow = render(&r, &Overview, &opts(40));
        assert!(narrow.lines().all(|l| l.chars().count() <= 40), "{narrow}");
        assert!(narrow.contains("GPU 0  FAIL"), "{narrow}");
    }
}
