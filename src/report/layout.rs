//! The layout every table is drawn with, and that no command owns: how wide
//! and whether coloured (decided once from the environment), text flowed
//! to the width without ever splitting a word, and column grids drawn by
//! comfy-table with a one-record-per-row fallback when a grid cannot fit.
//!
//! Colour only on a terminal, never with `NO_COLOR` or `TERM=dumb`; the
//! width is `COLUMNS`, else the terminal's, else 80.

use super::{Check, CheckStatus};
use unicode_width::UnicodeWidthStr;

/// How to render: decided once by `app.rs` from the environment and flags,
/// and handed to every command's [`super::table::Section`].
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
    terminal_size::terminal_size_of(std::io::stdout())
        .map(|(terminal_size::Width(w), _)| usize::from(w))
        .filter(|w| *w > 0)
}

// ---------------------------------------------------------------- text

/// Display width of `s` in terminal columns.
pub fn len(s: &str) -> usize {
    s.width()
}

/// Words of `text` wrapped at spaces to `width`; a word longer than the
/// width stays whole on its own line (never split).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
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
pub fn flow(fields: &[String], first: &str, indent: &str, width: usize) -> String {
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

/// One record: `head` (e.g. `GPU 0  `) then `fields` flowed under it,
/// continuation lines indented to the head's width: the narrow-terminal
/// form of a grid row.
pub fn record(head: &str, fields: &[String], width: usize) -> String {
    flow(fields, head, &" ".repeat(len(head)), width)
}

// ---------------------------------------------------------------- grid

/// A column table with no borders (two spaces between columns), drawn by
/// comfy-table, laid out only if it fits `width` without splitting a word;
/// `None` otherwise (the caller falls back to records).
pub struct Grid {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Grid {
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// A row; its cells that are a status word (`FAIL`) get that status's
    /// colour.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
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

    pub fn render(&self, width: usize, color: bool) -> Option<String> {
        use comfy_table::{ColumnConstraint, Table, Width};
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
        // Words are what wraps: one space between them, as `wrap` counts.
        let words = |cells: &[String]| -> Vec<String> {
            (0..widths.len())
                .map(|i| {
                    let cell = cells.get(i).map(String::as_str).unwrap_or("");
                    cell.split_whitespace().collect::<Vec<_>>().join(" ")
                })
                .collect()
        };
        let mut table = Table::new();
        table.load_style(comfy_table::presets::NOTHING);
        table.set_header(words(&self.header));
        for row in &self.rows {
            table.add_row(words(row));
        }
        let last = widths.len().saturating_sub(1);
        for (i, (column, w)) in table.column_iter_mut().zip(&widths).enumerate() {
            let gap = if i < last { 2 } else { 0 };
            column.set_padding((0, gap));
            // A fixed width counts the padding too.
            let fixed = u16::try_from(w + usize::from(gap)).unwrap_or(u16::MAX);
            column.set_constraint(ColumnConstraint::Absolute(Width::Fixed(fixed)));
        }
        let mut out = String::new();
        for line in table.lines() {
            let line = line.trim_end();
            if color {
                out.push_str(&paint_status_cells(line, &widths));
            } else {
                out.push_str(line);
            }
            out.push('\n');
        }
        Some(out)
    }
}

/// `line` with each cell that is exactly a status word in its colour (a
/// row may hold several: p2p's verdict matrix). Cells start where the
/// columns (`widths`, two spaces apart) put them.
fn paint_status_cells(line: &str, widths: &[usize]) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut at = 0;
    for (i, w) in widths.iter().enumerate() {
        if at >= chars.len() {
            break;
        }
        let span = if i + 1 < widths.len() {
            w + 2
        } else {
            chars.len() - at
        };
        let end = (at + span).min(chars.len());
        let cell: String = chars[at..end].iter().collect();
        let text = cell.trim_end();
        match status_of(text) {
            Some(s) => {
                out.push_str(&paint(text, s));
                out.push_str(&cell[text.len()..]);
            }
            None => out.push_str(&cell),
        }
        at = end;
    }
    out
}

// ---------------------------------------------------------------- colour

/// The status a cell's text names, if it is a status word.
pub fn status_of(text: &str) -> Option<CheckStatus> {
    use CheckStatus::*;
    [Pass, Skip, Warn, Interrupted, Fail]
        .into_iter()
        .find(|s| s.label() == text)
}

/// `text` in the colour of `status` (green, grey, yellow, red).
pub fn paint(text: &str, status: CheckStatus) -> String {
    use anstyle::AnsiColor;
    let colour = match status {
        CheckStatus::Pass => AnsiColor::Green,
        CheckStatus::Skip => AnsiColor::BrightBlack,
        CheckStatus::Warn | CheckStatus::Interrupted => AnsiColor::Yellow,
        CheckStatus::Fail => AnsiColor::Red,
    };
    let style = colour.on_default();
    format!("{}{text}{}", style.render(), style.render_reset())
}

/// A status word, coloured when `color`.
pub fn status_text(status: CheckStatus, color: bool) -> String {
    if color {
        paint(status.label(), status)
    } else {
        status.label().to_string()
    }
}

// ---------------------------------------------------------------- values

/// A value, or `-` when there is none.
pub fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}

/// Text, or `-` when there is none.
pub fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "-".into())
}

/// Bytes as GiB with one decimal, or `-`.
pub fn gib(bytes: Option<u64>) -> String {
    opt(bytes.map(super::text::gib))
}

pub fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// A JSON value as an operator reads it: strings bare, clock event reasons
/// as their names, arrays comma-joined.
pub fn json_text(v: &serde_json::Value) -> String {
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

/// A check's value with its unit (`61 °C`), or `-`.
pub fn value_text(c: &Check) -> String {
    let v = match &c.value {
        None => return "-".into(),
        Some(v) => json_text(v),
    };
    match &c.unit {
        Some(u) => format!("{v} {u}"),
        None => v,
    }
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
        g.row(vec!["x".repeat(50), "y".repeat(50)]);
        assert!(g.render(80, false).is_none());
        assert!(g.render(120, false).is_some());
    }

    #[test]
    fn a_grid_has_two_spaces_between_columns_and_wraps_headings_at_spaces() {
        let mut g = Grid::new(&["GPU", "Power W avg/max", "Status"]);
        g.row(vec!["0".into(), "700/701".into(), "PASS".into()]);
        g.row(vec!["1".into(), "-".into(), "FAIL".into()]);
        // 3 + 2 + 7 + 2 + 6 = 20: the heading wraps, no word is split.
        let out = g.render(20, false).unwrap_or_default();
        assert_eq!(
            out,
            "GPU  Power W  Status\n     avg/max\n0    700/701  PASS\n1    -        FAIL\n"
        );
        let coloured = g.render(20, true).unwrap_or_default();
        assert!(coloured.contains("\u{1b}[32mPASS\u{1b}[0m"), "{coloured:?}");
        assert!(coloured.contains("\u{1b}[31mFAIL\u{1b}[0m"), "{coloured:?}");
        assert!(!coloured.contains("\u{1b}[32mStatus"), "{coloured:?}");
    }

    #[test]
    fn colours_are_the_terminal_codes_of_before() {
        assert_eq!(paint("PASS", CheckStatus::Pass), "\u{1b}[32mPASS\u{1b}[0m");
        assert_eq!(paint("SKIP", CheckStatus::Skip), "\u{1b}[90mSKIP\u{1b}[0m");
        assert_eq!(paint("WARN", CheckStatus::Warn), "\u{1b}[33mWARN\u{1b}[0m");
        assert_eq!(paint("FAIL", CheckStatus::Fail), "\u{1b}[31mFAIL\u{1b}[0m");
    }

    #[test]
    fn display_width_counts_columns_not_bytes() {
        assert_eq!(len("°C"), 2);
        assert_eq!(len("GPU 0"), 5);
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
