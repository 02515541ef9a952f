//! The config file (`--config PATH`, TOML): defaults for thresholds and
//! options that flags override. One table per command, `[health]` so far.
//!
//! The file must be a regular file of at most [`MAX_BYTES`] (a FIFO or
//! `/dev/zero` is refused before anything is read). Every value goes through
//! the same parser as its flag (`parse.rs`), and every error is one line
//! naming the file, the line, the key and the value, with the usage exit code.
//!
//! [`HEALTH_THRESHOLDS`] declares each numeric threshold once: its config
//! key, flag, default, accepted range, unit and help. The flag's parser and
//! help text (`cli.rs`), this file's checks and the docs derive from it.

use crate::error::AppError;
use crate::parse::{self, DurationRange, FloatRange, IntRange};
use serde::Deserialize;
use std::io::Read;
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

/// When `health` exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Only a FAIL fails the run.
    Fail,
    /// A WARN fails the run too.
    Warn,
}

/// Largest config file read; a real one is a few hundred bytes.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// What a threshold accepts and defaults to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// A whole number (a count, or degrees).
    Count { range: IntRange, default: u64 },
    /// A percentage (`95` or `95%`).
    Percent { range: FloatRange, default: f64 },
}

/// One `health` threshold, declared once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdSpec {
    /// Config key in `[health]`, and the clap argument id.
    pub key: &'static str,
    /// The long flag.
    pub flag: &'static str,
    pub limit: Limit,
    /// Unit after the default in help text ("" for counts).
    pub unit: &'static str,
    pub help: &'static str,
}

impl ThresholdSpec {
    /// The flag's help: what it does, the accepted range and the default.
    pub fn help_line(&self) -> String {
        match self.limit {
            Limit::Count { range, default } => format!(
                "{} [{} to {}{u}; default: {default}{u}]",
                self.help,
                range.min,
                range.max,
                u = self.unit
            ),
            Limit::Percent { range, default } => format!(
                "{} [{}% to {}%; default: {default}%]",
                self.help, range.min, range.max
            ),
        }
    }

    /// Parses a count from text (flag or config); the error names the range.
    pub fn count(&self, value: &str) -> Result<u64, String> {
        match self.limit {
            Limit::Count { range, .. } => parse::integer(value, range),
            Limit::Percent { .. } => Err(format!("'{}' is not a count", self.key)),
        }
    }

    /// Parses a percentage from text (flag or config).
    pub fn percent(&self, value: &str) -> Result<f64, String> {
        match self.limit {
            Limit::Percent { range, .. } => parse::percent(value, range),
            Limit::Count { .. } => Err(format!("'{}' is not a percentage", self.key)),
        }
    }

    pub fn default_count(&self) -> u64 {
        match self.limit {
            Limit::Count { default, .. } => default,
            Limit::Percent { default, .. } => default as u64,
        }
    }

    pub fn default_percent(&self) -> f64 {
        match self.limit {
            Limit::Percent { default, .. } => default,
            Limit::Count { default, .. } => default as f64,
        }
    }
}

/// Largest count threshold: far above any real counter limit, and a round
/// number in messages.
const COUNT_MAX: u64 = 1_000_000_000;

const fn count(
    key: &'static str,
    flag: &'static str,
    default: u64,
    help: &'static str,
) -> ThresholdSpec {
    ThresholdSpec {
        key,
        flag,
        limit: Limit::Count {
            range: IntRange::new(0, COUNT_MAX),
            default,
        },
        unit: "",
        help,
    }
}

pub const TEMPERATURE_MARGIN_C: ThresholdSpec = ThresholdSpec {
    key: "temperature_margin_c",
    flag: "--temperature-margin-c",
    limit: Limit::Count {
        range: IntRange::new(0, 50),
        default: 5,
    },
    unit: " °C",
    help: "WARN when a temperature is within this many °C of its slowdown threshold",
};
pub const ECC_CORRECTED_MAX: ThresholdSpec = count(
    "ecc_corrected_max",
    "--ecc-corrected-max",
    1000,
    "WARN above this many corrected ECC errors since reset",
);
pub const REMAP_UNCORRECTABLE_MAX: ThresholdSpec = count(
    "remap_uncorrectable_max",
    "--remap-uncorrectable-max",
    8,
    "WARN above this many rows remapped for uncorrectable errors",
);
/// Zero would fail every pre-Ampere GPU, so at least one page.
pub const RETIRED_PAGES_MAX: ThresholdSpec = ThresholdSpec {
    limit: Limit::Count {
        range: IntRange::new(1, COUNT_MAX),
        default: 60,
    },
    ..count(
        "retired_pages_max",
        "--retired-pages-max",
        60,
        "FAIL at this many retired pages, pre-Ampere GPUs",
    )
};
pub const PCIE_REPLAY_MAX: ThresholdSpec = count(
    "pcie_replay_max",
    "--pcie-replay-max",
    100,
    "WARN above this many PCIe replays since the driver loaded",
);
pub const NVLINK_CRC_MAX: ThresholdSpec = count(
    "nvlink_crc_max",
    "--nvlink-crc-max",
    100,
    "WARN above this many NVLink CRC errors on any link",
);
pub const NVLINK_REPLAY_MAX: ThresholdSpec = count(
    "nvlink_replay_max",
    "--nvlink-replay-max",
    100,
    "WARN above this many NVLink replays on any link",
);
pub const NVLINK_RECOVERY_MAX: ThresholdSpec = count(
    "nvlink_recovery_max",
    "--nvlink-recovery-max",
    10,
    "WARN above this many NVLink recoveries on any link",
);
pub const MEMORY_USED_MAX_PCT: ThresholdSpec = ThresholdSpec {
    key: "memory_used_max_pct",
    flag: "--memory-used-max-pct",
    limit: Limit::Percent {
        range: FloatRange::new(0.0, false, 100.0),
        default: 95.0,
    },
    unit: "%",
    help: "WARN when more than this percentage of memory is in use",
};

/// Every numeric `health` threshold, in help order.
pub const HEALTH_THRESHOLDS: [ThresholdSpec; 9] = [
    TEMPERATURE_MARGIN_C,
    ECC_CORRECTED_MAX,
    REMAP_UNCORRECTABLE_MAX,
    RETIRED_PAGES_MAX,
    PCIE_REPLAY_MAX,
    NVLINK_CRC_MAX,
    NVLINK_REPLAY_MAX,
    NVLINK_RECOVERY_MAX,
    MEMORY_USED_MAX_PCT,
];

/// Ranges of the `health` options that are not thresholds; the flags use
/// the same ones (`cli.rs`).
pub const EXPECT_GPUS: IntRange = IntRange::new(0, 1024);
pub const WATCH: DurationRange = DurationRange::new(Duration::ZERO, Duration::from_secs(3600));
pub const SINCE: DurationRange =
    DurationRange::new(Duration::ZERO, Duration::from_secs(30 * 24 * 3600));
pub const COMPUTE_TIMEOUT: DurationRange =
    DurationRange::new(Duration::from_millis(1), Duration::from_secs(3600));

/// The file as written: every value keeps its position for error messages.
/// Unknown tables or keys are errors, not silently ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    health: RawHealth,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHealth {
    expect_gpus: Option<Spanned<toml::Value>>,
    expect_model: Option<Spanned<toml::Value>>,
    min_driver: Option<Spanned<toml::Value>>,
    min_cuda: Option<Spanned<toml::Value>>,
    watch: Option<Spanned<toml::Value>>,
    since: Option<Spanned<toml::Value>>,
    compute: Option<Spanned<toml::Value>>,
    compute_timeout: Option<Spanned<toml::Value>>,
    checks: Option<Spanned<toml::Value>>,
    skip: Option<Spanned<toml::Value>>,
    fail_on: Option<Spanned<toml::Value>>,
    temperature_margin_c: Option<Spanned<toml::Value>>,
    ecc_corrected_max: Option<Spanned<toml::Value>>,
    remap_uncorrectable_max: Option<Spanned<toml::Value>>,
    retired_pages_max: Option<Spanned<toml::Value>>,
    pcie_replay_max: Option<Spanned<toml::Value>>,
    nvlink_crc_max: Option<Spanned<toml::Value>>,
    nvlink_replay_max: Option<Spanned<toml::Value>>,
    nvlink_recovery_max: Option<Spanned<toml::Value>>,
    memory_used_max_pct: Option<Spanned<toml::Value>>,
}

/// The whole file, validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigFile {
    pub health: HealthConfig,
}

/// `[health]`, validated: every key optional; the flag of the same name wins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HealthConfig {
    pub expect_gpus: Option<u32>,
    pub expect_model: Option<String>,
    pub min_driver: Option<String>,
    pub min_cuda: Option<String>,
    pub watch: Option<Duration>,
    pub since: Option<Duration>,
    pub compute: Option<bool>,
    pub compute_timeout: Option<Duration>,
    pub checks: Option<Vec<String>>,
    pub skip: Option<Vec<String>>,
    pub fail_on: Option<FailOn>,
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

/// The environment variable naming the config file when `--config` does not.
pub const CONFIG_ENV: &str = "GPUCTL_CONFIG";
/// The system-wide config file, used when it exists.
pub const SYSTEM_CONFIG: &str = "/etc/gpuctl/config.toml";

/// Which config file applies, and why: `--config`, then `$GPUCTL_CONFIG`
/// (each must exist), then [`SYSTEM_CONFIG`], then the user's config dir
/// (`$XDG_CONFIG_HOME/gpuctl/config.toml`, else
/// `~/.config/gpuctl/config.toml`), each only if it exists. None: defaults.
pub fn discover(explicit: Option<&Path>) -> Result<Option<(std::path::PathBuf, String)>, AppError> {
    if let Some(path) = explicit {
        return Ok(Some((path.to_path_buf(), "--config".to_string())));
    }
    if let Some(value) = std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()) {
        let path = std::path::PathBuf::from(value);
        if !path.exists() {
            return Err(AppError::usage(format!(
                "${CONFIG_ENV}: config file '{}' does not exist",
                path.display()
            )));
        }
        return Ok(Some((path, format!("${CONFIG_ENV}"))));
    }
    let user_dir = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| std::path::PathBuf::from(h).join(".config"))
        });
    let candidates = std::iter::once((std::path::PathBuf::from(SYSTEM_CONFIG), "system"))
        .chain(user_dir.map(|d| (d.join("gpuctl").join("config.toml"), "user")));
    for (path, why) in candidates {
        if path.exists() {
            return Ok(Some((path, why.to_string())));
        }
    }
    Ok(None)
}

/// Reads, parses and validates the config file.
pub fn load(path: &Path) -> Result<ConfigFile, AppError> {
    let text = read_bounded(path).map_err(|msg| {
        AppError::usage(format!(
            "cannot read config file '{}': {msg}",
            path.display()
        ))
    })?;
    parse(&text).map_err(|msg| AppError::usage(format!("config file '{}' {msg}", path.display())))
}

/// A regular file of at most [`MAX_BYTES`], as UTF-8. The type is checked
/// on the opened file (no race with a swap) before any read, so a FIFO or a
/// device never blocks or streams; the read itself is bounded too.
fn read_bounded(path: &Path) -> Result<String, String> {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise block.
    #[cfg(unix)]
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
    };
    #[cfg(not(unix))]
    let file = std::fs::File::open(path);
    let file = file.map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file (a FIFO, device or directory is refused)".into());
    }
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "{} bytes is larger than the {MAX_BYTES}-byte limit",
            meta.len()
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!("larger than the {MAX_BYTES}-byte limit"));
    }
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())
}

/// Parses and validates config text; the error is one line naming the
/// line, key and value (the caller adds the file).
pub fn parse(text: &str) -> Result<ConfigFile, String> {
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let message = one_line(e.message());
        match e.span() {
            Some(span) => format!("{}: {message}", locate(text, span.start)),
            None => message,
        }
    })?;
    let h = raw.health;
    let v = Validator { text };
    Ok(ConfigFile {
        health: HealthConfig {
            expect_gpus: v.get(&h.expect_gpus, "expect_gpus", |s| {
                parse::integer_u32(s, EXPECT_GPUS)
            })?,
            expect_model: v.string(&h.expect_model, "expect_model")?,
            min_driver: v.version(&h.min_driver, "min_driver")?,
            min_cuda: v.version(&h.min_cuda, "min_cuda")?,
            watch: v.duration(&h.watch, "watch", WATCH)?,
            since: v.duration(&h.since, "since", SINCE)?,
            compute: v.boolean(&h.compute, "compute")?,
            compute_timeout: v.duration(&h.compute_timeout, "compute_timeout", COMPUTE_TIMEOUT)?,
            checks: v.names(&h.checks, "checks")?,
            skip: v.names(&h.skip, "skip")?,
            fail_on: v.get(&h.fail_on, "fail_on", |s| match s {
                "fail" => Ok(FailOn::Fail),
                "warn" => Ok(FailOn::Warn),
                _ => Err("expected 'fail' or 'warn'".to_string()),
            })?,
            temperature_margin_c: v
                .count(&h.temperature_margin_c, &TEMPERATURE_MARGIN_C)?
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            ecc_corrected_max: v.count(&h.ecc_corrected_max, &ECC_CORRECTED_MAX)?,
            remap_uncorrectable_max: v
                .count(&h.remap_uncorrectable_max, &REMAP_UNCORRECTABLE_MAX)?,
            retired_pages_max: v.count(&h.retired_pages_max, &RETIRED_PAGES_MAX)?,
            pcie_replay_max: v.count(&h.pcie_replay_max, &PCIE_REPLAY_MAX)?,
            nvlink_crc_max: v.count(&h.nvlink_crc_max, &NVLINK_CRC_MAX)?,
            nvlink_replay_max: v.count(&h.nvlink_replay_max, &NVLINK_REPLAY_MAX)?,
            nvlink_recovery_max: v.count(&h.nvlink_recovery_max, &NVLINK_RECOVERY_MAX)?,
            memory_used_max_pct: v.get(&h.memory_used_max_pct, "memory_used_max_pct", |s| {
                MEMORY_USED_MAX_PCT.percent(s)
            })?,
        },
    })
}

/// `line 3: `watch = "soon"``: where a byte offset is, as errors name it.
fn locate(text: &str, offset: usize) -> String {
    let offset = offset.min(text.len());
    let line_no = text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or("").trim();
    // A pathological line (one huge value) is cut to keep the error short.
    let shown: String = line.chars().take(120).collect();
    let cut = if shown.len() < line.len() { "..." } else { "" };
    format!("line {line_no}: `{shown}{cut}`")
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Converts spanned raw values, naming line, key and value on error.
struct Validator<'a> {
    text: &'a str,
}

type Raw = Option<Spanned<toml::Value>>;

impl Validator<'_> {
    fn fail(&self, raw: &Spanned<toml::Value>, key: &str, expected: &str) -> String {
        let value = match raw.get_ref() {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let value: String = value.chars().take(80).collect();
        format!(
            "{}: key 'health.{key}': invalid value '{value}': {expected}",
            locate(self.text, raw.span().start)
        )
    }

    /// A value written as a string or a number, parsed from its text by the
    /// flag's parser (so `95`, `95.0` and `"95%"` all work for percentages).
    fn get<T>(
        &self,
        raw: &Raw,
        key: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        let Some(r) = raw else { return Ok(None) };
        let text = match r.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            _ => String::new(),
        };
        parse(&text).map(Some).map_err(|e| self.fail(r, key, &e))
    }

    fn count(&self, raw: &Raw, spec: &ThresholdSpec) -> Result<Option<u64>, String> {
        if let Some(r) = raw {
            if !r.get_ref().is_integer() {
                return Err(self.fail(r, spec.key, &spec.count("").unwrap_err()));
            }
        }
        self.get(raw, spec.key, |s| spec.count(s))
    }

    fn duration(
        &self,
        raw: &Raw,
        key: &str,
        range: DurationRange,
    ) -> Result<Option<Duration>, String> {
        if let Some(r) = raw {
            if !r.get_ref().is_str() {
                let e = parse::duration("", range).unwrap_err();
                return Err(self.fail(r, key, &format!("{e} (a quoted string)")));
            }
        }
        self.get(raw, key, |s| parse::duration(s, range))
    }

    /// A quoted version only: a TOML float would read `12.10` as 12.1.
    fn version(&self, raw: &Raw, key: &str) -> Result<Option<String>, String> {
        if let Some(r) = raw {
            if !r.get_ref().is_str() {
                let e = parse::version("").unwrap_err();
                return Err(self.fail(r, key, &format!("{e} (a quoted string)")));
            }
        }
        self.get(raw, key, parse::version)
    }

    fn string(&self, raw: &Raw, key: &str) -> Result<Option<String>, String> {
        let Some(r) = raw else { return Ok(None) };
        match r.get_ref() {
            toml::Value::String(s) if !s.trim().is_empty() => Ok(Some(s.clone())),
            _ => Err(self.fail(r, key, "expected a non-empty quoted string")),
        }
    }

    fn boolean(&self, raw: &Raw, key: &str) -> Result<Option<bool>, String> {
        let Some(r) = raw else { return Ok(None) };
        match r.get_ref() {
            toml::Value::Boolean(b) => Ok(Some(*b)),
            _ => Err(self.fail(r, key, "expected true or false")),
        }
    }

    fn names(&self, raw: &Raw, key: &str) -> Result<Option<Vec<String>>, String> {
        let Some(r) = raw else { return Ok(None) };
        let list = match r.get_ref() {
            toml::Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>(),
            _ => None,
        };
        let list = list.ok_or_else(|| {
            self.fail(
                r,
                key,
                "expected a list of check names, like [\"ecc\", \"xid\"]",
            )
        })?;
        // Each name as the flag checks it, named by the file's line and key.
        list.iter()
            .map(|n| crate::model::checks::health_selector(n))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
            .map_err(|why| self.fail(r, key, &why))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_health_key() {
        let c = parse(
            "[health]\nexpect_gpus = 8\nmin_driver = \"535.104\"\necc_corrected_max = 10\n\
             checks = [\"ecc\", \"xid\"]\nmemory_used_max_pct = 90.0\nwatch = \"2s\"\n\
             fail_on = \"warn\"\ncompute = false\ntemperature_margin_c = 7\n",
        )
        .unwrap();
        let h = c.health;
        assert_eq!(h.expect_gpus, Some(8));
        assert_eq!(h.min_driver.as_deref(), Some("535.104"));
        assert_eq!(h.ecc_corrected_max, Some(10));
        assert_eq!(h.checks, Some(vec!["ecc".to_string(), "xid".to_string()]));
        assert_eq!(h.memory_used_max_pct, Some(90.0));
        assert_eq!(h.watch, Some(Duration::from_secs(2)));
        assert_eq!(h.fail_on, Some(FailOn::Warn));
        assert_eq!(h.compute, Some(false));
        assert_eq!(h.temperature_margin_c, Some(7));
    }

    #[test]
    fn a_bad_value_names_its_line_key_and_value_in_one_line() {
        for (text, value, expected) in [
            (
                "[health]\necc_corrected_max = \"lots\"\n",
                "'lots'",
                "from 0 to 1000000000",
            ),
            (
                "[health]\necc_corrected_max = -1\n",
                "'-1'",
                "from 0 to 1000000000",
            ),
            (
                "[health]\necc_corrected_max = 1.5\n",
                "'1.5'",
                "whole number",
            ),
            ("[health]\nwatch = \"soon\"\n", "'soon'", "from 0s to 1h"),
            ("[health]\nwatch = 5\n", "'5'", "quoted string"),
            (
                "[health]\nmin_cuda = \"18446744073709551616\"\n",
                "'18446744073709551616'",
                "4294967295",
            ),
            (
                "[health]\nmemory_used_max_pct = 150\n",
                "'150'",
                "from 0% to 100%",
            ),
            (
                "[health]\nfail_on = \"maybe\"\n",
                "'maybe'",
                "'fail' or 'warn'",
            ),
            ("[health]\ncompute = \"yes\"\n", "'yes'", "true or false"),
            (
                "[health]\nmin_driver = 535.104\n",
                "'535.104'",
                "quoted string",
            ),
            ("[health]\nskip = \"ecc\"\n", "'ecc'", "list of check names"),
            (
                "[health]\nexpect_gpus = 99999\n",
                "'99999'",
                "from 0 to 1024",
            ),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains("line 2"), "{text}: {err}");
            let key = text[9..].split(' ').next().unwrap();
            assert!(err.contains(&format!("'health.{key}'")), "{text}: {err}");
            assert!(err.contains(value), "{text}: {err}");
            assert!(err.contains(expected), "{text}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn an_unknown_check_name_names_the_line_and_key() {
        for key in ["checks", "skip"] {
            let text = format!("[health]\n{key} = [\"ecc\", \"bogus\"]\n");
            let err = parse(&text).unwrap_err();
            assert!(err.contains("line 2"), "{err}");
            assert!(err.contains(&format!("'health.{key}'")), "{err}");
            assert!(err.contains("unknown check 'bogus'"), "{err}");
        }
        let err = parse("[health]\nskip = [\"\"]\n").unwrap_err();
        assert!(
            err.contains("line 2") && err.contains("unknown check ''"),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_and_unknown_keys_name_the_line() {
        let err = parse("[health]\necc_max = 1\n").unwrap_err();
        assert!(
            err.contains("unknown field `ecc_max`") && err.contains("line 2"),
            "{err}"
        );
        let err = parse("[health\n").unwrap_err();
        assert!(err.contains("line 1") && !err.contains('\n'), "{err}");
    }

    #[test]
    fn refuses_what_is_not_a_small_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = load(dir.path()).unwrap_err();
        assert!(
            err.message.contains("not a regular file"),
            "{}",
            err.message
        );
        let err = load(Path::new("/dev/zero")).unwrap_err();
        assert!(
            err.message.contains("not a regular file"),
            "{}",
            err.message
        );
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; (MAX_BYTES + 1) as usize]).unwrap();
        let err = load(&big).unwrap_err();
        assert!(err.message.contains("limit"), "{}", err.message);
    }

    #[test]
    fn threshold_flags_and_help_follow_their_keys() {
        for spec in HEALTH_THRESHOLDS {
            let line = spec.help_line();
            assert!(line.contains("default:"), "{line}");
            assert_eq!(spec.flag, format!("--{}", spec.key.replace('_', "-")));
        }
    }
}
