//! The config file (`--config PATH`, TOML): defaults for thresholds and
//! options that flags override. One table per command, `[health]` so far.
//!
//! Errors name the file, the line, the offending `key = value` and what was
//! expected, in one line, with the usage exit code.

use crate::error::AppError;
use serde::Deserialize;
use std::path::Path;

/// The whole file; unknown tables or keys are errors, not silently ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub health: HealthConfig,
}

/// `[health]`: every key optional; the flag of the same name wins.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthConfig {
    pub expect_gpus: Option<u32>,
    pub expect_model: Option<String>,
    pub min_driver: Option<String>,
    pub min_cuda: Option<String>,
    pub watch: Option<String>,
    pub since: Option<String>,
    pub compute: Option<bool>,
    pub compute_timeout: Option<String>,
    pub checks: Option<Vec<String>>,
    pub skip: Option<Vec<String>>,
    pub fail_on: Option<String>,
    pub temperature_margin_c: Option<u32>,
    pub ecc_corrected_max: Option<u64>,
    pub remap_uncorrectable_max: Option<u64>,
    pub retired_pages_max: Option<u64>,
    pub pcie_replay_max: Option<u64>,
    pub nvlink_crc_max: Option<u64>,
    pub nvlink_replay_max: Option<u64>,
    pub nvlink_recovery_max: Option<u64>,
    pub memory_used_max_pct: Option<f64>,
}

/// Reads and parses the config file.
pub fn load(path: &Path) -> Result<ConfigFile, AppError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        AppError::usage(format!("cannot read config file '{}': {e}", path.display()))
    })?;
    parse(&text).map_err(|msg| AppError::usage(format!("config file '{}': {msg}", path.display())))
}

/// Parses config text; the error is one line naming line, key and value.
pub fn parse(text: &str) -> Result<ConfigFile, String> {
    toml::from_str(text).map_err(|e| {
        let Some(span) = e.span() else {
            return e.message().to_string();
        };
        let line_no = text[..span.start.min(text.len())].matches('\n').count() + 1;
        let line = text.lines().nth(line_no - 1).unwrap_or("").trim();
        format!("line {line_no}: `{line}`: {}", e.message())
    })
}

/// A config value that must be a duration, with the key in the error.
pub fn duration(key: &str, value: &str) -> Result<std::time::Duration, AppError> {
    crate::cli::parse_duration(value)
        .map_err(|e| AppError::usage(format!("config key '{key}': {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_health_key() {
        let c = parse(
            "[health]\nexpect_gpus = 8\nmin_driver = \"535.104\"\necc_corrected_max = 10\n\
             checks = [\"ecc\", \"xid\"]\nmemory_used_max_pct = 90.0\nwatch = \"2s\"\n",
        )
        .unwrap();
        assert_eq!(c.health.expect_gpus, Some(8));
        assert_eq!(c.health.min_driver.as_deref(), Some("535.104"));
        assert_eq!(c.health.ecc_corrected_max, Some(10));
        assert_eq!(
            c.health.checks,
            Some(vec!["ecc".to_string(), "xid".to_string()])
        );
    }

    #[test]
    fn a_bad_value_names_its_line_key_and_value_in_one_line() {
        let err = parse("[health]\necc_corrected_max = \"lots\"\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("ecc_corrected_max = \"lots\""), "{err}");
        assert!(err.contains("expected u64"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn an_unknown_key_is_an_error() {
        let err = parse("[health]\necc_max = 1\n").unwrap_err();
        assert!(err.contains("unknown field `ecc_max`"), "{err}");
    }

    #[test]
    fn bad_durations_name_the_key() {
        let err = duration("health.watch", "soon").unwrap_err();
        assert!(
            err.message.contains("health.watch") && err.message.contains("'soon'"),
            "{}",
            err.message
        );
    }
}
