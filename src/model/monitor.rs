//! `monitor`'s option values, below the CLI that parses them: the names
//! `--metric-names` offers, and the catalogue of `--query` fields (name,
//! nvidia-smi aliases, meaning) with its parser and help. How each field is
//! read from a sample is `commands::monitor::query`'s.

/// Which names and labels to emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MetricNames {
    /// Prometheus conventions: `gpuctl_*`, base units, `_total` counters;
    /// labels gpu, uuid, pci_bus_id, model, hostname.
    Gpuctl,
    /// dcgm-exporter's names (`DCGM_FI_DEV_*`, its units) and labels (gpu,
    /// UUID, pci_bus_id, device, modelName, Hostname), all as gauges.
    Dcgm,
}

/// One `--query` field: its gpuctl name (the CSV header), the other names
/// accepted for it (nvidia-smi's `--query-gpu` names where they mean the
/// same, #24), and what it is.
pub struct Field {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub about: &'static str,
}

macro_rules! field {
    ($name:literal, [$($alias:literal),*], $about:literal) => {
        Field {
            name: $name,
            aliases: &[$($alias),*],
            about: $about,
        }
    };
}

/// Every field, in the order `--help` and the README list them.
pub const FIELDS: &[Field] = &[
    field!("timestamp", [], "time of the sample, RFC 3339"),
    field!("gpu", ["index"], "GPU index (NVML order)"),
    field!("uuid", ["gpu_uuid"], "GPU UUID"),
    field!("pci_bus_id", ["pci.bus_id"], "PCI bus id"),
    field!("model", ["name", "gpu_name"], "product name"),
    field!("up", [], "1: the last read succeeded"),
    field!(
        "healthy",
        [],
        "1: the probe's checks all pass (0 when down)"
    ),
    field!("power_w", ["power.draw"], "power draw, W"),
    field!("energy_j", [], "energy since monitor started, J"),
    field!(
        "temperature_gpu_c",
        ["temperature.gpu"],
        "GPU temperature, C"
    ),
    field!(
        "temperature_memory_c",
        ["temperature.memory"],
        "memory temperature, C"
    ),
    field!(
        "sm_clock_mhz",
        ["clocks.sm", "clocks.current.sm"],
        "SM clock, MHz"
    ),
    field!(
        "memory_clock_mhz",
        ["clocks.mem", "clocks.current.memory"],
        "memory clock, MHz"
    ),
    field!(
        "utilization_gpu_pct",
        ["utilization.gpu"],
        "GPU utilization, %"
    ),
    field!(
        "utilization_memory_pct",
        ["utilization.memory"],
        "memory utilization, %"
    ),
    field!(
        "memory_used_bytes",
        ["memory.used"],
        "memory used, bytes (nvidia-smi: MiB)"
    ),
    field!(
        "memory_free_bytes",
        ["memory.free"],
        "memory free, bytes (nvidia-smi: MiB)"
    ),
    field!("pcie_tx_bytes_per_s", [], "PCIe transmit, bytes/s"),
    field!("pcie_rx_bytes_per_s", [], "PCIe receive, bytes/s"),
    field!("nvlink_tx_bytes_per_s", [], "NVLink transmit, bytes/s"),
    field!("nvlink_rx_bytes_per_s", [], "NVLink receive, bytes/s"),
    field!(
        "clock_events",
        ["clocks_event_reasons.active"],
        "active clock events, joined by a bar (CSV)"
    ),
    field!("clock_events_mask", [], "NVML clock event mask, hex"),
    field!(
        "ecc_volatile_corrected",
        ["ecc.errors.corrected.volatile.total"],
        "corrected ECC errors since driver load"
    ),
    field!(
        "ecc_volatile_uncorrected",
        ["ecc.errors.uncorrected.volatile.total"],
        "uncorrected ECC errors since driver load"
    ),
    field!(
        "ecc_aggregate_corrected",
        ["ecc.errors.corrected.aggregate.total"],
        "corrected ECC errors, lifetime"
    ),
    field!(
        "ecc_aggregate_uncorrected",
        ["ecc.errors.uncorrected.aggregate.total"],
        "uncorrected ECC errors, lifetime"
    ),
    field!(
        "remapped_rows_correctable",
        ["remapped_rows.correctable"],
        "rows remapped for correctable errors"
    ),
    field!(
        "remapped_rows_uncorrectable",
        ["remapped_rows.uncorrectable"],
        "rows remapped for uncorrectable errors"
    ),
    field!(
        "row_remap_pending",
        ["remapped_rows.pending"],
        "1: a row remap waits for a GPU reset"
    ),
    field!(
        "row_remap_failure",
        ["remapped_rows.failure"],
        "1: a row remap failed"
    ),
    field!("pcie_replays", [], "PCIe replay counter"),
    field!("xid_count", [], "XIDs seen since monitor started"),
    field!("processes", [], "compute processes on the GPU"),
    field!("error", [], "why the GPU is down (empty when up)"),
    field!("simulated", [], "1: the simulated backend, not hardware"),
];

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// `--query`'s value: the chosen fields, in the order given.
#[derive(Debug, Clone)]
pub struct Query(pub Vec<&'static Field>);

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

/// `--query`'s long help: what it does and the table of fields.
pub fn query_help() -> String {
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

/// Where the kubelet serves its pod-resources API (`monitor
/// --pod-resources` without a value).
pub const POD_RESOURCES_SOCKET: &str = "/var/lib/kubelet/pod-resources/kubelet.sock";

/// `--pod-resources`' value: a path (the socket need not exist yet: the
/// kubelet may start later, and a missing socket is a warning at run time).
pub fn parse_pod_socket(value: &str) -> Result<std::path::PathBuf, String> {
    if value.trim().is_empty() {
        return Err(format!(
            "empty path; give the kubelet's pod-resources socket, e.g. {POD_RESOURCES_SOCKET}"
        ));
    }
    Ok(std::path::PathBuf::from(value))
}
