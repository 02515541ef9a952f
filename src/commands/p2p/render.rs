//! `p2p`'s part of the human table: a GPU x GPU matrix per measurement
//! and the verdict matrix; its checks are per pair.

use crate::report::layout::{flow, record, Grid};
use crate::report::table::{Options, Section};
use crate::report::{Check, P2pPair, P2pSummary, Report};

/// `p2p`'s [`Section`]: the matrices replace the GPU overview (its GPUs
/// carry no checks), and each pair's checks are listed as `GPU 0->1`.
pub struct Table;

impl Section for Table {
    fn tables(&self, report: &Report, opts: &Options) -> Option<String> {
        report.p2p.as_ref().map(|p2p| p2p_tables(p2p, opts))
    }

    fn other_checks<'r>(&self, report: &'r Report) -> Vec<(String, &'r Check)> {
        let pairs = report.p2p.iter().flat_map(|p| &p.pairs);
        pairs
            .flat_map(|p| {
                p.checks
                    .iter()
                    .map(move |c| (format!("GPU {}->{}", p.from.index, p.to.index), c))
            })
            .collect()
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
            let cells: Vec<(u32, String)> = indices
                .iter()
                .map(|&to| (to, find(from, to).map_or("-".to_string(), cell)))
                .collect();
            let mut row = vec![format!("GPU{from}")];
            // The verdict matrix's cells are status words: the grid
            // colours them.
            row.extend(cells.iter().map(|(_, text)| text.clone()));
            grid.row(row);
            let fields: Vec<String> = cells
                .iter()
                .filter(|(to, _)| *to != from)
                .map(|(to, text)| format!("->{to} {text}"))
                .collect();
            let head = format!("GPU{from}  ");
            records.push_str(&record(&head, &fields, opts.width));
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
