//! Shared helpers for the end-to-end tests: run the real `gpuctl` binary
//! against a simulation fixture, and check every JSON document it prints
//! against `src/report/schema.json` and against typed mirrors of the report
//! that reject unknown fields (so a renamed or added field fails a test).

#![allow(dead_code)]

use assert_cmd::Command;
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Environment variables that change what gpuctl sees; removed from every
/// run unless the test sets them itself.
const AMBIENT_ENV: [&str; 7] = [
    "CUDA_VISIBLE_DEVICES",
    "CUDA_DEVICE_ORDER",
    "NO_COLOR",
    "COLUMNS",
    "TERM",
    "GPUCTL_CONFIG",
    "XDG_CONFIG_HOME",
];

/// The user config dir every test run sees unless it sets its own: absent,
/// so a developer's `~/.config/gpuctl/config.toml` never leaks in.
pub const NO_USER_CONFIG: &str = "/nonexistent/gpuctl-tests-config";

/// UUIDs and bus ids of the `two_h100` fixture (and the fixtures derived
/// from it). NVML index 0 has CUDA rank 1; NVML index 1 has CUDA rank 0.
pub const UUID0: &str = "GPU-1a2b3c4d-0000-1111-2222-333344445555";
pub const UUID1: &str = "GPU-9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff";
pub const PCI0: &str = "00000000:18:00.0";
pub const PCI1: &str = "00000000:2A:00.0";
pub const H100: &str = "NVIDIA H100 80GB HBM3";
pub const DRIVER_VERSION: &str = "580.159.04";

/// A fixture path: relative names are taken from `tests/fixtures/`;
/// absolute paths (temporary fixtures) are used as they are.
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

/// The `gpuctl` binary with `GPUCTL_SIMULATE` pointing at `fixture` and a
/// clean CUDA / colour environment.
pub fn gpuctl_cmd(fixture: &str) -> Command {
    let mut cmd = Command::cargo_bin("gpuctl").expect("gpuctl binary is built");
    cmd.env("GPUCTL_SIMULATE", fixture_path(fixture));
    for var in AMBIENT_ENV {
        cmd.env_remove(var);
    }
    cmd.env("XDG_CONFIG_HOME", NO_USER_CONFIG);
    cmd
}

/// What one run of gpuctl produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed, schema-validated and deserialized into [`Report`].
    pub fn report(&self) -> Report {
        parse_report(&self.stdout)
    }

    /// stdout as an untyped JSON value, after the same checks as
    /// [`Run::report`].
    pub fn json(&self) -> Value {
        let _ = parse_report(&self.stdout);
        serde_json::from_str(&self.stdout).unwrap()
    }

    /// The only line of stderr (panics unless there is exactly one).
    pub fn stderr_line(&self) -> &str {
        one_line(&self.stderr, "stderr", self)
    }

    /// The only line of stdout (panics unless there is exactly one).
    pub fn stdout_line(&self) -> &str {
        one_line(&self.stdout, "stdout", self)
    }

    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code; {self:#?}");
        self
    }
}

fn one_line<'a>(text: &'a str, what: &str, run: &Run) -> &'a str {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "expected exactly one line on {what}; {run:#?}"
    );
    assert!(
        text.ends_with('\n'),
        "{what} line is not newline-terminated"
    );
    lines[0]
}

/// Runs gpuctl with `args` on `fixture`, with extra environment `env`.
pub fn run_env(fixture: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = gpuctl_cmd(fixture);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("gpuctl runs");
    let run = Run {
        code: out.status.code().expect("gpuctl exited by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    };
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("internal error"),
        "gpuctl panicked; {run:#?}"
    );
    run
}

/// Runs gpuctl with `args` on `fixture`.
pub fn run(fixture: &str, args: &[&str]) -> Run {
    run_env(fixture, args, &[])
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report/schema.json");
        let text = std::fs::read_to_string(&path).expect("schema.json is readable");
        let schema: Value = serde_json::from_str(&text).expect("schema.json is JSON");
        jsonschema::validator_for(&schema).expect("schema.json is a valid JSON Schema")
    })
}

/// Panics with every violation unless `instance` matches the report schema.
pub fn assert_valid(instance: &Value) {
    let errors: Vec<String> = validator()
        .iter_errors(instance)
        .map(|e| format!("at '{}': {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "JSON does not match src/report/schema.json:\n{}\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(instance).unwrap()
    );
}

fn line_validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report/schema.json");
        let text = std::fs::read_to_string(&path).expect("schema.json is readable");
        let schema: Value = serde_json::from_str(&text).expect("schema.json is JSON");
        let line = serde_json::json!({
            "$schema": schema["$schema"],
            "$ref": "#/$defs/JsonLine",
            "$defs": schema["$defs"],
        });
        jsonschema::validator_for(&line).expect("$defs/JsonLine is a valid JSON Schema")
    })
}

/// Why `line` does not match `$defs/JsonLine` (empty when it does).
pub fn line_errors(line: &str) -> Vec<String> {
    let value: Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("line is not JSON ({e}): {line}"));
    line_validator()
        .iter_errors(&value)
        .map(|e| format!("at '{}': {e}", e.instance_path()))
        .collect()
}

/// Panics unless `line` (one line of a `--json-lines` stream: an event or
/// the report) matches `$defs/JsonLine` of the schema, and prints no float
/// in exponent form.
pub fn assert_valid_line(line: &str) {
    let errors = line_errors(line);
    assert!(
        errors.is_empty(),
        "line does not match $defs/JsonLine:\n{}\n{line}",
        errors.join("\n")
    );
    assert_no_exponent(line);
}

/// Panics if a small number in the JSON `text` is printed in exponent form
/// (`4e-07`): every float is rounded to plain decimals. (An absurd reading
/// such as `1e+300` keeps its only faithful form.)
pub fn assert_no_exponent(text: &str) {
    let bytes = text.as_bytes();
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            b'e' | b'E'
                if !in_string
                    && i > 0
                    && bytes[i - 1].is_ascii_digit()
                    && bytes.get(i + 1) == Some(&b'-') =>
            {
                panic!("a number in exponent form at byte {i}: {text}")
            }
            _ => {}
        }
    }
}

/// Parses one JSON report: exactly one document, schema-valid, and
/// deserializable into the typed mirror without unknown fields.
pub fn parse_report(stdout: &str) -> Report {
    assert!(
        stdout.ends_with('\n'),
        "JSON output is not newline-terminated: {stdout:?}"
    );
    let value: Value = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{stdout}"));
    assert_valid(&value);
    assert_no_exponent(stdout);
    let report: Report = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("report does not match the typed mirror ({e}):\n{stdout}"));
    // Invariants every report keeps.
    assert_eq!(report.schema_version, 4);
    // Every test runs on the simulated backend, and every report must say so.
    assert!(report.simulated, "a simulated run not marked simulated");
    assert_eq!(report.tool.name, "gpuctl");
    assert_eq!(report.tool.version, env!("CARGO_PKG_VERSION"));
    assert!(
        report.timestamp.ends_with('Z') && report.timestamp.len() == 20,
        "timestamp is not RFC 3339 UTC seconds: {}",
        report.timestamp
    );
    assert!(!report.summary.contains('\n'), "summary is one line");
    assert_eq!(
        report.outcome == "error",
        report.error.is_some(),
        "error is set exactly when outcome is error"
    );
    report
}

// Typed mirrors of the JSON report. `deny_unknown_fields` on every struct:
// a renamed or added field fails the tests that read it.

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// `report` on the last line of `--json-lines`; absent with `--json`.
    #[serde(default)]
    pub event: Option<String>,
    pub schema_version: u32,
    pub tool: Tool,
    pub simulated: bool,
    pub command: String,
    pub host: Option<String>,
    pub timestamp: String,
    pub outcome: String,
    pub exit_code: i32,
    pub summary: String,
    pub driver: Option<Driver>,
    pub warnings: Vec<String>,
    pub error: Option<ErrorInfo>,
    pub host_checks: Vec<Check>,
    pub gpus: Vec<Gpu>,
    /// Only in `p2p` reports.
    #[serde(default)]
    pub p2p: Option<P2p>,
    /// Only in `diag` reports.
    #[serde(default)]
    pub diag: Option<Diag>,
    /// The RMA bundle (`--report DIR`).
    #[serde(default)]
    pub bundle: Option<String>,
}

/// What `diag` ran (`diag`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Diag {
    pub level: u32,
    pub keep_going: bool,
    pub seconds: f64,
    pub phases: Vec<DiagPhase>,
}

/// One `diag` phase, with its command's own report.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagPhase {
    pub name: String,
    pub command: String,
    pub what: String,
    pub expected_seconds: Option<f64>,
    pub outcome: String,
    pub seconds: Option<f64>,
    pub note: Option<String>,
    pub report: Option<Box<Report>>,
}

impl Diag {
    /// The phase with this name (panics if absent).
    pub fn phase(&self, name: &str) -> &DiagPhase {
        self.phases
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no phase {name} in {:#?}", self.phases))
    }

    /// (name, outcome) of every phase, in order.
    pub fn outcomes(&self) -> Vec<(&str, &str)> {
        self.phases
            .iter()
            .map(|p| (p.name.as_str(), p.outcome.as_str()))
            .collect()
    }
}

/// What `p2p` found (`p2p`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct P2p {
    pub enable_only: bool,
    pub size_bytes: Option<u64>,
    pub seconds: f64,
    pub concurrency: u32,
    pub pairs: Vec<P2pPair>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct P2pEnd {
    pub index: u32,
    pub uuid: Option<String>,
    pub cuda_index: Option<u32>,
}

/// One ordered pair (`p2p.pairs[]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct P2pPair {
    pub from: P2pEnd,
    pub to: P2pEnd,
    pub status: String,
    pub link: Option<String>,
    pub nvlinks: Option<u32>,
    pub nvlink_version: Option<u32>,
    pub expected_gbps: Option<f64>,
    pub can_access_peer: Option<bool>,
    pub peer_access_enabled: Option<bool>,
    pub copy_bytes: Option<u64>,
    pub ce_gbps: Option<f64>,
    pub ce_both_gbps: Option<f64>,
    pub sm_gbps: Option<f64>,
    pub sm_both_gbps: Option<f64>,
    pub copy_latency_us: Option<f64>,
    pub write_latency_us: Option<f64>,
    pub pingpong_us: Option<f64>,
    pub words_verified: u64,
    pub mismatches: u64,
    pub error: Option<String>,
    pub checks: Vec<Check>,
}

impl P2pPair {
    /// The check with this name (panics if absent).
    pub fn check(&self, name: &str) -> &Check {
        self.checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("pair has no check {name}: {self:#?}"))
    }
}

impl P2p {
    /// The ordered pair `from` -> `to` by NVML index (panics if absent).
    pub fn pair(&self, from: u32, to: u32) -> &P2pPair {
        self.pairs
            .iter()
            .find(|p| p.from.index == from && p.to.index == to)
            .unwrap_or_else(|| panic!("no pair {from}->{to} in {self:#?}"))
    }

    /// (from, to) of every pair with this status.
    pub fn with_status(&self, status: &str) -> Vec<(u32, u32)> {
        self.pairs
            .iter()
            .filter(|p| p.status == status)
            .map(|p| (p.from.index, p.to.index))
            .collect()
    }
}

impl Report {
    /// The GPU with this NVML index (panics if absent).
    pub fn gpu(&self, index: u32) -> &Gpu {
        self.gpus
            .iter()
            .find(|g| g.index == index)
            .unwrap_or_else(|| panic!("no GPU {index} in {self:#?}"))
    }

    pub fn indices(&self) -> Vec<u32> {
        self.gpus.iter().map(|g| g.index).collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
    pub commit: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Driver {
    pub driver_version: Option<String>,
    pub cuda_driver_version: Option<String>,
    pub nvml: Library,
    pub cuda: Library,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Library {
    pub status: String,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorInfo {
    pub kind: String,
    pub message: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub name: String,
    pub status: String,
    pub value: Option<Value>,
    pub unit: Option<String>,
    pub threshold: Option<Value>,
    pub message: String,
    pub remedy: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gpu {
    pub index: u32,
    pub name: Option<String>,
    pub uuid: Option<String>,
    pub pci_bus_id: Option<String>,
    pub serial: Option<String>,
    pub cuda_index: Option<u32>,
    pub lost: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub details: Option<Details>,
    #[serde(default)]
    pub checks: Option<Vec<Check>>,
    /// Only in `burn` reports.
    #[serde(default)]
    pub burn: Option<Burn>,
    /// Only in `bench` reports (checked field by field in tests/bench.rs).
    #[serde(default)]
    pub bench: Option<Value>,
    /// Only in `memtest` reports.
    #[serde(default)]
    pub memtest: Option<Memtest>,
    /// Only in `monitor` reports (checked against the schema).
    #[serde(default)]
    pub monitor: Option<Value>,
}

/// A GPU's `memtest` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Memtest {
    pub total_bytes: Option<u64>,
    pub free_bytes: Option<u64>,
    pub target_bytes: Option<u64>,
    pub tested_bytes: Option<u64>,
    pub coverage_free_pct: Option<f64>,
    pub coverage_total_pct: Option<f64>,
    pub chunks: Option<u32>,
    pub allocation_retries: u32,
    pub allocation_notes: Vec<String>,
    pub other_processes: Vec<MemtestProcess>,
    pub passes: u32,
    pub patterns: Vec<MemtestPattern>,
    pub seconds: f64,
    pub gb_per_s: Option<f64>,
    pub mismatches: u64,
    pub errors: Vec<MemtestError>,
    pub injected: Option<MemtestInjected>,
    pub wiped: Option<bool>,
    pub ecc_corrected_delta: Option<u64>,
    pub ecc_uncorrected_delta: Option<u64>,
    pub remap_correctable_delta: Option<u64>,
    pub remap_uncorrectable_delta: Option<u64>,
    pub remap_pending: Option<bool>,
    pub remap_failure: Option<bool>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemtestProcess {
    pub pid: u32,
    pub name: Option<String>,
    pub used_bytes: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemtestPattern {
    pub pattern: String,
    pub passes: u32,
    pub bytes_read: u64,
    pub bytes_written: u64,
    pub seconds: f64,
    pub gb_per_s: Option<f64>,
    pub mismatches: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemtestError {
    pub pattern: String,
    pub pass: u32,
    pub offset: u64,
    pub address: String,
    pub expected: String,
    pub actual: String,
    pub flipped_bits: Vec<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemtestInjected {
    pub pattern: String,
    pub offset: u64,
    pub address: String,
    pub bit: u32,
    pub found: bool,
}

impl Gpu {
    pub fn details(&self) -> &Details {
        self.details
            .as_ref()
            .unwrap_or_else(|| panic!("GPU {} has no details", self.index))
    }

    /// The check with this name (panics if absent).
    pub fn check(&self, name: &str) -> &Check {
        self.checks
            .iter()
            .flatten()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("GPU {} has no check {name}: {self:#?}", self.index))
    }

    pub fn check_names(&self) -> Vec<&str> {
        self.checks
            .iter()
            .flatten()
            .map(|c| c.name.as_str())
            .collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Details {
    pub architecture: Option<String>,
    pub memory_total_bytes: Option<u64>,
    pub memory_used_bytes: Option<u64>,
    pub memory_free_bytes: Option<u64>,
    pub driver_version: Option<String>,
    pub cuda_driver_version: Option<String>,
    pub compute_capability: Option<String>,
    pub sm_count: Option<u32>,
    pub persistence_mode: Option<bool>,
    pub compute_mode: Option<String>,
    pub mig_mode: Option<MigMode>,
    #[serde(default)]
    pub mig_instances: Vec<MigInstance>,
    pub power_limit_w: Option<f64>,
    pub power_limit_default_w: Option<f64>,
    pub power_limit_min_w: Option<f64>,
    pub power_limit_max_w: Option<f64>,
    pub temperature_slowdown_c: Option<u32>,
    pub temperature_shutdown_c: Option<u32>,
    pub temperature_gpu_max_c: Option<u32>,
    pub temperature_memory_max_c: Option<u32>,
    pub pcie_link_gen_current: Option<u32>,
    pub pcie_link_width_current: Option<u32>,
    pub pcie_link_gen_max: Option<u32>,
    pub pcie_link_width_max: Option<u32>,
    pub board: Board,
}

/// A GPU's board identity (`gpus[].details.board`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    pub vbios_version: Option<String>,
    pub inforom_image_version: Option<String>,
    pub inforom_oem_version: Option<String>,
    pub inforom_ecc_version: Option<String>,
    pub inforom_power_version: Option<String>,
    pub board_part_number: Option<String>,
    pub pci_device_id: Option<String>,
    pub pci_subsystem_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigMode {
    pub current: bool,
    pub pending: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigInstance {
    pub index: u32,
    pub uuid: String,
    pub cuda_index: Option<u32>,
    pub gpu_instance_id: Option<u32>,
    pub compute_instance_id: Option<u32>,
    pub memory_total_bytes: Option<u64>,
    pub sm_count: Option<u32>,
}

/// Writes `fixture` as JSON into `dir` and returns its absolute path.
pub fn write_fixture(dir: &Path, name: &str, fixture: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(fixture).unwrap()).unwrap();
    path.to_str().expect("temp path is UTF-8").to_string()
}

/// A fixture from `tests/fixtures/` as an untyped JSON value, for tests
/// that derive a variant of it.
pub fn load_fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(fixture_path(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The host-level check with this name (panics if absent).
pub fn host_check<'a>(report: &'a Report, name: &str) -> &'a Check {
    report
        .host_checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no host check {name} in {:#?}", report.host_checks))
}

/// Loads `base` from `tests/fixtures/`, lets `mutate` change it and writes
/// the result as `name` into `dir`; returns the variant's absolute path.
pub fn fixture_variant(
    dir: &Path,
    base: &str,
    name: &str,
    mutate: impl FnOnce(&mut Value),
) -> String {
    let mut fixture = load_fixture(base);
    mutate(&mut fixture);
    write_fixture(dir, name, &fixture)
}

/// `burn --mode mixed`'s HBM stream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurnStream {
    pub gbps: Option<f64>,
    pub bytes: u64,
    pub bytes_verified: u64,
    pub mismatched_words: u64,
}

/// What `burn` measured on one GPU (`gpus[].burn`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Burn {
    pub engine: Option<String>,
    pub mode: Option<String>,
    pub stream: Option<BurnStream>,
    pub dtype: Option<String>,
    pub detail: Option<String>,
    pub matrix_size: Option<u32>,
    pub result_buffers: Option<u32>,
    pub memory_bytes: Option<u64>,
    pub seconds: f64,
    pub batches: u64,
    pub products: u64,
    pub tflops_min: Option<f64>,
    pub tflops_median: Option<f64>,
    pub tflops_max: Option<f64>,
    pub tflops_with_verification: Option<f64>,
    pub verification_overhead_pct: Option<f64>,
    pub power_avg_w: Option<f64>,
    pub power_peak_w: Option<f64>,
    pub power_source: Option<String>,
    pub seconds_to_power_plateau: Option<f64>,
    pub temperature_gpu_peak_c: Option<u32>,
    pub temperature_memory_peak_c: Option<u32>,
    pub sm_clock_min_mhz: Option<u32>,
    pub sm_clock_avg_mhz: Option<f64>,
    pub throttle: Vec<ThrottleTime>,
    pub mismatched_products: u64,
    pub mismatched_elements: u64,
    pub reference_checksum: Option<String>,
    pub xids: Vec<u64>,
    pub error: Option<String>,
}

/// One clock event reason seen during a burn and how long it was active.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleTime {
    pub reason: String,
    pub seconds: f64,
}

/// The `gpuctl` binary as a plain [`std::process::Command`] (for tests that
/// spawn it and signal it while it runs), with the same environment as
/// [`gpuctl_cmd`].
pub fn gpuctl_process(fixture: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gpuctl"));
    cmd.env("GPUCTL_SIMULATE", fixture_path(fixture));
    for var in AMBIENT_ENV {
        cmd.env_remove(var);
    }
    cmd.env("XDG_CONFIG_HOME", NO_USER_CONFIG);
    cmd
}

/// A fixture written to a temporary directory; the directory lives as long
/// as this value.
pub struct Variant {
    _dir: tempfile::TempDir,
    path: String,
}

impl Variant {
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// `two_h100.json` with `mutate` applied.
pub fn variant(mutate: impl FnOnce(&mut Value)) -> Variant {
    variant_of("two_h100.json", mutate)
}

/// The fixture `base` with `mutate` applied.
pub fn variant_of(base: &str, mutate: impl FnOnce(&mut Value)) -> Variant {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture_variant(dir.path(), base, "variant.json", mutate);
    Variant { _dir: dir, path }
}

/// Each simulated GPU's memory where a test runs memtest (alone or as
/// diag's phase): its L2 flush buffer (2 MiB for the simulator's 256 KiB
/// L2) and error log come out first, and 98% of the rest is just over
/// 2 MiB, so the default `--memory` tests one 2 MiB page, quickly in
/// debug builds. The shipped fixtures' 2 MiB cannot hold the flush buffer
/// and the log at once: memtest's set-up fails there.
pub const SMALL_MEMORY: u64 = 4_237_824;

/// `base` with every simulated GPU's memory [`SMALL_MEMORY`]; its other
/// compute settings stay (the fixtures' launch gap of 0.01 us among them:
/// the simulator's default 1 us would dominate bench's small buffers).
pub fn small_gpus(base: &str) -> Variant {
    variant_of(base, |f| {
        for g in f["gpus"].as_array_mut().into_iter().flatten() {
            if g.get("compute").is_none() {
                g["compute"] = serde_json::json!({});
            }
            g["compute"]["memory_bytes"] = serde_json::json!(SMALL_MEMORY);
        }
    })
}

/// A remedy with every PCI bus id in NVML's form (`00000000:18:00.0`)
/// turned back into the `{gpu}` placeholder, to compare with a template.
pub fn unfill(remedy: &Option<String>) -> Option<String> {
    let text = remedy.as_deref()?;
    let bytes = text.as_bytes();
    let is_id = |s: &[u8]| {
        s.len() == 16
            && s.iter().enumerate().all(|(i, b)| match i {
                8 | 11 => *b == b':',
                14 => *b == b'.',
                _ => b.is_ascii_hexdigit(),
            })
    };
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if i + 16 <= bytes.len() && is_id(&bytes[i..i + 16]) {
            out.push_str("{gpu}");
            i += 16;
        } else {
            out.push(bytes[i] as char);
            i += 1;
        }
    }
    Some(out)
}
