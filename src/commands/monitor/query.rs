//! `monitor --query FIELD,...`: the one table of the fields a monitor
//! sample can show as a column (table and CSV), with nvidia-smi's
//! `--query-gpu` names accepted where they mean the same (#24).
//!
//! The CSV output without `--query` is these fields in `CSV_COLUMNS`'
//! order, so a column reads the same with and without `--query`.

use super::sample::GpuSample;
use super::{opt, opt_f};
pub use crate::model::monitor::{field, markdown_table, parse_query, Field, Query, FIELDS};

/// How each field of [`FIELDS`] is read from a sample (empty when
/// unknown), by its name; a test keeps the two lists in step.
type Value = fn(&GpuSample) -> String;
const VALUES: &[(&str, Value)] = &[
    ("timestamp", |s| s.timestamp.clone()),
    ("gpu", |s| s.gpu.to_string()),
    ("uuid", |s| s.uuid.clone()),
    ("pci_bus_id", |s| s.pci_bus_id.clone()),
    ("model", |s| s.model.clone()),
    ("up", |s| u8::from(s.up).to_string()),
    ("healthy", |s| u8::from(s.healthy).to_string()),
    ("power_w", |s| opt_f(s.power_w, 2)),
    ("energy_j", |s| opt_f(s.energy_j, 3)),
    ("temperature_gpu_c", |s| opt(s.temperature_gpu_c)),
    ("temperature_memory_c", |s| opt(s.temperature_memory_c)),
    ("sm_clock_mhz", |s| opt(s.sm_clock_mhz)),
    ("memory_clock_mhz", |s| opt(s.memory_clock_mhz)),
    ("utilization_gpu_pct", |s| opt(s.utilization_gpu_pct)),
    ("utilization_memory_pct", |s| opt(s.utilization_memory_pct)),
    ("memory_used_bytes", |s| opt(s.memory_used_bytes)),
    ("memory_free_bytes", |s| opt(s.memory_free_bytes)),
    ("pcie_tx_bytes_per_s", |s| opt_f(s.pcie_tx_bytes_per_s, 0)),
    ("pcie_rx_bytes_per_s", |s| opt_f(s.pcie_rx_bytes_per_s, 0)),
    ("nvlink_tx_bytes_per_s", |s| {
        opt_f(s.nvlink_tx_bytes_per_s, 0)
    }),
    ("nvlink_rx_bytes_per_s", |s| {
        opt_f(s.nvlink_rx_bytes_per_s, 0)
    }),
    ("clock_events", |s| s.clock_events.join("|")),
    ("clock_events_mask", |s| {
        s.clock_events_mask
            .map_or_else(String::new, |m| format!("{m:#x}"))
    }),
    ("ecc_volatile_corrected", |s| opt(s.ecc_volatile_corrected)),
    ("ecc_volatile_uncorrected", |s| {
        opt(s.ecc_volatile_uncorrected)
    }),
    (
        "ecc_aggregate_corrected",
        |s| opt(s.ecc_aggregate_corrected),
    ),
    ("ecc_aggregate_uncorrected", |s| {
        opt(s.ecc_aggregate_uncorrected)
    }),
    ("remapped_rows_correctable", |s| {
        opt(s.remapped_rows_correctable)
    }),
    ("remapped_rows_uncorrectable", |s| {
        opt(s.remapped_rows_uncorrectable)
    }),
    ("row_remap_pending", |s| {
        opt(s.row_remap_pending.map(u8::from))
    }),
    ("row_remap_failure", |s| {
        opt(s.row_remap_failure.map(u8::from))
    }),
    ("pcie_replays", |s| opt(s.pcie_replays)),
    ("xid_count", |s| s.xid_count.to_string()),
    ("processes", |s| opt(s.processes.as_ref().map(Vec::len))),
    ("error", |s| s.error.clone().unwrap_or_default()),
    ("simulated", |s| u8::from(s.simulated).to_string()),
];

/// `field`'s value in `s` (empty when unknown).
pub fn value(field: &Field, s: &GpuSample) -> String {
    VALUES
        .iter()
        .find(|(name, _)| *name == field.name)
        .map_or_else(String::new, |(_, v)| v(s))
}

/// The default CSV columns as fields.
pub fn defaults(names: &[&str]) -> Vec<&'static Field> {
    names.iter().filter_map(|n| field(n)).collect()
}

/// A CSV field, quoted when it holds a comma, quote or newline.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn csv_header(fields: &[&Field]) -> String {
    fields.iter().map(|f| f.name).collect::<Vec<_>>().join(",")
}

pub fn csv_row(fields: &[&Field], s: &GpuSample) -> String {
    fields
        .iter()
        .map(|f| csv_field(&value(f, s)))
        .collect::<Vec<_>>()
        .join(",")
}

/// A table column is as wide as its name (at least 5): values are
/// right-aligned under it, `-` where unknown.
fn width(f: &Field) -> usize {
    f.name.len().max(5)
}

pub fn table_header(fields: &[&Field]) -> Vec<String> {
    let banner = crate::model::gpu::simulated()
        .then(|| format!("# {}", crate::report::table::SIMULATED_LINE));
    let titles: Vec<String> = fields
        .iter()
        .map(|f| format!("{:>w$}", f.name, w = width(f)))
        .collect();
    banner
        .into_iter()
        .chain(std::iter::once(format!("# {}", titles.join(" "))))
        .collect()
}

pub fn table_row(fields: &[&Field], s: &GpuSample) -> String {
    let cells: Vec<String> = fields
        .iter()
        .map(|f| {
            let v = value(f, s);
            let v = if v.is_empty() { "-".to_string() } else { v };
            format!("{:>w$}", v, w = width(f))
        })
        .collect();
    format!("  {}", cells.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvidia_smi_names_and_gpuctl_names_mean_the_same_field() {
        for (smi, ours) in [
            ("index", "gpu"),
            ("name", "model"),
            ("pci.bus_id", "pci_bus_id"),
            ("temperature.gpu", "temperature_gpu_c"),
            ("temperature.memory", "temperature_memory_c"),
            ("power.draw", "power_w"),
            ("utilization.gpu", "utilization_gpu_pct"),
            ("utilization.memory", "utilization_memory_pct"),
            ("memory.used", "memory_used_bytes"),
            ("clocks.sm", "sm_clock_mhz"),
            ("clocks.mem", "memory_clock_mhz"),
            (
                "ecc.errors.uncorrected.volatile.total",
                "ecc_volatile_uncorrected",
            ),
        ] {
            assert_eq!(field(smi).map(|f| f.name), Some(ours), "{smi}");
        }
    }

    #[test]
    fn every_field_is_read_by_one_value_in_the_same_order() {
        let fields: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
        let values: Vec<&str> = VALUES.iter().map(|(n, _)| *n).collect();
        assert_eq!(fields, values);
    }

    #[test]
    fn names_and_aliases_are_unique() {
        let mut all: Vec<String> = FIELDS
            .iter()
            .flat_map(|f| std::iter::once(f.name).chain(f.aliases.iter().copied()))
            .map(str::to_ascii_lowercase)
            .collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
    }

    #[test]
    fn every_default_csv_column_is_a_field() {
        for c in super::super::CSV_COLUMNS {
            assert!(field(c).is_some(), "{c}");
        }
    }

    #[test]
    fn unknown_or_empty_field_is_named_with_the_accepted_ones() {
        let e = parse_query("index,bogus.field").err().unwrap_or_default();
        assert!(e.starts_with("unknown field"), "{e}");
        assert!(e.contains("'bogus.field'"), "{e}");
        assert!(e.contains("power.draw"), "{e}");
        assert!(parse_query("index,,name").is_err());
    }

    #[test]
    fn a_query_row_has_the_selected_values_in_order() {
        let id = super::super::sample::GpuId {
            gpu: 3,
            uuid: "GPU-x".into(),
            pci_bus_id: "00000000:18:00.0".into(),
            model: "H100".into(),
            lost: None,
        };
        let mut s = GpuSample::blank(&id, "t".into(), 0.0);
        s.power_w = Some(123.456);
        let fields = parse_query("power.draw,index,uuid,temperature.gpu")
            .map(|q| q.0)
            .unwrap_or_default();
        assert_eq!(csv_header(&fields), "power_w,gpu,uuid,temperature_gpu_c");
        assert_eq!(csv_row(&fields, &s), "123.46,3,GPU-x,");
        assert!(table_row(&fields, &s).ends_with("-"));
    }
}
