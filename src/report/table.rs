//! Human rendering: what a tired operator needs first, at 80 columns.
//!
//! Problems come first (FAIL, then WARN), SKIP rows only with `--verbose`
//! (always counted), and nothing is ever split inside a word or a number:
//! text wraps at spaces, and a table too wide for the terminal falls back to
//! one record per GPU. Colour only on a terminal, never with `NO_COLOR` or
//! `TERM=dumb`; the width is `COLUMNS`, else the terminal's, else 80.

use super::{Check, CheckStatus, GpuDetails, GpuReport, P2pPair, P2pSummary, Report};

/// How to render: decided once by `app.rs` from the environment and flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub color: bool,
    /// Columns available; every line fits in it.
    pub width: usize,
    /// Show SKIP rows too.
    pub verbose: bool,
}

impl Options {
    /// From the environment, for output on stdout.
    pub fn from_env(is_terminal: bool, verbose: bool) -> Self {
        Self {
            color: color_wanted(is_terminal),
            width: width(
                std::env::var("COLUMNS").ok().as_deref(),
                is_terminal.then(terminal_columns).flatten(),
            ),
            verbose,
        }
    }
}

/// Whether to colour output: only on a terminal, never with `NO_COLOR` or
/// on a dumb terminal.
pub fn color_wanted(is_terminal: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    is_terminal && !set("NO_COLOR") && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// Narrowest width honoured; below it lines would be mostly indentation.
const MIN_WIDTH: usize = 40;
/// Width when nothing says otherwise (a pipe, a log file).
pub const DEFAULT_WIDTH: usize = 80;

/// `COLUMNS` when it is a number, else the terminal's width, else 80.
pub fn width(columns: Option<&str>, terminal: Option<usize>) -> usize {
    columns
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
        .or(terminal)
        .unwrap_or(DEFAULT_WIDTH)
        .max(MIN_WIDTH)
}

/// The width of the terminal on stdout, if it is one.
fn terminal_columns() -> Option<usize> {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ only writes a `winsize` into the struct we own.
    let rc = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) };
    (rc == 0 && size.ws_col > 0).then_some(size.ws_col as usize)
}

/// The whole report as text for a terminal or a log.
pub fn render(report: &Report, opts: &Options) -> String {
    let mut out = String::new();
    if let Some(err) = &report.error {
        out.push_str(&format!("error: {}\n", err.message));
        return out;
    }
    // monitor said it before its stream, on every header.
    if report.simulated && report.command != "monitor" {
        out.push_str(&flow(&[SIMULATED_LINE.to_string()], "", "  ", opts.width));
        out.push('\n');
    }
    if let Some(line) = super::glance::driver_line(report) {
        out.push_str(&flow(&[line], "", "  ", opts.width));
    }
    if report.gpus.iter().any(|g| g.details.is_some()) {
        out.push_str(&details(&report.gpus, opts));
    }
    let has_checks = report.gpus.iter().any(|g| g.checks.is_some())
        || !report.host_checks.is_empty()
        || report.p2p.is_some();
    let has_burn = report.gpus.iter().any(|g| g.burn.is_some());
    if let Some(p2p) = &report.p2p {
        out.push_str(&p2p_tables(p2p, opts));
    }
    if has_burn {
        out.push_str(&burn_table(report, opts));
        out.push('\n');
    }
    let has_memtest = report.gpus.iter().any(|g| g.memtest.is_some());
    if has_memtest {
        out.push_str(&memtest_table(report, opts));
        out.push('\n');
    }
    let has_bench = report.gpus.iter().any(|g| g.bench.is_some());
    if has_bench {
        out.push_str(&bench_table(report, opts));
        out.push('\n');
    }
    // A per-GPU section already shows each GPU's status: no overview too.
    let has_section = has_burn || has_memtest || has_bench;
    if has_checks {
        // A per-GPU section (burn, memtest) shows each GPU's status, and
        // p2p's verdict matrix is its overview (its GPUs carry no checks).
        if !has_section && report.p2p.is_none() {
            out.push_str(&overview(report, opts));
            for (head, fields) in super::glance::numbers(report) {
                out.push_str(&flow(&fields, &head, &" ".repeat(len(&head)), opts.width));
            }
            out.push('\n');
        }
        out.push_str(&problems(report, opts));
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

// ---------------------------------------------------------------- layout

/// Display width of `s` (every char one column; the text here is ASCII plus
/// `°`).
fn len(s: &str) -> usize {
    s.chars().count()
}

/// Words of `text` wrapped at spaces to `width`; a word longer than the
/// width stays whole on its own line (never split).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && len(&line) + 1 + len(word) > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `fields` joined by two spaces and flowed to `width`: a field moves whole
/// to the next line (indented by `indent`) when it does not fit, and a
/// field wider than a line wraps at its spaces. Newline-terminated.
fn flow(fields: &[String], first: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for field in fields.iter().filter(|f| !f.is_empty()) {
        let sep = if empty { 0 } else { 2 };
        if len(&line) + sep + len(field) <= width {
            if !empty {
                line.push_str("  ");
            }
            line.push_str(field);
            empty = false;
            continue;
        }
        if !empty {
            out.push_str(line.trim_end());
            out.push('\n');
            line = indent.to_string();
        }
        // Continuation lines start with `indent`: wrap to the narrower of
        // the two, or they would run past the width.
        let room = width.saturating_sub(len(&line).max(len(indent))).max(1);
        let parts = wrap(field, room);
        let last = parts.len() - 1;
        for (i, part) in parts.into_iter().enumerate() {
            line.push_str(&part);
            if i < last {
                out.push_str(line.trim_end());
                out.push('\n');
                line = indent.to_string();
            }
        }
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
    out
}

/// A column table with no borders (two spaces between columns), laid out
/// only if it fits `width` without splitting a word; `None` otherwise.
struct Grid {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Per row: the status whose colour the last column gets.
    status: Vec<Option<CheckStatus>>,
}

impl Grid {
    fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            status: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>, status: Option<CheckStatus>) {
        self.rows.push(cells);
        self.status.push(status);
    }

    /// Column widths that fit `width`, or `None` when even the narrowest
    /// layout (each column as wide as its longest word) does not.
    fn widths(&self, width: usize) -> Option<Vec<usize>> {
        let n = self.header.len();
        let cells = || std::iter::once(&self.header).chain(self.rows.iter());
        let longest_word = |i: usize| {
            cells()
                .filter_map(|r| r.get(i))
                .flat_map(|c| c.split_whitespace())
                .map(len)
                .max()
                .unwrap_or(0)
        };
        // Spare room goes to the rows' text first: headers may wrap.
        let longest_text = |i: usize| {
            self.rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| len(c))
                .max()
                .unwrap_or(0)
        };
        let mut widths: Vec<usize> = (0..n).map(longest_word).collect();
        let want: Vec<usize> = (0..n).map(longest_text).collect();
        let gaps = 2 * n.saturating_sub(1);
        let used = widths.iter().sum::<usize>() + gaps;
        if used > width {
            return None;
        }
        // Hand out the spare columns one at a time to the column that is
        // furthest from its natural width.
        let mut spare = width - used;
        while spare > 0 {
            let Some((i, _)) = (0..n)
                .map(|i| (i, want[i].saturating_sub(widths[i])))
                .filter(|(_, short)| *short > 0)
                .max_by_key(|(_, short)| *short)
            else {
                break;
            };
            widths[i] += 1;
            spare -= 1;
        }
        Some(widths)
    }

    fn render(&self, width: usize, color: bool) -> Option<String> {
        let widths = self.widths(width)?;
        // A row wrapped onto more than two lines reads worse than a record.
        let tall = self.rows.iter().any(|row| {
            row.iter()
                .zip(&widths)
                .any(|(cell, w)| wrap(cell, *w).len() > 2)
        });
        if tall {
            return None;
        }
        let mut out = String::new();
        let mut emit = |cells: &[String], status: Option<CheckStatus>| {
            let wrapped: Vec<Vec<String>> = widths
                .iter()
                .enumerate()
                .map(|(i, w)| wrap(cells.get(i).map(String::as_str).unwrap_or(""), *w))
                .collect();
            let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
            for line_no in 0..height {
                let mut line = String::new();
                for (i, w) in widths.iter().enumerate() {
                    let text = wrapped[i].get(line_no).map(String::as_str).unwrap_or("");
                    // Each status word in its own colour: a row may hold
                    // several (p2p's verdict matrix).
                    let painted = match (status, status_of(text)) {
                        (Some(_), Some(s)) if color && line_no == 0 => paint(text, s),
                        _ => text.to_string(),
                    };
                    line.push_str(&painted);
                    if i + 1 < widths.len() {
                        line.push_str(&" ".repeat(w - len(text) + 2));
                    }
                }
                out.push_str(line.trim_end());
                out.push('\n');
            }
        };
        emit(&self.header, None);
        for (row, status) in self.rows.iter().zip(&self.status) {
            emit(row, *status);
        }
        Some(out)
    }
}

/// The status a cell's text names, if it is a status word.
fn status_of(text: &str) -> Option<CheckStatus> {
    use CheckStatus::*;
    [Pass, Skip, Warn, Interrupted, Fail]
        .into_iter()
        .find(|s| s.label() == text)
}

fn paint(text: &str, status: CheckStatus) -> String {
    let code = match status {
        CheckStatus::Pass => "32",
        CheckStatus::Skip => "90",
        CheckStatus::Warn | CheckStatus::Interrupted => "33",
        CheckStatus::Fail => "31",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

fn status_text(status: CheckStatus, color: bool) -> String {
    if color {
        paint(status.label(), status)
    } else {
        status.label().to_string()
    }
}

// ---------------------------------------------------------------- values

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "-".into())
}

fn gib(bytes: Option<u64>) -> String {
    opt(bytes.map(|b| format!("{:.1}", b as f64 / (1u64 << 30) as f64)))
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

fn mig_text(d: &GpuDetails) -> String {
    match d.mig_mode {
        None => "-".into(),
        Some(m) if m.current != m.pending => {
            format!("{} (pending {})", on_off(m.current), on_off(m.pending))
        }
        Some(m) => on_off(m.current).into(),
    }
}

/// A JSON value as an operator reads it: strings bare, clock event reasons
/// as their names, arrays comma-joined.
fn json_text(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(json_text).collect::<Vec<_>>().join(","),
        Value::Object(o) if o.contains_key("reasons") => match o.get("reasons") {
            Some(Value::Array(r)) if r.is_empty() => "none".into(),
            Some(r) => json_text(r),
            None => "-".into(),
        },
        v => v.to_string(),
    }
}

fn value_text(c: &Check) -> String {
    let v = match &c.value {
        None => return "-".into(),
        Some(v) => json_text(v),
    };
    match &c.unit {
        Some(u) => format!("{v} {u}"),
        None => v,
    }
}

// ---------------------------------------------------------------- sections

/// `list`: a few lines per GPU, fields flowed to the width.
fn details(gpus: &[GpuReport], opts: &Options) -> String {
    let mut out = String::new();
    for g in gpus {
        let d = g.details.clone().unwrap_or_default();
        let head = format!("GPU {}", g.index);
        let indent = " ".repeat(len(&head) + 2);
        let first = format!("{head}  ");
        out.push_str(&flow(
            &[
                text(&g.name),
                text(&g.pci_bus_id),
                format!("CUDA {}", opt(g.cuda_index)),
            ],
            &first,
            &indent,
            opts.width,
        ));
        out.push_str(&flow(
            &[text(&g.uuid), format!("serial {}", text(&g.serial))],
            &indent,
            &indent,
            opts.width,
        ));
        if let Some(lost) = &g.lost {
            out.push_str(&flow(
                &[format!("LOST: {lost}")],
                &indent,
                &indent,
                opts.width,
            ));
            out.push('\n');
            continue;
        }
        if d.board != Default::default() {
            out.push_str(&flow(&d.board.fields(), &indent, &indent, opts.width));
        }
        out.push_str(&flow(
            &[
                format!(
                    "memory {}/{} GiB",
                    gib(d.memory_used_bytes),
                    gib(d.memory_total_bytes)
                ),
                format!("CC {}", text(&d.compute_capability)),
                format!("{} SMs", opt(d.sm_count)),
                format!(
                    "power limit {} W",
                    opt(d.power_limit_w.map(|w| format!("{w:.0}")))
                ),
                format!(
                    "PCIe Gen{} x{} (max Gen{} x{})",
                    opt(d.pcie_link_gen_current),
                    opt(d.pcie_link_width_current),
                    opt(d.pcie_link_gen_max),
                    opt(d.pcie_link_width_max)
                ),
                format!("persistence {}", opt(d.persistence_mode.map(on_off))),
                format!("compute {}", text(&d.compute_mode)),
                format!("MIG {}", mig_text(&d)),
                format!(
                    "slowdown/shutdown {}/{} °C",
                    opt(d.temperature_slowdown_c),
                    opt(d.temperature_shutdown_c)
                ),
            ],
            &indent,
            &indent,
            opts.width,
        ));
        for m in &d.mig_instances {
            out.push_str(&flow(
                &[
                    format!("MIG {}:{}", g.index, m.index),
                    m.uuid.clone(),
                    format!("CUDA {}", opt(m.cuda_index)),
                    format!("{} GiB", gib(m.memory_total_bytes)),
                    format!("{} SMs", opt(m.sm_count)),
                ],
                &indent,
                &format!("{indent}  "),
                opts.width,
            ));
        }
        out.push('\n');
    }
    out
}

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
        grid.row(
            vec![
                "host".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                status.label().into(),
                names.clone(),
            ],
            Some(status),
        );
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
        grid.row(
            vec![
                g.index.to_string(),
                text(&g.pci_bus_id),
                text(&g.name),
                text(&g.serial),
                status.label().into(),
                names.clone(),
            ],
            Some(status),
        );
        let head = format!("GPU {}  ", g.index);
        records.push_str(&flow(
            &[
                status.label().into(),
                text(&g.pci_bus_id),
                text(&g.name),
                format!("serial {}", text(&g.serial)),
                format!("problems: {names}"),
            ],
            &head,
            &" ".repeat(len(&head)),
            opts.width,
        ));
    }
    grid.render(opts.width, opts.color).unwrap_or(records)
}

/// Every check that did not pass, FAIL first, then WARN, then (with
/// `--verbose`) SKIP; one record each, wrapped at spaces. Hidden skips are
/// counted so nothing disappears silently.
fn problems(report: &Report, opts: &Options) -> String {
    let host = report.host_checks.iter().map(|c| ("host".to_string(), c));
    let per_gpu = report.gpus.iter().flat_map(|g| {
        g.checks
            .iter()
            .flatten()
            .map(move |c| (format!("GPU {}", g.index), c))
    });
    let per_pair = report.p2p.iter().flat_map(|p| &p.pairs).flat_map(|p| {
        p.checks
            .iter()
            .map(move |c| (format!("GPU {}->{}", p.from.index, p.to.index), c))
    });
    let mut rows: Vec<(String, &Check)> = host
        .chain(per_gpu)
        .chain(per_pair)
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

/// What one matrix shows for a pair.
type CellText = Box<dyn Fn(&P2pPair) -> String>;

/// `p2p`: one GPU x GPU matrix per measurement (rows send, columns
/// receive), then the verdict matrix. Columns are headed `GPU0`.. as in
/// `nvidia-smi topo -m`, one word each, so 8 GPUs fit 80 columns; where a
/// matrix does not fit, each sending GPU gets a record of `->to value`
/// fields instead.
fn p2p_tables(p2p: &P2pSummary, opts: &Options) -> String {
    let mut indices: Vec<u32> = p2p
        .pairs
        .iter()
        .flat_map(|p| [p.from.index, p.to.index])
        .collect();
    indices.sort_unstable();
    indices.dedup();
    if indices.is_empty() {
        return String::new();
    }
    let f0 = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.0}"));
    let f2 = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.2}"));
    let mut matrices: Vec<(&str, CellText)> = vec![
        ("Topology", Box::new(|p: &P2pPair| topology_cell(p))),
        (
            "Peer access",
            Box::new(|p: &P2pPair| match p.peer_access_enabled {
                Some(true) => "on".into(),
                Some(false) => "OFF".into(),
                None => "-".into(),
            }),
        ),
    ];
    if !p2p.enable_only {
        matrices.push((
            "Copy engine GB/s, one way",
            Box::new(move |p| f0(p.ce_gbps)),
        ));
        matrices.push((
            "Copy engine GB/s, both ways (sum)",
            Box::new(move |p| f0(p.ce_both_gbps)),
        ));
        matrices.push(("SM copy GB/s, one way", Box::new(move |p| f0(p.sm_gbps))));
        // Two matrices, not one "copy/ping-pong" cell: a 9-character cell
        // would push 8 GPUs past 80 columns.
        matrices.push((
            "Latency us, 4-byte copy",
            Box::new(move |p| f2(p.copy_latency_us)),
        ));
        matrices.push((
            "Latency us, ping-pong (half a round trip)",
            Box::new(move |p| f2(p.pingpong_us)),
        ));
    }
    matrices.push(("Verdict", Box::new(|p: &P2pPair| p.status.label().into())));
    let find = |from: u32, to: u32| {
        p2p.pairs
            .iter()
            .find(|p| p.from.index == from && p.to.index == to)
    };
    let mut header = vec!["from\\to".to_string()];
    header.extend(indices.iter().map(|i| format!("GPU{i}")));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut out = String::new();
    for (title, cell) in &matrices {
        out.push_str(&flow(&[title.to_string()], "", "  ", opts.width));
        let mut grid = Grid::new(&header);
        let mut records = String::new();
        for &from in &indices {
            let cells: Vec<(u32, String, Option<CheckStatus>)> = indices
                .iter()
                .map(|&to| match find(from, to) {
                    Some(p) => (to, cell(p), Some(p.status)),
                    None => (to, "-".to_string(), None),
                })
                .collect();
            let mut row = vec![format!("GPU{from}")];
            row.extend(cells.iter().map(|(_, text, _)| text.clone()));
            // Colour the verdict matrix only; its cells are status words.
            let worst_here = cells.iter().filter_map(|(_, _, s)| *s).max();
            grid.row(row, worst_here.filter(|_| *title == "Verdict"));
            let fields: Vec<String> = cells
                .iter()
                .filter(|(to, _, _)| *to != from)
                .map(|(to, text, _)| format!("->{to} {text}"))
                .collect();
            let head = format!("GPU{from}  ");
            records.push_str(&flow(&fields, &head, &" ".repeat(len(&head)), opts.width));
        }
        out.push_str(&grid.render(opts.width, opts.color).unwrap_or(records));
        out.push('\n');
    }
    out
}

/// `NV18`, `NVS18`, `PIX`: the topology cell, as `nvidia-smi topo -m`.
fn topology_cell(p: &P2pPair) -> String {
    match (p.link.as_deref(), p.nvlinks) {
        (Some("nvlink"), Some(n)) => format!("NV{n}"),
        (Some("nvswitch"), Some(n)) => format!("NVS{n}"),
        (Some("pcie_board"), _) => "BRD".into(),
        (Some("pcie_switch"), _) => "PIX".into(),
        (Some("pcie_host_bridge"), _) => "PHB".into(),
        (Some("pcie_node"), _) => "NODE".into(),
        (Some("pcie_system"), _) => "SYS".into(),
        _ => "?".into(),
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
        records.push_str(&flow(
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
            &head,
            &" ".repeat(len(&head)),
            opts.width,
        ));
        grid.row(cells, Some(status));
    }
    grid.render(opts.width, opts.color).unwrap_or(records)
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
            let cells = vec![
                g.index.to_string(),
                r.metric.clone(),
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
            records.push_str(&flow(&fields, &head, &" ".repeat(len(&head)), opts.width));
            grid.row(cells, Some(status));
        }
    }
    match grid.render(opts.width, opts.color) {
        Some(table) => table + &notes,
        None => records,
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
        records.push_str(&flow(
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
            &head,
            &" ".repeat(len(&head)),
            opts.width,
        ));
        grid.row(cells, Some(status));
    }
    grid.render(opts.width, opts.color).unwrap_or(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_prefers_columns_then_terminal_then_80() {
        assert_eq!(width(Some("100"), Some(204)), 100);
        assert_eq!(width(None, Some(120)), 120);
        assert_eq!(width(None, None), 80);
        assert_eq!(width(Some("junk"), None), 80);
        assert_eq!(width(Some("10"), None), MIN_WIDTH);
    }

    #[test]
    fn wrapping_never_splits_a_word() {
        let text = "ecc_volatile_uncorrected 700/700 W and 00000000:18:00.0 words";
        for w in [8, 12, 20, 30] {
            let lines = wrap(text, w);
            let words: Vec<&str> = lines.iter().flat_map(|l| l.split(' ')).collect();
            assert_eq!(words, text.split(' ').collect::<Vec<_>>(), "width {w}");
        }
    }

    #[test]
    fn flow_keeps_lines_within_width() {
        let fields: Vec<String> = (0..20).map(|i| format!("field-{i} value")).collect();
        let out = flow(&fields, "GPU 0  ", "       ", 40);
        assert!(out.lines().all(|l| len(l) <= 40), "{out}");
        assert!(out.lines().skip(1).all(|l| l.starts_with("       ")));
        for f in &fields {
            assert!(out.contains(f.as_str()) || out.contains(&f.replace(' ', "\n       ")));
        }
    }

    #[test]
    fn bench_rows_fit_80_columns_and_throttling_gets_a_note() {
        let gpu = GpuReport {
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
            bench: Some(super::super::BenchSummary {
                results: vec![super::super::BenchResult {
                    metric: "launch_latency".into(),
                    unit: "TFLOP/s".into(),
                    value: 3000.0,
                    min: 55.55,
                    max: 3000.0,
                    spread_pct: 100.0,
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
        assert!(out.contains("3000 TFLOP/s"), "{out}");
        assert!(
            out.contains("throttled: sw_power_cap (700 W, 88 °C)"),
            "{out}"
        );
    }

    #[test]
    fn a_long_field_on_an_empty_first_line_wraps_within_width() {
        // The summary's case: no lead, continuation lines indented.
        let long = "memtest FAIL: GPU 1 (memory_errors): GPU 0 83.3 GiB at 2900 GB/s, \
                    GPU 1 83.3 GiB at 2900 GB/s"
            .to_string();
        let out = flow(std::slice::from_ref(&long), "", "  ", 40);
        assert!(out.lines().all(|l| len(l) <= 40), "{out}");
        assert!(out.lines().skip(1).all(|l| l.starts_with("  ")), "{out}");
    }

    #[test]
    fn a_grid_that_cannot_fit_gives_none() {
        let mut g = Grid::new(&["a", "b"]);
        g.row(vec!["x".repeat(50), "y".repeat(50)], None);
        assert!(g.render(80, false).is_none());
        assert!(g.render(120, false).is_some());
    }

    #[test]
    fn clock_events_read_as_names() {
        let v = serde_json::json!({"reasons": ["sw_power_cap", "gpu_idle"], "mask": 5});
        assert_eq!(json_text(&v), "sw_power_cap,gpu_idle");
        assert_eq!(
            json_text(&serde_json::json!({"reasons": [], "mask": 0})),
            "none"
        );
    }
}
