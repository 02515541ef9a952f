//! Human rendering: tables that show at a glance which GPU is sick and why.

use super::{Check, CheckStatus, GpuDetails, GpuReport, Report};
use comfy_table::{presets, Cell, Color, ContentArrangement, Table};

/// Whether to colour output: only on a terminal, never with `NO_COLOR`.
pub fn color_wanted(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The whole report as text for a terminal or a log.
pub fn render(report: &Report, color: bool) -> String {
    let mut out = String::new();
    if let Some(err) = &report.error {
        out.push_str(&format!("error: {}\n", err.message));
        return out;
    }
    if report.gpus.iter().any(|g| g.details.is_some()) {
        out.push_str(&details_table(&report.gpus).to_string());
        out.push('\n');
    }
    let has_checks =
        report.gpus.iter().any(|g| g.checks.is_some()) || !report.host_checks.is_empty();
    let has_burn = report.gpus.iter().any(|g| g.burn.is_some());
    if has_burn {
        out.push_str(&burn_table(report, color).to_string());
        out.push('\n');
    }
    let has_memtest = report.gpus.iter().any(|g| g.memtest.is_some());
    if has_memtest {
        out.push_str(&memtest_table(report, color).to_string());
        out.push('\n');
    }
    let has_burn = has_burn || has_memtest;
    if has_checks {
        if !has_burn {
            out.push_str(&overview_table(report, color).to_string());
            out.push('\n');
        }
        let problems = problem_table(report, color);
        if let Some(t) = problems {
            out.push_str(&t.to_string());
            out.push('\n');
        }
    }
    for w in &report.warnings {
        out.push_str(&format!("note: {w}\n"));
    }
    if !report.summary.is_empty() {
        out.push_str(&report.summary);
        out.push('\n');
    }
    out
}

fn new_table() -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    t
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "-".into())
}

fn gib(bytes: Option<u64>) -> String {
    opt(bytes.map(|b| format!("{:.1}", b as f64 / (1u64 << 30) as f64)))
}

fn details_table(gpus: &[GpuReport]) -> Table {
    let mut t = new_table();
    t.set_header(vec![
        "GPU",
        "Name",
        "UUID",
        "PCI bus id",
        "CUDA",
        "Memory GiB\nused/total",
        "CC",
        "SMs",
        "Persist",
        "Compute\nmode",
        "MIG",
        "Power\nlimit W",
        "Slowdown/\nshutdown °C",
        "PCIe\ncur/max",
    ]);
    for g in gpus {
        let d = g.details.clone().unwrap_or_default();
        if let Some(lost) = &g.lost {
            t.add_row(vec![
                g.index.to_string(),
                g.name.clone(),
                g.uuid.clone(),
                g.pci_bus_id.clone(),
                "-".into(),
                lost.clone(),
            ]);
            continue;
        }
        t.add_row(vec![
            g.index.to_string(),
            g.name.clone(),
            g.uuid.clone(),
            g.pci_bus_id.clone(),
            opt(g.cuda_index),
            format!("{}/{}", gib(d.memory_used_bytes), gib(d.memory_total_bytes)),
            opt(d.compute_capability.clone()),
            opt(d.sm_count),
            opt(d.persistence_mode.map(on_off)),
            opt(d.compute_mode.clone()),
            mig_cell(&d),
            opt(d.power_limit_w.map(|w| format!("{w:.0}"))),
            format!(
                "{}/{}",
                opt(d.temperature_slowdown_c),
                opt(d.temperature_shutdown_c)
            ),
            format!(
                "Gen{}x{} / Gen{}x{}",
                opt(d.pcie_link_gen_current),
                opt(d.pcie_link_width_current),
                opt(d.pcie_link_gen_max),
                opt(d.pcie_link_width_max)
            ),
        ]);
        for m in &d.mig_instances {
            t.add_row(vec![
                format!("  {}:{}", g.index, m.index),
                "MIG instance".into(),
                m.uuid.clone(),
                String::new(),
                opt(m.cuda_index),
                format!("-/{}", gib(m.memory_total_bytes)),
                String::new(),
                opt(m.sm_count),
            ]);
        }
    }
    t
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

fn mig_cell(d: &GpuDetails) -> String {
    match d.mig_mode {
        None => "-".into(),
        Some(m) if m.current != m.pending => {
            format!("{} (pending {})", on_off(m.current), on_off(m.pending))
        }
        Some(m) => on_off(m.current).into(),
    }
}

fn status_cell(status: CheckStatus, color: bool) -> Cell {
    let cell = Cell::new(status.label());
    if !color {
        return cell;
    }
    cell.fg(match status {
        CheckStatus::Pass => Color::Green,
        CheckStatus::Skip => Color::DarkGrey,
        CheckStatus::Warn => Color::Yellow,
        CheckStatus::Fail => Color::Red,
    })
}

/// One row per GPU with what the burn measured and its verdict.
fn burn_table(report: &Report, color: bool) -> Table {
    let mut t = new_table();
    t.set_header(vec![
        "GPU",
        "Engine",
        "TFLOP/s\nmin/med/max",
        "Power W\navg/peak",
        "Temp °C\nGPU/mem peak",
        "SM MHz\nlowest",
        "Throttle reasons (s)",
        "Mismatches",
        "Verdict",
    ]);
    let f = |v: Option<f64>| v.map(|x| format!("{x:.0}")).unwrap_or_else(|| "-".into());
    for g in &report.gpus {
        let Some(b) = &g.burn else { continue };
        let throttle: Vec<String> = b
            .throttle
            .iter()
            .filter(|r| r.reason != "gpu_idle")
            .map(|r| format!("{} {:.1}", r.reason, r.seconds))
            .collect();
        t.add_row(vec![
            Cell::new(g.index),
            Cell::new(format!(
                "{} {}",
                b.engine.as_deref().unwrap_or("-"),
                b.dtype.as_deref().unwrap_or("")
            )),
            Cell::new(format!(
                "{}/{}/{}",
                f(b.tflops_min),
                f(b.tflops_median),
                f(b.tflops_max)
            )),
            Cell::new(format!("{}/{}", f(b.power_avg_w), f(b.power_peak_w))),
            Cell::new(format!(
                "{}/{}",
                opt(b.temperature_gpu_peak_c),
                opt(b.temperature_memory_peak_c)
            )),
            Cell::new(opt(b.sm_clock_min_mhz)),
            Cell::new(if throttle.is_empty() {
                "-".into()
            } else {
                throttle.join("\n")
            }),
            Cell::new(format!(
                "{} ({} el.)",
                b.mismatched_products, b.mismatched_elements
            )),
            status_cell(g.status.unwrap_or(CheckStatus::Pass), color),
        ]);
    }
    t
}

/// One row per GPU with what the memory test covered, found and changed.
fn memtest_table(report: &Report, color: bool) -> Table {
    let mut t = new_table();
    t.set_header(vec![
        "GPU",
        "Patterns\n(passes)",
        "Tested GiB\n% free/total",
        "GB/s",
        "Mismatches\nfirst offset: bits",
        "ECC Δ\ncorr/uncorr",
        "Wiped",
        "Verdict",
    ]);
    let f1 = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:.1}"));
    for g in &report.gpus {
        let Some(m) = &g.memtest else { continue };
        let done = m.patterns.iter().filter(|p| p.passes > 0).count();
        let errors = match m.errors.first() {
            Some(e) => format!("{}\n{}: {:?}", m.mismatches, e.offset, e.flipped_bits),
            None => m.mismatches.to_string(),
        };
        t.add_row(vec![
            Cell::new(g.index),
            Cell::new(format!("{done}/{} ({})", m.patterns.len(), m.passes)),
            Cell::new(format!(
                "{}\n{}/{}",
                f1(m.tested_bytes.map(|b| b as f64 / (1u64 << 30) as f64)),
                f1(m.coverage_free_pct),
                f1(m.coverage_total_pct)
            )),
            Cell::new(m.gb_per_s.map_or("-".into(), |r| format!("{r:.0}"))),
            Cell::new(errors),
            Cell::new(format!(
                "{}/{}",
                opt(m.ecc_corrected_delta),
                opt(m.ecc_uncorrected_delta)
            )),
            Cell::new(match m.wiped {
                Some(true) => "yes",
                Some(false) => "FAILED",
                None => "-",
            }),
            status_cell(g.status.unwrap_or(CheckStatus::Pass), color),
        ]);
    }
    t
}

/// One row per GPU: overall status and the names of its non-passing checks.
fn overview_table(report: &Report, color: bool) -> Table {
    let mut t = new_table();
    t.set_header(vec![
        "GPU",
        "Name",
        "PCI bus id",
        "Status",
        "Failing / warning checks",
    ]);
    if !report.host_checks.is_empty() {
        let status = super::worst(&report.host_checks);
        t.add_row(vec![
            Cell::new("host"),
            Cell::new(""),
            Cell::new(""),
            status_cell(status, color),
            Cell::new(problem_names(&report.host_checks)),
        ]);
    }
    for g in &report.gpus {
        let checks = g.checks.as_deref().unwrap_or_default();
        t.add_row(vec![
            Cell::new(g.index),
            Cell::new(&g.name),
            Cell::new(&g.pci_bus_id),
            status_cell(g.status.unwrap_or(CheckStatus::Pass), color),
            Cell::new(problem_names(checks)),
        ]);
    }
    t
}

fn problem_names(checks: &[Check]) -> String {
    let names: Vec<&str> = checks
        .iter()
        .filter(|c| matches!(c.status, CheckStatus::Warn | CheckStatus::Fail))
        .map(|c| c.name.as_str())
        .collect();
    if names.is_empty() {
        "-".into()
    } else {
        names.join(", ")
    }
}

fn value_text(c: &Check) -> String {
    let v = match &c.value {
        None => return "-".into(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    match &c.unit {
        Some(u) => format!("{v} {u}"),
        None => v,
    }
}

/// Details of every check that did not pass (skips included, so nothing is
/// silently dropped).
fn problem_table(report: &Report, color: bool) -> Option<Table> {
    let mut t = new_table();
    t.set_header(vec![
        "GPU",
        "Check",
        "Status",
        "Value",
        "Threshold",
        "Message",
        "Remedy",
    ]);
    let mut rows = 0;
    let host = report.host_checks.iter().map(|c| ("host".to_string(), c));
    let per_gpu = report.gpus.iter().flat_map(|g| {
        g.checks
            .iter()
            .flatten()
            .map(move |c| (g.index.to_string(), c))
    });
    for (gpu, c) in host.chain(per_gpu) {
        if c.status == CheckStatus::Pass {
            continue;
        }
        rows += 1;
        t.add_row(vec![
            Cell::new(gpu),
            Cell::new(&c.name),
            status_cell(c.status, color),
            Cell::new(value_text(c)),
            Cell::new(
                c.threshold
                    .as_ref()
                    .map(|v| match v {
                        serde_json::Value::String(s) => s.clone(),
                        v => v.to_string(),
                    })
                    .unwrap_or_else(|| "-".into()),
            ),
            Cell::new(&c.message),
            Cell::new(c.remedy.as_deref().unwrap_or("-")),
        ]);
    }
    (rows > 0).then_some(t)
}
