//! `--format csv` for the reports that are rows: `list` (one row per GPU,
//! the columns `--query` chooses), `health` (one row per check: the host's,
//! then each GPU's) and `bench` (one row per GPU per metric). `monitor`
//! writes its own rows as it samples.

use super::{GpuReport, Report};
use crate::model::list_query::ListQuery;
use serde_json::Value;

/// A CSV field, quoted when it holds a comma, quote or newline.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A JSON value as one CSV cell: empty for null, lists joined by a bar.
pub fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => u8::from(*b).to_string(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| cell(Some(i)))
            .collect::<Vec<_>>()
            .join("|"),
        Some(other) => other.to_string(),
    }
}

/// The header and rows, every field quoted as needed.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = header.join(",");
    out.push('\n');
    for row in rows {
        out.push_str(&row.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// As JSON writes it: `pass`, `warn`...
fn status(s: super::CheckStatus) -> String {
    cell(serde_json::to_value(s).ok().as_ref())
}

fn gpu_cell(g: &GpuReport) -> String {
    g.index.to_string()
}

/// `health`: one row per check, the host's first (gpu empty).
pub fn checks(report: &Report) -> String {
    let header = [
        "gpu",
        "uuid",
        "check",
        "status",
        "value",
        "unit",
        "threshold",
        "message",
    ];
    let row = |gpu: String, uuid: String, c: &super::Check| {
        vec![
            gpu,
            uuid,
            c.name.clone(),
            status(c.status),
            cell(c.value.as_ref()),
            c.unit.clone().unwrap_or_default(),
            cell(c.threshold.as_ref()),
            c.message.clone(),
        ]
    };
    let mut rows: Vec<Vec<String>> = report
        .host_checks
        .iter()
        .map(|c| row(String::new(), String::new(), c))
        .collect();
    for g in &report.gpus {
        for c in g.checks.iter().flatten() {
            rows.push(row(gpu_cell(g), g.uuid.clone().unwrap_or_default(), c));
        }
    }
    table(&header, &rows)
}

/// `bench`: one row per GPU per metric: its figure and the gate's
/// threshold and status (the check of the metric's name).
pub fn bench(report: &Report) -> String {
    let header = ["gpu", "metric", "value", "unit", "threshold", "status"];
    let mut rows = Vec::new();
    for g in &report.gpus {
        let results = g
            .bench
            .as_ref()
            .map(|b| b.results.as_slice())
            .unwrap_or(&[]);
        let checks = g.checks.as_deref().unwrap_or(&[]);
        for r in results {
            let check = checks.iter().find(|c| c.name == r.metric);
            rows.push(vec![
                gpu_cell(g),
                r.metric.clone(),
                cell(serde_json::to_value(r.value).ok().as_ref()),
                r.unit.clone(),
                cell(check.and_then(|c| c.threshold.as_ref())),
                check.map_or(String::new(), |c| status(c.status)),
            ]);
        }
    }
    table(&header, &rows)
}

/// One row per GPU: each column's value read from the GPU's JSON at its
/// pointer (`/index`, `/details/driver_version`).
pub fn columns(report: &Report, columns: &[(&str, &str)]) -> Vec<Vec<String>> {
    report
        .gpus
        .iter()
        .map(|g| {
            let json = serde_json::to_value(g).unwrap_or(Value::Null);
            columns
                .iter()
                .map(|(_, pointer)| cell(json.pointer(pointer)))
                .collect()
        })
        .collect()
}

/// `list --query` / `list --format csv`: the chosen columns, one row per
/// GPU, as CSV or as an aligned table (`-` where unknown).
pub fn list_columns(report: &Report, columns: &ListQuery, as_csv: bool) -> String {
    let header: Vec<&str> = columns.0.iter().map(|c| c.field.name).collect();
    let pointers: Vec<(&str, &str)> = columns
        .0
        .iter()
        .map(|c| (c.field.name, c.pointer))
        .collect();
    let rows = self::columns(report, &pointers);
    if as_csv {
        return table(&header, &rows);
    }
    let widths: Vec<usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([h.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(header.clone());
    for row in &rows {
        out.push_str(&line(
            row.iter()
                .map(|c| if c.is_empty() { "-" } else { c.as_str() })
                .collect(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell(Some(&serde_json::json!([1, "x"]))), "1|x");
        assert_eq!(cell(Some(&Value::Null)), "");
        assert_eq!(cell(Some(&serde_json::json!(true))), "1");
    }
}
