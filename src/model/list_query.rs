//! `list --query FIELD,...` (and `list --format csv`): the columns `list`
//! can show, one per GPU. Fields that mean the same as a `monitor --query`
//! field are that field (same name and nvidia-smi aliases, from
//! `model::monitor::FIELDS`); the rest are list's own. Each column is read
//! from the GPU's JSON at its pointer, so a column always says what
//! `list --json` says.

use super::monitor::{self, Field};

/// A field's catalogue entry: monitor's by name, or list's own.
enum Source {
    Monitor(&'static str),
    Own(Field),
}

macro_rules! own {
    ($name:literal, [$($alias:literal),*], $about:literal) => {
        Source::Own(Field {
            name: $name,
            aliases: &[$($alias),*],
            about: $about,
        })
    };
}

/// Every list field with its JSON pointer, in `--help` order.
const CATALOGUE: &[(Source, &str)] = &[
    (Source::Monitor("gpu"), "/index"),
    (Source::Monitor("uuid"), "/uuid"),
    (Source::Monitor("pci_bus_id"), "/pci_bus_id"),
    (Source::Monitor("model"), "/name"),
    (own!("serial", [], "board serial number"), "/serial"),
    (
        own!("cuda_index", [], "CUDA ordinal in this environment"),
        "/cuda_index",
    ),
    (
        own!("architecture", [], "GPU architecture"),
        "/details/architecture",
    ),
    (
        own!(
            "memory_total_bytes",
            ["memory.total"],
            "memory, bytes (nvidia-smi: MiB)"
        ),
        "/details/memory_total_bytes",
    ),
    (
        Source::Monitor("memory_used_bytes"),
        "/details/memory_used_bytes",
    ),
    (
        Source::Monitor("memory_free_bytes"),
        "/details/memory_free_bytes",
    ),
    (
        own!("driver_version", [], "driver version"),
        "/details/driver_version",
    ),
    (
        own!("cuda_driver_version", [], "CUDA version of the driver"),
        "/details/cuda_driver_version",
    ),
    (
        own!("compute_capability", ["compute_cap"], "compute capability"),
        "/details/compute_capability",
    ),
    (
        own!("sm_count", [], "streaming multiprocessors"),
        "/details/sm_count",
    ),
    (
        own!("persistence_mode", [], "1: persistence mode on"),
        "/details/persistence_mode",
    ),
    (
        own!("compute_mode", [], "compute mode"),
        "/details/compute_mode",
    ),
    (
        own!("mig_mode", ["mig.mode.current"], "1: MIG mode on"),
        "/details/mig_mode/current",
    ),
    (
        own!("power_limit_w", ["power.limit"], "power limit, W"),
        "/details/power_limit_w",
    ),
    (
        own!(
            "power_limit_max_w",
            ["power.max_limit"],
            "largest power limit, W"
        ),
        "/details/power_limit_max_w",
    ),
    (
        own!("temperature_slowdown_c", [], "slowdown temperature, C"),
        "/details/temperature_slowdown_c",
    ),
    (
        own!(
            "pcie_link_gen_current",
            ["pcie.link.gen.current"],
            "PCIe generation now"
        ),
        "/details/pcie_link_gen_current",
    ),
    (
        own!(
            "pcie_link_width_current",
            ["pcie.link.width.current"],
            "PCIe lanes now"
        ),
        "/details/pcie_link_width_current",
    ),
    (
        own!(
            "pcie_link_gen_max",
            ["pcie.link.gen.max"],
            "PCIe generation, most"
        ),
        "/details/pcie_link_gen_max",
    ),
    (
        own!(
            "pcie_link_width_max",
            ["pcie.link.width.max"],
            "PCIe lanes, most"
        ),
        "/details/pcie_link_width_max",
    ),
    (own!("lost", [], "why NVML cannot reach the GPU"), "/lost"),
];

/// The columns `list --format csv` shows without `--query`.
pub const DEFAULT_COLUMNS: &[&str] = &[
    "gpu",
    "uuid",
    "pci_bus_id",
    "model",
    "serial",
    "memory_total_bytes",
    "driver_version",
    "compute_capability",
    "power_limit_w",
    "pcie_link_gen_current",
    "pcie_link_width_current",
];

/// One chosen column: its field and JSON pointer.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub field: &'static Field,
    pub pointer: &'static str,
}

/// `list --query`'s value: the chosen columns, in the order given.
#[derive(Debug, Clone)]
pub struct ListQuery(pub Vec<Column>);

fn entries() -> impl Iterator<Item = Column> {
    CATALOGUE.iter().filter_map(|(source, pointer)| {
        let field = match source {
            Source::Monitor(name) => monitor::field(name)?,
            Source::Own(field) => field,
        };
        Some(Column { field, pointer })
    })
}

/// The column a name or alias means (case-insensitive), if any.
pub fn column(name: &str) -> Option<Column> {
    let name = name.trim();
    entries().find(|c| {
        c.field.name.eq_ignore_ascii_case(name)
            || c.field.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    })
}

/// The default columns.
pub fn defaults() -> ListQuery {
    ListQuery(DEFAULT_COLUMNS.iter().filter_map(|n| column(n)).collect())
}

/// `--query`'s parser: comma-separated names; an unknown or empty one is an
/// error naming it and listing those accepted.
pub fn parse_list_query(s: &str) -> Result<ListQuery, String> {
    s.split(',')
        .map(|name| {
            column(name).ok_or_else(|| {
                let accepted: Vec<&str> = entries()
                    .flat_map(|c| {
                        std::iter::once(c.field.name).chain(c.field.aliases.iter().copied())
                    })
                    .collect();
                format!(
                    "unknown field '{}'; accepted: {}",
                    name.trim(),
                    accepted.join(", ")
                )
            })
        })
        .collect::<Result<_, _>>()
        .map(ListQuery)
}

/// `list --query`'s long help: the fields.
pub fn list_query_help() -> String {
    let mut out = String::from(
        "Columns to show, comma-separated, in this order: a table, or CSV with \
         --format csv (--json prints whole GPUs). Fields that `monitor --query` \
         also has mean the same there; nvidia-smi's --query-gpu names are \
         accepted where they mean the same.\n\nFIELD (ALIASES): MEANING\n",
    );
    for c in entries() {
        let aliases = if c.field.aliases.is_empty() {
            String::new()
        } else {
            format!(" ({})", c.field.aliases.join(", "))
        };
        out.push_str(&format!("{}{}: {}\n", c.field.name, aliases, c.field.about));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_resolves_and_names_are_unique() {
        assert_eq!(
            entries().count(),
            CATALOGUE.len(),
            "a monitor field is missing"
        );
        let mut names: Vec<&str> = entries()
            .flat_map(|c| std::iter::once(c.field.name).chain(c.field.aliases.iter().copied()))
            .collect();
        let all = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all, "a name or alias is given twice");
        assert_eq!(defaults().0.len(), DEFAULT_COLUMNS.len());
    }

    #[test]
    fn nvidia_smi_names_and_shared_fields_parse() {
        let q = parse_list_query("index,name,memory.total,pcie.link.gen.current").unwrap();
        let names: Vec<&str> = q.0.iter().map(|c| c.field.name).collect();
        assert_eq!(
            names,
            [
                "gpu",
                "model",
                "memory_total_bytes",
                "pcie_link_gen_current"
            ]
        );
        // The same field as monitor's: one declaration.
        assert!(std::ptr::eq(
            column("gpu").unwrap().field,
            monitor::field("gpu").unwrap()
        ));
        let err = parse_list_query("gpu,bogus").unwrap_err();
        assert!(
            err.contains("unknown field 'bogus'") && err.contains("memory.total"),
            "{err}"
        );
    }
}
