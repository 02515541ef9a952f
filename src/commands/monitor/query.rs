//! `monitor --query FIELD,...`: the one table of the fields a monitor
//! sample can show as a column (table and CSV), with nvidia-smi's
//! `--query-gpu` names accepted where they mean the same (#24).
//!
//! The CSV output without `--query` is these fields in `CSV_COLUMNS`'
//! order, so a column reads the same with and without `--query`.

use super::sample::GpuSample;
use super::{opt, opt_f};

/// One field: its gpuctl name (the CSV header), the other names accepted
/// for it, how to read it, and its value in a sample (empty when unknown).
pub struct Field {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub about: &'static str,
    value: fn(&GpuSample) -> String,
}

macro_rules! field {
    ($name:literal, [$($alias:literal),*], $about:literal, $value:expr) => {
        Field {
            name: $name,
            aliases: &[$($alias),*],
            about: $about,
            value: $value,
        }
    };
}

/// Every field, in the order `--help-query` and the README list them.
pub const FIELDS: &[Field] = &[
    field!("timestamp", [], "time of the sample, RFC 3339", |s| s
        .timestamp
        .clone()),
    field!("gpu", ["index"], "GPU index (NVML order)", |s| s
        .gpu
        .to_string()),
    field!("uuid", ["gpu_uuid"], "GPU UUID", |s| s.uuid.clone()),
    field!("pci_bus_id", ["pci.bus_id"], "PCI bus id", |s| s
        .pci_bus_id
        .clone()),
    field!("model", ["name", "gpu_name"], "product name", |s| s
        .model
        .clone()),
    field!("up", [], "1: the last read succeeded", |s| u8::from(s.up)
        .to_string()),
    field!(
        "healthy",
        [],
        "1: the probe's checks all pass (0 when down)",
        |s| { u8::from(s.healthy).to_string() }
    ),
    field!("power_w", ["power.draw"], "power draw, W", |s| opt_f(
        s.power_w, 2
    )),
    field!(
        "energy_j",
        [],
        "energy since monitor started, J",
        |s| opt_f(s.energy_j, 3)
    ),
    field!(
        "temperature_gpu_c",
        ["temperature.gpu"],
        "GPU temperature, C",
        |s| { opt(s.temperature_gpu_c) }
    ),
    field!(
        "temperature_memory_c",
        ["temperature.memory"],
        "memory temperature, C",
        |s| { opt(s.temperature_memory_c) }
    ),
    field!(
        "sm_clock_mhz",
        ["clocks.sm", "clocks.current.sm"],
        "SM clock, MHz",
        |s| { opt(s.sm_clock_mhz) }
    ),
    field!(
        "memory_clock_mhz",
        ["clocks.mem", "clocks.current.memory"],
        "memory clock, MHz",
        |s| { opt(s.memory_clock_mhz) }
    ),
    field!(
        "utilization_gpu_pct",
        ["utilization.gpu"],
        "GPU utilization, %",
        |s| { opt(s.utilization_gpu_pct) }
    ),
    field!(
        "utilization_memory_pct",
        ["utilization.memory"],
        "memory utilization, %",
        |s| { opt(s.utilization_memory_pct) }
    ),
    field!(
        "memory_used_bytes",
        ["memory.used"],
        "memory used, bytes (nvidia-smi: MiB)",
        |s| { opt(s.memory_used_bytes) }
    ),
    field!(
        "memory_free_bytes",
        ["memory.free"],
        "memory free, bytes (nvidia-smi: MiB)",
        |s| { opt(s.memory_free_bytes) }
    ),
    field!("pcie_tx_bytes_per_s", [], "PCIe transmit, bytes/s", |s| {
        opt_f(s.pcie_tx_bytes_per_s, 0)
    }),
    field!("pcie_rx_bytes_per_s", [], "PCIe receive, bytes/s", |s| {
        opt_f(s.pcie_rx_bytes_per_s, 0)
    }),
    field!(
        "nvlink_tx_bytes_per_s",
        [],
        "NVLink transmit, bytes/s",
        |s| { opt_f(s.nvlink_tx_bytes_per_s, 0) }
    ),
    field!(
        "nvlink_rx_bytes_per_s",
        [],
        "NVLink receive, bytes/s",
        |s| { opt_f(s.nvlink_rx_bytes_per_s, 0) }
    ),
    field!(
        "clock_events",
        ["clocks_event_reasons.active"],
        "active clock events, joined by a bar (CSV)",
        |s| { s.clock_events.join("|") }
    ),
    field!("clock_events_mask", [], "NVML clock event mask, hex", |s| {
        s.clock_events_mask
            .map_or_else(String::new, |m| format!("{m:#x}"))
    }),
    field!(
        "ecc_volatile_corrected",
        ["ecc.errors.corrected.volatile.total"],
        "corrected ECC errors since driver load",
        |s| { opt(s.ecc_volatile_corrected) }
    ),
    field!(
        "ecc_volatile_uncorrected",
        ["ecc.errors.uncorrected.volatile.total"],
        "uncorrected ECC errors since driver load",
        |s| { opt(s.ecc_volatile_uncorrected) }
    ),
    field!(
        "ecc_aggregate_corrected",
        ["ecc.errors.corrected.aggregate.total"],
        "corrected ECC errors, lifetime",
        |s| { opt(s.ecc_aggregate_corrected) }
    ),
    field!(
        "ecc_aggregate_uncorrected",
        ["ecc.errors.uncorrected.aggregate.total"],
        "uncorrected ECC errors, lifetime",
        |s| { opt(s.ecc_aggregate_uncorrected) }
    ),
    field!(
        "remapped_rows_correctable",
        ["remapped_rows.correctable"],
        "rows remapped for correctable errors",
        |s| { opt(s.remapped_rows_correctable) }
    ),
    field!(
        "remapped_rows_uncorrectable",
        ["remapped_rows.uncorrectable"],
        "rows remapped for uncorrectable errors",
        |s| { opt(s.remapped_rows_uncorrectable) }
    ),
    field!(
        "row_remap_pending",
        ["remapped_rows.pending"],
        "1: a row remap waits for a GPU reset",
        |s| { opt(s.row_remap_pending.map(u8::from)) }
    ),
    field!(
        "row_remap_failure",
        ["remapped_rows.failure"],
        "1: a row remap failed",
        |s| { opt(s.row_remap_failure.map(u8::from)) }
    ),
    field!("pcie_replays", [], "PCIe replay counter", |s| opt(
        s.pcie_replays
    )),
    field!("xid_count", [], "XIDs seen since monitor started", |s| s
        .xid_count
        .to_string()),
    field!("processes", [], "compute processes on the GPU", |s| {
        opt(s.processes.as_ref().map(Vec::len))
    }),
    field!("error", [], "why the GPU is down (empty when up)", |s| {
        s.error.clone().unwrap_or_default()
    }),
    field!(
        "simulated",
        [],
        "1: the simulated backend, not hardware",
        |s| { u8::from(s.simulated).to_string() }
    ),
];

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// `--query`'s value: the chosen fields, in the order given.
#[derive(Debug, Clone)]
pub struct Query(pub Vec<&'static Field>);

impl Field {
    pub fn value(&self, s: &GpuSample) -> String {
        (self.value)(s)
    }
}

/// The field a name or alias means (case-insensitive), if any.
pub fn field(name: &str) -> Option<&'static Field> {
    let name = name.trim();
    FIELDS.iter().find(|f| {
        f.name.eq_ignore_ascii_case(name) || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    })
}

/// `--query`'s parser: a comma-separated list of field names; an unknown
/// or empty one is an error naming it and listing those accepted.
pub fn parse_query(s: &str) -> Result<Query, String> {
    s.split(',')
        .map(|name| {
            field(name).ok_or_else(|| {
                let accepted: Vec<&str> = FIELDS
                    .iter()
                    .flat_map(|f| std::iter::once(f.name).chain(f.aliases.iter().copied()))
                    .collect();
                format!(
                    "unknown field '{}'; accepted: {} (see gpuctl monitor --help)",
                    name.trim(),
                    accepted.join(", ")
                )
            })
        })
        .collect::<Result<_, _>>()
        .map(Query)
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
        .map(|f| csv_field(&f.value(s)))
        .collect::<Vec<_>>()
        .join(",")
}

/// A table column is as wide as its name (at least 5): values are
/// right-aligned under it, `-` where unknown.
fn width(f: &Field) -> usize {
    f.name.len().max(5)
}

pub fn table_header(fields: &[&Field]) -> Vec<String> {
    let banner =
        crate::device::simulated().then(|| format!("# {}", crate::report::table::SIMULATED_LINE));
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
            let v = f.value(s);
            let v = if v.is_empty() { "-".to_string() } else { v };
            format!("{:>w$}", v, w = width(f))
        })
        .collect();
    format!("  {}", cells.join(" "))
}

/// `--query`'s long help: what it does and the table of fields.
pub fn help() -> String {
    let mut out = String::from(
        "Columns to show, comma-separated, in this order (table and CSV; \
         --json ignores it and prints whole samples). nvidia-smi's \
         --query-gpu names are accepted where they mean the same.\n\n\
         FIELD (ALIASES): MEANING\n",
    );
    for f in FIELDS {
        let aliases = if f.aliases.is_empty() {
            String::new()
        } else {
            format!(" ({})", f.aliases.join(", "))
        };
        out.push_str(&format!("{}{}: {}\n", f.name, aliases, f.about));
    }
    out
}

/// The README's table of `--query` fields (a test keeps it current).
pub fn markdown_table() -> String {
    let mut out = String::from("| Field | Also accepted | Meaning |\n|---|---|---|\n");
    for f in FIELDS {
        let aliases: Vec<String> = f.aliases.iter().map(|a| format!("`{a}`")).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            f.name,
            aliases.join(", "),
            f.about
        ));
    }
    out
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
