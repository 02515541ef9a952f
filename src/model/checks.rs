//! Every check name any command reports, with the JSON type of its `value`
//! and `threshold` (`report::values`): the one list the schema's per-check
//! rules come from. A check's value never changes type between GPUs, runs
//! or statuses; null means nothing was measured.

use super::metric::Metric;
use crate::report::values::{CheckType, Kind};

use Kind::{Bool, Nothing, Number, Reasons, String as Text, Xids};

/// A side file that could not be written (`outfile::side_file_failed`).
pub const OUTPUT_FILE: &str = "output_file";
/// diag's NVSwitch fabric registration check (`checks::fabric`).
pub const FABRIC: &str = "fabric";

/// Every check `health` reports, in report order; `--checks`/`--skip` take these or
/// their prefixes (`ecc` selects every `ecc_*`).
pub const HEALTH_CHECKS: [&str; 29] = [
    "driver",
    "cuda_driver",
    "nvml",
    "cuda",
    "gpu_count",
    "gpu_model",
    "on_bus",
    "ecc_mode",
    "ecc_volatile_uncorrected",
    "ecc_aggregate_uncorrected",
    "ecc_corrected",
    "row_remap_pending",
    "row_remap_failure",
    "row_remap_uncorrectable",
    "retired_pages",
    "xid",
    "temperature",
    "memory_temperature",
    "power",
    "power_limit",
    "clock_events",
    "pcie_link",
    "pcie_replay",
    "nvlink",
    "persistence_mode",
    "compute_mode",
    "mig",
    "memory_usage",
    "compute_self_test",
];

/// (name, value, threshold) of every check but bench's metrics, which come
/// from [`Metric::ALL`] (numbers with numeric limits).
const TYPES: &[(&str, Kind, Kind)] = &[
    // Host checks (health, probe).
    ("driver", Text, Text),
    ("cuda_driver", Text, Text),
    ("nvml", Nothing, Nothing),
    ("cuda", Nothing, Nothing),
    ("gpu_count", Number, Number),
    // A side file (--junit, --save-baseline, --textfile, --report) not written.
    (OUTPUT_FILE, Text, Nothing),
    // Per GPU (health, probe, list).
    ("gpu_model", Text, Text),
    ("on_bus", Nothing, Nothing),
    // list: a GPU whose details could not be read.
    ("details", Nothing, Nothing),
    ("ecc_mode", Bool, Bool),
    ("ecc_volatile_uncorrected", Number, Number),
    ("ecc_aggregate_uncorrected", Number, Number),
    ("ecc_corrected", Number, Number),
    ("row_remap_pending", Bool, Bool),
    ("row_remap_failure", Bool, Bool),
    ("row_remap_uncorrectable", Number, Number),
    ("retired_pages", Number, Number),
    ("xid", Xids, Nothing),
    ("temperature", Number, Number),
    ("memory_temperature", Number, Number),
    ("power", Number, Number),
    ("power_limit", Number, Number),
    ("clock_events", Reasons, Nothing),
    ("pcie_link", Text, Text),
    ("pcie_replay", Number, Number),
    ("nvlink", Number, Number),
    ("persistence_mode", Bool, Bool),
    ("compute_mode", Text, Nothing),
    ("mig", Text, Nothing),
    ("memory_usage", Number, Number),
    ("compute_self_test", Number, Number),
    // The fail-closed rule's verdict (report::fail_closed).
    (crate::report::COVERAGE, Nothing, Nothing),
    // burn.
    ("burn_ran", Number, Nothing),
    ("verification_mode", Text, Nothing),
    ("result_mismatch", Number, Number),
    ("reference_anchor", Number, Number),
    ("cross_gpu_reference", Text, Nothing),
    ("throughput", Number, Number),
    ("throttle", Reasons, Nothing),
    ("memory_wipe", Number, Number),
    // burn --mode mixed: the HBM stream beside the GEMM.
    ("stream_mismatch", Number, Number),
    // memtest.
    ("memtest_ran", Number, Nothing),
    ("memory_errors", Number, Number),
    ("memory_coverage", Number, Number),
    ("ecc_during_test", Nothing, Nothing),
    ("wipe", Number, Number),
    // bench.
    ("bench_ran", Number, Nothing),
    ("bench_telemetry", Nothing, Nothing),
    ("peer_comparison", Number, Nothing),
    // p2p, per pair.
    ("p2p_pairs", Number, Number),
    ("p2p_ran", Nothing, Nothing),
    ("p2p_topology", Text, Nothing),
    ("p2p_peer_access", Bool, Nothing),
    ("p2p_integrity", Number, Number),
    ("p2p_bandwidth", Number, Number),
    ("p2p_latency", Number, Number),
    // diag: the NVSwitch fabric registration (checks::fabric).
    (FABRIC, Text, Nothing),
];

/// Every check with its types, in a stable order.
pub fn all() -> Vec<CheckType> {
    let fixed = TYPES.iter().map(|&(name, value, threshold)| CheckType {
        name: name.to_string(),
        value,
        threshold,
    });
    let bench = Metric::ALL.iter().map(|m| CheckType {
        name: m.name().to_string(),
        value: Number,
        threshold: Number,
    });
    fixed.chain(bench).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_health_check_has_one_declared_type() {
        let names: Vec<std::string::String> = all().into_iter().map(|t| t.name).collect();
        for name in HEALTH_CHECKS {
            assert!(names.iter().any(|n| n == name), "{name} has no type");
        }
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "a check is declared twice");
    }

    #[test]
    fn the_schema_holds_a_rule_per_check() {
        let schema: serde_json::Value =
            serde_json::from_str(&crate::report::stream::schema_with(&all())).unwrap();
        let rules = schema["$defs"]["Check"]["allOf"].as_array().unwrap();
        assert_eq!(rules.len(), all().len());
        let pcie = rules
            .iter()
            .find(|r| r["if"]["properties"]["name"]["const"] == "pcie_link")
            .unwrap();
        assert_eq!(
            pcie["then"]["properties"]["threshold"]["type"],
            serde_json::json!(["string", "null"])
        );
    }
}

/// Whether the `--checks`/`--skip` entry `name` selects `check`: the name
/// itself or a prefix at a word boundary (`ecc` selects every `ecc_*`).
pub fn selects(name: &str, check: &str) -> bool {
    let name = name.trim();
    check == name || check.starts_with(&format!("{name}_"))
}

/// A `--checks`/`--skip` entry (flag or config file) if it selects at least
/// one of health's checks; else the one-line reason, which the caller
/// prefixes with the option or the file, line and key.
pub fn health_selector(name: &str) -> Result<std::string::String, std::string::String> {
    let names = &HEALTH_CHECKS;
    if names.iter().any(|c| selects(name, c)) {
        Ok(name.trim().to_string())
    } else {
        Err(format!(
            "unknown check '{name}': expected one of {} (or a prefix such as 'ecc')",
            names.join(", ")
        ))
    }
}

/// clap's value parser for `--checks`/`--skip`: accepts what
/// [`health_selector`] accepts, and lists health's check names as the
/// possible values, so shell completion offers them (help hides them).
#[derive(Debug, Clone, Copy)]
pub struct HealthSelector;

impl clap::builder::TypedValueParser for HealthSelector {
    type Value = std::string::String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let text = value.to_string_lossy();
        health_selector(&text).map_err(|why| {
            let option = arg.map_or("--checks/--skip".to_string(), |a| {
                a.get_long()
                    .map_or(a.get_id().to_string(), |l| format!("--{l}"))
            });
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("invalid value '{text}' for '{option}': {why}\n"),
            )
            .with_cmd(cmd)
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            HEALTH_CHECKS
                .iter()
                .map(|n| clap::builder::PossibleValue::new(*n)),
        ))
    }
}
