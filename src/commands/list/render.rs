//! `list`'s part of the human table: the driver line, then a few lines of
//! facts per GPU.

use crate::report::layout::{flow, gib, len, on_off, opt, text};
use crate::report::table::{Options, Section};
use crate::report::{GpuDetails, GpuReport, Report};

/// `list`'s [`Section`]: the driver line and each GPU's facts lead; a lost
/// GPU's checks still get the core's overview.
pub struct Table;

impl Section for Table {
    fn lead(&self, report: &Report, opts: &Options) -> String {
        let mut out = driver_line(report)
            .map(|line| flow(&[line], "", "  ", opts.width))
            .unwrap_or_default();
        if report.gpus.iter().any(|g| g.details.is_some()) {
            out.push_str(&details(&report.gpus, opts));
        }
        out
    }
}

/// `driver 580.159.04  CUDA 13.0`: the first line of `list`'s and
/// `health`'s tables; None when the report has no driver facts.
pub fn driver_line(report: &Report) -> Option<String> {
    let d = report.driver.as_ref()?;
    if d.driver_version.is_none() && d.cuda_driver_version.is_none() {
        return None;
    }
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    Some(format!(
        "driver {}  CUDA {}",
        or_dash(&d.driver_version),
        or_dash(&d.cuda_driver_version)
    ))
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
